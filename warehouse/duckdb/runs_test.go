package duckdb_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/pipeline"
	"github.com/clickstream-platform/clickstream/warehouse"
	"github.com/clickstream-platform/clickstream/warehouse/duckdb"
	"github.com/clickstream-platform/clickstream/warehouse/warehousetest"
)

// runRows returns pipeline_runs' rows by run_id, each by column.
func runRows(t *testing.T, d *duckdb.Warehouse) map[string]map[string]any {
	t.Helper()
	cols, rows, err := d.Query(context.Background(), "SELECT * FROM clickstream_dw.pipeline_runs")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	for _, r := range rows {
		row := map[string]any{}
		for i, c := range cols {
			row[c] = r[i]
		}
		out[fmt.Sprint(row["run_id"])] = row
	}
	return out
}

func checkRunRow(t *testing.T, got map[string]any, want warehouse.RunRecord) {
	t.Helper()
	w := warehousetest.RunRow(want)
	if len(got) != len(w) {
		t.Errorf("run %s: %d columns, want %d", want.RunID, len(got), len(w))
	}
	for _, c := range slices.Sorted(maps.Keys(w)) {
		g := got[c]
		if gt, ok := g.(time.Time); ok {
			g = gt.UTC()
		}
		if fmt.Sprintf("%T %v", g, g) != fmt.Sprintf("%T %v", w[c], w[c]) {
			t.Errorf("run %s: %s = %T %v, want %T %v", want.RunID, c, got[c], got[c], w[c], w[c])
		}
	}
}

// The audit table: created by EnsureTables, one row per run however often
// it is recorded, NULL where the record knows nothing, kept by
// RecreateTables, and left out of Counts.
func TestDuckDBRecordRun(t *testing.T) {
	d := openTemp(t)
	ctx := context.Background()
	if err := d.EnsureTables(ctx); err != nil {
		t.Fatal(err)
	}
	if got := runRows(t, d); len(got) != 0 {
		t.Fatalf("pipeline_runs after EnsureTables holds %v, want an empty table", got)
	}

	full := warehousetest.SampleRun("run-1")
	if err := d.RecordRun(ctx, full); err != nil {
		t.Fatal(err)
	}
	// A retried activity records the same run again, later: nothing changes.
	again := full
	again.Finished = full.Finished.Add(time.Minute)
	again.Objects = 99
	if err := d.RecordRun(ctx, again); err != nil {
		t.Fatal(err)
	}
	// A run not over a date range, whose milestones are unknown (a run
	// started by an older workflow), and whose maps miss a table.
	bare := warehouse.RunRecord{Tally: pipeline.Tally{Objects: 1}, RunID: "run-2", WorkflowID: "w", Source: "data/source", Mode: "replace", Finished: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), Rows: map[string]int64{"sessions": 5}, RowsAdded: map[string]int64{"sessions": 5}}
	if err := d.RecordRun(ctx, bare); err != nil {
		t.Fatal(err)
	}
	got := runRows(t, d)
	if len(got) != 2 {
		t.Fatalf("pipeline_runs holds %d rows, want 2: %v", len(got), got)
	}
	checkRunRow(t, got["run-1"], full)
	checkRunRow(t, got["run-2"], bare)
	for _, c := range []string{"from_date", "to_date", "started_at", "duration_ms", "transform_ms", "load_ms", "visits_rows", "visits_added"} {
		if got["run-2"][c] != nil {
			t.Errorf("run-2: %s = %v, want NULL", c, got["run-2"][c])
		}
	}
	if got["run-2"]["status"] != "succeeded" {
		t.Errorf("status = %v, want the default succeeded", got["run-2"]["status"])
	}
	// SQL over it: dates and durations are columns, not text.
	rows := query(t, d, `SELECT count(*) FROM clickstream_dw.pipeline_runs
		WHERE from_date <= DATE '2024-01-31' AND duration_ms = 125123 AND sessions_added + visits_added = -1`)
	if fmt.Sprint(rows) != "[[1]]" {
		t.Errorf("querying by date and duration: %v, want one run", rows)
	}

	if err := d.RecreateTables(ctx); err != nil {
		t.Fatal(err)
	}
	if got := runRows(t, d); len(got) != 2 {
		t.Errorf("after RecreateTables pipeline_runs holds %d rows, want the 2 runs kept", len(got))
	}
	c := counts(t, d)
	if names := slices.Sorted(maps.Keys(c)); len(names) != len(clickstream.Tables()) || slices.Contains(names, warehouse.RunsTable) {
		t.Errorf("Counts counts %v, want the clickstream tables only", names)
	}

	// RecreateTables creates it when missing.
	query(t, d, "DROP TABLE clickstream_dw.pipeline_runs")
	if err := d.RecreateTables(ctx); err != nil {
		t.Fatal(err)
	}
	if got := runRows(t, d); len(got) != 0 {
		t.Errorf("after drop and RecreateTables pipeline_runs holds %v, want an empty table", got)
	}
}

// RecordRun creates the table (and its schema) in a file that has none.
func TestDuckDBRecordRunCreatesTheTable(t *testing.T) {
	d, err := duckdb.Open(duckdb.Options{Path: filepath.Join(t.TempDir(), "w.duckdb"), DWDataset: "audit dw"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	r := warehousetest.SampleRun("run-x")
	if err := d.RecordRun(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if got := query(t, d, `SELECT run_id, from_date FROM "audit dw".pipeline_runs`); fmt.Sprint(got) != "[[run-x 2024-01-30]]" {
		t.Errorf("rows %v, want run-x", got)
	}
	if got := d.TableName(warehouse.RunsTable); got != "audit dw.pipeline_runs" {
		t.Errorf("TableName = %s", got)
	}
}

// A newer schema's columns (a new table's) are added to the table already
// there, its rows kept with NULL in them; a column changed by hand is an
// error wrapping ErrSchema, which RecreateTables does not mend.
func TestDuckDBRunsTableEvolves(t *testing.T) {
	d := openTemp(t)
	ctx := context.Background()
	if err := d.RecordRun(ctx, warehousetest.SampleRun("old")); err != nil {
		t.Fatal(err)
	}
	// As if the table had been created before purchase_events existed.
	query(t, d, "ALTER TABLE clickstream_dw.pipeline_runs DROP COLUMN purchase_events_added")
	query(t, d, "ALTER TABLE clickstream_dw.pipeline_runs DROP COLUMN purchase_events_rows")
	if err := d.EnsureTables(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.RecordRun(ctx, warehousetest.SampleRun("new")); err != nil {
		t.Fatal(err)
	}
	got := runRows(t, d)
	if got["old"]["purchase_events_rows"] != nil || got["old"]["visits_rows"] != int64(1000) {
		t.Errorf("the old run's row is %v, want purchase_events_rows NULL and the rest kept", got["old"])
	}
	checkRunRow(t, got["new"], warehousetest.SampleRun("new"))
	if rows := query(t, d, `SELECT comment FROM duckdb_columns() WHERE table_name = 'pipeline_runs' AND column_name = 'purchase_events_rows'`); !strings.HasPrefix(fmt.Sprint(rows), "[[Rows purchase_events held") {
		t.Errorf("the added column's comment is %v", rows)
	}

	query(t, d, "ALTER TABLE clickstream_dw.pipeline_runs ALTER objects TYPE VARCHAR")
	for name, op := range map[string]func(context.Context) error{
		"EnsureTables": d.EnsureTables, "RecreateTables": d.RecreateTables,
		"RecordRun": func(ctx context.Context) error { return d.RecordRun(ctx, warehousetest.SampleRun("third")) },
	} {
		err := op(ctx)
		if !errors.Is(err, warehouse.ErrSchema) || !strings.Contains(err.Error(), "column objects VARCHAR NOT NULL, want objects BIGINT NOT NULL") ||
			!strings.Contains(err.Error(), "clickstream_dw.pipeline_runs") {
			t.Errorf("%s: %v, want ErrSchema naming the column", name, err)
		}
	}
	if got := runRows(t, d); len(got) != 2 {
		t.Errorf("pipeline_runs holds %d rows, want 2", len(got))
	}
}

func TestDuckDBRecordRunRefuses(t *testing.T) {
	d := openTemp(t)
	ctx := context.Background()
	for _, tt := range []struct {
		name        string
		rec         warehouse.RunRecord
		schema      bool
		errContains string
	}{
		{"no run id", warehouse.RunRecord{}, false, "RunID is required"},
		{"bad day", warehouse.RunRecord{RunID: "r", From: "2024-1-30"}, true, `From "2024-1-30" is not a date YYYY-MM-DD`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := d.RecordRun(ctx, tt.rec)
			if err == nil || !strings.Contains(err.Error(), tt.errContains) || errors.Is(err, warehouse.ErrSchema) != tt.schema {
				t.Errorf("RecordRun: %v, want an error saying %q (ErrSchema: %v)", err, tt.errContains, tt.schema)
			}
		})
	}
	if err := d.EnsureTables(ctx); err != nil {
		t.Fatal(err)
	}
	ro, err := duckdb.Open(duckdb.Options{Path: d.Path(), ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if err := ro.RecordRun(ctx, warehousetest.SampleRun("r")); !errors.Is(err, warehouse.ErrReadOnly) {
		t.Errorf("RecordRun read-only: %v, want ErrReadOnly", err)
	}
}
