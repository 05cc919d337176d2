package warehouse_test

import (
	"strings"
	"testing"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/warehouse"
)

// TestDeriveNamesLakeFields: every column of every warehouse table comes
// from a field the lake's visits schema has, of the same type, so that the
// warehouse can always be derived again from the lake.
func TestDeriveNamesLakeFields(t *testing.T) {
	visits, _ := clickstream.LookupTable(clickstream.VisitsTable)
	var events clickstream.Field
	for _, f := range visits.Fields {
		if f.Name == "events" {
			events = f
		}
	}
	for _, table := range clickstream.Tables() {
		d, ok := warehouse.Derive(table)
		if table.Key == "" { // the lake's tables
			if ok {
				t.Errorf("the lake table %s is derived from the lake", table.Name)
			}
			continue
		}
		if !ok {
			t.Fatalf("%s is not derived from the lake", table.Name)
		}
		if len(d.Columns) != len(table.Fields) {
			t.Fatalf("%s: %d columns derived, the table has %d", table.Name, len(d.Columns), len(table.Fields))
		}
		for i, c := range d.Columns {
			want := table.Fields[i]
			fields := visits.Fields
			if c.Event {
				fields = events.Fields
			}
			var got *clickstream.Field
			for _, name := range c.Path {
				got = nil
				for j := range fields {
					if fields[j].Name == name {
						got = &fields[j]
					}
				}
				if got == nil {
					t.Fatalf("%s.%s: the lake has no field %s", table.Name, want.Name, strings.Join(c.Path, "."))
				}
				fields = got.Fields
			}
			if c.Name != want.Name || got.Type != want.Type || (got.Mode == clickstream.Repeated) != (want.Mode == clickstream.Repeated) {
				t.Errorf("%s.%s (%s %s) derives from %s (%s %s)", table.Name, want.Name, want.Type, want.Mode, strings.Join(c.Path, "."), got.Type, got.Mode)
			}
		}
	}
}
