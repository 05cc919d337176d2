package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"

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
}

// LoadResult is what the warehouse did, and what the manifests say it
// should have read.
type LoadResult struct {
	warehouse.LoadResult
	// Expected is the number of staged rows the manifests count for the table.
	Expected int64 `json:"expected"`
	Files    int   `json:"files"`
}

// heartbeatEvery is how often a long warehouse call reports it is alive.
const heartbeatEvery = 10 * time.Second

// Load loads a table from every staged file of the run, in the run's mode.
// It is the only step that writes to the warehouse, once per table per run.
func (a *Activities) Load(ctx context.Context, in LoadInput) (LoadResult, error) {
	mode, err := warehouse.ParseMode(in.Mode)
	if err != nil {
		return LoadResult{}, classify(configError("%v", err))
	}
	if _, ok := clickstream.LookupTable(in.Table); !ok {
		return LoadResult{}, classify(configError("unknown table %q", in.Table))
	}
	res := LoadResult{}
	var files []string
	for _, name := range in.Manifests {
		m, err := a.readManifest(ctx, name)
		if err != nil {
			return res, classify(fmt.Errorf("loading %s: %w", in.Table, err))
		}
		files = append(files, m.Files[in.Table]...)
		res.Expected += m.Counts.TableRows(in.Table)
	}
	res.Files = len(files)

	stop := keepAlive(ctx)
	defer stop()
	wr, err := a.Warehouse.Load(ctx, warehouse.LoadRequest{Table: in.Table, Files: files, Mode: mode, RunID: in.RunID,
		Attempt: activity.GetInfo(ctx).Attempt})
	if err != nil {
		return res, classify(err)
	}
	res.LoadResult = wr
	return res, nil
}

// keepAlive heartbeats while a long call that cannot report progress runs,
// so that a lost worker is noticed within the heartbeat timeout.
func keepAlive(ctx context.Context) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(heartbeatEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx)
			}
		}
	}()
	return func() { close(done) }
}
