package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/spf13/cobra"
)

func newTransformCmd() *cobra.Command {
	var (
		jsonOut bool
		runID   string
	)
	cmd := &cobra.Command{
		Use:   "transform",
		Short: "Transform local session JSONL into staged files, with no Temporal and no cloud",
		Long: `Transform reads every input file under --source, at any depth (*.jsonl, *.json,
*.ndjson, gzip-compressed or not; names starting with "_" or "." are skipped),
validates it as SPEC.md says, and writes into --out:

  visits.ndjson, sessions.ndjson, pageview_events.ndjson,
  addtocart_events.ndjson, purchase_events.ndjson   staged rows, as the loads read them
  deadletter.ndjson                                 every rejected line and event, with its reason
  manifest.json                                     the run id and the accounting per object

Staged files keep duplicate sessions and events; the load deduplicates them by
session_key and event_id. Files are replaced only when the whole transform
succeeds. It exits non-zero, naming the object, if the accounting does not add up.`,
		Example: `  starter transform --source data/source --out data/staging
  starter transform --source data/source --out /tmp/staged --json | jq .accounting`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, map[string]string{"source": "source.uri", "out": "staging.uri"})
			if err != nil {
				return err
			}
			if runID == "" {
				runID = "local-" + time.Now().UTC().Format("20060102T150405Z")
			}
			start := time.Now()
			rep, err := transformLocal(cmd.Context(), localTransform{
				Source:       cfg.Source.URI,
				Out:          cfg.Staging.URI,
				RunID:        runID,
				MaxLineBytes: int(cfg.Transform.MaxLineBytes),
				Progress:     cmd.ErrOrStderr(),
			})
			if err != nil {
				return err
			}
			if jsonOut {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			printTransformReport(cmd.OutOrStdout(), rep, time.Since(start))
			return nil
		},
	}
	f := cmd.Flags()
	f.String("source", "", "folder to read input from (config source.uri)")
	f.String("out", "", "folder to write staged files into (config staging.uri)")
	f.BoolVar(&jsonOut, "json", false, "print the accounting as one JSON object")
	f.StringVar(&runID, "run-id", "", "run id written to the run_id column and the dead letter (default local-<UTC time>)")
	return cmd
}

type localTransform struct {
	Source, Out  string
	RunID        string
	MaxLineBytes int
	Progress     io.Writer // a bar is drawn here if it is a terminal
}

// transformReport is the JSON contract of `starter transform --json`.
type transformReport struct {
	Accounting clickstream.Counts `json:"accounting"`
	Objects    []objectReport     `json:"objects"`

	runID   string
	out     string
	files   map[string]string // output name -> path
	bytes   int64
	skipped int
}

type objectReport struct {
	Name string `json:"name"`
	clickstream.Counts
}

type inputFile struct {
	path string // as opened
	name string // the object name written to lineage: the path with forward slashes
	size int64
}

// listInputs finds the input files under root, in lexical order of their
// slash paths (the order a bucket listing has), and counts the files skipped.
func listInputs(root string) (files []inputFile, skipped int, err error) {
	info, err := os.Stat(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, fmt.Errorf("source folder %s does not exist (create sample data with: starter gen --out %s)", root, root)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("reading source: %w", err)
	}
	if !info.IsDir() {
		return nil, 0, fmt.Errorf("source %s is not a folder", root)
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		name := filepath.ToSlash(path)
		if !d.Type().IsRegular() || !clickstream.IsInputName(name) {
			skipped++
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		files = append(files, inputFile{path: path, name: name, size: fi.Size()})
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("listing %s: %w", root, err)
	}
	return files, skipped, nil
}

var stagedOutputs = []string{
	clickstream.VisitsTable, clickstream.SessionsTable, clickstream.PageviewsTable,
	clickstream.AddtocartsTable, clickstream.PurchasesTable, "deadletter",
}

// transformLocal runs the transform over a local folder. Outputs are written
// to temporary files and renamed into place only when every object has been
// read and its accounting adds up, so a failed run leaves the previous
// outputs as they were.
func transformLocal(ctx context.Context, o localTransform) (rep transformReport, err error) {
	if strings.Contains(o.Source, "://") {
		return rep, fmt.Errorf("--source %s: transform reads local folders only", o.Source)
	}
	if strings.Contains(o.Out, "://") {
		return rep, fmt.Errorf("--out %s: transform writes to local folders only", o.Out)
	}
	files, skipped, err := listInputs(o.Source)
	if err != nil {
		return rep, err
	}
	if len(files) == 0 {
		return rep, fmt.Errorf("no input files under %s: want *.jsonl, *.json or *.ndjson, optionally .gz (%d other files skipped)", o.Source, skipped)
	}
	tr, err := clickstream.NewTransformer(clickstream.Options{RunID: o.RunID, MaxLineBytes: o.MaxLineBytes})
	if err != nil {
		return rep, err
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return rep, fmt.Errorf("creating output folder: %w", err)
	}

	if err := removeStaleTemps(o.Out, o.Progress); err != nil {
		return rep, err
	}
	tmp := make([]*os.File, len(stagedOutputs))
	defer func() {
		for _, f := range tmp {
			if f != nil {
				f.Close()
				os.Remove(f.Name()) // a no-op once renamed
			}
		}
	}()
	for i, name := range stagedOutputs {
		if tmp[i], err = os.CreateTemp(o.Out, tempPrefix+name+"-*.tmp"); err != nil {
			return rep, fmt.Errorf("creating output: %w", err)
		}
	}
	outs := clickstream.Outputs{Visits: tmp[0], Sessions: tmp[1], Pageviews: tmp[2], Addtocarts: tmp[3], Purchases: tmp[4], DeadLetter: tmp[5]}

	var total int64
	for _, f := range files {
		total += f.size
	}
	prog := startProgress(o.Progress, total)
	defer prog.finish()
	rep = transformReport{runID: o.RunID, out: o.Out, bytes: total, skipped: skipped, Objects: make([]objectReport, 0, len(files))}
	for i, f := range files {
		prog.setLabel(fmt.Sprintf("%d/%d %s", i+1, len(files), f.name))
		c, err := transformFile(ctx, tr, f, outs, prog)
		if ctx.Err() != nil {
			return rep, fmt.Errorf("interrupted while reading %s; the outputs in %s are as they were before this run", f.name, o.Out)
		}
		if err != nil {
			return rep, err
		}
		if err := c.Check(); err != nil {
			return rep, fmt.Errorf("object %s: %w", f.name, err)
		}
		rep.Objects = append(rep.Objects, objectReport{Name: f.name, Counts: c})
		rep.Accounting.Add(c)
	}
	if err := rep.Accounting.Check(); err != nil {
		return rep, fmt.Errorf("run %s: %w", o.RunID, err)
	}
	prog.finish()

	rep.files = map[string]string{}
	for i, name := range stagedOutputs {
		final := filepath.Join(o.Out, name+".ndjson")
		if err := tmp[i].Chmod(0o644); err != nil { // CreateTemp makes files private
			return rep, fmt.Errorf("writing %s: %w", final, err)
		}
		if err := tmp[i].Sync(); err != nil {
			return rep, fmt.Errorf("writing %s: %w", final, err)
		}
		if err := tmp[i].Close(); err != nil {
			return rep, fmt.Errorf("writing %s: %w", final, err)
		}
		if err := os.Rename(tmp[i].Name(), final); err != nil {
			return rep, fmt.Errorf("writing %s: %w", final, err)
		}
		tmp[i] = nil
		rep.files[name] = final
	}
	manifest := filepath.Join(o.Out, "manifest.json")
	if err := writeManifest(manifest, rep); err != nil {
		return rep, err
	}
	rep.files["manifest"] = manifest
	return rep, nil
}

// tempPrefix starts the names of the outputs being written.
const tempPrefix = ".transform-"

// removeStaleTemps deletes the temporary outputs of a run that was killed
// before it could clean up (SIGKILL, power loss), so they do not pile up.
// Two transforms must not write into one folder at the same time.
func removeStaleTemps(dir string, log io.Writer) error {
	stale, err := filepath.Glob(filepath.Join(dir, tempPrefix+"*.tmp"))
	if err != nil {
		return err
	}
	for _, f := range stale {
		if err := os.Remove(f); err != nil {
			return fmt.Errorf("removing a killed run's temporary file: %w", err)
		}
		fmt.Fprintf(log, "removed %s, left by a run that did not finish\n", f)
	}
	return nil
}

func transformFile(ctx context.Context, tr *clickstream.Transformer, f inputFile, outs clickstream.Outputs, prog *progress) (clickstream.Counts, error) {
	in, err := os.Open(f.path)
	if err != nil {
		return clickstream.Counts{}, fmt.Errorf("opening %s: %w", f.name, err)
	}
	defer in.Close()
	c, err := tr.Transform(ctx, countingReader{r: in, p: prog}, f.name, outs)
	if err != nil {
		return c, err // the transformer's errors name the object
	}
	return c, nil
}

func writeManifest(path string, rep transformReport) error {
	m := struct {
		RunID string `json:"run_id"`
		transformReport
	}{rep.runID, rep}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing manifest: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing manifest: %w", err)
	}
	return nil
}

func printTransformReport(w io.Writer, rep transformReport, took time.Duration) {
	c := rep.Accounting
	fmt.Fprintf(w, "Transformed %d objects (%s) in %s (%.1f MB/s), run %s\n",
		len(rep.Objects), humanBytes(rep.bytes), took.Round(time.Millisecond),
		float64(rep.bytes)/took.Seconds()/1e6, rep.runID)
	if rep.skipped > 0 {
		fmt.Fprintf(w, "Skipped %d files that are not input (*.jsonl, *.json, *.ndjson[.gz]; not starting with _ or .)\n", rep.skipped)
	}
	fmt.Fprintf(w, "\n  lines     %10d = blank %d + valid sessions %d + rejected sessions %d\n", c.Lines, c.Blank, c.SessionsValid, c.SessionsRejected)
	fmt.Fprintf(w, "  events    %10d = page views %d + add to cart %d + purchases %d + rejected events %d (events of valid sessions)\n",
		c.EventsSeen, c.Pageviews, c.Addtocarts, c.Purchases, c.EventsRejected)
	fmt.Fprintf(w, "\nStaged in %s (duplicates kept; the load deduplicates by session_key and event_id):\n", rep.out)
	rows := map[string]int64{
		clickstream.VisitsTable: c.SessionsValid, clickstream.SessionsTable: c.SessionsValid,
		clickstream.PageviewsTable: c.Pageviews, clickstream.AddtocartsTable: c.Addtocarts, clickstream.PurchasesTable: c.Purchases,
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, name := range stagedOutputs {
		if name == "deadletter" {
			fmt.Fprintf(tw, "  %s\t%d records (%d lines, %d events)\n", rep.files[name], c.SessionsRejected+c.EventsRejected, c.SessionsRejected, c.EventsRejected)
			continue
		}
		fmt.Fprintf(tw, "  %s\t%d rows\n", rep.files[name], rows[name])
	}
	fmt.Fprintf(tw, "  %s\tper-object accounting\n", rep.files["manifest"])
	tw.Flush()
	fmt.Fprintln(w, "\nThe accounting adds up for every object.")
}
