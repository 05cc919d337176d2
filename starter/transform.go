package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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

	"github.com/spf13/cobra"

	"github.com/clickstream-platform/clickstream/blob"
	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/staging"
)

func newTransformCmd() *cobra.Command {
	var (
		jsonOut    bool
		runID      string
		deadLetter string
	)
	cmd := &cobra.Command{
		Use:   "transform",
		Short: "Transform local session JSONL into staged files, with no Temporal and no cloud",
		Long: `Transform reads every input object under --source, at any depth (*.jsonl,
*.json, *.ndjson, gzip-compressed or not; names starting with "_" or "." are
skipped), validates it as SPEC.md says, and stages it as one batch of a
pipeline run does, with the same code:

  <out>/<run>/<table>/local-<object>-<part>.<format>   staged rows per table, as the loads read them
  <out>/<run>/manifests/local.json                     the batch's manifest: objects, accounting, files
  <deadletter>/<run>/local-<object>-<part>.ndjson      every rejected line and event, with its reason

Staged files keep duplicate sessions and events; the load deduplicates them by
session_key and event_id. A run that fails leaves nothing behind; a run id
already staged is refused. It exits non-zero, naming the object, if the
accounting does not add up.`,
		Example: `  starter transform --source data/source --out data/staging
  starter transform --source data/source --out /tmp/staged --staging-format ndjson --json | jq .accounting`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, map[string]string{"source": "source.uri", "out": "staging.uri", "staging-format": "pipeline.staging_format"})
			if err != nil {
				return err
			}
			if runID == "" {
				runID = newLocalRunID()
			}
			if deadLetter == "" {
				deadLetter = filepath.Join(cfg.Staging.URI, "deadletter")
			}
			start := time.Now()
			rep, err := transformLocal(cmd.Context(), localTransform{
				Source: cfg.Source.URI, Out: cfg.Staging.URI, DeadLetter: deadLetter, RunID: runID,
				Format: clickstream.Format(cfg.Pipeline.StagingFormat), MaxLineBytes: int(cfg.Transform.MaxLineBytes),
				PartBytes: int64(cfg.Transform.PartBytes), Progress: cmd.ErrOrStderr(),
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
	f.String("out", "", "folder to stage into (config staging.uri)")
	f.StringVar(&deadLetter, "deadletter", "", "folder of the dead letter (default <out>/deadletter)")
	f.String("staging-format", "", "format of the staged rows: parquet or ndjson (config pipeline.staging_format)")
	f.BoolVar(&jsonOut, "json", false, "print the accounting as one JSON object")
	f.StringVar(&runID, "run-id", "", "run id: the run's folder, its run_id column and dead letter (default local-<UTC time>-<random>)")
	return cmd
}

// newLocalRunID names a local run after its start, with a random suffix so
// that two runs started in the same second get folders of their own.
func newLocalRunID() string {
	b := make([]byte, 3)
	rand.Read(b)
	return "local-" + time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}

// localBatch is the batch id of a local transform: all of its objects are
// one batch.
const localBatch = "local"

type localTransform struct {
	Source, Out, DeadLetter string
	RunID                   string
	Format                  clickstream.Format
	MaxLineBytes            int
	PartBytes               int64
	Progress                io.Writer // a bar is drawn here if it is a terminal
}

// transformReport is the JSON contract of `starter transform --json`.
type transformReport struct {
	RunID      string             `json:"run_id"`
	Staging    string             `json:"staging"`    // the run's folder of staged files
	DeadLetter string             `json:"deadletter"` // the run's folder of rejects
	Manifest   string             `json:"manifest"`
	Accounting clickstream.Counts `json:"accounting"`
	Objects    []objectReport     `json:"objects"`

	bytes   int64
	skipped int
}

type objectReport struct {
	Name string `json:"name"`
	clickstream.Counts
}

// transformLocal stages the input under o.Source as one batch of run
// o.RunID, with the pipeline's own code (staging.Area.Transform). The
// manifest is written once every object has been read and its accounting
// adds up; a run that fails removes what it staged.
func transformLocal(ctx context.Context, o localTransform) (rep transformReport, err error) {
	for flag, dir := range map[string]string{"--source": o.Source, "--out": o.Out, "--deadletter": o.DeadLetter} {
		if strings.Contains(dir, "://") {
			return rep, fmt.Errorf("%s %s: transform reads and writes local folders only", flag, dir)
		}
	}
	if err := checkFolder(o.Source); err != nil {
		return rep, err
	}
	src, err := blob.NewLocal(o.Source)
	if err != nil {
		return rep, err
	}
	objs, skipped, err := listInputs(ctx, src)
	if err != nil {
		return rep, err
	}
	if len(objs) == 0 {
		return rep, fmt.Errorf("no input files under %s: want *.jsonl, *.json or *.ndjson, optionally .gz (%d other files skipped)", o.Source, skipped)
	}
	area, err := localArea(o.Out, o.DeadLetter)
	if err != nil {
		return rep, err
	}
	manifest := staging.ManifestName(o.RunID, localBatch)
	if _, err := area.ReadManifest(ctx, manifest); err == nil {
		return rep, fmt.Errorf("run %s is already staged in %s: choose another --run-id, or remove the folder",
			o.RunID, staging.RunFolder(o.Out, o.RunID))
	} else if !errors.Is(err, blob.ErrNotExist) {
		return rep, err
	}
	// A run folder without a manifest is what a killed run left: start it
	// again from nothing.
	if err := removeRun(o); err != nil {
		return rep, err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, removeRun(o))
		}
	}()

	rep = transformReport{RunID: o.RunID, Staging: staging.RunFolder(o.Out, o.RunID), DeadLetter: staging.RunFolder(o.DeadLetter, o.RunID),
		Manifest: blob.Join(o.Out, manifest), skipped: skipped, Objects: make([]objectReport, 0, len(objs))}
	before := make([]int64, len(objs)+1) // bytes of the objects before each
	for i, obj := range objs {
		before[i+1] = before[i] + obj.Size
	}
	rep.bytes = before[len(objs)]
	prog := startProgress(o.Progress, rep.bytes)
	defer prog.finish()
	prog.setLabel(fmt.Sprintf("1/%d %s", len(objs), objs[0].Name))
	m, err := area.Transform(ctx, staging.Batch{
		RunID: o.RunID, BatchID: localBatch, Source: src, Objects: objs,
		Format: o.Format, MaxLineBytes: o.MaxLineBytes, PartBytes: o.PartBytes,
	}, staging.Checkpoint{}, func(cp staging.Checkpoint) error {
		done := before[cp.Object]
		if cp.Object < len(objs) {
			done += min(cp.Cursor.Offset, objs[cp.Object].Size) // the offset counts uncompressed bytes
			prog.setLabel(fmt.Sprintf("%d/%d %s", cp.Object+1, len(objs), objs[cp.Object].Name))
		}
		prog.set(done)
		return nil
	})
	if ctx.Err() != nil {
		return rep, fmt.Errorf("interrupted; nothing of run %s was kept", o.RunID)
	}
	if err != nil {
		return rep, err
	}
	if err := m.Counts.Check(); err != nil {
		return rep, fmt.Errorf("run %s: %w", o.RunID, err)
	}
	if err := area.WriteManifest(ctx, manifest, m); err != nil {
		return rep, err
	}
	prog.finish()
	rep.Accounting = m.Counts
	for _, om := range m.Objects {
		rep.Objects = append(rep.Objects, objectReport{Name: om.URI, Counts: om.Counts})
	}
	return rep, nil
}

// checkFolder says, in words, why dir cannot be read as a source folder.
func checkFolder(dir string) error {
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("source folder %s does not exist (create sample data with: starter gen --out %s)", dir, dir)
	case err != nil:
		return fmt.Errorf("reading source: %w", err)
	case !info.IsDir():
		return fmt.Errorf("source %s is not a folder", dir)
	}
	return nil
}

// listInputs lists every input object of src, in the listing's order, and
// counts the other objects.
func listInputs(ctx context.Context, src blob.Store) (objs []blob.Object, skipped int, err error) {
	for token := ""; ; {
		page, err := src.List(ctx, "", token, 0)
		if err != nil {
			return nil, 0, fmt.Errorf("listing %s: %w", src.URI(), err)
		}
		for _, o := range page.Objects {
			if clickstream.IsInputName(o.Name) {
				objs = append(objs, o)
			} else {
				skipped++
			}
		}
		if token = page.Next; token == "" {
			return objs, skipped, nil
		}
	}
}

func localArea(out, deadLetter string) (staging.Area, error) {
	st, err := blob.NewLocal(out)
	if err != nil {
		return staging.Area{}, err
	}
	dl, err := blob.NewLocal(deadLetter)
	if err != nil {
		return staging.Area{}, err
	}
	return staging.Area{Staging: st, DeadLetter: dl}, nil
}

// removeRun removes the run's folders, temporary files of a killed write
// included.
func removeRun(o localTransform) error {
	for _, root := range []string{o.Out, o.DeadLetter} {
		if err := os.RemoveAll(filepath.FromSlash(staging.RunFolder(root, o.RunID))); err != nil {
			return fmt.Errorf("removing run %s: %w", o.RunID, err)
		}
	}
	return nil
}

func printTransformReport(w io.Writer, rep transformReport, took time.Duration) {
	c := rep.Accounting
	fmt.Fprintf(w, "Transformed %d objects (%s) in %s (%.1f MB/s), run %s\n",
		len(rep.Objects), humanBytes(rep.bytes), took.Round(time.Millisecond),
		float64(rep.bytes)/took.Seconds()/1e6, rep.RunID)
	if rep.skipped > 0 {
		fmt.Fprintf(w, "Skipped %d files that are not input (*.jsonl, *.json, *.ndjson[.gz]; not starting with _ or .)\n", rep.skipped)
	}
	fmt.Fprintf(w, "\n  lines     %10d = blank %d + valid sessions %d + rejected sessions %d\n", c.Lines, c.Blank, c.SessionsValid, c.SessionsRejected)
	fmt.Fprintf(w, "  events    %10d = page views %d + add to cart %d + purchases %d + rejected events %d (events of valid sessions)\n",
		c.EventsSeen, c.Pageviews, c.Addtocarts, c.Purchases, c.EventsRejected)
	fmt.Fprintf(w, "\nStaged (duplicates kept; the load deduplicates by session_key and event_id):\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, t := range clickstream.Tables() {
		fmt.Fprintf(tw, "  %s/%s/\t%d rows\n", rep.Staging, t.Name, c.TableRows(t.Name))
	}
	fmt.Fprintf(tw, "  %s/\t%d records (%d lines, %d events)\n", rep.DeadLetter, c.SessionsRejected+c.EventsRejected, c.SessionsRejected, c.EventsRejected)
	fmt.Fprintf(tw, "  %s\tthe manifest: accounting per object, every file\n", rep.Manifest)
	tw.Flush()
	fmt.Fprintln(w, "\nThe accounting adds up for every object.")
}
