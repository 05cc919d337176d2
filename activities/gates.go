package activities

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/clickstream-platform/clickstream/blob"
	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/pipeline"
)

// GatesInput is a run's input to its quality gates, once every batch is
// transformed and before anything is loaded.
type GatesInput struct {
	RunID string `json:"run_id"`
	// Source is the store the run read (Plan.Source); Manifests its batches.
	Source    string           `json:"source"`
	Manifests []string         `json:"manifests"`
	Quality   pipeline.Quality `json:"quality"`
	// RequireDay, when set, is the day (YYYY-MM-DD) whose dt= folder must
	// hold input: the day a scheduled run or a backfill's day stands for.
	RequireDay string `json:"require_day,omitempty"`
	// VolumeSource is the source as the audit table records it, and Days
	// the run's days (0: the whole source), for the volume check.
	VolumeSource string `json:"volume_source"`
	Days         int    `json:"days"`
}

// GatesResult is what the gates warn of, the run going on.
type GatesResult struct {
	Warnings []string `json:"warnings,omitempty"`
}

// volumeHistory is how many of the source's last successful runs a run's
// volume is compared with.
const volumeHistory = 7

// The gates' metrics (see app.ServeMetrics).
const (
	metricGateFailures = "clickstream_quality_gate_failures_total" // tagged gate
	metricRunWarnings  = "clickstream_run_warnings_total"          // tagged kind
)

// Gates checks a run's quality gates (SPEC.md, "Quality gates"): the day it
// stands for holds input, it rejected no larger share of its lines and of
// its events than allowed, and its volume is not far below its source's
// recent runs. A gate that fails fails the run with a non-retryable
// QualityError whose message names the figure, the threshold, the key that
// sets it and the most frequent reject reasons; nothing has been loaded
// yet, so every table stays as it was. A low volume warns instead, unless
// the run's quality says to fail.
func (a *Activities) Gates(ctx context.Context, in GatesInput) (GatesResult, error) {
	stop := keepAlive(ctx)
	defer stop()
	h := activity.GetMetricsHandler(ctx)
	// Every gate's and warning's series exists from the first run, at 0, so
	// that an alert on its increase sees the first failure.
	for _, gate := range []string{"empty_day", "rejected_lines", "rejected_events", "low_volume"} {
		h.WithTags(map[string]string{"gate": gate}).Counter(metricGateFailures).Inc(0)
	}
	h.WithTags(map[string]string{"kind": "low_volume"}).Counter(metricRunWarnings).Inc(0)
	fail := func(gate, format string, args ...any) error {
		h.WithTags(map[string]string{"gate": gate}).Counter(metricGateFailures).Inc(1)
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), ErrQuality, nil)
	}
	if in.RequireDay != "" && !in.Quality.AllowEmptyDays {
		has, err := a.dayHasInput(ctx, in.Source, in.RequireDay)
		if err != nil {
			return GatesResult{}, classify(err)
		}
		if !has {
			return GatesResult{}, fail("empty_day", "no input for %s: the source's dt=%s/ folder holds no input object; "+
				"upstream is late or sent nothing (quality.allow_empty_days lets such a day pass); nothing was loaded", in.RequireDay, in.RequireDay)
		}
	}
	var (
		c       clickstream.Counts
		rejects clickstream.Rejects
	)
	for _, name := range in.Manifests {
		m, err := a.area().ReadManifest(ctx, name)
		if err != nil {
			return GatesResult{}, classify(fmt.Errorf("checking the quality gates: %w", err))
		}
		c.Add(m.Counts)
		rejects.Add(m.Rejects)
	}
	q := in.Quality
	lines, ofLines := c.RejectedLines()
	if share := ratio(lines, ofLines); share > q.MaxRejectedLines {
		return GatesResult{}, fail("rejected_lines", "%s of the non-blank lines rejected (%d of %d), above quality.max_rejected_lines %s; most frequent: %s; "+
			"nothing was loaded: mend the input, or load it anyway with a higher max_rejected_lines for this run (starter run --max-rejected-lines)",
			percent(share), lines, ofLines, percent(q.MaxRejectedLines), topReasons(rejects.Top(false, 3)))
	}
	// GA4 input's events are its lines: the events gate counts the valid
	// ones whose star-schema mapping was rejected.
	events, ofEvents := c.RejectedEvents()
	what := "the events of valid sessions"
	if c.Format == clickstream.GA4Input {
		what = "the valid GA4 events' mappings"
	}
	if share := ratio(events, ofEvents); share > q.MaxRejectedEvents {
		return GatesResult{}, fail("rejected_events", "%s of %s rejected (%d of %d), above quality.max_rejected_events %s; most frequent: %s; "+
			"nothing was loaded: mend the input, or load it anyway with a higher max_rejected_events for this run (starter run --max-rejected-events)",
			percent(share), what, events, ofEvents, percent(q.MaxRejectedEvents), topReasons(rejects.Top(true, 3)))
	}
	var res GatesResult
	if q.MinVolumeRatio > 0 {
		past, err := a.Warehouse.RecentVolumes(ctx, in.VolumeSource, in.Days, volumeHistory)
		if err != nil {
			return GatesResult{}, classify(err)
		}
		if len(past) > 0 {
			med := median(past)
			if float64(c.SessionsValid) < q.MinVolumeRatio*float64(med) {
				msg := fmt.Sprintf("low volume: %d valid lines, below quality.min_volume_ratio %s of %d, the median of the last %d successful runs of %s",
					c.SessionsValid, percent(q.MinVolumeRatio), med, len(past), in.VolumeSource)
				if q.FailOnLowVolume {
					return GatesResult{}, fail("low_volume", "%s (quality.fail_on_low_volume); nothing was loaded", msg)
				}
				h.WithTags(map[string]string{"kind": "low_volume"}).Counter(metricRunWarnings).Inc(1)
				activity.GetLogger(ctx).Warn("low volume", "run_id", in.RunID, "valid_lines", c.SessionsValid, "median", med, "runs", len(past))
				res.Warnings = append(res.Warnings, msg)
			}
		}
	}
	return res, nil
}

// dayHasInput reports whether the source's dt= folder of day holds an input
// object.
func (a *Activities) dayHasInput(ctx context.Context, source, day string) (bool, error) {
	src, err := a.OpenSource(ctx, source)
	if err != nil {
		return false, configError("source %s: %v", source, err)
	}
	for token := ""; ; {
		page, err := src.List(ctx, clickstream.PartitionPrefix(day), token, 0)
		if err != nil {
			return false, fmt.Errorf("listing %s for %s: %w", source, day, err)
		}
		if slices.ContainsFunc(page.Objects, func(o blob.Object) bool { return clickstream.IsInputName(o.Name) }) {
			return true, nil
		}
		if token = page.Next; token == "" {
			return false, nil
		}
	}
}

func ratio(n, of int64) float64 {
	if of <= 0 {
		return 0
	}
	return float64(n) / float64(of)
}

func percent(f float64) string {
	return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.1f", 100*f), "0"), ".") + "%"
}

// topReasons says the most frequent reject codes, with their counts and an
// example each.
func topReasons(top []clickstream.CodeCount) string {
	if len(top) == 0 {
		return "none"
	}
	parts := make([]string, len(top))
	for i, t := range top {
		parts[i] = fmt.Sprintf("%s ×%d (e.g. %q)", t.Code, t.Count, t.Example)
	}
	return strings.Join(parts, ", ")
}

// median of the values: the middle one, or the mean of the two middle ones.
func median(v []int64) int64 {
	s := slices.Sorted(slices.Values(v))
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}
