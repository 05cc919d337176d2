package e2e

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/clickstream-platform/clickstream/harness"
	"github.com/clickstream-platform/clickstream/workflows"
)

var updateHistories = flag.Bool("update-histories", false, "rewrite the workflow histories in ../workflows/testdata from an end-to-end run")

// saveHistories writes the histories of a finished run's workflows for the
// replay tests in package workflows: the pipeline's first execution (which
// continued as new), its last one, a batch child, and the recreate workflow.
func saveHistories(t *testing.T, e *harness.Env, res workflows.PipelineResult) {
	t.Helper()
	r := newHistoryRecorder(t, e.Client)
	first := r.save("pipeline_first_execution.json", res.WorkflowID, res.RunID)
	r.save("pipeline_last_execution.json", res.WorkflowID, r.latest(res.WorkflowID))
	for _, ev := range first {
		if a := ev.GetChildWorkflowExecutionStartedEventAttributes(); a != nil && a.GetWorkflowType().GetName() == "BatchWorkflow" {
			ex := a.GetWorkflowExecution()
			r.save("batch.json", ex.GetWorkflowId(), ex.GetRunId())
			break
		}
	}
	r.save("recreate_tables.json", "clickstream-recreate-tables", r.latest("clickstream-recreate-tables"))
	r.writeIndex()
}

// historyRecorder writes workflow histories into ../workflows/testdata and
// keeps their index, histories.json, up to date.
type historyRecorder struct {
	t     *testing.T
	c     client.Client
	index map[string]map[string]string // file -> workflow_id, run_id
	file  string
}

func newHistoryRecorder(t *testing.T, c client.Client) *historyRecorder {
	t.Helper()
	root, err := harness.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	r := &historyRecorder{t: t, c: c, index: map[string]map[string]string{},
		file: filepath.Join(root, "workflows", "testdata", "histories.json")}
	if b, err := os.ReadFile(r.file); err == nil {
		if err := json.Unmarshal(b, &r.index); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// save writes the history of one execution to file and returns it.
func (r *historyRecorder) save(file, id, runID string) []*historypb.HistoryEvent {
	events, err := harness.History(context.Background(), r.c, id, runID)
	if err != nil {
		r.t.Fatal(err)
	}
	r.index[file] = map[string]string{"workflow_id": id, "run_id": runID}
	b, err := protojson.MarshalOptions{Indent: " "}.Marshal(&historypb.History{Events: events})
	if err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(r.file), file), b, 0o644); err != nil {
		r.t.Fatal(err)
	}
	return events
}

// latest is the run id of a workflow's latest execution.
func (r *historyRecorder) latest(id string) string {
	d, err := r.c.DescribeWorkflowExecution(context.Background(), id, "")
	if err != nil {
		r.t.Fatal(err)
	}
	return d.GetWorkflowExecutionInfo().GetExecution().GetRunId()
}

func (r *historyRecorder) writeIndex() {
	b, err := json.MarshalIndent(r.index, "", "  ")
	if err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(r.file, append(b, '\n'), 0o644); err != nil {
		r.t.Fatal(err)
	}
}
