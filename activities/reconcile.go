package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/warehouse"
)

// ReconcileInput is what a run counted and what its loads did.
type ReconcileInput struct {
	RunID      string             `json:"run_id"`
	WorkflowID string             `json:"workflow_id"`
	Source     string             `json:"source"`
	Mode       string             `json:"mode"`
	Accounting clickstream.Counts `json:"accounting"`
	Objects    int                `json:"objects"`
	Bytes      int64              `json:"bytes"`
	Batches    int                `json:"batches"`
	Loads      []LoadResult       `json:"loads"`
}

// ReconcileResult is the run summary.
type ReconcileResult struct {
	// Rows is each table's row count after the run; RowsAdded what it gained.
	Rows      map[string]int64 `json:"rows"`
	RowsAdded map[string]int64 `json:"rows_added"`
	// Summary is the run summary's name in the staging store.
	Summary string `json:"summary"`
}

// Reconcile checks that a run's counts add up end to end, and writes the run
// summary. Every line is accounted for (SPEC.md's identities); every table
// read exactly the staged rows the manifests count, and those agree with
// the accounting; deduplication only removed rows; each table holds what its
// mode says; and the warehouse's own counts agree with the loads. Any
// mismatch fails the run with a non-retryable ReconcileError listing them all.
func (a *Activities) Reconcile(ctx context.Context, in ReconcileInput) (ReconcileResult, error) {
	stop := keepAlive(ctx)
	defer stop()
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
		switch warehouse.Mode(in.Mode) {
		case warehouse.Replace:
			if l.After != l.Distinct {
				fail("replace left %d rows, want the %d distinct staged keys", l.After, l.Distinct)
			}
		case warehouse.Merge:
			if l.Added < 0 || l.Added > l.Distinct || l.After < l.Distinct {
				fail("merge of %d distinct keys went from %d to %d rows", l.Distinct, l.Before, l.After)
			}
		}
		if got, ok := counts[t]; !ok || got != l.After {
			fail("the warehouse counts %d rows, the load reported %d", got, l.After)
		}
	}
	for _, t := range clickstream.Tables() {
		if !seen[t.Name] {
			errs = append(errs, fmt.Errorf("%s: not loaded", t.Name))
		}
	}
	if len(errs) > 0 {
		return res, classify(fmt.Errorf("run %s: %w: %w", in.RunID, errReconcile, errors.Join(errs...)))
	}
	res.Summary = path.Join(in.RunID, "summary.json")
	if err := a.writeSummary(ctx, res.Summary, in, res); err != nil {
		return res, err
	}
	return res, nil
}

func (a *Activities) writeSummary(ctx context.Context, name string, in ReconcileInput, res ReconcileResult) error {
	b, err := json.MarshalIndent(struct {
		ReconcileInput
		Rows      map[string]int64 `json:"rows"`
		RowsAdded map[string]int64 `json:"rows_added"`
	}{in, res.Rows, res.RowsAdded}, "", "  ")
	if err != nil {
		return err
	}
	w, err := a.Staging.Create(ctx, name)
	if err != nil {
		return classify(fmt.Errorf("writing run summary: %w", err))
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		w.Abort()
		return fmt.Errorf("writing run summary: %w", err)
	}
	return w.Close()
}
