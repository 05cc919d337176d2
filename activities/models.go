package activities

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/sdk/activity"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"

	"github.com/clickstream-platform/clickstream/warehouse"
)

// ErrDataTest is the application error type of a run whose data tests
// failed after its models step: the tables break a rule they must keep (an
// event without its session, a key twice, a report that does not add up).
// No retry mends it; the derived tables are left as they were and the run's
// changes stay pending, for the next run or a rebuild once the cause is
// fixed.
const ErrDataTest = "DataTestError"

// ModelsInput asks for the derived tables to be built.
type ModelsInput struct {
	// RunID is the run whose changes are rebuilt for. Required unless
	// Rebuild.
	RunID string `json:"run_id,omitempty"`
	// Rebuild builds every derived table again from the warehouse tables.
	Rebuild bool `json:"rebuild,omitempty"`
}

// ModelsResult is what the build did.
type ModelsResult struct {
	warehouse.ModelsResult
	Gap      time.Duration `json:"session_gap"`
	Duration time.Duration `json:"duration"`
}

// Models builds the derived tables (package models): what a run changed, or
// with Rebuild everything, with the configured session gap. A run's build
// ends with its data tests; a failed one is a non-retryable DataTestError.
// The build is one transaction on the warehouse, so a retry after a lost
// worker starts it again from the same tables and gives the same result.
func (a *Activities) Models(ctx context.Context, in ModelsInput) (ModelsResult, error) {
	start := time.Now()
	log := tlog.With(activity.GetLogger(ctx), "run_id", in.RunID, "rebuild", in.Rebuild)
	if in.RunID == "" && !in.Rebuild {
		return ModelsResult{}, classify(configError("building the models: a run id is required unless rebuilding"))
	}
	gap := a.SessionGap
	if gap <= 0 {
		gap = DefaultSessionGap
	}
	log.Info("models build started", "session_gap", gap)
	stop := keepAlive(ctx)
	defer stop()
	wr, err := a.Warehouse.BuildModels(ctx, warehouse.ModelsRequest{RunID: in.RunID, Rebuild: in.Rebuild, Gap: gap,
		Attempt: activity.GetInfo(ctx).Attempt})
	if errors.Is(err, warehouse.ErrDataTest) {
		return ModelsResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrDataTest, err)
	}
	if err != nil {
		return ModelsResult{}, classify(err)
	}
	res := ModelsResult{ModelsResult: wr, Gap: gap, Duration: time.Since(start)}
	log.Info("models built", "changes", wr.Changes, "tests", wr.Tests, "rows", wr.Rows, "took", res.Duration)
	return res, nil
}
