package workflows_test

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/clickstream-platform/clickstream/workflows"
)

// TestReplay replays histories recorded from a real end-to-end run against
// today's workflow code: a change that would break running workflows (a
// command added, removed or reordered) fails here. Re-record them, when a
// change is deliberate and versioned, with
//
//	go test ./e2e -run TestEndToEnd -update-histories
func TestReplay(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "histories.json"))
	if err != nil {
		t.Fatal(err)
	}
	var index map[string]struct {
		WorkflowID string `json:"workflow_id"`
		RunID      string `json:"run_id"`
	}
	if err := json.Unmarshal(b, &index); err != nil {
		t.Fatal(err)
	}
	// Every recorded history: those of older workflow code (v0_*: before
	// runs set memo and search attributes) prove the version guards, the
	// others today's code. The current recordings are expected: a pipeline
	// that continued as new, its last execution, a batch, the recreate, a
	// backfill and a backfill's day.
	for _, want := range []string{"pipeline_first_execution.json", "pipeline_last_execution.json", "batch.json",
		"recreate_tables.json", "backfill.json", "backfill_day.json"} {
		if _, ok := index[want]; !ok {
			t.Errorf("%s is not in testdata/histories.json", want)
		}
	}
	for _, file := range slices.Sorted(maps.Keys(index)) {
		t.Run(file, func(t *testing.T) {
			ex := index[file]
			f, err := os.Open(filepath.Join("testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			history, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
			if err != nil {
				t.Fatal(err)
			}
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflow(workflows.PipelineWorkflow)
			r.RegisterWorkflow(workflows.BatchWorkflow)
			r.RegisterWorkflow(workflows.RecreateTablesWorkflow)
			r.RegisterWorkflow(workflows.BackfillWorkflow)
			err = r.ReplayWorkflowHistoryWithOptions(nil, history, worker.ReplayWorkflowHistoryOptions{
				OriginalExecution: workflow.Execution{ID: ex.WorkflowID, RunID: ex.RunID},
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
