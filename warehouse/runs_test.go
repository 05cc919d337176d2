package warehouse_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/warehouse"
)

// sampleRun is a run over a date range with every field set.
func sampleRun(id string) warehouse.RunRecord {
	start := time.Date(2024, 2, 1, 10, 0, 0, 0, time.UTC)
	rows, added := map[string]int64{}, map[string]int64{}
	for i, t := range clickstream.Tables() {
		rows[t.Name], added[t.Name] = int64(1000+i), int64(-i) // replace can shrink a table
	}
	return warehouse.RunRecord{
		RunID: id, WorkflowID: "clickstream-merge-abc", Source: "bq://p.clickstream_lake.visits?from=2024-01-30&to=2024-02-01",
		Mode: "merge", From: "2024-01-30", To: "2024-02-01",
		Started: start, TransformDone: start.Add(90*time.Second + 250*time.Millisecond),
		LoadDone: start.Add(2 * time.Minute), Finished: start.Add(2*time.Minute + 5*time.Second + 123456*time.Microsecond),
		Objects: 12, Bytes: 34567, Skipped: 1, Batches: 6, Executions: 2, StorageRetries: 3,
		Accounting: clickstream.Counts{Lines: 100, Blank: 2, SessionsValid: 90, SessionsRejected: 8,
			EventsSeen: 300, Pageviews: 200, Addtocarts: 60, Purchases: 30, EventsRejected: 10},
		Rows: rows, RowsAdded: added,
	}
}

// wantRunRow is the row of a record as DuckDB's Query gives it, by column:
// nil for NULL, DATE as YYYY-MM-DD, TIMESTAMP as time.Time in UTC.
func wantRunRow(r warehouse.RunRecord) map[string]any {
	orNil := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	at := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t.UTC()
	}
	ms := func(from, to time.Time) any {
		if from.IsZero() || to.IsZero() {
			return nil
		}
		return to.Sub(from).Milliseconds()
	}
	status := r.Status
	if status == "" {
		status = warehouse.RunSucceeded
	}
	c := r.Accounting
	row := map[string]any{
		"run_id": r.RunID, "workflow_id": r.WorkflowID, "source": r.Source, "mode": r.Mode,
		"from_date": orNil(r.From), "to_date": orNil(r.To), "status": status,
		"started_at": at(r.Started), "transform_done_at": at(r.TransformDone), "load_done_at": at(r.LoadDone),
		"finished_at": at(r.Finished), "duration_ms": ms(r.Started, r.Finished),
		"transform_ms": ms(r.Started, r.TransformDone), "load_ms": ms(r.TransformDone, r.LoadDone),
		"objects": r.Objects, "bytes": r.Bytes, "skipped": r.Skipped, "batches": r.Batches,
		"executions": r.Executions, "storage_retries": r.StorageRetries,
		"lines": c.Lines, "blank": c.Blank, "sessions_valid": c.SessionsValid, "sessions_rejected": c.SessionsRejected,
		"events_seen": c.EventsSeen, "pageviews": c.Pageviews, "addtocarts": c.Addtocarts, "purchases": c.Purchases,
		"events_rejected": c.EventsRejected,
	}
	for _, t := range clickstream.Tables() {
		row[t.Name+"_added"], row[t.Name+"_rows"] = nil, nil
		if n, ok := r.RowsAdded[t.Name]; ok {
			row[t.Name+"_added"] = n
		}
		if n, ok := r.Rows[t.Name]; ok {
			row[t.Name+"_rows"] = n
		}
	}
	return row
}

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
	for _, tbl := range clickstream.Tables() {
		want = append(want, tbl.Name+"_added", tbl.Name+"_rows")
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
		if f, ok := byName[name]; !ok || f.Type != clickstream.Integer || f.Mode != clickstream.Required {
			t.Errorf("Counts.%s: column %s is %+v, want INTEGER REQUIRED", ct.Field(i).Name, name, f)
		}
	}
	for name, typ := range map[string]string{
		"run_id": "STRING REQUIRED", "status": "STRING REQUIRED",
		"from_date": "DATE NULLABLE", "to_date": "DATE NULLABLE",
		"started_at": "TIMESTAMP NULLABLE", "load_done_at": "TIMESTAMP NULLABLE", "finished_at": "TIMESTAMP REQUIRED",
		"duration_ms": "INTEGER NULLABLE", "storage_retries": "INTEGER REQUIRED",
		"visits_added": "INTEGER NULLABLE", "purchase_events_rows": "INTEGER NULLABLE",
	} {
		if got := string(byName[name].Type) + " " + string(byName[name].Mode); got != typ {
			t.Errorf("%s is %s, want %s", name, got, typ)
		}
	}

	ddl := warehouse.CreateTableSQL("clickstream_dw", s)
	for _, want := range []string{
		`CREATE TABLE IF NOT EXISTS "clickstream_dw"."pipeline_runs" (`,
		`"run_id" VARCHAR NOT NULL,`, `"from_date" DATE,`, `"finished_at" TIMESTAMPTZ NOT NULL,`,
		`"duration_ms" BIGINT,`, `"purchase_events_rows" BIGINT` + "\n);",
		`COMMENT ON TABLE "clickstream_dw"."pipeline_runs" IS 'clickstream audit table pipeline_runs: one row per run_id`,
	} {
		if !strings.Contains(ddl, want) {
			t.Errorf("DDL does not say %s:\n%s", want, ddl)
		}
	}
}
