package resilience

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/clickstream-platform/clickstream/activities"
	"github.com/clickstream-platform/clickstream/app"
	"github.com/clickstream-platform/clickstream/config"
	"github.com/clickstream-platform/clickstream/pipeline"
	"github.com/clickstream-platform/clickstream/sampledata"
	"github.com/clickstream-platform/clickstream/warehouse"
	"github.com/clickstream-platform/clickstream/warehouse/duckdb"
	"github.com/clickstream-platform/clickstream/workflows"
)

// flakyWarehouse wraps a warehouse, counting Load calls per run and table.
// With failAfterCommit, the first Load of each run and table does the load
// and then fails with a transient error, as a connection lost after the
// commit would: the data is in, the activity does not know it, and its
// retry must not add it twice. before, if set, runs before each Load.
type flakyWarehouse struct {
	warehouse.Warehouse
	failAfterCommit bool
	before          func(req *warehouse.LoadRequest) error

	mu    sync.Mutex
	calls map[string]int // run/table -> Load calls
}

func (f *flakyWarehouse) Load(ctx context.Context, req warehouse.LoadRequest) (warehouse.LoadResult, error) {
	f.mu.Lock()
	key := req.RunID + "/" + req.Table
	f.calls[key]++
	first := f.calls[key] == 1
	f.mu.Unlock()
	if f.before != nil {
		if err := f.before(&req); err != nil {
			return warehouse.LoadResult{}, err
		}
	}
	res, err := f.Warehouse.Load(ctx, req)
	if err == nil && first && f.failAfterCommit {
		return warehouse.LoadResult{}, fmt.Errorf("loading %s: injected: the connection was lost after the load committed", req.Table)
	}
	return res, err
}

// Calls returns the Load calls of a run (of every run if runID is "") for
// each table.
func (f *flakyWarehouse) Calls(runID string) map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for k, n := range f.calls {
		if run, table, _ := strings.Cut(k, "/"); runID == "" || run == runID {
			out[table] += n
		}
	}
	return out
}

// whWorker is a worker in this process over its own task queue and DuckDB
// file, with a flakyWarehouse in front of the warehouse.
type whWorker struct {
	queue, db string
	wh        *flakyWarehouse
}

// startWarehouseWorker starts an in-process worker on queue over the env's
// folders and the DuckDB file db.
func startWarehouseWorker(t *testing.T, e *Env, queue, db string, wh *flakyWarehouse) *whWorker {
	t.Helper()
	ctx := context.Background()
	cfg := config.Default()
	cfg.Source.URI = e.Vars["CLICKSTREAM_SOURCE_URI"]
	cfg.Staging.URI = e.Vars["CLICKSTREAM_STAGING_URI"]
	cfg.DeadLetter.URI = e.Vars["CLICKSTREAM_DEADLETTER_URI"]
	cfg.Warehouse.DuckDB.Path = db
	cfg.Temporal.TaskQueue = queue
	stores := &app.Stores{}
	real, err := app.OpenWarehouse(ctx, cfg, stores)
	if err != nil {
		t.Fatal(err)
	}
	wh.Warehouse = real
	wh.calls = map[string]int{}
	a, err := app.NewActivities(ctx, cfg, wh, stores)
	if err != nil {
		t.Fatal(err)
	}
	w := worker.New(e.Client, queue, worker.Options{})
	app.Register(w, a)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		w.Stop()
		real.Close()
		stores.Close()
	})
	return &whWorker{queue: queue, db: db, wh: wh}
}

// run runs a pipeline on the worker's queue and waits for its end.
func (w *whWorker) run(t *testing.T, e *Env, id string, in workflows.PipelineInput) (workflows.PipelineResult, error) {
	t.Helper()
	run, err := e.Client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: id, TaskQueue: w.queue},
		workflows.PipelineWorkflow, in)
	if err != nil {
		t.Fatal(err)
	}
	return e.Wait(run, 3*time.Minute)
}

// digests returns the Digests of the worker's DuckDB file.
func (w *whWorker) digests(e *Env) map[string]string {
	e.Vars["CLICKSTREAM_WAREHOUSE_DUCKDB_PATH"] = w.db
	return e.Digests("run_id")
}

// TestWarehouseTransientFaults: every table's first load of a run commits
// and then fails transiently. The retried loads leave the tables, and the
// run's report, as a run without faults does: in replace mode, and in merge
// mode over tables already loaded.
func TestWarehouseTransientFaults(t *testing.T) {
	e := NewEnv(t)
	opts := sampledata.Options{Files: 6, Sessions: 3000, Days: 2, Seed: 41, InvalidRate: 0.05, DuplicateRate: 0.15}
	if *long {
		opts = sampledata.Options{Files: 16, Sessions: 40000, Days: 4, Seed: 42, InvalidRate: 0.05, DuplicateRate: 0.2}
	}
	sum := e.Generate(opts)
	src := e.Vars["CLICKSTREAM_SOURCE_URI"]
	days, err := os.ReadDir(src)
	if err != nil || len(days) < 2 {
		t.Fatalf("generated day folders %v: %v", days, err)
	}
	firstDay, lastDay := filepath.Join(src, days[0].Name()), filepath.Join(src, days[len(days)-1].Name())

	clean := startWarehouseWorker(t, e, "wh-clean", filepath.Join(e.Dir, "clean.duckdb"), &flakyWarehouse{})
	faulty := startWarehouseWorker(t, e, "wh-faulty", filepath.Join(e.Dir, "faulty.duckdb"), &flakyWarehouse{failAfterCommit: true})

	steps := []struct {
		name string
		in   workflows.PipelineInput
	}{
		// The first day alone into empty tables, then everything merged
		// over it: the second run's tables already hold some of its keys.
		{"replace", workflows.PipelineInput{Settings: pipeline.Settings{Source: firstDay, Mode: "replace", BatchObjects: 2}}},
		{"merge", workflows.PipelineInput{Settings: pipeline.Settings{Source: src, Mode: "merge", BatchObjects: 2}}},
		// The same input again: nothing to add.
		{"merge again", workflows.PipelineInput{Settings: pipeline.Settings{Source: src, Mode: "merge", BatchObjects: 2}}},
		// The last day alone, a source and so a slice of its own.
		{"replace last day", workflows.PipelineInput{Settings: pipeline.Settings{Source: lastDay, Mode: "replace", BatchObjects: 2}}},
	}
	for _, step := range steps {
		want, err := clean.run(t, e, "clean "+step.name, step.in)
		if err != nil {
			t.Fatalf("%s without faults: %v", step.name, err)
		}
		start := time.Now()
		got, err := faulty.run(t, e, "faulty "+step.name, step.in)
		if err != nil {
			t.Fatalf("%s with faults: %v", step.name, err)
		}
		t.Logf("%s: %v with faults; rows added %v", step.name, time.Since(start).Round(time.Millisecond), got.RowsAdded)
		calls := faulty.wh.Calls(got.RunID)
		if len(calls) != 5 {
			t.Errorf("%s: loads %v, want every table's", step.name, calls)
		}
		for table, n := range calls {
			if n != 2 {
				t.Errorf("%s: %s loaded %d times, want 2 (the failed attempt and its retry)", step.name, table, n)
			}
		}
		if g, w := faulty.digests(e), clean.digests(e); fmt.Sprint(g) != fmt.Sprint(w) {
			t.Errorf("%s: tables with faults differ from those without:\n faults %v\n clean  %v", step.name, g, w)
		}
		if fmt.Sprint(got.Rows) != fmt.Sprint(want.Rows) {
			t.Errorf("%s: rows with faults %v, without %v", step.name, got.Rows, want.Rows)
		}
		if fmt.Sprint(got.RowsAdded) != fmt.Sprint(want.RowsAdded) {
			t.Errorf("%s: rows added with faults %v, without %v", step.name, got.RowsAdded, want.RowsAdded)
		}
		if step.in.Source == src {
			distinct := map[string]int64{"visits": sum.Expected.SessionsValid, "sessions": sum.DistinctSessions,
				"pageview_events": sum.DistinctPageviews, "addtocart_events": sum.DistinctAddtocarts, "purchase_events": sum.DistinctPurchases}
			if fmt.Sprint(got.Rows) != fmt.Sprint(distinct) {
				t.Errorf("%s: rows %v, the generator's distinct rows %v", step.name, got.Rows, distinct)
			}
		}
	}
}

// TestWarehousePermanentFaults: a load the warehouse refuses fails the run
// at once, with a non-retryable SchemaError naming the table and the cause,
// after one attempt.
func TestWarehousePermanentFaults(t *testing.T) {
	e := NewEnv(t)
	e.Generate(sampledata.Options{Files: 4, Sessions: 1000, Seed: 43, InvalidRate: 0.05, DuplicateRate: 0.1})
	tests := []struct {
		name    string
		table   string
		prepare func(t *testing.T, db string)      // the warehouse before the run
		before  func(*warehouse.LoadRequest) error // each load, before the warehouse's
		says    []string
	}{
		{
			// Someone changed a column's type by hand.
			name:  "table schema changed",
			table: "sessions",
			prepare: func(t *testing.T, db string) {
				d, err := duckdb.Open(duckdb.Options{Path: db})
				if err != nil {
					t.Fatal(err)
				}
				defer d.Close()
				ctx := context.Background()
				if err := d.EnsureTables(ctx); err != nil {
					t.Fatal(err)
				}
				if _, _, err := d.Query(ctx, "ALTER TABLE clickstream_dw.sessions ALTER geolocation TYPE INTEGER"); err != nil {
					t.Fatal(err)
				}
			},
			says: []string{"clickstream_dw.sessions", "geolocation INTEGER, want geolocation VARCHAR", "recreate"},
		},
		{
			// A staged file whose rows do not fit the table (a worker of
			// another version, say): a timestamp that is none.
			name:  "staged file refused",
			table: "pageview_events",
			before: func(req *warehouse.LoadRequest) error {
				if req.Table != "pageview_events" || len(req.Files) == 0 {
					return nil
				}
				b, err := os.ReadFile(req.Files[0])
				if err != nil {
					return err
				}
				line, rest, _ := strings.Cut(string(b), "\n")
				i := strings.Index(line, `"timestamp":"`)
				if i < 0 {
					return fmt.Errorf("no timestamp in %s", line)
				}
				i += len(`"timestamp":"`)
				line = line[:i] + "yesterday" + line[i+strings.IndexByte(line[i:], '"'):]
				return os.WriteFile(req.Files[0], []byte(line+"\n"+rest), 0o644)
			},
			says: []string{"clickstream_dw.pageview_events", "yesterday"},
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := filepath.Join(e.Dir, fmt.Sprintf("permanent-%d.duckdb", i))
			if tt.prepare != nil {
				tt.prepare(t, db)
			}
			w := startWarehouseWorker(t, e, fmt.Sprintf("wh-permanent-%d", i), db, &flakyWarehouse{before: tt.before})
			start := time.Now()
			// NDJSON, so that a staged row can be spoiled by editing its text.
			res, err := w.run(t, e, "permanent "+tt.name, workflows.PipelineInput{Settings: pipeline.Settings{Mode: "replace", BatchObjects: 2, StagingFormat: "ndjson"}})
			elapsed := time.Since(start)
			if err == nil {
				t.Fatalf("the run succeeded: %+v", res)
			}
			t.Logf("failed after %v: %v", elapsed.Round(time.Millisecond), err)
			if elapsed > 30*time.Second {
				t.Errorf("the run took %v to fail, want it to fail fast", elapsed)
			}
			appErr := findApplicationError(err, activities.ErrSchema)
			if appErr == nil {
				t.Fatalf("no %s among the causes of %v", activities.ErrSchema, err)
			}
			if !appErr.NonRetryable() {
				t.Errorf("%v is retryable", appErr)
			}
			for _, s := range tt.says {
				if !strings.Contains(appErr.Error(), s) {
					t.Errorf("error %q does not say %q", appErr.Error(), s)
				}
			}
			if n := w.wh.Calls("")[tt.table]; n != 1 {
				t.Errorf("%s loaded %d times, want once", tt.table, n)
			}
		})
	}
}

// findApplicationError returns the first application error of type typ in
// err's chain of causes: a failed workflow wraps its activity's error in
// errors of its own.
func findApplicationError(err error, typ string) *temporal.ApplicationError {
	for err != nil {
		var appErr *temporal.ApplicationError
		if !errors.As(err, &appErr) {
			return nil
		}
		if appErr.Type() == typ {
			return appErr
		}
		err = appErr.Unwrap()
	}
	return nil
}
