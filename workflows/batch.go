package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/clickstream-platform/clickstream/activities"
)

// BatchWorkflow transforms one batch of objects into staged files and a
// manifest, and returns the manifest's reference.
func BatchWorkflow(ctx workflow.Context, in activities.TransformInput) (activities.TransformResult, error) {
	var a *activities.Activities
	var res activities.TransformResult
	err := workflow.ExecuteActivity(withLongOptions(ctx), a.Transform, in).Get(ctx, &res)
	return res, err
}

// RecreateTablesWorkflow drops and creates every table with its schema,
// partitioning and clustering. It takes `{}`.
func RecreateTablesWorkflow(ctx workflow.Context, in activities.RecreateInput) (activities.RecreateResult, error) {
	var a *activities.Activities
	var res activities.RecreateResult
	err := workflow.ExecuteActivity(withLongOptions(ctx), a.Recreate, in).Get(ctx, &res)
	return res, err
}
