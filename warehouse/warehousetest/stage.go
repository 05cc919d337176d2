package warehousetest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/sampledata"
	"github.com/clickstream-platform/clickstream/warehouse"
)

// Staged is generated input transformed into staged files: one file per
// input object and table.
type Staged struct {
	Sum   sampledata.Summary
	Files map[string][]string // table name -> files, in object order
	Bytes int64               // size of all staged files
}

// Half returns the files of the first (first=true) or second half of the
// objects.
func (s Staged) Half(table string, first bool) []string {
	f := s.Files[table]
	if first {
		return f[:len(f)/2]
	}
	return f[len(f)/2:]
}

// Distinct returns the rows each table must hold after dedup.
func (s Staged) Distinct() map[string]int64 {
	return map[string]int64{
		clickstream.VisitsTable:     s.Sum.Expected.SessionsValid, // the lake keeps every copy
		clickstream.SessionsTable:   s.Sum.DistinctSessions,
		clickstream.PageviewsTable:  s.Sum.DistinctPageviews,
		clickstream.AddtocartsTable: s.Sum.DistinctAddtocarts,
		clickstream.PurchasesTable:  s.Sum.DistinctPurchases,
		clickstream.GA4EventsTable:  s.Sum.Expected.EventsValid, // 0: session input
	}
}

// StagedRows returns the rows each table's staged files hold, duplicates included.
func StagedRows(c clickstream.Counts) map[string]int64 {
	return map[string]int64{
		clickstream.VisitsTable:     c.SessionsValid,
		clickstream.SessionsTable:   c.SessionsValid,
		clickstream.PageviewsTable:  c.Pageviews,
		clickstream.AddtocartsTable: c.Addtocarts,
		clickstream.PurchasesTable:  c.Purchases,
		clickstream.GA4EventsTable:  c.EventsValid,
	}
}

type nopCloser struct{ *bytes.Buffer }

func (nopCloser) Close() error { return nil }

// StageSample generates opts' objects in memory and transforms each with the
// real transform into dir/<table>/<object number>.ndjson.
func StageSample(tb testing.TB, dir string, opts sampledata.Options, runID string) Staged {
	tb.Helper()
	return StageSampleAs(tb, dir, opts, runID, clickstream.NDJSON)
}

// StageSampleAs is StageSample in format: the files are named
// <object number><format.Ext()>, and a table that gets no row from an
// object has no file for it (the Parquet writer writes nothing then).
func StageSampleAs(tb testing.TB, dir string, opts sampledata.Options, runID string, format clickstream.Format) Staged {
	tb.Helper()
	objects := make(map[string]*bytes.Buffer)
	sum, err := sampledata.WriteObjects(opts, func(name string) (io.WriteCloser, error) {
		b := new(bytes.Buffer)
		objects[name] = b
		return nopCloser{b}, nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	tr, err := clickstream.NewTransformer(clickstream.Options{RunID: runID, Format: format})
	if err != nil {
		tb.Fatal(err)
	}
	s := Staged{Sum: sum, Files: make(map[string][]string)}
	for i, obj := range sum.Objects {
		bufs := make(map[string]*bytes.Buffer)
		for _, t := range clickstream.Tables() {
			bufs[t.Name] = new(bytes.Buffer)
		}
		out := clickstream.Outputs{
			Visits: bufs[clickstream.VisitsTable], Sessions: bufs[clickstream.SessionsTable],
			Pageviews: bufs[clickstream.PageviewsTable], Addtocarts: bufs[clickstream.AddtocartsTable],
			Purchases: bufs[clickstream.PurchasesTable], DeadLetter: io.Discard,
		}
		if _, err := tr.Transform(context.Background(), bytes.NewReader(objects[obj.Name].Bytes()), obj.Name, out); err != nil {
			tb.Fatal(err)
		}
		for _, t := range clickstream.Tables() {
			b := bufs[t.Name]
			if b.Len() == 0 && format == clickstream.Parquet {
				continue
			}
			p := filepath.Join(dir, t.Name, fmt.Sprintf("%05d%s", i, format.Ext()))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				tb.Fatal(err)
			}
			if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
				tb.Fatal(err)
			}
			s.Files[t.Name] = append(s.Files[t.Name], p)
			s.Bytes += int64(b.Len())
		}
	}
	return s
}

// SliceFor is the slice of a test load in mode: every row in Replace mode,
// as if the run's source held every staged object; none in Merge mode, as
// a merge of objects read for the first time.
func SliceFor(mode warehouse.Mode) warehouse.Slice {
	if mode == warehouse.Replace {
		return warehouse.Slice{Prefixes: []string{""}}
	}
	return warehouse.Slice{}
}
