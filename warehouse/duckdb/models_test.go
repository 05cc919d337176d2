package duckdb_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/models"
	"github.com/clickstream-platform/clickstream/sampledata"
	"github.com/clickstream-platform/clickstream/warehouse"
	"github.com/clickstream-platform/clickstream/warehouse/duckdb"
)

func buildModels(tb testing.TB, d *duckdb.Warehouse, rebuild bool) warehouse.ModelsResult {
	tb.Helper()
	res, err := d.BuildModels(context.Background(), warehouse.ModelsRequest{RunID: "run", Rebuild: rebuild})
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

func sessionEvent(user, id, device string, events ...string) string {
	return fmt.Sprintf(`{"session_id":%q,"user_id":%q,"device_type":%q,"events":[%s]}`, id, user, device, strings.Join(events, ","))
}

func purchase(ts, order, currency string, amount float64) string {
	return fmt.Sprintf(`{"event":{"event_type":"purchase","timestamp":%q,"details":{"order_id":%q,"currency":%q,"amount":%g,"items":[]}}}`, ts, order, currency, amount)
}

func addToCart(ts string) string {
	return fmt.Sprintf(`{"event":{"event_type":"add_item_to_cart","timestamp":%q,"details":{"product_id":"P","price":1,"quantity":1}}}`, ts)
}

func userSessionID(user, first string) string {
	sum := sha256.Sum256([]byte(user + ":" + first))
	return hex.EncodeToString(sum[:])
}

// TestUserSessionsGolden: the gap is >= (an event 30 minutes after the
// previous starts a user session, 29m59s does not); a user session runs
// across midnight, two input sessions, objects and days; equal timestamps
// order by table; duplicates across objects count once; revenue is summed
// per currency, never across.
func TestUserSessionsGolden(t *testing.T) {
	dir := t.TempDir()
	day1 := stageObject(t, dir, "src/dt=2024-01-30/a.jsonl", 1,
		sessionEvent("ua", "a1", "mobile", pageview("2024-01-30T10:00:00Z", "/a1"), pageview("2024-01-30T10:29:59Z", "/a2")),
		sessionEvent("ub", "b1", "mobile", pageview("2024-01-30T10:00:00Z", "/b1"), pageview("2024-01-30T10:30:00Z", "/b2")),
		sessionEvent("uc", "c1", "tablet", pageview("2024-01-30T23:50:00Z", "/late")),
		sessionEvent("ud", "d1", "desktop", purchase("2024-01-30T12:00:00Z", "O1", "USD", 10), pageview("2024-01-30T12:00:00Z", "/cart"),
			addToCart("2024-01-30T12:00:00Z"), purchase("2024-01-30T12:05:00Z", "O2", "EUR", 5), purchase("2024-01-30T12:06:00Z", "O3", "USD", 2.5)))
	day2 := stageObject(t, dir, "src/dt=2024-01-31/b.jsonl", 1,
		sessionEvent("uc", "c2", "mobile", pageview("2024-01-31T00:10:00Z", "/early")),
		// A copy of ud's session: its events count once.
		sessionEvent("ud", "d1", "desktop", purchase("2024-01-30T12:00:00Z", "O1", "USD", 10), pageview("2024-01-30T12:00:00Z", "/cart"),
			addToCart("2024-01-30T12:00:00Z"), purchase("2024-01-30T12:05:00Z", "O2", "EUR", 5), purchase("2024-01-30T12:06:00Z", "O3", "USD", 2.5)))
	d := openTemp(t)
	loadObjects(t, d, warehouse.Replace, warehouse.Slice{Prefixes: []string{"src/"}}, day1, day2)
	buildModels(t, d, false)
	got := fmt.Sprint(query(t, d, `SELECT user_id, user_session_id, started_at, ended_at, duration_seconds, events, pageviews, addtocarts, purchases,
		revenue, entry_page, exit_page, device_types, input_sessions FROM clickstream_dw.user_sessions ORDER BY user_id, started_at`))
	want := fmt.Sprint([][]any{
		{"ua", userSessionID("ua", "2024-01-30T10:00:00.000000Z"), "2024-01-30 10:00:00 +0000 UTC", "2024-01-30 10:29:59 +0000 UTC", 1799.0, 2, 2, 0, 0, "[]", "/a1", "/a2", "[mobile]", 1},
		{"ub", userSessionID("ub", "2024-01-30T10:00:00.000000Z"), "2024-01-30 10:00:00 +0000 UTC", "2024-01-30 10:00:00 +0000 UTC", 0.0, 1, 1, 0, 0, "[]", "/b1", "/b1", "[mobile]", 1},
		{"ub", userSessionID("ub", "2024-01-30T10:30:00.000000Z"), "2024-01-30 10:30:00 +0000 UTC", "2024-01-30 10:30:00 +0000 UTC", 0.0, 1, 1, 0, 0, "[]", "/b2", "/b2", "[mobile]", 1},
		{"uc", userSessionID("uc", "2024-01-30T23:50:00.000000Z"), "2024-01-30 23:50:00 +0000 UTC", "2024-01-31 00:10:00 +0000 UTC", 1200.0, 2, 2, 0, 0, "[]", "/late", "/early", "[mobile tablet]", 2},
		{"ud", userSessionID("ud", "2024-01-30T12:00:00.000000Z"), "2024-01-30 12:00:00 +0000 UTC", "2024-01-30 12:06:00 +0000 UTC", 360.0, 5, 1, 1, 3,
			"[map[amount:5 currency:EUR] map[amount:12.5 currency:USD]]", "/cart", "/cart", "[desktop]", 1},
	})
	if got != want {
		t.Errorf("user_sessions\n got %s\nwant %s", got, want)
	}
	if got := fmt.Sprint(query(t, d, "SELECT date, currency, orders, revenue FROM clickstream_dw.report_revenue_daily ORDER BY ALL")); got != "[[2024-01-30 EUR 1 5] [2024-01-30 USD 2 12.5]]" {
		t.Errorf("report_revenue_daily %s", got)
	}
	if got := fmt.Sprint(query(t, d, "SELECT * FROM clickstream_dw.report_funnel_daily ORDER BY ALL")); got != "[[2024-01-30 5 5 1 1]]" {
		t.Errorf("report_funnel_daily %s", got)
	}
	if got := fmt.Sprint(query(t, d, "SELECT * FROM clickstream_dw.report_daily_events ORDER BY ALL")); got != "[[2024-01-30 desktop 1 1 3] [2024-01-30 mobile 4 0 0] [2024-01-30 tablet 1 0 0] [2024-01-31 mobile 1 0 0]]" {
		t.Errorf("report_daily_events %s", got)
	}
	if got := fmt.Sprint(query(t, d, "SELECT user_id, events, user_sessions, events_by_device FROM clickstream_dw.report_top_users ORDER BY ALL")); got != "[[ua 2 1 [map[device_type:mobile events:2]]] [ub 2 2 [map[device_type:mobile events:2]]] [uc 2 1 [map[device_type:mobile events:1] map[device_type:tablet events:1]]] [ud 5 1 [map[device_type:desktop events:5]]]]" {
		t.Errorf("report_top_users %s", got)
	}
	if got := fmt.Sprint(query(t, d, "SELECT * FROM clickstream_dw.report_sessions_per_object ORDER BY ALL")); got != "[[src/dt=2024-01-30/a.jsonl 4] [src/dt=2024-01-31/b.jsonl 2]]" {
		t.Errorf("report_sessions_per_object %s", got)
	}
	// The changes are forgotten once built for; a rebuild gives the same tables.
	if n := query(t, d, "SELECT count(*) FROM clickstream_lake.model_changes")[0][0]; n != int64(0) {
		t.Errorf("%v changes left after the models step", n)
	}
	before := modelPrints(t, d)
	buildModels(t, d, true)
	if after := modelPrints(t, d); !maps.Equal(after, before) {
		t.Errorf("a rebuild differs from the incremental build:\n%v\n%v", after, before)
	}
}

func modelPrints(tb testing.TB, d *duckdb.Warehouse) map[string]string {
	tb.Helper()
	out := map[string]string{}
	for _, t := range models.Tables() {
		out[t.Name] = fingerprint(tb, d, t.Name)
	}
	return out
}

// TestModelsIncrementalEqualRebuild: days generated with sessions
// duplicated across days, loaded by merges and slice replaces in random
// orders with re-deliveries: after every run the incremental models equal
// a rebuild from scratch of the same warehouse. Days are a sixth of the
// objects each, so that most builds are incremental (a run changing most
// objects rebuilds).
func TestModelsIncrementalEqualRebuild(t *testing.T) {
	dir := t.TempDir()
	opts := sampledata.Options{Files: 12, Sessions: 900, Days: 6, Seed: 41, InvalidRate: 0.02, DuplicateRate: 0.3}
	v1, _ := stageDays(t, dir, opts, 1, nil)
	v2, _ := stageDays(t, dir, opts, 2, func(line int) bool { return line%4 != 1 })
	var days []string
	for day := range v1 {
		days = append(days, day)
	}
	sortDays(days)
	seeds := []uint64{1, 2, 3}
	if testing.Short() {
		seeds = seeds[:1]
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 16))
			inc, full := openTemp(t), openTemp(t)
			incremental := 0
			defer func() {
				if !t.Failed() && incremental < 4 {
					t.Errorf("%d of 8 builds were incremental, want at least 4", incremental)
				}
			}()
			for step := range 8 {
				day := days[rng.IntN(len(days))]
				objs, version := v1[day], 1
				if rng.IntN(2) == 0 {
					objs, version = v2[day], 2
				}
				mode, slice := warehouse.Merge, warehouse.Slice{}
				if rng.IntN(2) == 0 {
					mode, slice = warehouse.Replace, warehouse.Slice{Prefixes: []string{"src/" + day + "/"}}
				}
				what := fmt.Sprintf("step %d: %s of %s, version %d", step, mode, day, version)
				for _, d := range []*duckdb.Warehouse{inc, full} {
					loadObjects(t, d, mode, slice, objs...)
				}
				if !buildModels(t, inc, false).Rebuilt {
					incremental++
				}
				buildModels(t, full, true)
				if got, want := modelPrints(t, inc), modelPrints(t, full); !maps.Equal(got, want) {
					for name := range want {
						if got[name] != want[name] {
							t.Errorf("%s: %s differs from a rebuild: %s, want %s", what, name, got[name], want[name])
						}
					}
					t.FailNow()
				}
			}
		})
	}
}

// TestModelsRebuildWhenMostChanged: a run whose changes name most of the
// objects rebuilds, one changing a day of several builds incrementally.
func TestModelsRebuildWhenMostChanged(t *testing.T) {
	dir := t.TempDir()
	byDay, _ := stageDays(t, dir, sampledata.Options{Files: 8, Sessions: 800, Days: 4, Seed: 5}, 1, nil)
	var all []object
	var days []string
	for day, objs := range byDay {
		days = append(days, day)
		all = append(all, objs...)
	}
	sortDays(days)
	d := openTemp(t)
	loadObjects(t, d, warehouse.Replace, warehouse.Slice{Prefixes: []string{"src/"}}, all...)
	if res := buildModels(t, d, false); !res.Rebuilt {
		t.Fatalf("first build %+v, want a rebuild (never built)", res)
	}
	loadObjects(t, d, warehouse.Replace, warehouse.Slice{Prefixes: []string{"src/"}}, all...)
	if res := buildModels(t, d, false); !res.Rebuilt || res.Changes == 0 {
		t.Errorf("build after replacing every object %+v, want a rebuild of its changes", res)
	}
	day := byDay[days[1]]
	for i := range day {
		day[i].gen = 2
	}
	loadObjects(t, d, warehouse.Merge, warehouse.Slice{}, day...)
	if res := buildModels(t, d, false); res.Rebuilt || res.Changes == 0 {
		t.Errorf("build after a day's merge %+v, want an incremental build", res)
	}
	if n := query(t, d, "SELECT count(*) FROM clickstream_lake.model_changes")[0][0]; n != int64(0) {
		t.Errorf("%v changes left after the builds", n)
	}
}

// TestDataTestsFail: a data test that finds a broken rule fails the models
// step with an error wrapping ErrDataTest that names it and the keys, and
// leaves the changes pending.
func TestDataTestsFail(t *testing.T) {
	dir := t.TempDir()
	o := stageObject(t, dir, "src/dt=2024-01-30/a.jsonl", 1, sessionEvent("ua", "a1", "mobile", pageview("2024-01-30T10:00:00Z", "/a")))
	d := openTemp(t)
	loadObjects(t, d, warehouse.Replace, warehouse.Slice{Prefixes: []string{"src/"}}, o)
	query(t, d, "DELETE FROM clickstream_dw.sessions")
	_, err := d.BuildModels(context.Background(), warehouse.ModelsRequest{RunID: "run"})
	if !errors.Is(err, warehouse.ErrDataTest) || !strings.Contains(err.Error(), "pageview_events events have a session") {
		t.Fatalf("err = %v, want the session data test's failure", err)
	}
	if n := query(t, d, "SELECT count(*) FROM clickstream_lake.model_changes")[0][0]; n == int64(0) {
		t.Error("a failed models step forgot the changes")
	}
}

// BenchmarkModels: the models step after a one-day merge (the day's objects
// rewritten, so every row of the day is removed and added again) into
// warehouses of 10 and 30 days, against a rebuild of every derived table.
// The incremental build must scale with the day, not with the warehouse.
func BenchmarkModels(b *testing.B) {
	for _, days := range []int{10, 30} {
		b.Run(fmt.Sprintf("days=%d", days), func(b *testing.B) {
			dir := b.TempDir()
			byDay, sum := stageDays(b, dir, sampledata.Options{Files: 2 * days, Sessions: 1000 * days, Days: days, Seed: 3, InvalidRate: 0.02, DuplicateRate: 0.1}, 1, nil)
			var all []object
			var names []string
			for day, objs := range byDay {
				names = append(names, day)
				all = append(all, objs...)
			}
			sortDays(names)
			mid := byDay[names[len(names)/2]]
			d := openTemp(b)
			loadObjects(b, d, warehouse.Replace, warehouse.Slice{Prefixes: []string{"src/"}}, all...)
			res := buildModels(b, d, true)
			b.Logf("%d days, %d MB of input, %d user sessions", days, sum.Bytes>>20, res.Rows[models.UserSessions])
			b.Run("one-day merge", func(b *testing.B) {
				gen := int64(1)
				for b.Loop() {
					b.StopTimer()
					gen++
					for i := range mid {
						mid[i].gen = gen
					}
					loadObjects(b, d, warehouse.Merge, warehouse.Slice{}, mid...)
					b.StartTimer()
					if res := buildModels(b, d, false); res.Changes == 0 || res.Rebuilt {
						b.Fatalf("models %+v, want an incremental build of the day's changes", res)
					}
				}
			})
			b.Run("rebuild", func(b *testing.B) {
				for b.Loop() {
					buildModels(b, d, true)
				}
			})
		})
	}
}

// TestPurchaseWithoutCurrency: report_revenue_daily keys a purchase without
// a currency by a NULL currency, which its data test accepts, and apart from
// every currency.
func TestPurchaseWithoutCurrency(t *testing.T) {
	dir := t.TempDir()
	noCurrency := `{"event":{"event_type":"purchase","timestamp":"2024-01-30T10:05:00Z","details":{"order_id":"o2","amount":5,"items":[]}}}`
	o := stageObject(t, dir, "src/dt=2024-01-30/a.jsonl", 1,
		sessionEvent("ua", "a1", "mobile", pageview("2024-01-30T10:00:00Z", "/a"), purchase("2024-01-30T10:01:00Z", "o1", "EUR", 7), noCurrency))
	d := openTemp(t)
	loadObjects(t, d, warehouse.Replace, warehouse.Slice{Prefixes: []string{"src/"}}, o)
	buildModels(t, d, false)
	got := query(t, d, "SELECT coalesce(currency, 'NULL'), orders, revenue FROM clickstream_dw.report_revenue_daily ORDER BY currency NULLS LAST")
	if fmt.Sprint(got) != "[[EUR 1 7] [NULL 1 5]]" {
		t.Errorf("revenue rows %v, want EUR 1 7 and NULL 1 5", got)
	}
}

// TestModelsPickUpFailedRuns: the changes of a run that failed after its
// lake load are rebuilt by the next run's models step; a run still going
// keeps its own.
func TestModelsPickUpFailedRuns(t *testing.T) {
	dir := t.TempDir()
	a := stageObject(t, dir, "src/dt=2024-01-30/a.jsonl", 1, sessionEvent("ua", "a1", "mobile", pageview("2024-01-30T10:00:00Z", "/a")))
	b := stageObject(t, dir, "src/dt=2024-01-30/b.jsonl", 1, sessionEvent("ub", "b1", "mobile", pageview("2024-01-30T11:00:00Z", "/b")))
	d := openTemp(t)
	loadObjects(t, d, warehouse.Merge, warehouse.Slice{}, a)
	buildModels(t, d, false) // "run": builds and forgets its changes
	loadObjects(t, d, warehouse.Merge, warehouse.Slice{}, b)
	query(t, d, "UPDATE clickstream_lake.model_changes SET run_id = 'failed-run'")
	ctx := context.Background()
	res, err := d.BuildModels(ctx, warehouse.ModelsRequest{RunID: "next"})
	if err != nil || res.Changes != 0 {
		t.Fatalf("before the run is on record as failed: %+v, %v; want its changes left to it", res, err)
	}
	if err := d.RecordRun(ctx, warehouse.RunRecord{RunID: "failed-run", WorkflowID: "w", Source: "src", Mode: "merge", Status: warehouse.RunFailed}); err != nil {
		t.Fatal(err)
	}
	if res, err = d.BuildModels(ctx, warehouse.ModelsRequest{RunID: "next"}); err != nil || res.Changes == 0 || res.Rows[models.UserSessions] != 2 {
		t.Errorf("after it failed: %+v, %v; want its changes rebuilt, two user sessions", res, err)
	}
	if n := query(t, d, "SELECT count(*) FROM clickstream_lake.model_changes")[0][0]; n != int64(0) {
		t.Errorf("%v changes left", n)
	}
}

// tablesDialect names the tables in the default schemas: all a rebuild's
// data tests ask of a dialect.
type tablesDialect struct{ models.Dialect }

func (tablesDialect) Table(name string) string {
	if _, ok := models.Lookup(name); ok || name != clickstream.VisitsTable {
		return "clickstream_dw." + name
	}
	return "clickstream_lake." + name
}

// TestRebuildDataTestsFind: each of a rebuild's data tests, which read
// every row with no list of days, users or objects, finds the broken rule
// it is for, and only the tests of that rule do.
func TestRebuildDataTestsFind(t *testing.T) {
	dir := t.TempDir()
	o := stageObject(t, dir, "src/dt=2024-01-30/a.jsonl", 1,
		sessionEvent("ua", "a1", "mobile", pageview("2024-01-30T10:00:00Z", "/a"), purchase("2024-01-30T10:01:00Z", "o1", "EUR", 7)),
		sessionEvent("ub", "b1", "desktop", pageview("2024-01-31T10:00:00Z", "/b"), pageview("2024-01-31T10:02:00Z", "/c")))
	for _, tc := range []struct {
		tamper string
		want   []string // the tests that find it
	}{
		{"DELETE FROM clickstream_dw.sessions WHERE user_id = 'ua'", []string{"pageview_events events have a session", "purchase_events events have a session"}},
		{"INSERT INTO clickstream_dw.pageview_events SELECT * FROM clickstream_dw.pageview_events LIMIT 1", []string{
			"pageview_events keys are unique and not null", "report_daily_events.pageviews equal pageview_events"}},
		{"UPDATE clickstream_dw.report_daily_events SET addtocarts = addtocarts + 1 WHERE date = DATE '2024-01-31'", []string{"report_daily_events.addtocarts equal addtocart_events"}},
		{"DELETE FROM clickstream_dw.report_revenue_daily", []string{"report_revenue_daily.orders equal purchase_events"}},
		{"UPDATE clickstream_dw.report_funnel_daily SET user_sessions = 0", []string{"report_funnel_daily.user_sessions equal user_sessions"}},
		{"INSERT INTO clickstream_dw.report_top_users SELECT * FROM clickstream_dw.report_top_users", []string{"report_top_users keys are unique and not null"}},
	} {
		t.Run(tc.tamper, func(t *testing.T) {
			d := openTemp(t)
			loadObjects(t, d, warehouse.Replace, warehouse.Slice{Prefixes: []string{"src/"}}, o)
			buildModels(t, d, true)
			query(t, d, tc.tamper)
			var found []string
			for _, dt := range models.DataTests(tablesDialect{}, "") {
				if len(query(t, d, dt.SQL)) > 0 {
					found = append(found, dt.Name)
				}
			}
			if !slices.Equal(found, tc.want) {
				t.Errorf("tests finding keys %q, want %q", found, tc.want)
			}
		})
	}
}
