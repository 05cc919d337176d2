package bigquery_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	bqapi "google.golang.org/api/bigquery/v2"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/warehouse"
	"github.com/clickstream-platform/clickstream/warehouse/bigquery"
	"github.com/clickstream-platform/clickstream/warehouse/warehousetest"
)

// checkRunsTableCreated checks the request that created the audit table:
// in the dw dataset, with the schema of warehouse.RunsTableSchema(), and
// neither partitioned nor clustered.
func checkRunsTableCreated(t *testing.T, r fakeRequest, dw string) {
	t.Helper()
	if want := fmt.Sprintf("/projects/%s/datasets/%s/tables", fakeProject, dw); r.Path != want {
		t.Errorf("pipeline_runs created at %s, want %s", r.Path, want)
	}
	var tbl bqapi.Table
	r.decode(t, &tbl)
	if tbl.TableReference.TableId != warehouse.RunsTable {
		t.Errorf("table created is %s, want %s", tbl.TableReference.TableId, warehouse.RunsTable)
	}
	checkFields(t, warehouse.RunsTable, tbl.Schema.Fields, warehouse.RunsTableSchema().Fields)
	if tbl.TimePartitioning != nil || tbl.Clustering != nil {
		t.Errorf("pipeline_runs created with partitioning %+v and clustering %+v, want neither", tbl.TimePartitioning, tbl.Clustering)
	}
	if !strings.Contains(tbl.Description, "audit table pipeline_runs") {
		t.Errorf("pipeline_runs described as %q", tbl.Description)
	}
	for path, typ := range map[string]string{"from_date": "DATE", "finished_at": "TIMESTAMP", "visits_added": "INTEGER"} {
		if f := field(t, tbl.Schema.Fields, path); f.Type != typ {
			t.Errorf("pipeline_runs.%s is %s, want %s", path, f.Type, typ)
		}
	}
}

// queryParam is a query parameter as the request carries it; Value is nil
// for NULL.
type queryParam struct {
	Name          string `json:"name"`
	ParameterType struct {
		Type string `json:"type"`
	} `json:"parameterType"`
	ParameterValue struct {
		Value *string `json:"value"`
	} `json:"parameterValue"`
}

// recordJob is a RecordRun query job as its insert request carried it.
type recordJob struct {
	ID            string
	Location      string
	SQL           string
	ParameterMode string
	LegacySQL     *bool
	Params        map[string]queryParam
	Order         []string // the parameters' names in order
}

func recordJobs(t *testing.T, f *fakeBigQuery) []recordJob {
	t.Helper()
	var out []recordJob
	for _, r := range f.Requests(routeJobsInsert) {
		if r.Status != http.StatusOK {
			continue
		}
		var job struct {
			JobReference  bqapi.JobReference `json:"jobReference"`
			Configuration struct {
				Query struct {
					Query           string       `json:"query"`
					ParameterMode   string       `json:"parameterMode"`
					UseLegacySQL    *bool        `json:"useLegacySql"`
					QueryParameters []queryParam `json:"queryParameters"`
				} `json:"query"`
			} `json:"configuration"`
		}
		r.decode(t, &job)
		q := job.Configuration.Query
		rj := recordJob{ID: job.JobReference.JobId, Location: job.JobReference.Location, SQL: q.Query,
			ParameterMode: q.ParameterMode, LegacySQL: q.UseLegacySQL, Params: map[string]queryParam{}}
		for _, p := range q.QueryParameters {
			rj.Params[p.Name] = p
			rj.Order = append(rj.Order, p.Name)
		}
		out = append(out, rj)
	}
	return out
}

// wantParams is the parameters of a record, as BigQuery's REST API spells
// them: type, and value (nil for NULL).
func wantParams(r warehouse.RunRecord) map[string][2]any {
	row := warehousetest.RunRow(r)
	out := map[string][2]any{}
	for _, f := range warehouse.RunsTableSchema().Fields {
		typ := string(f.Type)
		if f.Type == clickstream.Integer {
			typ = "INT64"
		}
		var v any
		switch x := row[f.Name].(type) {
		case string:
			v = x
		case int64:
			v = strconv.FormatInt(x, 10)
		case time.Time:
			v = x.Format("2006-01-02 15:04:05.999999-07:00")
		}
		out[f.Name] = [2]any{typ, v}
	}
	return out
}

// RecordRun sends one MERGE job: every value a named, typed parameter
// (NULL ones typed too), none in the SQL, which inserts only when the run
// is not there.
func TestBigQueryRecordRun(t *testing.T) {
	f := newFakeBigQuery(t)
	b := openFake(t, f, bigquery.Options{Location: "EU", DWDataset: "dw"})
	ctx := context.Background()
	full := warehousetest.SampleRun("run-'1") // a quote would break SQL built from values
	full.WorkflowID = ""                      // an empty string is a value, not NULL
	bare := warehouse.RunRecord{RunID: "run-2", WorkflowID: "w", Source: "gs://b/p", Mode: "replace",
		Finished: time.Date(2024, 3, 1, 12, 0, 0, 5000, time.UTC), Rows: map[string]int64{"sessions": 5}}
	for _, r := range []warehouse.RunRecord{full, bare} {
		if err := b.RecordRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	// The dataset and table were created first, as EnsureTables does.
	if ds := f.Requests(routeDatasetsInsert); len(ds) != 1 {
		t.Errorf("%d datasets created, want the dw dataset", len(ds))
	}
	inserts := f.Requests(routeTablesInsert)
	if len(inserts) != 1 {
		t.Fatalf("%d tables created, want pipeline_runs", len(inserts))
	}
	checkRunsTableCreated(t, inserts[0], "dw")

	jobs := recordJobs(t, f)
	if len(jobs) != 2 {
		t.Fatalf("%d jobs, want one per RecordRun", len(jobs))
	}
	var names, sel, vals []string
	for _, fl := range warehouse.RunsTableSchema().Fields {
		names = append(names, "`"+fl.Name+"`")
		sel = append(sel, "@"+fl.Name+" AS `"+fl.Name+"`")
		vals = append(vals, "s.`"+fl.Name+"`")
	}
	wantSQL := "MERGE `test-proj`.`dw`.`pipeline_runs` AS t\n" +
		"USING (SELECT " + strings.Join(sel, ", ") + ") AS s\n" +
		"ON t.`run_id` = s.`run_id`\n" +
		"WHEN NOT MATCHED THEN INSERT (" + strings.Join(names, ", ") + ")\n" +
		"VALUES (" + strings.Join(vals, ", ") + ")"
	for i, r := range []warehouse.RunRecord{full, bare} {
		j := jobs[i]
		if j.SQL != wantSQL {
			t.Errorf("run %s: query\n%s\nwant\n%s", r.RunID, j.SQL, wantSQL)
		}
		for _, v := range []string{r.RunID, r.Source, "2024"} {
			if strings.Contains(j.SQL, v) {
				t.Errorf("run %s: the query holds the value %q: %s", r.RunID, v, j.SQL)
			}
		}
		// Named parameters: the client library sends no parameterMode;
		// BigQuery takes the parameters' names for it.
		if j.ParameterMode != "" && j.ParameterMode != "NAMED" || j.LegacySQL == nil || *j.LegacySQL || j.Location != "EU" {
			t.Errorf("run %s: parameter mode %q, legacy SQL %v, location %q; want named parameters, standard SQL, EU",
				r.RunID, j.ParameterMode, jsonBool(j.LegacySQL), j.Location)
		}
		if want := "clickstream_" + strings.NewReplacer("'", "_").Replace(r.RunID) + "_pipeline_runs_record_"; !strings.HasPrefix(j.ID, want) {
			t.Errorf("job id %s, want %s<hash>_<random>", j.ID, want)
		}
		want := wantParams(r)
		if len(j.Params) != len(want) || len(j.Order) != len(want) {
			t.Errorf("run %s: %d parameters, want %d", r.RunID, len(j.Order), len(want))
		}
		for name, w := range want {
			p, ok := j.Params[name]
			if !ok {
				t.Errorf("run %s: no parameter %s", r.RunID, name)
				continue
			}
			var got any
			if p.ParameterValue.Value != nil {
				got = *p.ParameterValue.Value
			}
			if p.ParameterType.Type != w[0] || got != w[1] {
				t.Errorf("run %s: @%s is %s %v, want %s %v", r.RunID, name, p.ParameterType.Type, got, w[0], w[1])
			}
		}
	}
	// Spelled out, for the reader.
	p := jobs[0].Params
	for name, want := range map[string]string{"run_id": "STRING run-'1", "from_date": "DATE 2024-01-30",
		"started_at": "TIMESTAMP 2024-02-01 10:00:00+00:00", "duration_ms": "INT64 125123", "sessions_added": "INT64 -1"} {
		if got := p[name].ParameterType.Type + " " + *p[name].ParameterValue.Value; got != want {
			t.Errorf("@%s is %s, want %s", name, got, want)
		}
	}
	if v := jobs[1].Params["from_date"].ParameterValue.Value; v != nil || jobs[1].Params["from_date"].ParameterType.Type != "DATE" {
		t.Errorf("@from_date of a run without dates is %v, want a NULL DATE", v)
	}
	if jobs[0].ID == jobs[1].ID {
		t.Errorf("two RecordRun calls share job id %s", jobs[0].ID)
	}
}

// A job insert whose answer is lost is re-attached to, not run twice.
func TestBigQueryRecordRunReattaches(t *testing.T) {
	f := newFakeBigQuery(t)
	lost := false
	f.reply = func(r fakeRequest, serve func() (int, any)) (int, any) {
		status, body := serve()
		if r.Route == routeJobsInsert && !lost {
			lost = true // the job exists, but the client hears 503
			return fakeError(http.StatusServiceUnavailable, "backendError", "connection reset")
		}
		return status, body
	}
	b := openFake(t, f, bigquery.Options{})
	if err := b.RecordRun(context.Background(), warehousetest.SampleRun("r")); err != nil {
		t.Fatal(err)
	}
	var statuses []int
	for _, r := range f.Requests(routeJobsInsert) {
		statuses = append(statuses, r.Status)
	}
	if fmt.Sprint(statuses) != "[503 409]" {
		t.Errorf("job inserted with answers %v, want 503 then 409 (re-attached)", statuses)
	}
}

// A retried RecordRun (the activity's next attempt, the same record) runs
// a job of its own after a job that failed, instead of re-attaching to it.
func TestBigQueryRecordRunRetried(t *testing.T) {
	f := newFakeBigQuery(t)
	failed := false
	f.fail = func(job *bqapi.Job) []*bqapi.ErrorProto {
		if !failed {
			failed = true
			return []*bqapi.ErrorProto{{Reason: "backendError", Message: "Backend error. Job aborted."}}
		}
		return nil
	}
	b := openFake(t, f, bigquery.Options{})
	r := warehousetest.SampleRun("r")
	if err := b.RecordRun(context.Background(), r); err == nil || !strings.Contains(err.Error(), "backendError") {
		t.Fatalf("first RecordRun: %v, want the job's backendError", err)
	}
	if err := b.RecordRun(context.Background(), r); err != nil {
		t.Fatalf("RecordRun retried: %v", err)
	}
	var ids []string
	for _, r := range f.Requests(routeJobsInsert) {
		var job bqapi.Job
		r.decode(t, &job)
		ids = append(ids, fmt.Sprint(job.JobReference.JobId, " ", r.Status))
	}
	if len(ids) != 2 || strings.HasSuffix(ids[1], " 409") || ids[0][:len(ids[0])-4] == ids[1][:len(ids[1])-4] {
		t.Errorf("jobs inserted %v, want two of their own", ids)
	}
}

// The audit table outlives RecreateTables, which creates it when missing;
// a table lacking the columns of a newer schema is given them; one whose
// column was changed is an error wrapping ErrSchema, and nothing is written.
func TestBigQueryRunsTable(t *testing.T) {
	f := newFakeBigQuery(t)
	b := openFake(t, f, bigquery.Options{})
	ctx := context.Background()
	if err := b.EnsureTables(ctx); err != nil {
		t.Fatal(err)
	}
	runs := func() *bqapi.Table { return f.Table("clickstream_dw", warehouse.RunsTable) }
	kept := runs()

	before := len(f.Requests())
	if err := b.RecreateTables(ctx); err != nil {
		t.Fatal(err)
	}
	for _, r := range f.Requests()[before:] {
		if strings.HasSuffix(r.Path, "/"+warehouse.RunsTable) && r.Method != http.MethodGet {
			t.Errorf("RecreateTables sent %s %s", r.Method, r.Path)
		}
	}
	if runs() != kept {
		t.Error("RecreateTables replaced pipeline_runs")
	}
	delete(f.tables, "clickstream_dw."+warehouse.RunsTable)
	before = len(f.Requests(routeTablesInsert))
	if err := b.RecreateTables(ctx); err != nil {
		t.Fatal(err)
	}
	if ins := f.Requests(routeTablesInsert)[before:]; len(ins) != len(clickstream.Tables())+2 {
		t.Errorf("RecreateTables created %d tables, want %d, the ledger and pipeline_runs", len(ins), len(clickstream.Tables()))
	} else {
		checkRunsTableCreated(t, ins[len(ins)-1], "clickstream_dw")
	}

	t.Run("columns added", func(t *testing.T) {
		// As if created before purchase_events existed.
		fields := runs().Schema.Fields
		runs().Schema.Fields = fields[:len(fields)-2]
		if err := b.RecordRun(ctx, warehousetest.SampleRun("r")); err != nil {
			t.Fatal(err)
		}
		patches := f.Requests(routeTablesPatch)
		if len(patches) != 1 || !strings.HasSuffix(patches[0].Path, "/"+warehouse.RunsTable) {
			t.Fatalf("patches %v, want one of pipeline_runs", patches)
		}
		var tbl bqapi.Table
		patches[0].decode(t, &tbl)
		checkFields(t, "patched pipeline_runs", tbl.Schema.Fields, warehouse.RunsTableSchema().Fields)
		if err := b.EnsureTables(ctx); err != nil {
			t.Errorf("EnsureTables after the columns were added: %v", err)
		}
	})

	t.Run("column changed", func(t *testing.T) {
		field(t, runs().Schema.Fields, "objects").Type = "STRING"
		jobs := len(recordJobs(t, f))
		for name, op := range map[string]func(context.Context) error{
			"EnsureTables": b.EnsureTables, "RecreateTables": b.RecreateTables,
			"RecordRun": func(ctx context.Context) error { return b.RecordRun(ctx, warehousetest.SampleRun("r2")) },
		} {
			err := op(ctx)
			if !errors.Is(err, warehouse.ErrSchema) ||
				!strings.Contains(err.Error(), "test-proj.clickstream_dw.pipeline_runs differs from the schema (column objects STRING REQUIRED, want objects INTEGER REQUIRED)") {
				t.Errorf("%s: %v, want ErrSchema naming the column", name, err)
			}
		}
		if got := len(recordJobs(t, f)); got != jobs {
			t.Errorf("%d jobs run on a table that differs", got-jobs)
		}
	})
}

// A failed MERGE job's error is classified like the loads'.
func TestBigQueryRecordRunErrors(t *testing.T) {
	for _, tt := range []struct {
		reason, message string
		want            error // nil: transient, no sentinel
	}{
		{"invalidQuery", "Query column 3 has type INT64 which cannot be inserted into column source", warehouse.ErrSchema},
		{"accessDenied", "Access Denied: Table test-proj:clickstream_dw.pipeline_runs", warehouse.ErrPermission},
		{"notFound", "Not found: Table test-proj:clickstream_dw.pipeline_runs", warehouse.ErrNotFound},
		// A job whose error is answered 5xx is retried by the client
		// library until the context ends; a 400 saying a concurrent
		// update aborted it is returned at once, for Temporal to retry.
		{"invalidQuery", "Transaction is aborted due to concurrent update against table test-proj:clickstream_dw.pipeline_runs", nil},
	} {
		t.Run(tt.message, func(t *testing.T) {
			f := newFakeBigQuery(t)
			f.fail = func(job *bqapi.Job) []*bqapi.ErrorProto {
				return []*bqapi.ErrorProto{{Reason: tt.reason, Message: tt.message}}
			}
			b := openFake(t, f, bigquery.Options{})
			err := b.RecordRun(context.Background(), warehousetest.SampleRun("r"))
			if err == nil || !strings.Contains(err.Error(), "recording run r in test-proj.clickstream_dw.pipeline_runs") ||
				!strings.Contains(err.Error(), tt.message) {
				t.Fatalf("RecordRun: %v, want an error naming the run and table, and the cause", err)
			}
			for _, s := range []error{warehouse.ErrSchema, warehouse.ErrPermission, warehouse.ErrNotFound} {
				if errors.Is(err, s) != (s == tt.want) {
					t.Errorf("RecordRun: %v; errors.Is(%v) = %v", err, s, errors.Is(err, s))
				}
			}
		})
	}
}

func jsonBool(b *bool) string {
	if b == nil {
		return "absent"
	}
	return strconv.FormatBool(*b)
}
