package duckdb_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/warehouse"
	"github.com/clickstream-platform/clickstream/warehouse/duckdb"
	"github.com/clickstream-platform/clickstream/warehouse/warehousetest"
	_ "github.com/duckdb/duckdb-go/v2"
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

// BenchmarkLoadFloor sets each format's fresh load against the engine's
// floor: DuckDB writing the same tables (the rows a fresh load of the set
// leaves) into a new file from an in-memory copy of them, CREATE TABLE AS,
// in one transaction whose commit checkpoints, the file's close included.
// What the load spends above it is reading the staged files, checking them,
// picking one row per key and the load's own bookkeeping; the last it
// measures apart as fixed-ms, the same loads given no files (each still
// opens the file, checks the tables, and commits and closes). Each
// iteration runs the three, the first rotating, and it reports their
// milliseconds and load/floor.
//
//	go test ./warehouse/duckdb -run '^$' -bench LoadFloor -benchtime 5x
func BenchmarkLoadFloor(b *testing.B) {
	ctx := context.Background()
	for _, set := range benchSets(b) {
		files := func(table string) []string { return set.files[table] }
		b.Run(set.name, func(b *testing.B) {
			ref := openTemp(b)
			loadAll(b, ref, warehouse.Replace, files)
			loadInto := func(files func(string) []string) time.Duration {
				d := openTemp(b)
				if err := d.EnsureTables(ctx); err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				for _, t := range clickstream.Tables() {
					req := warehouse.LoadRequest{Table: t.Name, Files: files(t.Name), Mode: warehouse.Replace, Slice: warehousetest.SliceFor(warehouse.Replace)}
					if _, err := d.Load(ctx, req); err != nil {
						b.Fatal(err)
					}
				}
				return time.Since(start)
			}
			var load, floor, fixed time.Duration
			for i := range b.N {
				for j := range 3 {
					switch (i + j) % 3 {
					case 0:
						load += loadInto(files)
					case 1:
						floor += writeFloor(b, ref)
					case 2:
						fixed += loadInto(func(string) []string { return nil })
					}
				}
			}
			b.ReportMetric(load.Seconds()*1000/float64(b.N), "load-ms")
			b.ReportMetric(floor.Seconds()*1000/float64(b.N), "floor-ms")
			b.ReportMetric(fixed.Seconds()*1000/float64(b.N), "fixed-ms")
			b.ReportMetric(load.Seconds()/floor.Seconds(), "load/floor")
		})
	}
}

// writeFloor copies ref's tables into memory, then times writing them into
// a new file (see BenchmarkLoadFloor).
func writeFloor(tb testing.TB, ref *duckdb.Warehouse) time.Duration {
	tb.Helper()
	ctx := context.Background()
	db, err := sql.Open("duckdb", filepath.Join(tb.TempDir(), "floor.duckdb"))
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	c, err := db.Conn(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	exec := func(q string) {
		tb.Helper()
		if _, err := c.ExecContext(ctx, q); err != nil {
			tb.Fatalf("%s: %v", q, err)
		}
	}
	// As the load's connections do (see initConn): the commit writes the
	// rows once, into the file, rather than into the WAL first.
	exec("SET checkpoint_threshold = '1MB'")
	exec("ATTACH ':memory:' AS mem")
	exec("ATTACH " + sqlString(ref.Path()) + " AS src (READ_ONLY)")
	var tables []string
	for _, t := range clickstream.Tables() {
		name := ref.TableName(t.Name)
		tables = append(tables, name)
		exec(fmt.Sprintf("CREATE TABLE mem.%s AS SELECT * FROM src.%s", t.Name, name))
	}
	exec("DETACH src")
	start := time.Now()
	exec("BEGIN")
	for _, s := range []string{warehouse.DefaultLakeDataset, warehouse.DefaultDWDataset} {
		exec("CREATE SCHEMA " + s)
	}
	for i, t := range clickstream.Tables() {
		exec(fmt.Sprintf("CREATE TABLE %s AS SELECT * FROM mem.%s", tables[i], t.Name))
	}
	exec("COMMIT")
	if err := c.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := db.Close(); err != nil {
		tb.Fatal(err)
	}
	return time.Since(start)
}
