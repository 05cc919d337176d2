package activities

import (
	"cmp"
	"context"
	"fmt"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/pipeline"
	"github.com/clickstream-platform/clickstream/warehouse"
)

// PlanInput is a run's input as given: zero fields mean the worker's defaults.
type PlanInput struct {
	pipeline.Settings
}

// Plan is a run's effective settings.
type Plan struct {
	pipeline.Settings
	// SearchAttributes says the namespace has the clickstream search
	// attributes, so the run may set them (setting one that does not exist
	// would fail its workflow task over and over).
	SearchAttributes bool `json:"search_attributes,omitempty"`
	// Staging and DeadLetter are the roots the run writes to.
	Staging    string `json:"staging"`
	DeadLetter string `json:"deadletter"`
}

// Plan fills a run's input with the worker's defaults and checks it, so that
// a run started with `{}` (from the Temporal UI, say) runs with the workers'
// configuration, and a wrong input fails at once, naming the field.
func (a *Activities) Plan(ctx context.Context, in PlanInput) (Plan, error) {
	stop := keepAlive(ctx)
	defer stop()
	// Runs planned before the staging format was chosen per run staged
	// NDJSON: so does a worker configured with none.
	d := a.Defaults
	d.StagingFormat = cmp.Or(d.StagingFormat, string(clickstream.NDJSON))
	p := Plan{Settings: in.WithDefaults(d), Staging: a.Staging.URI(), DeadLetter: a.DeadLetter.URI(),
		SearchAttributes: a.SearchAttributes}
	if p.From == "" && p.To != "" {
		return p, classify(configError("to %s without from: give both days of the range", p.To))
	}
	if p.From != "" {
		if _, err := clickstream.Days(p.From, p.To); err != nil {
			return p, classify(configError("%v", err))
		}
	}
	if _, err := clickstream.ParseFormat(p.StagingFormat); err != nil {
		return p, classify(configError("staging_format: %v", err))
	}
	if _, err := warehouse.ParseMode(p.Mode); err != nil {
		return p, classify(configError("mode: %v", err))
	}
	for _, f := range []struct {
		name string
		v    int64
	}{{"batch_objects", int64(p.BatchObjects)}, {"batch_bytes", p.BatchBytes}, {"window", int64(p.Window)},
		{"page_size", int64(p.PageSize)}, {"pages_per_run", int64(p.PagesPerRun)}} {
		if f.v < 1 {
			return p, classify(configError("%s must be positive, got %d", f.name, f.v))
		}
	}
	src, err := a.OpenSource(ctx, p.Source)
	if err != nil {
		return p, classify(configError("source %s: %v", p.Source, err))
	}
	// Listing one object proves the source exists and is readable before any
	// batch starts; a missing folder or bucket fails here, naming it.
	if _, err := src.List(ctx, "", "", 1); err != nil {
		return p, classify(fmt.Errorf("source %s: %w", p.Source, err))
	}
	return p, nil
}
