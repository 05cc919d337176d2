package workflows_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"

	"github.com/clickstream-platform/clickstream/activities"
	"github.com/clickstream-platform/clickstream/workflows"
)

// TestEveryActivityHasAHeartbeatTimeout: Temporal notices a lost worker only
// through a heartbeat timeout, so every step a run schedules, short or long,
// must have one, or a killed worker would stall the run for the step's
// start-to-close timeout. Each workflow runs as the test's top workflow: the
// test environment drops the heartbeat timeout of a child's activities.
func TestEveryActivityHasAHeartbeatTimeout(t *testing.T) {
	if workflows.HeartbeatTimeout < 3*activities.HeartbeatInterval {
		t.Fatalf("heartbeat timeout %s leaves too little room for heartbeats every %s",
			workflows.HeartbeatTimeout, activities.HeartbeatInterval)
	}
	tests := []struct {
		workflow   any
		input      any
		activities []string
	}{
		{workflows.PipelineWorkflow, workflows.PipelineInput{}, []string{"Plan", "List", "Load", "Models", "Reconcile"}},
		{workflows.BatchWorkflow, activities.TransformInput{RunID: "r", BatchID: "b"}, []string{"Transform"}},
		{workflows.RecreateTablesWorkflow, activities.RecreateInput{}, []string{"Recreate"}},
		{workflows.RebuildModelsWorkflow, workflows.RebuildModelsInput{}, []string{"Models"}},
	}
	for _, tt := range tests {
		env := newFakeSource(7).env(t)
		if _, ok := tt.input.(workflows.PipelineInput); ok { // its batches are checked on their own
			env.OnWorkflow(workflows.BatchWorkflow, mock.Anything, mock.Anything).Return(activities.TransformResult{Objects: 1}, nil)
		}
		var a *activities.Activities
		env.OnActivity(a.Recreate, mock.Anything, mock.Anything).Return(activities.RecreateResult{}, nil)
		var mu sync.Mutex
		seen := map[string]int{}
		env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
			mu.Lock()
			defer mu.Unlock()
			seen[info.ActivityType.Name]++
			if info.HeartbeatTimeout != workflows.HeartbeatTimeout {
				t.Errorf("%s: heartbeat timeout %s, want %s", info.ActivityType.Name, info.HeartbeatTimeout, workflows.HeartbeatTimeout)
			}
		})
		env.ExecuteWorkflow(tt.workflow, tt.input)
		if err := env.GetWorkflowError(); err != nil {
			t.Fatal(err)
		}
		for _, name := range tt.activities {
			if seen[name] == 0 {
				t.Errorf("no %s activity started: %v", name, seen)
			}
		}
	}
}
