package workflows

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/clickstream-platform/clickstream/activities"
	"github.com/clickstream-platform/clickstream/blob"
	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/location"
	"github.com/clickstream-platform/clickstream/pipeline"
	"github.com/clickstream-platform/clickstream/staging"
	"github.com/clickstream-platform/clickstream/warehouse"
)

// ProgressQuery is the name of PipelineWorkflow's query handler; it answers
// a Progress.
const ProgressQuery = "progress"

// PipelineInput is a run's input. Every field is optional: a zero field
// takes the worker's configured default, so `{}` is a valid input.
type PipelineInput struct {
	// Settings are the run's source, mode, days, batching and paging, and
	// staged format.
	pipeline.Settings
	// Recreate drops and creates the tables before loading.
	Recreate bool `json:"recreate,omitempty"`
	// Scheduled selects days relative to the run's own scheduled time, for
	// runs that a Temporal Schedule starts with one fixed input; ignored
	// when From is set.
	Scheduled *ScheduledDays `json:"scheduled,omitempty"`
	// ExpectInput says the run's last day must hold input (a backfill's day
	// does): without, it fails with "no input for <day>" unless
	// quality.allow_empty_days. A scheduled run expects it too.
	ExpectInput bool `json:"expect_input,omitempty"`
	// Checkpoint is the state a run carries across continue-as-new; leave it
	// empty when starting a run.
	Checkpoint *Checkpoint `json:"checkpoint,omitempty"`
}

// ScheduledDays are the days a scheduled run processes: Days days ending
// OffsetDays after the UTC day of its scheduled time (the schedule's
// TemporalScheduledStartTime; a run no schedule started uses its start
// time). {"offset_days": -1} is yesterday's partition; a run scheduled for
// 2024-01-31T02:00Z with {"offset_days": -1, "days": 2} processes
// dt=2024-01-29 and dt=2024-01-30.
type ScheduledDays struct {
	OffsetDays int `json:"offset_days"`
	// Days is how many days. Optional: default 1.
	Days int `json:"days,omitempty"`
}

// Checkpoint is what a run carries into its next execution when it
// continues as new: references and counters only.
type Checkpoint struct {
	RunID     string          `json:"run_id"`
	Plan      activities.Plan `json:"plan"`
	Started   time.Time       `json:"started"`
	PageToken string          `json:"page_token,omitempty"`
	// PageAfter is set when an execution ended in the middle of the page at
	// PageToken: that page's objects up to this name (in the listing's
	// lexical order) are in batches, and the next execution lists the page
	// again and goes on after it.
	PageAfter   string   `json:"page_after,omitempty"`
	ListingDone bool     `json:"listing_done,omitempty"`
	Pages       int      `json:"pages"`
	Executions  int      `json:"executions"`
	NextBatch   int      `json:"next_batch"`
	Manifests   []string `json:"manifests"`
	// Tally sums the finished batches, and the objects skipped by the
	// pages listed.
	pipeline.Tally
	// Listed and ListedBytes count the objects listed so far, for progress.
	Listed      int   `json:"listed,omitempty"`
	ListedBytes int64 `json:"listed_bytes,omitempty"`
	// ExportedFrom is the bq:// source a run exported and now reads from
	// Plan.Source; empty for other sources.
	ExportedFrom string `json:"exported_from,omitempty"`
}

// Progress answers the progress query.
type Progress struct {
	Phase string `json:"phase"` // planning, exporting, recreating, transforming, checking, loading, modelling, reconciling, done
	// RunID is the run's id: the staging and dead-letter folders' name.
	RunID          string `json:"run_id"`
	Pages          int    `json:"pages"`
	ListingDone    bool   `json:"listing_done"`
	ObjectsListed  int    `json:"objects_listed"`
	ObjectsDone    int    `json:"objects_done"`
	BytesListed    int64  `json:"bytes_listed"`
	BytesDone      int64  `json:"bytes_done"`
	BatchesDone    int    `json:"batches_done"`
	BatchesRunning int    `json:"batches_running"`
	// Rows are the staged rows per table so far (before deduplication).
	Rows       map[string]int64   `json:"rows"`
	Rejects    int64              `json:"rejects"`
	Accounting clickstream.Counts `json:"accounting"`
	TablesDone int                `json:"tables_loaded"`
}

// PipelineResult is a run's summary.
type PipelineResult struct {
	WorkflowID string `json:"workflow_id"`
	RunID      string `json:"run_id"`
	Source     string `json:"source"`
	Mode       string `json:"mode"`
	// From and To are the days the run read, empty for the whole source.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Tally is what the run read and counted; its storage_retries say how
	// often a request to a store had to be sent again.
	pipeline.Tally
	Executions int `json:"executions"`
	// Rows is each table's row count after the run; RowsAdded what it gained.
	Rows      map[string]int64        `json:"rows"`
	RowsAdded map[string]int64        `json:"rows_added"`
	Loads     []activities.LoadResult `json:"loads"`
	// Staging and DeadLetter are the folders holding the run's staged files
	// and rejects; Summary is the run summary's name in staging.
	Staging    string `json:"staging"`
	DeadLetter string `json:"deadletter"`
	Summary    string `json:"summary"`
	// Warnings are what the quality gates warned of (a low volume): the
	// run loaded, and alerted.
	Warnings []string `json:"warnings,omitempty"`
	// Audit is the table that holds the run's row of accounting, rows
	// added and timings (pipeline_runs).
	Audit string `json:"audit,omitempty"`
	// Models is what the models step built and tested; nil for runs
	// recorded before it existed.
	Models   *activities.ModelsResult `json:"models,omitempty"`
	Duration time.Duration            `json:"duration"`
}

// PipelineWorkflow is a whole run: plan, list pages, transform batches in a
// bounded window of children, continue as new when the history grows, load
// each table once, build the derived tables of what changed, reconcile.
func PipelineWorkflow(ctx workflow.Context, in PipelineInput) (PipelineResult, error) {
	r := &pipelineRun{in: in, progress: Progress{Phase: "planning", Rows: map[string]int64{}}}
	if err := workflow.SetQueryHandler(ctx, ProgressQuery, r.query); err != nil {
		return PipelineResult{}, err
	}
	res, err := r.run(ctx)
	switch {
	case err != nil && !workflow.IsContinueAsNewError(err):
		// Runs recorded before every run was on record end without these
		// commands.
		if workflow.GetVersion(ctx, "runs-on-record", workflow.DefaultVersion, 1) >= 1 {
			r.onFailure(ctx, err)
		}
	case err == nil && len(res.Warnings) > 0:
		r.alert(ctx, activities.AlertInput{Status: "succeeded with warnings", Warnings: res.Warnings})
	}
	return res, err
}

// onFailure puts a failed or cancelled run on record, with what it counted
// so far, and alerts; on a context of its own, so that a cancelled run still
// does. What fails here is logged: the run has failed already.
func (r *pipelineRun) onFailure(ctx workflow.Context, err error) {
	var a *activities.Activities
	ctx, _ = workflow.NewDisconnectedContext(ctx)
	status, typ := warehouse.RunFailed, "Error"
	var (
		app      *temporal.ApplicationError
		canceled *temporal.CanceledError
		timeout  *temporal.TimeoutError
	)
	switch {
	case errors.As(err, &canceled):
		status, typ = warehouse.RunCancelled, "CanceledError"
	case errors.As(err, &app):
		typ = app.Type()
	case errors.As(err, &timeout):
		typ = "TimeoutError"
	}
	info := workflow.GetInfo(ctx)
	plan := r.cp.Plan
	in := activities.RecordInput{
		RunID: cmp.Or(r.cp.RunID, info.WorkflowExecution.RunID), WorkflowID: info.WorkflowExecution.ID,
		Source: cmp.Or(r.cp.ExportedFrom, plan.Source, r.in.Source), Mode: cmp.Or(plan.Mode, r.in.Mode),
		From: cmp.Or(plan.From, r.in.From), To: cmp.Or(plan.To, r.in.To),
		Status: status, ErrorType: typ, Error: err.Error(), Started: r.cp.Started, Tally: r.cp.Tally, Executions: r.cp.Executions,
	}
	if rerr := workflow.ExecuteActivity(withRecordOptions(ctx), a.Record, in).Get(ctx, nil); rerr != nil {
		workflow.GetLogger(ctx).Error("the failed run could not be recorded", "error", rerr)
	}
	r.alert(ctx, activities.AlertInput{Status: status, ErrorType: typ, Error: in.Error})
}

// alert posts an alert about the run, filled with what it knows; a failure
// to post is logged.
func (r *pipelineRun) alert(ctx workflow.Context, in activities.AlertInput) {
	var a *activities.Activities
	info := workflow.GetInfo(ctx)
	plan := r.cp.Plan
	in.RunID, in.WorkflowID = cmp.Or(r.cp.RunID, info.WorkflowExecution.RunID), info.WorkflowExecution.ID
	in.Source, in.From, in.To = cmp.Or(r.cp.ExportedFrom, plan.Source, r.in.Source), plan.From, plan.To
	in.Accounting, in.Objects = r.cp.Accounting, r.cp.Objects
	if err := workflow.ExecuteActivity(withRecordOptions(ctx), a.Alert, in).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Error("the alert could not be posted", "error", err)
	}
}

type pipelineRun struct {
	in       PipelineInput
	cp       Checkpoint
	progress Progress
}

func (r *pipelineRun) query() (Progress, error) {
	p := r.progress
	p.Rows = maps.Clone(p.Rows)
	return p, nil
}

func (r *pipelineRun) run(ctx workflow.Context) (PipelineResult, error) {
	var a *activities.Activities
	info := workflow.GetInfo(ctx)
	if r.in.Checkpoint != nil {
		r.cp = *r.in.Checkpoint
		// A checkpoint of an execution that counted no batches kept them
		// as its manifests only.
		if r.cp.Batches == 0 {
			r.cp.Batches = len(r.cp.Manifests)
		}
	} else {
		settings := r.in.Settings
		if settings.From == "" && r.in.Scheduled != nil {
			settings.From, settings.To = scheduledDays(ctx, *r.in.Scheduled)
		}
		var plan activities.Plan
		err := workflow.ExecuteActivity(withShortOptions(ctx), a.Plan, activities.PlanInput{Settings: settings}).Get(ctx, &plan)
		if err != nil {
			return PipelineResult{}, err
		}
		r.cp = Checkpoint{RunID: info.WorkflowExecution.RunID, Plan: plan, Started: workflow.Now(ctx)}
		// Runs recorded before runs carried their source, mode and days as
		// memo and search attributes replay without those commands.
		if workflow.GetVersion(ctx, "run-attributes", workflow.DefaultVersion, 1) >= 1 {
			if err := setRunAttributes(ctx, plan); err != nil {
				return PipelineResult{}, err
			}
		}
		if location.SchemeOf(plan.Source) == location.BigQuery {
			// A BigQuery source is exported to staging first; the run then
			// lists and transforms the export like any other input.
			r.progress.Phase = "exporting"
			var ex activities.ExportResult
			err := workflow.ExecuteActivity(withLongOptions(ctx), a.Export, activities.ExportInput{RunID: r.cp.RunID, Source: plan.Source}).Get(ctx, &ex)
			if err != nil {
				return PipelineResult{}, err
			}
			r.cp.ExportedFrom, r.cp.Plan.Source, r.cp.Plan.Slice = plan.Source, ex.URI, ex.Slice
		}
		if r.in.Recreate {
			r.progress.Phase = "recreating"
			cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: info.WorkflowExecution.ID + "/recreate"})
			if err := workflow.ExecuteChildWorkflow(cctx, RecreateTablesWorkflow, activities.RecreateInput{}).Get(ctx, nil); err != nil {
				return PipelineResult{}, err
			}
		}
	}
	r.cp.Executions++
	r.syncProgress()

	if !r.cp.ListingDone {
		r.progress.Phase = "transforming"
		if err := r.transformPages(ctx); err != nil {
			return PipelineResult{}, err
		}
		if !r.cp.ListingDone {
			in := r.in
			cp := r.cp
			in.Checkpoint = &cp
			return PipelineResult{}, workflow.NewContinueAsNewError(ctx, PipelineWorkflow, in)
		}
	}
	plan := r.cp.Plan
	if r.cp.Objects == 0 && plan.Mode == "replace" {
		where := plan.Source
		if plan.From != "" {
			where = fmt.Sprintf("%s in the dt= folders of %s to %s", plan.Source, plan.From, plan.To)
		}
		return PipelineResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("no input objects under %s: a replace run would empty its slice; nothing was changed", where),
			activities.ErrConfig, nil)
	}
	// Runs recorded before the quality gates existed load without them; so
	// do runs planned then (no quality in their plan).
	var warnings []string
	if workflow.GetVersion(ctx, "quality-gates", workflow.DefaultVersion, 1) >= 1 && plan.Quality != nil {
		r.progress.Phase = "checking"
		var g activities.GatesResult
		err := workflow.ExecuteActivity(withShortOptions(ctx), a.Gates, r.gatesInput()).Get(ctx, &g)
		if err != nil {
			return PipelineResult{}, err
		}
		warnings = g.Warnings
	}

	transformDone := workflow.Now(ctx)
	r.progress.Phase = "loading"
	loads, err := r.load(ctx)
	if err != nil {
		return PipelineResult{}, err
	}
	loadDone := workflow.Now(ctx)
	// Runs recorded before the derived tables existed end without building
	// them.
	var built *activities.ModelsResult
	var modelsDone time.Time
	if workflow.GetVersion(ctx, "models", workflow.DefaultVersion, 1) >= 1 {
		r.progress.Phase = "modelling"
		var m activities.ModelsResult
		if err := workflow.ExecuteActivity(withLongOptions(ctx), a.Models, activities.ModelsInput{RunID: r.cp.RunID}).Get(ctx, &m); err != nil {
			return PipelineResult{}, failure(err, "building the models")
		}
		built, modelsDone = &m, workflow.Now(ctx)
	}
	source := plan.Source
	if r.cp.ExportedFrom != "" {
		source = r.cp.ExportedFrom
	}
	r.progress.Phase = "reconciling"
	var rec activities.ReconcileResult
	err = workflow.ExecuteActivity(withShortOptions(ctx), a.Reconcile, activities.ReconcileInput{
		RunID: r.cp.RunID, WorkflowID: info.WorkflowExecution.ID, Source: source, Mode: plan.Mode,
		Tally: r.cp.Tally, Loads: loads,
		From: plan.From, To: plan.To, Started: r.cp.Started, TransformDone: transformDone, LoadDone: loadDone, ModelsDone: modelsDone,
		Executions: r.cp.Executions, Warnings: warnings,
	}).Get(ctx, &rec)
	if err != nil {
		return PipelineResult{}, err
	}
	r.progress.Phase = "done"
	return PipelineResult{
		WorkflowID: info.WorkflowExecution.ID, RunID: r.cp.RunID, Source: source, Mode: plan.Mode,
		From: plan.From, To: plan.To,
		Tally: r.cp.Tally, Executions: r.cp.Executions,
		Rows: rec.Rows, RowsAdded: rec.RowsAdded, Loads: loads,
		Staging: staging.RunFolder(plan.Staging, r.cp.RunID), DeadLetter: staging.RunFolder(plan.DeadLetter, r.cp.RunID), Summary: rec.Summary, Audit: rec.Audit,
		Duration: workflow.Now(ctx).Sub(r.cp.Started),
		Warnings: warnings,
		Models:   built,
	}, nil
}

// gatesInput is the quality gates' input: the day that must hold input is
// the last of a scheduled run's or a backfill day's.
func (r *pipelineRun) gatesInput() activities.GatesInput {
	plan := r.cp.Plan
	in := activities.GatesInput{RunID: r.cp.RunID, Source: plan.Source, Manifests: slices.Sorted(slices.Values(r.cp.Manifests)),
		Quality: *plan.Quality, VolumeSource: cmp.Or(r.cp.ExportedFrom, plan.Source)}
	if (r.in.Scheduled != nil || r.in.ExpectInput) && r.cp.ExportedFrom == "" {
		in.RequireDay = plan.To
	}
	if plan.From != "" {
		days, _ := clickstream.Days(plan.From, plan.To) // checked by Plan
		in.Days = len(days)
	}
	return in
}

// History bounds of one execution. A batch costs its parent about 7 events
// (child initiated, started, closed, and a workflow task to handle it), so
// an execution stops starting batches after maxBatchesPerExecution of them,
// or sooner when its history, counting what the batches in flight will
// still add, would pass historyBudget events, or when Temporal suggests
// continuing as new; it then waits for its batches and continues as new,
// in the middle of a page if need be. That keeps every history far below
// Temporal's limits (a warning at 10,240 events, termination at 51,200),
// whatever the page size, batch size and window.
const (
	maxBatchesPerExecution = 500
	historyBudget          = 6000
	eventsPerBatch         = 8
)

// transformPages lists pages and runs their batches, at most Window at once,
// until the listing ends or this execution has done its share: PagesPerRun
// pages, or as much as its history bounds allow. Every child has finished
// when it returns.
func (r *pipelineRun) transformPages(ctx workflow.Context) error {
	var a *activities.Activities
	plan := r.cp.Plan
	sel := workflow.NewSelector(ctx)
	pending, started := 0, 0
	var failed error
	wait := func() error {
		sel.Select(ctx)
		return failed
	}
	// full says this execution has done enough; it is only asked once the
	// execution has listed a page, or started a batch, so each makes progress.
	full := func() bool {
		info := workflow.GetInfo(ctx)
		return started >= maxBatchesPerExecution || info.GetContinueAsNewSuggested() ||
			info.GetCurrentHistoryLength()+(pending+1)*eventsPerBatch > historyBudget
	}
pages:
	for pages := 0; !r.cp.ListingDone && pages < plan.PagesPerRun; pages++ {
		if pages > 0 && full() {
			break
		}
		var page activities.ListResult
		err := workflow.ExecuteActivity(withShortOptions(ctx), a.List, activities.ListInput{
			Source: plan.Source, Token: r.cp.PageToken, PageSize: plan.PageSize, From: plan.From, To: plan.To,
			OnlyNew: plan.OnlyNew,
		}).Get(ctx, &page)
		if err != nil {
			return err
		}
		objs := page.Objects
		if r.cp.PageAfter != "" {
			// The page was begun by an earlier execution, which counted it.
			objs = objectsAfter(objs, r.cp.PageAfter)
		} else {
			r.cp.Pages++
			r.cp.Skipped += page.Skipped
			r.cp.Unchanged += page.Unchanged
			r.cp.Listed += len(page.Objects)
			for _, o := range page.Objects {
				r.cp.ListedBytes += o.Size
			}
			r.syncProgress()
		}
		for _, batch := range Batches(objs, plan.BatchObjects, plan.BatchBytes) {
			for pending >= plan.Window {
				if err := wait(); err != nil {
					return err
				}
			}
			// Once the page is begun (and counted), an execution that has
			// started batches may end in its middle: PageToken and PageAfter
			// say where the next one goes on.
			if r.cp.PageAfter != "" && started > 0 && full() {
				break pages
			}
			r.startBatch(ctx, sel, batch, &pending, &failed)
			started++
			r.cp.PageAfter = batch[len(batch)-1].Name
		}
		r.cp.PageToken, r.cp.PageAfter = page.Next, ""
		r.cp.ListingDone = page.Next == ""
		r.syncProgress()
	}
	for pending > 0 {
		if err := wait(); err != nil {
			return err
		}
	}
	return nil
}

// objectsAfter returns the objects of a page, in lexical order of their
// names, whose names sort after name.
func objectsAfter(objs []blob.Object, name string) []blob.Object {
	i, _ := slices.BinarySearchFunc(objs, name, func(o blob.Object, name string) int { return strings.Compare(o.Name, name) })
	for i < len(objs) && objs[i].Name <= name {
		i++
	}
	return objs[i:]
}

func (r *pipelineRun) startBatch(ctx workflow.Context, sel workflow.Selector, objs []blob.Object, pending *int, failed *error) {
	id := BatchID(r.cp.NextBatch, objs)
	r.cp.NextBatch++
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID + "/batch-" + id,
	})
	// A batch of one object larger than a batch is read in ranges, side by
	// side (BatchWorkflow). Only the child's input changes: the parent's
	// commands stay those of runs recorded before.
	f := workflow.ExecuteChildWorkflow(cctx, BatchWorkflow, activities.TransformInput{
		RunID: r.cp.RunID, BatchID: id, Source: r.cp.Plan.Source, Objects: objs,
		SplitBytes: r.cp.Plan.BatchBytes, Window: r.cp.Plan.Window, Format: r.cp.Plan.StagingFormat,
		Input: r.cp.Plan.Format,
	})
	*pending++
	r.progress.BatchesRunning = *pending
	sel.AddFuture(f, func(f workflow.Future) {
		*pending--
		r.progress.BatchesRunning = *pending
		var res activities.TransformResult
		if err := f.Get(ctx, &res); err != nil {
			if *failed == nil {
				*failed = failure(err, "batch %s", id)
			}
			return
		}
		if len(res.Manifests) > 0 {
			r.cp.Manifests = append(r.cp.Manifests, res.Manifests...)
		} else {
			r.cp.Manifests = append(r.cp.Manifests, res.Manifest)
		}
		r.cp.Tally.Add(res.Tally())
		r.syncProgress()
	})
}

// syncProgress derives the progress counters from the checkpoint.
func (r *pipelineRun) syncProgress() {
	p := &r.progress
	c := r.cp.Accounting
	p.RunID = r.cp.RunID
	p.Pages, p.ListingDone = r.cp.Pages, r.cp.ListingDone
	p.ObjectsListed, p.BytesListed = r.cp.Listed, r.cp.ListedBytes
	p.ObjectsDone, p.BytesDone, p.BatchesDone = r.cp.Objects, r.cp.Bytes, r.cp.Batches
	p.Accounting = c
	p.Rejects = c.DeadLetters()
	for _, t := range clickstream.Tables() {
		p.Rows[t.Name] = c.TableRows(t.Name)
	}
}

// load loads every table once and returns the results in table order: the
// lake table first, then the others at the same time, since they derive the
// keys a replace touches from what the lake holds.
func (r *pipelineRun) load(ctx workflow.Context) ([]activities.LoadResult, error) {
	var a *activities.Activities
	manifests := slices.Sorted(slices.Values(r.cp.Manifests))
	tables := clickstream.TablesFor(clickstream.SessionsInput)
	// Only GA4 runs load ga4_events: session runs keep the commands of the
	// runs recorded before it existed.
	if r.cp.Plan.Format == string(clickstream.GA4Input) &&
		workflow.GetVersion(ctx, "ga4-events", workflow.DefaultVersion, 1) >= 1 {
		tables = clickstream.TablesFor(clickstream.GA4Input)
	}
	start := func(t clickstream.Table) workflow.Future {
		return workflow.ExecuteActivity(withLongOptions(ctx), a.Load, activities.LoadInput{
			RunID: r.cp.RunID, Table: t.Name, Mode: r.cp.Plan.Mode, Manifests: manifests, Slice: r.cp.Plan.Slice,
		})
	}
	loads := make([]activities.LoadResult, len(tables))
	futures := make([]workflow.Future, len(tables))
	// Runs recorded before the lake kept every copy loaded every table at
	// once.
	lakeFirst := workflow.GetVersion(ctx, "lake-first", workflow.DefaultVersion, 1) >= 1
	for i, t := range tables {
		futures[i] = start(t)
		if i == 0 && lakeFirst {
			if err := futures[0].Get(ctx, &loads[0]); err != nil {
				return nil, failure(err, "loading %s", t.Name)
			}
			r.progress.TablesDone++
		}
	}
	for i, f := range futures {
		if i == 0 && lakeFirst {
			continue
		}
		if err := f.Get(ctx, &loads[i]); err != nil {
			return nil, failure(err, "loading %s", tables[i].Name)
		}
		r.progress.TablesDone++
	}
	return loads, nil
}

// failure adds context to the failure of a child or an activity, keeping
// the type and retryability of the application error at its root: the run
// then fails as a ConfigError (say) whose message says where, and the
// starter and the Temporal UI show that type, not a Go wrapper's. The
// failure itself stays the cause, with its whole chain.
func failure(err error, format string, args ...any) error {
	where := fmt.Sprintf(format, args...)
	var app *temporal.ApplicationError
	if !errors.As(err, &app) {
		return fmt.Errorf("%s: %w", where, err)
	}
	return temporal.NewApplicationErrorWithOptions(where+": "+app.Message(), app.Type(),
		temporal.ApplicationErrorOptions{NonRetryable: app.NonRetryable(), Cause: err})
}

// Batches groups a page's objects in listing order into batches of at most
// maxObjects objects and maxBytes bytes; an object larger than maxBytes is a
// batch of its own.
func Batches(objs []blob.Object, maxObjects int, maxBytes int64) [][]blob.Object {
	var out [][]blob.Object
	var cur []blob.Object
	var size int64
	for _, o := range objs {
		if len(cur) > 0 && (len(cur) >= maxObjects || size+o.Size > maxBytes) {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, o)
		size += o.Size
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// BatchID names a batch after its place in the run and its objects (names
// and generations), so the same batch always gets the same staged file names.
func BatchID(seq int, objs []blob.Object) string {
	h := sha256.New()
	for _, o := range objs {
		h.Write([]byte(o.Name))
		h.Write([]byte{0})
		h.Write([]byte(strconv.FormatInt(o.Generation, 10)))
		h.Write([]byte{0})
	}
	return fmt.Sprintf("%05d-%s", seq, hex.EncodeToString(h.Sum(nil))[:8])
}
