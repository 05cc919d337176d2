package duckdb_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/sampledata"
	"github.com/clickstream-platform/clickstream/warehouse"
	"github.com/clickstream-platform/clickstream/warehouse/duckdb"
	"github.com/clickstream-platform/clickstream/warehouse/warehousetest"
)

// sample is the generated data most tests load: duplicates, invalid lines
// and events, three days across a month end.
var sample = sampledata.Options{Files: 6, Sessions: 1500, Days: 3, Seed: 7, InvalidRate: 0.05, DuplicateRate: 0.15}

// fingerprint identifies a table's content, whatever the order of its rows.
func fingerprint(tb testing.TB, d *duckdb.Warehouse, table string) string {
	tb.Helper()
	rows := query(tb, d, fmt.Sprintf("SELECT count(*), md5(coalesce(string_agg(t::VARCHAR, '\n' ORDER BY t::VARCHAR), '')) FROM %s AS t",
		d.TableName(table)))
	return fmt.Sprint(rows[0]...)
}

func fingerprints(tb testing.TB, d *duckdb.Warehouse) map[string]string {
	tb.Helper()
	fp := make(map[string]string)
	for _, t := range clickstream.Tables() {
		fp[t.Name] = fingerprint(tb, d, t.Name)
	}
	return fp
}

func TestLoadGenerated(t *testing.T) {
	s := warehousetest.StageSample(t, t.TempDir(), sample, "run-1")
	if s.Sum.DistinctSessions >= s.Sum.Expected.SessionsValid {
		t.Fatalf("the sample has no duplicate sessions: %+v", s.Sum)
	}
	d := openTemp(t)
	all := func(table string) []string { return s.Files[table] }
	distinct, staged := s.Distinct(), warehousetest.StagedRows(s.Sum.Expected)

	res := loadAll(t, d, warehouse.Replace, all)
	for _, tbl := range clickstream.Tables() {
		want := warehouse.LoadResult{Table: tbl.Name, Staged: staged[tbl.Name], Distinct: distinct[tbl.Name],
			Before: 0, After: distinct[tbl.Name], Added: distinct[tbl.Name], SliceRows: distinct[tbl.Name]}
		if res[tbl.Name] != want {
			t.Errorf("replace %s: %+v, want %+v", tbl.Name, res[tbl.Name], want)
		}
	}
	if got := counts(t, d); !maps.Equal(got, distinct) {
		t.Errorf("counts after replace %v, want the generator's distinct rows %v", got, distinct)
	}
	before := fingerprints(t, d)

	t.Run("merge of the same files changes nothing", func(t *testing.T) {
		res := loadAll(t, d, warehouse.Merge, all)
		for _, tbl := range clickstream.Tables() {
			n := distinct[tbl.Name]
			want := warehouse.LoadResult{Table: tbl.Name, Staged: staged[tbl.Name], Distinct: n, Before: n, After: n, Added: 0}
			if res[tbl.Name] != want {
				t.Errorf("merge %s: %+v, want %+v", tbl.Name, res[tbl.Name], want)
			}
		}
		if got := fingerprints(t, d); !maps.Equal(got, before) {
			t.Errorf("merge changed the tables:\n%v\nwant\n%v", got, before)
		}
	})

	t.Run("replace of the same files gives the same tables", func(t *testing.T) {
		loadAll(t, d, warehouse.Replace, all)
		if got := fingerprints(t, d); !maps.Equal(got, before) {
			t.Errorf("replace changed the tables:\n%v\nwant\n%v", got, before)
		}
	})

	t.Run("merge of two halves equals replace of both", func(t *testing.T) {
		h := openTemp(t)
		resA := loadAll(t, h, warehouse.Merge, func(table string) []string { return s.Half(table, true) })
		resB := loadAll(t, h, warehouse.Merge, func(table string) []string { return s.Half(table, false) })
		for _, tbl := range clickstream.Tables() {
			if got := resA[tbl.Name].Added + resB[tbl.Name].Added; got != distinct[tbl.Name] {
				t.Errorf("%s: halves added %d+%d, want %d", tbl.Name, resA[tbl.Name].Added, resB[tbl.Name].Added, distinct[tbl.Name])
			}
		}
		if got := fingerprints(t, h); !maps.Equal(got, before) {
			t.Errorf("merged halves differ from one replace:\n%v\nwant\n%v", got, before)
		}
	})

	t.Run("replace with less data shrinks the tables", func(t *testing.T) {
		res := loadAll(t, d, warehouse.Replace, func(table string) []string { return s.Half(table, true) })
		h := openTemp(t)
		loadAll(t, h, warehouse.Replace, func(table string) []string { return s.Half(table, true) })
		want := fingerprints(t, h)
		for _, tbl := range clickstream.TablesFor(clickstream.SessionsInput) {
			r := res[tbl.Name]
			if r.Before != distinct[tbl.Name] || r.After != r.Distinct || r.Added != r.After-r.Before || r.Added >= 0 {
				t.Errorf("%s: %+v, want it to shrink from %d to its %d distinct rows", tbl.Name, r, distinct[tbl.Name], r.Distinct)
			}
		}
		if got := fingerprints(t, d); !maps.Equal(got, want) {
			t.Errorf("tables differ from a fresh load of the same files:\n%v\nwant\n%v", got, want)
		}
	})

	t.Run("replace with no files empties, merge with none does nothing", func(t *testing.T) {
		none := func(string) []string { return nil }
		res := loadAll(t, d, warehouse.Merge, none)
		for name, r := range res {
			if name == clickstream.GA4EventsTable { // session input: empty before and after
				continue
			}
			if r.Added != 0 || r.Staged != 0 || r.After != r.Before || r.After == 0 {
				t.Errorf("merge of nothing into %s: %+v", name, r)
			}
		}
		res = loadAll(t, d, warehouse.Replace, none)
		for name, r := range res {
			if r.After != 0 || r.Added != -r.Before {
				t.Errorf("replace with nothing of %s: %+v", name, r)
			}
		}
	})

	t.Run("recreate empties and recreates", func(t *testing.T) {
		loadAll(t, d, warehouse.Replace, all)
		if _, _, err := d.Query(context.Background(), "ALTER TABLE clickstream_dw.sessions ADD COLUMN extra BIGINT"); err != nil {
			t.Fatal(err)
		}
		if err := d.RecreateTables(context.Background()); err != nil {
			t.Fatal(err)
		}
		for name, n := range counts(t, d) {
			if n != 0 {
				t.Errorf("%s holds %d rows after recreate", name, n)
			}
		}
		if err := d.EnsureTables(context.Background()); err != nil {
			t.Errorf("tables differ from the schema after recreate: %v", err)
		}
	})
}

// transformLines runs the real transform over one object made of lines and
// writes its staged rows to dir/<n>/<table>.ndjson; it returns the files by table.
func transformLines(tb testing.TB, dir, object string, lines ...string) map[string]string {
	tb.Helper()
	return transformLinesAs(tb, dir, object, "run-"+object, lines...)
}

// transformLinesAs is transformLines with the rows' run_id.
func transformLinesAs(tb testing.TB, dir, object, runID string, lines ...string) map[string]string {
	tb.Helper()
	return transformInput(tb, dir, object, runID, clickstream.SessionsInput, lines...)
}

// transformInput is transformLinesAs for lines of either input format.
func transformInput(tb testing.TB, dir, object, runID string, input clickstream.InputFormat, lines ...string) map[string]string {
	tb.Helper()
	tr, err := clickstream.NewTransformer(clickstream.Options{RunID: runID, Input: input})
	if err != nil {
		tb.Fatal(err)
	}
	bufs := make(map[string]*bytes.Buffer)
	for _, t := range clickstream.Tables() {
		bufs[t.Name] = new(bytes.Buffer)
	}
	out := clickstream.Outputs{Visits: bufs[clickstream.VisitsTable], Sessions: bufs[clickstream.SessionsTable],
		Pageviews: bufs[clickstream.PageviewsTable], Addtocarts: bufs[clickstream.AddtocartsTable],
		Purchases: bufs[clickstream.PurchasesTable], DeadLetter: io.Discard, GA4Events: bufs[clickstream.GA4EventsTable]}
	in := strings.Join(lines, "\n") + "\n"
	if _, err := tr.Transform(context.Background(), strings.NewReader(in), object, out); err != nil {
		tb.Fatal(err)
	}
	sub, err := os.MkdirTemp(dir, "object-")
	if err != nil {
		tb.Fatal(err)
	}
	files := make(map[string]string)
	for name, b := range bufs {
		files[name] = filepath.Join(sub, name+".ndjson")
		if err := os.WriteFile(files[name], b.Bytes(), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return files
}

func session(id, agent string, events ...string) string {
	return fmt.Sprintf(`{"session_id":%q,"user_id":"u-%s","device_type":"mobile","user_agent":%q,"events":[%s]}`,
		id, id, agent, strings.Join(events, ","))
}

func pageview(ts, url string) string {
	return fmt.Sprintf(`{"event":{"event_type":"page_view","timestamp":%q,"details":{"page_url":%q}}}`, ts, url)
}

func TestDedupKeepsFirstCopy(t *testing.T) {
	dir := t.TempDir()
	pv := pageview("2024-01-30T10:00:00Z", "/home")
	// Files in the order given: the later object first.
	later := transformLines(t, dir, "dt=2024-01-31/b.jsonl",
		session("s1", "B line 1", pv))
	earlier := transformLines(t, dir, "dt=2024-01-30/a.jsonl",
		session("s2", "A line 1"),
		session("s1", "A line 2", pv),
		session("s1", "A line 3", pv, pageview("2024-01-30T10:00:01Z", "/extra")))
	earliest := transformLines(t, dir, "dt=2024-01-29/z.jsonl",
		session("s1", "Z line 1", pv))

	d := openTemp(t)
	files := func(objs ...map[string]string) func(string) []string {
		return func(table string) []string {
			var f []string
			for _, o := range objs {
				f = append(f, o[table])
			}
			return f
		}
	}
	agents := func() string {
		return fmt.Sprint(query(t, d, "SELECT session_id, user_agent, source_object, source_line FROM clickstream_dw.sessions ORDER BY session_id")) +
			fmt.Sprint(query(t, d, "SELECT session_id, user_agent, len(events) FROM clickstream_lake.visits ORDER BY session_id, source_object, source_line"))
	}

	res := loadAll(t, d, warehouse.Replace, files(later, earlier))
	// The warehouse keeps one copy a key; the lake every copy.
	want := "[[s1 A line 2 dt=2024-01-30/a.jsonl 2] [s2 A line 1 dt=2024-01-30/a.jsonl 1]]" +
		"[[s1 A line 2 1] [s1 A line 3 2] [s1 B line 1 1] [s2 A line 1 0]]"
	if got := agents(); got != want {
		t.Errorf("replace kept\n%s\nwant the smallest (source_object, source_line):\n%s", got, want)
	}
	if r := res[clickstream.PageviewsTable]; r.Staged != 4 || r.Distinct != 2 || r.After != 2 {
		t.Errorf("pageviews: %+v, want 4 staged, 2 distinct", r)
	}

	// Merging an earlier object later replaces the copy held by the one of
	// smaller lineage, as one replace over all of them keeps: the copy kept
	// does not depend on the order of merges. Merging the later objects
	// again changes nothing, and adds no row.
	merged := loadAll(t, d, warehouse.Merge, files(earliest))
	want = "[[s1 Z line 1 dt=2024-01-29/z.jsonl 1] [s2 A line 1 dt=2024-01-30/a.jsonl 1]]" +
		"[[s1 Z line 1 1] [s1 A line 2 1] [s1 A line 3 2] [s1 B line 1 1] [s2 A line 1 0]]"
	if got := agents(); got != want {
		t.Errorf("merge of an earlier object kept\n%s\nwant its copy:\n%s", got, want)
	}
	if r := merged[clickstream.SessionsTable]; r.Added != 0 || r.After != 2 {
		t.Errorf("merge of an earlier copy: %+v, want +0 rows", r)
	}
	loadAll(t, d, warehouse.Merge, files(later, earlier))
	if got := agents(); got != want {
		t.Errorf("merging the later objects again changed kept rows:\n%s\nwant\n%s", got, want)
	}

	loadAll(t, d, warehouse.Replace, files(later, earlier, earliest))
	if got := agents(); got != want {
		t.Errorf("replace kept\n%s\nwant\n%s", got, want)
	}

	// The same object staged twice with other content (by two versions of
	// the transform, say): the file listed first wins.
	x := transformLines(t, dir, "dt=2024-01-28/same.jsonl", session("s1", "X", pv))
	y := transformLines(t, dir, "dt=2024-01-28/same.jsonl", session("s1", "Y", pv))
	for _, order := range [][]map[string]string{{x, y}, {y, x}} {
		loadAll(t, d, warehouse.Replace, files(order...))
		rows := query(t, d, "SELECT user_agent FROM clickstream_dw.sessions")
		if len(rows) != 1 {
			t.Fatalf("rows %v", rows)
		}
		wantAgent := "X"
		if order[0][clickstream.SessionsTable] == y[clickstream.SessionsTable] {
			wantAgent = "Y"
		}
		if rows[0][0] != wantAgent {
			t.Errorf("kept %v, want %s, the copy in the file listed first", rows[0][0], wantAgent)
		}
	}
}

// norm makes a staged JSON value and a value read back from DuckDB
// comparable: numbers as float64, timestamps in the staged form, null
// members dropped.
func norm(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any)
		for k, x := range v {
			if x != nil {
				m[k] = norm(x)
			}
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, x := range v {
			s[i] = norm(x)
		}
		return s
	case json.Number:
		f, _ := v.Float64()
		return f
	case int64:
		return float64(v)
	case int32:
		return float64(v)
	case time.Time:
		return v.UTC().Format("2006-01-02T15:04:05.000000Z")
	}
	return v
}

// lineageKey, as firstStaged's key, is a row's lineage,
// source_object:source_line.
const lineageKey = "lineage"

// firstStaged returns, by key, the given column of the first staged row
// holding the key: the copy a load keeps, as the files are in object order.
func firstStaged(tb testing.TB, files []string, key, column string) map[string]any {
	tb.Helper()
	out := make(map[string]any)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 64<<20)
		for sc.Scan() {
			dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
			dec.UseNumber()
			var row map[string]any
			if err := dec.Decode(&row); err != nil {
				tb.Fatal(err)
			}
			k, _ := row[key].(string)
			if key == lineageKey {
				k = fmt.Sprintf("%s:%s", row["source_object"], row["source_line"])
			}
			if _, ok := out[k]; !ok {
				out[k] = norm(row[column])
			}
		}
	}
	return out
}

func TestRepeatedRecordsRoundTrip(t *testing.T) {
	s := warehousetest.StageSample(t, t.TempDir(), sample, "run-1")
	d := openTemp(t)
	loadAll(t, d, warehouse.Replace, func(table string) []string { return s.Files[table] })
	for _, tc := range []struct{ table, key, column string }{
		{clickstream.PurchasesTable, "event_id", "items"},
		{clickstream.VisitsTable, lineageKey, "events"}, // the lake keeps every copy
	} {
		t.Run(tc.table+"."+tc.column, func(t *testing.T) {
			want := firstStaged(t, s.Files[tc.table], tc.key, tc.column)
			sqlKey := tc.key
			if tc.key == lineageKey {
				sqlKey = "source_object || ':' || source_line"
			}
			rows := query(t, d, fmt.Sprintf("SELECT %s, %s FROM %s", sqlKey, tc.column, d.TableName(tc.table)))
			if len(rows) != len(want) {
				t.Fatalf("%d rows, want %d", len(rows), len(want))
			}
			var nonEmpty int
			for _, r := range rows {
				got := norm(r[1])
				if g, w := fmt.Sprintf("%#v", got), fmt.Sprintf("%#v", want[r[0].(string)]); g != w {
					t.Fatalf("%s %s:\n got %s\nwant %s", tc.key, r[0], g, w)
				}
				if l, _ := got.([]any); len(l) > 0 {
					nonEmpty++
				}
			}
			if nonEmpty == 0 {
				t.Errorf("no row has a non-empty %s", tc.column)
			}
		})
	}
}

func TestTimestampsUTCMicroseconds(t *testing.T) {
	dir := t.TempDir()
	f := transformLines(t, dir, "ts.jsonl", session("s1", "x",
		pageview("2024-01-31T23:59:59.123456-03:00", "/a"),
		pageview("2024-01-30 10:00:00.5 UTC", "/b"),
		pageview("2024-02-29T12:00:00.000001Z", "/c")))
	d := openTemp(t)
	if _, err := d.Load(context.Background(), warehouse.LoadRequest{Table: clickstream.PageviewsTable,
		Files: []string{f[clickstream.PageviewsTable]}, Mode: warehouse.Replace, Slice: warehousetest.SliceFor(warehouse.Replace)}); err != nil {
		t.Fatal(err)
	}
	rows := query(t, d, `SELECT page_url, "timestamp", "timestamp"::VARCHAR, date_trunc('month', "timestamp")::VARCHAR
		FROM clickstream_dw.pageview_events ORDER BY page_url`)
	want := []struct{ ts, text, month string }{
		{"2024-02-01T02:59:59.123456Z", "2024-02-01 02:59:59.123456+00", "2024-02-01 00:00:00+00"},
		{"2024-01-30T10:00:00.500000Z", "2024-01-30 10:00:00.5+00", "2024-01-01 00:00:00+00"},
		{"2024-02-29T12:00:00.000001Z", "2024-02-29 12:00:00.000001+00", "2024-02-01 00:00:00+00"},
	}
	for i, r := range rows {
		ts := r[1].(time.Time)
		if ts.Location() != time.UTC {
			t.Errorf("%s: location %v, want UTC", r[0], ts.Location())
		}
		if got := ts.Format("2006-01-02T15:04:05.000000Z"); got != want[i].ts || r[2] != want[i].text || r[3] != want[i].month {
			t.Errorf("%s: %s, %s, month %s; want %s, %s, %s", r[0], got, r[2], r[3], want[i].ts, want[i].text, want[i].month)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	s := warehousetest.StageSample(t, t.TempDir(), sampledata.Options{Files: 2, Sessions: 200, Seed: 3, DuplicateRate: 0.2}, "run-1")
	dir := t.TempDir()
	good := func(table string) string {
		b, err := os.ReadFile(s.Files[table][0])
		if err != nil {
			t.Fatal(err)
		}
		line, _, _ := bytes.Cut(b, []byte("\n"))
		return string(line)
	}
	// edit returns a good row of table with column set to the JSON value raw
	// ("" removes the column).
	edit := func(table, column, raw string) string {
		var row map[string]json.RawMessage
		if err := json.Unmarshal([]byte(good(table)), &row); err != nil {
			t.Fatal(err)
		}
		if raw == "" {
			delete(row, column)
		} else {
			row[column] = json.RawMessage(raw)
		}
		b, err := json.Marshal(row)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	tests := []struct {
		name        string
		table       string
		lines       []string // the content of an extra staged file; nil: no file
		file        string   // an extra file name, used as given
		isSchema    bool
		isNotExist  bool
		errContains string
	}{
		{name: "string in an INTEGER column", table: clickstream.SessionsTable,
			lines:    []string{good(clickstream.SessionsTable), edit(clickstream.SessionsTable, "source_line", `"seven"`)},
			isSchema: true, errContains: `Failed to cast value to numerical: "seven"`},
		{name: "bad timestamp", table: clickstream.PageviewsTable,
			lines:    []string{edit(clickstream.PageviewsTable, "timestamp", `"yesterday"`)},
			isSchema: true, errContains: "yesterday"},
		{name: "object where a list is", table: clickstream.PurchasesTable,
			lines:    []string{edit(clickstream.PurchasesTable, "items", `{"quantity":1}`)},
			isSchema: true, errContains: "Expected ARRAY"},
		{name: "required column null", table: clickstream.SessionsTable,
			lines:    []string{edit(clickstream.SessionsTable, "user_id", `null`)},
			isSchema: true, errContains: "1 row(s) lack a required column, the first lacks user_id"},
		{name: "required column missing", table: clickstream.AddtocartsTable,
			lines:    []string{edit(clickstream.AddtocartsTable, "price", ""), edit(clickstream.AddtocartsTable, "event_id", "null")},
			isSchema: true, errContains: "2 row(s) lack a required column, the first lacks price"},
		{name: "not JSON", table: clickstream.VisitsTable,
			lines:    []string{good(clickstream.VisitsTable), `{"session_id": "cut off`},
			isSchema: true, errContains: "JSON"},
		{name: "missing file", table: clickstream.SessionsTable, file: filepath.Join(dir, "nope.ndjson"),
			isNotExist: true, errContains: "loading clickstream_dw.sessions: reading staged file " + filepath.Join(dir, "nope.ndjson")},
		{name: "bucket URI", table: clickstream.SessionsTable, file: "gs://bucket/staging/x.ndjson",
			errContains: "reading staged file gs://bucket/staging/x.ndjson: the DuckDB warehouse reads local files unless given a Fetch"},
	}
	d := openTemp(t)
	loadAll(t, d, warehouse.Replace, func(table string) []string { return s.Files[table] })
	before := fingerprints(t, d)
	for i, tc := range tests {
		for _, mode := range []warehouse.Mode{warehouse.Replace, warehouse.Merge} {
			t.Run(tc.name+"/"+string(mode), func(t *testing.T) {
				files := append([]string(nil), s.Files[tc.table]...)
				if tc.lines != nil {
					files = append(files, writeFile(t, dir, fmt.Sprintf("bad-%d.ndjson", i), tc.lines...))
				}
				if tc.file != "" {
					files = append(files, tc.file)
				}
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

	t.Run("table that differs from the schema", func(t *testing.T) {
		if _, _, err := d.Query(context.Background(), "ALTER TABLE clickstream_dw.sessions ALTER session_id DROP NOT NULL"); err != nil {
			t.Fatal(err)
		}
		_, err := d.Load(context.Background(), warehouse.LoadRequest{Table: clickstream.SessionsTable, Files: s.Files[clickstream.SessionsTable], Mode: warehouse.Merge, Slice: warehousetest.SliceFor(warehouse.Merge)})
		want := "loading clickstream_dw.sessions: schema mismatch: table clickstream_dw.sessions differs from the schema " +
			"(column 2 is session_id VARCHAR, want session_id VARCHAR NOT NULL); recreate the tables"
		if !errors.Is(err, warehouse.ErrSchema) || err.Error() != want {
			t.Errorf("err = %v\nwant %s", err, want)
		}
		if err := d.EnsureTables(context.Background()); !errors.Is(err, warehouse.ErrSchema) {
			t.Errorf("EnsureTables: %v, want ErrSchema", err)
		}
	})

	t.Run("request", func(t *testing.T) {
		for _, req := range []warehouse.LoadRequest{
			{Table: "clicks", Mode: warehouse.Merge},
			{Table: clickstream.SessionsTable, Mode: "upsert"},
		} {
			if _, err := d.Load(context.Background(), req); err == nil {
				t.Errorf("Load(%+v) succeeded", req)
			}
		}
	})
}

// TestManyFiles loads thousands of files, some with names DuckDB would take
// for glob patterns or that need SQL quoting.
func TestManyFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run's [1]")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	base := transformLines(t, t.TempDir(), "x.jsonl", session("s", "a"))[clickstream.SessionsTable]
	row, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for i := range 3000 {
		line := strings.Replace(string(bytes.TrimSpace(row)), `"source_line":1`, fmt.Sprintf(`"source_line":%d`, i+1), 1)
		line = strings.Replace(line, `"session_key":"`, fmt.Sprintf(`"session_key":"%05d`, i), 1)
		files = append(files, writeFile(t, dir, fmt.Sprintf("batch-%05d-sessions.ndjson", i), line))
	}
	// Files whose names are patterns matching other files: each must be read alone.
	for _, name := range []string{"a*.ndjson", "a?.ndjson", "a[1].ndjson", "a1.ndjson", "it's.ndjson"} {
		line := strings.Replace(string(bytes.TrimSpace(row)), `"session_key":"`, `"session_key":"`+name, 1)
		files = append(files, writeFile(t, dir, name, line))
	}
	d := openTemp(t)
	start := time.Now()
	res, err := d.Load(context.Background(), warehouse.LoadRequest{Table: clickstream.SessionsTable, Files: files, Mode: warehouse.Replace, Slice: warehousetest.SliceFor(warehouse.Replace)})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d files loaded in %v", len(files), time.Since(start))
	if n := int64(len(files)); res.Staged != n || res.After != n {
		t.Errorf("%+v, want %d rows", res, n)
	}
	// A file named twice is read once.
	res, err = d.Load(context.Background(), warehouse.LoadRequest{Table: clickstream.SessionsTable, Files: []string{files[0], files[0]}, Mode: warehouse.Replace, Slice: warehousetest.SliceFor(warehouse.Replace)})
	if err != nil || res.Staged != 1 {
		t.Errorf("%+v, %v; want 1 staged row", res, err)
	}
}

// TestConcurrentUse runs loads, counts and queries at once: the writes are
// serialised, and each load still sees only its own table.
func TestConcurrentUse(t *testing.T) {
	s := warehousetest.StageSample(t, t.TempDir(), sample, "run-1")
	d := openTemp(t)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 2 {
		for _, tbl := range clickstream.Tables() {
			wg.Go(func() {
				_, err := d.Load(context.Background(), warehouse.LoadRequest{Table: tbl.Name, Files: s.Files[tbl.Name], Mode: warehouse.Merge, Slice: warehousetest.SliceFor(warehouse.Merge)})
				errs <- err
			})
		}
		wg.Go(func() {
			_, _, err := d.Query(context.Background(), "SELECT 1")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := counts(t, d); !maps.Equal(got, s.Distinct()) {
		t.Errorf("counts %v, want %v", got, s.Distinct())
	}
}

func TestReadOnly(t *testing.T) {
	rw := openTemp(t)
	if err := rw.EnsureTables(context.Background()); err != nil {
		t.Fatal(err)
	}
	ro, err := duckdb.Open(duckdb.Options{Path: rw.Path(), ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if c := counts(t, ro); len(c) != len(clickstream.Tables()) {
		t.Errorf("counts %v", c)
	}
	if _, err := ro.Load(context.Background(), warehouse.LoadRequest{Table: clickstream.SessionsTable, Mode: warehouse.Merge, Slice: warehousetest.SliceFor(warehouse.Merge)}); !errors.Is(err, warehouse.ErrReadOnly) {
		t.Errorf("Load: %v, want ErrReadOnly", err)
	}
	if _, _, err := ro.Query(context.Background(), "DELETE FROM clickstream_dw.sessions"); err == nil {
		t.Error("a read-only query deleted")
	}
}

func TestCountsMissingTable(t *testing.T) {
	d := openTemp(t)
	if _, err := d.Counts(context.Background()); err == nil || !strings.Contains(err.Error(), "counting rows: clickstream_lake.visits: ") {
		t.Errorf("Counts = %v, want an error naming the table", err)
	}
}

func TestClosed(t *testing.T) {
	d := openTemp(t)
	d.Close()
	if err := d.EnsureTables(context.Background()); err == nil {
		t.Error("EnsureTables after Close succeeded")
	}
}

func TestCanceled(t *testing.T) {
	s := warehousetest.StageSample(t, t.TempDir(), sampledata.Options{Files: 1, Sessions: 50}, "run-1")
	d := openTemp(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := d.Load(ctx, warehouse.LoadRequest{Table: clickstream.SessionsTable, Files: s.Files[clickstream.SessionsTable], Mode: warehouse.Merge, Slice: warehousetest.SliceFor(warehouse.Merge)})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Load with a canceled context: %v, want context.Canceled", err)
	}
}

// TestCountsWithoutGA4Events: a warehouse that no GA4 run has loaded (one
// made before GA4 input, say) has no ga4_events; it counts 0 rows there
// instead of failing every run's reconcile.
func TestCountsWithoutGA4Events(t *testing.T) {
	d := openTemp(t)
	ctx := context.Background()
	if err := d.RecreateTables(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Query(ctx, "DROP TABLE "+d.TableName(clickstream.GA4EventsTable)); err != nil {
		t.Fatal(err)
	}
	got, err := d.Counts(ctx)
	if err != nil {
		t.Fatalf("Counts: %v", err)
	}
	if n, ok := got[clickstream.GA4EventsTable]; !ok || n != 0 || len(got) != len(clickstream.Tables()) {
		t.Errorf("Counts = %v, want every table, ga4_events at 0", got)
	}
	if _, _, err := d.Query(ctx, "DROP TABLE "+d.TableName(clickstream.SessionsTable)); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Counts(ctx); err == nil {
		t.Error("Counts without sessions succeeded, want an error")
	}
}
