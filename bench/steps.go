package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"

	"github.com/clickstream-platform/clickstream/harness"
)

// benchSteps is where a pipeline run's time went, from the histories of its
// workflow executions (the pipeline's, through continue-as-new, and its
// BatchWorkflow children's). An activity executes from its
// ActivityTaskStarted event to the event that closed it (only the attempt
// that closed it counts).
type benchSteps struct {
	// Workflow is from the first pipeline execution's start to the last
	// one's close.
	Workflow float64 `json:"workflow_s"`
	// Plan, List and Reconcile sum their activities' execution times.
	Plan float64 `json:"plan_s"`
	List float64 `json:"list_s"`
	// Transform is from the first Transform's start to the last one's end;
	// Load likewise over the Loads.
	Transform float64 `json:"transform_s"`
	Load      float64 `json:"load_s"`
	// Models is the models step (the derived tables and their data tests).
	Models    float64 `json:"models_s"`
	Reconcile float64 `json:"reconcile_s"`
	// Activities is the time during which at least one activity executed.
	Activities float64 `json:"activities_s"`
	// Orchestration is Workflow minus Activities: the time no activity
	// executed (tasks queued, workflow tasks, child starts, continue-as-new).
	Orchestration float64 `json:"orchestration_s"`
	// OrchestrationShare is Orchestration over the run's wall time.
	OrchestrationShare float64 `json:"orchestration_share"`
	// Executions counts the workflow executions read; Transforms and Loads
	// the activities of each type.
	Executions int `json:"executions"`
	Transforms int `json:"transforms"`
	Loads      int `json:"loads"`

	// transformAt and loadAt are the first start and last end of the
	// Transform and of the Load activities, for the memory of each step.
	transformAt, loadAt [2]time.Time
}

// historyFetcher returns the events of one workflow execution.
type historyFetcher func(ctx context.Context, id, runID string) ([]*historypb.HistoryEvent, error)

func clientHistory(c client.Client) historyFetcher {
	return func(ctx context.Context, id, runID string) ([]*historypb.HistoryEvent, error) {
		return harness.History(ctx, c, id, runID)
	}
}

// interval is when one activity executed.
type interval struct {
	kind       string
	start, end time.Time
}

// pipelineSteps reads the histories of a pipeline run that started as
// execution runID of workflow id, following continue-as-new and children.
func pipelineSteps(ctx context.Context, fetch historyFetcher, id, runID string) (benchSteps, error) {
	var (
		steps      benchSteps
		intervals  []interval
		start, end time.Time
	)
	type execution struct {
		id, runID string
		pipeline  bool
	}
	queue := []execution{{id, runID, true}}
	for len(queue) > 0 {
		ex := queue[0]
		queue = queue[1:]
		events, err := fetch(ctx, ex.id, ex.runID)
		if err != nil {
			return steps, err
		}
		steps.Executions++
		scheduled := map[int64]string{}
		started := map[int64]time.Time{}
		for _, ev := range events {
			at := ev.GetEventTime().AsTime()
			switch ev.GetEventType() {
			case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
				if ex.pipeline && (start.IsZero() || at.Before(start)) {
					start = at
				}
			case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
				enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
				enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
				if ex.pipeline && at.After(end) {
					end = at
				}
			case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
				if ex.pipeline && at.After(end) {
					end = at
				}
				a := ev.GetWorkflowExecutionContinuedAsNewEventAttributes()
				queue = append(queue, execution{ex.id, a.GetNewExecutionRunId(), ex.pipeline})
			case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED:
				child := ev.GetChildWorkflowExecutionStartedEventAttributes().GetWorkflowExecution()
				queue = append(queue, execution{child.GetWorkflowId(), child.GetRunId(), false})
			case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
				scheduled[ev.GetEventId()] = ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName()
			case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
				started[ev.GetActivityTaskStartedEventAttributes().GetScheduledEventId()] = at
			default:
				if sid, ok := closedActivity(ev); ok {
					if s, ok := started[sid]; ok {
						intervals = append(intervals, interval{scheduled[sid], s, at})
					}
				}
			}
		}
	}
	if start.IsZero() || end.IsZero() {
		return steps, fmt.Errorf("the history of %s has no start or no close", id)
	}
	steps.Workflow = end.Sub(start).Seconds()
	var transform, load []interval
	for _, iv := range intervals {
		d := iv.end.Sub(iv.start).Seconds()
		switch iv.kind {
		case "Plan":
			steps.Plan += d
		case "List":
			steps.List += d
		case "Reconcile":
			steps.Reconcile += d
		case "Models":
			steps.Models += d
		case "Transform":
			transform = append(transform, iv)
		case "Load":
			load = append(load, iv)
		}
	}
	steps.Transform, steps.Transforms = span(transform), len(transform)
	steps.Load, steps.Loads = span(load), len(load)
	steps.transformAt, steps.loadAt = bounds(transform), bounds(load)
	steps.Activities = union(intervals)
	steps.Orchestration = max(0, steps.Workflow-steps.Activities)
	return steps, nil
}

// bounds returns the first start and the last end of ivs.
func bounds(ivs []interval) (b [2]time.Time) {
	for _, iv := range ivs {
		if b[0].IsZero() || iv.start.Before(b[0]) {
			b[0] = iv.start
		}
		if iv.end.After(b[1]) {
			b[1] = iv.end
		}
	}
	return b
}

// closedActivity returns the scheduled event id of the activity an event
// closes, if it closes one.
func closedActivity(ev *historypb.HistoryEvent) (int64, bool) {
	switch ev.GetEventType() {
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
		return ev.GetActivityTaskCompletedEventAttributes().GetScheduledEventId(), true
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED:
		return ev.GetActivityTaskFailedEventAttributes().GetScheduledEventId(), true
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
		return ev.GetActivityTaskTimedOutEventAttributes().GetScheduledEventId(), true
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
		return ev.GetActivityTaskCanceledEventAttributes().GetScheduledEventId(), true
	}
	return 0, false
}

// span is from the earliest start to the latest end, in seconds.
func span(ivs []interval) float64 {
	if len(ivs) == 0 {
		return 0
	}
	first, last := ivs[0].start, ivs[0].end
	for _, iv := range ivs[1:] {
		if iv.start.Before(first) {
			first = iv.start
		}
		if iv.end.After(last) {
			last = iv.end
		}
	}
	return last.Sub(first).Seconds()
}

// union is the length of the union of the intervals, in seconds.
func union(ivs []interval) float64 {
	ivs = slices.Clone(ivs)
	slices.SortFunc(ivs, func(a, b interval) int { return a.start.Compare(b.start) })
	var total time.Duration
	var cur *interval
	for i := range ivs {
		iv := &ivs[i]
		switch {
		case cur == nil:
			cur = iv
		case !iv.start.After(cur.end):
			if iv.end.After(cur.end) {
				cur.end = iv.end
			}
		default:
			total += cur.end.Sub(cur.start)
			cur = iv
		}
	}
	if cur != nil {
		total += cur.end.Sub(cur.start)
	}
	return total.Seconds()
}
