package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/clickstream-platform/clickstream/activities"
	"github.com/clickstream-platform/clickstream/app"
	"github.com/clickstream-platform/clickstream/blob"
	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/config"
	"github.com/clickstream-platform/clickstream/devserver"
	"github.com/clickstream-platform/clickstream/models"
	"github.com/clickstream-platform/clickstream/pipeline"
	"github.com/clickstream-platform/clickstream/sampledata"
	"github.com/clickstream-platform/clickstream/workflows"
)

type runFlags struct {
	recreate, detach, json, dev, onlyNew bool
	id, from, to                         string
	maxRejectedLines, maxRejectedEvents  float64
	overrides                            pipeline.Overrides
}

func newRunCmd() *cobra.Command {
	var fl runFlags
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the pipeline (PipelineWorkflow) and wait for its result",
		Long: `Run starts PipelineWorkflow on Temporal and waits for it, showing its progress, then
prints the accounting and the tables' row counts. It exits non-zero with the workflow's
error if the run fails.

The workflow id is derived from the source and the mode unless --id is given. Running
again while a run with that id is still going attaches to it and waits; --detach starts
the run (or finds it) and returns at once.

With --dev, one command does everything on a laptop: it starts the embedded Temporal dev
server (persisted to temporal.dev_db_file, Web UI on 127.0.0.1) unless one answers at
temporal.address, runs a worker in this process, and generates sample data first if the
default source folder (data/source) holds no input. On a terminal the server and UI then stay up until Ctrl-C.`,
		Example: `  starter run --dev
  starter run --source data/source --mode merge
  starter run --mode merge --from 2024-01-30            # only the dt=2024-01-30/ folder
  starter run --from 2024-01-30                         # replace that day's rows, and no others
  starter run --only-new --from 2024-01-28 --to 2024-01-30   # late and rewritten files of three days
  starter run --detach --id nightly-2024-01-30 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, map[string]string{"source": "source.uri", "mode": "pipeline.mode", "format": "source.format"})
			if err != nil {
				return err
			}
			if fl.from != "" || fl.to != "" {
				if fl.to == "" {
					fl.to = fl.from
				}
				if _, err := backfillDays(fl.from, fl.to); err != nil {
					return err
				}
			}
			for _, name := range []string{"max-rejected-lines", "max-rejected-events"} {
				if f := cmd.Flags().Lookup(name); f.Changed {
					v, _ := cmd.Flags().GetFloat64(name)
					if v < 0 || v > 1 {
						return fmt.Errorf("--%s must be a share between 0 and 1, got %g", name, v)
					}
				}
			}
			if cmd.Flags().Changed("max-rejected-lines") {
				fl.overrides.MaxRejectedLines = &fl.maxRejectedLines
			}
			if cmd.Flags().Changed("max-rejected-events") {
				fl.overrides.MaxRejectedEvents = &fl.maxRejectedEvents
			}
			if fl.onlyNew {
				if cmd.Flags().Changed("mode") && cfg.Pipeline.Mode != "merge" {
					return fmt.Errorf("--only-new loads in merge mode: it cannot go with --mode %s", cfg.Pipeline.Mode)
				}
				cfg.Pipeline.Mode = "merge"
			}
			if fl.dev && fl.detach {
				return errors.New("--detach with --dev would leave the run without a worker when this command exits: start one with 'go run ./worker --dev', then run 'starter run --detach' without --dev")
			}
			return withTemporal(cmd, cfg, fl.dev, func(ctx context.Context, c client.Client, ui string) error {
				// Only the default folder gets sample data: a source the user
				// named and mistyped must fail, not fill up with made-up data.
				if fl.dev && cfg.Source.URI == config.Default().Source.URI {
					if err := sampleIfEmpty(ctx, cmd.ErrOrStderr(), cfg.Source.URI); err != nil {
						return err
					}
				}
				return runPipeline(ctx, cmd, c, cfg, fl, ui)
			})
		},
	}
	f := cmd.Flags()
	f.String("source", "", "folder or gs://bucket/prefix to read (config source.uri)")
	f.String("mode", "", "load mode, replace or merge (config pipeline.mode)")
	f.String("format", "", "shape of the source's lines, sessions or ga4 (config source.format)")
	f.BoolVar(&fl.recreate, "recreate", false, "drop and create the tables first (schema, partitioning or clustering changes)")
	f.StringVar(&fl.from, "from", "", "read only the source's dt=YYYY-MM-DD/ folders from this day")
	f.StringVar(&fl.to, "to", "", "... to this day, included (default --from)")
	f.Float64Var(&fl.maxRejectedLines, "max-rejected-lines", 0, "for this run, the largest share of non-blank lines it may reject, 0 to 1 (default quality.max_rejected_lines)")
	f.Float64Var(&fl.maxRejectedEvents, "max-rejected-events", 0, "for this run, the largest share of events it may reject, 0 to 1 (default quality.max_rejected_events)")
	f.BoolVar(&fl.onlyNew, "only-new", false, "read only the objects not loaded yet at their generation (late or rewritten files), in merge mode")
	f.StringVar(&fl.id, "id", "", "workflow id (default derived from the source, the mode and the days)")
	f.BoolVar(&fl.detach, "detach", false, "start the run and return without waiting")
	f.BoolVar(&fl.json, "json", false, "print the result as one JSON object")
	f.BoolVar(&fl.dev, "dev", false, "start the embedded Temporal dev server if needed and run a worker in this process")
	return cmd
}

// runFormat is the input format a run asks for: --format, or the starter's
// source.format when it is not the default; "" leaves it to the workers'
// configuration.
func runFormat(cmd *cobra.Command, cfg config.Config) string {
	if cmd.Flags().Changed("format") || cfg.Source.Format != config.Default().Source.Format {
		return cfg.Source.Format
	}
	return ""
}

// WorkflowID is the id a run of source in mode gets unless one is given:
// the same source and mode always give the same id, so a second start
// attaches to a run still going instead of starting another.
func WorkflowID(source, mode string) string {
	sum := sha256.Sum256([]byte(source))
	return fmt.Sprintf("clickstream-%s-%s-%s", mode, idLabel(source), hex.EncodeToString(sum[:])[:8])
}

// idLabel is a readable hint of the source for workflow ids.
func idLabel(source string) string {
	base := filepath.Base(strings.TrimRight(source, "/"))
	var b strings.Builder
	for _, r := range base {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			b.WriteRune(r)
		}
		if b.Len() >= 24 {
			break
		}
	}
	if b.Len() == 0 {
		return "source"
	}
	return b.String()
}

// withTemporal runs fn with a client. With dev it first starts the embedded
// server if none answers, and runs a worker in this process for fn's
// duration; on a terminal it then keeps both up until the user interrupts.
func withTemporal(cmd *cobra.Command, cfg config.Config, dev bool, fn func(ctx context.Context, c client.Client, ui string) error) error {
	ctx := cmd.Context()
	stderr := cmd.ErrOrStderr()
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ui := ""
	if dev {
		if devserver.Answering(ctx, cfg.Temporal.Address, 2*time.Second) {
			fmt.Fprintf(stderr, "Using the Temporal server already answering at %s.\n", cfg.Temporal.Address)
			ui = fmt.Sprintf("http://127.0.0.1:%d", cfg.Temporal.DevUIPort)
		} else {
			srv, err := app.StartDevServer(ctx, cfg, stderr)
			if err != nil {
				return fmt.Errorf("starting the embedded Temporal server: %w", err)
			}
			defer srv.Stop()
			ui = srv.UIURL()
		}
	}
	var metrics *app.Metrics // stays nil, serving none, without a worker here
	if dev {
		m, err := app.ServeMetrics(cfg.Metrics.Address, logger)
		if err != nil {
			// Most likely a worker of this machine serves there already: the
			// run goes on, its steps counted by whichever worker runs them.
			fmt.Fprintf(stderr, "Warning: metrics are not served by this process: %v\n", err)
		} else if m != nil {
			fmt.Fprintf(stderr, "Worker metrics at %s\n", m.URL())
		}
		metrics = m
		defer metrics.Close()
	}
	dialCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := app.Dial(dialCtx, cfg, logger, metrics.Handler())
	if err != nil {
		if dev {
			return err
		}
		hint := "Is a Temporal server running there? Start one with 'go run ./worker --dev'"
		if cmd.Flags().Lookup("dev") != nil {
			hint += ", or add --dev to this command"
		}
		return fmt.Errorf("%w\n%s", err, hint)
	}
	defer c.Close()
	if dev {
		w, err := app.NewWorker(ctx, c, cfg)
		if err != nil {
			return err
		}
		if err := w.Start(); err != nil {
			return fmt.Errorf("starting the worker: %w", err)
		}
		defer w.Close()
		if w.SearchAttributesErr != nil {
			fmt.Fprintf(stderr, "Warning: runs will carry their source, mode and days as memo only: %v\n", w.SearchAttributesErr)
		}
	}
	if err := fn(ctx, c, ui); err != nil {
		return err
	}
	if dev && isTerminal(cmd.OutOrStdout()) && ctx.Err() == nil {
		fmt.Fprintf(cmd.OutOrStdout(), "\nThe Temporal server, its Web UI (%s) and the worker stay up; press Ctrl-C to stop them.\n", ui)
		<-ctx.Done()
	}
	return nil
}

// sampleIfEmpty generates sample data into a local source folder that holds
// no input yet, so the first run on a new machine has something to do.
func sampleIfEmpty(ctx context.Context, log io.Writer, source string) error {
	if strings.Contains(source, "://") {
		return nil
	}
	if store, err := blob.NewLocal(source); err == nil {
		page, err := store.List(ctx, "", "", 100)
		if err == nil {
			for _, o := range page.Objects {
				if clickstream.IsInputName(o.Name) {
					return nil
				}
			}
		} else if !errors.Is(err, blob.ErrNotExist) {
			return err
		}
	}
	opts := sampledata.Options{Files: 8, Sessions: 20000, Days: 3, Seed: 1, InvalidRate: 0.02, DuplicateRate: 0.05}
	sum, err := sampledata.Generate(source, opts)
	if err != nil {
		return fmt.Errorf("generating sample data in %s: %w", source, err)
	}
	fmt.Fprintf(log, "%s held no input: generated %d sample objects (%s, %d sessions) there, as 'starter gen' would.\n",
		source, len(sum.Objects), humanBytes(sum.Bytes), opts.Sessions)
	return nil
}

// runResultJSON is the contract of `starter run --json`.
type runResultJSON struct {
	WorkflowID string `json:"workflow_id"`
	RunID      string `json:"run_id"`
	// From and To are the days read; empty for the whole source.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Tally is what the run read: accounting, objects, bytes, the objects
	// skipped or unchanged (--only-new).
	pipeline.Tally
	Rows      map[string]int64 `json:"rows"`
	RowsAdded map[string]int64 `json:"rows_added"`
	// Warnings are what the quality gates warned of.
	Warnings []string `json:"warnings,omitempty"`
	// Models is what the models step built: the derived tables' rows, the
	// changes rebuilt for, the data tests passed.
	Models *activities.ModelsResult `json:"models,omitempty"`
}

func runPipeline(ctx context.Context, cmd *cobra.Command, c client.Client, cfg config.Config, fl runFlags, ui string) error {
	id := fl.id
	if id == "" {
		id = WorkflowID(cfg.Source.URI, cfg.Pipeline.Mode)
		if fl.from != "" {
			id += "-" + fl.from + "-" + fl.to
		}
		if fl.onlyNew {
			id += "-new"
		}
	}
	var res workflows.PipelineResult
	l := launchSpec{
		kind: "run", id: id, workflow: workflows.PipelineWorkflow,
		input:  workflows.PipelineInput{Settings: pipeline.Settings{Source: cfg.Source.URI, Mode: cfg.Pipeline.Mode, From: fl.from, To: fl.to, OnlyNew: fl.onlyNew, Overrides: fl.overrides, Format: runFormat(cmd, cfg)}, Recreate: fl.recreate},
		detach: fl.detach, json: fl.json, ui: ui, render: pipelineProgress,
		banner: fmt.Sprintf("Running %s: %s of %s", id, cfg.Pipeline.Mode, cfg.Source.URI),
	}
	waited, link, err := launch(ctx, cmd, c, cfg, l, &res)
	if err != nil || !waited {
		return err
	}
	out := cmd.OutOrStdout()
	if fl.json {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(runResultJSON{WorkflowID: id, RunID: res.RunID, From: res.From, To: res.To, Tally: res.Tally,
			Rows: res.Rows, RowsAdded: res.RowsAdded, Warnings: res.Warnings, Models: res.Models})
	}
	printRunResult(out, cfg, res, link)
	return nil
}

// launchSpec is a workflow the starter starts and follows.
type launchSpec struct {
	kind         string // "run" or "backfill", in messages
	id           string
	workflow     any
	input        any
	detach, json bool
	ui           string // the Web UI's base URL, if known
	render       func(converter.EncodedValue) (bar, line string, ok bool)
	banner       string // said before waiting (not with json)
}

// launch starts the workflow, or attaches to the run of that id still going.
// With detach it says where to follow it and returns waited false;
// otherwise it shows the progress until the workflow ends and decodes its
// result into res. Interrupting the wait leaves the workflow running.
func launch(ctx context.Context, cmd *cobra.Command, c client.Client, cfg config.Config, l launchSpec, res any) (waited bool, link string, err error) {
	out, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	run, attached, err := startOrAttach(ctx, c, client.StartWorkflowOptions{ID: l.id, TaskQueue: cfg.Temporal.TaskQueue}, l.workflow, l.input)
	if err != nil {
		return false, "", err
	}
	link = workflowLink(l.ui, cfg.Temporal.Namespace, l.id, run.GetRunID())
	if attached {
		fmt.Fprintf(stderr, "The %s %s is already going: attached to it.\n", l.kind, l.id)
	}
	if l.detach {
		if l.json {
			return false, link, json.NewEncoder(out).Encode(map[string]string{"workflow_id": l.id, "run_id": run.GetRunID()})
		}
		fmt.Fprintf(out, "Started %s (run %s).\n", l.id, run.GetRunID())
		if link != "" {
			fmt.Fprintf(out, "Follow it at %s\n", link)
		}
		fmt.Fprintf(out, "Status: starter status %s\n", l.id)
		return false, link, nil
	}
	if !l.json {
		fmt.Fprintln(stderr, l.banner)
		if link != "" {
			fmt.Fprintf(stderr, "Temporal UI: %s\n", link)
		}
	}
	stop := watch(ctx, c, l.id, stderr, l.render)
	err = run.Get(ctx, res)
	stop()
	if err != nil {
		if ctx.Err() != nil {
			return false, link, fmt.Errorf("stopped waiting for %s; the %s goes on in Temporal (run this command again to attach, or 'starter status %s')", l.id, l.kind, l.id)
		}
		return false, link, fmt.Errorf("%s %s failed: %s", l.kind, l.id, app.RootCause(err))
	}
	return true, link, nil
}

// startOrAttach starts a workflow, or attaches to the run of that id still
// going (attached true).
func startOrAttach(ctx context.Context, c client.Client, opts client.StartWorkflowOptions, wf any, args ...any) (client.WorkflowRun, bool, error) {
	attached := false
	if d, err := c.DescribeWorkflowExecution(ctx, opts.ID, ""); err == nil &&
		d.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		attached = true
	} else if err != nil {
		var nf *serviceerror.NotFound
		if !errors.As(err, &nf) {
			return nil, false, fmt.Errorf("looking up %s: %w", opts.ID, err)
		}
	}
	opts.WorkflowIDConflictPolicy = enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING
	opts.WorkflowIDReusePolicy = enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE
	run, err := c.ExecuteWorkflow(ctx, opts, wf, args...)
	if err != nil {
		return nil, false, fmt.Errorf("starting %s: %w", opts.ID, err)
	}
	return run, attached, nil
}

func workflowLink(ui, namespace, id, runID string) string {
	if ui == "" {
		return ""
	}
	return fmt.Sprintf("%s/namespaces/%s/workflows/%s/%s/history", ui, namespace, id, runID)
}

// watchProgress shows a run's progress until stopped.
func watchProgress(ctx context.Context, c client.Client, id string, w io.Writer) (stop func()) {
	return watch(ctx, c, id, w, pipelineProgress)
}

func pipelineProgress(v converter.EncodedValue) (bar, line string, ok bool) {
	var p workflows.Progress
	if v.Get(&p) != nil {
		return "", "", false
	}
	return progressBar(p), progressLine(p), true
}

func progressLine(p workflows.Progress) string {
	listed := fmt.Sprint(p.ObjectsListed)
	if !p.ListingDone {
		listed += "+"
	}
	s := fmt.Sprintf("%s: %d/%s objects, %s/%s, %d batches done, %d running, %d rejects",
		p.Phase, p.ObjectsDone, listed, humanBytes(p.BytesDone), humanBytes(p.BytesListed), p.BatchesDone, p.BatchesRunning, p.Rejects)
	if p.Phase == "loading" {
		s += fmt.Sprintf(", %d/%d tables loaded", p.TablesDone, len(clickstream.Tables()))
	}
	return s
}

func progressBar(p workflows.Progress) string {
	frac := 0.0
	if p.BytesListed > 0 {
		frac = float64(p.BytesDone) / float64(p.BytesListed)
	}
	if !p.ListingDone {
		frac = min(frac, 0.99)
	}
	return bar24(frac) // done can pass listed in runs checkpointed before the listing was carried
}

func printRunResult(w io.Writer, cfg config.Config, res workflows.PipelineResult, link string) {
	c := res.Accounting
	days := ""
	switch {
	case res.From != "" && res.From == res.To:
		days = ", dt=" + res.From
	case res.From != "":
		days = ", dt=" + res.From + " to dt=" + res.To
	}
	fmt.Fprintf(w, "\nRun %s (%s of %s%s) finished in %s: %s, %s, %s\n",
		res.WorkflowID, res.Mode, res.Source, days, res.Duration.Round(time.Millisecond),
		plural(res.Objects, "object"), humanBytes(res.Bytes), plural(res.Batches, "batch"))
	for _, warn := range res.Warnings {
		fmt.Fprintf(w, "WARNING: %s\n", warn)
	}
	if res.Unchanged > 0 {
		fmt.Fprintf(w, "%s listed but loaded before at the same generation, not read again\n", plural(res.Unchanged, "object"))
	}
	fmt.Fprintf(w, "\n  lines   %10d = blank %d + valid sessions %d + rejected sessions %d\n", c.Lines, c.Blank, c.SessionsValid, c.SessionsRejected)
	fmt.Fprintf(w, "  events  %10d = page views %d + add to cart %d + purchases %d + rejected events %d\n",
		c.EventsSeen, c.Pageviews, c.Addtocarts, c.Purchases, c.EventsRejected)
	fmt.Fprintf(w, "\nTables (rows after the run; change):\n")
	for _, t := range clickstream.Tables() {
		dataset := cfg.Warehouse.DWDataset
		if t.Dataset == clickstream.Lake {
			dataset = cfg.Warehouse.LakeDataset
		}
		fmt.Fprintf(w, "  %-34s %10d  %+d\n", dataset+"."+t.Name, res.Rows[t.Name], res.RowsAdded[t.Name])
	}
	if m := res.Models; m != nil {
		how := fmt.Sprintf("for %s", plural(int(m.Changes), "change"))
		if m.Rebuilt {
			how = "all of them again"
		}
		fmt.Fprintf(w, "\nDerived tables (built %s in %s, %s passed; rows):\n", how, m.Duration.Round(time.Millisecond), plural(m.Tests, "data test"))
		for _, t := range models.Tables() {
			fmt.Fprintf(w, "  %-40s %10d\n", cfg.Warehouse.DWDataset+"."+t.Name, m.Rows[t.Name])
		}
	}
	fmt.Fprintf(w, "\nRejected lines and events (%d): %s/\n", c.SessionsRejected+c.EventsRejected, res.DeadLetter)
	fmt.Fprintf(w, "Staged files and the run summary: %s/\n", res.Staging)
	if link != "" {
		fmt.Fprintf(w, "Temporal UI: %s\n", link)
	}
	if cfg.Warehouse.Kind == "duckdb" {
		fmt.Fprintf(w, "Query the warehouse: go run ./starter query \"SELECT device_type, count(*) FROM %s.sessions GROUP BY 1\"\n", cfg.Warehouse.DWDataset)
		fmt.Fprintf(w, "See the reports:     go run ./starter report daily_events; go run ./starter report --html report.html\n")
	}
}

func newRecreateCmd() *cobra.Command {
	var dev bool
	cmd := &cobra.Command{
		Use:   "recreate",
		Short: "Drop and create the tables (RecreateTablesWorkflow)",
		Long: `Recreate starts RecreateTablesWorkflow and waits: every table is dropped and created
again from its one schema definition, so changes of schema, partitioning or clustering
take effect. The tables are empty afterwards; 'starter run' fills them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, nil)
			if err != nil {
				return err
			}
			return withTemporal(cmd, cfg, dev, func(ctx context.Context, c client.Client, _ string) error {
				run, _, err := startOrAttach(ctx, c, client.StartWorkflowOptions{ID: "clickstream-recreate-tables", TaskQueue: cfg.Temporal.TaskQueue},
					workflows.RecreateTablesWorkflow, struct{}{})
				if err != nil {
					return err
				}
				var res struct {
					Tables []string `json:"tables"`
				}
				if err := run.Get(ctx, &res); err != nil {
					return fmt.Errorf("recreating the tables failed: %s", app.RootCause(err))
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Recreated %s.\n", strings.Join(res.Tables, ", "))
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&dev, "dev", false, "start the embedded Temporal dev server if needed and run a worker in this process")
	return cmd
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	if strings.HasSuffix(word, "ch") {
		return fmt.Sprintf("%d %ses", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
