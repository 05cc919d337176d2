package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/pipeline"
	"github.com/clickstream-platform/clickstream/warehouse"
	"github.com/clickstream-platform/clickstream/warehouse/duckdb"
)

// `starter query` reads the audit table: every column, NULL as NULL (JSON
// null), dates as YYYY-MM-DD, timestamps in UTC.
func TestQueryPipelineRuns(t *testing.T) {
	t.Chdir(t.TempDir())
	d, err := duckdb.Open(duckdb.Options{Path: "data/warehouse.duckdb"})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2024, 2, 1, 10, 0, 0, 0, time.UTC)
	for _, r := range []warehouse.RunRecord{
		{RunID: "run-a", WorkflowID: "w", Source: "bq://p.lake.visits?from=2024-01-30&to=2024-02-01", Mode: "merge",
			From: "2024-01-30", To: "2024-02-01", Started: start, TransformDone: start.Add(time.Second),
			LoadDone: start.Add(3 * time.Second), Finished: start.Add(4*time.Second + 500*time.Microsecond),
			Tally: pipeline.Tally{Objects: 2, Accounting: clickstream.Counts{Lines: 3, SessionsValid: 3}},
			Rows:  map[string]int64{"sessions": 3}, RowsAdded: map[string]int64{"sessions": 3}},
		{RunID: "run-b", WorkflowID: "w", Source: "data/source", Mode: "replace", Finished: start.Add(time.Hour)},
	} {
		if err := d.RecordRun(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	d.Close()

	out := runInDir(t, "query", "--json", "SELECT * FROM clickstream_dw.pipeline_runs ORDER BY run_id")
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(rows) != 2 || len(rows[0]) != len(warehouse.RunsTableSchema().Fields) {
		t.Fatalf("rows %v, want 2 of %d columns", rows, len(warehouse.RunsTableSchema().Fields))
	}
	for col, want := range map[string]any{"run_id": "run-a", "from_date": "2024-01-30", "to_date": "2024-02-01",
		"started_at": "2024-02-01T10:00:00Z", "duration_ms": 4000.0, "load_ms": 2000.0, "sessions_added": 3.0, "visits_added": nil} {
		if rows[0][col] != want {
			t.Errorf("run-a: %s = %#v, want %#v", col, rows[0][col], want)
		}
	}
	if rows[1]["from_date"] != nil || rows[1]["started_at"] != nil || rows[1]["status"] != "succeeded" {
		t.Errorf("run-b: %v, want NULL dates and start, status succeeded", rows[1])
	}

	out = runInDir(t, "query", "SELECT run_id, from_date, started_at, finished_at, duration_ms FROM clickstream_dw.pipeline_runs ORDER BY run_id")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := []string{
		"run_id  from_date   started_at            finished_at                duration_ms",
		"run-a   2024-01-30  2024-02-01 10:00:00Z  2024-02-01 10:00:04.0005Z  4000",
		"run-b   NULL        NULL                  2024-02-01 11:00:00Z       NULL",
	}
	if fmt.Sprint(lines) != fmt.Sprint(want) {
		t.Errorf("table output:\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

// runInDir runs the starter in the current directory (no t.Chdir of its own).
func runInDir(t *testing.T, args ...string) string {
	t.Helper()
	cmd := newRootCmd()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	if err := cmd.Execute(); err != nil {
		t.Fatalf("starter %v: %v\n%s", args, err, errOut.String())
	}
	return out.String()
}
