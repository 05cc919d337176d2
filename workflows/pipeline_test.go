package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/clickstream-platform/clickstream/activities"
	"github.com/clickstream-platform/clickstream/blob"
	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/pipeline"
	"github.com/clickstream-platform/clickstream/staging"
	"github.com/clickstream-platform/clickstream/warehouse"
	"github.com/clickstream-platform/clickstream/workflows"
)

// fakeSource is a listing of n objects in pages of pageSize, and the mocked
// activities over it. Each object is one session with one page view.
type fakeSource struct {
	mu         sync.Mutex
	objects    []blob.Object
	transforms map[string]int // batch id -> Transform calls
	loads      map[string]int // table -> Load calls
	listed     []string       // tokens asked for
	formats    map[string]int // TransformInput.Format -> Transform calls
	models     []string       // ModelsInput.RunID, with the tables loaded before each
	inputs     map[string]int // TransformInput.Input -> Transform calls
}

func newFakeSource(n int) *fakeSource {
	f := &fakeSource{transforms: map[string]int{}, loads: map[string]int{}, formats: map[string]int{}, inputs: map[string]int{}}
	for i := range n {
		f.objects = append(f.objects, blob.Object{Name: fmt.Sprintf("dt=2024-01-30/%05d.jsonl", i), Size: 100, Generation: 1})
	}
	return f
}

var oneEach = clickstream.Counts{Lines: 1, SessionsValid: 1, EventsSeen: 1, Pageviews: 1}

func (f *fakeSource) plan(in activities.PlanInput) activities.Plan {
	p := activities.Plan{Settings: pipeline.Settings{Source: "src", Mode: "replace", BatchObjects: 3, BatchBytes: 1 << 30, Window: 2, PageSize: 10, PagesPerRun: 100},
		Staging: "staging", DeadLetter: "deadletter"}
	if in.Mode != "" {
		p.Mode = in.Mode
	}
	if in.PagesPerRun != 0 {
		p.PagesPerRun = in.PagesPerRun
	}
	if in.Window != 0 {
		p.Window = in.Window
	}
	p.StagingFormat = "parquet" // the workers' configuration
	p.Format = in.Format
	if in.StagingFormat != "" {
		p.StagingFormat = in.StagingFormat
	}
	return p
}

func (f *fakeSource) list(in activities.ListInput) (activities.ListResult, error) {
	f.mu.Lock()
	f.listed = append(f.listed, in.Token)
	f.mu.Unlock()
	start := 0
	if in.Token != "" {
		start, _ = strconv.Atoi(in.Token)
	}
	end := min(start+in.PageSize, len(f.objects))
	res := activities.ListResult{Objects: f.objects[start:end]}
	if end < len(f.objects) {
		res.Next = strconv.Itoa(end)
	}
	return res, nil
}

func (f *fakeSource) transform(in activities.TransformInput) (activities.TransformResult, error) {
	f.mu.Lock()
	f.transforms[in.BatchID]++
	f.formats[in.Format]++
	f.inputs[in.Input]++
	f.mu.Unlock()
	var c clickstream.Counts
	for range in.Objects {
		c.Add(oneEach)
	}
	return activities.TransformResult{Manifest: staging.ManifestName(in.RunID, in.BatchID), Counts: c, Objects: len(in.Objects), Bytes: 100 * int64(len(in.Objects)),
		StorageRetries: int64(len(in.Objects))}, nil
}

func (f *fakeSource) load(in activities.LoadInput) (activities.LoadResult, error) {
	f.mu.Lock()
	f.loads[in.Table]++
	f.mu.Unlock()
	n := int64(len(f.objects))
	return activities.LoadResult{LoadResult: warehouse.LoadResult{Table: in.Table, Staged: n, Distinct: n, After: n, Added: n}, Expected: n}, nil
}

func (f *fakeSource) buildModels(in activities.ModelsInput) (activities.ModelsResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.models = append(f.models, fmt.Sprintf("%s after %d loads", in.RunID, len(f.loads)))
	return activities.ModelsResult{ModelsResult: warehouse.ModelsResult{Rows: map[string]int64{"user_sessions": 1}, Changes: 1}}, nil
}

func (f *fakeSource) reconcile(in activities.ReconcileInput) (activities.ReconcileResult, error) {
	res := activities.ReconcileResult{Rows: map[string]int64{}, RowsAdded: map[string]int64{}}
	for _, l := range in.Loads {
		res.Rows[l.Table], res.RowsAdded[l.Table] = l.After, l.Added
	}
	return res, nil
}

// env returns a test environment with the real BatchWorkflow and the fake's
// activities mocked by method value.
func (f *fakeSource) env(t *testing.T, own ...string) *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(workflows.PipelineWorkflow)
	env.RegisterWorkflow(workflows.BatchWorkflow)
	env.RegisterWorkflow(workflows.RecreateTablesWorkflow)
	env.RegisterWorkflow(workflows.RebuildModelsWorkflow)
	a := &activities.Activities{}
	env.RegisterActivity(a)
	mine := func(name string) bool { return !slices.Contains(own, name) } // the test mocks the others itself
	if mine("Plan") {
		env.OnActivity(a.Plan, mock.Anything, mock.Anything).Return(
			func(_ context.Context, in activities.PlanInput) (activities.Plan, error) { return f.plan(in), nil })
	}
	if mine("List") {
		env.OnActivity(a.List, mock.Anything, mock.Anything).Return(
			func(_ context.Context, in activities.ListInput) (activities.ListResult, error) { return f.list(in) })
	}
	if mine("Transform") {
		env.OnActivity(a.Transform, mock.Anything, mock.Anything).Return(
			func(_ context.Context, in activities.TransformInput) (activities.TransformResult, error) {
				return f.transform(in)
			})
	}
	if mine("Load") {
		env.OnActivity(a.Load, mock.Anything, mock.Anything).Return(
			func(_ context.Context, in activities.LoadInput) (activities.LoadResult, error) { return f.load(in) })
	}
	if mine("Models") {
		env.OnActivity(a.Models, mock.Anything, mock.Anything).Return(
			func(_ context.Context, in activities.ModelsInput) (activities.ModelsResult, error) {
				return f.buildModels(in)
			})
	}
	if mine("Reconcile") {
		env.OnActivity(a.Reconcile, mock.Anything, mock.Anything).Return(
			func(_ context.Context, in activities.ReconcileInput) (activities.ReconcileResult, error) {
				return f.reconcile(in)
			})
	}
	return env
}

// TestPipelineGA4 runs a GA4 run: every batch reads GA4 input, and
// ga4_events is loaded besides the tables of session input.
func TestPipelineGA4(t *testing.T) {
	f := newFakeSource(7)
	env := f.env(t)
	env.ExecuteWorkflow(workflows.PipelineWorkflow, workflows.PipelineInput{Settings: pipeline.Settings{Format: "ga4"}})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if len(f.inputs) != 1 || f.inputs["ga4"] != len(f.transforms) {
		t.Errorf("transform inputs %v, want ga4 for each of the %d batches", f.inputs, len(f.transforms))
	}
	for _, table := range clickstream.TablesFor(clickstream.GA4Input) {
		if f.loads[table.Name] != 1 {
			t.Errorf("%s loaded %d times, want once", table.Name, f.loads[table.Name])
		}
	}
	if f.loads[clickstream.GA4EventsTable] != 1 {
		t.Errorf("ga4_events not loaded")
	}
}

func TestPipelineEmptyInputUsesDefaults(t *testing.T) {
	f := newFakeSource(25)
	env := f.env(t)
	env.ExecuteWorkflow(workflows.PipelineWorkflow, workflows.PipelineInput{})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res workflows.PipelineResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	want := clickstream.Counts{}
	for range 25 {
		want.Add(oneEach)
	}
	// Batches never span pages: pages of 10, 10 and 5 objects make batches
	// of 3+3+3+1, 3+3+3+1 and 3+2.
	if res.Accounting != want || res.Objects != 25 || res.Batches != 10 || res.Source != "src" || res.Mode != "replace" {
		t.Fatalf("result = %+v", res)
	}
	if len(f.transforms) != 10 {
		t.Errorf("%d batches transformed, want 10 (25 objects, 3 per batch, pages of 10)", len(f.transforms))
	}
	for _, table := range clickstream.TablesFor(clickstream.SessionsInput) {
		if f.loads[table.Name] != 1 {
			t.Errorf("%s loaded %d times, want once", table.Name, f.loads[table.Name])
		}
	}
	if res.Rows[clickstream.SessionsTable] != 25 {
		t.Errorf("rows = %v", res.Rows)
	}
}

// TestPipelineStagingFormat: every batch of a run is transformed in the
// format its plan settled, whatever the worker that runs it would choose,
// so each table's load reads one format.
func TestPipelineStagingFormat(t *testing.T) {
	for _, tt := range []struct{ input, want string }{{"", "parquet"}, {"ndjson", "ndjson"}} {
		f := newFakeSource(7)
		env := f.env(t)
		env.ExecuteWorkflow(workflows.PipelineWorkflow, workflows.PipelineInput{Settings: pipeline.Settings{StagingFormat: tt.input}})
		if err := env.GetWorkflowError(); err != nil {
			t.Fatal(err)
		}
		if len(f.formats) != 1 || f.formats[tt.want] != len(f.transforms) {
			t.Errorf("input %q: transforms by format %v, want all %d in %q", tt.input, f.formats, len(f.transforms), tt.want)
		}
	}
}

// TestPipelineWindow runs children that take virtual time and checks no more
// than Window of them ever overlap, and that the window is used.
func TestPipelineWindow(t *testing.T) {
	for _, window := range []int{1, 3} {
		t.Run(fmt.Sprint("window ", window), func(t *testing.T) {
			f := newFakeSource(40)
			env := f.env(t)
			var mu sync.Mutex
			running, most := 0, 0
			env.OnWorkflow(workflows.BatchWorkflow, mock.Anything, mock.Anything).Return(
				func(ctx workflow.Context, in activities.TransformInput) (activities.TransformResult, error) {
					mu.Lock()
					running++
					most = max(most, running)
					mu.Unlock()
					// Batches take different times so completions interleave.
					if err := workflow.Sleep(ctx, time.Duration(1+len(in.BatchID)%3+int(in.BatchID[4]-'0')%4)*time.Minute); err != nil {
						return activities.TransformResult{}, err
					}
					mu.Lock()
					running--
					mu.Unlock()
					return f.transform(in)
				})
			env.ExecuteWorkflow(workflows.PipelineWorkflow, workflows.PipelineInput{Settings: pipeline.Settings{Window: window}})
			if err := env.GetWorkflowError(); err != nil {
				t.Fatal(err)
			}
			if most != window {
				t.Fatalf("at most %d batches ran at once, want exactly the window %d", most, window)
			}
			if len(f.transforms) != 16 {
				t.Errorf("%d batches, want 16 (4 pages of 3+3+3+1)", len(f.transforms))
			}
		})
	}
}

// TestPipelineContinueAsNew runs a chain of executions one page each, feeding
// each ContinueAsNew input into the next, and checks the checkpoint carries
// the state: every page listed once, every batch transformed once, and the
// final accounting covers every object.
func TestPipelineContinueAsNew(t *testing.T) {
	f := newFakeSource(35)
	in := workflows.PipelineInput{Settings: pipeline.Settings{PagesPerRun: 1}}
	var res workflows.PipelineResult
	executions := 0
	for {
		executions++
		if executions > 10 {
			t.Fatal("no end to the chain")
		}
		env := f.env(t)
		env.ExecuteWorkflow(workflows.PipelineWorkflow, in)
		err := env.GetWorkflowError()
		var can *workflow.ContinueAsNewError
		if errors.As(err, &can) {
			in = workflows.PipelineInput{}
			if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &in); err != nil {
				t.Fatal(err)
			}
			if in.Checkpoint == nil {
				t.Fatal("continued as new without a checkpoint")
			}
			if len(f.loads) != 0 {
				t.Fatal("loaded before the listing was done")
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := env.GetWorkflowResult(&res); err != nil {
			t.Fatal(err)
		}
		break
	}
	if executions != 4 {
		t.Errorf("%d executions, want 4 (35 objects in pages of 10, one page each)", executions)
	}
	if want := []string{"", "10", "20", "30"}; fmt.Sprint(f.listed) != fmt.Sprint(want) {
		t.Errorf("listed tokens %v, want %v", f.listed, want)
	}
	for id, n := range f.transforms {
		if n != 1 {
			t.Errorf("batch %s transformed %d times", id, n)
		}
	}
	if res.Objects != 35 || res.Accounting.Lines != 35 || res.Batches != len(f.transforms) || res.Executions != 4 ||
		res.StorageRetries != 35 {
		t.Errorf("result = %+v", res)
	}
	for _, table := range clickstream.TablesFor(clickstream.SessionsInput) {
		if f.loads[table.Name] != 1 {
			t.Errorf("%s loaded %d times, want once", table.Name, f.loads[table.Name])
		}
	}
}

func TestPipelineReconcileFailureFailsTheRun(t *testing.T) {
	f := newFakeSource(5)
	env := f.env(t, "Reconcile")
	a := &activities.Activities{}
	calls := 0
	env.OnActivity(a.Reconcile, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ReconcileInput) (activities.ReconcileResult, error) {
		calls++
		return activities.ReconcileResult{}, temporal.NewNonRetryableApplicationError("sessions: replace left 4 rows, want 5", activities.ErrReconcile, nil)
	}).Once()
	env.ExecuteWorkflow(workflows.PipelineWorkflow, workflows.PipelineInput{})
	err := env.GetWorkflowError()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != activities.ErrReconcile {
		t.Fatalf("err = %v, want a ReconcileError", err)
	}
	if calls != 1 {
		t.Errorf("reconcile ran %d times, want once (non-retryable)", calls)
	}
}

func TestPipelineRetries(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		failures  int // how many times the first transform fails before succeeding
		wantCalls int
		wantFail  bool
	}{
		{"transient error retried", errors.New("connection reset"), 2, 3, false},
		{"corrupt object not retried", temporal.NewNonRetryableApplicationError("corrupt gzip", activities.ErrDataContract, nil), 5, 1, true},
		{"config error not retried", temporal.NewApplicationError("missing folder", activities.ErrConfig), 5, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSource(3) // one batch
			env := f.env(t, "Transform")
			a := &activities.Activities{}
			calls := 0
			env.OnActivity(a.Transform, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.TransformInput) (activities.TransformResult, error) {
				calls++
				if calls <= tt.failures {
					return activities.TransformResult{}, tt.err
				}
				return f.transform(in)
			})
			env.ExecuteWorkflow(workflows.PipelineWorkflow, workflows.PipelineInput{})
			if err := env.GetWorkflowError(); (err != nil) != tt.wantFail {
				t.Fatalf("workflow error = %v, want failure %v", err, tt.wantFail)
			}
			if calls != tt.wantCalls {
				t.Errorf("transform ran %d times, want %d", calls, tt.wantCalls)
			}
		})
	}
}

func TestPipelineReplaceWithNoInputFails(t *testing.T) {
	f := newFakeSource(0)
	env := f.env(t)
	env.ExecuteWorkflow(workflows.PipelineWorkflow, workflows.PipelineInput{})
	var appErr *temporal.ApplicationError
	if err := env.GetWorkflowError(); !errors.As(err, &appErr) || appErr.Type() != activities.ErrConfig {
		t.Fatalf("err = %v, want a ConfigError", err)
	}
	if len(f.loads) != 0 {
		t.Errorf("tables loaded: %v", f.loads)
	}

	f = newFakeSource(0)
	env = f.env(t)
	env.ExecuteWorkflow(workflows.PipelineWorkflow, workflows.PipelineInput{Settings: pipeline.Settings{Mode: "merge"}})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("a merge of nothing should succeed: %v", err)
	}
}

func TestPipelineRecreateRunsFirst(t *testing.T) {
	f := newFakeSource(3)
	env := f.env(t, "List")
	a := &activities.Activities{}
	var order []string
	env.OnActivity(a.Recreate, mock.Anything, mock.Anything).Return(func(_ context.Context, _ activities.RecreateInput) (activities.RecreateResult, error) {
		order = append(order, "recreate")
		return activities.RecreateResult{}, nil
	}).Once()
	env.OnActivity(a.List, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ListInput) (activities.ListResult, error) {
		order = append(order, "list")
		return f.list(in)
	})
	env.ExecuteWorkflow(workflows.PipelineWorkflow, workflows.PipelineInput{Recreate: true})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(order) != "[recreate list]" {
		t.Errorf("order = %v, want recreate before listing", order)
	}
}

func TestPipelineProgressQuery(t *testing.T) {
	f := newFakeSource(12)
	env := f.env(t)
	var seen []workflows.Progress
	env.OnWorkflow(workflows.BatchWorkflow, mock.Anything, mock.Anything).Return(
		func(ctx workflow.Context, in activities.TransformInput) (activities.TransformResult, error) {
			if err := workflow.Sleep(ctx, time.Minute); err != nil {
				return activities.TransformResult{}, err
			}
			return f.transform(in)
		})
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(workflows.ProgressQuery)
		if err != nil {
			t.Error(err)
			return
		}
		var p workflows.Progress
		if err := v.Get(&p); err != nil {
			t.Error(err)
		}
		seen = append(seen, p)
	}, 90*time.Second)
	env.ExecuteWorkflow(workflows.PipelineWorkflow, workflows.PipelineInput{})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 {
		t.Fatalf("queried %d times", len(seen))
	}
	p := seen[0]
	// After 90 virtual seconds with a window of 2 and one-minute batches, the
	// first two batches (6 objects) are done and two more are running.
	if p.Phase != "transforming" || p.BatchesDone != 2 || p.BatchesRunning != 2 || p.ObjectsDone != 6 ||
		p.Rows[clickstream.PageviewsTable] != 6 || p.ObjectsListed != 12 {
		t.Errorf("progress = %+v", p)
	}
}

func TestBatches(t *testing.T) {
	obj := func(size int64) blob.Object { return blob.Object{Name: fmt.Sprint(size), Size: size} }
	objs := []blob.Object{obj(10), obj(10), obj(10), obj(100), obj(5), obj(5), obj(5), obj(5)}
	got := workflows.Batches(objs, 3, 25)
	var sizes [][]int64
	for _, b := range got {
		var s []int64
		for _, o := range b {
			s = append(s, o.Size)
		}
		sizes = append(sizes, s)
	}
	// By bytes (25), an oversized object alone, then by count (3).
	if fmt.Sprint(sizes) != "[[10 10] [10] [100] [5 5 5] [5]]" {
		t.Errorf("batches = %v", sizes)
	}
	if a, b := workflows.BatchID(0, objs[:2]), workflows.BatchID(0, objs[:2]); a != b {
		t.Error("BatchID is not deterministic")
	}
	changed := append([]blob.Object(nil), objs[:2]...)
	changed[1].Generation++
	if workflows.BatchID(0, objs[:2]) == workflows.BatchID(0, changed) {
		t.Error("BatchID ignores a changed generation")
	}
}

// TestPipelineExportsBigQuerySource: a bq:// source is exported first and
// the export is what the run lists; the result still names the bq:// source.
func TestPipelineExportsBigQuerySource(t *testing.T) {
	f := newFakeSource(4)
	env := f.env(t, "Plan", "List")
	a := &activities.Activities{}
	env.OnActivity(a.Plan, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.PlanInput) (activities.Plan, error) {
		p := f.plan(in)
		p.Source = "bq://proj.clickstream_lake.visits"
		return p, nil
	})
	var exported activities.ExportInput
	env.OnActivity(a.Export, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ExportInput) (activities.ExportResult, error) {
		exported = in
		return activities.ExportResult{URI: "gs://stage/staging/" + in.RunID + "/export", Files: 2}, nil
	}).Once()
	var listed []string
	env.OnActivity(a.List, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ListInput) (activities.ListResult, error) {
		listed = append(listed, in.Source)
		return f.list(in)
	})
	env.ExecuteWorkflow(workflows.PipelineWorkflow, workflows.PipelineInput{})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res workflows.PipelineResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if exported.Source != "bq://proj.clickstream_lake.visits" || exported.RunID == "" {
		t.Errorf("exported %+v", exported)
	}
	if len(listed) != 1 || listed[0] != "gs://stage/staging/"+exported.RunID+"/export" {
		t.Errorf("listed %v, want the export", listed)
	}
	if res.Source != "bq://proj.clickstream_lake.visits" || res.Objects != 4 {
		t.Errorf("result source %s, objects %d", res.Source, res.Objects)
	}
}

// TestPipelineLoadsTheLakeFirst: every load gets the run's slice, none of
// the warehouse tables' runs before the lake's has finished (that they
// wait for it, TestPipelineLakeFailureLoadsNothingElse proves), and a run
// of only new objects lists with only_new and reports what it left out.
func TestPipelineLoadsTheLakeFirst(t *testing.T) {
	f := newFakeSource(12)
	env := f.env(t, "Plan", "Load", "List")
	a := &activities.Activities{}
	slice := warehouse.Slice{Prefixes: []string{"src/dt=2024-01-30/"}}
	env.OnActivity(a.Plan, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.PlanInput) (activities.Plan, error) {
		p := f.plan(in)
		p.Slice, p.OnlyNew = slice, in.OnlyNew
		return p, nil
	})
	var onlyNew []bool
	env.OnActivity(a.List, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ListInput) (activities.ListResult, error) {
		f.mu.Lock()
		onlyNew = append(onlyNew, in.OnlyNew)
		f.mu.Unlock()
		res, err := f.list(in)
		res.Unchanged = 2
		return res, err
	})
	var (
		mu        sync.Mutex
		lakeDone  bool
		early     []string
		gotSlices []warehouse.Slice
	)
	env.OnActivity(a.Load, mock.Anything, mock.Anything).Return(func(ctx context.Context, in activities.LoadInput) (activities.LoadResult, error) {
		mu.Lock()
		if in.Table != clickstream.VisitsTable && !lakeDone {
			early = append(early, in.Table)
		}
		gotSlices = append(gotSlices, in.Slice)
		mu.Unlock()
		res, err := f.load(in)
		if in.Table == clickstream.VisitsTable {
			mu.Lock()
			lakeDone = true
			mu.Unlock()
		}
		return res, err
	})
	env.ExecuteWorkflow(workflows.PipelineWorkflow, workflows.PipelineInput{Settings: pipeline.Settings{Mode: "merge", OnlyNew: true}})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res workflows.PipelineResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if len(early) > 0 {
		t.Errorf("%v loaded before the lake had", early)
	}
	if len(gotSlices) != len(clickstream.TablesFor(clickstream.SessionsInput)) {
		t.Fatalf("%d loads, want one a table", len(gotSlices))
	}
	for _, s := range gotSlices {
		if fmt.Sprint(s) != fmt.Sprint(slice) {
			t.Errorf("a load got slice %v, want the plan's %v", s, slice)
		}
	}
	if len(onlyNew) == 0 || slices.Contains(onlyNew, false) {
		t.Errorf("lists with only_new %v, want every one", onlyNew)
	}
	if res.Unchanged != 2*len(onlyNew) {
		t.Errorf("unchanged %d, want 2 a page over %d pages", res.Unchanged, len(onlyNew))
	}
}

// TestPipelineLakeFailureLoadsNothingElse: a lake load that fails leaves
// the warehouse tables unloaded (they would derive keys from a lake that
// does not hold the run's rows).
func TestPipelineLakeFailureLoadsNothingElse(t *testing.T) {
	f := newFakeSource(5)
	env := f.env(t, "Load")
	a := &activities.Activities{}
	var loaded []string
	env.OnActivity(a.Load, mock.Anything, mock.Anything).Return(func(ctx context.Context, in activities.LoadInput) (activities.LoadResult, error) {
		loaded = append(loaded, in.Table)
		if in.Table == clickstream.VisitsTable {
			return activities.LoadResult{}, temporal.NewNonRetryableApplicationError("refused", activities.ErrSchema, nil)
		}
		return f.load(in)
	})
	env.ExecuteWorkflow(workflows.PipelineWorkflow, workflows.PipelineInput{})
	if err := env.GetWorkflowError(); err == nil || !strings.Contains(err.Error(), "loading visits") {
		t.Fatalf("err = %v, want the lake's load failure", err)
	}
	if fmt.Sprint(loaded) != "[visits]" {
		t.Errorf("loads %v, want the lake's alone", loaded)
	}
}

// TestPipelineGateFailure: a quality gate that fails fails the run before
// any load, and the run is put on record as failed, with the gate's type,
// and alerted; a cancelled run is on record as cancelled.
func TestPipelineGateFailure(t *testing.T) {
	f := newFakeSource(5)
	env := f.env(t, "Plan")
	a := &activities.Activities{}
	env.OnActivity(a.Plan, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.PlanInput) (activities.Plan, error) {
		p := f.plan(in)
		p.Quality = &pipeline.Quality{MaxRejectedLines: 0.1, MaxRejectedEvents: 0.1}
		return p, nil
	})
	env.OnActivity(a.Gates, mock.Anything, mock.Anything).Return(activities.GatesResult{},
		temporal.NewNonRetryableApplicationError("40% of the non-blank lines rejected", activities.ErrQuality, nil))
	var recorded []activities.RecordInput
	env.OnActivity(a.Record, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.RecordInput) error {
		recorded = append(recorded, in)
		return nil
	})
	var alerts []activities.AlertInput
	env.OnActivity(a.Alert, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.AlertInput) error {
		alerts = append(alerts, in)
		return nil
	})
	env.ExecuteWorkflow(workflows.PipelineWorkflow, workflows.PipelineInput{})
	err := env.GetWorkflowError()
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != activities.ErrQuality {
		t.Fatalf("err = %v, want the gate's QualityError", err)
	}
	if n := len(f.loads); n != 0 {
		t.Errorf("%d tables loaded after a failed gate, want none", n)
	}
	if len(recorded) != 1 || recorded[0].Status != warehouse.RunFailed || recorded[0].ErrorType != activities.ErrQuality ||
		recorded[0].Objects != 5 || recorded[0].RunID == "" || !strings.Contains(recorded[0].Error, "40%") {
		t.Errorf("recorded %+v, want one failed run with the gate's type, message and the objects read", recorded)
	}
	if len(alerts) != 1 || alerts[0].Status != warehouse.RunFailed || alerts[0].Accounting.Lines != 5 {
		t.Errorf("alerts %+v, want one of the failure, with the counts", alerts)
	}
}

// TestPipelineBuildsModels: the models step runs once, for the run, after
// every table is loaded and before the reconcile, which records when it
// ended; its result is the run's.
func TestPipelineBuildsModels(t *testing.T) {
	f := newFakeSource(5)
	env := f.env(t, "Reconcile")
	a := &activities.Activities{}
	var rec activities.ReconcileInput
	env.OnActivity(a.Reconcile, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ReconcileInput) (activities.ReconcileResult, error) {
		rec = in
		return f.reconcile(in)
	})
	env.ExecuteWorkflow(workflows.PipelineWorkflow, workflows.PipelineInput{})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res workflows.PipelineResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if len(f.loads) < 5 {
		t.Fatalf("loads %v, want the lake's and the warehouse's tables", f.loads)
	}
	want := fmt.Sprintf("%s after %d loads", res.RunID, len(f.loads)) // every table the run loads
	if len(f.models) != 1 || f.models[0] != want {
		t.Errorf("models steps %q, want [%q]", f.models, want)
	}
	if res.Models == nil || res.Models.Rows["user_sessions"] != 1 {
		t.Errorf("result's models = %+v, want the step's", res.Models)
	}
	if rec.ModelsDone.IsZero() || rec.ModelsDone.Before(rec.LoadDone) {
		t.Errorf("reconciled with models done %v, load done %v: want the models' end, after the load's", rec.ModelsDone, rec.LoadDone)
	}
}

// TestPipelineDataTestFailure: a failed data test fails the run with its
// DataTestError, not retried, and puts it on record as failed.
func TestPipelineDataTestFailure(t *testing.T) {
	f := newFakeSource(5)
	env := f.env(t, "Models")
	a := &activities.Activities{}
	calls := 0
	env.OnActivity(a.Models, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ModelsInput) (activities.ModelsResult, error) {
		calls++
		return activities.ModelsResult{}, temporal.NewNonRetryableApplicationError(`data test failed: "sessions keys are unique and not null", e.g. k1`, activities.ErrDataTest, nil)
	})
	var recorded []activities.RecordInput
	env.OnActivity(a.Record, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.RecordInput) error {
		recorded = append(recorded, in)
		return nil
	})
	env.OnActivity(a.Alert, mock.Anything, mock.Anything).Return(nil)
	env.ExecuteWorkflow(workflows.PipelineWorkflow, workflows.PipelineInput{})
	var app *temporal.ApplicationError
	if err := env.GetWorkflowError(); !errors.As(err, &app) || app.Type() != activities.ErrDataTest || !strings.Contains(app.Error(), "building the models") {
		t.Fatalf("err = %v, want the models step's DataTestError", err)
	}
	if calls != 1 {
		t.Errorf("models step ran %d times, want 1 (a failed data test is not retried)", calls)
	}
	if len(recorded) != 1 || recorded[0].ErrorType != activities.ErrDataTest {
		t.Errorf("recorded %+v, want the run failed with its DataTestError", recorded)
	}
}

func TestPipelineCancelledIsOnRecord(t *testing.T) {
	f := newFakeSource(5)
	env := f.env(t, "Transform")
	a := &activities.Activities{}
	env.OnActivity(a.Transform, mock.Anything, mock.Anything).Return(func(ctx context.Context, in activities.TransformInput) (activities.TransformResult, error) {
		<-ctx.Done() // until the run is cancelled
		return activities.TransformResult{}, ctx.Err()
	})
	var recorded []activities.RecordInput
	env.OnActivity(a.Record, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.RecordInput) error {
		recorded = append(recorded, in)
		return nil
	})
	env.OnActivity(a.Alert, mock.Anything, mock.Anything).Return(nil)
	env.RegisterDelayedCallback(env.CancelWorkflow, time.Second)
	env.ExecuteWorkflow(workflows.PipelineWorkflow, workflows.PipelineInput{})
	if err := env.GetWorkflowError(); err == nil {
		t.Fatal("the cancelled run succeeded")
	}
	if len(recorded) != 1 || recorded[0].Status != warehouse.RunCancelled {
		t.Errorf("recorded %+v, want the run cancelled", recorded)
	}
}
