package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/clickstream-platform/clickstream/blob"
	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/pipeline"
	"github.com/clickstream-platform/clickstream/staging"
)

// TransformInput is one batch of input objects.
type TransformInput struct {
	RunID   string        `json:"run_id"`
	BatchID string        `json:"batch_id"`
	Source  string        `json:"source"`
	Objects []blob.Object `json:"objects"`
	// Range, when set, makes the batch one range of its one object (a large
	// plain object cut by Split, its ranges transformed side by side).
	Range *staging.Range `json:"range,omitempty"`
	// SplitBytes and Window, when set, tell BatchWorkflow that its one
	// object, if larger than SplitBytes and not compressed, is to be cut into
	// ranges of about SplitBytes, Window of them transformed at once.
	SplitBytes int64 `json:"split_bytes,omitempty"`
	Window     int   `json:"window,omitempty"`
	// Format is the staged files' format (the run's Plan.StagingFormat);
	// empty: NDJSON, as in runs planned before it existed.
	Format string `json:"format,omitempty"`
	// Input is the shape of the objects' lines (the run's Plan.Format);
	// empty: sessions, as in runs planned before GA4 input existed.
	Input string `json:"input,omitempty"`
}

// TransformResult refers to the batch's manifest and sums it up.
type TransformResult struct {
	// Manifest is the manifest's name in the staging store.
	Manifest string `json:"manifest"`
	// Manifests, when set, are the manifests of a batch read in ranges, one
	// a range; Manifest is then the first.
	Manifests []string           `json:"manifests,omitempty"`
	Counts    clickstream.Counts `json:"counts"`
	Objects   int                `json:"objects"`
	Bytes     int64              `json:"bytes"`
	// Reused says the batch had been finished before: its manifest was read
	// back instead of transforming again.
	Reused bool `json:"reused,omitempty"`
	// StorageRetries is the manifest's StorageRetries.
	StorageRetries int64 `json:"storage_retries,omitempty"`
}

// Tally is what the batch read and counted; a batch read in ranges counts
// a batch a range.
func (r TransformResult) Tally() pipeline.Tally {
	return pipeline.Tally{Accounting: r.Counts, Objects: r.Objects, Bytes: r.Bytes,
		Batches: max(len(r.Manifests), 1), StorageRetries: r.StorageRetries}
}

// Transform turns a batch of objects into staged files per table, dead-letter
// files and a manifest (staging.Area.Transform). It heartbeats a checkpoint
// after every part of every object (transform.part_bytes of input) and, when
// retried, resumes from the last one.
func (a *Activities) Transform(ctx context.Context, in TransformInput) (TransformResult, error) {
	start := time.Now()
	log := tlog.With(activity.GetLogger(ctx), "run_id", in.RunID, "batch", in.BatchID)
	area := a.area()
	name := staging.ManifestName(in.RunID, in.BatchID)
	if m, err := area.ReadManifest(ctx, name); err == nil {
		res := summarize(name, m)
		res.Reused = true
		log.Info("batch already transformed", "manifest", name)
		return res, nil // counted by the attempt that wrote the manifest (see countBatch)
	} else if !errors.Is(err, blob.ErrNotExist) {
		return TransformResult{}, err
	}
	src, err := a.OpenSource(ctx, in.Source)
	if err != nil {
		return TransformResult{}, classify(configError("source %s: %v", in.Source, err))
	}
	format := clickstream.NDJSON
	if in.Format != "" {
		if format, err = clickstream.ParseFormat(in.Format); err != nil {
			return TransformResult{}, classify(configError("%v", err))
		}
	}
	input := clickstream.SessionsInput
	if in.Input != "" {
		if input, err = clickstream.ParseInputFormat(in.Input); err != nil {
			return TransformResult{}, classify(configError("%v", err))
		}
	}
	var cp staging.Checkpoint
	if activity.HasHeartbeatDetails(ctx) {
		if err := activity.GetHeartbeatDetails(ctx, &cp); err != nil {
			return TransformResult{}, fmt.Errorf("reading the transform's checkpoint: %w", err)
		}
		log.Info("batch transform resumed", "object", cp.Object, "parts", cp.Parts, "line", cp.Cursor.Line)
	} else {
		log.Info("batch transform started", "objects", len(in.Objects))
	}
	hb, err := startCheckpointer(ctx, cp)
	if err != nil {
		return TransformResult{}, err
	}
	defer hb.stop()
	m, err := area.Transform(ctx, staging.Batch{
		RunID: in.RunID, BatchID: in.BatchID, Source: src, Objects: in.Objects, Range: in.Range,
		Format: format, Input: input, MaxLineBytes: a.MaxLineBytes, MaxLineSetBy: a.MaxLineSetBy, PartBytes: a.PartBytes,
	}, cp, func(cp staging.Checkpoint) error { return hb.record(cp) })
	if err != nil {
		return TransformResult{}, classify(err)
	}
	if err := area.WriteManifest(ctx, name, m); err != nil {
		return TransformResult{}, classify(err)
	}
	res := summarize(name, m)
	log.Info("batch transformed", "lines", res.Counts.Lines, "objects", res.Objects, "bytes", res.Bytes)
	countBatch(activity.GetMetricsHandler(ctx), res, time.Since(start))
	return res, nil
}

// The transform's metrics (see app.ServeMetrics). Each is emitted with the
// SDK's activity tags, and the table ones with table besides: one tag set
// per name, as Prometheus wants.
const (
	metricInputBytes       = "clickstream_input_bytes_total"
	metricInputObjects     = "clickstream_input_objects_total"
	metricInputLines       = "clickstream_input_lines_total"
	metricSessionsValid    = "clickstream_sessions_valid_total"
	metricSessionsRejected = "clickstream_sessions_rejected_total"
	metricEventsRejected   = "clickstream_events_rejected_total"
	metricRejects          = "clickstream_rejects_total" // dead-lettered records: rejected sessions and events
	metricRowsStaged       = "clickstream_rows_staged_total"
	metricTransformTime    = "clickstream_batch_transform_duration_seconds"
)

// countBatch emits a finished batch's counts, and how long the attempt that
// finished it took (a resumed transform: since it resumed). It runs once the
// manifest is written, in the attempt that wrote it, and never for a batch
// read back from its manifest (a retry after that point, or a run resumed),
// so that no batch is counted twice however often it is retried. The price:
// a worker that dies between the manifest and this call leaves its batch
// uncounted (as it loses every count not scraped yet).
func countBatch(h client.MetricsHandler, res TransformResult, took time.Duration) {
	c := res.Counts
	h.Counter(metricInputBytes).Inc(res.Bytes)
	h.Counter(metricInputObjects).Inc(int64(res.Objects))
	h.Counter(metricInputLines).Inc(c.Lines)
	h.Counter(metricSessionsValid).Inc(c.SessionsValid)
	h.Counter(metricSessionsRejected).Inc(c.SessionsRejected)
	h.Counter(metricEventsRejected).Inc(c.EventsRejected)
	h.Counter(metricRejects).Inc(c.DeadLetters())
	for _, t := range clickstream.Tables() {
		h.WithTags(map[string]string{"table": t.Name}).Counter(metricRowsStaged).Inc(c.TableRows(t.Name))
	}
	h.Timer(metricTransformTime).Record(took)
}

func summarize(name string, m staging.Manifest) TransformResult {
	res := TransformResult{Manifest: name, Counts: m.Counts, StorageRetries: m.StorageRetries}
	res.Objects, res.Bytes = m.Read()
	return res
}
