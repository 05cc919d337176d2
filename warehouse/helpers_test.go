package warehouse_test

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

// staged is generated input transformed into staged files: one file per
// input object and table.
type staged struct {
	sum   sampledata.Summary
	files map[string][]string // table name -> files, in object order
	bytes int64               // size of all staged files
}

// half returns the files of the first (first=true) or second half of the
// objects.
func (s staged) half(table string, first bool) []string {
	f := s.files[table]
	if first {
		return f[:len(f)/2]
	}
	return f[len(f)/2:]
}

type nopCloser struct{ *bytes.Buffer }

func (nopCloser) Close() error { return nil }

// stageSample generates opts' objects in memory and transforms each with the
// real transform into dir/<table>/<object number>.ndjson.
func stageSample(tb testing.TB, dir string, opts sampledata.Options, runID string) staged {
	tb.Helper()
	return stageSampleAs(tb, dir, opts, runID, clickstream.NDJSON)
}

// stageSampleAs is stageSample in format: the files are named
// <object number><format.Ext()>, and a table that gets no row from an
// object has no file for it (the Parquet writer writes nothing then).
func stageSampleAs(tb testing.TB, dir string, opts sampledata.Options, runID string, format clickstream.Format) staged {
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
	s := staged{sum: sum, files: make(map[string][]string)}
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
			s.files[t.Name] = append(s.files[t.Name], p)
			s.bytes += int64(b.Len())
		}
	}
	return s
}

// distinct returns the rows each table must hold after dedup.
func (s staged) distinct() map[string]int64 {
	return map[string]int64{
		clickstream.VisitsTable:     s.sum.DistinctSessions,
		clickstream.SessionsTable:   s.sum.DistinctSessions,
		clickstream.PageviewsTable:  s.sum.DistinctPageviews,
		clickstream.AddtocartsTable: s.sum.DistinctAddtocarts,
		clickstream.PurchasesTable:  s.sum.DistinctPurchases,
	}
}

func openTemp(tb testing.TB) *warehouse.DuckDB {
	tb.Helper()
	d, err := warehouse.OpenDuckDB(warehouse.DuckDBOptions{Path: filepath.Join(tb.TempDir(), "db", "warehouse.duckdb")})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { d.Close() })
	return d
}

// loadAll loads every table from files(table) in mode and returns the results by table.
func loadAll(tb testing.TB, d *warehouse.DuckDB, mode warehouse.Mode, files func(table string) []string) map[string]warehouse.LoadResult {
	tb.Helper()
	res := make(map[string]warehouse.LoadResult)
	for _, t := range clickstream.Tables() {
		r, err := d.Load(context.Background(), warehouse.LoadRequest{Table: t.Name, Files: files(t.Name), Mode: mode, RunID: "test"})
		if err != nil {
			tb.Fatal(err)
		}
		res[t.Name] = r
	}
	return res
}

func counts(tb testing.TB, d *warehouse.DuckDB) map[string]int64 {
	tb.Helper()
	c, err := d.Counts(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// query runs q and returns its rows.
func query(tb testing.TB, d *warehouse.DuckDB, q string) [][]any {
	tb.Helper()
	_, rows, err := d.Query(context.Background(), q)
	if err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
	return rows
}

// writeFile writes lines, each followed by a newline, to dir/name.
func writeFile(tb testing.TB, dir, name string, lines ...string) string {
	tb.Helper()
	p := filepath.Join(dir, name)
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}
