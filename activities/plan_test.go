package activities_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/clickstream-platform/clickstream/activities"
	"github.com/clickstream-platform/clickstream/blob"
	"github.com/clickstream-platform/clickstream/pipeline"
)

// TestPlanStagingFormat: a run's staged format is its input's, else the
// worker's, else NDJSON (workers configured before the key existed); an
// unknown one fails the run at once as a ConfigError.
func TestPlanStagingFormat(t *testing.T) {
	src, err := blob.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		worker, input string
		want          string
		err           string
	}{
		{worker: "", input: "", want: "ndjson"},
		{worker: "parquet", input: "", want: "parquet"},
		{worker: "parquet", input: "ndjson", want: "ndjson"},
		{worker: "ndjson", input: "parquet", want: "parquet"},
		{worker: "parquet", input: "csv", err: `staging_format: unknown staged format "csv"`},
	} {
		a := &activities.Activities{
			OpenSource: func(context.Context, string) (blob.Store, error) { return src, nil },
			Staging:    src, DeadLetter: src,
			Defaults: pipeline.Settings{Source: "src", Mode: "replace", BatchObjects: 1, BatchBytes: 1, Window: 1,
				PageSize: 1, PagesPerRun: 1, StagingFormat: tt.worker},
		}
		var s testsuite.WorkflowTestSuite
		env := s.NewTestActivityEnvironment()
		env.RegisterActivity(a)
		v, err := env.ExecuteActivity(a.Plan, activities.PlanInput{Settings: pipeline.Settings{StagingFormat: tt.input}})
		if tt.err != "" {
			var appErr *temporal.ApplicationError
			if !errors.As(err, &appErr) || appErr.Type() != activities.ErrConfig || !appErr.NonRetryable() || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("worker %q, input %q: error %v, want a non-retryable ConfigError containing %q", tt.worker, tt.input, err, tt.err)
			}
			continue
		}
		var p activities.Plan
		if err == nil {
			err = v.Get(&p)
		}
		if err != nil || p.StagingFormat != tt.want {
			t.Errorf("worker %q, input %q: plan format %q (%v), want %q", tt.worker, tt.input, p.StagingFormat, err, tt.want)
		}
	}
}
