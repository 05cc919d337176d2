package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/clickstream-platform/clickstream/activities"
	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/pipeline"
)

// DefaultBackfillParallel is how many days a backfill runs at once unless
// its input says otherwise.
const DefaultBackfillParallel = 2

// MaxBackfillParallel is the most days a backfill runs at once. BigQuery
// queues at most 20 mutating DML statements per table and fails the others
// ("Too many DML statements outstanding", Transform data with DML, "UPDATE,
// DELETE, MERGE DML concurrency"). A day's run writes each table with one
// write at a time (a load is one activity, its statements one script, run
// one after the other), and a load retried after its worker was lost may
// leave the earlier attempt's write running: two a day at most. Eight days
// thus queue at most 16 on a table, leaving room for a schedule's run and
// one more besides. More days at once would not load faster anyway: BigQuery
// commits one transaction a table at a time and cancels the others, which
// are run again.
const MaxBackfillParallel = 8

// BackfillInput is a backfill's input: {"from": "2024-01-28", "to":
// "2024-01-30"} is enough.
type BackfillInput struct {
	// From and To (YYYY-MM-DD) are the first and last day. Required.
	From string `json:"from"`
	To   string `json:"to"`
	// Source is the folder or gs://bucket/prefix whose dt=YYYY-MM-DD/
	// folders are read. Optional: default the workers' source.uri.
	Source string `json:"source,omitempty"`
	// Parallel is how many days run at once, at most MaxBackfillParallel.
	// Optional: default DefaultBackfillParallel.
	Parallel int `json:"parallel,omitempty"`
	// Rerun runs again the days that an earlier execution of this backfill
	// (the same workflow id) already completed; by default they are
	// skipped, so running a failed or cut-short backfill again resumes it.
	// Optional: default false.
	Rerun bool `json:"rerun,omitempty"`
	// Checkpoint is the state a backfill carries across continue-as-new;
	// leave it empty.
	Checkpoint *BackfillCheckpoint `json:"checkpoint,omitempty"`
}

// BackfillCheckpoint is what a backfill carries into its next execution.
type BackfillCheckpoint struct {
	Started    time.Time   `json:"started"`
	Executions int         `json:"executions"`
	Days       []DayResult `json:"days"` // the days done so far, in order of completion
}

// Day statuses.
const (
	DayLoaded      = "loaded"       // the day's run completed
	DayEmpty       = "empty"        // the day's run completed with no input (quality.allow_empty_days)
	DayAlreadyDone = "already_done" // an earlier execution of the backfill completed it
)

// DayResult is one day of a backfill.
type DayResult struct {
	Day        string `json:"day"`
	Status     string `json:"status"`
	WorkflowID string `json:"workflow_id"`
	// Tally is what the day's run read (zero for a day already done).
	pipeline.Tally
	RowsAdded map[string]int64 `json:"rows_added,omitempty"`
	Duration  time.Duration    `json:"duration"`
}

// BackfillProgress answers a backfill's progress query.
type BackfillProgress struct {
	From string `json:"from"`
	To   string `json:"to"`
	// Days is the number of days in the range; Done how many are finished
	// (loaded or already done); Running the days in flight.
	Days    int      `json:"days"`
	Done    int      `json:"done"`
	Running []string `json:"running"`
	// Failed are the days whose run failed; the backfill stops starting
	// days and fails once the running ones end.
	Failed []string `json:"failed,omitempty"`
	// Tally and RowsAdded sum the days finished.
	pipeline.Tally
	RowsAdded map[string]int64 `json:"rows_added"`
}

// BackfillResult is a backfill's summary.
type BackfillResult struct {
	WorkflowID string      `json:"workflow_id"`
	From       string      `json:"from"`
	To         string      `json:"to"`
	Days       []DayResult `json:"days"` // in day order
	// Tally and RowsAdded sum the days.
	pipeline.Tally
	RowsAdded  map[string]int64 `json:"rows_added"`
	Executions int              `json:"executions"`
	Duration   time.Duration    `json:"duration"`
}

// maxDaysPerExecution bounds a backfill execution's history (a day costs
// it about 8 events): a longer range continues as new.
const maxDaysPerExecution = 300

// DayWorkflowID is the id of a backfill's run of one day: the same
// backfill always gives a day the same id, which is how running a backfill
// again knows the days it already completed.
func DayWorkflowID(backfillID, day string) string {
	return backfillID + "/dt=" + day
}

// BackfillWorkflow runs PipelineWorkflow in merge mode for each day of a
// range, as a child per day, at most Parallel at once. Merge makes days
// independent and idempotent: a day loaded before, by a schedule or another
// backfill, changes nothing when loaded again.
func BackfillWorkflow(ctx workflow.Context, in BackfillInput) (BackfillResult, error) {
	days, err := clickstream.Days(in.From, in.To)
	if err != nil {
		return BackfillResult{}, temporal.NewNonRetryableApplicationError("backfill: "+err.Error(), activities.ErrConfig, nil)
	}
	parallel := in.Parallel
	if parallel == 0 {
		parallel = DefaultBackfillParallel
	}
	if parallel < 1 {
		return BackfillResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("backfill: parallel must be positive, got %d", parallel), activities.ErrConfig, nil)
	}
	// Backfills started before the bound ran as many days at once as asked:
	// they replay without it.
	if parallel > MaxBackfillParallel && workflow.GetVersion(ctx, "backfill-parallel-bound", workflow.DefaultVersion, 1) >= 1 {
		return BackfillResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("backfill: parallel must be at most %d (BigQuery queues at most 20 DML statements a table; see MaxBackfillParallel), got %d",
				MaxBackfillParallel, parallel), activities.ErrConfig, nil)
	}
	cp := BackfillCheckpoint{Started: workflow.Now(ctx)}
	if in.Checkpoint != nil {
		cp = *in.Checkpoint
	}
	cp.Executions++
	info := workflow.GetInfo(ctx)
	var running, failed []string
	var failures []error
	progress := func() (BackfillProgress, error) {
		p := BackfillProgress{From: in.From, To: in.To, Days: len(days), Done: len(cp.Days),
			Running: slices.Clone(running), Failed: slices.Clone(failed)}
		p.Tally, p.RowsAdded = totals(cp.Days)
		return p, nil
	}
	if err := workflow.SetQueryHandler(ctx, ProgressQuery, progress); err != nil {
		return BackfillResult{}, err
	}
	memo := map[string]any{"mode": "merge", "from": in.From, "to": in.To}
	if in.Source != "" {
		memo["source"] = in.Source
	}
	if err := workflow.UpsertMemo(ctx, memo); err != nil {
		return BackfillResult{}, err
	}

	done := map[string]bool{}
	for _, d := range cp.Days {
		done[d.Day] = true
	}
	reuse := enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY
	if in.Rerun {
		reuse = enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE
	}
	sel := workflow.NewSelector(ctx)
	started := 0
	for _, day := range days {
		if done[day] {
			continue
		}
		for len(running) >= parallel {
			sel.Select(ctx)
		}
		if len(failed) > 0 {
			break
		}
		if started >= maxDaysPerExecution || (started > 0 && info.GetContinueAsNewSuggested()) {
			break
		}
		started++
		id := DayWorkflowID(info.WorkflowExecution.ID, day)
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID:            id,
			WorkflowIDReusePolicy: reuse,
		})
		f := workflow.ExecuteChildWorkflow(cctx, PipelineWorkflow, PipelineInput{Settings: pipeline.Settings{Source: in.Source, Mode: "merge", From: day, To: day}, ExpectInput: true})
		running = append(running, day)
		sel.AddFuture(f, func(f workflow.Future) {
			running = slices.DeleteFunc(running, func(d string) bool { return d == day })
			var res PipelineResult
			err := f.Get(ctx, &res)
			var already *temporal.ChildWorkflowExecutionAlreadyStartedError
			switch {
			case errors.As(err, &already):
				cp.Days = append(cp.Days, DayResult{Day: day, Status: DayAlreadyDone, WorkflowID: id})
			case err != nil:
				failed = append(failed, day)
				failures = append(failures, failure(err, "day %s", day))
			default:
				status := DayLoaded
				if res.Objects == 0 && res.Unchanged == 0 {
					status = DayEmpty
				}
				cp.Days = append(cp.Days, DayResult{Day: day, Status: status, WorkflowID: id,
					Tally: res.Tally, RowsAdded: res.RowsAdded, Duration: res.Duration})
			}
		})
	}
	// Children must end before this execution does: continuing as new or
	// failing would terminate them (their parent close policy).
	for len(running) > 0 {
		sel.Select(ctx)
	}
	if len(failures) > 0 {
		first := failures[0]
		msg := fmt.Sprintf("backfill %s to %s: %d of %d days failed (%s); %d done. Run the backfill again to retry the failed days: the days done are skipped",
			in.From, in.To, len(failed), len(days), strings.Join(failed, ", "), len(cp.Days))
		var app *temporal.ApplicationError
		if errors.As(first, &app) {
			return BackfillResult{}, temporal.NewApplicationErrorWithOptions(msg+": "+app.Message(), app.Type(),
				temporal.ApplicationErrorOptions{NonRetryable: true, Cause: first})
		}
		return BackfillResult{}, fmt.Errorf("%s: %w", msg, first)
	}
	if len(cp.Days) < len(days) {
		next := in
		next.Checkpoint = &cp
		return BackfillResult{}, workflow.NewContinueAsNewError(ctx, BackfillWorkflow, next)
	}
	res := BackfillResult{WorkflowID: info.WorkflowExecution.ID, From: in.From, To: in.To,
		Days:       slices.SortedFunc(slices.Values(cp.Days), func(a, b DayResult) int { return strings.Compare(a.Day, b.Day) }),
		Executions: cp.Executions, Duration: workflow.Now(ctx).Sub(cp.Started)}
	res.Tally, res.RowsAdded = totals(cp.Days)
	return res, nil
}

func totals(days []DayResult) (t pipeline.Tally, added map[string]int64) {
	added = map[string]int64{}
	for _, d := range days {
		t.Add(d.Tally)
		for _, table := range clickstream.Tables() {
			added[table.Name] += d.RowsAdded[table.Name]
		}
	}
	return t, added
}
