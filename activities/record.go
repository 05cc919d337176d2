package activities

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"

	"github.com/clickstream-platform/clickstream/pipeline"
	"github.com/clickstream-platform/clickstream/warehouse"
)

// RecordInput is a run that failed or was cancelled, with what it had
// counted so far.
type RecordInput struct {
	RunID      string `json:"run_id"`
	WorkflowID string `json:"workflow_id"`
	Source     string `json:"source"`
	Mode       string `json:"mode"`
	From       string `json:"from,omitempty"`
	To         string `json:"to,omitempty"`
	// Status is warehouse.RunFailed or warehouse.RunCancelled.
	Status    string    `json:"status"`
	ErrorType string    `json:"error_type"`
	Error     string    `json:"error"`
	Started   time.Time `json:"started"`
	pipeline.Tally
	Executions int `json:"executions"`
}

// metricRuns counts the runs recorded, tagged by status.
const metricRuns = "clickstream_runs_total"

// maxErrorLen bounds the message recorded of a failure.
const maxErrorLen = 4000

// Record keeps a failed or cancelled run as a row of the audit table, so
// that every run is on record, whatever became of it. The workflow calls it
// from its failure path, with retries of its own.
func (a *Activities) Record(ctx context.Context, in RecordInput) error {
	stop := keepAlive(ctx)
	defer stop()
	msg := in.Error
	if len(msg) > maxErrorLen {
		msg = msg[:maxErrorLen] + "…"
	}
	err := a.Warehouse.RecordRun(ctx, warehouse.RunRecord{
		RunID: in.RunID, WorkflowID: in.WorkflowID, Source: in.Source, Mode: in.Mode, From: in.From, To: in.To,
		Status: in.Status, ErrorType: in.ErrorType, Error: msg,
		Started: in.Started, Finished: time.Now(), Tally: in.Tally, Executions: int64(in.Executions),
	})
	if err != nil {
		return classify(err)
	}
	countRun(activity.GetMetricsHandler(ctx), in.Status)
	return nil
}

// countRun counts a run recorded with status.
func countRun(h client.MetricsHandler, status string) {
	h.WithTags(map[string]string{"status": status}).Counter(metricRuns).Inc(1)
}
