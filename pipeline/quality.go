package pipeline

// Quality are a run's quality gates (SPEC.md, "Quality gates"), checked
// after the transform and before anything is loaded.
type Quality struct {
	// MaxRejectedLines is the largest share of non-blank lines the run may
	// reject (quality.max_rejected_lines).
	MaxRejectedLines float64 `json:"max_rejected_lines"`
	// MaxRejectedEvents is the largest share of the events of valid
	// sessions it may reject (quality.max_rejected_events).
	MaxRejectedEvents float64 `json:"max_rejected_events"`
	// AllowEmptyDays lets a scheduled run or a backfill day whose day holds
	// no input succeed (quality.allow_empty_days).
	AllowEmptyDays bool `json:"allow_empty_days,omitempty"`
	// MinVolumeRatio is the share of the median valid lines of the source's
	// last successful runs below which the run warns (quality.min_volume_ratio;
	// 0: no check), and FailOnLowVolume makes it fail instead.
	MinVolumeRatio  float64 `json:"min_volume_ratio"`
	FailOnLowVolume bool    `json:"fail_on_low_volume,omitempty"`
}

// Overrides are the gates a run may set for itself, over the workers'
// configuration; nil leaves the worker's.
type Overrides struct {
	MaxRejectedLines  *float64 `json:"max_rejected_lines,omitempty"`
	MaxRejectedEvents *float64 `json:"max_rejected_events,omitempty"`
}

// With returns q with o's thresholds where o sets them.
func (q Quality) With(o Overrides) Quality {
	if o.MaxRejectedLines != nil {
		q.MaxRejectedLines = *o.MaxRejectedLines
	}
	if o.MaxRejectedEvents != nil {
		q.MaxRejectedEvents = *o.MaxRejectedEvents
	}
	return q
}
