package bigquery

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	bq "cloud.google.com/go/bigquery"

	"github.com/clickstream-platform/clickstream/location"
)

// GA4ExportRequest exports days of a Google Analytics 4 property's BigQuery
// export (its daily tables events_YYYYMMDD) to Cloud Storage as JSON, one
// event a line, for the transform's GA4 input.
type GA4ExportRequest struct {
	// Tables is the export's tables as a wildcard:
	// project.dataset.events_*. Required.
	Tables string
	// From and To are the first and last day (YYYY-MM-DD) of the daily
	// tables read, by _TABLE_SUFFIX; "" leaves that end open.
	From, To string
	// Limit caps the rows exported: the first Limit by event_timestamp.
	// Optional: default 0, every row.
	Limit int64
	// Intraday adds the intraday tables (events_intraday_YYYYMMDD), which
	// GA4 fills during the day and replaces by the daily table the next
	// day; left out by default, so that a day is not read twice.
	Intraday bool
	// DestinationURI, JobID and Attempt are as ExtractRequest's: each
	// attempt exports into a folder and a job of its own.
	DestinationURI, JobID string
	Attempt               int32
}

// ExportGA4 runs EXPORT DATA OPTIONS (uri = '...part-*.json', format =
// 'JSON', overwrite = true) AS SELECT * FROM `project.dataset.events_*`
// WHERE _TABLE_SUFFIX ... [ORDER BY ... LIMIT n]: the rows as the export
// holds them, which BigQuery writes with INT64 values as strings (the
// transform accepts both). The job runs in Options.Location, which must be
// the property's dataset's. Errors are classified as Extract's.
func (b *Warehouse) ExportGA4(ctx context.Context, req GA4ExportRequest) (ExtractResult, error) {
	fail := func(err error) (ExtractResult, error) {
		return ExtractResult{}, fmt.Errorf("exporting %s: %w", req.Tables, err)
	}
	sql, err := ga4Tables(req.Tables)
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
	where, err := ga4SuffixWhere(req.From, req.To, req.Intraday)
	if err != nil {
		return fail(err)
	}
	if req.Limit < 0 {
		return fail(fmt.Errorf("limit %d: want 0 (every row) or more", req.Limit))
	}
	attempt := strconv.Itoa(int(req.Attempt))
	dest += "a" + attempt + "/"
	stmt := ga4ExportSQL(sql, where, req.Limit, dest+"part-*.json")
	res := ExtractResult{
		URI:     dest,
		Pattern: dest + "part-*.json",
		JobID: "clickstream_export_" + sanitizeID(req.JobID, true, maxRunIDBytes) + "_a" + sanitizeID(attempt, true, 16) + "_" +
			digest(b.project, req.JobID, attempt, stmt),
	}
	job, err := b.runQuery(ctx, res.JobID, stmt)
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

// ga4Tables quotes project.dataset.events_* as one name: a wildcard table
// is named whole in backquotes.
func ga4Tables(name string) (string, error) {
	parts := strings.Split(name, ".")
	n := len(parts)
	if n < 3 || parts[n-1] != location.GA4Tables || strings.ContainsAny(name, "`\\'") ||
		strings.Join(parts[:n-2], ".") == "" || parts[n-2] == "" {
		return "", fmt.Errorf("tables %q: want project.dataset.%s", name, location.GA4Tables)
	}
	return "`" + name + "`", nil
}

// ga4SuffixWhere selects the daily tables from to to by _TABLE_SUFFIX
// (YYYYMMDD), and with intraday the intraday tables of those days too
// (suffix intraday_YYYYMMDD). A suffix of another shape (a table such as
// events_backup that the wildcard also matches) is never read.
func ga4SuffixWhere(from, to string, intraday bool) (string, error) {
	suffix := "r'^[0-9]{8}$'"
	day := "_TABLE_SUFFIX"
	if intraday {
		suffix = "r'^(intraday_)?[0-9]{8}$'"
		day = "RIGHT(_TABLE_SUFFIX, 8)"
	}
	conds := []string{"REGEXP_CONTAINS(_TABLE_SUFFIX, " + suffix + ")"}
	for _, d := range []struct{ date, op string }{{from, ">="}, {to, "<="}} {
		if d.date == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, d.date)
		if err != nil {
			return "", fmt.Errorf("day %q: want YYYY-MM-DD", d.date)
		}
		conds = append(conds, fmt.Sprintf("%s %s '%s'", day, d.op, t.Format("20060102")))
	}
	return strings.Join(conds, " AND "), nil
}

// ga4ExportSQL is ExportGA4's statement. With a limit the rows are ordered
// first, so that the same request exports the same rows (ties aside).
func ga4ExportSQL(tables, where string, limit int64, uri string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "EXPORT DATA OPTIONS (uri = %s, format = 'JSON', overwrite = true) AS\nSELECT *\nFROM %s\nWHERE %s",
		bqString(uri), tables, where)
	if limit > 0 {
		fmt.Fprintf(&b, "\nORDER BY event_timestamp, user_pseudo_id, event_name\nLIMIT %d", limit)
	}
	return b.String()
}
