package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/pipeline"
	"github.com/clickstream-platform/clickstream/warehouse"
)

// ReconcileInput is what a run counted and what its loads did.
type ReconcileInput struct {
	RunID      string `json:"run_id"`
	WorkflowID string `json:"workflow_id"`
	Source     string `json:"source"`
	Mode       string `json:"mode"`
	// From and To are the days (YYYY-MM-DD) of a run over a date range;
	// empty otherwise.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Started, TransformDone and LoadDone are when the run started, when
	// every batch was transformed and when every table was loaded; a zero
	// time is unknown (a run started before they were recorded).
	Started       time.Time `json:"started"`
	TransformDone time.Time `json:"transform_done"`
	LoadDone      time.Time `json:"load_done"`
	// ModelsDone is when the models step ended; zero for a run without.
	ModelsDone time.Time `json:"models_done,omitzero"`
	// Tally is what the run read and counted.
	pipeline.Tally
	Executions int          `json:"executions"`
	Loads      []LoadResult `json:"loads"`
	// Warnings are what the quality gates warned of.
	Warnings []string `json:"warnings,omitempty"`
}

// ReconcileResult is the run summary.
type ReconcileResult struct {
	// Rows is each table's row count after the run; RowsAdded what it gained.
	Rows      map[string]int64 `json:"rows"`
	RowsAdded map[string]int64 `json:"rows_added"`
	// Summary is the run summary's name in the staging store.
	Summary string `json:"summary"`
	// Audit is the table the run's summary was recorded in as a row, e.g.
	// clickstream_dw.pipeline_runs (project.clickstream_dw.pipeline_runs in
	// BigQuery); empty if the warehouse does not name its tables.
	Audit string `json:"audit,omitempty"`
}

// Reconcile checks that a run's counts add up end to end, writes the run
// summary, and records it as a row of the warehouse's audit table
// (warehouse.RunsTable). Every line is accounted for (SPEC.md's identities);
// every table read exactly the staged rows the manifests count, and those
// agree with the accounting; deduplication only removed rows; the lake holds
// the run's lines as its slice's rows, every staged key is in its table; and
// the warehouse holds at least the rows the loads reported (other runs may merge into a table meanwhile). Any mismatch fails the run with a non-retryable ReconcileError
// listing them all, and nothing is recorded. A retry records nothing twice:
// the audit table keeps one row per run.
func (a *Activities) Reconcile(ctx context.Context, in ReconcileInput) (ReconcileResult, error) {
	stop := keepAlive(ctx)
	defer stop()
	res, err := a.reconcile(ctx, in)
	if err != nil {
		return res, err
	}
	res.Summary, err = a.area().WriteSummary(ctx, in.RunID, struct {
		ReconcileInput
		Rows      map[string]int64 `json:"rows"`
		RowsAdded map[string]int64 `json:"rows_added"`
	}{in, res.Rows, res.RowsAdded})
	if err != nil {
		return res, classify(fmt.Errorf("writing run summary: %w", err))
	}
	if err := a.Warehouse.RecordRun(ctx, runRecord(in, res, time.Now())); err != nil {
		return res, classify(err)
	}
	countRun(activity.GetMetricsHandler(ctx), warehouse.RunSucceeded)
	if n, ok := a.Warehouse.(interface{ TableName(string) string }); ok {
		res.Audit = n.TableName(warehouse.RunsTable)
	}
	return res, nil
}

// runRecord is the audit row of a run that passed its checks at finished.
func runRecord(in ReconcileInput, res ReconcileResult, finished time.Time) warehouse.RunRecord {
	return warehouse.RunRecord{
		RunID: in.RunID, WorkflowID: in.WorkflowID, Source: in.Source, Mode: in.Mode, From: in.From, To: in.To,
		Status:  warehouse.RunSucceeded,
		Started: in.Started, TransformDone: in.TransformDone, LoadDone: in.LoadDone, ModelsDone: in.ModelsDone, Finished: finished,
		Tally: in.Tally, Executions: int64(in.Executions), Rows: res.Rows, RowsAdded: res.RowsAdded,
		BytesProcessed: bytesProcessed(in.Loads), Warnings: in.Warnings,
	}
}

// bytesProcessed is what each load's statements processed, for the loads
// whose warehouse says.
func bytesProcessed(loads []LoadResult) map[string]int64 {
	m := map[string]int64{}
	for _, l := range loads {
		if l.BytesProcessed > 0 {
			m[l.Table] = l.BytesProcessed
		}
	}
	return m
}

// reconcile runs the checks and returns the rows of every table.
func (a *Activities) reconcile(ctx context.Context, in ReconcileInput) (ReconcileResult, error) {
	var errs []error
	if err := in.Accounting.Check(); err != nil {
		errs = append(errs, err)
	}
	counts, err := a.Warehouse.Counts(ctx)
	if err != nil {
		return ReconcileResult{}, classify(fmt.Errorf("reconciling: %w", err))
	}
	res := ReconcileResult{Rows: map[string]int64{}, RowsAdded: map[string]int64{}}
	seen := map[string]bool{}
	for _, l := range in.Loads {
		t := l.Table
		seen[t] = true
		res.Rows[t], res.RowsAdded[t] = l.After, l.Added
		fail := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s: "+format, append([]any{t}, args...)...))
		}
		if want := in.Accounting.TableRows(t); l.Expected != want {
			fail("the manifests count %d staged rows, the accounting %d", l.Expected, want)
		}
		if l.Staged != l.Expected {
			fail("the warehouse read %d staged rows, the manifests count %d", l.Staged, l.Expected)
		}
		if l.Distinct > l.Staged {
			fail("%d distinct keys among %d staged rows", l.Distinct, l.Staged)
		}
		if l.Added != l.After-l.Before {
			fail("added %d rows but went from %d to %d", l.Added, l.Before, l.After)
		}
		// The lake (visits, ga4_events) keeps every copy: its rows of the
		// run's slice are the run's rows, one a lineage. A warehouse table keeps one copy a key,
		// some of them from other slices (a smaller lineage), but holds every
		// key staged.
		if tbl, _ := clickstream.LookupTable(t); tbl.Key == "" {
			if l.SliceRows != l.Distinct {
				fail("the slice holds %d rows after the load, want its %d staged lines", l.SliceRows, l.Distinct)
			}
		} else if l.SliceRows > l.Distinct {
			fail("the slice holds %d rows after the load, more than the %d distinct staged keys", l.SliceRows, l.Distinct)
		}
		if l.After < l.Distinct {
			fail("%d rows after the load, fewer than the %d distinct staged keys", l.After, l.Distinct)
		}
		if warehouse.Mode(in.Mode) == warehouse.Merge && l.Added > l.Distinct {
			fail("merge of %d distinct keys went from %d to %d rows", l.Distinct, l.Before, l.After)
		}
		// Other runs may merge into the table between this run's load and
		// the count (a backfill's days run side by side, a schedule's run
		// may overlap one), so it may hold more rows than the load left;
		// never fewer, unless rows went missing or another run replaced it.
		if got, ok := counts[t]; !ok || got < l.After {
			fail("the warehouse counts %d rows, fewer than the %d the load reported (another run replaced the table meanwhile?)", got, l.After)
		}
	}
	for _, t := range clickstream.TablesFor(in.Accounting.Format) {
		if !seen[t.Name] {
			errs = append(errs, fmt.Errorf("%s: not loaded", t.Name))
		}
	}
	if len(errs) > 0 {
		return res, classify(fmt.Errorf("run %s: %w: %w", in.RunID, errReconcile, errors.Join(errs...)))
	}
	return res, nil
}
