package duckdb_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/warehouse"
	"github.com/clickstream-platform/clickstream/warehouse/duckdb"
	"github.com/clickstream-platform/clickstream/warehouse/warehousetest"
)

// benchSet is one format's staged files of every table.
type benchSet struct {
	name  string
	files map[string][]string // by table
	bytes int64
}

// benchSets returns the staged data BenchmarkLoadFormats loads: the folders
// of CLICKSTREAM_BENCH_STAGED, a comma-separated list of name=folder, each
// folder holding <table>/*.ndjson or <table>/*.parquet; without it,
// benchSample staged by the transform as NDJSON and as Parquet.
func benchSets(b *testing.B) []benchSet {
	b.Helper()
	env := os.Getenv("CLICKSTREAM_BENCH_STAGED")
	if env == "" {
		nd := warehousetest.StageSampleAs(b, b.TempDir(), benchSample, "bench", clickstream.NDJSON)
		pq := warehousetest.StageSampleAs(b, b.TempDir(), benchSample, "bench", clickstream.Parquet)
		return []benchSet{{"ndjson", nd.Files, nd.Bytes}, {"parquet", pq.Files, pq.Bytes}}
	}
	var sets []benchSet
	for _, item := range strings.Split(env, ",") {
		name, dir, ok := strings.Cut(item, "=")
		if !ok {
			b.Fatalf("CLICKSTREAM_BENCH_STAGED: %q is not name=folder", item)
		}
		set := benchSet{name: name, files: map[string][]string{}}
		for _, t := range clickstream.Tables() {
			for _, ext := range []string{"*.ndjson", "*.parquet"} {
				files, err := filepath.Glob(filepath.Join(dir, t.Name, ext))
				if err != nil {
					b.Fatal(err)
				}
				set.files[t.Name] = append(set.files[t.Name], files...)
			}
			if len(set.files[t.Name]) == 0 {
				b.Fatalf("CLICKSTREAM_BENCH_STAGED: no staged file in %s", filepath.Join(dir, t.Name))
			}
			for _, f := range set.files[t.Name] {
				fi, err := os.Stat(f)
				if err != nil {
					b.Fatal(err)
				}
				set.bytes += fi.Size()
			}
		}
		sets = append(sets, set)
	}
	return sets
}

// BenchmarkLoadFormats loads the same staged rows from each format, one Load
// per table, each opening and closing the file as the pipeline's do, and
// reports the milliseconds of each table's load (<table>-ms) besides the
// total (ns/op; MB/s of the staged files): fresh loads into a new file,
// replace over the full tables, and merge of rows the tables all hold.
//
//	go test ./warehouse/duckdb -run '^$' -bench LoadFormats -benchtime 5x
//	CLICKSTREAM_BENCH_STAGED=ndjson=/tmp/exp/staged8,parquet=/tmp/exp/fmtv1/parquet-snappy go test ...
func BenchmarkLoadFormats(b *testing.B) {
	for _, set := range benchSets(b) {
		files := func(table string) []string { return set.files[table] }
		for _, mode := range []string{"fresh", "replace", "merge"} {
			b.Run(set.name+"/"+mode, func(b *testing.B) {
				var d *duckdb.Warehouse
				if mode != "fresh" {
					d = openTemp(b)
					loadAll(b, d, warehouse.Replace, files)
				}
				spent := map[string]time.Duration{}
				b.SetBytes(set.bytes)
				b.ResetTimer()
				for range b.N {
					if mode == "fresh" {
						b.StopTimer()
						d = openTemp(b)
						if err := d.EnsureTables(context.Background()); err != nil {
							b.Fatal(err)
						}
						b.StartTimer()
					}
					loadMode := warehouse.Merge
					if mode != "merge" {
						loadMode = warehouse.Replace
					}
					for _, t := range clickstream.Tables() {
						start := time.Now()
						if _, err := d.Load(context.Background(), warehouse.LoadRequest{Table: t.Name, Files: set.files[t.Name], Mode: loadMode, Slice: warehousetest.SliceFor(loadMode)}); err != nil {
							b.Fatal(err)
						}
						spent[t.Name] += time.Since(start)
					}
				}
				for table, d := range spent {
					b.ReportMetric(d.Seconds()*1000/float64(b.N), table+"-ms")
				}
			})
		}
	}
}
