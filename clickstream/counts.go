package clickstream

import "fmt"

// Counts is SPEC.md's accounting for one source object or, summed, for a run.
// Its JSON form is the contract of `starter transform --json` and of the run summaries.
type Counts struct {
	Lines            int64 `json:"lines"`
	Blank            int64 `json:"blank"`
	SessionsValid    int64 `json:"sessions_valid"`
	SessionsRejected int64 `json:"sessions_rejected"`
	EventsSeen       int64 `json:"events_seen"`
	Pageviews        int64 `json:"pageviews"`
	Addtocarts       int64 `json:"addtocarts"`
	Purchases        int64 `json:"purchases"`
	EventsRejected   int64 `json:"events_rejected"`
}

// Add adds o to c field by field.
func (c *Counts) Add(o Counts) {
	c.Lines += o.Lines
	c.Blank += o.Blank
	c.SessionsValid += o.SessionsValid
	c.SessionsRejected += o.SessionsRejected
	c.EventsSeen += o.EventsSeen
	c.Pageviews += o.Pageviews
	c.Addtocarts += o.Addtocarts
	c.Purchases += o.Purchases
	c.EventsRejected += o.EventsRejected
}

// Check reports whether the two identities of SPEC.md's accounting hold:
// every line is blank, a valid session or a rejected one, and every event of a
// valid session is in exactly one event table or rejected.
func (c Counts) Check() error {
	if got := c.Blank + c.SessionsValid + c.SessionsRejected; got != c.Lines {
		return fmt.Errorf("%w: lines=%d but blank+sessions_valid+sessions_rejected=%d (%d+%d+%d)",
			ErrAccounting, c.Lines, got, c.Blank, c.SessionsValid, c.SessionsRejected)
	}
	if got := c.Pageviews + c.Addtocarts + c.Purchases + c.EventsRejected; got != c.EventsSeen {
		return fmt.Errorf("%w: events_seen=%d but pageviews+addtocarts+purchases+events_rejected=%d (%d+%d+%d+%d)",
			ErrAccounting, c.EventsSeen, got, c.Pageviews, c.Addtocarts, c.Purchases, c.EventsRejected)
	}
	return nil
}

// TableRows is how many staged rows of table the counts stand for: one per
// valid session in visits and sessions, one per event in its event table.
func (c Counts) TableRows(table string) int64 {
	switch table {
	case VisitsTable, SessionsTable:
		return c.SessionsValid
	case PageviewsTable:
		return c.Pageviews
	case AddtocartsTable:
		return c.Addtocarts
	case PurchasesTable:
		return c.Purchases
	}
	return 0
}
