package activities_test

import (
	"context"
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/testsuite"

	"github.com/clickstream-platform/clickstream/activities"
	"github.com/clickstream-platform/clickstream/blob"
	"github.com/clickstream-platform/clickstream/staging"
	"github.com/clickstream-platform/clickstream/warehouse"
)

// countingWarehouse's Load reports a table holding `rows` rows before the
// write and none added by it, through the request's KeepBefore.
type countingWarehouse struct {
	warehouse.Warehouse
	rows int64
}

func (w *countingWarehouse) Load(ctx context.Context, req warehouse.LoadRequest) (warehouse.LoadResult, error) {
	before, err := req.KeepBefore(ctx, w.rows)
	if err != nil {
		return warehouse.LoadResult{}, err
	}
	return warehouse.LoadResult{Table: req.Table, Before: before, After: w.rows, Added: w.rows - before}, nil
}

// The Load activity keeps the count a table had when its run's load first
// got to write, so that a retry after an attempt that committed (the table
// now holds the run's rows) reports the change the run made.
func TestLoadKeepsTheCountBefore(t *testing.T) {
	store, err := blob.NewLocal(filepath.Join(t.TempDir(), "staging"))
	if err != nil {
		t.Fatal(err)
	}
	wh := &countingWarehouse{}
	a := &activities.Activities{Staging: store, Warehouse: wh}
	load := func(run string, rows int64) activities.LoadResult {
		t.Helper()
		wh.rows = rows
		var s testsuite.WorkflowTestSuite
		env := s.NewTestActivityEnvironment()
		env.RegisterActivity(a)
		v, err := env.ExecuteActivity(a.Load, activities.LoadInput{RunID: run, Table: "sessions", Mode: "merge"})
		if err != nil {
			t.Fatal(err)
		}
		var res activities.LoadResult
		if err := v.Get(&res); err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := load("run-1", 10); res.Before != 10 || res.Added != 0 {
		t.Errorf("first attempt: %+v, want Before 10", res.LoadResult)
	}
	// The first attempt committed 15 rows, then failed: the retry finds 25.
	if res := load("run-1", 25); res.Before != 10 || res.After != 25 || res.Added != 15 {
		t.Errorf("retry: %+v, want Before 10, After 25, Added 15", res.LoadResult)
	}
	if res := load("run-2", 25); res.Before != 25 || res.Added != 0 {
		t.Errorf("another run: %+v, want Before 25", res.LoadResult)
	}
	if _, err := store.Open(context.Background(), staging.LoadRecordName("run-1", "sessions")); err != nil {
		t.Errorf("the count is not kept in staging: %v", err)
	}
}
