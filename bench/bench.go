package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/clickstream-platform/clickstream/activities"
	"github.com/clickstream-platform/clickstream/app"
	"github.com/clickstream-platform/clickstream/config"
	"github.com/clickstream-platform/clickstream/devserver"
	"github.com/clickstream-platform/clickstream/harness"
	"github.com/clickstream-platform/clickstream/pipeline"
	"github.com/clickstream-platform/clickstream/sampledata"
	"github.com/clickstream-platform/clickstream/workflows"
)

// benchFlags are the values of the bench's flags.
type benchFlags struct {
	config                     string
	size, data, worker         string
	stagingFormat              string
	gzip, json, scaling        bool
	sizeSet                    bool // --size was given
	files, pairs               int
	sessionsPerObject, days    int
	seed                       uint64
	invalidRate, duplicateRate float64
}

// benchMinSize keeps data sets large enough to hold a session per file.
const benchMinSize = 100_000

// spec checks the flags and says what data set they ask for.
func (fl benchFlags) spec() (benchDataSpec, error) {
	if fl.pairs < 1 {
		return benchDataSpec{}, fmt.Errorf("--pairs must be at least 1, got %d", fl.pairs)
	}
	if fl.files < 0 {
		return benchDataSpec{}, fmt.Errorf("--objects must be at least 1 (or 0 for the default), got %d", fl.files)
	}
	if fl.days < 1 {
		return benchDataSpec{}, fmt.Errorf("--days must be at least 1, got %d", fl.days)
	}
	spec := benchDataSpec{Files: fl.files, Gen: benchGenOptions{
		Days: fl.days, Start: "2024-01-30", Seed: fl.seed, Gzip: fl.gzip, InvalidRate: fl.invalidRate, DuplicateRate: fl.duplicateRate,
		Files: max(fl.files, 1),
	}}
	switch {
	case fl.sessionsPerObject < 0:
		return spec, fmt.Errorf("--sessions-per-object must be at least 1, got %d", fl.sessionsPerObject)
	case fl.sessionsPerObject > 0:
		// Many small objects: the shape is given, not a size.
		if fl.files == 0 {
			return spec, errors.New("--sessions-per-object needs --objects")
		}
		if fl.sizeSet {
			return spec, errors.New("--sessions-per-object and --size both set the data set's size: give one")
		}
		spec.Gen.Sessions = fl.files * fl.sessionsPerObject
	default:
		size, err := config.ParseByteSize(fl.size)
		if err != nil {
			return benchDataSpec{}, fmt.Errorf("--size: %w", err)
		}
		if size < benchMinSize {
			return benchDataSpec{}, fmt.Errorf("--size must be at least %s, got %s", config.ByteSize(benchMinSize).Decimal(), fl.size)
		}
		spec.Size = int64(size)
	}
	if err := spec.Gen.sampledata().Validate(); err != nil {
		return spec, fmt.Errorf("invalid flags: %w", err)
	}
	return spec, nil
}

// bench is one run of the bench: its server, worker and client.
type bench struct {
	log     io.Writer
	c       client.Client
	worker  *harness.Process
	queue   string
	scratch string
	exe     string // this executable, which runs the reference
	gap     time.Duration
	seq     int
}

func runBench(cmd *cobra.Command, cfg config.Config, fl benchFlags, spec benchDataSpec, dir string) error {
	ctx := cmd.Context()
	log := cmd.ErrOrStderr()
	data, err := prepareBenchData(dir, spec, log)
	if err != nil {
		return err
	}
	if data.Reused {
		fmt.Fprintf(log, "bench: reusing the data set in %s (%d objects, %s)\n", dir, len(data.Manifest.Objects), config.ByteSize(data.Manifest.Bytes).Decimal())
	}
	var scaled benchData
	if fl.scaling {
		s := spec
		s.Size *= 4
		if s.Files > 0 {
			s.Files *= 4
		}
		s.Gen.Sessions *= 4 // set only with --sessions-per-object
		if scaled, err = prepareBenchData(scaledBenchDir(dir, s, fl.data != ""), s, log); err != nil {
			return err
		}
	}

	scratch, err := os.MkdirTemp("", "clickstream-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	b := &bench{log: log, scratch: scratch, gap: cfg.Models.SessionGap, queue: fmt.Sprintf("bench-%d-%d", os.Getpid(), time.Now().UnixNano())}
	if b.exe, err = os.Executable(); err != nil {
		return fmt.Errorf("finding this executable, which runs the reference: %w", err)
	}
	workerBin, err := benchWorkerBinary(ctx, fl.worker, scratch, log)
	if err != nil {
		return err
	}

	rep := benchReport{Data: newBenchDataReport(data), Setup: benchSetup{
		Pairs: fl.pairs, CPUs: runtime.NumCPU(), OS: runtime.GOOS + "/" + runtime.GOARCH, Worker: workerBin, TaskQueue: b.queue,
		StagingFormat: cfg.Pipeline.StagingFormat,
	}}
	closeTemporal, err := b.connect(ctx, &cfg, &rep.Setup)
	if err != nil {
		return err
	}
	defer closeTemporal()
	if err := b.startWorker(fl.config, cfg, workerBin); err != nil {
		return err
	}
	defer b.worker.Stop(workerStopGrace)
	warm, err := b.warmUp(ctx)
	if err != nil {
		return err
	}
	rep.Setup.WarmUpS = warm

	for pair := 1; pair <= fl.pairs; pair++ {
		ref, rr, err := b.reference(ctx, data, pair)
		if err != nil {
			return err
		}
		rep.Reference.Runs = append(rep.Reference.Runs, ref)
		rep.Setup.DuckDB, rep.Setup.Threads = rr.DuckDB, rr.Threads
		if err := b.emptyTables(ctx, fmt.Sprintf("pair-%d", pair)); err != nil {
			return err
		}
		// The fresh run's staged files stay for the floor, which also
		// writes them with DuckDB's own SQL.
		pipe, res, err := b.pipelineKeep(ctx, data, pair)
		if err != nil {
			return err
		}
		rep.Pipeline.Runs = append(rep.Pipeline.Runs, pipe)
		floor, err := runFloor(ctx, b.exe, b.warehouse(), filepath.Join(b.scratch, fmt.Sprintf("floor-%d.duckdb", pair)), res.Staging)
		b.removeRunFolders(res)
		if err != nil {
			return fmt.Errorf("floor %d: %w", pair, err)
		}
		rep.Floor = append(rep.Floor, floor)
		again, err := b.pipeline(ctx, data, pair)
		if err != nil {
			return err
		}
		rep.Populated.Runs = append(rep.Populated.Runs, again)
		fmt.Fprintf(log, "bench: pair %d/%d: reference %.2f s, pipeline %.2f s into a fresh warehouse (ratio %.2f; load %.2f s, floor %.2f s), %.2f s into the populated one (worker peak RSS %.0f MB)\n",
			pair, fl.pairs, ref.WallS, pipe.WallS, pipe.WallS/ref.WallS, pipe.Steps.Load, floor.Seconds, again.WallS, max(pipe.PeakRSSMB, again.PeakRSSMB))
	}
	if fl.scaling {
		if rep.Scaling, err = b.scaling(ctx, scaled, data, rep.Pipeline.Runs, fl.pairs); err != nil {
			return err
		}
	}
	rep.finish()
	out := cmd.OutOrStdout()
	if fl.json {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return rep.print(out)
}

// connect dials the Temporal server answering at cfg's address, or starts a
// dev server for the bench and points cfg at it. The returned func closes
// the client and stops the server it started.
func (b *bench) connect(ctx context.Context, cfg *config.Config, setup *benchSetup) (func(), error) {
	stopServer := func() {}
	if devserver.Answering(ctx, cfg.Temporal.Address, 2*time.Second) {
		setup.Server = "existing"
		fmt.Fprintf(b.log, "bench: using the Temporal server answering at %s\n", cfg.Temporal.Address)
	} else {
		srv, err := harness.StartServer(ctx, harness.ServerOptions{Dir: b.scratch, Namespace: cfg.Temporal.Namespace, Log: b.log})
		if err != nil {
			return nil, fmt.Errorf("starting a Temporal dev server for the bench: %w", err)
		}
		stopServer = func() { srv.Stop() }
		cfg.Temporal.Address = srv.Address()
		setup.Server = "embedded"
	}
	setup.Temporal = cfg.Temporal.Address
	logger := slog.New(slog.NewTextHandler(b.log, &slog.HandlerOptions{Level: slog.LevelWarn}))
	dialCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := app.Dial(dialCtx, *cfg, logger, nil)
	if err != nil {
		stopServer()
		return nil, err
	}
	b.c = c
	return func() {
		c.Close()
		stopServer()
	}, nil
}

// scaling runs the pipeline pairs times on the 4× data set, each into a
// fresh warehouse, and compares its median wall time with the base runs'.
func (b *bench) scaling(ctx context.Context, scaled, base benchData, baseRuns []benchRun, pairs int) (*benchScaling, error) {
	s := &benchScaling{Size: cmp.Or(scaled.Manifest.Size, scaled.Manifest.UncompressedBytes), Dir: scaled.Dir, Expected: scaled.Manifest.Expected}
	for i := 1; i <= pairs; i++ {
		// Like the base runs it is compared with, into a fresh warehouse.
		if err := b.emptyTables(ctx, fmt.Sprintf("scaling-%d", i)); err != nil {
			return nil, err
		}
		run, err := b.pipeline(ctx, scaled, i)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(b.log, "bench: scaling run %d/%d at %s: %.2f s\n", i, pairs, benchSizeLabel(s.Size), run.WallS)
		s.Runs = append(s.Runs, run)
	}
	s.MedianS = medianOf(s.Runs, func(r benchRun) float64 { return r.WallS })
	s.BaseS = medianOf(baseRuns, func(r benchRun) float64 { return r.WallS })
	s.InputRatio = float64(scaled.Manifest.UncompressedBytes) / float64(base.Manifest.UncompressedBytes)
	s.Ratio = s.MedianS / s.BaseS
	return s, nil
}

// startWorker starts the worker process on the bench's task queue and
// folders. The environment's CLICKSTREAM_* settings reach it, and the
// config file in effect (file, else ./clickstream.yaml if present), except
// for the keys the bench sets.
func (b *bench) startWorker(file string, cfg config.Config, bin string) error {
	var args []string
	if file == "" {
		if _, err := os.Stat("clickstream.yaml"); err == nil {
			file = "clickstream.yaml"
		}
	}
	if file != "" {
		abs, err := filepath.Abs(file)
		if err != nil {
			return err
		}
		args = append(args, "--config", abs)
	}
	warmDir := filepath.Join(b.scratch, "warm")
	env := harness.Environ(map[string]string{
		"CLICKSTREAM_TEMPORAL_ADDRESS":        cfg.Temporal.Address,
		"CLICKSTREAM_TEMPORAL_NAMESPACE":      cfg.Temporal.Namespace,
		"CLICKSTREAM_TEMPORAL_TASK_QUEUE":     b.queue,
		"CLICKSTREAM_SOURCE_URI":              warmDir,
		"CLICKSTREAM_STAGING_URI":             filepath.Join(b.scratch, "staging"),
		"CLICKSTREAM_DEADLETTER_URI":          filepath.Join(b.scratch, "deadletter"),
		"CLICKSTREAM_WAREHOUSE_KIND":          "duckdb",
		"CLICKSTREAM_WAREHOUSE_DUCKDB_PATH":   b.warehouse(),
		"CLICKSTREAM_PIPELINE_MODE":           "replace",
		"CLICKSTREAM_PIPELINE_STAGING_FORMAT": cfg.Pipeline.StagingFormat,
		"CLICKSTREAM_METRICS_ADDRESS":         "127.0.0.1:0",
		"CLICKSTREAM_LOG_LEVEL":               "warn",
	})
	w, err := harness.StartProcess(bin, harness.ProcessOptions{Args: args, Dir: b.scratch, Env: env, Log: filepath.Join(b.scratch, "worker.log")})
	if err != nil {
		return fmt.Errorf("starting the worker: %w", err)
	}
	b.worker = w
	fmt.Fprintf(b.log, "bench: worker %d polling task queue %s\n", w.Pid(), b.queue)
	return nil
}

// warmUp runs the pipeline once on a small data set, so that the worker,
// the server and the warehouse file are warm; it returns how long it took.
func (b *bench) warmUp(ctx context.Context) (float64, error) {
	dir := filepath.Join(b.scratch, "warm")
	sum, err := sampledata.Generate(dir, sampledata.Options{Files: 2, Sessions: 500, Days: 1, Seed: 1})
	if err != nil {
		return 0, fmt.Errorf("generating the warm-up data: %w", err)
	}
	data := benchData{Dir: dir, Manifest: benchManifest{UncompressedBytes: sum.Bytes, Expected: sum.Expected}}
	run, err := b.pipeline(ctx, data, 0)
	if err != nil {
		return 0, fmt.Errorf("warm-up run: %w", err)
	}
	fmt.Fprintf(b.log, "bench: warm-up run took %.2f s\n", run.WallS)
	return run.WallS, nil
}

// warehouse is the worker's DuckDB file.
func (b *bench) warehouse() string { return filepath.Join(b.scratch, "warehouse.duckdb") }

// emptyTables recreates the warehouse's tables, so that the next run loads
// into a fresh warehouse (a replace replaces its own source's rows only).
func (b *bench) emptyTables(ctx context.Context, what string) error {
	rec, err := b.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: fmt.Sprintf("%s-recreate-%s", b.queue, what), TaskQueue: b.queue},
		workflows.RecreateTablesWorkflow, activities.RecreateInput{})
	if err == nil {
		err = rec.Get(ctx, nil)
	}
	if err != nil {
		return fmt.Errorf("emptying the tables before %s: %w", what, err)
	}
	return nil
}

// reference runs the reference once on data.
func (b *bench) reference(ctx context.Context, data benchData, pair int) (benchRun, referenceRun, error) {
	db := filepath.Join(b.scratch, fmt.Sprintf("reference-%d.duckdb", pair))
	rr, err := runReference(ctx, b.exe, db, data.Inputs(), b.gap)
	if err != nil {
		return benchRun{}, rr, fmt.Errorf("reference run %d: %w", pair, err)
	}
	wall := rr.SQLSeconds
	return benchRun{
		Pair: pair, WallS: wall, ProcessS: rr.ProcessSeconds, CloseS: rr.CloseSeconds, ModelsS: rr.ModelsSeconds,
		MBPerS:    float64(data.Manifest.UncompressedBytes) / 1e6 / wall,
		EventsPS:  float64(data.Manifest.Expected.EventsSeen) / wall,
		PeakRSSMB: float64(rr.PeakRSSBytes) / 1e6,
		Rows:      rr.Rows,
	}, rr, nil
}

// pipeline runs PipelineWorkflow in replace mode on data once and reads its
// steps from the histories.
func (b *bench) pipeline(ctx context.Context, data benchData, pair int) (benchRun, error) {
	run, res, err := b.pipelineKeep(ctx, data, pair)
	b.removeRunFolders(res)
	return run, err
}

// pipelineKeep is pipeline leaving the run's staged files and rejects for
// the caller to remove (removeRunFolders).
func (b *bench) pipelineKeep(ctx context.Context, data benchData, pair int) (benchRun, workflows.PipelineResult, error) {
	b.seq++
	id := fmt.Sprintf("%s-%d", b.queue, b.seq)
	stop := harness.SampleRSS(b.worker.Pid(), rssEvery)
	start := time.Now()
	run, err := b.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: b.queue},
		workflows.PipelineWorkflow, workflows.PipelineInput{Settings: pipeline.Settings{Source: data.Dir, Mode: "replace"}})
	if err != nil {
		stop()
		return benchRun{}, workflows.PipelineResult{}, fmt.Errorf("starting %s: %w", id, err)
	}
	var res workflows.PipelineResult
	err = b.wait(ctx, run, &res)
	wall := time.Since(start).Seconds()
	samples := stop()
	if err != nil {
		// On a server that outlives the bench, a run left behind would wait
		// forever for a worker of the bench's task queue.
		tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		b.c.TerminateWorkflow(tctx, id, "", "bench stopped")
		cancel()
		return benchRun{}, workflows.PipelineResult{}, fmt.Errorf("pipeline run %s: %w", id, err)
	}
	hwm, _ := harness.PeakRSS(b.worker.Pid())
	steps, err := pipelineSteps(ctx, clientHistory(b.c), id, run.GetRunID())
	if err != nil {
		return benchRun{}, res, err
	}
	steps.OrchestrationShare = steps.Orchestration / wall
	return benchRun{
		Pair: pair, WallS: wall,
		MBPerS:    float64(data.Manifest.UncompressedBytes) / 1e6 / wall,
		EventsPS:  float64(res.Accounting.EventsSeen) / wall,
		PeakRSSMB: float64(samples.Peak()) / 1e6, VmHWMMB: float64(hwm) / 1e6,
		TransformRSSMB: float64(samples.PeakIn(steps.transformAt[0], steps.transformAt[1])) / 1e6,
		LoadRSSMB:      float64(samples.PeakIn(steps.loadAt[0], steps.loadAt[1])) / 1e6,
		Steps:          &steps, WorkflowID: id, Batches: res.Batches, Accounting: &res.Accounting, Rows: res.Rows,
	}, res, nil
}

// wait waits for the run's result, or for the worker to die.
func (b *bench) wait(ctx context.Context, run client.WorkflowRun, res *workflows.PipelineResult) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- run.Get(ctx, res) }()
	select {
	case err := <-errc:
		if err != nil {
			return errors.New(app.RootCause(err))
		}
		return nil
	case <-b.worker.Done():
		cancel()
		<-errc
		return b.worker.Exited()
	}
}

// removeRunFolders deletes a finished run's staged files and rejects, which
// nothing reads after it, so that the runs do not fill the disk.
func (b *bench) removeRunFolders(res workflows.PipelineResult) {
	for _, dir := range []string{res.Staging, res.DeadLetter} {
		if dir != "" && strings.HasPrefix(filepath.Clean(dir), b.scratch+string(filepath.Separator)) {
			os.RemoveAll(dir)
		}
	}
}
