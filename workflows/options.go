package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/clickstream-platform/clickstream/activities"
)

// DefaultTaskQueue is the task queue of the workers and of the runs.
const DefaultTaskQueue = "clickstream"

// retry is the retry policy of every activity: transient failures (I/O, a
// busy warehouse, a lost worker) are retried with backoff for several
// minutes; the failures no retry mends fail at once.
var retry = &temporal.RetryPolicy{
	InitialInterval:        time.Second,
	BackoffCoefficient:     2,
	MaximumInterval:        time.Minute,
	MaximumAttempts:        10,
	NonRetryableErrorTypes: activities.NonRetryable,
}

// Short steps: plan, list a page, reconcile.
func withShortOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Minute,
		RetryPolicy:         retry,
	})
}

// Long steps heartbeat: the transform after every part, loads and recreate
// every few seconds, so a lost worker is noticed within a minute and the
// step is retried elsewhere, resuming from its last checkpoint.
func withLongOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Hour,
		HeartbeatTimeout:    time.Minute,
		RetryPolicy:         retry,
	})
}
