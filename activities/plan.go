package activities

import (
	"cmp"
	"context"
	"fmt"

	"github.com/clickstream-platform/clickstream/blob"
	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/location"
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
	// Quality are the run's quality gates: the workers' with the run's
	// overrides. nil in runs planned before the gates existed, which skip
	// them.
	Quality *pipeline.Quality `json:"quality,omitempty"`
	// Slice is what the run reads, as the prefixes of its rows'
	// source_object: the source's folder, or its days' dt= folders. A
	// replace run replaces exactly these rows. Empty in runs planned before
	// runs had slices, and for a bq:// source until its export (whose
	// folder is then the slice).
	Slice warehouse.Slice `json:"slice,omitempty"`
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
	d.Format = cmp.Or(d.Format, string(clickstream.SessionsInput))
	p := Plan{Settings: in.WithDefaults(d), Staging: a.Staging.URI(), DeadLetter: a.DeadLetter.URI(),
		SearchAttributes: a.SearchAttributes}
	q := a.Quality.With(in.Overrides)
	p.Quality = &q
	for _, f := range []struct {
		name string
		v    *float64
	}{{"max_rejected_lines", in.MaxRejectedLines}, {"max_rejected_events", in.MaxRejectedEvents}} {
		if f.v != nil && (*f.v < 0 || *f.v > 1) {
			return p, classify(configError("%s must be a share between 0 and 1, got %g", f.name, *f.v))
		}
	}
	if p.OnlyNew {
		// Objects read again must not replace what other objects loaded.
		if in.Mode != "" && in.Mode != string(warehouse.Merge) {
			return p, classify(configError("only_new loads in merge mode: it cannot go with mode %s", in.Mode))
		}
		p.Mode = string(warehouse.Merge)
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
	if _, err := clickstream.ParseInputFormat(p.Format); err != nil {
		return p, classify(configError("format: %v", err))
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
	if location.SchemeOf(p.Source) == location.BigQuery {
		// The export step reaches the table; the run then reads the export.
		l, err := location.Parse(p.Source)
		if err != nil {
			return p, classify(configError("source: %v", err))
		}
		// A GA4 export holds GA4 events and a visits table sessions,
		// whatever the workers' source.format; a run that asks for the
		// other format is mistaken.
		want := clickstream.SessionsInput
		if l.Table.GA4() {
			want = clickstream.GA4Input
		}
		if in.Format != "" && in.Format != string(want) {
			return p, classify(configError("format %s cannot read %s, which holds %s input", in.Format, p.Source, want))
		}
		p.Format = string(want)
		if p.OnlyNew {
			return p, classify(configError("only_new reads a folder or bucket, not a bq:// table"))
		}
		return p, nil
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
	p.Slice = sliceOf(src.URI(), p.From, p.To)
	return p, nil
}

// sliceOf is the slice of a run over the store whose URI is root: all of it,
// or the dt= folders of the days from to to. Its prefixes are those of the
// full names of the objects read (blob.Join), the rows' source_object.
func sliceOf(root, from, to string) warehouse.Slice {
	if from == "" {
		return warehouse.Slice{Prefixes: []string{blob.Join(root, "")}}
	}
	days, _ := clickstream.Days(from, to) // checked by Plan
	s := warehouse.Slice{}
	for _, day := range days {
		s.Prefixes = append(s.Prefixes, blob.Join(root, clickstream.PartitionPrefix(day)))
	}
	return s
}
