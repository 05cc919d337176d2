package warehouse_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/warehouse"
)

// The audit table's columns: explicit, in a fixed order, a column per
// counter of clickstream.Counts and two per table of clickstream.Tables().
func TestRunsTableSchema(t *testing.T) {
	s := warehouse.RunsTableSchema()
	if s.Name != "pipeline_runs" || s.Dataset != clickstream.Warehouse || s.Key != "run_id" ||
		s.Partitioning != nil || len(s.Clustering) > 0 {
		t.Errorf("table %s in %s keyed by %s, partitioning %v, clustering %v; want pipeline_runs in the dw dataset keyed by run_id, neither",
			s.Name, s.Dataset, s.Key, s.Partitioning, s.Clustering)
	}
	want := []string{"run_id", "workflow_id", "source", "mode", "from_date", "to_date", "status",
		"started_at", "transform_done_at", "load_done_at", "finished_at", "duration_ms", "transform_ms", "load_ms",
		"objects", "bytes", "skipped", "batches", "executions", "storage_retries",
		"lines", "blank", "sessions_valid", "sessions_rejected", "events_seen", "pageviews", "addtocarts", "purchases", "events_rejected"}
	want = append(want, "unchanged", "error_type", "error_message", "warnings", "models_done_at", "models_ms",
		"format", "events_valid", "events_other", "events_mapping_rejected", "addtocart_rows")
	for _, tbl := range clickstream.Tables() {
		want = append(want, tbl.Name+"_added", tbl.Name+"_rows")
	}
	for _, tbl := range clickstream.Tables() {
		want = append(want, tbl.Name+"_bytes_processed")
	}
	byName := map[string]clickstream.Field{}
	var names []string
	for _, f := range s.Fields {
		names = append(names, f.Name)
		byName[f.Name] = f
		if f.Description == "" {
			t.Errorf("column %s has no description", f.Name)
		}
	}
	if !slices.Equal(names, want) {
		t.Fatalf("columns %v\nwant %v", names, want)
	}
	// Every counter of the accounting has its column.
	ct := reflect.TypeFor[clickstream.Counts]()
	for i := range ct.NumField() {
		name, _, _ := strings.Cut(ct.Field(i).Tag.Get("json"), ",")
		// GA4 input's counters came later: NULLABLE, NULL for session input.
		want := clickstream.Required
		if strings.Contains(ct.Field(i).Tag.Get("json"), "omitempty") {
			want = clickstream.Nullable
		}
		if name == "format" {
			if f, ok := byName[name]; !ok || f.Type != clickstream.String || f.Mode != clickstream.Nullable {
				t.Errorf("Counts.Format: column format is %+v, want STRING NULLABLE", f)
			}
			continue
		}
		if f, ok := byName[name]; !ok || f.Type != clickstream.Integer || f.Mode != want {
			t.Errorf("Counts.%s: column %s is %+v, want INTEGER %s", ct.Field(i).Name, name, f, want)
		}
	}
	for name, typ := range map[string]string{
		"run_id": "STRING REQUIRED", "status": "STRING REQUIRED",
		"from_date": "DATE NULLABLE", "to_date": "DATE NULLABLE",
		"started_at": "TIMESTAMP NULLABLE", "load_done_at": "TIMESTAMP NULLABLE", "finished_at": "TIMESTAMP REQUIRED",
		"duration_ms": "INTEGER NULLABLE", "storage_retries": "INTEGER REQUIRED",
		"visits_added": "INTEGER NULLABLE", "purchase_events_rows": "INTEGER NULLABLE",
		"unchanged": "INTEGER NULLABLE", "sessions_bytes_processed": "INTEGER NULLABLE",
	} {
		if got := string(byName[name].Type) + " " + string(byName[name].Mode); got != typ {
			t.Errorf("%s is %s, want %s", name, got, typ)
		}
	}
}
