package models

import (
	"fmt"
	"time"

	"github.com/clickstream-platform/clickstream/clickstream"
)

// Statement is one SQL statement of a build, and what it does.
type Statement struct {
	What string
	SQL  string
}

// DataTest is a query that returns the keys (a column k, at most five)
// that break a rule the tables must keep; no row means it holds.
type DataTest struct {
	Name string
	SQL  string
}

// DefaultGap is the inactivity after which a user's next event starts a new
// user session (models.session_gap).
const DefaultGap = 30 * time.Minute

// Temporary tables of an incremental build.
const (
	tmpChanges = "clickstream_chg"
	tmpSpan    = "clickstream_span"
	tmpOld     = "clickstream_old"
	tmpWindow  = "clickstream_window"
	tmpEvents  = "clickstream_ev"
	tmpNew     = "clickstream_new"
	tmpDays    = "clickstream_days"
	tmpFDays   = "clickstream_fdays"
)

// Rebuild is every derived table built again from the warehouse tables:
// each emptied and filled.
func Rebuild(d Dialect, gap time.Duration) []Statement {
	r := newRenderer(d, gap)
	ev := "(" + r.events() + ") AS ev"
	all := view{Events: r.events(), Filter: "TRUE", GapMicros: r.gap}
	var out []Statement
	fill := func(name, query string) {
		out = append(out,
			Statement{"emptying " + name, fmt.Sprintf("DELETE FROM %s WHERE TRUE", d.Table(name))},
			Statement{"filling " + name, fmt.Sprintf("INSERT INTO %s (%s)\n%s", d.Table(name), columns(table(name)), query)})
	}
	fill(UserSessions, r.render(userSessionsSQL, view{Events: ev, GapMicros: r.gap}))
	fill(DailyEvents, r.render(dailyEventsSQL, all))
	fill(RevenueDaily, r.render(revenueDailySQL, all))
	fill(FunnelDaily, r.render(funnelDailySQL, all))
	fill(TopUsers, r.render(topUsersSQL, all))
	fill(SessionsPerObject, r.render(sessionsPerObjectSQL, all))
	return out
}

// pendingSQL selects the changes a run's models step rebuilds for: its own,
// and those of runs that failed or were cancelled after their lake load
// (their own models step never ran).
func pendingSQL(d Dialect, runID string) string {
	return fmt.Sprintf("run_id = %s OR run_id IN (%s)", d.String(runID), d.FailedRuns())
}

// Incremental is the build of what run runID changed (ChangesTable): per
// user, the span of the events its lake load removed or added, widened by
// the gap on each side and then to the whole user sessions the widened span
// overlaps, is cut into user sessions again; the reports are rebuilt for the
// days of those events and of the user sessions removed or added, the users
// and the objects changed. Then the changes are removed. Run again, it gives
// the same tables.
//
// Its statements that read or delete user_sessions or the event tables
// filter their partitioning column (started_at, timestamp) by bounds it
// computes once (Dialect.SetBound): a user session that overlaps a span
// starts before the span's end, but may start any time before its start
// (a user session has no longest duration), so finding them is bounded
// above only; once the spans are widened to them, everything the build
// reads, removes or cuts lies within the window's first and last instant,
// and the days it rebuilds within a day more on each side. The top users
// count every event and user session of the changed users, of any day:
// those reads are not bounded.
func Incremental(d Dialect, runID string, gap time.Duration) []Statement {
	r := newRenderer(d, gap)
	g := r.gap
	us := d.Table(UserSessions)
	lo, hi := d.AddMicros("s.f", -g), d.AddMicros("s.l", g)
	out := []Statement{
		{"reading the changes", d.TempTable(tmpChanges, fmt.Sprintf(
			"SELECT run_id, user_id, source_object, first_event, last_event FROM %s WHERE %s", d.Table(ChangesTable), pendingSQL(d, runID)))},
		{"spanning each user's changes", d.TempTable(tmpSpan, fmt.Sprintf(
			"SELECT user_id, MIN(first_event) AS f, MAX(last_event) AS l FROM %s WHERE first_event IS NOT NULL GROUP BY user_id", tmpChanges))},
		{"bounding the spans", d.SetBound(boundSpanHi, fmt.Sprintf("SELECT %s FROM %s", d.AddMicros("MAX(l)", g), tmpSpan))},
		{"finding the user sessions the spans overlap", d.TempTable(tmpOld, fmt.Sprintf(
			"SELECT us.user_session_id, us.user_id, us.started_at, us.ended_at FROM %s AS us JOIN %s AS s ON s.user_id = us.user_id\n"+
				"WHERE us.started_at <= %s AND us.ended_at >= %s AND us.started_at <= %s", us, tmpSpan, hi, lo, d.Bound(boundSpanHi)))},
		{"widening the spans to them", d.TempTable(tmpWindow, fmt.Sprintf(
			"SELECT s.user_id, LEAST(%s, COALESCE(MIN(o.started_at), %s)) AS lo, GREATEST(%s, COALESCE(MAX(o.ended_at), %s)) AS hi\n"+
				"FROM %s AS s LEFT JOIN %s AS o ON o.user_id = s.user_id GROUP BY s.user_id, s.f, s.l", lo, lo, hi, hi, tmpSpan, tmpOld))},
		{"bounding the window", d.SetBound(boundLo, "SELECT MIN(lo) FROM "+tmpWindow)},
		{"bounding the window", d.SetBound(boundHi, "SELECT MAX(hi) FROM "+tmpWindow)},
		{"bounding the window's days", d.SetBound(boundDaysLo, fmt.Sprintf("SELECT %s FROM %s", d.AddMicros("MIN(lo)", -dayMicros), tmpWindow))},
		{"bounding the window's days", d.SetBound(boundDaysHi, fmt.Sprintf("SELECT %s FROM %s", d.AddMicros("MAX(hi)", dayMicros), tmpWindow))},
		{"reading the events of the spans", d.TempTable(tmpEvents, fmt.Sprintf(
			"SELECT ev.* FROM (%s) AS ev JOIN %s AS w ON w.user_id = ev.user_id AND ev.ts BETWEEN w.lo AND w.hi", r.eventsWithin(boundLo, boundHi), tmpWindow))},
		{"removing the user sessions overlapped", fmt.Sprintf("DELETE FROM %s WHERE user_session_id IN (SELECT user_session_id FROM %s) AND %s",
			us, tmpOld, within(d, "started_at", boundLo, boundHi))},
		{"cutting the spans' events into user sessions", fmt.Sprintf("INSERT INTO %s (%s)\n%s", us, columns(table(UserSessions)),
			r.render(userSessionsSQL, view{Events: tmpEvents, GapMicros: g}))},
		{"finding the user sessions cut", d.TempTable(tmpNew, fmt.Sprintf(
			"SELECT us.started_at FROM %s AS us JOIN %s AS w ON w.user_id = us.user_id AND us.started_at BETWEEN w.lo AND w.hi\nWHERE %s",
			us, tmpWindow, within(d, "us.started_at", boundLo, boundHi)))},
		{"listing the days changed", d.TempTable(tmpDays, fmt.Sprintf(
			"SELECT DISTINCT d FROM %s AS c, %s WHERE c.first_event IS NOT NULL", tmpChanges,
			d.Days("CAST(c.first_event AS DATE)", "CAST(c.last_event AS DATE)")))},
		{"listing the days of the user sessions removed or cut", d.TempTable(tmpFDays, fmt.Sprintf(
			"SELECT DISTINCT d FROM (SELECT CAST(started_at AS DATE) AS d FROM %s UNION ALL SELECT CAST(started_at AS DATE) FROM %s) AS x", tmpOld, tmpNew))},
	}
	refill := func(name, keyCond string, query string) {
		out = append(out,
			Statement{"removing the rows of " + name + " rebuilt", fmt.Sprintf("DELETE FROM %s WHERE %s", d.Table(name), keyCond)},
			Statement{"rebuilding them", fmt.Sprintf("INSERT INTO %s (%s)\n%s", d.Table(name), columns(table(name)), query)})
	}
	inDays := fmt.Sprintf("date IN (SELECT d FROM %s)", tmpDays)
	evDays := view{Events: r.eventsWithin(boundDaysLo, boundDaysHi), Filter: fmt.Sprintf("CAST(ts AS DATE) IN (SELECT d FROM %s)", tmpDays)}
	refill(DailyEvents, inDays, r.render(dailyEventsSQL, evDays))
	refill(RevenueDaily, inDays, r.render(revenueDailySQL, evDays))
	refill(FunnelDaily, fmt.Sprintf("date IN (SELECT d FROM %s)", tmpFDays),
		r.render(funnelDailySQL, view{Filter: fmt.Sprintf("CAST(started_at AS DATE) IN (SELECT d FROM %s) AND %s",
			tmpFDays, within(d, "started_at", boundDaysLo, boundDaysHi))}))
	users := fmt.Sprintf("user_id IN (SELECT user_id FROM %s)", tmpChanges)
	refill(TopUsers, users, r.render(topUsersSQL, view{Events: r.events(), Filter: users}))
	objects := fmt.Sprintf("source_object IN (SELECT source_object FROM %s)", tmpChanges)
	refill(SessionsPerObject, objects, r.render(sessionsPerObjectSQL, view{Filter: objects}))
	return out
}

// PendingCount counts the changes Incremental would rebuild for.
func PendingCount(d Dialect, runID string) string {
	return fmt.Sprintf("SELECT COUNT(*) FROM %s WHERE %s", d.Table(ChangesTable), pendingSQL(d, runID))
}

// Unbuilt is true when user_sessions is empty while the event tables are
// not: the models were never built on this warehouse's data, and only a
// rebuild makes them whole.
func Unbuilt(d Dialect) string {
	return fmt.Sprintf("SELECT NOT EXISTS (SELECT 1 FROM %s) AND (EXISTS (SELECT 1 FROM %s) OR EXISTS (SELECT 1 FROM %s) OR EXISTS (SELECT 1 FROM %s))",
		d.Table(UserSessions), d.Table(clickstream.PageviewsTable), d.Table(clickstream.AddtocartsTable), d.Table(clickstream.PurchasesTable))
}

// RebuildInstead is true when a run's build should rebuild rather than
// build incrementally: the models were never built (Unbuilt), or the run's
// pending changes name more than half the objects the derived tables hold,
// as a replace of the whole source does. Both builds give the same tables;
// an incremental build of most of the data costs more than a rebuild (it
// finds, removes and cuts again what a rebuild just writes).
func RebuildInstead(d Dialect, runID string) string {
	return fmt.Sprintf("SELECT (%s) OR (SELECT COUNT(DISTINCT source_object) FROM %s WHERE %s) * 2 > (SELECT COUNT(*) FROM %s)",
		Unbuilt(d), d.Table(ChangesTable), pendingSQL(d, runID), d.Table(SessionsPerObject))
}

// Done removes the changes Incremental rebuilt for: the statement that ends
// a run's models step, once its data tests pass.
func Done(d Dialect, runID string) Statement {
	return Statement{"removing the changes rebuilt for", fmt.Sprintf("DELETE FROM %s WHERE %s", d.Table(ChangesTable), pendingSQL(d, runID))}
}
