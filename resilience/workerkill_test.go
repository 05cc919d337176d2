package resilience

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/pipeline"
	"github.com/clickstream-platform/clickstream/sampledata"
	"github.com/clickstream-platform/clickstream/staging"
	"github.com/clickstream-platform/clickstream/workflows"
)

// TestWorkerKill SIGKILLs the worker process at random points of a run
// (around listing, in the middle of a batch's transform, while loading) and
// starts a new one each time. The run must complete with the tables of a
// clean run, its accounting must be the generator's, and no batch may be
// transformed again once finished (a batch interrupted midway resumes).
// Each seed picks its own kill points; a failure names the seed, which
// reproduces them: go test ./resilience -run 'TestWorkerKill/seed=7$'.
func TestWorkerKill(t *testing.T) {
	sc := sharedScenario(t)
	for _, seed := range seeds() {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(seed, 0x6b696c6c))
			plan := killPlan(rng, seed)
			t.Logf("kill points: %v", plan)
			e := sc.newEnv(t)
			w := e.StartWorker()
			start := time.Now()
			id := fmt.Sprintf("kill-%d", seed)
			run := e.StartPipeline(id, sc.input)
			watch := &watch{e: e, id: id}
			for i, p := range plan {
				if !watch.reach(p) {
					t.Logf("kill %d (%v): the run ended first", i+1, p)
					break
				}
				t.Logf("kill %d (%v) at %s: %s", i+1, p, time.Since(start).Round(time.Millisecond), watch.where)
				w.Kill()
				watch.struck()
				w = e.StartWorker()
			}
			res := sc.wait(e, run)
			t.Logf("run done in %s, %d executions", time.Since(start).Round(time.Millisecond), res.Executions)
			sc.check(e, res)
		})
	}
}

// seeds are the seeds of a randomized test: a few by default, many more
// with -long.
func seeds() []uint64 {
	n := 3
	if *long {
		n = 30
	}
	s := make([]uint64, n)
	for i := range s {
		s[i] = uint64(i + 1)
	}
	return s
}

// scenarioOptions is the input of the kill and restart tests: 24 objects of
// about 2.5 MiB, read in parts of 1 MiB (the least transform.part_bytes), in
// 10 batches over 3 pages, so that each batch transforms for a while in
// several checkpoints and the run continues as new once.
var scenarioOptions = sampledata.Options{Files: 24, Sessions: 43200, Days: 3, Seed: 11, InvalidRate: 0.05, DuplicateRate: 0.1}

const (
	scenarioPartBytes = "1MiB"
	scenarioBatches   = 10
)

var scenarioInput = workflows.PipelineInput{Settings: pipeline.Settings{BatchObjects: 3, PageSize: 10, PagesPerRun: 2, Window: 3}}

// scenario is the kill and restart tests' input, generated once into a
// folder that every env reads (the rows name their source object, so a clean
// run and a disturbed one must read the same path), and the result of a
// clean run: one worker, nothing disturbed.
type scenario struct {
	source string
	sum    sampledata.Summary
	input  workflows.PipelineInput
	clean  workflows.PipelineResult
	// digests are the clean run's table checksums, without run_id.
	digests map[string]string
}

var (
	sharedMu sync.Mutex
	shared   *scenario
)

// sharedScenario returns the package's scenario, made by the first test that
// asks: its input lives in the suite's folder, removed by TestMain.
func sharedScenario(t *testing.T) *scenario {
	t.Helper()
	if testing.Short() {
		t.Skip("resilience: starts servers and worker processes")
	}
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared == nil {
		sc := newScenario(t, filepath.Join(suite.Dir, "scenario-source"))
		if t.Failed() {
			t.FailNow()
		}
		shared = sc
	}
	return shared
}

// newScenario generates the input into source and runs it clean.
func newScenario(t *testing.T, source string) *scenario {
	t.Helper()
	if err := os.RemoveAll(source); err != nil {
		t.Fatal(err)
	}
	sc := &scenario{source: source, input: scenarioInput}
	sum, err := sampledata.Generate(sc.source, scenarioOptions)
	if err != nil {
		t.Fatal(err)
	}
	sc.sum = sum
	e := sc.newEnv(t)
	e.StartWorker()
	start := time.Now()
	sc.clean = sc.wait(e, e.StartPipeline("clean", sc.input))
	t.Logf("clean run: %d objects, %d MB, %d batches, %d executions, %s", sc.clean.Objects, sc.clean.Bytes>>20,
		sc.clean.Batches, sc.clean.Executions, time.Since(start).Round(time.Millisecond))
	sc.digests = e.Digests("run_id")
	sc.checkResult(t, sc.clean)
	if sc.clean.Executions < 2 {
		t.Errorf("the clean run did not continue as new: %d executions", sc.clean.Executions)
	}
	return sc
}

// newEnv is an env that reads the scenario's input.
func (sc *scenario) newEnv(t *testing.T) *Env {
	e := NewEnv(t)
	e.Vars["CLICKSTREAM_SOURCE_URI"] = sc.source
	e.Vars["CLICKSTREAM_TRANSFORM_PART_BYTES"] = scenarioPartBytes
	return e
}

// wait waits for a run's result; the run must succeed within a few minutes.
func (sc *scenario) wait(e *Env, run client.WorkflowRun) workflows.PipelineResult {
	e.T.Helper()
	deadline := time.Now().Add(6 * time.Minute)
	for {
		checkWorkerAlive(e)
		var out workflows.PipelineResult
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := e.Client.GetWorkflow(ctx, run.GetID(), "").Get(ctx, &out)
		cancel()
		if err == nil {
			return out
		}
		// Still running, or the server is restarting and its calls fail
		// meanwhile: look again.
		var unavailable *serviceerror.Unavailable
		var timeout *serviceerror.DeadlineExceeded
		if (errors.Is(err, context.DeadlineExceeded) || errors.As(err, &timeout) || errors.As(err, &unavailable)) &&
			time.Now().Before(deadline) {
			continue
		}
		e.T.Fatalf("run %s: %v\nworker log tail:\n%s", run.GetID(), err, tail(e.WorkerLog(), logTailLen))
	}
}

// checkWorkerAlive fails the test at once if the env's last worker exited
// on its own (a bad configuration, say) instead of letting it wait.
func checkWorkerAlive(e *Env) {
	e.T.Helper()
	select {
	case <-e.LastWorker().Done():
		e.T.Fatalf("the worker exited; its log's tail:\n%s", tail(e.WorkerLog(), logTailLen))
	default:
	}
}

// checkResult checks a run's result against the generator's summary.
func (sc *scenario) checkResult(t *testing.T, res workflows.PipelineResult) {
	t.Helper()
	if res.Accounting != sc.sum.Expected {
		t.Errorf("accounting %+v, the generator's %+v", res.Accounting, sc.sum.Expected)
	}
	if res.Objects != scenarioOptions.Files || res.Bytes != sc.sum.Bytes || res.Batches != scenarioBatches {
		t.Errorf("%d objects, %d bytes, %d batches; want %d, %d, %d", res.Objects, res.Bytes, res.Batches,
			scenarioOptions.Files, sc.sum.Bytes, scenarioBatches)
	}
	want := map[string]int64{
		clickstream.VisitsTable: sc.sum.Expected.SessionsValid, clickstream.SessionsTable: sc.sum.DistinctSessions, // the lake keeps every copy
		clickstream.PageviewsTable: sc.sum.DistinctPageviews, clickstream.AddtocartsTable: sc.sum.DistinctAddtocarts,
		clickstream.PurchasesTable: sc.sum.DistinctPurchases,
	}
	if !maps.Equal(res.Rows, want) {
		t.Errorf("rows %v, want %v", res.Rows, want)
	}
	// Every table starts empty, so a replace run adds what it leaves.
	if !maps.Equal(res.RowsAdded, want) {
		t.Errorf("rows added %v, want %v", res.RowsAdded, want)
	}
}

// check checks a disturbed run against the clean one: same accounting, same
// tables, and no batch transformed again after it was done.
func (sc *scenario) check(e *Env, res workflows.PipelineResult) {
	t := e.T
	t.Helper()
	sc.checkResult(t, res)
	if d := e.Digests("run_id"); !maps.Equal(d, sc.digests) {
		t.Errorf("tables differ from the clean run's:\n got %v\nwant %v", d, sc.digests)
	}
	checkBatchLog(t, e, res.Batches)
	sc.checkManifests(e, res)
}

// checkManifests checks that the run's manifests hold every input object
// once, with the generator's accounting for it.
func (sc *scenario) checkManifests(e *Env, res workflows.PipelineResult) {
	t := e.T
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(e.Vars["CLICKSTREAM_STAGING_URI"], res.RunID, "manifests", "*.json"))
	if len(files) != res.Batches {
		t.Errorf("%d manifests, %d batches", len(files), res.Batches)
	}
	seen := map[string]int{}
	want := map[string]clickstream.Counts{}
	for _, o := range sc.sum.Objects {
		want[o.Name] = o.Expected
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var m staging.Manifest
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, o := range m.Objects {
			seen[o.Name]++
			if o.Counts != want[o.Name] {
				t.Errorf("%s: manifest counts %+v, the generator's %+v", o.Name, o.Counts, want[o.Name])
			}
		}
	}
	for name := range want {
		if seen[name] != 1 {
			t.Errorf("%s is in %d manifests, want 1", name, seen[name])
		}
	}
	if len(seen) != len(want) {
		t.Errorf("the manifests name %d objects, the generator wrote %d", len(seen), len(want))
	}
}

// batchEvent is one line of the transform's log about a batch.
type batchEvent struct {
	line  int // in the env's worker log
	batch string
	kind  string // as in batchLine
}

// batchLog returns the transform's log lines about batches, in order.
func batchLog(e *Env) []batchEvent {
	var out []batchEvent
	sc := bufio.NewScanner(strings.NewReader(e.WorkerLog()))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		if m := batchLine.FindStringSubmatch(sc.Text()); m != nil {
			out = append(out, batchEvent{line: n, batch: m[2], kind: m[1]})
		}
	}
	return out
}

const (
	evStarted  = "batch transform started"
	evResumed  = "batch transform resumed"
	evDone     = "batch transformed"
	evReused   = "batch already transformed"
	logTailLen = 60
)

// checkBatchLog checks that each of the run's batches was finished once and
// never transformed after that: one "batch transformed" line per batch, and
// after it no line saying its transform started or resumed. A transform
// interrupted by a kill may have started more than once, or resumed.
//
// A worker killed between writing a batch's manifest and logging it leaves
// no "batch transformed" line; the retry then logs "batch already
// transformed" instead, which also counts as the batch's end.
func checkBatchLog(t *testing.T, e *Env, batches int) {
	t.Helper()
	type state struct {
		starts, resumes, done, reused int
		finishedAt                    int // line of the first done or reused, 0 if none
	}
	states := map[string]*state{}
	for _, ev := range batchLog(e) {
		s := states[ev.batch]
		if s == nil {
			s = &state{}
			states[ev.batch] = s
		}
		switch ev.kind {
		case evStarted, evResumed:
			if s.finishedAt != 0 {
				t.Errorf("batch %s: %q at line %d, after it was finished at line %d", ev.batch, ev.kind, ev.line, s.finishedAt)
			}
			if ev.kind == evStarted {
				s.starts++
			} else {
				s.resumes++
			}
		case evDone, evReused:
			if ev.kind == evDone {
				s.done++
			} else {
				s.reused++
			}
			if s.finishedAt == 0 {
				s.finishedAt = ev.line
			}
		}
	}
	if len(states) != batches {
		t.Errorf("the log names %d batches, the run %d", len(states), batches)
	}
	var resumed, restarted, reused []string
	for _, id := range slices.Sorted(maps.Keys(states)) {
		s := states[id]
		switch {
		case s.done > 1:
			t.Errorf("batch %s was transformed %d times", id, s.done)
		case s.done == 0 && s.reused == 0:
			t.Errorf("batch %s never finished", id)
		case s.done == 0:
			t.Logf("batch %s: its manifest was written by a killed worker before it could log it", id)
		}
		if s.starts == 0 {
			t.Errorf("batch %s never started", id)
		}
		if s.resumes > 0 {
			resumed = append(resumed, id)
		}
		if s.starts > 1 {
			restarted = append(restarted, id)
		}
		if s.reused > 0 {
			reused = append(reused, id)
		}
	}
	t.Logf("batches resumed from a checkpoint: %v; started again from the beginning: %v; found finished by a retry: %v",
		resumed, restarted, reused)
	for _, id := range restarted {
		t.Logf("the worker log about batch %s:\n%s", id, grepLines(e.WorkerLog(), id))
	}
	if t.Failed() {
		t.Logf("worker log tail:\n%s", tail(e.WorkerLog(), logTailLen))
	}
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for line := range strings.Lines(s) {
		if strings.Contains(line, sub) {
			out = append(out, strings.TrimRight(line, "\n"))
		}
	}
	return strings.Join(out, "\n")
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// killPoint is where a run is disturbed.
type killPoint struct {
	// Phase is listing (after Pages pages), transforming (while the
	// Starts-th batch transform since the last point runs, once it has
	// written a part) or loading.
	Phase  string
	Pages  int
	Starts int
	// Delay is how long after reaching the point it strikes.
	Delay time.Duration
}

func (p killPoint) String() string {
	switch p.Phase {
	case "listing":
		return fmt.Sprintf("listing after page %d +%s", p.Pages, p.Delay)
	case "transforming":
		return fmt.Sprintf("transform start %d +%s", p.Starts, p.Delay)
	}
	return fmt.Sprintf("%s +%s", p.Phase, p.Delay)
}

var phaseOrder = map[string]int{"listing": 0, "transforming": 1, "loading": 2}

// killPlan draws a seed's kill points, in the order a run reaches them: the
// default seeds one each, in turn around listing, while loading and in the
// middle of a transform; the long variant up to three more anywhere.
func killPlan(rng *rand.Rand, seed uint64) []killPoint {
	phases := []string{"transforming", "listing", "loading"}
	kinds := []string{phases[seed%3]}
	if *long {
		for range rng.IntN(4) {
			kinds = append(kinds, phases[rng.IntN(len(phases))])
		}
	}
	return drawPoints(rng, kinds)
}

// drawPoints draws a point of each kind, and sorts them in the order a run
// reaches them.
func drawPoints(rng *rand.Rand, kinds []string) []killPoint {
	var plan []killPoint
	for _, k := range kinds {
		p := killPoint{Phase: k}
		switch k {
		case "listing":
			// The listing has 3 pages; the first follows the plan so closely
			// that it is seen only done, the others are often seen running.
			p.Pages = 2
			if *long {
				p.Pages = rng.IntN(3)
			}
			p.Delay = time.Duration(rng.IntN(50)) * time.Millisecond
		case "transforming":
			p.Starts = 1 + rng.IntN(3)
			p.Delay = time.Duration(rng.IntN(150)) * time.Millisecond
		case "loading":
			p.Delay = time.Duration(rng.IntN(1500)) * time.Millisecond
		}
		plan = append(plan, p)
	}
	slices.SortStableFunc(plan, func(a, b killPoint) int {
		if c := phaseOrder[a.Phase] - phaseOrder[b.Phase]; c != 0 {
			return c
		}
		return a.Pages - b.Pages
	})
	return plan
}

// watch follows a run to its kill points.
type watch struct {
	e      *Env
	id     string
	starts int    // batch transform starts logged when the last point was struck
	where  string // what the last point found
}

// reach polls until the run reaches p, then waits p.Delay; it returns false
// if the run ended first.
func (w *watch) reach(p killPoint) bool {
	e := w.e
	deadline := time.Now().Add(5 * time.Minute)
	target := w.starts + p.Starts
	batch := ""
	var pending []string
	for {
		if time.Now().After(deadline) {
			e.T.Fatalf("the run did not reach %v within 5 minutes; worker log tail:\n%s", p, tail(e.WorkerLog(), logTailLen))
		}
		checkWorkerAlive(e)
		var closed bool
		if closed, pending = w.describe(); closed {
			return false
		}
		poll := 20 * time.Millisecond
		reached := false
		switch p.Phase {
		case "listing":
			// A page lists in milliseconds: look often, and strike at
			// once when a List is seen running, or else right after it.
			poll = 2 * time.Millisecond
			pr, err := e.Progress(w.id)
			if err != nil || pr.Phase != "transforming" {
				break
			}
			listing := slices.ContainsFunc(pending, func(a string) bool { return strings.HasPrefix(a, "List ") })
			switch {
			case pr.Pages == p.Pages && listing:
				w.where = fmt.Sprintf("listing page %d", pr.Pages+1)
				p.Delay, reached = 0, true
			case pr.Pages > p.Pages:
				w.where = fmt.Sprintf("page %d listed already", pr.Pages)
				reached = true
			}
		case "transforming":
			if batch == "" {
				starts := 0
				for _, ev := range batchLog(e) {
					if ev.kind == evStarted || ev.kind == evResumed {
						starts++
						if starts == target {
							batch = ev.batch
						}
					}
				}
			}
			if batch != "" {
				parts, done := w.batchFiles(batch)
				reached = parts > 0 || done
				w.where = fmt.Sprintf("batch %s has %d parts staged, manifest written: %v", batch, parts, done)
			}
		case "loading":
			pr, err := e.Progress(w.id)
			reached = err == nil && (pr.Phase == "loading" || pr.Phase == "reconciling")
			w.where = fmt.Sprintf("progress %s, %d tables loaded", pr.Phase, pr.TablesDone)
		}
		if reached {
			break
		}
		time.Sleep(poll)
	}
	if p.Delay > 0 {
		time.Sleep(p.Delay) // a random point after the one reached, not a synchronisation
		_, pending = w.describe()
	}
	if len(pending) > 0 {
		w.where += "; the pipeline's activities: " + strings.Join(pending, ", ")
	} else {
		w.where += "; no activity of the pipeline pending"
	}
	return true
}

// struck notes that the point was struck: the transform starts logged so
// far, the killed worker's included, are behind the next point.
func (w *watch) struck() {
	w.starts = 0
	for _, ev := range batchLog(w.e) {
		if ev.kind == evStarted || ev.kind == evResumed {
			w.starts++
		}
	}
}

// batchFiles counts a batch's staged visits parts and says whether its
// manifest exists.
func (w *watch) batchFiles(batch string) (parts int, manifest bool) {
	staging := w.e.Vars["CLICKSTREAM_STAGING_URI"]
	files, _ := filepath.Glob(filepath.Join(staging, "*", clickstream.VisitsTable, batch+"-*"))
	m, _ := filepath.Glob(filepath.Join(staging, "*", "manifests", batch+".json"))
	return len(files), len(m) > 0
}

// describe says whether the run's last execution has closed, and lists
// its pending activities and their states.
func (w *watch) describe() (closed bool, pending []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d, err := w.e.Client.DescribeWorkflowExecution(ctx, w.id, "")
	if err != nil {
		return false, nil
	}
	for _, a := range d.GetPendingActivities() {
		pending = append(pending, fmt.Sprintf("%s %s attempt %d", a.GetActivityType().GetName(),
			strings.ToLower(strings.TrimPrefix(a.GetState().String(), "PENDING_ACTIVITY_STATE_")), a.GetAttempt()))
	}
	return d.GetWorkflowExecutionInfo().GetCloseTime() != nil, pending
}
