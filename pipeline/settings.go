package pipeline

import "cmp"

// Settings are a run's settings. A zero field means "not given": a run's
// input leaves out what the workers' configuration should decide, and
// WithDefaults fills it in. The JSON names are those of the run's input in
// the Temporal UI, and of the pipeline.* configuration keys.
type Settings struct {
	// Source is the folder, gs://bucket/prefix or bq:// table to read
	// (source.uri).
	Source string `json:"source,omitempty"`
	// Mode is replace or merge (pipeline.mode).
	Mode string `json:"mode,omitempty"`
	// Batching and paging (pipeline.batch_objects, pipeline.batch_bytes,
	// pipeline.window, pipeline.page_size, pipeline.pages_per_run).
	BatchObjects int   `json:"batch_objects,omitempty"`
	BatchBytes   int64 `json:"batch_bytes,omitempty"`
	Window       int   `json:"window,omitempty"`
	PageSize     int   `json:"page_size,omitempty"`
	PagesPerRun  int   `json:"pages_per_run,omitempty"`
	// StagingFormat is the staged files' format, parquet or ndjson
	// (pipeline.staging_format). A run fixes one, so that each table's load
	// reads one format whichever workers transformed its batches.
	StagingFormat string `json:"staging_format,omitempty"`
	// Format is the shape of the source's lines, sessions or ga4
	// (source.format). A run fixes one for all its batches.
	Format string `json:"format,omitempty"`
	// From and To (YYYY-MM-DD) select the source's dt=YYYY-MM-DD/ folders
	// of these days, both included; To defaults to From. Empty: the whole
	// source.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// OnlyNew reads only the objects of the slice that the ledger does not
	// hold at the generation listed (files that arrived late, or were
	// rewritten), in merge mode.
	OnlyNew bool `json:"only_new,omitempty"`
	// Overrides are the quality gates' thresholds the run sets for itself.
	Overrides
}

// WithDefaults returns s with every field it leaves out taken from d, but
// the days: those are the run's own, To defaulting to From.
func (s Settings) WithDefaults(d Settings) Settings {
	return Settings{
		Source: cmp.Or(s.Source, d.Source), Mode: cmp.Or(s.Mode, d.Mode),
		BatchObjects: cmp.Or(s.BatchObjects, d.BatchObjects), BatchBytes: cmp.Or(s.BatchBytes, d.BatchBytes),
		Window: cmp.Or(s.Window, d.Window), PageSize: cmp.Or(s.PageSize, d.PageSize), PagesPerRun: cmp.Or(s.PagesPerRun, d.PagesPerRun),
		StagingFormat: cmp.Or(s.StagingFormat, d.StagingFormat), Format: cmp.Or(s.Format, d.Format),
		From: s.From, To: cmp.Or(s.To, s.From),
		OnlyNew: s.OnlyNew,
	}
}
