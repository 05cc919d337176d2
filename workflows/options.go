package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/clickstream-platform/clickstream/activities"
)

// DefaultTaskQueue is the task queue of the workers and of the runs.
const DefaultTaskQueue = "clickstream"

// HeartbeatTimeout is every activity's heartbeat timeout: how long a step
// whose worker was lost (killed, its machine gone) waits before it is
// retried on another worker. Every activity heartbeats every
// activities.HeartbeatInterval, a quarter of it, whatever it waits for, so
// this bounds what a lost worker costs a run, not how long a step may take.
// Temporal learns of a lost worker from nothing else: without a heartbeat
// timeout a step would wait for its start-to-close timeout. The price of a
// short one: the SDK gives up a heartbeat after 40% of it and cancels the
// activity, so a server outage longer than 8s makes the running steps start
// again from their last checkpoint (a minute would make that 10s, the SDK's
// ceiling, while a lost worker would cost three times as much).
const HeartbeatTimeout = 4 * activities.HeartbeatInterval

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

// Short steps: plan, list a page, reconcile. They heartbeat too, so that a
// lost worker costs HeartbeatTimeout, not the start-to-close timeout.
func withShortOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Minute,
		HeartbeatTimeout:    HeartbeatTimeout,
		RetryPolicy:         retry,
	})
}

// Long steps heartbeat: the transform its checkpoint after every part and in
// between, loads and recreate while they wait, so a lost worker is noticed
// within HeartbeatTimeout and the step is retried elsewhere, resuming from
// its last checkpoint.
func withLongOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Hour,
		HeartbeatTimeout:    HeartbeatTimeout,
		RetryPolicy:         retry,
	})
}

// Recording a failed run and posting an alert retry on their own, a few
// minutes at most: the run has already failed, and they must not keep it
// open long; an alert that never gets through does not fail anything.
func withRecordOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		HeartbeatTimeout:    HeartbeatTimeout,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second,
			MaximumAttempts: 8, NonRetryableErrorTypes: activities.NonRetryable},
	})
}
