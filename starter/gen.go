package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/config"
	"github.com/clickstream-platform/clickstream/sampledata"
	"github.com/spf13/cobra"
)

// genFlags are the values of `starter gen`'s flags.
type genFlags struct {
	out                        string
	files, sessions, days      int
	start, format              string
	seed                       uint64
	gzip, json                 bool
	invalidRate, duplicateRate float64
}

func newGenCmd() *cobra.Command {
	var fl genFlags
	cmd := &cobra.Command{
		Use:   "gen",
		Short: "Generate deterministic sample session JSONL and the accounting it must give",
		Long: `Gen writes realistic clickstream sessions as SPEC.md's input describes, into
Hive-style day folders under --out (dt=YYYY-MM-DD/sessions-NNNNN.jsonl[.gz]),
and prints the exact accounting a correct transform must report for them: lines,
blank lines, valid and rejected sessions, events per table and rejected events,
and the rows each table holds after dedup.

--sessions is the number of session lines across all files. --invalid-rate is
the share of lines SPEC.md rejects and the share of rejected events inside
valid sessions (a few blank lines come with it); --duplicate-rate is the share
of lines repeating an earlier session. The same flags give byte-identical files;
runs with another --seed or --start can be added to the same folder.

--format ga4 writes GA4 BigQuery export rows instead (dt=YYYY-MM-DD/events-NNNNN.jsonl):
one event a line with the export's full schema, INT64 values as strings, the event mix
of GA4's public e-commerce sample (page_view, session_start, first_visit,
user_engagement, scroll, view_item, add_to_cart, begin_checkout, purchase, ...).
--sessions is then the number of GA4 sessions; --invalid-rate the share of lines
rejected whole and of page views, add-to-carts and purchases whose mapping is
rejected; --duplicate-rate the share of lines repeated byte for byte.`,
		Example: `  starter gen --out data/source
  starter gen --out /tmp/bench --files 64 --sessions 500000 --gzip --json | jq .expected
  starter gen --out data/ga4 --format ga4 --sessions 500`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, map[string]string{"out": "source.uri"})
			if err != nil {
				return err
			}
			fl.out = cfg.Source.URI
			if strings.Contains(fl.out, "://") {
				return fmt.Errorf("--out %s: gen writes to local folders only", fl.out)
			}
			opts, err := fl.options()
			if err != nil {
				return err
			}
			others, err := countOtherInputs(fl.out, opts)
			if err != nil {
				return err
			}
			sum, err := sampledata.Generate(fl.out, opts)
			if err != nil {
				return fmt.Errorf("generating sample data in %s: %w", fl.out, err)
			}
			if others > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "note: %s also holds %d other input files, which the accounting below does not cover\n",
					fl.out, others)
			}
			if fl.json {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(newGenReport(sum))
			}
			return printGenSummary(cmd.OutOrStdout(), fl.out, sum)
		},
	}
	f := cmd.Flags()
	f.String("out", "", "folder to write the objects into (config source.uri)")
	f.IntVar(&fl.files, "files", 4, "number of objects")
	f.IntVar(&fl.sessions, "sessions", 2000, "session lines across all objects")
	f.IntVar(&fl.days, "days", 3, "number of dt= days the objects are spread over")
	f.StringVar(&fl.start, "start", "2024-01-30", "first day, YYYY-MM-DD")
	f.Uint64Var(&fl.seed, "seed", 1, "seed of the data; the same flags give the same bytes")
	f.BoolVar(&fl.gzip, "gzip", false, "write gzip-compressed .jsonl.gz objects")
	f.Float64Var(&fl.invalidRate, "invalid-rate", 0.02, "share of invalid lines, and of invalid events in valid sessions, 0 to 1")
	f.Float64Var(&fl.duplicateRate, "duplicate-rate", 0.05, "share of lines that repeat an earlier session, 0 to 1")
	f.BoolVar(&fl.json, "json", false, "print the summary as one JSON object")
	f.StringVar(&fl.format, "format", "sessions", "input shape to write: sessions, or ga4 (GA4 BigQuery export rows)")
	return cmd
}

// options converts the flags; sampledata.Options.Validate checks them, each
// error naming the option, which is the flag's name.
func (fl genFlags) options() (sampledata.Options, error) {
	start, err := time.Parse(time.DateOnly, fl.start)
	if err != nil {
		return sampledata.Options{}, fmt.Errorf("--start must be a date YYYY-MM-DD, got %q", fl.start)
	}
	opts := sampledata.Options{
		Files:         fl.files,
		Sessions:      fl.sessions,
		Days:          fl.days,
		Start:         start,
		Seed:          fl.seed,
		Gzip:          fl.gzip,
		InvalidRate:   fl.invalidRate,
		DuplicateRate: fl.duplicateRate,
		Format:        clickstream.InputFormat(fl.format),
	}
	if err := opts.Validate(); err != nil {
		return opts, fmt.Errorf("invalid flags: %w", err)
	}
	return opts, nil
}

// countOtherInputs counts the input files under dir that this run does not
// write, since a transform of dir reads them too.
func countOtherInputs(dir string, opts sampledata.Options) (int, error) {
	ours := map[string]bool{}
	for _, name := range opts.ObjectNames() {
		ours[name] = true
	}
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && path == dir {
			return filepath.SkipAll
		}
		if err != nil || d.IsDir() {
			return err
		}
		name := strings.TrimSuffix(d.Name(), ".gz")
		if !strings.HasSuffix(name, ".jsonl") && !strings.HasSuffix(name, ".json") && !strings.HasSuffix(name, ".ndjson") {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		if !ours[filepath.ToSlash(rel)] {
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("looking at --out %s: %w", dir, err)
	}
	return n, nil
}

// genReport is the JSON contract of `starter gen --json`.
type genReport struct {
	Objects  []genObject         `json:"objects"`
	Expected clickstream.Counts  `json:"expected"`
	Distinct sampledata.Distinct `json:"distinct"`
	Bytes    int64               `json:"bytes"`
}

type genObject struct {
	Name     string             `json:"name"`
	Bytes    int64              `json:"bytes"`
	Expected clickstream.Counts `json:"expected"`
}

func newGenReport(sum sampledata.Summary) genReport {
	rep := genReport{
		Objects:  make([]genObject, 0, len(sum.Objects)),
		Expected: sum.Expected,
		Distinct: sum.Distinct(),
		Bytes:    sum.Bytes,
	}
	for _, o := range sum.Objects {
		rep.Objects = append(rep.Objects, genObject{Name: o.Name, Bytes: o.Bytes, Expected: o.Expected})
	}
	return rep
}

func printGenSummary(w io.Writer, dir string, sum sampledata.Summary) error {
	e := sum.Expected
	if e.Format == clickstream.GA4Input {
		return printGA4GenSummary(w, dir, sum)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "wrote %d objects, %s, %d sessions in %d lines, to %s\n",
		len(sum.Objects), config.ByteSize(sum.Bytes).Decimal(), e.SessionsValid+e.SessionsRejected, e.Lines, dir)
	for _, o := range sum.Objects {
		fmt.Fprintf(tw, "  %s\t%s\t%d lines\t\n", o.Name, config.ByteSize(o.Bytes).Decimal(), o.Expected.Lines)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, `expected accounting (what a transform of these objects must report):
  lines %d = blank %d + sessions_valid %d + sessions_rejected %d
  events_seen %d = pageviews %d + addtocarts %d + purchases %d + events_rejected %d
rows after dedup:
  sessions %d, pageview_events %d, addtocart_events %d, purchase_events %d
`,
		e.Lines, e.Blank, e.SessionsValid, e.SessionsRejected,
		e.EventsSeen, e.Pageviews, e.Addtocarts, e.Purchases, e.EventsRejected,
		sum.DistinctSessions, sum.DistinctPageviews, sum.DistinctAddtocarts, sum.DistinctPurchases)
	return err
}

func printGA4GenSummary(w io.Writer, dir string, sum sampledata.Summary) error {
	e := sum.Expected
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "wrote %d objects, %s, %d GA4 events in %d lines, to %s\n",
		len(sum.Objects), config.ByteSize(sum.Bytes).Decimal(), e.EventsValid+e.EventsRejected, e.Lines, dir)
	for _, o := range sum.Objects {
		fmt.Fprintf(tw, "  %s\t%s\t%d lines\t\n", o.Name, config.ByteSize(o.Bytes).Decimal(), o.Expected.Lines)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, `expected accounting (what a transform of these objects must report, with --format ga4):
  lines %d = blank %d + events_valid %d + events_rejected %d
  events_valid %d = pageviews %d + addtocarts %d + purchases %d + events_other %d + events_mapping_rejected %d
  addtocart_rows %d, sessions_valid %d
rows after dedup:
  ga4_events %d, sessions %d, pageview_events %d, addtocart_events %d, purchase_events %d
`,
		e.Lines, e.Blank, e.EventsValid, e.EventsRejected,
		e.EventsValid, e.Pageviews, e.Addtocarts, e.Purchases, e.EventsOther, e.EventsMappingRejected,
		e.AddtocartRows, e.SessionsValid,
		e.EventsValid, sum.DistinctSessions, sum.DistinctPageviews, sum.DistinctAddtocarts, sum.DistinctPurchases)
	return err
}
