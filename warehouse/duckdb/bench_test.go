package duckdb_test

import (
	"context"
	"os"
	"testing"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/sampledata"
	"github.com/clickstream-platform/clickstream/warehouse"
	"github.com/clickstream-platform/clickstream/warehouse/warehousetest"
)

// benchSample stages about 50 MB of NDJSON for the five tables.
var benchSample = sampledata.Options{Files: 8, Sessions: 12500, Days: 3, Seed: 1, InvalidRate: 0.05, DuplicateRate: 0.1}

// BenchmarkLoad measures loading about 50 MB of staged NDJSON into the five
// tables, one Load per table, each opening and closing the file: MB/s of
// staged NDJSON and staged rows/s.
//
//	go test ./warehouse/duckdb -run '^$' -bench Load -benchtime 5x
func BenchmarkLoad(b *testing.B) {
	s := warehousetest.StageSample(b, b.TempDir(), benchSample, "bench")
	var rows int64
	for _, n := range warehousetest.StagedRows(s.Sum.Expected) {
		rows += n
	}
	for _, mode := range []warehouse.Mode{warehouse.Replace, warehouse.Merge} {
		b.Run(string(mode), func(b *testing.B) {
			d := openTemp(b)
			loadAll(b, d, warehouse.Replace, func(table string) []string { return s.Files[table] })
			b.SetBytes(s.Bytes)
			b.ResetTimer()
			for b.Loop() {
				loadAll(b, d, mode, func(table string) []string { return s.Files[table] })
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			if fi, err := os.Stat(d.Path()); err == nil {
				b.ReportMetric(float64(fi.Size())/1e6, "db-MB")
			}
		})
	}
}

// BenchmarkOpen measures the price of opening the file for an operation:
// a query of one row from a warehouse holding the benchmark's data.
func BenchmarkOpen(b *testing.B) {
	s := warehousetest.StageSample(b, b.TempDir(), benchSample, "bench")
	d := openTemp(b)
	loadAll(b, d, warehouse.Replace, func(table string) []string { return s.Files[table] })
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := d.Query(ctx, "SELECT count(*) FROM clickstream_dw."+clickstream.SessionsTable); err != nil {
			b.Fatal(err)
		}
	}
}
