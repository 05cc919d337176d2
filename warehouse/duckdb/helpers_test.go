package duckdb_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/warehouse"
	"github.com/clickstream-platform/clickstream/warehouse/duckdb"
	"github.com/clickstream-platform/clickstream/warehouse/warehousetest"
)

func openTemp(tb testing.TB) *duckdb.Warehouse {
	tb.Helper()
	d, err := duckdb.Open(duckdb.Options{Path: filepath.Join(tb.TempDir(), "db", "warehouse.duckdb")})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { d.Close() })
	return d
}

// loadAll loads every table from files(table) in mode and returns the results by table.
func loadAll(tb testing.TB, d *duckdb.Warehouse, mode warehouse.Mode, files func(table string) []string) map[string]warehouse.LoadResult {
	tb.Helper()
	res := make(map[string]warehouse.LoadResult)
	for _, t := range clickstream.Tables() {
		r, err := d.Load(context.Background(), warehouse.LoadRequest{Table: t.Name, Files: files(t.Name), Mode: mode, Slice: warehousetest.SliceFor(mode), RunID: "test"})
		if err != nil {
			tb.Fatal(err)
		}
		res[t.Name] = r
	}
	return res
}

func counts(tb testing.TB, d *duckdb.Warehouse) map[string]int64 {
	tb.Helper()
	c, err := d.Counts(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// query runs q and returns its rows.
func query(tb testing.TB, d *duckdb.Warehouse, q string) [][]any {
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
