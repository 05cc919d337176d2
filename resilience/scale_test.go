package resilience

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"

	"github.com/clickstream-platform/clickstream/config"
	"github.com/clickstream-platform/clickstream/harness"
	"github.com/clickstream-platform/clickstream/pipeline"
	"github.com/clickstream-platform/clickstream/sampledata"
	"github.com/clickstream-platform/clickstream/workflows"
)

// maxHistoryEvents is the most events one execution of a run may have: far
// below Temporal's limits (a warning at 10,240 events, an error at 51,200).
const maxHistoryEvents = 10_000

// TestScaleContinueAsNew runs the pipeline over 5,000 tiny objects so that
// it continues as new several times, and checks the chain of executions:
// more than one, none with a history over maxHistoryEvents, never more
// children pending than the window, progress never ahead of the listing,
// the result accounting for every line the generator wrote, and the
// worker's memory bounded. Two shapes: small pages, a few per execution
// (continue-as-new between pages); and one page of 5,000 objects in 625
// batches, more than an execution may start (continue-as-new in the middle
// of the page). With -long, 25,000 objects with the default settings too.
func TestScaleContinueAsNew(t *testing.T) {
	e := NewEnv(t)
	const objects = 5000
	sum := e.Generate(sampledata.Options{Files: objects, Sessions: objects, Days: 3, Seed: 5, InvalidRate: 0.02, DuplicateRate: 0.05})
	worker := e.StartWorker()
	// The worker's memory must not grow with the number of objects: a load
	// that held the staged files of thousands of tiny objects at once
	// would exhaust the machine.
	defer func() {
		peak, err := harness.PeakRSS(worker.Pid())
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("worker peak RSS %d MiB", peak>>20)
		if peak > 1<<30 {
			t.Errorf("worker peak RSS %d MiB, want under 1 GiB", peak>>20)
		}
	}()
	type scaleCase struct {
		name       string
		in         workflows.PipelineInput
		sum        sampledata.Summary
		executions int
		batches    int
	}
	cases := []scaleCase{
		{"pages", workflows.PipelineInput{Settings: pipeline.Settings{PageSize: 500, PagesPerRun: 2, BatchObjects: 100, Window: 4}}, sum, 5, 50},
		{"one page", workflows.PipelineInput{Settings: pipeline.Settings{PageSize: objects, BatchObjects: 8, Window: 8}}, sum, 2, 625},
	}
	if *long {
		// The defaults (pages of 1000, 20 per execution, batches of 64
		// objects, a window of 4) continue as new after 20,000 objects.
		const many = 25_000
		src := filepath.Join(e.Dir, "many")
		big, err := sampledata.Generate(src, sampledata.Options{Files: many, Sessions: many, Days: 3, Seed: 6, InvalidRate: 0.02})
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, scaleCase{"defaults", workflows.PipelineInput{Settings: pipeline.Settings{Source: src}}, big, 2, 400})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id := "scale-" + strings.ReplaceAll(tc.name, " ", "-")
			start := time.Now()
			run := e.StartPipeline(id, tc.in)
			stop := e.watchProgress(t, id)
			res, err := e.Wait(run, 10*time.Minute)
			took := time.Since(start)
			stop()
			if err != nil {
				t.Fatalf("after %s: %v", took, err)
			}
			if res.Objects != len(tc.sum.Objects) || res.Accounting != tc.sum.Expected || res.Rows["sessions"] != tc.sum.DistinctSessions ||
				res.Batches != tc.batches {
				t.Fatalf("result %+v\ngenerator %+v", res, tc.sum.Expected)
			}
			chain := e.executions(id, run.GetRunID())
			events := make([]int, len(chain))
			for i, h := range chain {
				events[i] = len(h)
			}
			t.Logf("%d objects in %s: %d batches, %d executions of %v events", res.Objects, took.Round(time.Second), res.Batches, len(chain), events)
			if len(chain) != tc.executions || res.Executions != len(chain) {
				t.Errorf("%d executions in the chain, result says %d: want %d", len(chain), res.Executions, tc.executions)
			}
			window := tc.in.Window
			if window == 0 {
				window = config.Default().Pipeline.Window
			}
			checkHistories(t, chain, window)
		})
	}
}

// watchProgress queries the run's progress every half second until stop is
// called, and fails the test if it ever shows more objects or bytes done
// than listed.
func (e *Env) watchProgress(t *testing.T, id string) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(500 * time.Millisecond):
			}
			p, err := e.Progress(id)
			if err != nil {
				continue // between executions, or not started yet
			}
			if p.ObjectsDone > p.ObjectsListed || p.BytesDone > p.BytesListed {
				t.Errorf("progress ahead of the listing: %+v", p)
				return
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}

// checkHistories checks every execution's history: at most maxHistoryEvents
// events, and never more than window children started and not yet closed.
func checkHistories(t *testing.T, chain [][]*historypb.HistoryEvent, window int) {
	t.Helper()
	for i, h := range chain {
		if len(h) > maxHistoryEvents {
			t.Errorf("execution %d: %d events, want at most %d", i+1, len(h), maxHistoryEvents)
		}
		pending, most := 0, 0
		for _, ev := range h {
			switch ev.GetEventType() {
			case enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
				pending++
			case enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED,
				enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED,
				enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED,
				enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED,
				enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT,
				enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED:
				pending--
			}
			if pending > window {
				t.Errorf("execution %d, event %d: %d children pending, window %d", i+1, ev.GetEventId(), pending, window)
			}
			most = max(most, pending)
		}
		if pending != 0 {
			t.Errorf("execution %d ended with %d children pending", i+1, pending)
		}
		if most == 0 && i < len(chain)-1 {
			t.Errorf("execution %d started no children", i+1)
		}
	}
}

// executions returns the history of every execution of workflow id, from
// runID on, following each continue-as-new to the next run.
func (e *Env) executions(id, runID string) [][]*historypb.HistoryEvent {
	e.T.Helper()
	var chain [][]*historypb.HistoryEvent
	for runID != "" && len(chain) < 1000 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		h, err := harness.History(ctx, e.Client, id, runID)
		cancel()
		if err != nil {
			e.T.Fatal(err)
		}
		chain = append(chain, h)
		runID = ""
		if len(h) > 0 {
			runID = h[len(h)-1].GetWorkflowExecutionContinuedAsNewEventAttributes().GetNewExecutionRunId()
		}
	}
	return chain
}
