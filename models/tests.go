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
	if runID == "" {
		days = fmt.Sprintf("(SELECT DISTINCT CAST(timestamp AS DATE) AS d FROM %s UNION DISTINCT SELECT CAST(timestamp AS DATE) FROM %s UNION DISTINCT SELECT CAST(timestamp AS DATE) FROM %s)",
			d.Table(clickstream.PageviewsTable), d.Table(clickstream.AddtocartsTable), d.Table(clickstream.PurchasesTable))
		users = fmt.Sprintf("(SELECT user_id FROM %s)", d.Table(clickstream.SessionsTable))
		objects = fmt.Sprintf("(SELECT source_object FROM %s)", d.Table(clickstream.VisitsTable))
	} else {
		chg := fmt.Sprintf("(SELECT user_id, source_object, first_event, last_event FROM %s WHERE %s)", d.Table(ChangesTable), pendingSQL(d, runID))
		days = fmt.Sprintf("(SELECT DISTINCT d FROM %s AS c, %s WHERE c.first_event IS NOT NULL)", chg,
			d.Days("CAST(c.first_event AS DATE)", "CAST(c.last_event AS DATE)"))
		users = fmt.Sprintf("(SELECT user_id FROM %s AS c)", chg)
		objects = fmt.Sprintf("(SELECT source_object FROM %s AS c)", chg)
		inDays = func(col string) string { return within(d, col, boundDaysLo, boundDaysHi) }
	}
	var tests []DataTest
	add := func(name, q string) { tests = append(tests, DataTest{Name: name, SQL: q + "\nLIMIT 5"}) }

	for _, t := range []string{clickstream.PageviewsTable, clickstream.AddtocartsTable, clickstream.PurchasesTable} {
		add(t+" events have a session", fmt.Sprintf(
			"SELECT e.event_id AS k FROM %s AS e LEFT JOIN %s AS s ON s.session_key = e.session_key\nWHERE s.session_key IS NULL AND CAST(e.timestamp AS DATE) IN %s AND %s",
			d.Table(t), d.Table(clickstream.SessionsTable), days, inDays("e.timestamp")))
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
	unique(clickstream.SessionsTable, []string{"session_key"}, "user_id IN "+users)
	for _, t := range []string{clickstream.PageviewsTable, clickstream.AddtocartsTable, clickstream.PurchasesTable} {
		unique(t, []string{"event_id"}, "CAST(timestamp AS DATE) IN "+days+" AND "+inDays("timestamp"))
	}
	unique(UserSessions, []string{"user_session_id"}, "user_id IN "+users)
	unique(DailyEvents, []string{"date", "device_type"}, "date IN "+days)
	unique(RevenueDaily, []string{"date", "currency"}, "date IN "+days)
	unique(TopUsers, []string{"user_id"}, "user_id IN "+users)
	unique(SessionsPerObject, []string{"source_object"}, "source_object IN "+objects)

	// The reports add up to the warehouse tables, day by day.
	for _, c := range []struct{ column, table string }{
		{"pageviews", clickstream.PageviewsTable}, {"addtocarts", clickstream.AddtocartsTable}, {"purchases", clickstream.PurchasesTable},
	} {
		add(DailyEvents+"."+c.column+" equal "+c.table, fmt.Sprintf(`SELECT CAST(x.d AS STRING) AS k FROM (
	SELECT d, (SELECT COALESCE(SUM(%s), 0) FROM %s WHERE date = days.d) AS r,
		(SELECT COUNT(*) FROM %s WHERE CAST(timestamp AS DATE) = days.d AND %s) AS w FROM %s AS days) AS x WHERE x.r <> x.w`,
			c.column, d.Table(DailyEvents), d.Table(c.table), inDays("timestamp"), days))
	}
	add(RevenueDaily+".orders equal "+clickstream.PurchasesTable, fmt.Sprintf(`SELECT CAST(x.d AS STRING) AS k FROM (
	SELECT d, (SELECT COALESCE(SUM(orders), 0) FROM %s WHERE date = days.d) AS r,
		(SELECT COUNT(*) FROM %s WHERE CAST(timestamp AS DATE) = days.d AND %s) AS w FROM %s AS days) AS x WHERE x.r <> x.w`,
		d.Table(RevenueDaily), d.Table(clickstream.PurchasesTable), inDays("timestamp"), days))
	add(FunnelDaily+".user_sessions equal "+UserSessions, fmt.Sprintf(`SELECT CAST(x.d AS STRING) AS k FROM (
	SELECT d, (SELECT COALESCE(SUM(user_sessions), 0) FROM %s WHERE date = days.d) AS r,
		(SELECT COUNT(*) FROM %s WHERE CAST(started_at AS DATE) = days.d AND %s) AS w FROM %s AS days) AS x WHERE x.r <> x.w`,
		d.Table(FunnelDaily), d.Table(UserSessions), inDays("started_at"), days))
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
