package main

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// fakeHistory builds the events of one execution.
type fakeHistory struct {
	t0     time.Time
	events []*historypb.HistoryEvent
}

func (h *fakeHistory) add(at float64, typ enumspb.EventType, set func(*historypb.HistoryEvent)) int64 {
	ev := &historypb.HistoryEvent{
		EventId:   int64(len(h.events) + 1),
		EventType: typ,
		EventTime: timestamppb.New(h.t0.Add(time.Duration(at * float64(time.Second)))),
	}
	if set != nil {
		set(ev)
	}
	h.events = append(h.events, ev)
	return ev.EventId
}

// activity adds an activity of kind that executes from start to end.
func (h *fakeHistory) activity(kind string, start, end float64) {
	sid := h.add(start-0.1, enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, func(ev *historypb.HistoryEvent) {
		ev.Attributes = &historypb.HistoryEvent_ActivityTaskScheduledEventAttributes{ActivityTaskScheduledEventAttributes: &historypb.ActivityTaskScheduledEventAttributes{
			ActivityType: &commonpb.ActivityType{Name: kind}}}
	})
	started := h.add(start, enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED, func(ev *historypb.HistoryEvent) {
		ev.Attributes = &historypb.HistoryEvent_ActivityTaskStartedEventAttributes{ActivityTaskStartedEventAttributes: &historypb.ActivityTaskStartedEventAttributes{
			ScheduledEventId: sid}}
	})
	h.add(end, enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, func(ev *historypb.HistoryEvent) {
		ev.Attributes = &historypb.HistoryEvent_ActivityTaskCompletedEventAttributes{ActivityTaskCompletedEventAttributes: &historypb.ActivityTaskCompletedEventAttributes{
			ScheduledEventId: sid, StartedEventId: started}}
	})
}

// TestPipelineSteps: the steps of a run that continued as new once and ran
// one batch child, from synthetic histories.
func TestPipelineSteps(t *testing.T) {
	t0 := time.Date(2024, 1, 30, 10, 0, 0, 0, time.UTC)
	first := &fakeHistory{t0: t0}
	first.add(0, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, nil)
	first.activity("Plan", 1, 2)
	first.add(2.2, enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED, func(ev *historypb.HistoryEvent) {
		ev.Attributes = &historypb.HistoryEvent_ChildWorkflowExecutionStartedEventAttributes{ChildWorkflowExecutionStartedEventAttributes: &historypb.ChildWorkflowExecutionStartedEventAttributes{
			WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: "run/batch-0", RunId: "b0"}}}
	})
	first.add(3, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW, func(ev *historypb.HistoryEvent) {
		ev.Attributes = &historypb.HistoryEvent_WorkflowExecutionContinuedAsNewEventAttributes{WorkflowExecutionContinuedAsNewEventAttributes: &historypb.WorkflowExecutionContinuedAsNewEventAttributes{
			NewExecutionRunId: "r2"}}
	})
	second := &fakeHistory{t0: t0}
	second.add(3, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, nil)
	second.activity("List", 3.5, 4)
	second.activity("Load", 5, 7)
	second.activity("Load", 6, 8)
	second.activity("Models", 8, 8.25)
	second.activity("Reconcile", 8.5, 9)
	second.add(10, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, nil)
	batch := &fakeHistory{t0: t0}
	batch.add(2.3, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, nil)
	batch.activity("Transform", 2.5, 5.5)
	batch.add(5.6, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, nil)

	histories := map[string]*fakeHistory{"run/r1": first, "run/r2": second, "run/batch-0/b0": batch}
	fetch := func(_ context.Context, id, runID string) ([]*historypb.HistoryEvent, error) {
		h, ok := histories[id+"/"+runID]
		if !ok {
			return nil, fmt.Errorf("no history %s/%s", id, runID)
		}
		return h.events, nil
	}
	got, err := pipelineSteps(context.Background(), fetch, "run", "r1")
	if err != nil {
		t.Fatal(err)
	}
	// Activities: [1,2] ∪ [2.5,5.5] ∪ [3.5,4] ∪ [5,8] ∪ [8,8.25] ∪ [8.5,9] = 1 + 5.75 + 0.5.
	want := benchSteps{Workflow: 10, Plan: 1, List: 0.5, Transform: 3, Load: 3, Models: 0.25, Reconcile: 0.5, Activities: 7.25, Orchestration: 2.75,
		Executions: 3, Transforms: 1, Loads: 2}
	for _, f := range []struct {
		name      string
		got, want float64
	}{
		{"workflow", got.Workflow, want.Workflow}, {"plan", got.Plan, want.Plan}, {"list", got.List, want.List},
		{"transform", got.Transform, want.Transform}, {"load", got.Load, want.Load}, {"models", got.Models, want.Models}, {"reconcile", got.Reconcile, want.Reconcile},
		{"activities", got.Activities, want.Activities}, {"orchestration", got.Orchestration, want.Orchestration},
	} {
		if math.Abs(f.got-f.want) > 1e-9 {
			t.Errorf("%s = %v s, want %v s", f.name, f.got, f.want)
		}
	}
	if got.Executions != want.Executions || got.Transforms != want.Transforms || got.Loads != want.Loads {
		t.Errorf("executions, transforms, loads = %d, %d, %d, want %d, %d, %d",
			got.Executions, got.Transforms, got.Loads, want.Executions, want.Transforms, want.Loads)
	}
}

func TestUnionAndMedian(t *testing.T) {
	t0 := time.Unix(0, 0)
	iv := func(a, b float64) interval {
		return interval{start: t0.Add(time.Duration(a * float64(time.Second))), end: t0.Add(time.Duration(b * float64(time.Second)))}
	}
	for _, tc := range []struct {
		name string
		ivs  []interval
		want float64
	}{
		{"none", nil, 0},
		{"one", []interval{iv(1, 3)}, 2},
		{"disjoint", []interval{iv(5, 6), iv(1, 2)}, 2},
		{"nested", []interval{iv(1, 10), iv(2, 3)}, 9},
		{"touching", []interval{iv(1, 2), iv(2, 4)}, 3},
		{"overlapping", []interval{iv(3, 6), iv(1, 4)}, 5},
	} {
		if got := union(tc.ivs); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("union %s = %v, want %v", tc.name, got, tc.want)
		}
	}
	for _, tc := range []struct {
		xs   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(tc.xs); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.xs, got, tc.want)
		}
	}
}
