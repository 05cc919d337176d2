// Package report reads the derived tables (package models) for people: a
// report printed as a table, CSV or JSON, and one self-contained HTML page
// of charts. It only reads, through a Source, so it works on any warehouse
// that answers SQL; the queries are written in the SQL DuckDB and BigQuery
// share.
package report

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/clickstream-platform/clickstream/models"
)

// Source answers one SQL query: the column names and the rows, a DATE as a
// string YYYY-MM-DD, a LIST as []any, a STRUCT as map[string]any, NULL as nil
// (what duckdb.Warehouse.Query gives).
type Source interface {
	Query(ctx context.Context, query string) ([]string, [][]any, error)
}

// Range is the days a report covers, both included; an empty end is open.
type Range struct {
	From, To string // YYYY-MM-DD
}

// ParseRange checks from and to (YYYY-MM-DD, either may be empty).
func ParseRange(from, to string) (Range, error) {
	for _, d := range []struct{ flag, v string }{{"--from", from}, {"--to", to}} {
		if d.v == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, d.v); err != nil {
			return Range{}, fmt.Errorf("%s %q: want a day, YYYY-MM-DD", d.flag, d.v)
		}
	}
	if from != "" && to != "" && to < from {
		return Range{}, fmt.Errorf("--to %s is before --from %s", to, from)
	}
	return Range{From: from, To: to}, nil
}

// where filters column (a DATE) to the range; the days were checked by
// ParseRange, so they are safe as literals.
func (r Range) where(column string) string {
	var conds []string
	if r.From != "" {
		conds = append(conds, fmt.Sprintf("%s >= DATE '%s'", column, r.From))
	}
	if r.To != "" {
		conds = append(conds, fmt.Sprintf("%s <= DATE '%s'", column, r.To))
	}
	if len(conds) == 0 {
		return "TRUE"
	}
	return strings.Join(conds, " AND ")
}

// Report is one printable report: a derived table, filtered and ordered.
type Report struct {
	Name string
	// Doc says what a row is.
	Doc string
	// Dated says the range filters it; the others are over all time.
	Dated bool
	query func(dw string, r Range, limit int) string
}

// Reports are the printable reports, by the table they read.
func Reports() []Report {
	return []Report{
		{models.DailyEvents, "events per day and device type, by type", true, func(dw string, r Range, _ int) string {
			return fmt.Sprintf("SELECT date, device_type, pageviews, addtocarts, purchases FROM %s.%s WHERE %s ORDER BY date, device_type",
				dw, models.DailyEvents, r.where("date"))
		}},
		{models.RevenueDaily, "orders and revenue per day and currency (currencies are never added together)", true, func(dw string, r Range, _ int) string {
			return fmt.Sprintf("SELECT date, currency, orders, revenue FROM %s.%s WHERE %s ORDER BY date, currency NULLS LAST",
				dw, models.RevenueDaily, r.where("date"))
		}},
		{models.FunnelDaily, "user sessions started per day, and those with a page view, an add to cart, a purchase", true, func(dw string, r Range, _ int) string {
			return fmt.Sprintf("SELECT date, user_sessions, with_pageview, with_addtocart, with_purchase FROM %s.%s WHERE %s ORDER BY date",
				dw, models.FunnelDaily, r.where("date"))
		}},
		{models.TopUsers, "the most active users, all time", false, func(dw string, _ Range, limit int) string {
			return fmt.Sprintf("SELECT user_id, events, user_sessions, events_by_device FROM %s.%s ORDER BY events DESC, user_id LIMIT %d",
				dw, models.TopUsers, limit)
		}},
		{models.SessionsPerObject, "distinct sessions per source object, all time", false, func(dw string, _ Range, _ int) string {
			return fmt.Sprintf("SELECT source_object, sessions FROM %s.%s ORDER BY source_object", dw, models.SessionsPerObject)
		}},
	}
}

// Lookup finds a report by its table's name, or by that name without the
// report_ prefix (daily_events).
func Lookup(name string) (Report, bool) {
	for _, r := range Reports() {
		if r.Name == name || strings.TrimPrefix(r.Name, "report_") == name {
			return r, true
		}
	}
	return Report{}, false
}

// Names lists the reports' short names.
func Names() []string {
	var out []string
	for _, r := range Reports() {
		out = append(out, strings.TrimPrefix(r.Name, "report_"))
	}
	return out
}

// Formats a report prints in.
var Formats = []string{"table", "csv", "json"}

// Print runs report rep over src and writes it to w in format (table, csv
// or json); limit bounds the rows of the reports ordered by rank.
func Print(ctx context.Context, w io.Writer, src Source, dw string, rep Report, r Range, format string, limit int) error {
	if !slices.Contains(Formats, format) {
		return fmt.Errorf("--format %q: want one of %s", format, strings.Join(Formats, ", "))
	}
	if limit <= 0 {
		limit = 20
	}
	cols, rows, err := src.Query(ctx, rep.query(dw, r, limit))
	if err != nil {
		return fmt.Errorf("reading %s: %w", rep.Name, err)
	}
	switch format {
	case "json":
		return writeJSON(w, cols, rows)
	case "csv":
		cw := csv.NewWriter(w)
		if err := cw.Write(cols); err != nil {
			return err
		}
		for _, row := range rows {
			rec := make([]string, len(row))
			for i, v := range row {
				rec[i] = text(v)
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, strings.Join(cols, "\t")+"\t")
	for _, row := range rows {
		for _, v := range row {
			fmt.Fprint(tw, text(v), "\t")
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(rows) == 0 {
		_, err := fmt.Fprintf(w, "(no rows: has a run loaded data%s?)\n", r.describe(rep.Dated))
		return err
	}
	return nil
}

// writeJSON writes the rows as an array of objects whose keys keep the
// columns' order, one object a line.
func writeJSON(w io.Writer, cols []string, rows [][]any) error {
	var b strings.Builder
	b.WriteString("[")
	for i, row := range rows {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n  {")
		for j, c := range cols {
			k, _ := json.Marshal(c)
			v, err := json.Marshal(row[j])
			if err != nil {
				return fmt.Errorf("column %s: %w", c, err)
			}
			if j > 0 {
				b.WriteString(", ")
			}
			b.Write(k)
			b.WriteString(": ")
			b.Write(v)
		}
		b.WriteString("}")
	}
	if len(rows) > 0 {
		b.WriteString("\n")
	}
	b.WriteString("]\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func (r Range) describe(dated bool) string {
	switch {
	case !dated || (r.From == "" && r.To == ""):
		return ""
	case r.From == r.To:
		return " for " + r.From
	default:
		return fmt.Sprintf(" for %s to %s", or(r.From, "the first day"), or(r.To, "the last"))
	}
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// text prints a value for a table or CSV: NULL as NULL, a list of records
// as key:value pairs, numbers without exponents.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatFloat(x, 'f', 0, 64)
		}
		return strconv.FormatFloat(x, 'f', 2, 64)
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = text(e)
		}
		return strings.Join(parts, " ")
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		vals := make([]string, len(keys))
		for i, k := range keys {
			vals[i] = text(x[k])
		}
		return strings.Join(vals, ":")
	}
	return fmt.Sprint(v)
}

// number reads a count or an amount from a row.
func number(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case int32:
		return float64(x)
	case int:
		return float64(x)
	case float64:
		return x
	case float32:
		return float64(x)
	case uint64:
		return float64(x)
	case *big.Int:
		f, _ := new(big.Float).SetInt(x).Float64()
		return f
	case string:
		f, _ := strconv.ParseFloat(x, 64)
		return f
	}
	return 0
}
