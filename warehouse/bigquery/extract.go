package bigquery

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	bq "cloud.google.com/go/bigquery"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/location"
)

// ExtractRequest exports a lake visits table to Cloud Storage as session
// JSONL in the input shape, so that the warehouse can be rebuilt from the
// lake by the ordinary pipeline: a run over a bq:// source exports the
// table first, then lists and transforms the files like any other input.
type ExtractRequest struct {
	// Table is the visits table to export: project.dataset.table. Required.
	Table string
	// Where is an SQL condition on the table's columns that selects the
	// sessions to export, e.g. [ExtractDaysWhere]'s. It is trusted SQL (it
	// comes from configuration). Optional: default every session.
	Where string
	// DestinationURI is the folder under which the export's files are
	// written, gs://bucket/prefix/: each attempt writes into a folder of its
	// own, DestinationURI + "a<Attempt>/" (ExtractResult.URI). Files of the
	// same names are overwritten; others stay, so give every run a fresh
	// prefix. Required.
	DestinationURI string
	// JobID names the export job, deterministically: derive it from the
	// run. It is sanitized to BigQuery's job id characters and completed
	// with the attempt and a digest of the request, so the same request
	// re-attaches to its job while another one, or another attempt, runs a
	// new job. Required.
	JobID string
	// Attempt is the activity's attempt (activity.GetInfo(ctx).Attempt). A
	// retried export runs a job of its own, never re-attaching to the failed
	// attempt's job (which would give its error again), and writes into a
	// folder of its own, so that the part files a failed attempt left are
	// not read with the next attempt's (EXPORT DATA's overwrite replaces
	// only the files of the names it writes: an attempt writing fewer parts
	// would leave the others). Optional: 0 is a valid attempt.
	Attempt int32
}

// ExtractResult says what an export wrote.
type ExtractResult struct {
	// URI is the folder the files were written to: DestinationURI +
	// "a<Attempt>/". Nothing else writes there.
	URI string `json:"uri"`
	// Pattern names the files: URI + "part-*.json", BigQuery replacing the
	// * by a 12-digit number (part-000000000000.json, ...). List URI to find
	// them.
	Pattern string `json:"pattern"`
	// JobID is the export job's id.
	JobID string `json:"job_id"`
	// Files and Rows are what BigQuery's job statistics report (Rows is 0
	// where BigQuery does not report it).
	Files int64 `json:"files"`
	Rows  int64 `json:"rows"`
}

// Extract exports the sessions of req.Table (a lake visits table) that
// req.Where selects to req.DestinationURI, one session per line, in the
// input shape of SPEC.md: the session fields and
// events[].event.{event_type, timestamp, details{...}}, with lineage,
// session_key and the events' event_id left out.
//
// It runs EXPORT DATA OPTIONS (uri = '...part-*.json', format = 'JSON',
// overwrite = true) AS SELECT ..., not an extract job: an extract job (and
// EXPORT DATA of a plain SELECT *) writes INT64 values as JSON strings
// ("quantity": "1"), which the transform rejects, since SPEC.md wants an
// integral JSON number. The SELECT therefore casts every INTEGER field to
// FLOAT64 (written as the number 1, integral, so accepted; exact up to 2^53),
// formats every TIMESTAMP as RFC 3339 with microseconds in UTC (the year
// always four digits: %E4Y, since %Y writes the year 999 as 999, which the
// transform would reject as unparseable), rebuilds
// every RECORD field by field and keeps REPEATED fields in their order.
//
// The job runs in Options.Location, which must be the source table's.
// Errors wrap warehouse.ErrNotFound, warehouse.ErrPermission or
// warehouse.ErrSchema (a table that is not a visits table, a bad Where)
// when retrying cannot help; see [Warehouse].
func (b *Warehouse) Extract(ctx context.Context, req ExtractRequest) (ExtractResult, error) {
	fail := func(err error) (ExtractResult, error) {
		return ExtractResult{}, fmt.Errorf("exporting %s: %w", req.Table, err)
	}
	table, err := sqlTableName(req.Table)
	if err != nil {
		return fail(err)
	}
	dest, err := gcsFolder(req.DestinationURI)
	if err != nil {
		return fail(err)
	}
	if req.JobID == "" {
		return fail(errors.New("JobID is required: it makes the export job's id deterministic"))
	}
	attempt := strconv.Itoa(int(req.Attempt))
	dest += "a" + attempt + "/"
	res := ExtractResult{
		URI:     dest,
		Pattern: dest + "part-*.json",
		JobID: "clickstream_export_" + sanitizeID(req.JobID, true, maxRunIDBytes) + "_a" + sanitizeID(attempt, true, 16) + "_" +
			digest(b.project, req.JobID, attempt, req.Table, req.Where, dest),
	}
	job, err := b.runQuery(ctx, res.JobID, exportSQL(table, req.Where, res.Pattern))
	if err != nil {
		return fail(err)
	}
	if st := job.LastStatus(); st != nil && st.Statistics != nil {
		if qs, ok := st.Statistics.Details.(*bq.QueryStatistics); ok && qs.ExportDataStatistics != nil {
			res.Files, res.Rows = qs.ExportDataStatistics.FileCount, qs.ExportDataStatistics.RowCount
		}
	}
	return res, nil
}

// exportSQL returns the EXPORT DATA statement of Extract: the rows of table
// (an SQL name) that where selects ("" for all), written to uri (a gs://
// pattern with one '*') in the input shape, derived from the visits
// table's schema.
func exportSQL(table, where, uri string) string {
	visits, _ := clickstream.LookupTable(clickstream.VisitsTable)
	var cols []string
	for _, f := range inputFields(visits.Fields, "") {
		cols = append(cols, exportExpr(f, bqIdent(f.Name), 1)+" AS "+bqIdent(f.Name))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "EXPORT DATA OPTIONS (uri = %s, format = 'JSON', overwrite = true) AS\nSELECT\n  %s\nFROM %s",
		bqString(uri), strings.Join(cols, ",\n  "), table)
	if where != "" {
		fmt.Fprintf(&b, "\nWHERE (%s)", where)
	}
	return b.String()
}

// notInput are the visits columns the pipeline adds to the input shape, by
// their path: the keys it computes and the lineage.
var notInput = map[string]bool{
	"session_key": true, "events.event_id": true,
	clickstream.ColSourceObject: true, clickstream.ColSourceLine: true, clickstream.ColRunID: true,
}

// inputFields returns fields, found under the path prefix ("" at the top,
// "events." in an element of events), without those notInput names, their
// sub-fields likewise.
func inputFields(fields []clickstream.Field, prefix string) []clickstream.Field {
	var out []clickstream.Field
	for _, f := range fields {
		if notInput[prefix+f.Name] {
			continue
		}
		f.Fields = inputFields(f.Fields, prefix+f.Name+".")
		out = append(out, f)
	}
	return out
}

// exportExpr writes field f (of the input shape, see inputFields), found at
// path, as the input has it. depth numbers the aliases of nested UNNESTs.
func exportExpr(f clickstream.Field, path string, depth int) string {
	if f.Mode == clickstream.Repeated {
		elem := fmt.Sprintf("x%d", depth)
		sel := "SELECT AS STRUCT " + exportFields(f.Fields, elem, depth+1)
		if f.Type != clickstream.Record {
			one := f
			one.Mode = clickstream.Nullable
			sel = "SELECT " + exportExpr(one, elem, depth+1)
		}
		return fmt.Sprintf("ARRAY(%s FROM UNNEST(%s) AS %s WITH OFFSET AS o%d ORDER BY o%d)", sel, path, elem, depth, depth)
	}
	switch f.Type {
	case clickstream.Record:
		return "STRUCT(" + exportFields(f.Fields, path, depth) + ")"
	case clickstream.Integer:
		return "CAST(" + path + " AS FLOAT64)"
	case clickstream.Timestamp:
		return "FORMAT_TIMESTAMP('%E4Y-%m-%dT%H:%M:%E6SZ', " + path + ", 'UTC')"
	}
	return path
}

func exportFields(fields []clickstream.Field, path string, depth int) string {
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = exportExpr(f, path+"."+bqIdent(f.Name), depth) + " AS " + bqIdent(f.Name)
	}
	return strings.Join(parts, ", ")
}

// ExtractDaysWhere returns an ExtractRequest.Where that keeps the sessions
// with at least one event on the UTC days from to to (YYYY-MM-DD,
// inclusive; "" leaves that end open). Both empty: "" (every session).
func ExtractDaysWhere(from, to string) (string, error) {
	var conds []string
	for _, d := range []struct{ date, op string }{{from, ">="}, {to, "<="}} {
		if d.date == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, d.date); err != nil {
			return "", fmt.Errorf("day %q: want YYYY-MM-DD", d.date)
		}
		conds = append(conds, fmt.Sprintf("DATE(e.`event`.`timestamp`, 'UTC') %s DATE '%s'", d.op, d.date))
	}
	if len(conds) == 0 {
		return "", nil
	}
	return "EXISTS (SELECT 1 FROM UNNEST(`events`) AS e WHERE " + strings.Join(conds, " AND ") + ")", nil
}

// sqlTableName turns project.dataset.table into `project`.`dataset`.`table`;
// a domain-scoped project (example.com:project) may hold a dot.
func sqlTableName(name string) (string, error) {
	parts := strings.Split(name, ".")
	n := len(parts)
	if n < 3 || strings.Contains(name, "`") {
		return "", fmt.Errorf("table %q: want project.dataset.table", name)
	}
	project, dataset, table := strings.Join(parts[:n-2], "."), parts[n-2], parts[n-1]
	if project == "" || dataset == "" || table == "" {
		return "", fmt.Errorf("table %q: want project.dataset.table", name)
	}
	return bqQualified(project, dataset, table), nil
}

// gcsFolder checks a gs://bucket/prefix/ folder and returns it ending in '/'.
func gcsFolder(uri string) (string, error) {
	if l, err := location.Parse(uri); err != nil || l.Scheme != location.GCS || strings.Contains(uri, "*") {
		return "", fmt.Errorf("destination %q: want gs://bucket/prefix/ without '*'", uri)
	}
	if !strings.HasSuffix(uri, "/") {
		uri += "/"
	}
	return uri, nil
}
