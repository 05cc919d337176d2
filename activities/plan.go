package activities

import (
	"context"
	"fmt"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/warehouse"
)

// PlanInput is a run's input as given: zero fields mean the worker's defaults.
type PlanInput struct {
	Source       string `json:"source,omitempty"`
	Mode         string `json:"mode,omitempty"`
	BatchObjects int    `json:"batch_objects,omitempty"`
	BatchBytes   int64  `json:"batch_bytes,omitempty"`
	Window       int    `json:"window,omitempty"`
	PageSize     int    `json:"page_size,omitempty"`
	PagesPerRun  int    `json:"pages_per_run,omitempty"`
	// From and To select the source's dt=YYYY-MM-DD folders of these days,
	// both included; To defaults to From. Empty: the whole source.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// StagingFormat is the staged files' format: parquet or ndjson.
	StagingFormat string `json:"staging_format,omitempty"`
}

// Plan is a run's effective settings.
type Plan struct {
	Source       string `json:"source"`
	Mode         string `json:"mode"`
	BatchObjects int    `json:"batch_objects"`
	BatchBytes   int64  `json:"batch_bytes"`
	Window       int    `json:"window"`
	PageSize     int    `json:"page_size"`
	PagesPerRun  int    `json:"pages_per_run"`
	// StagingFormat is the format of every staged file of the run, so that
	// each table's load reads one format whichever workers transformed its
	// batches. Empty in runs planned before it existed: NDJSON.
	StagingFormat string `json:"staging_format,omitempty"`
	// From and To are the run's days (YYYY-MM-DD), or empty for the whole
	// source.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
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
	d := a.Defaults
	p := Plan{
		Source: or(in.Source, d.Source), Mode: or(in.Mode, d.Mode),
		BatchObjects: or(in.BatchObjects, d.BatchObjects), BatchBytes: or(in.BatchBytes, d.BatchBytes),
		Window: or(in.Window, d.Window), PageSize: or(in.PageSize, d.PageSize), PagesPerRun: or(in.PagesPerRun, d.PagesPerRun),
		From: in.From, To: or(in.To, in.From),
		StagingFormat: or(in.StagingFormat, or(d.StagingFormat, string(clickstream.NDJSON))),
		Staging:       a.Staging.URI(), DeadLetter: a.DeadLetter.URI(),
		SearchAttributes: a.SearchAttributes,
	}
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

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
