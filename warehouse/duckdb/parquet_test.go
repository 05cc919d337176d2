package duckdb_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/sampledata"
	"github.com/clickstream-platform/clickstream/warehouse"
	"github.com/clickstream-platform/clickstream/warehouse/duckdb"
	"github.com/clickstream-platform/clickstream/warehouse/warehousetest"
)

// TestLoadParquetAsNDJSON: the same staged rows load from Parquet exactly as
// from NDJSON, with the same accounting, in both modes and across formats:
// Parquet from clickstream's writer (REQUIRED columns required) and from
// DuckDB (every column optional).
func TestLoadParquetAsNDJSON(t *testing.T) {
	nd := warehousetest.StageSample(t, t.TempDir(), sample, "run-1")
	t.Run("writer", func(t *testing.T) {
		testParquetAsNDJSON(t, nd, warehousetest.StageSampleAs(t, t.TempDir(), sample, "run-1", clickstream.Parquet))
	})
	t.Run("duckdb", func(t *testing.T) { testParquetAsNDJSON(t, nd, parquetOf(t, nd)) })
}

func testParquetAsNDJSON(t *testing.T, nd, pq warehousetest.Staged) {
	for table, files := range pq.Files {
		if len(files) != len(nd.Files[table]) {
			t.Fatalf("%s: %d Parquet files, %d NDJSON", table, len(files), len(nd.Files[table]))
		}
	}
	all := func(s warehousetest.Staged) func(string) []string {
		return func(table string) []string { return s.Files[table] }
	}
	half := func(s warehousetest.Staged, first bool) func(string) []string {
		return func(table string) []string { return s.Half(table, first) }
	}

	dn, dp := openTemp(t), openTemp(t)
	resN := loadAll(t, dn, warehouse.Replace, all(nd))
	resP := loadAll(t, dp, warehouse.Replace, all(pq))
	if !maps.Equal(resP, resN) {
		t.Errorf("replace from Parquet: %v\nfrom NDJSON: %v", resP, resN)
	}
	want := fingerprints(t, dn)
	if got := fingerprints(t, dp); !maps.Equal(got, want) {
		t.Fatalf("tables loaded from Parquet differ from NDJSON's:\n%v\nwant\n%v", got, want)
	}

	t.Run("merge of the same files changes nothing, in either format", func(t *testing.T) {
		for _, s := range []warehousetest.Staged{pq, nd, pq} {
			res := loadAll(t, dp, warehouse.Merge, all(s))
			for name, r := range res {
				if r.Added != 0 || r.Staged != resN[name].Staged || r.Distinct != resN[name].Distinct {
					t.Errorf("merge again into %s: %+v, want +0 and the replace's counts %+v", name, r, resN[name])
				}
			}
		}
		if got := fingerprints(t, dp); !maps.Equal(got, want) {
			t.Errorf("merges changed the tables")
		}
	})

	t.Run("merge of two halves equals replace of both", func(t *testing.T) {
		for _, order := range [][2]bool{{true, false}, {false, true}} {
			h := openTemp(t)
			loadAll(t, h, warehouse.Merge, half(pq, order[0]))
			loadAll(t, h, warehouse.Merge, half(pq, order[1]))
			if got := fingerprints(t, h); !maps.Equal(got, want) {
				t.Errorf("merged halves (first half first: %v) differ from one replace", order[0])
			}
		}
		// One half from each format.
		h := openTemp(t)
		loadAll(t, h, warehouse.Merge, half(nd, false))
		loadAll(t, h, warehouse.Merge, half(pq, true))
		if got := fingerprints(t, h); !maps.Equal(got, want) {
			t.Errorf("merged halves of both formats differ from one replace")
		}
	})

	t.Run("replace with less data shrinks the tables", func(t *testing.T) {
		res := loadAll(t, dp, warehouse.Replace, half(pq, true))
		loadAll(t, dn, warehouse.Replace, half(nd, true))
		if got, want := fingerprints(t, dp), fingerprints(t, dn); !maps.Equal(got, want) {
			t.Errorf("tables differ from NDJSON's")
		}
		for name, r := range res {
			if name == clickstream.GA4EventsTable { // session input: empty before and after
				continue
			}
			if r.Before != resN[name].After || r.After != r.Distinct || r.Added >= 0 {
				t.Errorf("%s: %+v, want it to shrink to its %d distinct rows", name, r, r.Distinct)
			}
		}
	})
}

// TestParquetDedupKeepsFirstCopy is TestDedupKeepsFirstCopy's cases in
// Parquet: the smallest (source_object, source_line) wins, whatever the order
// of merges, and of copies equal in those the one in the file listed first.
func TestParquetDedupKeepsFirstCopy(t *testing.T) {
	dir := t.TempDir()
	c := newConverter(t)
	pv := pageview("2024-01-30T10:00:00Z", "/home")
	object := func(name string, lines ...string) map[string]string {
		files := transformLines(t, dir, name, lines...)
		for table, f := range files {
			files[table] = c.write(table, f, strings.TrimSuffix(f, ".ndjson")+".parquet", "")
		}
		return files
	}
	later := object("dt=2024-01-31/b.jsonl", session("s1", "B line 1", pv))
	earlier := object("dt=2024-01-30/a.jsonl",
		session("s2", "A line 1"),
		session("s1", "A line 2", pv),
		session("s1", "A line 3", pv, pageview("2024-01-30T10:00:01Z", "/extra")))
	earliest := object("dt=2024-01-29/z.jsonl", session("s1", "Z line 1", pv))
	files := func(objs ...map[string]string) func(string) []string {
		return func(table string) []string {
			var f []string
			for _, o := range objs {
				f = append(f, o[table])
			}
			return f
		}
	}
	d := openTemp(t)
	agents := func() string {
		return fmt.Sprint(query(t, d, "SELECT session_id, user_agent, source_object, source_line FROM clickstream_dw.sessions ORDER BY session_id")) +
			fmt.Sprint(query(t, d, "SELECT session_id, user_agent, len(events) FROM clickstream_lake.visits ORDER BY session_id, source_object, source_line"))
	}

	res := loadAll(t, d, warehouse.Replace, files(later, earlier))
	// The warehouse keeps one copy a key; the lake every copy.
	want := "[[s1 A line 2 dt=2024-01-30/a.jsonl 2] [s2 A line 1 dt=2024-01-30/a.jsonl 1]]" +
		"[[s1 A line 2 1] [s1 A line 3 2] [s1 B line 1 1] [s2 A line 1 0]]"
	if got := agents(); got != want {
		t.Errorf("replace kept\n%s\nwant\n%s", got, want)
	}
	if r := res[clickstream.PageviewsTable]; r.Staged != 4 || r.Distinct != 2 || r.After != 2 {
		t.Errorf("pageviews: %+v, want 4 staged, 2 distinct", r)
	}
	merged := loadAll(t, d, warehouse.Merge, files(earliest))
	want = "[[s1 Z line 1 dt=2024-01-29/z.jsonl 1] [s2 A line 1 dt=2024-01-30/a.jsonl 1]]" +
		"[[s1 Z line 1 1] [s1 A line 2 1] [s1 A line 3 2] [s1 B line 1 1] [s2 A line 1 0]]"
	if got := agents(); got != want {
		t.Errorf("merge of an earlier object kept\n%s\nwant\n%s", got, want)
	}
	if r := merged[clickstream.SessionsTable]; r.Added != 0 || r.After != 2 || r.Staged != 1 || r.Distinct != 1 {
		t.Errorf("merge of an earlier copy: %+v, want 1 staged, +0 rows", r)
	}
	loadAll(t, d, warehouse.Merge, files(later, earlier))
	if got := agents(); got != want {
		t.Errorf("merging the later objects again changed kept rows:\n%s\nwant\n%s", got, want)
	}

	// The same object staged twice with other content: the file listed
	// first wins, also among more files than are read in parallel.
	x := object("dt=2024-01-28/same.jsonl", session("s1", "X", pv))
	y := object("dt=2024-01-28/same.jsonl", session("s1", "Y", pv))
	var others []map[string]string
	for i := range 20 {
		others = append(others, object(fmt.Sprintf("dt=2024-01-29/%02d.jsonl", i), session(fmt.Sprintf("o%02d", i), "O", pv)))
	}
	for _, order := range [][]map[string]string{{x, y}, {y, x}} {
		objs := append(append(append(append([]map[string]string{}, others[:5]...), order[0]), others[5:15]...), order[1])
		objs = append(objs, others[15:]...)
		loadAll(t, d, warehouse.Replace, files(objs...))
		wantAgent := "X"
		if order[0][clickstream.SessionsTable] == y[clickstream.SessionsTable] {
			wantAgent = "Y"
		}
		for _, table := range []string{"clickstream_dw.sessions", "clickstream_lake.visits"} {
			rows := query(t, d, "SELECT user_agent FROM "+table+" WHERE session_id = 's1'")
			if len(rows) != 1 || rows[0][0] != wantAgent {
				t.Errorf("%s kept %v, want %s, the copy in the file listed first", table, rows, wantAgent)
			}
		}
	}
}

// TestParquetColumnsByName: a file with the columns in another order loads
// as one in the table's order.
func TestParquetColumnsByName(t *testing.T) {
	nd := warehousetest.StageSample(t, t.TempDir(), sampledata.Options{Files: 2, Sessions: 200, Seed: 3, DuplicateRate: 0.2}, "run-1")
	c := newConverter(t)
	reversed := func(table string) string {
		cols := strings.Split(columns(table), ", ")
		for i, j := 0, len(cols)-1; i < j; i, j = i+1, j-1 {
			cols[i], cols[j] = cols[j], cols[i]
		}
		return strings.Join(cols, ", ")
	}
	dn, dp := openTemp(t), openTemp(t)
	loadAll(t, dn, warehouse.Replace, func(table string) []string { return nd.Files[table] })
	loadAll(t, dp, warehouse.Replace, func(table string) []string {
		// One file in the table's order, one reversed.
		f := nd.Files[table]
		return []string{
			c.write(table, f[0], strings.TrimSuffix(f[0], ".ndjson")+".parquet", ""),
			c.write(table, f[1], strings.TrimSuffix(f[1], ".ndjson")+".reversed.parquet", reversed(table)),
		}
	})
	if got, want := fingerprints(t, dp), fingerprints(t, dn); !maps.Equal(got, want) {
		t.Errorf("tables from reordered columns differ:\n%v\nwant\n%v", got, want)
	}
}

func TestParquetLoadErrors(t *testing.T) {
	nd := warehousetest.StageSample(t, t.TempDir(), sampledata.Options{Files: 2, Sessions: 200, Seed: 3, DuplicateRate: 0.2}, "run-1")
	pq := parquetOf(t, nd)
	dir := t.TempDir()
	c := newConverter(t)
	// bad writes a file of table's first staged rows, selected by sel.
	bad := func(table, name, sel string, tail ...string) string {
		return c.write(table, nd.Files[table][0], filepath.Join(dir, name), sel, tail...)
	}
	replace := func(table, column, expr string) string {
		return strings.Replace(columns(table), `"`+column+`"`, expr+` AS "`+column+`"`, 1)
	}
	without := func(table, column string) string {
		return strings.Replace(strings.Replace(columns(table), `"`+column+`", `, "", 1), `, "`+column+`"`, "", 1)
	}
	tests := []struct {
		name        string
		table       string
		files       []string // added to the table's Parquet files
		isSchema    bool
		isNotExist  bool
		errContains string
	}{
		{name: "required column null in some rows", table: clickstream.SessionsTable,
			files: []string{bad(clickstream.SessionsTable, "null-user.parquet",
				replace(clickstream.SessionsTable, "user_id", `CASE WHEN source_line % 3 = 0 THEN NULL ELSE user_id END`))},
			isSchema: true, errContains: "null-user.parquet: schema mismatch: "},
		{name: "required columns null", table: clickstream.AddtocartsTable,
			files: []string{bad(clickstream.AddtocartsTable, "null-price.parquet",
				replace(clickstream.AddtocartsTable, "price", "NULL::DOUBLE"), "LIMIT 2")},
			isSchema: true, errContains: "null-price.parquet: schema mismatch: 2 row(s) lack a required column, the first lacks price"},
		{name: "required column missing", table: clickstream.SessionsTable,
			files:    []string{bad(clickstream.SessionsTable, "no-user.parquet", without(clickstream.SessionsTable, "user_id"))},
			isSchema: true, errContains: "no-user.parquet: schema mismatch: it lacks the column user_id (REQUIRED STRING)"},
		{name: "nullable column missing", table: clickstream.SessionsTable,
			files:    []string{bad(clickstream.SessionsTable, "no-agent.parquet", without(clickstream.SessionsTable, "user_agent"))},
			isSchema: true, errContains: "it lacks the column user_agent (NULLABLE STRING)"},
		{name: "extra column", table: clickstream.SessionsTable,
			files:    []string{bad(clickstream.SessionsTable, "extra.parquet", columns(clickstream.SessionsTable)+", 1 AS extra")},
			isSchema: true, errContains: "extra.parquet: schema mismatch: it has the column extra, which the table does not"},
		{name: "INTEGER written as STRING", table: clickstream.SessionsTable,
			files:    []string{bad(clickstream.SessionsTable, "line-string.parquet", replace(clickstream.SessionsTable, "source_line", "source_line::VARCHAR"))},
			isSchema: true, errContains: "line-string.parquet: schema mismatch: column source_line is BYTE_ARRAY read as VARCHAR, want INT64 read as BIGINT (INTEGER)"},
		{name: "STRING written as INT64", table: clickstream.PageviewsTable,
			files:    []string{bad(clickstream.PageviewsTable, "url-int.parquet", replace(clickstream.PageviewsTable, "page_url", "length(page_url)::BIGINT"))},
			isSchema: true, errContains: "column page_url is INT64 read as BIGINT, want BYTE_ARRAY read as VARCHAR (STRING)"},
		{name: "TIMESTAMP not adjusted to UTC", table: clickstream.PageviewsTable,
			files:    []string{bad(clickstream.PageviewsTable, "ts-local.parquet", replace(clickstream.PageviewsTable, "timestamp", `"timestamp"::TIMESTAMP`))},
			isSchema: true, errContains: "column timestamp is INT64 read as TIMESTAMP, want INT64 read as TIMESTAMP WITH TIME ZONE (TIMESTAMP)"},
		{name: "nested field of another type", table: clickstream.PurchasesTable,
			files: []string{bad(clickstream.PurchasesTable, "items-qty.parquet", replace(clickstream.PurchasesTable, "items",
				`[{'quantity': i.quantity::VARCHAR, 'price': i.price, 'category': i.category, 'product_name': i.product_name, 'product_id': i.product_id} FOR i IN items]`))},
			isSchema: true, errContains: "column items[].quantity is BYTE_ARRAY read as VARCHAR, want INT64 read as BIGINT (INTEGER)"},
		{name: "record where a list is", table: clickstream.PurchasesTable,
			files:    []string{bad(clickstream.PurchasesTable, "items-struct.parquet", replace(clickstream.PurchasesTable, "items", "items[1]"))},
			isSchema: true, errContains: "column items is a group, want a 3-level LIST"},
		{name: "not Parquet", table: clickstream.SessionsTable,
			files:    []string{writeFile(t, dir, "text.parquet", `{"session_id": "s"}`)},
			isSchema: true, errContains: "text.parquet"},
		{name: "formats mixed", table: clickstream.SessionsTable, files: []string{nd.Files[clickstream.SessionsTable][0]},
			isSchema: true, errContains: "the staged files mix Parquet (" + pq.Files[clickstream.SessionsTable][0] + ") and NDJSON (" + nd.Files[clickstream.SessionsTable][0] + ")"},
		{name: "missing file", table: clickstream.SessionsTable, files: []string{filepath.Join(dir, "nope.parquet")},
			isNotExist: true, errContains: "reading staged file " + filepath.Join(dir, "nope.parquet")},
	}
	d := openTemp(t)
	loadAll(t, d, warehouse.Replace, func(table string) []string { return pq.Files[table] })
	before := fingerprints(t, d)
	for _, tc := range tests {
		for _, mode := range []warehouse.Mode{warehouse.Replace, warehouse.Merge} {
			t.Run(tc.name+"/"+string(mode), func(t *testing.T) {
				files := append(append([]string(nil), pq.Files[tc.table]...), tc.files...)
				_, err := d.Load(context.Background(), warehouse.LoadRequest{Table: tc.table, Files: files, Mode: mode, Slice: warehousetest.SliceFor(mode)})
				if err == nil {
					t.Fatal("load succeeded")
				}
				if !strings.Contains(err.Error(), tc.errContains) || !strings.HasPrefix(err.Error(), "loading "+d.TableName(tc.table)+": ") {
					t.Errorf("err = %v\nwant it to start with the table and contain %q", err, tc.errContains)
				}
				if errors.Is(err, warehouse.ErrSchema) != tc.isSchema {
					t.Errorf("errors.Is(err, ErrSchema) = %v, want %v", !tc.isSchema, tc.isSchema)
				}
				if errors.Is(err, fs.ErrNotExist) != tc.isNotExist {
					t.Errorf("errors.Is(err, fs.ErrNotExist) = %v, want %v", !tc.isNotExist, tc.isNotExist)
				}
				if got := fingerprints(t, d); !maps.Equal(got, before) {
					t.Errorf("the failed load changed the tables")
				}
			})
		}
	}
}

// TestParquetManyFiles loads hundreds of Parquet files, some with names
// DuckDB would take for glob patterns or that need SQL quoting, some empty,
// and fetched ones.
func TestParquetManyFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run's [1]")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	base := transformLines(t, t.TempDir(), "x.jsonl", session("s", "a"))[clickstream.SessionsTable]
	c := newConverter(t)
	one := func(name, key string, line int) string {
		sel := strings.Replace(columns(clickstream.SessionsTable), `"session_key"`, sqlString(key)+` || session_key AS session_key`, 1)
		sel = strings.Replace(sel, `"source_line"`, fmt.Sprintf("%d::BIGINT AS source_line", line), 1)
		return c.write(clickstream.SessionsTable, base, filepath.Join(dir, name), sel)
	}
	var files []string
	for i := range 400 {
		files = append(files, one(fmt.Sprintf("batch-%05d-sessions.parquet", i), fmt.Sprintf("%05d", i), i+1))
	}
	for _, name := range []string{"a*.parquet", "a?.parquet", "a[1].parquet", "a1.parquet", "it's.parquet"} {
		files = append(files, one(name, name, 1))
	}
	files = append(files, c.write(clickstream.SessionsTable, base, filepath.Join(dir, "empty.parquet"), "", "LIMIT 0"))
	n := int64(len(files) - 1)
	d := openTemp(t)
	res, err := d.Load(context.Background(), warehouse.LoadRequest{Table: clickstream.SessionsTable, Files: files, Mode: warehouse.Replace, Slice: warehousetest.SliceFor(warehouse.Replace)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Staged != n || res.Distinct != n || res.After != n {
		t.Errorf("%+v, want %d rows", res, n)
	}
	res, err = d.Load(context.Background(), warehouse.LoadRequest{Table: clickstream.SessionsTable, Files: []string{files[0], files[0]}, Mode: warehouse.Replace, Slice: warehousetest.SliceFor(warehouse.Replace)})
	if err != nil || res.Staged != 1 {
		t.Errorf("%+v, %v; want 1 staged row", res, err)
	}

	t.Run("fetched", func(t *testing.T) {
		remote := map[string]string{}
		var uris []string
		for i, f := range files[:50] {
			u := fmt.Sprintf("gs://stage/run-1/sessions/%03d.parquet", i)
			remote[u] = f
			uris = append(uris, u)
		}
		d, err := duckdb.Open(duckdb.Options{
			Path: filepath.Join(t.TempDir(), "w.duckdb"),
			Fetch: func(_ context.Context, uri string) (io.ReadCloser, error) {
				f, ok := remote[uri]
				if !ok {
					return nil, fs.ErrNotExist
				}
				return os.Open(f)
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		res, err := d.Load(context.Background(), warehouse.LoadRequest{Table: clickstream.SessionsTable, Files: uris, Mode: warehouse.Merge, Slice: warehousetest.SliceFor(warehouse.Merge)})
		if err != nil || res.Staged != 50 || res.Added != 50 {
			t.Errorf("%+v, %v; want 50 rows added", res, err)
		}
	})
}
