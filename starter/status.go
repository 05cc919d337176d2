package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/spf13/cobra"

	"github.com/clickstream-platform/clickstream/app"
	"github.com/clickstream-platform/clickstream/config"
	"github.com/clickstream-platform/clickstream/workflows"
)

// statusJSON is `starter status ID --json`.
type statusJSON struct {
	WorkflowID string         `json:"workflow_id"`
	RunID      string         `json:"run_id"`
	Type       string         `json:"type"`
	Status     string         `json:"status"`
	Started    time.Time      `json:"started"`
	Closed     time.Time      `json:"closed,omitzero"`
	Memo       map[string]any `json:"memo,omitempty"`
	// Progress is the progress query's answer while the workflow runs
	// (workflows.Progress or workflows.BackfillProgress); Result its
	// result once completed; Failure its error once failed.
	Progress json.RawMessage `json:"progress,omitempty"`
	Result   json.RawMessage `json:"result,omitempty"`
	Failure  string          `json:"failure,omitempty"`
}

func newStatusCmd() *cobra.Command {
	var asJSON bool
	var limit int
	cmd := &cobra.Command{
		Use:   "status [WORKFLOW_ID]",
		Short: "Show the progress or result of a run or backfill, or list the recent ones",
		Long: `Status with a workflow id shows that run or backfill: its progress while it runs, its
result once it completed, its error if it failed. Without one it lists the most recent runs
and backfills (PipelineWorkflow and BackfillWorkflow executions) with their state.`,
		Example: `  starter status
  starter status clickstream-backfill-source-2024-01-28-2024-01-30-0d4bb796
  starter status clickstream-scheduled-nightly-2024-01-31T02:00:00Z --json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(cmd, nil)
			if err != nil {
				return err
			}
			return withClient(cmd, cfg, func(ctx context.Context, c client.Client) error {
				if len(args) == 0 {
					return listRuns(ctx, cmd.OutOrStdout(), c, cfg, limit, asJSON)
				}
				s, err := workflowStatus(ctx, c, args[0])
				if err != nil {
					return err
				}
				if asJSON {
					enc := json.NewEncoder(cmd.OutOrStdout())
					enc.SetIndent("", "  ")
					return enc.Encode(s)
				}
				return printStatus(cmd.OutOrStdout(), cfg, s)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	cmd.Flags().IntVar(&limit, "limit", 20, "without a workflow id: how many recent runs to list")
	return cmd
}

func workflowStatus(ctx context.Context, c client.Client, id string) (statusJSON, error) {
	d, err := c.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return statusJSON{}, fmt.Errorf("no workflow %s: 'starter status' lists the recent runs", id)
		}
		return statusJSON{}, fmt.Errorf("describing %s: %w", id, err)
	}
	info := d.GetWorkflowExecutionInfo()
	s := statusJSON{
		WorkflowID: id, RunID: info.GetExecution().GetRunId(), Type: info.GetType().GetName(),
		Status:  statusName(info.GetStatus()),
		Started: info.GetStartTime().AsTime(), Memo: decodeMemo(info.GetMemo()),
	}
	if info.GetCloseTime() != nil {
		s.Closed = info.GetCloseTime().AsTime()
	}
	switch info.GetStatus() {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		if v, err := c.QueryWorkflow(ctx, id, "", workflows.ProgressQuery); err == nil {
			var raw json.RawMessage
			if v.Get(&raw) == nil {
				s.Progress = raw
			}
		}
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		var raw json.RawMessage
		if err := c.GetWorkflow(ctx, id, s.RunID).Get(ctx, &raw); err != nil {
			return s, fmt.Errorf("reading the result of %s: %w", id, err)
		}
		s.Result = raw
	default:
		if err := c.GetWorkflow(ctx, id, s.RunID).Get(ctx, nil); err != nil {
			s.Failure = app.RootCause(err)
		}
	}
	return s, nil
}

func statusName(s enumspb.WorkflowExecutionStatus) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "WORKFLOW_EXECUTION_STATUS_"))
}

func decodeMemo(m *commonpb.Memo) map[string]any {
	if len(m.GetFields()) == 0 {
		return nil
	}
	out := map[string]any{}
	for k, p := range m.GetFields() {
		var v any
		if converter.GetDefaultDataConverter().FromPayload(p, &v) == nil {
			out[k] = v
		}
	}
	return out
}

func printStatus(w io.Writer, cfg config.Config, s statusJSON) error {
	fmt.Fprintf(w, "%s %s: %s, started %s", s.Type, s.WorkflowID, s.Status, s.Started.UTC().Format(time.RFC3339))
	if !s.Closed.IsZero() {
		fmt.Fprintf(w, ", closed %s (%s)", s.Closed.UTC().Format(time.RFC3339), s.Closed.Sub(s.Started).Round(time.Millisecond))
	}
	fmt.Fprintln(w)
	if d := memoDays(s.Memo); d != "" || s.Memo["source"] != nil {
		fmt.Fprintf(w, "  %v, mode %v%s\n", s.Memo["source"], s.Memo["mode"], d)
	}
	backfill := s.Type == "BackfillWorkflow"
	switch {
	case s.Progress != nil:
		v := rawValue(s.Progress)
		render := pipelineProgress
		if backfill {
			render = backfillProgressLine
		}
		if bar, line, ok := render(v); ok {
			fmt.Fprintf(w, "  %s %s\n", bar, line)
		}
	case s.Result != nil && backfill:
		var res workflows.BackfillResult
		if err := json.Unmarshal(s.Result, &res); err != nil {
			return fmt.Errorf("decoding the result of %s: %w", s.WorkflowID, err)
		}
		printBackfillResult(w, res)
	case s.Result != nil && s.Type == "PipelineWorkflow":
		var res workflows.PipelineResult
		if err := json.Unmarshal(s.Result, &res); err != nil {
			return fmt.Errorf("decoding the result of %s: %w", s.WorkflowID, err)
		}
		printRunResult(w, cfg, res, "")
	case s.Result != nil:
		fmt.Fprintf(w, "  result: %s\n", s.Result)
	case s.Failure != "":
		fmt.Fprintf(w, "  error: %s\n", s.Failure)
	}
	return nil
}

func memoDays(m map[string]any) string {
	from, _ := m["from"].(string)
	to, _ := m["to"].(string)
	switch {
	case from == "":
		return ""
	case from == to:
		return ", day " + from
	}
	return ", days " + from + " to " + to
}

// rawValue is a JSON value standing in for a query's answer.
type rawValue json.RawMessage

func (r rawValue) HasValue() bool  { return len(r) > 0 }
func (r rawValue) Get(v any) error { return json.Unmarshal(r, v) }

func listRuns(ctx context.Context, w io.Writer, c client.Client, cfg config.Config, limit int, asJSON bool) error {
	res, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Namespace: cfg.Temporal.Namespace,
		PageSize:  int32(limit),
		Query:     "WorkflowType = 'PipelineWorkflow' OR WorkflowType = 'BackfillWorkflow'",
	})
	if err != nil {
		return fmt.Errorf("listing runs: %w", err)
	}
	type row struct {
		WorkflowID string         `json:"workflow_id"`
		Type       string         `json:"type"`
		Status     string         `json:"status"`
		Started    time.Time      `json:"started"`
		Closed     time.Time      `json:"closed,omitzero"`
		Memo       map[string]any `json:"memo,omitempty"`
	}
	var rows []row
	for _, e := range res.GetExecutions() {
		if len(rows) == limit {
			break
		}
		r := row{WorkflowID: e.GetExecution().GetWorkflowId(), Type: e.GetType().GetName(), Status: statusName(e.GetStatus()),
			Started: e.GetStartTime().AsTime(), Memo: decodeMemo(e.GetMemo())}
		if e.GetCloseTime() != nil {
			r.Closed = e.GetCloseTime().AsTime()
		}
		rows = append(rows, r)
	}
	if asJSON {
		return json.NewEncoder(w).Encode(rows)
	}
	if len(rows) == 0 {
		fmt.Fprintln(w, "No runs yet. Start one: starter run, starter backfill, or a schedule.")
		return nil
	}
	fmt.Fprintf(w, "%-20s %-10s %-9s %-12s %s\n", "STARTED (UTC)", "STATUS", "MODE", "KIND", "WORKFLOW ID")
	for _, r := range rows {
		kind := "run"
		if r.Type == "BackfillWorkflow" {
			kind = "backfill"
		} else if strings.Contains(r.WorkflowID, "/dt=") {
			kind = "backfill day"
		}
		mode, _ := r.Memo["mode"].(string)
		fmt.Fprintf(w, "%-20s %-10s %-9s %-12s %s\n", r.Started.UTC().Format(time.DateTime), r.Status, mode, kind, r.WorkflowID)
	}
	fmt.Fprintln(w, "\nDetails: starter status WORKFLOW_ID")
	return nil
}
