package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/config"
	"github.com/clickstream-platform/clickstream/workflows"
)

type backfillFlags struct {
	from, to, id  string
	parallel      int
	rerun, detach bool
	json, dev     bool
}

func newBackfillCmd() *cobra.Command {
	var fl backfillFlags
	cmd := &cobra.Command{
		Use:   "backfill --from YYYY-MM-DD --to YYYY-MM-DD",
		Short: "Load the source's dt= folders of a date range, a day at a time (BackfillWorkflow)",
		Long: `Backfill starts BackfillWorkflow, which runs the pipeline in merge mode once per day of
the range (both days included), reading the source's Hive-style dt=YYYY-MM-DD/ folders, with
at most --parallel days at once, and shows its progress across the days.

Each day is a PipelineWorkflow of its own, with the id <backfill id>/dt=<day>. Merge makes
the days idempotent: a day loaded before (by a schedule, another backfill or a run) changes
nothing when it is loaded again. A day with no dt= folder loads nothing and is reported.

The backfill runs in Temporal, not in this command: Ctrl-C stops the waiting, not the
backfill. Running the same command again attaches to it while it runs; after it ended,
it starts it again, skipping the days it completed (--rerun loads them again).`,
		Example: `  starter backfill --from 2024-01-28 --to 2024-01-30
  starter backfill --from 2024-01-01 --to 2024-03-31 --parallel 4 --detach
  starter backfill --dev --from 2024-01-28 --to 2024-01-30   # embedded server and worker`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			days, err := backfillDays(fl.from, fl.to)
			if err != nil {
				return err
			}
			if fl.parallel < 1 || fl.parallel > workflows.MaxBackfillParallel {
				return fmt.Errorf("--parallel must be between 1 and %d, got %d", workflows.MaxBackfillParallel, fl.parallel)
			}
			if fl.dev && fl.detach {
				return errors.New("--detach with --dev would leave the backfill without a worker when this command exits: start one with 'go run ./worker --dev', then run the backfill without --dev")
			}
			cfg, err := loadConfig(cmd, map[string]string{"source": "source.uri"})
			if err != nil {
				return err
			}
			return withTemporal(cmd, cfg, fl.dev, func(ctx context.Context, c client.Client, ui string) error {
				return runBackfill(ctx, cmd, c, cfg, fl, len(days), ui)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&fl.from, "from", "", "first day, YYYY-MM-DD (required)")
	f.StringVar(&fl.to, "to", "", "last day, YYYY-MM-DD, included (required)")
	f.String("source", "", "folder or gs://bucket/prefix holding the dt= folders (config source.uri)")
	f.IntVar(&fl.parallel, "parallel", workflows.DefaultBackfillParallel, "days in flight at once")
	f.BoolVar(&fl.rerun, "rerun", false, "load again the days an earlier run of this backfill completed")
	f.StringVar(&fl.id, "id", "", "workflow id (default derived from the source and the days)")
	f.BoolVar(&fl.detach, "detach", false, "start the backfill and return without waiting")
	f.BoolVar(&fl.json, "json", false, "print the result as one JSON object")
	f.BoolVar(&fl.dev, "dev", false, "start the embedded Temporal dev server if needed and run a worker in this process")
	return cmd
}

// backfillDays checks the range before anything is started.
func backfillDays(from, to string) ([]string, error) {
	if from == "" || to == "" {
		return nil, errors.New("--from and --to are required, e.g. --from 2024-01-28 --to 2024-01-30")
	}
	if _, err := clickstream.ParseDay(from); err != nil {
		return nil, fmt.Errorf("--from: %w", err)
	}
	if _, err := clickstream.ParseDay(to); err != nil {
		return nil, fmt.Errorf("--to: %w", err)
	}
	days, err := clickstream.Days(from, to)
	if err != nil {
		return nil, fmt.Errorf("--from %s is after --to %s", from, to)
	}
	return days, nil
}

// BackfillID is the id a backfill of source over from..to gets unless one
// is given: the same range of the same source is the same backfill, so
// starting it again attaches, or resumes it.
func BackfillID(source, from, to string) string {
	sum := sha256.Sum256([]byte(source))
	return fmt.Sprintf("clickstream-backfill-%s-%s-%s-%s", idLabel(source), from, to, hex.EncodeToString(sum[:])[:8])
}

func runBackfill(ctx context.Context, cmd *cobra.Command, c client.Client, cfg config.Config, fl backfillFlags, days int, ui string) error {
	id := fl.id
	if id == "" {
		id = BackfillID(cfg.Source.URI, fl.from, fl.to)
	}
	var res workflows.BackfillResult
	l := launchSpec{
		kind: "backfill", id: id, workflow: workflows.BackfillWorkflow,
		input:  workflows.BackfillInput{From: fl.from, To: fl.to, Source: cfg.Source.URI, Parallel: fl.parallel, Rerun: fl.rerun},
		detach: fl.detach, json: fl.json, ui: ui, render: backfillProgressLine,
		banner: fmt.Sprintf("Backfilling %s to %s (%d days, %d at once) from %s: %s", fl.from, fl.to, days, fl.parallel, cfg.Source.URI, id),
	}
	waited, _, err := launch(ctx, cmd, c, cfg, l, &res)
	if err != nil || !waited {
		return err
	}
	if fl.json {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	printBackfillResult(cmd.OutOrStdout(), res)
	return nil
}

// backfillProgressLine renders a backfill's progress query answer.
func backfillProgressLine(v converter.EncodedValue) (bar, line string, ok bool) {
	var p workflows.BackfillProgress
	if v.Get(&p) != nil || p.Days == 0 {
		return "", "", false
	}
	line = fmt.Sprintf("%d/%d days done, %d running", p.Done, p.Days, len(p.Running))
	if len(p.Running) > 0 {
		line += " (" + strings.Join(p.Running, ", ") + ")"
	}
	line += fmt.Sprintf(", %d lines, %d rejects", p.Accounting.Lines, p.Accounting.SessionsRejected+p.Accounting.EventsRejected)
	if len(p.Failed) > 0 {
		line += ", failed: " + strings.Join(p.Failed, ", ")
	}
	return bar24(float64(p.Done) / float64(p.Days)), line, true
}

func printBackfillResult(w io.Writer, res workflows.BackfillResult) {
	fmt.Fprintf(w, "\nBackfill %s (%s to %s) finished in %s: %d days, %s, %s\n\n",
		res.WorkflowID, res.From, res.To, res.Duration.Round(time.Millisecond), len(res.Days), plural(res.Objects, "object"), humanBytes(res.Bytes))
	tables := clickstream.Tables()
	fmt.Fprintf(w, "  %-10s  %-12s  %7s  %9s", "day", "status", "objects", "lines")
	for _, t := range tables {
		fmt.Fprintf(w, "  %*s", max(len(t.Name), 8), t.Name)
	}
	fmt.Fprintln(w)
	for _, d := range res.Days {
		status := d.Status
		if d.Status == workflows.DayEmpty {
			status = "no input"
		}
		fmt.Fprintf(w, "  %-10s  %-12s  %7d  %9d", d.Day, status, d.Objects, d.Accounting.Lines)
		for _, t := range tables {
			if d.Status == workflows.DayAlreadyDone {
				fmt.Fprintf(w, "  %*s", max(len(t.Name), 8), "-")
				continue
			}
			fmt.Fprintf(w, "  %+*d", max(len(t.Name), 8), d.RowsAdded[t.Name])
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "\nRows added are what each day's merge added to the table; 'already_done' days were completed by an earlier run of this backfill and skipped (--rerun loads them again); 'no input' days held nothing (quality.allow_empty_days let them pass).\n")
}
