package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/warehouse"
)

// LoadInput loads one table from the staged files of a run's batches.
type LoadInput struct {
	RunID string `json:"run_id"`
	Table string `json:"table"`
	Mode  string `json:"mode"`
	// Manifests are the names of the batches' manifests in the staging store.
	Manifests []string `json:"manifests"`
	// Slice is the run's slice (Plan.Slice), which a replace replaces. A
	// merge's is the objects the manifests list.
	Slice warehouse.Slice `json:"slice"`
}

// LoadResult is what the warehouse did, and what the manifests say it
// should have read.
type LoadResult struct {
	warehouse.LoadResult
	// Expected is the number of staged rows the manifests count for the table.
	Expected int64 `json:"expected"`
	Files    int   `json:"files"`
}

// Load loads a table from every staged file of the run, in the run's mode:
// a replace replaces the run's slice, a merge adds the objects read (and
// replaces those rewritten since they were loaded). It is the only step
// that writes to the warehouse, once per table per run; the lake table
// first, since the others derive rows from it.
func (a *Activities) Load(ctx context.Context, in LoadInput) (LoadResult, error) {
	start := time.Now()
	log := tlog.With(activity.GetLogger(ctx), "run_id", in.RunID, "table", in.Table)
	mode, err := warehouse.ParseMode(in.Mode)
	if err != nil {
		return LoadResult{}, classify(configError("%v", err))
	}
	if _, ok := clickstream.LookupTable(in.Table); !ok {
		return LoadResult{}, classify(configError("unknown table %q", in.Table))
	}
	res := LoadResult{}
	var files []string
	var objects []warehouse.SourceObject
	seen := map[string]bool{}
	for _, name := range in.Manifests {
		m, err := a.area().ReadManifest(ctx, name)
		if err != nil {
			return res, classify(fmt.Errorf("loading %s: %w", in.Table, err))
		}
		files = append(files, m.Files[in.Table]...)
		res.Expected += m.Counts.TableRows(in.Table)
		for _, o := range m.Objects {
			if !seen[o.URI] { // an object read in ranges is in a manifest a range
				seen[o.URI] = true
				objects = append(objects, warehouse.SourceObject{URI: o.URI, Generation: o.Generation, Size: o.Size})
			}
		}
	}
	slice := in.Slice
	if mode == warehouse.Merge {
		slice = warehouse.Slice{}
		for _, o := range objects {
			slice.Objects = append(slice.Objects, o.URI)
		}
	} else if slice.Empty() {
		return res, classify(configError("loading %s: the run has no slice to replace (planned by an older worker?): start it again", in.Table))
	}
	res.Files = len(files)
	log.Info("table load started", "mode", in.Mode, "files", res.Files, "expected", res.Expected)

	stop := keepAlive(ctx)
	defer stop()
	wr, err := a.Warehouse.Load(ctx, warehouse.LoadRequest{Table: in.Table, Files: files, Mode: mode, RunID: in.RunID,
		Slice: slice, Objects: objects,
		Attempt: activity.GetInfo(ctx).Attempt,
		KeepBefore: func(ctx context.Context, before int64) (int64, error) {
			return a.area().KeepLoadCount(ctx, in.RunID, in.Table, before)
		}})
	if err != nil {
		return res, classify(err)
	}
	res.LoadResult = wr
	// The estimate is the dry run's, made before the write; the bytes
	// processed, what the jobs read (BigQuery bills by them; 0 for DuckDB).
	log.Info("table loaded", "staged", wr.Staged, "distinct", wr.Distinct, "rows", wr.After, "added", wr.Added,
		"bytes_estimated", wr.EstimatedBytes, "bytes_processed", wr.BytesProcessed)
	if wr.EstimateError != "" {
		log.Warn("table load had no estimate of its bytes", "error", wr.EstimateError)
	}
	countLoad(activity.GetMetricsHandler(ctx), in.Table, wr, time.Since(start))
	return res, nil
}

// The load's metrics (see app.ServeMetrics), each tagged with the table
// besides the SDK's activity tags.
const (
	metricRowsAdded   = "clickstream_load_rows_added_total"
	metricRowsRemoved = "clickstream_load_rows_removed_total"
	metricLoadTime    = "clickstream_load_duration_seconds"
)

// countLoad emits a finished load: what the table gained (or, replaced by
// fewer rows, lost: a counter only grows) and how long this attempt took. It
// runs when the load succeeds, so a load counts once unless its completion
// is itself retried (the worker dies, or its answer is lost, after this
// call): that retry, reporting the same change (see staging.Area.KeepLoadCount), counts it
// again.
func countLoad(h client.MetricsHandler, table string, wr warehouse.LoadResult, took time.Duration) {
	h = h.WithTags(map[string]string{"table": table})
	h.Counter(metricRowsAdded).Inc(max(wr.Added, 0))
	h.Counter(metricRowsRemoved).Inc(max(-wr.Added, 0))
	h.Timer(metricLoadTime).Record(took)
}
