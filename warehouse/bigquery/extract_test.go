package bigquery_test

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	bqapi "google.golang.org/api/bigquery/v2"

	"github.com/clickstream-platform/clickstream/warehouse"
	"github.com/clickstream-platform/clickstream/warehouse/bigquery"
)

func TestBigQueryExtract(t *testing.T) {
	f := newFakeBigQuery(t)
	f.exported = bqapi.ExportDataStatistics{FileCount: 3, RowCount: 120}
	b := openFake(t, f, bigquery.Options{})
	where, err := bigquery.ExtractDaysWhere("2024-01-30", "2024-02-01")
	if err != nil {
		t.Fatal(err)
	}
	req := bigquery.ExtractRequest{Table: "src-proj.clickstream_lake.visits", Where: where,
		DestinationURI: "gs://bucket/rebuild/run-7", JobID: "run-7", Attempt: 1}
	res, err := b.Extract(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if res.URI != "gs://bucket/rebuild/run-7/a1/" || res.Pattern != "gs://bucket/rebuild/run-7/a1/part-*.json" || res.Files != 3 || res.Rows != 120 ||
		!regexp.MustCompile(`^clickstream_export_run-7_a1_[0-9a-f]{12}$`).MatchString(res.JobID) {
		t.Errorf("Extract: %+v, want folder gs://bucket/rebuild/run-7/a1/, pattern gs://bucket/rebuild/run-7/a1/part-*.json, 3 files, 120 rows, job clickstream_export_run-7_a1_<digest>", res)
	}

	jobs := f.InsertedJobs()
	if len(jobs) != 1 || jobs[0].JobReference.JobId != res.JobID || jobs[0].Configuration.Query == nil {
		t.Fatalf("jobs %v, want the one query job %s", jobs, res.JobID)
	}
	if loc := jobs[0].JobReference.Location; loc != "US" {
		t.Errorf("export runs in %q, want US", loc)
	}
	sql := jobs[0].Configuration.Query.Query
	head := "EXPORT DATA OPTIONS (uri = 'gs://bucket/rebuild/run-7/a1/part-*.json', format = 'JSON', overwrite = true) AS\nSELECT\n  "
	tail := "\nFROM `src-proj`.`clickstream_lake`.`visits`\nWHERE (" + where + ")"
	if !strings.HasPrefix(sql, head) || !strings.HasSuffix(sql, tail) {
		t.Fatalf("export statement:\n%s\nwant it to start with\n%s\nand end with\n%s", sql, head, tail)
	}
	// The columns: the input's session fields and events, nothing else.
	var cols []string
	for _, c := range strings.Split(strings.TrimSuffix(strings.TrimPrefix(sql, head), tail), ",\n  ") {
		cols = append(cols, c[strings.LastIndex(c, " AS ")+4:])
	}
	if want := []string{"`session_id`", "`user_id`", "`device_type`", "`geolocation`", "`user_agent`", "`events`"}; !slices.Equal(cols, want) {
		t.Errorf("exported columns %v, want %v", cols, want)
	}
	for _, want := range []string{
		"ARRAY(SELECT AS STRUCT STRUCT(x1.`event`.`event_type` AS `event_type`, ",
		"FORMAT_TIMESTAMP('%E4Y-%m-%dT%H:%M:%E6SZ', x1.`event`.`timestamp`, 'UTC') AS `timestamp`",
		"CAST(x1.`event`.`details`.`quantity` AS FLOAT64) AS `quantity`",
		"x1.`event`.`details`.`price` AS `price`",
		"ARRAY(SELECT AS STRUCT CAST(x2.`quantity` AS FLOAT64) AS `quantity`, x2.`price` AS `price`, x2.`category` AS `category`, x2.`product_name` AS `product_name`, x2.`product_id` AS `product_id` FROM UNNEST(x1.`event`.`details`.`items`) AS x2 WITH OFFSET AS o2 ORDER BY o2) AS `items`",
		") AS `details`) AS `event` FROM UNNEST(`events`) AS x1 WITH OFFSET AS o1 ORDER BY o1) AS `events`",
	} {
		if !strings.Contains(sql, want) {
			t.Errorf("export statement does not contain %q", want)
		}
	}
	if n := strings.Count(sql, "AS FLOAT64"); n != 2 {
		t.Errorf("%d casts to FLOAT64, want the 2 INTEGER fields (details.quantity, items.quantity)", n)
	}
	for _, lineage := range []string{"session_key", "event_id", "source_object", "source_line", "run_id"} {
		if strings.Contains(sql, lineage) {
			t.Errorf("export statement selects %s, which is not input", lineage)
		}
	}

	// The same request re-attaches; another one runs another job.
	again, err := b.Extract(context.Background(), req)
	if err != nil || again != res {
		t.Errorf("Extract again: %+v, %v; want %+v", again, err, res)
	}
	if got := insertStatuses(t, f)[res.JobID]; !slices.Equal(got, []int{http.StatusOK, http.StatusConflict}) {
		t.Errorf("export job inserted with answers %v, want 200 then 409", got)
	}
	req.Where = ""
	other, err := b.Extract(context.Background(), req)
	if err != nil || other.JobID == res.JobID {
		t.Errorf("Extract of every session: job %s, %v; want a job other than %s", other.JobID, err, res.JobID)
	}
	if sql := f.Job(other.JobID).Configuration.Query.Query; strings.Contains(sql, "WHERE (") {
		t.Errorf("export without Where has a WHERE clause:\n%s", sql)
	}
}

// TestBigQueryExtractRetried: an export whose job fails with backendError
// fails at once, retryable; the next attempt runs a job of its own (not the
// failed one re-attached) into a folder of its own, and its result names
// that folder alone.
func TestBigQueryExtractRetried(t *testing.T) {
	f := newFakeBigQuery(t)
	f.running = 1
	failed := ""
	f.fail = func(job *bqapi.Job) []*bqapi.ErrorProto {
		if failed == "" {
			failed = job.JobReference.JobId
			return []*bqapi.ErrorProto{{Reason: "backendError", Message: "Backend error. Job aborted."}}
		}
		return nil
	}
	b := openFake(t, f, bigquery.Options{})
	bigquery.SetPoll(b, time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req := bigquery.ExtractRequest{Table: "p.clickstream_lake.visits", DestinationURI: "gs://stage/run-7/export/", JobID: "run-7", Attempt: 1}
	start := time.Now()
	_, err := b.Extract(ctx, req)
	if err == nil || !strings.Contains(err.Error(), "backendError") || errors.Is(err, warehouse.ErrSchema) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("attempt 1: %v, want the job's backendError, retryable", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("attempt 1 failed after %v, want within seconds", took)
	}
	req.Attempt = 2
	res, err := b.Extract(ctx, req)
	if err != nil {
		t.Fatalf("attempt 2: %v", err)
	}
	if res.JobID == failed || !strings.Contains(res.JobID, "_a2_") || !strings.Contains(failed, "_a1_") {
		t.Errorf("attempts ran jobs %s and %s, want one each, named by attempt", failed, res.JobID)
	}
	if res.URI != "gs://stage/run-7/export/a2/" {
		t.Errorf("attempt 2 wrote to %s, want gs://stage/run-7/export/a2/", res.URI)
	}
	uris := map[string]string{}
	for _, j := range f.InsertedJobs() {
		sql := j.Configuration.Query.Query
		uris[j.JobReference.JobId] = sql[strings.Index(sql, "uri = '")+7 : strings.Index(sql, "', format")]
	}
	if uris[failed] != "gs://stage/run-7/export/a1/part-*.json" || uris[res.JobID] != "gs://stage/run-7/export/a2/part-*.json" {
		t.Errorf("the attempts wrote %v, want a1/ then a2/", uris)
	}
	for id, statuses := range insertStatuses(t, f) {
		if !slices.Equal(statuses, []int{http.StatusOK}) {
			t.Errorf("job %s inserted with answers %v, want one 200: nothing re-attached", id, statuses)
		}
	}
}

func TestBigQueryExtractRefuses(t *testing.T) {
	ok := bigquery.ExtractRequest{Table: "p.d.visits", DestinationURI: "gs://bkt/x/", JobID: "j"}
	for _, tt := range []struct {
		name        string
		edit        func(*bigquery.ExtractRequest)
		errContains string
	}{
		{"two-part table", func(r *bigquery.ExtractRequest) { r.Table = "d.visits" }, "want project.dataset.table"},
		{"backquote", func(r *bigquery.ExtractRequest) { r.Table = "p.d.vis`its" }, "want project.dataset.table"},
		{"local destination", func(r *bigquery.ExtractRequest) { r.DestinationURI = "/tmp/x" }, "want gs://bucket/prefix/"},
		{"wildcard destination", func(r *bigquery.ExtractRequest) { r.DestinationURI = "gs://bkt/x*/" }, "without '*'"},
		{"no job id", func(r *bigquery.ExtractRequest) { r.JobID = "" }, "JobID is required"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeBigQuery(t)
			b := openFake(t, f, bigquery.Options{})
			req := ok
			tt.edit(&req)
			if _, err := b.Extract(context.Background(), req); err == nil || !strings.Contains(err.Error(), tt.errContains) {
				t.Errorf("Extract: %v, want an error containing %q", err, tt.errContains)
			}
			if n := len(f.Requests()); n > 0 {
				t.Errorf("%d requests sent, want none", n)
			}
		})
	}
	// A domain-scoped project holds a dot.
	f := newFakeBigQuery(t)
	req := ok
	req.Table = "example.com:proj.d.visits"
	if _, err := openFake(t, f, bigquery.Options{}).Extract(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if sql := f.InsertedJobs()[0].Configuration.Query.Query; !strings.Contains(sql, "\nFROM `example.com:proj`.`d`.`visits`") {
		t.Errorf("export of a domain-scoped project's table:\n%s", sql)
	}
}

func TestExtractDaysWhere(t *testing.T) {
	const day = "DATE(e.`event`.`timestamp`, 'UTC')"
	for _, tt := range []struct {
		from, to, want, errContains string
	}{
		{"", "", "", ""},
		{"2024-01-30", "", "EXISTS (SELECT 1 FROM UNNEST(`events`) AS e WHERE " + day + " >= DATE '2024-01-30')", ""},
		{"", "2024-02-01", "EXISTS (SELECT 1 FROM UNNEST(`events`) AS e WHERE " + day + " <= DATE '2024-02-01')", ""},
		{"2024-01-30", "2024-02-01", "EXISTS (SELECT 1 FROM UNNEST(`events`) AS e WHERE " + day + " >= DATE '2024-01-30' AND " + day + " <= DATE '2024-02-01')", ""},
		{"2024-1-30", "", "", `day "2024-1-30": want YYYY-MM-DD`},
		{"", "2024-02-01'; DROP", "", "want YYYY-MM-DD"},
	} {
		got, err := bigquery.ExtractDaysWhere(tt.from, tt.to)
		if tt.errContains != "" {
			if err == nil || !strings.Contains(err.Error(), tt.errContains) {
				t.Errorf("ExtractDaysWhere(%q, %q): %v, want an error containing %q", tt.from, tt.to, err, tt.errContains)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ExtractDaysWhere(%q, %q) = %q, %v; want %q", tt.from, tt.to, got, err, tt.want)
		}
	}
}

// TestBigQueryExportGA4 checks the GA4 export's statement where the real
// client sends it: the daily tables of the days by _TABLE_SUFFIX, intraday
// tables left out unless asked for, the limit after an order, JSON to the
// run's folder, a deterministic job that re-attaches.
func TestBigQueryExportGA4(t *testing.T) {
	f := newFakeBigQuery(t)
	f.exported = bqapi.ExportDataStatistics{FileCount: 2, RowCount: 1000}
	b := openFake(t, f, bigquery.Options{})
	req := bigquery.GA4ExportRequest{Tables: "ga4-proj.analytics_123456.events_*", From: "2021-01-01", To: "2021-01-31",
		Limit: 1000, DestinationURI: "gs://bucket/staging/run-9/export", JobID: "run-9", Attempt: 2}
	res, err := b.ExportGA4(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if res.URI != "gs://bucket/staging/run-9/export/a2/" || res.Pattern != "gs://bucket/staging/run-9/export/a2/part-*.json" ||
		res.Files != 2 || res.Rows != 1000 || !regexp.MustCompile(`^clickstream_export_run-9_a2_[0-9a-f]{12}$`).MatchString(res.JobID) {
		t.Errorf("ExportGA4: %+v", res)
	}
	jobs := f.InsertedJobs()
	if len(jobs) != 1 || jobs[0].Configuration.Query == nil || jobs[0].JobReference.JobId != res.JobID {
		t.Fatalf("jobs %v, want the one query job %s", jobs, res.JobID)
	}
	want := "EXPORT DATA OPTIONS (uri = 'gs://bucket/staging/run-9/export/a2/part-*.json', format = 'JSON', overwrite = true) AS\n" +
		"SELECT *\nFROM `ga4-proj.analytics_123456.events_*`\n" +
		"WHERE REGEXP_CONTAINS(_TABLE_SUFFIX, r'^[0-9]{8}$') AND _TABLE_SUFFIX >= '20210101' AND _TABLE_SUFFIX <= '20210131'\n" +
		"ORDER BY event_timestamp, user_pseudo_id, event_name\nLIMIT 1000"
	if got := jobs[0].Configuration.Query.Query; got != want {
		t.Errorf("export statement:\n%s\nwant\n%s", got, want)
	}
	if q := jobs[0].Configuration.Query; q.UseLegacySql != nil && *q.UseLegacySql {
		t.Errorf("export runs as legacy SQL")
	}

	again, err := b.ExportGA4(context.Background(), req)
	if err != nil || again != res {
		t.Errorf("ExportGA4 again: %+v, %v; want %+v", again, err, res)
	}

	req.Intraday, req.Limit, req.To = true, 0, ""
	other, err := b.ExportGA4(context.Background(), req)
	if err != nil || other.JobID == res.JobID {
		t.Fatalf("ExportGA4 with intraday: %+v, %v; want another job", other, err)
	}
	sql := f.Job(other.JobID).Configuration.Query.Query
	for _, s := range []string{"REGEXP_CONTAINS(_TABLE_SUFFIX, r'^(intraday_)?[0-9]{8}$')", "RIGHT(_TABLE_SUFFIX, 8) >= '20210101'"} {
		if !strings.Contains(sql, s) {
			t.Errorf("intraday export statement lacks %q:\n%s", s, sql)
		}
	}
	for _, s := range []string{"LIMIT", "<= '"} {
		if strings.Contains(sql, s) {
			t.Errorf("export without limit or end day has %q:\n%s", s, sql)
		}
	}

	for _, bad := range []bigquery.GA4ExportRequest{
		{Tables: "p.d.visits", DestinationURI: "gs://bkt/x/", JobID: "j"},
		{Tables: "p.d.events_*", DestinationURI: "/tmp/x", JobID: "j"},
		{Tables: "p.d.events_*", DestinationURI: "gs://bkt/x/", JobID: "j", From: "2021-1-1"},
		{Tables: "p.d.events_*", DestinationURI: "gs://bkt/x/"},
	} {
		n := len(f.Requests())
		if _, err := b.ExportGA4(context.Background(), bad); err == nil {
			t.Errorf("ExportGA4(%+v) succeeded", bad)
		}
		if len(f.Requests()) != n {
			t.Errorf("ExportGA4(%+v) sent requests", bad)
		}
	}
}
