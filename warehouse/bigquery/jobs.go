package bigquery

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	bq "cloud.google.com/go/bigquery"
	"github.com/clickstream-platform/clickstream/warehouse"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/iterator"
)

// runJob inserts a job with submit, whose id is id, and waits for it to
// finish (see wait). When the insert is answered 409 (a job of that id
// exists: an earlier insert whose answer was lost, or the same request run
// again), it re-attaches to that job and waits for it instead of submitting
// it again. A job that finished with an error returns that error at once,
// classified: whether to run it again is the caller's (Temporal's retry
// policy) to decide.
func (b *Warehouse) runJob(ctx context.Context, id string, submit func(context.Context) (*bq.Job, error)) (*bq.Job, error) {
	job, err := submit(ctx)
	if isDuplicate(err) {
		job, err = b.client.JobFromIDLocation(ctx, id, b.location)
	}
	if err != nil {
		return nil, fmt.Errorf("job %s: %w", id, b.classify(err))
	}
	st, err := b.wait(ctx, job)
	if err != nil {
		return nil, fmt.Errorf("job %s: %w", id, b.classify(err))
	}
	if st.Err() != nil {
		return nil, fmt.Errorf("job %s failed: %w", id, b.classify(newJobError(st)))
	}
	return job, nil
}

// wait polls the job's status (jobs.get) until the job is done, and returns
// that status; a failed job is done, its error in the status. It does not
// use bq.Job.Wait: for a query job that waits on jobs.getQueryResults, which
// answers a failed job with the job's error as an HTTP error, and the client
// library retries that answer while its reason is backendError,
// rateLimitExceeded, jobRateLimitExceeded or internalError (its comment on
// jobRetryReasons; googleapis/google-cloud-go#20070), so a MERGE that had
// already failed with one of them would be polled until ctx ended. The
// first poll follows b.poll, each next one twice the last, up to maxPoll;
// an answer the insert or the re-attach already gave as done is not polled.
func (b *Warehouse) wait(ctx context.Context, job *bq.Job) (*bq.JobStatus, error) {
	st := job.LastStatus()
	delay := b.poll
	for st == nil || !st.Done() {
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		delay = min(2*delay, maxPoll)
		var err error
		if st, err = job.Status(ctx); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// The polling of a running job's status: the first poll after
// defaultPoll, the others at most maxPoll apart.
const (
	defaultPoll = 250 * time.Millisecond
	maxPoll     = 5 * time.Second
)

// defaultRetryDelay is the first wait before a write runs again after
// contention on its table: time for the transaction it collided with to
// commit.
const defaultRetryDelay = 10 * time.Second

// newQuery returns a query job of id running sql with params in the
// warehouse's location, billing at most Options.MaxBytesBilled. Every query
// job the warehouse runs is made here.
func (b *Warehouse) newQuery(id, sql string, params []bq.QueryParameter) *bq.Query {
	q := b.client.Query(sql)
	q.JobID, q.Location, q.Parameters = id, b.location, params
	q.MaxBytesBilled = b.maxBytesBilled
	return q
}

// runQuery runs sql with params as a query job of id and returns the job,
// done.
func (b *Warehouse) runQuery(ctx context.Context, id, sql string, params ...bq.QueryParameter) (*bq.Job, error) {
	return b.runJob(ctx, id, b.newQuery(id, sql, params).Run)
}

// readRows runs sql with params as a query job of its own (a fresh id: it
// only reads) and calls each with every row of its result, decoded into a
// T. It waits for the job as runJob does, not through bq.Query.Read, whose
// jobs.query and jobs.getQueryResults retry a failed query's error answer as
// bq.Job.Wait does. Errors are classified.
func readRows[T any](ctx context.Context, b *Warehouse, sql string, params []bq.QueryParameter, each func(T)) error {
	job, err := b.runQuery(ctx, "clickstream_read_"+uniqueID(), sql, params...)
	if err != nil {
		return err
	}
	it, err := job.Read(ctx)
	if err != nil {
		return fmt.Errorf("job %s: reading the result: %w", job.ID(), b.classify(err))
	}
	for {
		var row T
		err := it.Next(&row)
		if errors.Is(err, iterator.Done) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("job %s: reading the result: %w", job.ID(), b.classify(err))
		}
		each(row)
	}
}

// uniqueID is 16 random hex digits, for the id of a job that has no
// request to be named after.
func uniqueID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// bytesProcessed is what a done job reports it processed; a script's job
// reports the sum of its statements'.
func bytesProcessed(job *bq.Job) int64 {
	if st := job.LastStatus(); st != nil && st.Statistics != nil {
		return st.Statistics.TotalBytesProcessed
	}
	return 0
}

// readInts reads the result of a done query job, one row of n INT64
// columns.
func (b *Warehouse) readInts(ctx context.Context, job *bq.Job, n int) ([]int64, error) {
	id := job.ID()
	it, err := job.Read(ctx)
	if err != nil {
		return nil, fmt.Errorf("job %s: reading the result: %w", id, b.classify(err))
	}
	var row []bq.Value
	if err := it.Next(&row); err != nil {
		return nil, fmt.Errorf("job %s: reading the result: %w", id, b.classify(err))
	}
	if len(row) != n {
		return nil, fmt.Errorf("job %s: the result has %d columns, want %d", id, len(row), n)
	}
	out := make([]int64, len(row))
	for i, v := range row {
		n, ok := v.(int64)
		if !ok {
			return nil, fmt.Errorf("job %s: column %d of the result is %T, want INT64", id, i+1, v)
		}
		out[i] = n
	}
	return out, nil
}

// jobError is a job that finished with an error: its error result and
// the first few of its other errors (a load job lists the rows at fault
// there).
type jobError struct {
	result  *bq.Error
	details []string
}

const maxJobErrorDetails = 5

func newJobError(st *bq.JobStatus) error {
	e := &jobError{}
	if !errors.As(st.Err(), &e.result) {
		return st.Err()
	}
	for _, d := range st.Errors {
		if d == nil || d.Message == "" || d.Message == e.result.Message {
			continue
		}
		if len(e.details) == maxJobErrorDetails {
			e.details = append(e.details, "...")
			break
		}
		e.details = append(e.details, d.Message)
	}
	return e
}

func (e *jobError) Error() string {
	s := e.result.Reason + ": " + e.result.Message
	if len(e.details) > 0 {
		s += " (" + strings.Join(e.details, "; ") + ")"
	}
	return s
}

func (e *jobError) Unwrap() error { return e.result }

// transientReasons are BigQuery error reasons worth retrying.
var transientReasons = map[string]bool{
	"backendError": true, "internalError": true, "rateLimitExceeded": true, "jobRateLimitExceeded": true,
	"tableUnavailable": true, "jobBackendError": true, "jobInternalError": true,
}

// contention reports whether message says a statement failed because of
// other statements on its table: the queue of DML statements waiting for it
// is full (BigQuery queues up to 20 mutating ones per table and fails the
// others: "Too many DML statements outstanding against table ..., limit is
// 20"), or a concurrent transaction or statement changed it first
// ("Transaction is aborted due to concurrent update against table ...",
// "Could not serialize access to table ... due to concurrent update").
// BigQuery gives these various reasons and statuses (400 among them); they
// pass once the others are done, so they are retried whatever the reason.
func contention(message string) bool {
	return strings.Contains(message, "Too many DML statements outstanding") ||
		strings.Contains(message, "concurrent update") ||
		strings.Contains(message, "Could not serialize access")
}

// classify wraps a BigQuery error with the sentinel that says retrying
// cannot mend it (see [Warehouse]); transient errors are returned as they are.
func (b *Warehouse) classify(err error) error {
	code, reason, message := apiError(err)
	switch {
	case code == 0 && reason == "":
		return err // not an answer of BigQuery: network, context
	case contention(message):
		return err
	case reason == "bytesBilledLimitExceeded", strings.Contains(message, "exceeded limit for bytes billed"):
		return fmt.Errorf("%w: the job would bill more than warehouse.bigquery.max_bytes_billed allows (%d bytes); "+
			"BigQuery refused it before it ran, uncharged. Raise the key (0: no limit), or load a smaller slice: %w",
			warehouse.ErrBytesBilled, b.maxBytesBilled, err)
	case reason == "quotaExceeded":
		return fmt.Errorf("%w (BigQuery's quotaExceeded: a quota of the project, most of them daily, is used up; "+
			"retrying before it is replenished cannot help: raise the quota, or run again once it is): %w", warehouse.ErrQuota, err)
	case transientReasons[reason], code == http.StatusTooManyRequests, code >= 500:
		return err
	case reason == "notFound", code == http.StatusNotFound:
		return fmt.Errorf("%w: %w", warehouse.ErrNotFound, err)
	case reason == "accessDenied", code == http.StatusForbidden, code == http.StatusUnauthorized:
		return fmt.Errorf("%w (the account needs roles/bigquery.dataEditor on datasets %s.%s and %s.%s and "+
			"roles/bigquery.jobUser on project %s; loads and exports also need access to the gs:// bucket): %w",
			warehouse.ErrPermission, b.project, b.lake, b.project, b.dw, b.project, err)
	case reason == "invalid", reason == "invalidQuery", code == http.StatusBadRequest:
		return fmt.Errorf("%w: %w", warehouse.ErrSchema, err)
	}
	return err
}

// apiError returns the HTTP status, reason and message of an answer of
// BigQuery: an API error, or the error a job finished with (code 0).
func apiError(err error) (code int, reason, message string) {
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		reason, message = "", ge.Message
		if len(ge.Errors) > 0 {
			reason = ge.Errors[0].Reason
			if message == "" {
				message = ge.Errors[0].Message
			}
		}
		return ge.Code, reason, message
	}
	var be *bq.Error
	if errors.As(err, &be) {
		return 0, be.Reason, be.Message
	}
	return 0, "", ""
}

func isNotFound(err error) bool {
	var ge *googleapi.Error
	return errors.As(err, &ge) && ge.Code == http.StatusNotFound
}

func isDuplicate(err error) bool {
	var ge *googleapi.Error
	return errors.As(err, &ge) && ge.Code == http.StatusConflict
}

// maxRunIDBytes bounds the run id's share of job ids and staging table names.
const maxRunIDBytes = 512

// sanitizeID replaces every byte outside [A-Za-z0-9_] (and '-' if dash) by
// '_' and cuts the result to max bytes.
func sanitizeID(s string, dash bool, max int) string {
	b := []byte(s)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || (dash && c == '-')
		if !ok {
			b[i] = '_'
		}
	}
	if len(b) > max {
		b = b[:max]
	}
	return string(b)
}

// digest is a short hex digest of parts, told apart by their lengths.
func digest(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s;", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// bqIdent quotes a BigQuery identifier. Identifiers come from
// clickstream.Tables() and checked options: none holds a backquote.
func bqIdent(s string) string { return "`" + s + "`" }

// bqQualified is `project`.`dataset`.`table`.
func bqQualified(project, dataset, table string) string {
	return bqIdent(project) + "." + bqIdent(dataset) + "." + bqIdent(table)
}

// bqString quotes a BigQuery string literal.
func bqString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`, "\r", `\r`)
	return "'" + r.Replace(s) + "'"
}
