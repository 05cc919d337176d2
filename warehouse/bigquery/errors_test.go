package bigquery_test

import (
	"context"
	"errors"
	"net/http"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	bqapi "google.golang.org/api/bigquery/v2"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/warehouse"
	"github.com/clickstream-platform/clickstream/warehouse/bigquery"
)

// failStep makes the jobs of one step finish with errs; a name ending in
// '*' is a prefix: "write*" is the write step and its retries.
func failStep(t *testing.T, f *fakeBigQuery, name string, errs ...*bqapi.ErrorProto) {
	f.fail = func(job *bqapi.Job) []*bqapi.ErrorProto {
		s := step(t, job.JobReference.JobId)
		if s == name || strings.HasSuffix(name, "*") && strings.HasPrefix(s, strings.TrimSuffix(name, "*")) {
			return errs
		}
		return nil
	}
}

// answerWith makes every request of route fail with an API error.
func answerWith(f *fakeBigQuery, route string, code int, reason, message string) {
	f.reply = func(r fakeRequest, serve func() (int, any)) (int, any) {
		if r.Route == route {
			return fakeError(code, reason, message)
		}
		return serve()
	}
}

func TestBigQueryErrors(t *testing.T) {
	sentinels := []error{warehouse.ErrNotFound, warehouse.ErrPermission, warehouse.ErrSchema, warehouse.ErrQuota}
	load := func(ctx context.Context, b *bigquery.Warehouse) error {
		_, err := b.Load(ctx, bqRequest("sessions", warehouse.Merge))
		return err
	}
	for _, tt := range []struct {
		name  string
		setup func(t *testing.T, f *fakeBigQuery)
		op    func(context.Context, *bigquery.Warehouse) error
		// want is the sentinel the error wraps, nil for none (retryable).
		want     error
		contains []string
		timeout  time.Duration
	}{
		{
			name: "403 to a job insert",
			setup: func(t *testing.T, f *fakeBigQuery) {
				answerWith(f, routeJobsInsert, http.StatusForbidden, "accessDenied",
					"Access Denied: Project test-proj: User does not have bigquery.jobs.create permission in project test-proj.")
			},
			op: load, want: warehouse.ErrPermission,
			contains: []string{"loading test-proj.clickstream_dw.sessions", "roles/bigquery.dataEditor on datasets test-proj.clickstream_lake and test-proj.clickstream_dw",
				"roles/bigquery.jobUser on project test-proj", "bigquery.jobs.create permission"},
		},
		{
			name: "403 to reading a dataset",
			setup: func(t *testing.T, f *fakeBigQuery) {
				answerWith(f, routeDatasetsGet, http.StatusForbidden, "accessDenied", "Access Denied: Dataset test-proj:clickstream_lake")
			},
			op:   func(ctx context.Context, b *bigquery.Warehouse) error { return b.EnsureTables(ctx) },
			want: warehouse.ErrPermission, contains: []string{"reading dataset test-proj.clickstream_lake", "roles/bigquery.jobUser"},
		},
		{
			name: "load job fails: invalid data",
			setup: func(t *testing.T, f *fakeBigQuery) {
				failStep(t, f, "load",
					&bqapi.ErrorProto{Reason: "invalid", Message: "Error while reading data, error message: JSON table encountered too many errors, giving up. Rows: 1; errors: 1."},
					&bqapi.ErrorProto{Reason: "invalid", Message: "Error while reading data, error message: JSON parsing error in row starting at position 0: No such field: foo. File: gs://stage/run-1/b1/sessions.ndjson"})
			},
			op: load, want: warehouse.ErrSchema,
			contains: []string{"loading test-proj.clickstream_dw.sessions: loading the staged files: job clickstream_run-1_sessions_load_a1_",
				"invalid: Error while reading data", "No such field: foo. File: gs://stage/run-1/b1/sessions.ndjson"},
		},
		{
			name: "load job fails: a staged file is missing",
			setup: func(t *testing.T, f *fakeBigQuery) {
				failStep(t, f, "load", &bqapi.ErrorProto{Reason: "notFound", Message: "Not found: URI gs://stage/run-1/b1/sessions.ndjson"})
			},
			op: load, want: warehouse.ErrNotFound, contains: []string{"Not found: URI gs://stage/run-1/b1/sessions.ndjson"},
		},
		{
			name: "write query fails: invalidQuery",
			setup: func(t *testing.T, f *fakeBigQuery) {
				failStep(t, f, "write", &bqapi.ErrorProto{Reason: "invalidQuery", Message: "Query column 2 has type INT64 which cannot be inserted into column session_id"})
			},
			op: load, want: warehouse.ErrSchema, contains: []string{"writing the rows (merge)", "cannot be inserted into column session_id"},
		},
		{
			name: "write aborted by a concurrent update",
			setup: func(t *testing.T, f *fakeBigQuery) {
				failStep(t, f, "write*", &bqapi.ErrorProto{Reason: "invalidQuery",
					Message: "Transaction is aborted due to concurrent update against table test-proj:clickstream_dw.sessions"})
			},
			op: load, contains: []string{"concurrent update"},
		},
		{
			name: "load job fails: backendError",
			setup: func(t *testing.T, f *fakeBigQuery) {
				failStep(t, f, "load", &bqapi.ErrorProto{Reason: "backendError", Message: "Backend error. Job aborted."})
			},
			op: load, contains: []string{"backendError: Backend error"},
		},
		{
			name: "load job fails: rateLimitExceeded",
			setup: func(t *testing.T, f *fakeBigQuery) {
				failStep(t, f, "load", &bqapi.ErrorProto{Reason: "rateLimitExceeded", Message: "Exceeded rate limits: too many table update operations"})
			},
			op: load, contains: []string{"rateLimitExceeded"},
		},
		{
			name: "load job fails: a daily quota is used up",
			setup: func(t *testing.T, f *fakeBigQuery) {
				failStep(t, f, "load", &bqapi.ErrorProto{Reason: "quotaExceeded",
					Message: "Quota exceeded: Your table exceeded quota for imports or query appends per table."})
			},
			op: load, want: warehouse.ErrQuota,
			contains: []string{"quotaExceeded", "retrying before it is replenished cannot help", "exceeded quota for imports"},
		},
		{
			name: "403 quotaExceeded to a job insert",
			setup: func(t *testing.T, f *fakeBigQuery) {
				answerWith(f, routeJobsInsert, http.StatusForbidden, "quotaExceeded",
					"Quota exceeded: Your project exceeded quota for free query bytes scanned.")
			},
			op: load, want: warehouse.ErrQuota, contains: []string{"free query bytes scanned"},
		},
		{
			name: "500 to every job insert, after the library's retries",
			setup: func(t *testing.T, f *fakeBigQuery) {
				answerWith(f, routeJobsInsert, http.StatusInternalServerError, "backendError", "internal error")
			},
			op: load, timeout: 1500 * time.Millisecond, contains: []string{"internal error"},
		},
		{
			name: "429 to a job insert, after the library's retries",
			setup: func(t *testing.T, f *fakeBigQuery) {
				answerWith(f, routeJobsInsert, http.StatusTooManyRequests, "rateLimitExceeded", "too many requests")
			},
			op: load, timeout: 1500 * time.Millisecond, contains: []string{"too many requests"},
		},
		{
			name: "Counts of a missing table",
			setup: func(t *testing.T, f *fakeBigQuery) {
				f.fail = func(job *bqapi.Job) []*bqapi.ErrorProto {
					return []*bqapi.ErrorProto{{Reason: "notFound", Message: "Not found: Table test-proj:clickstream_dw.sessions was not found in location US"}}
				}
			},
			op: func(ctx context.Context, b *bigquery.Warehouse) error {
				_, err := b.Counts(ctx)
				return err
			},
			want: warehouse.ErrNotFound, contains: []string{"counting rows", "Table test-proj:clickstream_dw.sessions was not found"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeBigQuery(t)
			tt.setup(t, f)
			b := openFake(t, f, bigquery.Options{})
			bigquery.SetRetryDelay(b, time.Millisecond)
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			err := tt.op(ctx, b)
			if err == nil {
				t.Fatal("no error")
			}
			for _, s := range sentinels {
				if errors.Is(err, s) != (s == tt.want) {
					t.Errorf("error %q: errors.Is(%v) = %v, want %v", err, s, !(s == tt.want), s == tt.want)
				}
			}
			for _, c := range tt.contains {
				if !strings.Contains(err.Error(), c) {
					t.Errorf("error %q\ndoes not say %q", err, c)
				}
			}
			if tt.timeout > 0 && len(f.Requests(routeJobsInsert)) < 2 {
				t.Errorf("%d job inserts, want the client library to retry", len(f.Requests(routeJobsInsert)))
			}
			// Whatever failed, the staging table is gone.
			for _, r := range f.Requests(routeTablesInsert) {
				var tbl bqapi.Table
				r.decode(t, &tbl)
				if id := tbl.TableReference.TableId; strings.HasPrefix(id, "_staging_") && f.Table("clickstream_dw", id) != nil {
					t.Errorf("staging table %s left behind", id)
				}
			}
		})
	}
}

// TestBigQueryFailedQueryJob: a query job that ends with backendError, a
// reason the client library retries when jobs.getQueryResults answers it,
// fails the load within a poll or two: the job's status is read with
// jobs.get, its results are never asked for, and the error is left
// retryable, for Temporal's retry policy to decide.
func TestBigQueryFailedQueryJob(t *testing.T) {
	f := newFakeBigQuery(t)
	f.running = 2
	failStep(t, f, "write", &bqapi.ErrorProto{Reason: "backendError", Message: "Backend error. Job aborted."})
	b := openFake(t, f, bigquery.Options{})
	bigquery.SetPoll(b, 10*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	_, err := b.Load(ctx, bqRequest("sessions", warehouse.Merge))
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Load took %v, want the failure within seconds", took)
	}
	if err == nil || !strings.Contains(err.Error(), "writing the rows (merge): job clickstream_run-1_sessions_write_a1_") ||
		!strings.Contains(err.Error(), "backendError: Backend error. Job aborted.") {
		t.Fatalf("Load: %v, want the write job's backendError", err)
	}
	for _, s := range []error{warehouse.ErrNotFound, warehouse.ErrPermission, warehouse.ErrSchema, warehouse.ErrQuota, context.DeadlineExceeded} {
		if errors.Is(err, s) {
			t.Errorf("Load: %v wraps %v, want a plain error that Temporal retries", err, s)
		}
	}
	for _, r := range f.Requests(routeQueryResults) {
		if step(t, path.Base(r.Path)) == "write" {
			t.Errorf("jobs.getQueryResults of the write job, want none: a job is waited on by its status, its results read only once it succeeded")
		}
	}
	gets := map[string]int{}
	for _, r := range f.Requests(routeJobsGet) {
		gets[path.Base(r.Path)]++
	}
	for _, j := range f.InsertedJobs() {
		if id := j.JobReference.JobId; gets[id] != 3 {
			t.Errorf("job %s polled %d times, want 3: two answers RUNNING, then done", id, gets[id])
		}
	}
}

// TestBigQueryWriteContention: a write that fails because more than 20 DML
// statements are queued on its table (the 21st) is run again, as a job of
// its own, after a wait, and the load succeeds; a write that keeps meeting
// contention (the queue, a transaction that cannot serialize) fails after
// writeTries tries with a plain (retryable) error, whatever its reason; any
// other failure is not tried again.
func TestBigQueryWriteContention(t *testing.T) {
	queued := &bqapi.ErrorProto{Reason: "invalidQuery",
		Message: "Resources exceeded during query execution: Too many DML statements outstanding against table test-proj:clickstream_dw.sessions, limit is 20."}
	all := []string{"write", "write-r2", "write-r3", "write-r4", "write-r5"}
	for _, tt := range []struct {
		name  string
		fails int // how many tries fail
		err   *bqapi.ErrorProto
		steps []string // the write jobs, in order
		ok    bool
	}{
		{"the 21st queued DML, once", 1, queued, []string{"write", "write-r2"}, true},
		{"queued again and again", 10, queued, all, false},
		{"serialization failures", 10, &bqapi.ErrorProto{Reason: "invalidQuery",
			Message: "Could not serialize access to table test-proj:clickstream_dw.sessions due to concurrent update"}, all, false},
		{"invalid", 10, &bqapi.ErrorProto{Reason: "invalidQuery", Message: "Syntax error"}, []string{"write"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeBigQuery(t)
			fails := 0
			f.fail = func(job *bqapi.Job) []*bqapi.ErrorProto {
				if strings.HasPrefix(step(t, job.JobReference.JobId), "write") && fails < tt.fails {
					fails++
					return []*bqapi.ErrorProto{tt.err}
				}
				return nil
			}
			b := openFake(t, f, bigquery.Options{})
			bigquery.SetRetryDelay(b, time.Millisecond)
			_, err := b.Load(context.Background(), bqRequest(clickstream.SessionsTable, warehouse.Merge))
			if tt.ok != (err == nil) {
				t.Fatalf("Load: %v, want success %v", err, tt.ok)
			}
			if err != nil && len(tt.steps) > 1 && (errors.Is(err, warehouse.ErrSchema) || !strings.Contains(err.Error(), tt.err.Message)) {
				t.Errorf("Load: %v, want the contention's error, retryable, not ErrSchema", err)
			}
			_, steps := jobsByStep(t, f)
			var writes []string
			for _, s := range steps {
				if strings.HasPrefix(s, "write") {
					writes = append(writes, s)
				}
			}
			if !slices.Equal(writes, tt.steps) {
				t.Errorf("write jobs %v, want %v", writes, tt.steps)
			}
		})
	}
}
