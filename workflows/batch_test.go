package workflows_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"github.com/clickstream-platform/clickstream/activities"
	"github.com/clickstream-platform/clickstream/blob"
	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/staging"
	"github.com/clickstream-platform/clickstream/workflows"
)

// TestBatchInRanges: a batch of one object larger than SplitBytes is split,
// its ranges transformed (Window at once, as the pipeline's batches), each
// with its own batch id and range, and the result sums them, manifests in range order; a smaller
// object, or a batch of several, is one Transform.
func TestBatchInRanges(t *testing.T) {
	big := blob.Object{Name: "big.jsonl", Size: 1000, Generation: 1}
	ranges := []staging.Range{{Offset: 0, End: 300, Line: 0}, {Offset: 300, End: 610, Line: 3},
		{Offset: 610, End: 900, Line: 6}, {Offset: 900, End: 1000, Line: 9}}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	var a *activities.Activities
	env.OnActivity(a.Split, mock.Anything, activities.SplitInput{Source: "src", Object: big, RangeBytes: 300}).
		Return(activities.SplitResult{Ranges: ranges}, nil).Once()
	env.OnActivity(a.Transform, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.TransformInput) (activities.TransformResult, error) {
			r := in.Range
			if r == nil || len(in.Objects) != 1 || in.SplitBytes != 0 {
				return activities.TransformResult{}, fmt.Errorf("a range's input: %+v", in)
			}
			i := int(r.Line / 3)
			if *r != ranges[i] || in.BatchID != fmt.Sprintf("b-r%04d", i) {
				return activities.TransformResult{}, fmt.Errorf("range %d: %+v, batch %s", i, *r, in.BatchID)
			}
			obj := 0
			if r.Offset == 0 {
				obj = 1
			}
			return activities.TransformResult{Manifest: in.BatchID, Counts: clickstream.Counts{Lines: 3},
				Objects: obj, Bytes: r.End - r.Offset}, nil
		})
	env.ExecuteWorkflow(workflows.BatchWorkflow, activities.TransformInput{
		RunID: "run", BatchID: "b", Source: "src", Objects: []blob.Object{big}, SplitBytes: 300, Window: 2,
	})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res activities.TransformResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	want := []string{"b-r0000", "b-r0001", "b-r0002", "b-r0003"}
	if fmt.Sprint(res.Manifests) != fmt.Sprint(want) || res.Manifest != want[0] ||
		res.Counts.Lines != 12 || res.Objects != 1 || res.Bytes != 1000 {
		t.Errorf("result %+v, want manifests %v, 12 lines, 1 object of 1000 bytes", res, want)
	}

	// Small enough, or several objects: one Transform, no split.
	for _, in := range []activities.TransformInput{
		{RunID: "run", BatchID: "c", Source: "src", Objects: []blob.Object{big}, SplitBytes: 1000, Window: 2},
		{RunID: "run", BatchID: "d", Source: "src", Objects: []blob.Object{big, big}, SplitBytes: 300, Window: 2},
	} {
		env := s.NewTestWorkflowEnvironment()
		env.OnActivity(a.Transform, mock.Anything, in).Return(activities.TransformResult{Manifest: in.BatchID}, nil).Once()
		env.ExecuteWorkflow(workflows.BatchWorkflow, in)
		var res activities.TransformResult
		if err := env.GetWorkflowResult(&res); err != nil || res.Manifest != in.BatchID || res.Manifests != nil {
			t.Errorf("batch %s: %+v, %v: want one Transform", in.BatchID, res, err)
		}
		env.AssertExpectations(t)
	}
}
