package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/clickstream-platform/clickstream/activities"
	"github.com/clickstream-platform/clickstream/pipeline"
	"github.com/clickstream-platform/clickstream/staging"
)

// BatchWorkflow transforms one batch of objects into staged files and a
// manifest, and returns the manifest's reference. A batch of one large
// plain object (in.SplitBytes) is cut into line-aligned ranges that are
// transformed side by side, a manifest each.
func BatchWorkflow(ctx workflow.Context, in activities.TransformInput) (activities.TransformResult, error) {
	var a *activities.Activities
	if in.SplitBytes > 0 && len(in.Objects) == 1 && in.Objects[0].Size > in.SplitBytes && in.Range == nil {
		var split activities.SplitResult
		err := workflow.ExecuteActivity(withLongOptions(ctx), a.Split, activities.SplitInput{
			Source: in.Source, Object: in.Objects[0], RangeBytes: in.SplitBytes,
		}).Get(ctx, &split)
		if err != nil {
			return activities.TransformResult{}, err
		}
		if len(split.Ranges) > 1 {
			return transformRanges(ctx, in, split.Ranges)
		}
	}
	var res activities.TransformResult
	err := workflow.ExecuteActivity(withLongOptions(ctx), a.Transform, in).Get(ctx, &res)
	return res, err
}

// transformRanges transforms the ranges of the batch's object, at most
// in.Window at once, and sums up their results in range order.
func transformRanges(ctx workflow.Context, in activities.TransformInput, ranges []staging.Range) (activities.TransformResult, error) {
	var a *activities.Activities
	window := max(in.Window, 1)
	results := make([]activities.TransformResult, len(ranges))
	sel := workflow.NewSelector(ctx)
	pending := 0
	var failed error
	for i := range ranges {
		for pending >= window && failed == nil {
			sel.Select(ctx)
		}
		if failed != nil {
			break
		}
		r := in
		r.BatchID = fmt.Sprintf("%s-r%04d", in.BatchID, i)
		r.Range, r.SplitBytes, r.Window = &ranges[i], 0, 0
		pending++
		sel.AddFuture(workflow.ExecuteActivity(withLongOptions(ctx), a.Transform, r), func(f workflow.Future) {
			pending--
			if err := f.Get(ctx, &results[i]); err != nil && failed == nil {
				failed = failure(err, "range %d of %s", i, in.Objects[0].Name)
			}
		})
	}
	for pending > 0 {
		sel.Select(ctx)
	}
	if failed != nil {
		return activities.TransformResult{}, failed
	}
	sum := activities.TransformResult{Manifest: results[0].Manifest}
	var t pipeline.Tally
	for _, r := range results {
		sum.Manifests = append(sum.Manifests, r.Manifest)
		t.Add(r.Tally())
	}
	sum.Counts, sum.Objects, sum.Bytes, sum.StorageRetries = t.Accounting, t.Objects, t.Bytes, t.StorageRetries
	return sum, nil
}

// RecreateTablesWorkflow drops and creates every table with its schema,
// partitioning and clustering. It takes `{}`.
func RecreateTablesWorkflow(ctx workflow.Context, in activities.RecreateInput) (activities.RecreateResult, error) {
	var a *activities.Activities
	var res activities.RecreateResult
	err := workflow.ExecuteActivity(withLongOptions(ctx), a.Recreate, in).Get(ctx, &res)
	return res, err
}

// RebuildModelsInput asks for every derived table to be built again. It is
// empty: `{}`.
type RebuildModelsInput struct{}

// RebuildModelsWorkflow builds every derived table (user_sessions and the
// report_* tables) again from the warehouse tables, with the workers'
// models.session_gap, and runs the data tests on all of them: after the gap
// changes, or to repair what an interrupted run left behind. It takes `{}`.
func RebuildModelsWorkflow(ctx workflow.Context, _ RebuildModelsInput) (activities.ModelsResult, error) {
	var a *activities.Activities
	var res activities.ModelsResult
	err := workflow.ExecuteActivity(withLongOptions(ctx), a.Models, activities.ModelsInput{Rebuild: true}).Get(ctx, &res)
	return res, err
}
