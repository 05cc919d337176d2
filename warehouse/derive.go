package warehouse

import (
	"github.com/clickstream-platform/clickstream/clickstream"
)

// Derivation says how the rows of a warehouse table follow from the lake
// table: every copy of every session is a visits row, with its valid events
// and their event_ids, so each warehouse row can be derived again from the
// lake alone. A load derives the rows whose kept copy it removed (a replace
// of a slice, an object rewritten), and the copy then kept is the one of
// smallest lineage among those the lake still holds.
type Derivation struct {
	// EventType is the event_type of the events the table holds, one row an
	// event; "" for a table of one row a visit (sessions).
	EventType string
	// Columns are the table's columns, in order, and where each comes from.
	Columns []LakeColumn
}

// LakeColumn is where a warehouse column comes from in a visits row: a
// column of the visit (Event false, Path one name), or a field of one of its
// events, Path below an element of events (["event", "details",
// "page_url"], ["event_id"]).
type LakeColumn struct {
	Name  string
	Event bool
	Path  []string
}

// Derive returns how t's rows follow from the lake, or false for the lake
// table itself and for tables not derived from it.
func Derive(t clickstream.Table) (Derivation, bool) {
	var d Derivation
	switch t.Name {
	case clickstream.SessionsTable:
	case clickstream.PageviewsTable:
		d.EventType = clickstream.PageView.String()
	case clickstream.AddtocartsTable:
		d.EventType = clickstream.AddItemToCart.String()
	case clickstream.PurchasesTable:
		d.EventType = clickstream.Purchase.String()
	default:
		return d, false
	}
	for _, f := range t.Fields {
		c := LakeColumn{Name: f.Name, Path: []string{f.Name}}
		switch {
		case d.EventType == "", f.Name == "session_key", f.Name == clickstream.ColSourceObject,
			f.Name == clickstream.ColSourceLine, f.Name == clickstream.ColRunID:
		case f.Name == "event_id":
			c.Event = true
		case f.Name == "timestamp":
			c.Event, c.Path = true, []string{"event", "timestamp"}
		default:
			c.Event, c.Path = true, []string{"event", "details", f.Name}
		}
		d.Columns = append(d.Columns, c)
	}
	return d, true
}
