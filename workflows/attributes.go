package workflows

import (
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/clickstream-platform/clickstream/activities"
	"github.com/clickstream-platform/clickstream/clickstream"
)

// The search attributes a run sets, so that runs can be found in the
// Temporal UI and with `temporal workflow list --query`, e.g.
// ClickstreamMode = 'merge' AND ClickstreamFrom >= '2024-01-01T00:00:00Z'.
// A namespace must have them before a run may set them: the worker
// registers them at start where it is allowed to (SearchAttributes says
// which), and `temporal operator search-attribute create` does it by hand.
var (
	SourceAttribute = temporal.NewSearchAttributeKeyKeyword("ClickstreamSource")
	ModeAttribute   = temporal.NewSearchAttributeKeyKeyword("ClickstreamMode")
	FromAttribute   = temporal.NewSearchAttributeKeyTime("ClickstreamFrom")
	ToAttribute     = temporal.NewSearchAttributeKeyTime("ClickstreamTo")
)

// SearchAttributes are the clickstream search attributes' keys.
func SearchAttributes() []temporal.SearchAttributeKey {
	return []temporal.SearchAttributeKey{SourceAttribute, ModeAttribute, FromAttribute, ToAttribute}
}

// scheduledStartTime is the search attribute a Temporal Schedule sets on
// the runs it starts: the time the run was scheduled for (not when it
// started, which a paused schedule's catch-up or a busy server delays).
const scheduledStartTime = "TemporalScheduledStartTime"

// setRunAttributes records the run's source, mode and days as memo (always
// allowed) and search attributes (when the namespace has them). They are
// carried into the run's continue-as-new executions.
func setRunAttributes(ctx workflow.Context, plan activities.Plan) error {
	memo := map[string]any{"source": plan.Source, "mode": plan.Mode}
	if plan.From != "" {
		memo["from"], memo["to"] = plan.From, plan.To
	}
	if err := workflow.UpsertMemo(ctx, memo); err != nil {
		return err
	}
	if !plan.SearchAttributes {
		return nil
	}
	updates := []temporal.SearchAttributeUpdate{SourceAttribute.ValueSet(plan.Source), ModeAttribute.ValueSet(plan.Mode)}
	if plan.From != "" {
		// Plan checked both days.
		from, _ := clickstream.ParseDay(plan.From)
		to, _ := clickstream.ParseDay(plan.To)
		updates = append(updates, FromAttribute.ValueSet(from), ToAttribute.ValueSet(to))
	}
	return workflow.UpsertTypedSearchAttributes(ctx, updates...)
}

// scheduledDays resolves a scheduled run's days from its scheduled time.
func scheduledDays(ctx workflow.Context, s ScheduledDays) (from, to string) {
	at := scheduledTime(ctx)
	n := max(s.Days, 1)
	return clickstream.DayOf(at, s.OffsetDays-n+1), clickstream.DayOf(at, s.OffsetDays)
}

// scheduledTime is the time the run was scheduled for, or its start time
// when no schedule started it. The schedule's attribute is read from the
// start event's raw search attributes: it is a system attribute that the
// typed accessor only knows with its type metadata.
func scheduledTime(ctx workflow.Context) time.Time {
	info := workflow.GetInfo(ctx)
	if p, ok := info.SearchAttributes.GetIndexedFields()[scheduledStartTime]; ok {
		var t time.Time
		if err := converter.GetDefaultDataConverter().FromPayload(p, &t); err == nil && !t.IsZero() {
			return t
		}
	}
	return info.WorkflowStartTime
}
