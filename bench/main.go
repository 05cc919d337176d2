// Command bench measures the pipeline on the embedded default (the Temporal
// dev server, a worker process, DuckDB) against DuckDB's own SQL doing the
// bare transform of the same data, and prints the figures the README's
// "Performance" section quotes:
//
//	go run ./bench --size 200MB
//
// It builds the worker from this module's source unless one lies beside
// its executable or --worker names one; the reference runs as a child
// process of its own, `bench reference`.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/clickstream-platform/clickstream/config"
)

func main() {
	// Ctrl-C or a polite kill cancel the context: a pipeline run in flight
	// is terminated, the worker stopped and the scratch folder removed.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	if err := newRootCmd().ExecuteContext(ctx); err != nil {
		stop()
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func newRootCmd() *cobra.Command {
	var fl benchFlags
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure the pipeline against DuckDB's own SQL on the same data",
		Long: `Bench measures the pipeline on the embedded default (the Temporal dev server, one
worker process, DuckDB) against a reference: DuckDB's own SQL over the same files (read_json,
the session key, unnest into the tables, then the derived tables with the pipeline's SQL;
no validation, no dedup, no data tests), in a process of its own with all cores.

The data set is sample data of about --size bytes of JSONL (before compression with
--gzip), in objects of about 64 MB (at least 8), or --objects N of --sessions-per-object M
sessions each (many small objects), over --days dt= folders; generated into --data
(default data/bench/<shape>) and reused while its manifest, _bench.json, records the same
options. Then:

  - the Temporal server answering at temporal.address is used, else a dev server is
    started on a free port for the bench;
  - a worker process polls a task queue of its own, with the bench's staging,
    dead-letter and DuckDB folders (the worker beside this executable, --worker, or
    one built from source); it runs one small warm-up run first;
  - --pairs times: the reference; a replace run of PipelineWorkflow into a fresh
    warehouse (its tables emptied first); the floor, DuckDB writing that run's five
    tables from an in-memory copy into a fresh file (CREATE TABLE AS and a checkpoint,
    in a process of its own), and the staged floor, DuckDB writing the run's staged
    Parquet files as they are (every copy, no dedup or checks) into another; a second
    replace run, into the populated warehouse.

Figures per run and their medians: wall s (the reference: opening its fresh database to
the commit; the pipeline: starting the workflow to its result), MB/s (JSONL bytes before
compression / wall), events/s (events_seen / wall), peak RSS MB (the pipeline: the
worker's largest VmRSS sampled every 50 ms during the run; the reference: its VmHWM),
and the pipeline's steps from its workflow histories: list (the List activities'
time), transform and load (first start to last end of those activities, each with the
worker's peak RSS meanwhile), models, orchestration (the workflow's time during which no
activity executed, and its share of wall). Then the targets: fresh run / reference <= 0.8,
populated run / fresh run <= 1.1, load / floor <= 1.3, orchestration <= 5%, peak RSS
while transforming <= 300 MB, and with --scaling time at 4x the input <= 4.2x; and
load / staged floor, which has no target. MB is 10^6 bytes. Progress goes to standard
error.`,
		Example: `  go run ./bench --size 200MB
  go run ./bench --objects 20000 --sessions-per-object 10 --days 2 --pairs 1
  go run ./bench --size 200MB --gzip --json > bench-gzip.json
  go run ./bench --size 50MB --pairs 5 --scaling
  go build -o bin/ ./bench ./worker && bin/bench     # runs bin/worker`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fl.sizeSet = cmd.Flags().Changed("size")
			spec, err := fl.spec()
			if err != nil {
				return err
			}
			cfg, err := config.Load(config.LoadOptions{File: fl.config, Flags: cmd.Flags(),
				FlagKeys: map[string]string{"staging-format": "pipeline.staging_format"}})
			if err != nil {
				return fmt.Errorf("loading config: %w", err)
			}
			dir := fl.data
			if dir == "" {
				dir = defaultBenchDir(spec)
			}
			return runBench(cmd, cfg, fl, spec, dir)
		},
	}
	cmd.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return fmt.Errorf("%w\nRun '%s --help' for usage", err, cmd.CommandPath())
	})
	cmd.CompletionOptions.DisableDefaultCmd = true
	cmd.PersistentFlags().StringVar(&fl.config, "config", "", "config file (default: ./clickstream.yaml if present)")
	cmd.AddCommand(newReferenceCmd(), newFloorCmd())
	f := cmd.Flags()
	f.StringVar(&fl.size, "size", "500MB", "about how much JSONL (before compression) the data set holds, e.g. 200MB, 1GiB")
	f.BoolVar(&fl.gzip, "gzip", false, "gzip the objects (the same sessions as without)")
	f.IntVar(&fl.files, "objects", 0, "number of objects (default: one per 64 MB, at least 8)")
	f.IntVar(&fl.files, "files", 0, "the same as --objects")
	f.MarkDeprecated("files", "use --objects")
	f.IntVar(&fl.sessionsPerObject, "sessions-per-object", 0, "with --objects, the data set's size instead of --size: many small objects, e.g. --objects 20000 --sessions-per-object 10")
	f.IntVar(&fl.days, "days", 3, "dt= days the sessions are spread over")
	f.StringVar(&fl.data, "data", "", "folder of the data set (default data/bench/<size>[-gzip])")
	f.IntVar(&fl.pairs, "pairs", 3, "reference and pipeline runs, alternately, at least 1 of each")
	f.BoolVar(&fl.json, "json", false, "print the figures as one JSON object")
	f.BoolVar(&fl.scaling, "scaling", false, "also run the pipeline --pairs times on 4x --size and report the time ratio")
	f.StringVar(&fl.worker, "worker", "", "worker binary to run (default: worker beside this executable, else built from source)")
	f.Uint64Var(&fl.seed, "seed", 1, "seed of the data set")
	f.StringVar(&fl.stagingFormat, "staging-format", "", "staged files' format for the pipeline runs, parquet or ndjson (default pipeline.staging_format)")
	f.Float64Var(&fl.invalidRate, "invalid-rate", 0, "share of invalid lines and events (the reference does not validate)")
	f.Float64Var(&fl.duplicateRate, "duplicate-rate", 0.02, "share of lines repeating an earlier session (the reference does not dedup)")
	return cmd
}
