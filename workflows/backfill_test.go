package workflows_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/clickstream-platform/clickstream/activities"
	"github.com/clickstream-platform/clickstream/workflows"
)

// TestBackfillParallelBound: a backfill runs at most MaxBackfillParallel
// days at once, so that its days cannot fill BigQuery's queue of 20 DML
// statements a table; asked for more, it fails at once with a ConfigError
// and starts no day.
func TestBackfillParallelBound(t *testing.T) {
	for _, tt := range []struct {
		parallel int
		ok       bool
	}{{workflows.MaxBackfillParallel, true}, {workflows.MaxBackfillParallel + 1, false}} {
		var s testsuite.WorkflowTestSuite
		env := s.NewTestWorkflowEnvironment()
		env.RegisterWorkflow(workflows.PipelineWorkflow)
		var mu sync.Mutex
		days := 0
		env.OnWorkflow(workflows.PipelineWorkflow, mock.Anything, mock.Anything).Return(
			func(_ workflow.Context, _ workflows.PipelineInput) (workflows.PipelineResult, error) {
				mu.Lock()
				defer mu.Unlock()
				days++
				return workflows.PipelineResult{}, nil
			})
		env.ExecuteWorkflow(workflows.BackfillWorkflow, workflows.BackfillInput{From: "2024-01-01", To: "2024-01-10", Parallel: tt.parallel})
		err := env.GetWorkflowError()
		if tt.ok {
			if err != nil || days != 10 {
				t.Errorf("parallel %d: %v after %d days, want the 10 days loaded", tt.parallel, err, days)
			}
			continue
		}
		var app *temporal.ApplicationError
		if !errors.As(err, &app) || app.Type() != activities.ErrConfig || !app.NonRetryable() ||
			!strings.Contains(app.Message(), "parallel must be at most 8") {
			t.Errorf("parallel %d: %v, want a non-retryable ConfigError saying at most 8", tt.parallel, err)
		}
		if days != 0 {
			t.Errorf("parallel %d: %d days started, want none", tt.parallel, days)
		}
	}
}
