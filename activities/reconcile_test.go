package activities_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/clickstream-platform/clickstream/activities"
	"github.com/clickstream-platform/clickstream/blob"
	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/pipeline"
	"github.com/clickstream-platform/clickstream/warehouse"
	"github.com/clickstream-platform/clickstream/warehouse/duckdb"
	"github.com/clickstream-platform/clickstream/warehouse/warehousetest"
)

// loadedRun transforms a few lines (a duplicate, a blank and a rejected
// one among them) with the real transform, loads them into a real DuckDB
// warehouse in replace mode, and returns the Reconcile input of that run.
func loadedRun(t *testing.T, d *duckdb.Warehouse, runID string) activities.ReconcileInput {
	t.Helper()
	pv := func(ts, url string) string {
		return fmt.Sprintf(`{"event":{"event_type":"page_view","timestamp":%q,"details":{"page_url":%q}}}`, ts, url)
	}
	lines := strings.Join([]string{
		`{"session_id":"s1","user_id":"u1","device_type":"mobile","events":[` + pv("2024-01-30T10:00:00Z", "/a") + `,` +
			`{"event":{"event_type":"add_item_to_cart","timestamp":"2024-01-30T10:01:00Z","details":{"product_id":"P1","price":9.5,"quantity":1}}}]}`,
		`{"session_id":"s1","user_id":"u1","device_type":"mobile","events":[` + pv("2024-01-30T10:00:00Z", "/a") + `]}`,
		``,
		`{"session_id":"s2","user_id":"u2","device_type":"desktop","events":[` + pv("2024-01-31T08:00:00Z", "/b") + `,{"event":{"event_type":"nope"}}]}`,
		`not json`,
	}, "\n") + "\n"
	tr, err := clickstream.NewTransformer(clickstream.Options{RunID: runID})
	if err != nil {
		t.Fatal(err)
	}
	bufs := map[string]*bytes.Buffer{}
	for _, tbl := range clickstream.Tables() {
		bufs[tbl.Name] = new(bytes.Buffer)
	}
	counts, err := tr.Transform(context.Background(), strings.NewReader(lines), "data/source/a.jsonl", clickstream.Outputs{
		Visits: bufs[clickstream.VisitsTable], Sessions: bufs[clickstream.SessionsTable], Pageviews: bufs[clickstream.PageviewsTable],
		Addtocarts: bufs[clickstream.AddtocartsTable], Purchases: bufs[clickstream.PurchasesTable], DeadLetter: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in := activities.ReconcileInput{Tally: pipeline.Tally{Accounting: counts, Objects: 1, Bytes: int64(len(lines)), Batches: 1}, RunID: runID, WorkflowID: "clickstream-replace-test", Source: "data/source", Mode: "replace", Executions: 1}
	for _, tbl := range clickstream.Tables() {
		file := filepath.Join(dir, tbl.Name+".ndjson")
		if err := os.WriteFile(file, bufs[tbl.Name].Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		wr, err := d.Load(context.Background(), warehouse.LoadRequest{Table: tbl.Name, Files: []string{file}, Mode: warehouse.Replace, RunID: runID, Slice: warehousetest.SliceFor(warehouse.Replace)})
		if err != nil {
			t.Fatal(err)
		}
		in.Loads = append(in.Loads, activities.LoadResult{LoadResult: wr, Expected: counts.TableRows(tbl.Name), Files: 1})
	}
	return in
}

func reconcile(t *testing.T, a *activities.Activities, in activities.ReconcileInput) (activities.ReconcileResult, error) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	v, err := env.ExecuteActivity(a.Reconcile, in)
	if err != nil {
		return activities.ReconcileResult{}, err
	}
	var res activities.ReconcileResult
	if err := v.Get(&res); err != nil {
		t.Fatal(err)
	}
	return res, nil
}

func newReconcileFixture(t *testing.T) (*activities.Activities, *duckdb.Warehouse) {
	t.Helper()
	staging, err := blob.NewLocal(filepath.Join(t.TempDir(), "staging"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := duckdb.Open(duckdb.Options{Path: filepath.Join(t.TempDir(), "warehouse.duckdb")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return &activities.Activities{Staging: staging, Warehouse: d}, d
}

// runRow returns the audit row of a run, by column, or nil.
func runRow(t *testing.T, d *duckdb.Warehouse, runID string) map[string]any {
	t.Helper()
	cols, rows, err := d.Query(context.Background(),
		fmt.Sprintf("SELECT * FROM clickstream_dw.pipeline_runs WHERE run_id = '%s'", runID))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) > 1 {
		t.Fatalf("%d rows of run %s, want one", len(rows), runID)
	}
	if len(rows) == 0 {
		return nil
	}
	row := map[string]any{}
	for i, c := range cols {
		row[c] = rows[0][i]
	}
	return row
}

// A run whose checks pass is recorded in pipeline_runs, once however often
// Reconcile runs; one whose checks fail is not.
func TestReconcileRecordsTheRun(t *testing.T) {
	a, d := newReconcileFixture(t)
	in := loadedRun(t, d, "run-1")
	if in.Accounting.SessionsRejected == 0 || in.Accounting.Blank == 0 || in.Accounting.EventsRejected == 0 {
		t.Fatalf("the input proves too little: %+v", in.Accounting)
	}
	start := time.Date(2024, 2, 1, 10, 0, 0, 0, time.UTC)
	in.From, in.To = "2024-01-30", "2024-01-31"
	in.Started, in.TransformDone, in.LoadDone = start, start.Add(1500*time.Millisecond), start.Add(4*time.Second)
	in.Skipped, in.Executions, in.StorageRetries = 2, 3, 4

	before := time.Now().Truncate(time.Microsecond)
	res, err := reconcile(t, a, in)
	if err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	if res.Audit != "clickstream_dw.pipeline_runs" || res.Summary != "run-1/summary.json" {
		t.Errorf("result says audit %q, summary %q", res.Audit, res.Summary)
	}
	row := runRow(t, d, "run-1")
	if row == nil {
		t.Fatal("no audit row after a passing reconcile")
	}
	c := in.Accounting
	want := map[string]any{
		"run_id": "run-1", "workflow_id": "clickstream-replace-test", "source": "data/source", "mode": "replace",
		"from_date": "2024-01-30", "to_date": "2024-01-31", "status": "succeeded",
		"started_at": start, "transform_done_at": start.Add(1500 * time.Millisecond), "load_done_at": start.Add(4 * time.Second),
		"transform_ms": int64(1500), "load_ms": int64(2500),
		"objects": int64(1), "bytes": in.Bytes, "skipped": int64(2), "batches": int64(1), "executions": int64(3), "storage_retries": int64(4),
		"lines": c.Lines, "blank": c.Blank, "sessions_valid": c.SessionsValid, "sessions_rejected": c.SessionsRejected,
		"events_seen": c.EventsSeen, "pageviews": c.Pageviews, "addtocarts": c.Addtocarts, "purchases": c.Purchases,
		"events_rejected": c.EventsRejected,
	}
	for _, l := range in.Loads {
		want[l.Table+"_rows"], want[l.Table+"_added"] = l.After, l.Added
	}
	for col, w := range want {
		if g := row[col]; fmt.Sprint(g) != fmt.Sprint(w) {
			t.Errorf("%s = %v, want %v", col, g, w)
		}
	}
	// Two sessions, a duplicated page view: what the loads said.
	if row["sessions_rows"] != int64(2) || row["pageview_events_rows"] != int64(2) || row["purchase_events_added"] != int64(0) {
		t.Errorf("sessions_rows %v, pageview_events_rows %v, purchase_events_added %v; want 2, 2, 0",
			row["sessions_rows"], row["pageview_events_rows"], row["purchase_events_added"])
	}
	finished, _ := row["finished_at"].(time.Time)
	if finished.Before(before) || finished.After(after) {
		t.Errorf("finished_at %v, want the time of the activity (%v to %v)", finished, before, after)
	}
	if ms, _ := row["duration_ms"].(int64); ms != finished.Sub(start).Milliseconds() {
		t.Errorf("duration_ms = %v, want finished_at - started_at = %d", row["duration_ms"], finished.Sub(start).Milliseconds())
	}

	// The activity retried: the row stays as it was.
	if _, err := reconcile(t, a, in); err != nil {
		t.Fatal(err)
	}
	if again := runRow(t, d, "run-1"); fmt.Sprint(again) != fmt.Sprint(row) {
		t.Errorf("a retried reconcile changed the audit row:\n%v\nwant\n%v", again, row)
	}

	// An input of an older workflow knows no dates nor milestones: NULL.
	old := in
	old.RunID, old.From, old.To, old.Started, old.TransformDone, old.LoadDone = "run-old", "", "", time.Time{}, time.Time{}, time.Time{}
	if _, err := reconcile(t, a, old); err != nil {
		t.Fatal(err)
	}
	row = runRow(t, d, "run-old")
	for _, col := range []string{"from_date", "to_date", "started_at", "transform_done_at", "load_done_at", "duration_ms", "transform_ms", "load_ms"} {
		if row[col] != nil {
			t.Errorf("run-old: %s = %v, want NULL", col, row[col])
		}
	}

	// Counts that do not add up: the run fails, and is not recorded.
	bad := loadedRun(t, d, "run-bad")
	bad.Accounting.Lines++
	_, err = reconcile(t, a, bad)
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != activities.ErrReconcile {
		t.Fatalf("reconcile of bad counts: %v, want a ReconcileError", err)
	}
	if row := runRow(t, d, "run-bad"); row != nil {
		t.Errorf("a failed reconcile was recorded: %v", row)
	}
}

// failingRecord is a warehouse whose RecordRun fails with err.
type failingRecord struct {
	*duckdb.Warehouse
	err error
}

func (f failingRecord) RecordRun(context.Context, warehouse.RunRecord) error { return f.err }

// A failure to record the run fails the activity, classified: retryable
// unless retrying cannot help.
func TestReconcileRecordFailure(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		typ  string // "": retryable
	}{
		{"transient", errors.New("recording run: connection reset"), ""},
		{"schema", fmt.Errorf("recording run: %w: column objects VARCHAR", warehouse.ErrSchema), activities.ErrSchema},
		{"permission", fmt.Errorf("recording run: %w", warehouse.ErrPermission), activities.ErrConfig},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, d := newReconcileFixture(t)
			in := loadedRun(t, d, "run-1")
			a.Warehouse = failingRecord{d, tt.err}
			_, err := reconcile(t, a, in)
			var appErr *temporal.ApplicationError
			if !errors.As(err, &appErr) || !strings.Contains(err.Error(), tt.err.Error()) {
				t.Fatalf("reconcile: %v, want the record's error", err)
			}
			if appErr.Type() != tt.typ && tt.typ != "" || appErr.NonRetryable() != (tt.typ != "") {
				t.Errorf("reconcile: type %q, non-retryable %v; want type %q", appErr.Type(), appErr.NonRetryable(), tt.typ)
			}
		})
	}
}
