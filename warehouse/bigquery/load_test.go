package bigquery_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	bqapi "google.golang.org/api/bigquery/v2"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/models"
	"github.com/clickstream-platform/clickstream/warehouse"
	"github.com/clickstream-platform/clickstream/warehouse/bigquery"
)

// bqFiles are staged files of one table; the first is listed twice.
func bqFiles(table string) []string {
	return []string{
		"gs://stage/run-1/b0/" + table + ".ndjson",
		"gs://stage/run-1/b1/" + table + ".ndjson",
		"gs://stage/run-1/b0/" + table + ".ndjson",
	}
}

// bqRequest loads bqFiles into table in mode, as the Load activity asks
// it: the slice of the mode (see testSlice), the objects read.
func bqRequest(table string, mode warehouse.Mode) warehouse.LoadRequest {
	return warehouse.LoadRequest{Table: table, Files: bqFiles(table), Mode: mode, Slice: testSlice(mode),
		Objects: testObjects, RunID: "run-1", Attempt: 1}
}

// jobIDRE splits a load's job id: run, table, step, attempt, digest.
var jobIDRE = regexp.MustCompile(`^clickstream_([A-Za-z0-9_-]+)_(visits|sessions|pageview_events|addtocart_events|purchase_events|ga4_events)_(load|load-\d+|count-before|write|write-r\d+|count-after)_a(-?\d+)_([0-9a-f]{12})$`)

// step returns the step a job id names, failing the test if the id is not
// one of a load's.
func step(t *testing.T, id string) string {
	t.Helper()
	m := jobIDRE.FindStringSubmatch(id)
	if m == nil {
		t.Fatalf("job id %q is not clickstream_<run>_<table>_<step>_a<attempt>_<digest>", id)
	}
	return m[3]
}

// jobsByStep returns the jobs inserted, by step, and the steps in order.
func jobsByStep(t *testing.T, f *fakeBigQuery) (map[string]*bqapi.Job, []string) {
	t.Helper()
	jobs := map[string]*bqapi.Job{}
	var steps []string
	for _, j := range f.InsertedJobs() {
		s := step(t, j.JobReference.JobId)
		jobs[s] = j
		steps = append(steps, s)
	}
	return jobs, steps
}

func sqlName(tbl clickstream.Table) string {
	ds := "clickstream_dw"
	if tbl.Dataset == clickstream.Lake {
		ds = "clickstream_lake"
	}
	return fmt.Sprintf("`%s`.`%s`.`%s`", fakeProject, ds, tbl.Name)
}

func columnList(tbl clickstream.Table, prefix string) string {
	var cols []string
	for _, f := range tbl.Fields {
		cols = append(cols, prefix+"`"+f.Name+"`")
	}
	return strings.Join(cols, ", ")
}

func loadOK(t *testing.T, b *bigquery.Warehouse, req warehouse.LoadRequest) warehouse.LoadResult {
	t.Helper()
	res, err := b.Load(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestBigQueryLoadReplace(t *testing.T) {
	f := newFakeBigQuery(t)
	b := openFake(t, f, bigquery.Options{})
	f.values = map[string]int64{"distinct_keys": 3, "rows_before": 7, "rows_after": 3, "slice_rows": 2}
	f.outputRows = func([]string) int64 { return 5 }
	start := time.Now()
	req := bqRequest("sessions", warehouse.Replace)
	res := loadOK(t, b, req)
	want := warehouse.LoadResult{Table: "sessions", Staged: 5, Distinct: 3, Before: 7, After: 3, Added: -4, SliceRows: 2}
	if res != want {
		t.Errorf("Load: %+v, want %+v", res, want)
	}

	jobs, steps := jobsByStep(t, f)
	if want := []string{"load", "count-before", "write", "count-after"}; !slices.Equal(steps, want) {
		t.Fatalf("jobs %v, want %v", steps, want)
	}
	for _, j := range jobs {
		if j.JobReference.Location != "US" || j.JobReference.ProjectId != fakeProject {
			t.Errorf("job %s runs in %s/%s, want %s/US", j.JobReference.JobId, j.JobReference.ProjectId, j.JobReference.Location, fakeProject)
		}
		if q := j.Configuration.Query; q != nil && (q.UseLegacySql == nil || *q.UseLegacySql) {
			t.Errorf("job %s is legacy SQL", j.JobReference.JobId)
		}
	}

	sessions, _ := clickstream.LookupTable("sessions")
	load := jobs["load"].Configuration.Load
	if want := bqFiles("sessions")[:2]; !slices.Equal(load.SourceUris, want) {
		t.Errorf("load job URIs %v, want %v (each file once, in order)", load.SourceUris, want)
	}
	if load.SourceFormat != "NEWLINE_DELIMITED_JSON" || load.WriteDisposition != "WRITE_TRUNCATE" ||
		load.CreateDisposition != "CREATE_IF_NEEDED" || load.Autodetect || load.IgnoreUnknownValues || load.MaxBadRecords != 0 {
		t.Errorf("load job: format %s, write %s, create %s, autodetect %v, ignoreUnknownValues %v, maxBadRecords %d; want NEWLINE_DELIMITED_JSON, WRITE_TRUNCATE, CREATE_IF_NEEDED, false, false, 0",
			load.SourceFormat, load.WriteDisposition, load.CreateDisposition, load.Autodetect, load.IgnoreUnknownValues, load.MaxBadRecords)
	}
	// Only these members are sent (the false and zero options are left out,
	// BigQuery's defaults), no Parquet option.
	if got, want := loadConfigKeys(t, f, "load"), []string{"createDisposition", "destinationTable", "schema", "sourceFormat", "sourceUris", "writeDisposition"}; !slices.Equal(got, want) {
		t.Errorf("load configuration sends %v, want %v", got, want)
	}
	for _, r := range f.Requests(routeJobsInsert) {
		if strings.Contains(string(r.Body), "autodetect") {
			t.Errorf("a job insert mentions autodetect: %s", r.Body)
		}
	}
	checkFields(t, "load job schema", load.Schema.Fields, sessions.Fields)
	dst := load.DestinationTable
	if dst.ProjectId != fakeProject || dst.DatasetId != "clickstream_dw" || !regexp.MustCompile(`^_staging_run_1_sessions_a1_[0-9a-f]{12}$`).MatchString(dst.TableId) {
		t.Errorf("load job writes %s.%s.%s, want test-proj.clickstream_dw._staging_run_1_sessions_a1_<digest>", dst.ProjectId, dst.DatasetId, dst.TableId)
	}
	staging := fmt.Sprintf("`%s`.`%s`.`%s`", dst.ProjectId, dst.DatasetId, dst.TableId)

	// The staging table is created first, expiring in a day; the expiration
	// is set again after the load; the table is dropped at the end.
	var created bqapi.Table
	inserts := f.Requests(routeTablesInsert)
	inserts[len(inserts)-1].decode(t, &created)
	if created.TableReference.TableId != dst.TableId {
		t.Fatalf("last table created is %s, want the staging table %s", created.TableReference.TableId, dst.TableId)
	}
	checkFields(t, "staging table", created.Schema.Fields, sessions.Fields)
	exp := time.UnixMilli(created.ExpirationTime)
	if exp.Before(start.Add(23*time.Hour)) || exp.After(time.Now().Add(25*time.Hour)) {
		t.Errorf("staging table expires at %v, want in a day", exp)
	}
	if p := f.Requests(routeTablesPatch); len(p) != 1 || !strings.HasSuffix(p[0].Path, "/"+dst.TableId) || !strings.Contains(string(p[0].Body), "expirationTime") {
		t.Errorf("patches %v, want one setting the staging table's expiration", p)
	}
	all := f.Requests()
	if last := all[len(all)-1]; last.Route != routeTablesDelete || !strings.HasSuffix(last.Path, "/"+dst.TableId) || last.Status != http.StatusNoContent {
		t.Errorf("last request %s %s %d, want the staging table's deletion", last.Method, last.Path, last.Status)
	}

	checkWriteSQL(t, jobs["write"].Configuration.Query.Query, sessions, req, staging)
	wantBefore := "SELECT\n  (SELECT COUNT(*) FROM (SELECT DISTINCT `session_key` FROM " + staging + ")) AS distinct_keys,\n  (SELECT COUNT(*) FROM `test-proj`.`clickstream_dw`.`sessions`) AS rows_before"
	if got := jobs["count-before"].Configuration.Query.Query; got != wantBefore {
		t.Errorf("count-before:\n%s\nwant\n%s", got, wantBefore)
	}
	wantAfter := "SELECT\n  (SELECT COUNT(*) FROM `test-proj`.`clickstream_dw`.`sessions`) AS rows_after,\n" +
		"  (SELECT COUNT(*) FROM `test-proj`.`clickstream_dw`.`sessions` AS t WHERE " + inSlice("t.`source_object`") + ") AS slice_rows"
	if got := jobs["count-after"].Configuration.Query.Query; got != wantAfter {
		t.Errorf("count-after:\n%s\nwant\n%s", got, wantAfter)
	}
}

// TestBigQueryLoadNoFiles: a load without files still writes what its
// slice or objects ask (a slice replaced by nothing, an object rewritten
// without valid lines, the ledger); with neither it writes nothing.
func TestBigQueryLoadNoFiles(t *testing.T) {
	for _, tt := range []struct {
		name  string
		table string
		mode  warehouse.Mode
		slice warehouse.Slice
		objs  []warehouse.SourceObject
		write bool
	}{
		{"replace", clickstream.PageviewsTable, warehouse.Replace, testSlice(warehouse.Replace), testObjects, true},
		{"merge of objects read", clickstream.PageviewsTable, warehouse.Merge, testSlice(warehouse.Merge), testObjects, true},
		{"merge of nothing", clickstream.PageviewsTable, warehouse.Merge, warehouse.Slice{}, nil, false},
		{"lake replace", clickstream.VisitsTable, warehouse.Replace, testSlice(warehouse.Replace), nil, true},
		{"lake merge of objects read", clickstream.VisitsTable, warehouse.Merge, testSlice(warehouse.Merge), testObjects, true},
		{"lake merge of nothing", clickstream.VisitsTable, warehouse.Merge, warehouse.Slice{}, nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeBigQuery(t)
			b := openFake(t, f, bigquery.Options{})
			f.values = map[string]int64{"rows_before": 4, "rows_after": 3, "slice_rows": 1}
			req := warehouse.LoadRequest{Table: tt.table, Mode: tt.mode, Slice: tt.slice, Objects: tt.objs, RunID: "run-1", Attempt: 1}
			res := loadOK(t, b, req)
			want := warehouse.LoadResult{Table: tt.table, Before: 4, After: 3, Added: -1, SliceRows: 1}
			if res != want {
				t.Errorf("Load: %+v, want %+v", res, want)
			}
			jobs, steps := jobsByStep(t, f)
			wantSteps := []string{"count-before", "count-after"}
			if tt.write {
				wantSteps = []string{"count-before", "write", "count-after"}
				tbl, _ := clickstream.LookupTable(tt.table)
				checkWriteSQL(t, jobs["write"].Configuration.Query.Query, tbl, req, "")
			}
			if !slices.Equal(steps, wantSteps) {
				t.Errorf("jobs %v, want %v", steps, wantSteps)
			}
			if got := jobs["count-before"].Configuration.Query.Query; !strings.HasPrefix(got, "SELECT 0 AS distinct_keys, ") {
				t.Errorf("count-before without files: %s", got)
			}
			// The tables the statements use are created, the lake table
			// first; no staging table.
			var created []string
			for _, r := range f.Requests(routeTablesInsert, routeTablesDelete, routeTablesPatch) {
				var tbl bqapi.Table
				r.decode(t, &tbl)
				created = append(created, r.Method+" "+tbl.TableReference.TableId)
			}
			wantCreated := []string{"POST visits", "POST " + tt.table}
			if tt.table == clickstream.VisitsTable {
				wantCreated = []string{"POST visits", "POST " + warehouse.LedgerTable, "POST " + models.ChangesTable}
			}
			if !slices.Equal(created, wantCreated) {
				t.Errorf("table requests %v, want %v", created, wantCreated)
			}
		})
	}
}

func TestBigQueryLoadManyFiles(t *testing.T) {
	f := newFakeBigQuery(t)
	b := openFake(t, f, bigquery.Options{})
	files := make([]string, 10_001)
	for i := range files {
		files[i] = fmt.Sprintf("gs://stage/run-1/b%05d/sessions.ndjson", i)
	}
	res := loadOK(t, b, warehouse.LoadRequest{Table: "sessions", Files: files, Mode: warehouse.Merge, RunID: "run-1", Attempt: 3})
	if res.Staged != 10_001 {
		t.Errorf("Staged %d, want the 10001 rows of both load jobs", res.Staged)
	}
	jobs, steps := jobsByStep(t, f)
	if want := []string{"load-1", "load-2", "count-before", "write", "count-after"}; !slices.Equal(steps, want) {
		t.Fatalf("jobs %v, want %v", steps, want)
	}
	l1, l2 := jobs["load-1"].Configuration.Load, jobs["load-2"].Configuration.Load
	if len(l1.SourceUris) != 10_000 || l1.WriteDisposition != "WRITE_TRUNCATE" || !slices.Equal(l1.SourceUris, files[:10_000]) {
		t.Errorf("load-1: %d URIs, %s; want the first 10000, WRITE_TRUNCATE", len(l1.SourceUris), l1.WriteDisposition)
	}
	if !slices.Equal(l2.SourceUris, files[10_000:]) || l2.WriteDisposition != "WRITE_APPEND" {
		t.Errorf("load-2: %v, %s; want the last URI, WRITE_APPEND", l2.SourceUris, l2.WriteDisposition)
	}
	if d1, d2 := l1.DestinationTable, l2.DestinationTable; d1.DatasetId != d2.DatasetId || d1.TableId != d2.TableId {
		t.Errorf("the load jobs write %s.%s and %s.%s, want the same staging table", d1.DatasetId, d1.TableId, d2.DatasetId, d2.TableId)
	}
}

// jobIDs loads req on a fresh fake and returns the ids of its jobs and its
// staging table.
func jobIDs(t *testing.T, req warehouse.LoadRequest) (ids []string, staging string) {
	t.Helper()
	f := newFakeBigQuery(t)
	loadOK(t, openFake(t, f, bigquery.Options{}), req)
	for _, j := range f.InsertedJobs() {
		ids = append(ids, j.JobReference.JobId)
		if j.Configuration.Load != nil {
			staging = j.Configuration.Load.DestinationTable.TableId
		}
	}
	return ids, staging
}

func TestBigQueryJobIDs(t *testing.T) {
	req := bqRequest("sessions", warehouse.Replace)
	ids, staging := jobIDs(t, req)
	again, staging2 := jobIDs(t, req)
	if !slices.Equal(ids, again) || staging != staging2 {
		t.Errorf("the same request gave jobs %v and %v, staging tables %s and %s; want the same", ids, again, staging, staging2)
	}
	for _, id := range ids {
		if !strings.HasPrefix(id, "clickstream_run-1_sessions_") || !strings.Contains(id, "_a1_") {
			t.Errorf("job id %s, want clickstream_run-1_sessions_<step>_a1_<digest>", id)
		}
	}

	req.Attempt = 2
	retried, staging3 := jobIDs(t, req)
	for i, id := range retried {
		if id == ids[i] || !strings.Contains(id, "_a2_") || step(t, id) != step(t, ids[i]) {
			t.Errorf("attempt 2's job %s, want a fresh id for step %s of attempt 2", id, step(t, ids[i]))
		}
	}
	if staging3 == staging {
		t.Errorf("attempt 2 stages into %s as attempt 1 did", staging)
	}

	for name, edit := range map[string]func(*warehouse.LoadRequest){
		"other files":   func(r *warehouse.LoadRequest) { r.Files = r.Files[1:] },
		"another slice": func(r *warehouse.LoadRequest) { r.Slice.Prefixes = r.Slice.Prefixes[1:] },
		"other objects": func(r *warehouse.LoadRequest) { r.Objects = r.Objects[1:] },
		"a generation": func(r *warehouse.LoadRequest) {
			r.Objects = []warehouse.SourceObject{testObjects[0], testObjects[1]}
			r.Objects[0].Generation++
		},
	} {
		other := bqRequest("sessions", warehouse.Replace)
		edit(&other)
		if ids2, _ := jobIDs(t, other); ids2[0] == ids[0] {
			t.Errorf("%s gave the same load job id %s", name, ids2[0])
		}
	}

	valid := regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	for _, tt := range []struct{ name, run, prefix string }{
		{"odd characters", "run/ü 1:x", "clickstream_run____1_x_sessions_load_a1_"},
		{"long", strings.Repeat("r", 5000), "clickstream_" + strings.Repeat("r", 512) + "_sessions_load_a1_"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := bqRequest("sessions", warehouse.Replace)
			req.RunID = tt.run
			ids, staging := jobIDs(t, req)
			if !strings.HasPrefix(ids[0], tt.prefix) {
				t.Errorf("load job id %s, want it to start with %s", ids[0], tt.prefix)
			}
			for _, id := range ids {
				if !valid.MatchString(id) || len(id) > 1024 {
					t.Errorf("job id %q: want up to 1024 of [A-Za-z0-9_-]", id)
				}
			}
			if !regexp.MustCompile(`^[A-Za-z0-9_]+$`).MatchString(staging) || len(staging) > 1024 {
				t.Errorf("staging table %q: want up to 1024 of [A-Za-z0-9_]", staging)
			}
		})
	}
	a, _ := jobIDs(t, warehouse.LoadRequest{Table: "sessions", Mode: warehouse.Merge, RunID: "run/1"})
	b, _ := jobIDs(t, warehouse.LoadRequest{Table: "sessions", Mode: warehouse.Merge, RunID: "run_1"})
	if a[0] == b[0] {
		t.Errorf("runs run/1 and run_1 share job id %s", a[0])
	}
}

// insertStatuses returns the statuses of the inserts of each job id, dry
// runs aside.
func insertStatuses(t *testing.T, f *fakeBigQuery) map[string][]int {
	out := map[string][]int{}
	for _, r := range f.Requests(routeJobsInsert) {
		var job bqapi.Job
		r.decode(t, &job)
		if job.Configuration != nil && job.Configuration.DryRun {
			continue
		}
		out[job.JobReference.JobId] = append(out[job.JobReference.JobId], r.Status)
	}
	return out
}

func TestBigQueryLoadReattaches(t *testing.T) {
	t.Run("the same attempt again", func(t *testing.T) {
		f := newFakeBigQuery(t)
		b := openFake(t, f, bigquery.Options{})
		f.values = map[string]int64{"distinct_keys": 2, "rows_before": 1, "rows_after": 3}
		req := bqRequest("purchase_events", warehouse.Merge)
		first := loadOK(t, b, req)
		gets := len(f.Requests(routeJobsGet))
		second := loadOK(t, b, req)
		if first != second {
			t.Errorf("the second load gave %+v, the first %+v", second, first)
		}
		for id, statuses := range insertStatuses(t, f) {
			if !slices.Equal(statuses, []int{http.StatusOK, http.StatusConflict}) {
				t.Errorf("job %s inserted with answers %v, want 200 then 409 and no other insert", id, statuses)
			}
		}
		if got := len(f.Requests(routeJobsGet)) - gets; got < 4 {
			t.Errorf("%d jobs.get after the 409s, want the 4 jobs fetched at least", got)
		}
	})

	t.Run("a job inserted earlier", func(t *testing.T) {
		req := bqRequest("sessions", warehouse.Replace)
		ids, staging := jobIDs(t, req)
		f := newFakeBigQuery(t)
		f.jobs[ids[0]] = &bqapi.Job{
			JobReference:  &bqapi.JobReference{ProjectId: fakeProject, JobId: ids[0], Location: "US"},
			Configuration: &bqapi.JobConfiguration{Load: &bqapi.JobConfigurationLoad{DestinationTable: &bqapi.TableReference{ProjectId: fakeProject, DatasetId: "clickstream_dw", TableId: staging}}},
			Status:        &bqapi.JobStatus{State: "DONE"},
			Statistics:    &bqapi.JobStatistics{Load: &bqapi.JobStatistics3{OutputRows: 42}},
		}
		res := loadOK(t, openFake(t, f, bigquery.Options{}), req)
		if res.Staged != 42 {
			t.Errorf("Staged %d, want the 42 rows of the existing load job", res.Staged)
		}
		if got := insertStatuses(t, f)[ids[0]]; !slices.Equal(got, []int{http.StatusConflict}) {
			t.Errorf("load job inserted with answers %v, want one 409", got)
		}
	})

	t.Run("the answer to an insert is lost", func(t *testing.T) {
		f := newFakeBigQuery(t)
		lost := false
		f.reply = func(r fakeRequest, serve func() (int, any)) (int, any) {
			status, body := serve()
			if r.Route == routeJobsInsert && !lost && strings.Contains(string(r.Body), `"load"`) {
				lost = true // the job exists, but the client hears 503
				return fakeError(http.StatusServiceUnavailable, "backendError", "connection reset")
			}
			return status, body
		}
		b := openFake(t, f, bigquery.Options{})
		res := loadOK(t, b, bqRequest("sessions", warehouse.Merge))
		if res.Staged != 2 {
			t.Errorf("Staged %d, want 2", res.Staged)
		}
		for id, statuses := range insertStatuses(t, f) {
			want := []int{http.StatusOK}
			if step(t, id) == "load" {
				want = []int{http.StatusServiceUnavailable, http.StatusConflict}
			}
			if !slices.Equal(statuses, want) {
				t.Errorf("job %s inserted with answers %v, want %v", id, statuses, want)
			}
		}
	})
}

func TestBigQueryLoadRefuses(t *testing.T) {
	for _, tt := range []struct {
		name        string
		req         warehouse.LoadRequest
		errContains string
		notFound    bool
	}{
		{"local file", warehouse.LoadRequest{Table: "sessions", Mode: warehouse.Merge, RunID: "r", Files: []string{"/data/stage/x.ndjson"}},
			`staged file "/data/stage/x.ndjson": BigQuery loads gs://bucket/object URIs only`, true},
		{"bucket only", warehouse.LoadRequest{Table: "sessions", Mode: warehouse.Merge, RunID: "r", Files: []string{"gs://stage"}}, "gs://bucket/object", true},
		{"wildcard", warehouse.LoadRequest{Table: "sessions", Mode: warehouse.Merge, RunID: "r", Files: []string{"gs://stage/x*.ndjson"}}, "wildcard", true},
		{"no run", warehouse.LoadRequest{Table: "sessions", Mode: warehouse.Merge}, "RunID is required", false},
		{"formats mixed", warehouse.LoadRequest{Table: "sessions", Mode: warehouse.Merge, RunID: "r",
			Files: []string{"gs://stage/a.parquet", "gs://stage/b.ndjson", "gs://stage/c.parquet"}},
			"schema mismatch: the staged files mix Parquet (gs://stage/a.parquet) and NDJSON (gs://stage/b.ndjson)", false},
		{"unknown table", warehouse.LoadRequest{Table: "nope", Mode: warehouse.Merge, RunID: "r"}, "loading nope: no such table", false},
		{"unknown mode", warehouse.LoadRequest{Table: "sessions", Mode: "upsert", RunID: "r"}, `load mode "upsert"`, false},
		{"replace without a slice", warehouse.LoadRequest{Table: "sessions", Mode: warehouse.Replace, RunID: "r", Files: bqFiles("sessions")},
			"loading test-proj.clickstream_dw.sessions: a replace needs the slice it replaces", false},
		{"lake replace without a slice", warehouse.LoadRequest{Table: "visits", Mode: warehouse.Replace, RunID: "r", Objects: testObjects},
			"loading test-proj.clickstream_lake.visits: a replace needs the slice it replaces", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeBigQuery(t)
			b := openFake(t, f, bigquery.Options{})
			_, err := b.Load(context.Background(), tt.req)
			if err == nil || !strings.Contains(err.Error(), tt.errContains) {
				t.Errorf("Load: %v, want an error containing %q", err, tt.errContains)
			}
			if tt.notFound != errors.Is(err, warehouse.ErrNotFound) {
				t.Errorf("Load: %v; wraps ErrNotFound: %v, want %v", err, !tt.notFound, tt.notFound)
			}
			if n := len(f.Requests()); n > 0 {
				t.Errorf("%d requests sent, want none", n)
			}
		})
	}
}

// TestBigQueryLoadBytesProcessed: a load reports the sum of what its query
// jobs processed, as their statistics say, the write's script included;
// its load jobs bill nothing.
func TestBigQueryLoadBytesProcessed(t *testing.T) {
	processed := func(sql string) int64 {
		switch {
		case strings.Contains(sql, "AS rows_before"):
			return 1
		case strings.Contains(sql, "AS rows_after"):
			return 20
		case strings.Contains(sql, "BEGIN TRANSACTION"):
			return 300_000_000_000
		}
		t.Errorf("a query job of no step: %s", sql)
		return 0
	}
	for _, table := range []string{clickstream.VisitsTable, clickstream.AddtocartsTable} {
		t.Run(table, func(t *testing.T) {
			f := newFakeBigQuery(t)
			f.processed = processed
			b := openFake(t, f, bigquery.Options{})
			req := bqRequest(table, warehouse.Merge)
			res := loadOK(t, b, req)
			if res.BytesProcessed != 300_000_000_021 {
				t.Errorf("BytesProcessed %d, want 300000000021: count-before's 1, the write's 3e11 and count-after's 20", res.BytesProcessed)
			}
			// Loaded again, every job re-attached: the same figure, from the
			// jobs' statistics.
			if again := loadOK(t, b, req); again != res {
				t.Errorf("loaded again: %+v, want %+v", again, res)
			}
			req.Slice, req.Files, req.Objects = warehouse.Slice{}, nil, nil
			if res := loadOK(t, b, req); res.BytesProcessed != 21 {
				t.Errorf("a load without a write: BytesProcessed %d, want the counts' 21", res.BytesProcessed)
			}
		})
	}
}

func TestBigQueryLoadKeepBefore(t *testing.T) {
	f := newFakeBigQuery(t)
	b := openFake(t, f, bigquery.Options{})
	f.values = map[string]int64{"distinct_keys": 3, "rows_before": 7, "rows_after": 3}
	f.outputRows = func([]string) int64 { return 5 }
	req := bqRequest("sessions", warehouse.Replace)
	req.KeepBefore = func(_ context.Context, before int64) (int64, error) {
		if before != 7 {
			t.Errorf("KeepBefore(%d), want the count-before's 7", before)
		}
		return 9, nil
	}
	res := loadOK(t, b, req)
	if want := (warehouse.LoadResult{Table: "sessions", Staged: 5, Distinct: 3, Before: 9, After: 3, Added: -6}); res != want {
		t.Errorf("Load: %+v, want %+v", res, want)
	}

	f = newFakeBigQuery(t)
	b = openFake(t, f, bigquery.Options{})
	fail := errors.New("staging unreachable")
	req.KeepBefore = func(context.Context, int64) (int64, error) { return 0, fail }
	if _, err := b.Load(context.Background(), req); !errors.Is(err, fail) {
		t.Fatalf("err = %v, want the KeepBefore's", err)
	}
	if _, steps := jobsByStep(t, f); len(steps) != 2 || steps[1] != "count-before" {
		t.Errorf("jobs %v, want none after count-before", steps)
	}
}
