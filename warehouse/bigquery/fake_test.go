package bigquery_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	bqapi "google.golang.org/api/bigquery/v2"
	"google.golang.org/api/option"

	"github.com/clickstream-platform/clickstream/warehouse/bigquery"
)

// fakeBigQuery is just enough of the BigQuery v2 REST API for the real
// client library: datasets get and insert; tables get, insert, patch and
// delete; jobs insert, get and getQueryResults. It keeps
// datasets, tables and jobs in memory, answers 404 for what it does not
// hold and 409 for an insert of what it holds, finishes every job as soon
// as it is inserted, runs no SQL (query results come from answer), and
// records every request.
type fakeBigQuery struct {
	t   testing.TB
	URL string

	mu       sync.Mutex
	requests []fakeRequest
	datasets map[string]*bqapi.Dataset // by dataset id
	tables   map[string]*bqapi.Table   // by "dataset.table"
	jobs     map[string]*bqapi.Job     // by job id

	// The hooks below are set by a test before it sends requests.

	// reply wraps every answer: it may call serve (the fake's own handling)
	// and pass its answer on or change it, or answer in its place.
	reply func(r fakeRequest, serve func() (int, any)) (int, any)
	// outputRows is what a load job reports it loaded. Default: 1 per URI.
	outputRows func(uris []string) int64
	// values answers a SELECT: the value of each column alias (AS name) it
	// finds in the query outside parentheses, 0 if absent.
	values map[string]int64
	// answer, if set, answers a SELECT in place of values: column names and
	// rows of int64 or string values.
	answer func(sql string) ([]string, [][]any)
	// fail, if set, makes a job finish with its errors (the first is the
	// job's error result); nil lets it succeed.
	fail func(job *bqapi.Job) []*bqapi.ErrorProto
	// processed, if set, is what a query job reports it processed
	// (statistics.totalBytesProcessed and statistics.query's). Default: 0.
	processed func(sql string) int64
	// exported is the statistics an EXPORT DATA job reports.
	exported bqapi.ExportDataStatistics
	// estimated, if set, is what a dry run reports the query would process.
	// Default: 0.
	estimated func(sql string) int64
	// running is how many answers of jobs.get or jobs.getQueryResults say
	// a job is still running before the first that says it is done; the
	// answer to its insert says RUNNING too. Default: 0, every job done as
	// soon as it is inserted.
	running int

	pending map[string]int // jobs.get answers still to say RUNNING, by job id
}

// fakeRequest is one request the fake received, and its answer's status.
type fakeRequest struct {
	Route  string // the handler's pattern, e.g. "POST /projects/{p}/jobs"
	Method string
	Path   string
	Query  url.Values
	Body   []byte
	Status int
}

// decode decodes the request's body into v.
func (r fakeRequest) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("%s %s: decoding %s: %v", r.Method, r.Path, r.Body, err)
	}
}

type fakeHandler func(f *fakeBigQuery, r *http.Request, body []byte) (int, any)

// fakeRoutes is the API the fake implements, by pattern.
var fakeRoutes = map[string]fakeHandler{
	"GET /projects/{p}/datasets/{d}":               (*fakeBigQuery).getDataset,
	"POST /projects/{p}/datasets":                  (*fakeBigQuery).insertDataset,
	"GET /projects/{p}/datasets/{d}/tables/{t}":    (*fakeBigQuery).getTable,
	"POST /projects/{p}/datasets/{d}/tables":       (*fakeBigQuery).insertTable,
	"PATCH /projects/{p}/datasets/{d}/tables/{t}":  (*fakeBigQuery).patchTable,
	"DELETE /projects/{p}/datasets/{d}/tables/{t}": (*fakeBigQuery).deleteTable,
	"POST /projects/{p}/jobs":                      (*fakeBigQuery).insertJob,
	"GET /projects/{p}/jobs/{j}":                   (*fakeBigQuery).getJob,
	"GET /projects/{p}/queries/{j}":                (*fakeBigQuery).getQueryResults,
}

func newFakeBigQuery(t testing.TB) *fakeBigQuery {
	f := &fakeBigQuery{t: t, datasets: map[string]*bqapi.Dataset{}, tables: map[string]*bqapi.Table{}, jobs: map[string]*bqapi.Job{},
		pending: map[string]int{}}
	mux := http.NewServeMux()
	for pattern, h := range fakeRoutes {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) { f.serve(w, r, pattern, h) })
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("fake BigQuery: unexpected request %s %s", r.Method, r.URL)
		http.Error(w, "not implemented by the fake", http.StatusNotImplemented)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

func (f *fakeBigQuery) serve(w http.ResponseWriter, r *http.Request, route string, h fakeHandler) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req := fakeRequest{Route: route, Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Body: body}
	serve := func() (int, any) {
		f.mu.Lock()
		defer f.mu.Unlock()
		return h(f, r, body)
	}
	status, answer := 0, any(nil)
	if f.reply != nil {
		status, answer = f.reply(req, serve)
	} else {
		status, answer = serve()
	}
	req.Status = status
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if answer != nil {
		if err := json.NewEncoder(w).Encode(answer); err != nil {
			f.t.Errorf("fake BigQuery: encoding the answer to %s: %v", route, err)
		}
	}
}

// fakeError is an error answer as Google's APIs give it.
func fakeError(code int, reason, message string) (int, any) {
	return code, map[string]any{"error": map[string]any{
		"code": code, "message": message,
		"errors": []map[string]any{{"reason": reason, "message": message, "domain": "global"}},
	}}
}

func (f *fakeBigQuery) getDataset(r *http.Request, _ []byte) (int, any) {
	ds, ok := f.datasets[r.PathValue("d")]
	if !ok {
		return fakeError(http.StatusNotFound, "notFound", "Not found: Dataset "+r.PathValue("p")+":"+r.PathValue("d"))
	}
	return http.StatusOK, ds
}

func (f *fakeBigQuery) insertDataset(r *http.Request, body []byte) (int, any) {
	var ds bqapi.Dataset
	if err := json.Unmarshal(body, &ds); err != nil || ds.DatasetReference == nil {
		return fakeError(http.StatusBadRequest, "invalid", fmt.Sprintf("bad dataset %s: %v", body, err))
	}
	id := ds.DatasetReference.DatasetId
	if _, ok := f.datasets[id]; ok {
		return fakeError(http.StatusConflict, "duplicate", "Already Exists: Dataset "+id)
	}
	f.datasets[id] = &ds
	return http.StatusOK, &ds
}

func (f *fakeBigQuery) getTable(r *http.Request, _ []byte) (int, any) {
	tbl, ok := f.tables[r.PathValue("d")+"."+r.PathValue("t")]
	if !ok {
		return fakeError(http.StatusNotFound, "notFound", "Not found: Table "+r.PathValue("d")+"."+r.PathValue("t"))
	}
	return http.StatusOK, tbl
}

func (f *fakeBigQuery) insertTable(r *http.Request, body []byte) (int, any) {
	var tbl bqapi.Table
	if err := json.Unmarshal(body, &tbl); err != nil || tbl.TableReference == nil {
		return fakeError(http.StatusBadRequest, "invalid", fmt.Sprintf("bad table %s: %v", body, err))
	}
	if _, ok := f.datasets[r.PathValue("d")]; !ok {
		return fakeError(http.StatusNotFound, "notFound", "Not found: Dataset "+r.PathValue("d"))
	}
	key := r.PathValue("d") + "." + tbl.TableReference.TableId
	if _, ok := f.tables[key]; ok {
		return fakeError(http.StatusConflict, "duplicate", "Already Exists: Table "+key)
	}
	f.tables[key] = &tbl
	return http.StatusOK, &tbl
}

func (f *fakeBigQuery) patchTable(r *http.Request, body []byte) (int, any) {
	tbl, ok := f.tables[r.PathValue("d")+"."+r.PathValue("t")]
	if !ok {
		return fakeError(http.StatusNotFound, "notFound", "Not found: Table "+r.PathValue("t"))
	}
	var patch bqapi.Table
	if err := json.Unmarshal(body, &patch); err != nil {
		return fakeError(http.StatusBadRequest, "invalid", err.Error())
	}
	if patch.ExpirationTime != 0 {
		tbl.ExpirationTime = patch.ExpirationTime
	}
	if patch.Schema != nil {
		tbl.Schema = patch.Schema
	}
	return http.StatusOK, tbl
}

func (f *fakeBigQuery) deleteTable(r *http.Request, _ []byte) (int, any) {
	key := r.PathValue("d") + "." + r.PathValue("t")
	if _, ok := f.tables[key]; !ok {
		return fakeError(http.StatusNotFound, "notFound", "Not found: Table "+key)
	}
	delete(f.tables, key)
	return http.StatusNoContent, nil
}

func (f *fakeBigQuery) insertJob(r *http.Request, body []byte) (int, any) {
	var job bqapi.Job
	if err := json.Unmarshal(body, &job); err != nil || job.JobReference == nil || job.Configuration == nil {
		return fakeError(http.StatusBadRequest, "invalid", fmt.Sprintf("bad job %s: %v", body, err))
	}
	id := job.JobReference.JobId
	if job.Configuration.DryRun {
		// A dry run is answered at once and kept nowhere: no job runs.
		job.Status = &bqapi.JobStatus{State: "DONE"}
		job.Statistics = &bqapi.JobStatistics{Query: &bqapi.JobStatistics2{}}
		if f.estimated != nil {
			n := f.estimated(job.Configuration.Query.Query)
			job.Statistics.TotalBytesProcessed, job.Statistics.Query.TotalBytesProcessed = n, n
		}
		return http.StatusOK, &job
	}
	if _, ok := f.jobs[id]; ok {
		return fakeError(http.StatusConflict, "duplicate", "Already Exists: Job "+r.PathValue("p")+":"+job.JobReference.Location+"."+id)
	}
	f.finish(&job)
	f.jobs[id] = &job
	if f.running > 0 {
		f.pending[id] = f.running
		return http.StatusOK, runningCopy(&job)
	}
	return http.StatusOK, &job
}

// runningCopy is job as it is while it runs: no result, no statistics.
func runningCopy(job *bqapi.Job) *bqapi.Job {
	c := *job
	c.Status, c.Statistics = &bqapi.JobStatus{State: "RUNNING"}, &bqapi.JobStatistics{}
	return &c
}

// finish marks a job done, with the statistics of its kind, or failed.
func (f *fakeBigQuery) finish(job *bqapi.Job) {
	job.Status = &bqapi.JobStatus{State: "DONE"}
	job.Statistics = &bqapi.JobStatistics{}
	switch c := job.Configuration; {
	case c.Load != nil:
		rows := int64(len(c.Load.SourceUris))
		if f.outputRows != nil {
			rows = f.outputRows(c.Load.SourceUris)
		}
		job.Statistics.Load = &bqapi.JobStatistics3{OutputRows: rows}
	case c.Query != nil:
		job.Statistics.Query = &bqapi.JobStatistics2{StatementType: statementType(c.Query.Query)}
		if f.processed != nil {
			n := f.processed(c.Query.Query)
			job.Statistics.TotalBytesProcessed, job.Statistics.Query.TotalBytesProcessed = n, n
		}
		if job.Statistics.Query.StatementType == "EXPORT_DATA" {
			stats := f.exported
			job.Statistics.Query.ExportDataStatistics = &stats
		}
	}
	if f.fail != nil {
		if errs := f.fail(job); len(errs) > 0 {
			job.Status.ErrorResult, job.Status.Errors = errs[0], errs
		}
	}
}

func statementType(sql string) string {
	var word string
	if fields := strings.Fields(sql); len(fields) > 0 {
		word = strings.ToUpper(fields[0])
	}
	switch word {
	case "BEGIN", "DECLARE":
		return "SCRIPT"
	case "EXPORT":
		return "EXPORT_DATA"
	default:
		return word
	}
}

func (f *fakeBigQuery) getJob(r *http.Request, _ []byte) (int, any) {
	job, ok := f.jobs[r.PathValue("j")]
	if !ok {
		return fakeError(http.StatusNotFound, "notFound", "Not found: Job "+r.PathValue("j"))
	}
	if f.pending[job.JobReference.JobId] > 0 {
		f.pending[job.JobReference.JobId]--
		return http.StatusOK, runningCopy(job)
	}
	return http.StatusOK, job
}

// getQueryResults answers for a finished query job: its rows, or, as
// BigQuery does, its error as the answer's error.
func (f *fakeBigQuery) getQueryResults(r *http.Request, _ []byte) (int, any) {
	job, ok := f.jobs[r.PathValue("j")]
	if !ok {
		return fakeError(http.StatusNotFound, "notFound", "Not found: Job "+r.PathValue("j"))
	}
	if job.Configuration.Query == nil {
		return fakeError(http.StatusBadRequest, "invalid", "not a query job")
	}
	if f.pending[job.JobReference.JobId] > 0 {
		f.pending[job.JobReference.JobId]--
		return http.StatusOK, &bqapi.GetQueryResultsResponse{JobComplete: false, JobReference: job.JobReference}
	}
	if e := job.Status.ErrorResult; e != nil {
		return fakeError(statusOf(e.Reason), e.Reason, e.Message)
	}
	res := &bqapi.GetQueryResultsResponse{JobComplete: true, JobReference: job.JobReference}
	if job.Statistics.Query.StatementType == "SELECT" {
		res.Schema, res.Rows = f.result(job.Configuration.Query.Query)
		res.TotalRows = uint64(len(res.Rows))
	}
	return http.StatusOK, res
}

// statusOf is the HTTP status BigQuery answers a failed query with.
func statusOf(reason string) int {
	switch reason {
	case "invalid", "invalidQuery":
		return http.StatusBadRequest
	case "notFound":
		return http.StatusNotFound
	case "accessDenied":
		return http.StatusForbidden
	}
	return http.StatusInternalServerError
}

var aliasRE = regexp.MustCompile(`\bAS ([a-z_]+)\b`)

// topLevel is sql without what its parentheses hold: the aliases left are
// those of the result's columns, not of the tables and subqueries inside.
func topLevel(sql string) string {
	var b strings.Builder
	depth := 0
	for _, r := range sql {
		switch {
		case r == '(':
			depth++
		case r == ')':
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// result is the answer to a SELECT: from answer if set, else one row of
// values by the aliases of its columns.
func (f *fakeBigQuery) result(sql string) (*bqapi.TableSchema, []*bqapi.TableRow) {
	var (
		cols []string
		rows [][]any
	)
	if f.answer != nil {
		cols, rows = f.answer(sql)
	} else {
		row := []any{}
		for _, m := range aliasRE.FindAllStringSubmatch(topLevel(sql), -1) {
			cols = append(cols, m[1])
			row = append(row, f.values[m[1]])
		}
		rows = [][]any{row}
	}
	schema := &bqapi.TableSchema{}
	for i, c := range cols {
		typ := "INTEGER"
		if len(rows) > 0 {
			if _, ok := rows[0][i].(string); ok {
				typ = "STRING"
			}
		}
		schema.Fields = append(schema.Fields, &bqapi.TableFieldSchema{Name: c, Type: typ})
	}
	out := make([]*bqapi.TableRow, len(rows))
	for i, row := range rows {
		out[i] = &bqapi.TableRow{}
		for _, v := range row {
			s := fmt.Sprint(v)
			if n, ok := v.(int64); ok {
				s = strconv.FormatInt(n, 10)
			}
			out[i].F = append(out[i].F, &bqapi.TableCell{V: s})
		}
	}
	return schema, out
}

// Requests returns the requests received so far, whose route is one of
// routes (all if none).
func (f *fakeBigQuery) Requests(routes ...string) []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeRequest
	for _, r := range f.requests {
		if len(routes) == 0 || slices.Contains(routes, r.Route) {
			out = append(out, r)
		}
	}
	return out
}

// OnlyQuery returns, as a jobs.query request would carry it, the query of
// the one read job (clickstream_read_*) inserted, failing the test unless
// there was exactly one. (The fake has no jobs.query: every query is a job
// of its own, waited on by its status.)
func (f *fakeBigQuery) OnlyQuery(t testing.TB) bqapi.QueryRequest {
	t.Helper()
	var reads []*bqapi.Job
	for _, j := range f.InsertedJobs() {
		if strings.HasPrefix(j.JobReference.JobId, "clickstream_read_") {
			reads = append(reads, j)
		}
	}
	if len(reads) != 1 {
		t.Fatalf("%d read jobs, want 1", len(reads))
	}
	q := reads[0].Configuration.Query
	return bqapi.QueryRequest{Query: q.Query, Location: reads[0].JobReference.Location, QueryParameters: q.QueryParameters,
		MaximumBytesBilled: q.MaximumBytesBilled}
}

// Job returns the job of id as the fake holds it.
func (f *fakeBigQuery) Job(id string) *bqapi.Job {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.jobs[id]
}

// InsertedJobs returns the jobs inserted successfully, in order, dry runs
// aside.
func (f *fakeBigQuery) InsertedJobs() []*bqapi.Job {
	return f.inserted(false)
}

// DryRuns returns the dry runs answered, in order.
func (f *fakeBigQuery) DryRuns() []*bqapi.Job {
	return f.inserted(true)
}

func (f *fakeBigQuery) inserted(dry bool) []*bqapi.Job {
	var out []*bqapi.Job
	for _, r := range f.Requests(routeJobsInsert) {
		if r.Status == http.StatusOK {
			var job bqapi.Job
			r.decode(f.t, &job)
			if job.Configuration.DryRun == dry {
				out = append(out, &job)
			}
		}
	}
	return out
}

// Table returns a table as the fake holds it, or nil.
func (f *fakeBigQuery) Table(dataset, table string) *bqapi.Table {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tables[dataset+"."+table]
}

// Routes of the requests tests look at.
const (
	routeDatasetsGet    = "GET /projects/{p}/datasets/{d}"
	routeDatasetsInsert = "POST /projects/{p}/datasets"
	routeTablesGet      = "GET /projects/{p}/datasets/{d}/tables/{t}"
	routeTablesInsert   = "POST /projects/{p}/datasets/{d}/tables"
	routeTablesPatch    = "PATCH /projects/{p}/datasets/{d}/tables/{t}"
	routeTablesDelete   = "DELETE /projects/{p}/datasets/{d}/tables/{t}"
	routeJobsInsert     = "POST /projects/{p}/jobs"
	routeJobsGet        = "GET /projects/{p}/jobs/{j}"
	routeQueryResults   = "GET /projects/{p}/queries/{j}"
)

// fakeProject is the project of the warehouses the tests open.
const fakeProject = "test-proj"

// openFake opens a BigQuery warehouse on f with opts (Project and
// ClientOptions filled in).
func openFake(t testing.TB, f *fakeBigQuery, opts bigquery.Options) *bigquery.Warehouse {
	t.Helper()
	opts.Project = fakeProject
	opts.ClientOptions = []option.ClientOption{option.WithEndpoint(f.URL), option.WithoutAuthentication()}
	b, err := bigquery.Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}
