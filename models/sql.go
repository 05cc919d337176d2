package models

import (
	"fmt"
	"strings"
	"text/template"
	"time"

	"github.com/clickstream-platform/clickstream/clickstream"
)

// Dialect spells what the two warehouses spell differently. Everything
// else in the models' SQL is written once, in the SQL both accept.
type Dialect interface {
	// Table is the qualified name of a table of the lake or dw dataset
	// (clickstream tables, the derived tables, ChangesTable, pipeline_runs).
	Table(name string) string
	// String quotes s as a string literal.
	String(s string) string
	// Float is the 64-bit floating point type.
	Float() string
	// FirstBy is an aggregate: the first non-NULL value of expr v in the
	// group ordered by the expressions order (the last with last). Only page
	// views have a page_url, so entry and exit pages need no window.
	FirstBy(v string, last bool, order ...string) string
	// FailedRuns is a query of the run_id of the runs on record as failed or
	// cancelled (the warehouse's audit table).
	FailedRuns() string
	// Decimal is an exact decimal type of at least 9 fraction digits: amounts
	// are summed in it, so that a sum does not depend on the order of its
	// terms (floating point addition does), and a day's revenue rebuilt
	// equals the same day's built in another run.
	Decimal() string
	// SHA256Hex is the lowercase hex SHA-256 of the string expr.
	SHA256Hex(expr string) string
	// RFC3339Micro is the timestamp expr as UTC text with six fraction
	// digits: 2024-01-30T10:00:00.000000Z.
	RFC3339Micro(expr string) string
	// MicrosBetween is the microseconds from the timestamp from to to.
	MicrosBetween(from, to string) string
	// AddMicros is the timestamp expr plus n microseconds (n may be < 0).
	AddMicros(expr string, n int64) string
	// Struct builds a record of the named values: name, expr, name, expr...
	Struct(namesAndExprs ...string) string
	// EmptyRevenue is an empty list of user_sessions.revenue's records.
	EmptyRevenue() string
	// Days is a FROM item that gives, for each row of the items before it,
	// one row a date d from the date expr from to to, both included.
	Days(from, to string) string
	// TempTable creates (or replaces) a temporary table as a query.
	TempTable(name, query string) string
	// SetBound is the statement that computes, once, the TIMESTAMP named
	// name as the value of query (one row, one column), for Bound to give.
	// BigQuery keeps it in a script variable (declared first, see Bounds):
	// a filter of a partitioning column by a constant, which a script
	// variable is and a subquery is not, lets BigQuery prune partitions.
	SetBound(name, query string) string
	// Bound is the value SetBound computed.
	Bound(name string) string
}

// The bounds an incremental build computes (Dialect.SetBound) and filters
// the partitioning columns of user_sessions and the event tables with.
// Each only ever widens what a statement reads: the rows a statement needs
// lie within them, so the results are those without them.
const (
	// boundSpanHi is the last event of the changes plus the gap: no user
	// session starting later can overlap a span.
	boundSpanHi = "clickstream_span_hi"
	// boundLo and boundHi are the first and last instants of the spans
	// widened to the user sessions they overlap (the window): every event
	// read, user session removed or cut lies within them.
	boundLo = "clickstream_lo"
	boundHi = "clickstream_hi"
	// boundDaysLo and boundDaysHi are the window widened by a day on each
	// side: every instant of a UTC day the build rebuilds or tests (the
	// days of the changes and of the user sessions removed or cut, all
	// within the window) lies within them.
	boundDaysLo = "clickstream_days_lo"
	boundDaysHi = "clickstream_days_hi"
)

// Bounds are the names of the TIMESTAMP bounds an incremental build sets:
// what a dialect keeping them in script variables declares first.
func Bounds() []string {
	return []string{boundSpanHi, boundLo, boundHi, boundDaysLo, boundDaysHi}
}

// dayMicros is a day in microseconds.
const dayMicros = 24 * 60 * 60 * 1000 * 1000

// eventsSQL is every event of the warehouse as the models read it: its user
// and device type (from its session), the ordering a user's events follow
// (timestamp, then table: page view 0, add to cart 1, purchase 2, then
// event_id), and the columns the models use; its data is "" or a WHERE
// clause on each event table's timestamp (e.timestamp), so that the filter
// reaches the partitioned tables themselves rather than the union.
const eventsSQL = `SELECT s.user_id, s.device_type, e.session_key, e.timestamp AS ts, 0 AS kind, e.event_id, e.page_url,
		CAST(NULL AS STRING) AS currency, CAST(NULL AS {{float}}) AS amount
	FROM {{table "pageview_events"}} AS e JOIN {{table "sessions"}} AS s ON s.session_key = e.session_key{{.}}
	UNION ALL
	SELECT s.user_id, s.device_type, e.session_key, e.timestamp, 1, e.event_id, CAST(NULL AS STRING), CAST(NULL AS STRING), CAST(NULL AS {{float}})
	FROM {{table "addtocart_events"}} AS e JOIN {{table "sessions"}} AS s ON s.session_key = e.session_key{{.}}
	UNION ALL
	SELECT s.user_id, s.device_type, e.session_key, e.timestamp, 2, e.event_id, CAST(NULL AS STRING), e.currency, e.amount
	FROM {{table "purchase_events"}} AS e JOIN {{table "sessions"}} AS s ON s.session_key = e.session_key{{.}}`

// userSessionsSQL cuts the events of ev (a table of eventsSQL's columns)
// into user sessions: an event at least the gap after the user's previous
// one starts a new user session.
const userSessionsSQL = `WITH o AS (
	SELECT *, LAG(ts) OVER (PARTITION BY user_id ORDER BY ts, kind, event_id) AS prev FROM {{.Events}}
), m AS (
	SELECT *, CASE WHEN prev IS NULL OR {{micros "prev" "ts"}} >= {{.GapMicros}} THEN 1 ELSE 0 END AS starts FROM o
), n AS (
	SELECT *, SUM(starts) OVER (PARTITION BY user_id ORDER BY ts, kind, event_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS sn FROM m
), rev AS (
	SELECT user_id, sn, currency, {{sum "amount"}} AS amount FROM n WHERE kind = 2 GROUP BY user_id, sn, currency
), revs AS (
	SELECT user_id, sn, ARRAY_AGG({{struct "currency" "currency" "amount" "amount"}} ORDER BY currency NULLS LAST) AS revenue FROM rev GROUP BY user_id, sn
)
SELECT {{sha256 (printf "w.user_id || ':' || %s" (rfc3339 "MIN(w.ts)"))}} AS user_session_id, w.user_id,
	MIN(w.ts) AS started_at, MAX(w.ts) AS ended_at, {{micros "MIN(w.ts)" "MAX(w.ts)"}} / 1e6 AS duration_seconds,
	COUNT(*) AS events, SUM(CASE WHEN w.kind = 0 THEN 1 ELSE 0 END) AS pageviews,
	SUM(CASE WHEN w.kind = 1 THEN 1 ELSE 0 END) AS addtocarts, SUM(CASE WHEN w.kind = 2 THEN 1 ELSE 0 END) AS purchases,
	COALESCE(ANY_VALUE(revs.revenue), {{emptyRevenue}}) AS revenue, {{firstBy "w.page_url" "w.ts" "w.event_id"}} AS entry_page, {{lastBy "w.page_url" "w.ts" "w.event_id"}} AS exit_page,
	ARRAY_AGG(DISTINCT w.device_type ORDER BY w.device_type) AS device_types, COUNT(DISTINCT w.session_key) AS input_sessions
FROM n AS w LEFT JOIN revs ON revs.user_id = w.user_id AND revs.sn = w.sn
GROUP BY w.user_id, w.sn`

// Report queries, each over ev (events) or us (user sessions) and a filter
// on the rows of the days, users or objects rebuilt.
const (
	dailyEventsSQL = `SELECT CAST(ts AS DATE) AS date, device_type, SUM(CASE WHEN kind = 0 THEN 1 ELSE 0 END) AS pageviews,
	SUM(CASE WHEN kind = 1 THEN 1 ELSE 0 END) AS addtocarts, SUM(CASE WHEN kind = 2 THEN 1 ELSE 0 END) AS purchases
FROM ({{.Events}}) AS ev WHERE {{.Filter}} GROUP BY 1, 2`
	revenueDailySQL = `SELECT CAST(ts AS DATE) AS date, currency, COUNT(*) AS orders, {{sum "amount"}} AS revenue
FROM ({{.Events}}) AS ev WHERE kind = 2 AND {{.Filter}} GROUP BY 1, 2`
	funnelDailySQL = `SELECT CAST(started_at AS DATE) AS date, COUNT(*) AS user_sessions,
	SUM(CASE WHEN pageviews > 0 THEN 1 ELSE 0 END) AS with_pageview, SUM(CASE WHEN addtocarts > 0 THEN 1 ELSE 0 END) AS with_addtocart,
	SUM(CASE WHEN purchases > 0 THEN 1 ELSE 0 END) AS with_purchase
FROM {{table "user_sessions"}} AS us WHERE {{.Filter}} GROUP BY 1`
	topUsersSQL = `WITH d AS (
	SELECT user_id, device_type, COUNT(*) AS events FROM ({{.Events}}) AS ev WHERE {{.Filter}} GROUP BY 1, 2
), u AS (
	SELECT user_id, COUNT(*) AS user_sessions FROM {{table "user_sessions"}} AS us WHERE {{.Filter}} GROUP BY 1
)
SELECT d.user_id, SUM(d.events) AS events, ANY_VALUE(u.user_sessions) AS user_sessions,
	ARRAY_AGG({{struct "device_type" "d.device_type" "events" "d.events"}} ORDER BY d.device_type) AS events_by_device
FROM d JOIN u ON u.user_id = d.user_id GROUP BY d.user_id`
	sessionsPerObjectSQL = `SELECT source_object, COUNT(DISTINCT session_key) AS sessions FROM {{table "visits"}} AS v WHERE {{.Filter}} GROUP BY 1`
)

// renderer renders the models' templates in a dialect.
type renderer struct {
	d     Dialect
	gap   int64 // microseconds
	funcs template.FuncMap
}

func newRenderer(d Dialect, gap time.Duration) *renderer {
	r := &renderer{d: d, gap: gap.Microseconds()}
	r.funcs = template.FuncMap{
		"table": d.Table,
		"float": d.Float,
		"sum": func(e string) string {
			return fmt.Sprintf("CAST(SUM(CAST(%s AS %s)) AS %s)", e, d.Decimal(), d.Float())
		},
		"sha256":       d.SHA256Hex,
		"rfc3339":      d.RFC3339Micro,
		"micros":       d.MicrosBetween,
		"struct":       func(kv ...string) string { return d.Struct(kv...) },
		"emptyRevenue": d.EmptyRevenue,
		"str":          d.String,
		"firstBy":      func(v string, order ...string) string { return d.FirstBy(v, false, order...) },
		"lastBy":       func(v string, order ...string) string { return d.FirstBy(v, true, order...) },
	}
	return r
}

func (r *renderer) render(tmpl string, data any) string {
	t := template.Must(template.New("sql").Funcs(r.funcs).Parse(tmpl))
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		panic(fmt.Sprintf("models: rendering %q: %v", tmpl[:min(len(tmpl), 40)], err)) // the templates are constants; a test renders them all
	}
	return b.String()
}

type view struct {
	Events    string // a table name or a parenthesized query of eventsSQL's columns
	Filter    string
	GapMicros int64
}

// events is every event (eventsSQL).
func (r *renderer) events() string { return r.render(eventsSQL, "") }

// eventsWithin is the events whose timestamp lies within the bounds lo and
// hi (Dialect.Bound names).
func (r *renderer) eventsWithin(lo, hi string) string {
	return r.render(eventsSQL, "\n\tWHERE "+within(r.d, "e.timestamp", lo, hi))
}

// within is the condition that the timestamp col lies within the bounds lo
// and hi (Dialect.Bound names).
func within(d Dialect, col, lo, hi string) string {
	return col + " BETWEEN " + d.Bound(lo) + " AND " + d.Bound(hi)
}

// columns lists a table's columns.
func columns(t clickstream.Table) string {
	names := make([]string, len(t.Fields))
	for i, f := range t.Fields {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

func table(name string) clickstream.Table {
	t, ok := Lookup(name)
	if !ok {
		panic("models: no table " + name)
	}
	return t
}
