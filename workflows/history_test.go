package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/clickstream-platform/clickstream/activities"
	"github.com/clickstream-platform/clickstream/workflows"
)

// TestPipelineBatchesPerExecution: a page that makes more batches than one
// execution may start (here one object per batch, pages of 1000) is split
// across executions in its middle: each execution starts at most 500
// batches, continues as new, lists the page again and goes on after the
// last object it had batched. Every object is in exactly one batch, every
// page is counted once, and progress never shows more objects done than
// listed.
func TestPipelineBatchesPerExecution(t *testing.T) {
	f := newFakeSource(1250)
	in := workflows.PipelineInput{}
	var res workflows.PipelineResult
	var batched []string
	var mu sync.Mutex // the test environment runs a window of activities at once
	executions := 0
	for {
		executions++
		if executions > 10 {
			t.Fatal("no end to the chain")
		}
		env := f.env(t, "Plan", "Transform")
		a := &activities.Activities{}
		env.OnActivity(a.Plan, mock.Anything, mock.Anything).Return(func(_ context.Context, pin activities.PlanInput) (activities.Plan, error) {
			p := f.plan(pin)
			p.PageSize, p.BatchObjects, p.Window, p.PagesPerRun = 1000, 1, 4, 20
			return p, nil
		})
		started := 0
		env.OnActivity(a.Transform, mock.Anything, mock.Anything).Return(func(ctx context.Context, tin activities.TransformInput) (activities.TransformResult, error) {
			mu.Lock()
			started++
			for _, o := range tin.Objects {
				batched = append(batched, o.Name)
			}
			mu.Unlock()
			return f.transform(tin)
		})
		env.ExecuteWorkflow(workflows.PipelineWorkflow, in)
		if started > 500 {
			t.Errorf("execution %d started %d batches, want at most 500", executions, started)
		}
		if v, err := env.QueryWorkflow(workflows.ProgressQuery); err == nil {
			var p workflows.Progress
			if err := v.Get(&p); err != nil {
				t.Fatal(err)
			}
			if p.ObjectsDone > p.ObjectsListed || p.BytesDone > p.BytesListed {
				t.Errorf("execution %d: progress shows more done than listed: %+v", executions, p)
			}
		}
		err := env.GetWorkflowError()
		var can *workflow.ContinueAsNewError
		if errors.As(err, &can) {
			in = workflows.PipelineInput{}
			if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &in); err != nil {
				t.Fatal(err)
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
	if executions != 3 {
		t.Errorf("%d executions, want 3 (1250 batches, at most 500 each)", executions)
	}
	if want := []string{"", "", "1000"}; fmt.Sprint(f.listed) != fmt.Sprint(want) {
		t.Errorf("listed tokens %v, want %v (the first page twice: begun, then finished)", f.listed, want)
	}
	if len(batched) != len(f.objects) {
		t.Errorf("%d objects batched, want %d", len(batched), len(f.objects))
	}
	slices.Sort(batched)
	for i, name := range batched {
		if i >= len(f.objects) || name != f.objects[i].Name {
			t.Fatalf("batched object %d is %s, want each object exactly once", i, name)
		}
	}
	if res.Objects != 1250 || res.Batches != 1250 || res.Executions != 3 {
		t.Errorf("result = %+v", res)
	}
}

// TestPipelineFailureKeepsItsType: a batch that fails with a ConfigError
// fails the run with a ConfigError, non-retryable, whose message names the
// batch and keeps the activity's reason, so the starter and the Temporal UI
// show the cause, not a Go wrapper type.
func TestPipelineFailureKeepsItsType(t *testing.T) {
	f := newFakeSource(3)
	env := f.env(t, "Transform")
	a := &activities.Activities{}
	env.OnActivity(a.Transform, mock.Anything, mock.Anything).Return(activities.TransformResult{},
		temporal.NewNonRetryableApplicationError("folder staging is not usable by this process", activities.ErrConfig, nil))
	env.ExecuteWorkflow(workflows.PipelineWorkflow, workflows.PipelineInput{})
	err := env.GetWorkflowError()
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != activities.ErrConfig || !app.NonRetryable() ||
		!strings.HasPrefix(app.Message(), "batch 00000-") || !strings.HasSuffix(app.Message(), ": folder staging is not usable by this process") {
		t.Fatalf("err = %v, want a non-retryable ConfigError naming the batch and the cause", err)
	}
}
