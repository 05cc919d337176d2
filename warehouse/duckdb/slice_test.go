package duckdb_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"strings"
	"testing"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/sampledata"
	"github.com/clickstream-platform/clickstream/warehouse"
	"github.com/clickstream-platform/clickstream/warehouse/duckdb"
)

// object is one input object staged: its name, generation, and staged
// files by table.
type object struct {
	name  string
	gen   int64
	files map[string]string
}

func stageObject(tb testing.TB, dir, name string, gen int64, lines ...string) object {
	tb.Helper()
	// The rows' run_id is the run that loads them, as in a pipeline run.
	return object{name: name, gen: gen, files: transformLinesAs(tb, dir, name, "run", lines...)}
}

// loadObjects loads objs into every table, the lake first, as a run whose
// slice is slice (Replace) or the objects it read (Merge).
func loadObjects(tb testing.TB, d *duckdb.Warehouse, mode warehouse.Mode, slice warehouse.Slice, objs ...object) map[string]warehouse.LoadResult {
	tb.Helper()
	var read []warehouse.SourceObject
	var names []string
	for _, o := range objs {
		read = append(read, warehouse.SourceObject{URI: o.name, Generation: o.gen, Size: 1})
		names = append(names, o.name)
	}
	if mode == warehouse.Merge {
		slice = warehouse.Slice{Objects: names}
	}
	res := make(map[string]warehouse.LoadResult)
	for _, t := range clickstream.Tables() {
		var files []string
		for _, o := range objs {
			files = append(files, o.files[t.Name])
		}
		r, err := d.Load(context.Background(), warehouse.LoadRequest{Table: t.Name, Files: files, Mode: mode, Slice: slice, Objects: read, RunID: "run"})
		if err != nil {
			tb.Fatalf("loading %s: %v", t.Name, err)
		}
		res[t.Name] = r
	}
	return res
}

// derivedFromLake are the warehouse tables as one copy per key, the one of
// smallest lineage, of the lake's rows: what they must hold after any
// sequence of loads. Written apart from the loads' own SQL.
var derivedFromLake = map[string]string{
	clickstream.SessionsTable: `SELECT session_key, session_id, user_id, user_agent, geolocation, device_type, source_object, source_line, run_id
		FROM clickstream_lake.visits QUALIFY row_number() OVER (PARTITION BY session_key ORDER BY source_object, source_line) = 1`,
	clickstream.PageviewsTable: `SELECT v.session_key, e.event.timestamp, e.event.details.page_url, e.event.details.referrer_url, e.event_id,
		v.source_object, v.source_line, v.run_id FROM clickstream_lake.visits v, unnest(v.events) u(e) WHERE e.event.event_type = 'page_view'
		QUALIFY row_number() OVER (PARTITION BY e.event_id ORDER BY v.source_object, v.source_line) = 1`,
	clickstream.AddtocartsTable: `SELECT v.session_key, e.event.timestamp, e.event.details.product_id, e.event.details.product_name,
		e.event.details.category, e.event.details.quantity, e.event.details.price, e.event_id,
		v.source_object, v.source_line, v.run_id FROM clickstream_lake.visits v, unnest(v.events) u(e) WHERE e.event.event_type = 'add_item_to_cart'
		QUALIFY row_number() OVER (PARTITION BY e.event_id ORDER BY v.source_object, v.source_line) = 1`,
	clickstream.PurchasesTable: `SELECT v.session_key, e.event.timestamp, e.event.details.order_id, e.event.details.currency, e.event.details.amount,
		e.event.details.items, e.event_id, v.source_object, v.source_line, v.run_id
		FROM clickstream_lake.visits v, unnest(v.events) u(e) WHERE e.event.event_type = 'purchase'
		QUALIFY row_number() OVER (PARTITION BY e.event_id ORDER BY v.source_object, v.source_line) = 1`,
}

// checkDerived fails unless every warehouse table holds exactly the rows
// derivedFromLake gives.
func checkDerived(tb testing.TB, d *duckdb.Warehouse, when string) {
	tb.Helper()
	for table, q := range derivedFromLake {
		name := d.TableName(table)
		rows := query(tb, d, fmt.Sprintf(`SELECT (SELECT count(*) FROM (SELECT * FROM %s EXCEPT ALL (%s))),
			(SELECT count(*) FROM ((%s) EXCEPT ALL SELECT * FROM %s)), (SELECT count(*) FROM %s)`, name, q, q, name, name))
		if fmt.Sprint(rows[0][0], rows[0][1]) != "0 0" {
			tb.Errorf("%s: %s holds %v rows the lake does not give and lacks %v it gives (of %v)", when, name, rows[0][0], rows[0][1], rows[0][2])
		}
	}
}

// TestReplaceSliceKeepsOtherSlices is the hard case of a slice replace: a
// session and its event duplicated across days, the copy kept in the day
// replaced. After day 2 is delivered again without it, the copy of day 3
// takes its place; day 1's rows are never touched.
func TestReplaceSliceKeepsOtherSlices(t *testing.T) {
	dir := t.TempDir()
	pv := pageview("2024-01-30T10:00:00Z", "/home")
	day1 := stageObject(t, dir, "src/dt=2024-01-29/a.jsonl", 1, session("s9", "day 1", pageview("2024-01-29T09:00:00Z", "/d1")))
	day2 := stageObject(t, dir, "src/dt=2024-01-30/b.jsonl", 1, session("s1", "day 2 copy", pv), session("s2", "only day 2", pv))
	day3 := stageObject(t, dir, "src/dt=2024-01-31/c.jsonl", 1, session("s1", "day 3 copy", pv))
	d := openTemp(t)
	loadObjects(t, d, warehouse.Replace, warehouse.Slice{Prefixes: []string{"src/"}}, day1, day2, day3)
	checkDerived(t, d, "after the first load")
	sessions := func() string {
		return fmt.Sprint(query(t, d, "SELECT session_id, user_agent FROM clickstream_dw.sessions ORDER BY session_id"))
	}
	if got, want := sessions(), "[[s1 day 2 copy] [s2 only day 2] [s9 day 1]]"; got != want {
		t.Fatalf("sessions %s, want %s", got, want)
	}
	day1Rows := fmt.Sprint(query(t, d, "SELECT * FROM clickstream_lake.visits WHERE starts_with(source_object, 'src/dt=2024-01-29/')"))

	day2Again := stageObject(t, dir, "src/dt=2024-01-30/b.jsonl", 2, session("s3", "new on day 2"))
	res := loadObjects(t, d, warehouse.Replace, warehouse.Slice{Prefixes: []string{"src/dt=2024-01-30/"}}, day2Again)
	checkDerived(t, d, "after day 2 was replaced")
	if got, want := sessions(), "[[s1 day 3 copy] [s3 new on day 2] [s9 day 1]]"; got != want {
		t.Errorf("sessions %s, want %s", got, want)
	}
	if got := fmt.Sprint(query(t, d, "SELECT source_object FROM clickstream_dw.pageview_events ORDER BY 1")); got != "[[src/dt=2024-01-29/a.jsonl] [src/dt=2024-01-31/c.jsonl]]" {
		t.Errorf("page views from %s, want day 1's and day 3's", got)
	}
	if got := fmt.Sprint(query(t, d, "SELECT * FROM clickstream_lake.visits WHERE starts_with(source_object, 'src/dt=2024-01-29/')")); got != day1Rows {
		t.Errorf("day 1's lake rows changed:\n%s\nwas\n%s", got, day1Rows)
	}
	if r := res[clickstream.VisitsTable]; r.SliceRows != 1 || r.Staged != 1 || r.After != 3 {
		t.Errorf("visits: %+v, want the slice holding its 1 staged row, 3 rows in all", r)
	}
	if r := res[clickstream.SessionsTable]; r.Before != 3 || r.After != 3 || r.SliceRows != 1 {
		t.Errorf("sessions: %+v, want 3 rows before and after, 1 of them in the slice", r)
	}
	// The ledger: the day replaced holds its new generation, the others theirs.
	gens, err := d.LoadedObjects(context.Background(), []string{day1.name, day2.name, day3.name, "src/dt=2024-02-01/none.jsonl"})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int64{day1.name: 1, day2.name: 2, day3.name: 1}; !maps.Equal(gens, want) {
		t.Errorf("ledger %v, want %v", gens, want)
	}
}

// generatedDays stages generated input of three days, with sessions
// duplicated within and across days, and returns its objects by day.
func generatedDays(tb testing.TB, dir string, seed uint64, gen int64, keep func(line int) bool) map[string][]object {
	tb.Helper()
	days, _ := stageDays(tb, dir, sampledata.Options{Files: 6, Sessions: 600, Days: 3, Seed: seed, InvalidRate: 0.05, DuplicateRate: 0.3}, gen, keep)
	if len(days) != 3 {
		tb.Fatalf("the generator wrote %d days, want 3", len(days))
	}
	return days
}

// stageDays generates opts' objects in memory and stages each, under src/,
// keeping the lines keep says (nil: all); it returns them by day, and the
// generator's summary.
func stageDays(tb testing.TB, dir string, opts sampledata.Options, gen int64, keep func(line int) bool) (map[string][]object, sampledata.Summary) {
	tb.Helper()
	bufs := map[string]*bytes.Buffer{}
	sum, err := sampledata.WriteObjects(opts, func(name string) (io.WriteCloser, error) {
		b := new(bytes.Buffer)
		bufs[name] = b
		return nopCloser{b}, nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	days := map[string][]object{}
	for _, o := range sum.Objects {
		var lines []string
		for i, l := range strings.Split(strings.TrimSuffix(bufs[o.Name].String(), "\n"), "\n") {
			if keep == nil || keep(i) {
				lines = append(lines, l)
			}
		}
		day, _, _ := strings.Cut(o.Name, "/")
		days[day] = append(days[day], stageObject(tb, dir, "src/"+o.Name, gen, lines...))
	}
	return days, sum
}

type nopCloser struct{ *bytes.Buffer }

func (nopCloser) Close() error { return nil }

// TestReplaceSliceEqualsFreshLoad: after a full load of three days, day 2
// delivered again with other content (lines dropped, sessions it shared
// with days 1 and 3 among them) and replaced, alone, in either order with a
// replace of day 3 and with a merge of day 1 in between, leaves every table
// equal to a fresh load of the input as it now stands.
func TestReplaceSliceEqualsFreshLoad(t *testing.T) {
	dir := t.TempDir()
	v1 := generatedDays(t, dir, 5, 1, nil)
	v2 := generatedDays(t, dir, 5, 2, func(line int) bool { return line%3 != 1 })
	var dayNames []string
	for day := range v1 {
		dayNames = append(dayNames, day)
	}
	if len(dayNames) != 3 {
		t.Fatal(dayNames)
	}
	slices := func(objs map[string][]object, days ...string) []object {
		var out []object
		for _, day := range days {
			out = append(out, objs[day]...)
		}
		return out
	}
	sortDays(dayNames)
	d1, d2, d3 := dayNames[0], dayNames[1], dayNames[2]
	daySlice := func(day string) warehouse.Slice { return warehouse.Slice{Prefixes: []string{"src/" + day + "/"}} }
	whole := warehouse.Slice{Prefixes: []string{"src/"}}

	fresh := openTemp(t)
	loadObjects(t, fresh, warehouse.Replace, whole, append(append(slices(v1, d1), slices(v2, d2)...), slices(v1, d3)...)...)
	want := fingerprints(t, fresh)

	for _, order := range []string{"day 2 then day 3", "day 3 then day 2"} {
		t.Run(order, func(t *testing.T) {
			d := openTemp(t)
			loadObjects(t, d, warehouse.Replace, whole, slices(v1, d1, d2, d3)...)
			// The hard case must be there: sessions whose kept copy is day
			// 2's while another day holds a copy too.
			shared := query(t, d, fmt.Sprintf(`SELECT count(*) FROM clickstream_dw.sessions s WHERE starts_with(s.source_object, 'src/%s/')
				AND EXISTS (SELECT 1 FROM clickstream_lake.visits v WHERE v.session_key = s.session_key AND NOT starts_with(v.source_object, 'src/%s/'))`, d2, d2))
			if n := shared[0][0].(int64); n < 5 {
				t.Fatalf("%d sessions kept from day 2 have a copy on another day: the test proves too little", n)
			}
			replace2 := func() { loadObjects(t, d, warehouse.Replace, daySlice(d2), slices(v2, d2)...) }
			replace3 := func() { loadObjects(t, d, warehouse.Replace, daySlice(d3), slices(v1, d3)...) }
			if order == "day 2 then day 3" {
				replace2()
				loadObjects(t, d, warehouse.Merge, warehouse.Slice{}, slices(v1, d1)...)
				replace3()
			} else {
				replace3()
				replace2()
				replace2()
			}
			checkDerived(t, d, order)
			if got := fingerprints(t, d); !maps.Equal(got, want) {
				t.Errorf("tables differ from a fresh load of the input as it stands:\n%v\nwant\n%v", got, want)
			}
		})
	}
}

func sortDays(days []string) {
	for i := range days {
		for j := i + 1; j < len(days); j++ {
			if days[j] < days[i] {
				days[i], days[j] = days[j], days[i]
			}
		}
	}
}

// TestMergeRewrittenObject: a merge of an object at the generation the
// ledger holds changes nothing (the lake's rows keep the run that loaded
// them); at a new generation its earlier rows are replaced, however many
// lines it lost.
func TestMergeRewrittenObject(t *testing.T) {
	dir := t.TempDir()
	pv := pageview("2024-01-30T10:00:00Z", "/home")
	other := stageObject(t, dir, "src/dt=2024-01-30/a.jsonl", 7, session("s1", "other copy", pv))
	x1 := stageObject(t, dir, "src/dt=2024-01-30/x.jsonl", 1, session("s0", "first", pv), session("s1", "x copy", pv), session("s2", "gone later"))
	x2 := stageObject(t, dir, "src/dt=2024-01-30/x.jsonl", 2, session("s0", "rewritten"))
	d := openTemp(t)
	loadObjects(t, d, warehouse.Merge, warehouse.Slice{}, other, x1)
	checkDerived(t, d, "after the first merge")
	before := fingerprints(t, d)
	res := loadObjects(t, d, warehouse.Merge, warehouse.Slice{}, x1)
	if got := fingerprints(t, d); !maps.Equal(got, before) {
		t.Errorf("merging an object again at its generation changed the tables:\n%v\nwas\n%v", got, before)
	}
	for table, r := range res {
		if r.Added != 0 {
			t.Errorf("%s: %+v, want +0", table, r)
		}
	}
	loadObjects(t, d, warehouse.Merge, warehouse.Slice{}, x2)
	checkDerived(t, d, "after the rewritten object")
	got := fmt.Sprint(query(t, d, "SELECT session_id, user_agent FROM clickstream_dw.sessions ORDER BY 1"), query(t, d, "SELECT count(*) FROM clickstream_lake.visits"))
	if want := "[[s0 rewritten] [s1 other copy]] [[2]]"; got != want {
		t.Errorf("after the rewrite: %s, want %s", got, want)
	}
}

// BenchmarkSliceLoads measures, on a warehouse holding 30 days (about 45 MB
// of input, sessions duplicated within and across days), what a run costs
// the warehouse: replacing one day; loading one object of 500 sessions
// rewritten since it was loaded (what an --only-new run loads then);
// replacing all 30 days.
//
//	go test ./warehouse/duckdb -run '^$' -bench SliceLoads -benchtime 5x
func BenchmarkSliceLoads(b *testing.B) {
	dir := b.TempDir()
	days, sum := stageDays(b, dir, sampledata.Options{Files: 60, Sessions: 30000, Days: 30, Seed: 3, InvalidRate: 0.02, DuplicateRate: 0.1}, 1, nil)
	var all []object
	var dayNames []string
	for day, objs := range days {
		dayNames = append(dayNames, day)
		all = append(all, objs...)
	}
	sortDays(dayNames)
	mid := dayNames[len(dayNames)/2]
	// A late object of 500 sessions, as its own generator wrote it.
	lateDays, _ := stageDays(b, dir, sampledata.Options{Files: 1, Sessions: 500, Days: 1, Seed: 4}, 1, nil)
	var late object
	for _, objs := range lateDays {
		late = objs[0]
	}
	d := openTemp(b)
	loadObjects(b, d, warehouse.Replace, warehouse.Slice{Prefixes: []string{"src/"}}, all...)
	b.Logf("%d days, %d objects, %d MB of input, %v", len(dayNames), len(all), sum.Bytes>>20, counts(b, d))

	b.Run("replace one day", func(b *testing.B) {
		for b.Loop() {
			loadObjects(b, d, warehouse.Replace, warehouse.Slice{Prefixes: []string{"src/" + mid + "/"}}, days[mid]...)
		}
	})
	b.Run("only new: one object", func(b *testing.B) {
		gen := int64(1)
		for b.Loop() {
			gen++ // a new generation each time: the object's rows are replaced
			late.gen = gen
			loadObjects(b, d, warehouse.Merge, warehouse.Slice{}, late)
		}
	})
	b.Run("replace all days", func(b *testing.B) {
		for b.Loop() {
			loadObjects(b, d, warehouse.Replace, warehouse.Slice{Prefixes: []string{"src/"}}, all...)
		}
	})
}

// TestGA4EventsRewrittenObject: a GA4 object rewritten since it was merged
// replaces its rows of ga4_events too, though visits, loaded first, has
// already recorded the new generation in the ledger.
func TestGA4EventsRewrittenObject(t *testing.T) {
	dir := t.TempDir()
	bufs := map[string]*bytes.Buffer{}
	_, err := sampledata.WriteObjects(sampledata.Options{Format: clickstream.GA4Input, Files: 1, Sessions: 20, Days: 1, Seed: 9}, func(name string) (io.WriteCloser, error) {
		b := new(bytes.Buffer)
		bufs[name] = b
		return nopCloser{b}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, b := range bufs {
		lines = strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	}
	name := "src/dt=2024-01-30/ga4.jsonl"
	v1 := object{name: name, gen: 1, files: transformInput(t, dir, name, "run-1", clickstream.GA4Input, lines...)}
	v2 := object{name: name, gen: 2, files: transformInput(t, dir, name, "run-2", clickstream.GA4Input, lines[:len(lines)/2]...)}
	d := openTemp(t)
	count := func() int64 {
		return query(t, d, "SELECT count(*) FROM clickstream_lake.ga4_events")[0][0].(int64)
	}
	loadObjects(t, d, warehouse.Merge, warehouse.Slice{}, v1)
	before := count()
	loadObjects(t, d, warehouse.Merge, warehouse.Slice{}, v2)
	after := count()
	if before == 0 || after >= before {
		t.Errorf("ga4_events held %d rows, then %d after the object was rewritten with half its lines: want fewer", before, after)
	}
	if n := query(t, d, "SELECT count(*) FROM clickstream_lake.ga4_events WHERE run_id <> 'run-2'")[0][0].(int64); n != 0 {
		t.Errorf("%d rows of the first version left in ga4_events", n)
	}
}
