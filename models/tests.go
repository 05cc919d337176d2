package models

import (
	"fmt"
	"strings"

	"github.com/clickstream-platform/clickstream/clickstream"
)

// DataTests are the rules the tables must keep after a models step: every
// event's session is in sessions; keys are unique and not null in every
// table; the reports' sums equal the warehouse tables' counts, day by day.
// An incremental build's are checked on what it changed (the pending
// changes of run runID, so they run before Done); a rebuild's (runID "")
// on every day and user. A test that finds keys fails the build.
//
// An incremental build's tests filter the partitioning columns by the
// bounds of its days (Dialect.Bound), which Incremental's statements set:
// they run after them, in the same session or script.
func DataTests(d Dialect, runID string) []DataTest {
	var days, users, objects string
	// inDays bounds a timestamp column read for the days tested.
	inDays := func(string) string { return "TRUE" }
	if runID != "" {
		chg := fmt.Sprintf("(SELECT user_id, source_object, first_event, last_event FROM %s WHERE %s)", d.Table(ChangesTable), pendingSQL(d, runID))
		days = fmt.Sprintf("(SELECT DISTINCT d FROM %s AS c, %s WHERE c.first_event IS NOT NULL)", chg,
			d.Days("CAST(c.first_event AS DATE)", "CAST(c.last_event AS DATE)"))
		users = fmt.Sprintf("(SELECT user_id FROM %s AS c)", chg)
		objects = fmt.Sprintf("(SELECT source_object FROM %s AS c)", chg)
		inDays = func(col string) string { return within(d, col, boundDaysLo, boundDaysHi) }
	}
	// in limits a test to the rows an incremental build may have changed; a
	// rebuild's tests read every row, with no list of days, users or objects
	// to compute first (each such list scans a whole table again).
	in := func(cond string) string {
		if runID == "" {
			return "TRUE"
		}
		return cond
	}
	var tests []DataTest
	add := func(name, q string) { tests = append(tests, DataTest{Name: name, SQL: q + "\nLIMIT 5"}) }

	for _, t := range []string{clickstream.PageviewsTable, clickstream.AddtocartsTable, clickstream.PurchasesTable} {
		add(t+" events have a session", fmt.Sprintf(
			"SELECT e.event_id AS k FROM %s AS e LEFT JOIN %s AS s ON s.session_key = e.session_key\nWHERE s.session_key IS NULL AND %s AND %s",
			d.Table(t), d.Table(clickstream.SessionsTable), in("CAST(e.timestamp AS DATE) IN "+days), inDays("e.timestamp")))
	}
	// Keys unique and not null, over the rows the run may have changed.
	unique := func(table string, keys []string, where string) {
		k := keys[0]
		if len(keys) > 1 {
			parts := make([]string, len(keys))
			for i, c := range keys {
				parts[i] = fmt.Sprintf("COALESCE(CAST(%s AS STRING), 'NULL')", c)
			}
			k = strings.Join(parts, " || '/' || ")
		}
		// A key column the table allows NULL in (report_revenue_daily's
		// currency: purchases without one) is a key value like any other.
		nulls := []string{"FALSE"}
		for _, c := range keys {
			if !nullable(table, c) {
				nulls = append(nulls, c+" IS NULL")
			}
		}
		add(table+" keys are unique and not null", fmt.Sprintf(
			"SELECT CAST(%s AS STRING) AS k FROM %s WHERE %s GROUP BY 1 HAVING COUNT(*) > 1 OR MAX(CASE WHEN %s THEN 1 ELSE 0 END) = 1",
			k, d.Table(table), where, strings.Join(nulls, " OR ")))
	}
	unique(clickstream.SessionsTable, []string{"session_key"}, in("user_id IN "+users))
	for _, t := range []string{clickstream.PageviewsTable, clickstream.AddtocartsTable, clickstream.PurchasesTable} {
		unique(t, []string{"event_id"}, in("CAST(timestamp AS DATE) IN "+days)+" AND "+inDays("timestamp"))
	}
	unique(UserSessions, []string{"user_session_id"}, in("user_id IN "+users))
	unique(DailyEvents, []string{"date", "device_type"}, in("date IN "+days))
	unique(RevenueDaily, []string{"date", "currency"}, in("date IN "+days))
	unique(TopUsers, []string{"user_id"}, in("user_id IN "+users))
	unique(SessionsPerObject, []string{"source_object"}, in("source_object IN "+objects))

	// The reports add up to the warehouse tables, day by day: for an
	// incremental build on the days it changed, for a rebuild on every day
	// either side has (one aggregate of each, joined, rather than a count
	// per day).
	sums := func(name, report, column, table, tsCol string) {
		if runID == "" {
			add(name, fmt.Sprintf(`SELECT CAST(COALESCE(r.d, w.d) AS STRING) AS k FROM
	(SELECT date AS d, SUM(%s) AS n FROM %s GROUP BY 1) AS r
	FULL OUTER JOIN (SELECT CAST(%s AS DATE) AS d, COUNT(*) AS n FROM %s GROUP BY 1) AS w ON w.d = r.d
WHERE COALESCE(r.n, 0) <> COALESCE(w.n, 0)`, column, d.Table(report), tsCol, d.Table(table)))
			return
		}
		add(name, fmt.Sprintf(`SELECT CAST(x.d AS STRING) AS k FROM (
	SELECT d, (SELECT COALESCE(SUM(%s), 0) FROM %s WHERE date = days.d) AS r,
		(SELECT COUNT(*) FROM %s WHERE CAST(%s AS DATE) = days.d AND %s) AS w FROM %s AS days) AS x WHERE x.r <> x.w`,
			column, d.Table(report), d.Table(table), tsCol, inDays(tsCol), days))
	}
	for _, c := range []struct{ column, table string }{
		{"pageviews", clickstream.PageviewsTable}, {"addtocarts", clickstream.AddtocartsTable}, {"purchases", clickstream.PurchasesTable},
	} {
		sums(DailyEvents+"."+c.column+" equal "+c.table, DailyEvents, c.column, c.table, "timestamp")
	}
	sums(RevenueDaily+".orders equal "+clickstream.PurchasesTable, RevenueDaily, "orders", clickstream.PurchasesTable, "timestamp")
	sums(FunnelDaily+".user_sessions equal "+UserSessions, FunnelDaily, "user_sessions", UserSessions, "started_at")
	return tests
}

// nullable says whether column of a derived or warehouse table may be NULL.
func nullable(table, column string) bool {
	t, ok := Lookup(table)
	if !ok {
		t, _ = clickstream.LookupTable(table)
	}
	for _, f := range t.Fields {
		if f.Name == column {
			return f.Mode == clickstream.Nullable
		}
	}
	return false
}
