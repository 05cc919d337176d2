package bigquery_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	bqapi "google.golang.org/api/bigquery/v2"

	"github.com/clickstream-platform/clickstream/models"
	"github.com/clickstream-platform/clickstream/warehouse"
	"github.com/clickstream-platform/clickstream/warehouse/bigquery"
)

// modelsFake answers a build's reads: changes pending and whether the
// models were never built, then the derived tables' row counts.
func modelsFake(t *testing.T, changes int64, unbuilt bool) *fakeBigQuery {
	f := newFakeBigQuery(t)
	f.answer = func(sql string) ([]string, [][]any) {
		if strings.Contains(sql, "AS rebuild") {
			return []string{"changes", "rebuild"}, [][]any{{changes, unbuilt}}
		}
		var rows [][]any
		for i, tbl := range models.Tables() {
			rows = append(rows, []any{tbl.Name, int64(10 + i)})
		}
		return []string{"table_name", "row_count"}, rows
	}
	f.processed = func(sql string) int64 {
		if strings.HasPrefix(sql, "DECLARE") {
			return 12345
		}
		return 0
	}
	return f
}

// buildJobs returns the build scripts' jobs, in order.
func buildJobs(f *fakeBigQuery) []*bqapi.Job {
	var out []*bqapi.Job
	for _, j := range f.InsertedJobs() {
		if strings.Contains(j.JobReference.JobId, "_models_build") {
			out = append(out, j)
		}
	}
	return out
}

// anyDialect renders the models' SQL for their names and counts only.
type anyDialect struct{}

func (anyDialect) Table(name string) string                            { return name }
func (anyDialect) String(s string) string                              { return "'" + s + "'" }
func (anyDialect) Float() string                                       { return "F" }
func (anyDialect) Decimal() string                                     { return "D" }
func (anyDialect) FailedRuns() string                                  { return "SELECT run_id FROM runs" }
func (anyDialect) FirstBy(v string, last bool, order ...string) string { return "FIRST(" + v + ")" }
func (anyDialect) SHA256Hex(e string) string                           { return e }
func (anyDialect) RFC3339Micro(e string) string                        { return e }
func (anyDialect) MicrosBetween(from, to string) string                { return to }
func (anyDialect) AddMicros(e string, _ int64) string                  { return e }
func (anyDialect) Struct(kv ...string) string                          { return "" }
func (anyDialect) EmptyRevenue() string                                { return "" }
func (anyDialect) Days(from, to string) string                         { return "" }
func (anyDialect) TempTable(name, query string) string                 { return "" }
func (anyDialect) SetBound(name, query string) string                  { return "" }
func (anyDialect) Bound(name string) string                            { return name }

const (
	dwSQL   = "`test-proj`.`clickstream_dw`."
	lakeSQL = "`test-proj`.`clickstream_lake`."
)

// checkGoogleSQL fails on the spellings of DuckDB's dialect.
func checkGoogleSQL(t *testing.T, script string) {
	t.Helper()
	for _, duck := range []string{"struct_pack", "epoch_us", "strftime", "sha256(", "to_microseconds", "generate_series", "CREATE OR REPLACE", "::", "DOUBLE", "list_"} {
		if strings.Contains(script, duck) {
			t.Errorf("the script spells %q as DuckDB does", duck)
		}
	}
}

// TestBigQueryBuildModelsIncremental: a run's build is one script, its
// own job billing at most maximumBytesBilled: the bounds declared, then a
// transaction of the incremental build whose statements on user_sessions
// and the event tables filter their partitioning columns by the bounds
// (set before they are read), every data test as an ASSERT, and the
// removal of the changes after them.
func TestBigQueryBuildModelsIncremental(t *testing.T) {
	f := modelsFake(t, 3, false)
	b := openFake(t, f, bigquery.Options{MaxBytesBilled: 1 << 30})
	res, err := b.BuildModels(context.Background(), warehouse.ModelsRequest{RunID: "run-1", Attempt: 2})
	if err != nil {
		t.Fatal(err)
	}
	tests := models.DataTests(anyDialect{}, "")
	if res.Changes != 3 || res.Rebuilt || res.Tests != len(tests) || res.BytesProcessed != 12345 || res.Rows[models.UserSessions] != 10 || len(res.Rows) != len(models.Tables()) {
		t.Errorf("result %+v, want 3 changes, not rebuilt, %d tests, 12345 bytes, the rows counted", res, len(tests))
	}
	for _, j := range f.InsertedJobs() {
		if q := j.Configuration.Query; q == nil || q.MaximumBytesBilled != 1<<30 {
			t.Errorf("job %s without maximumBytesBilled", j.JobReference.JobId)
		}
	}
	jobs := buildJobs(f)
	if len(jobs) != 1 || !strings.HasPrefix(jobs[0].JobReference.JobId, "clickstream_run-1_models_build_a2_") {
		t.Fatalf("build jobs %v, want one, clickstream_run-1_models_build_a2_<hash>", jobs)
	}
	script := jobs[0].Configuration.Query.Query
	checkGoogleSQL(t, script)
	head := "DECLARE " + strings.Join(models.Bounds(), ", ") + " TIMESTAMP;\nDECLARE clickstream_keys STRING;\nBEGIN TRANSACTION;\n"
	if !strings.HasPrefix(script, head) || !strings.HasSuffix(script, "COMMIT TRANSACTION;") {
		t.Fatalf("the script does not declare its variables and hold one transaction:\n%s", script)
	}
	for _, want := range []string{
		"SET clickstream_span_hi = (SELECT TIMESTAMP_ADD(MAX(l), INTERVAL 1800000000 MICROSECOND) FROM clickstream_span)",
		"AND us.started_at <= clickstream_span_hi",
		"SET clickstream_lo = (SELECT MIN(lo) FROM clickstream_window)",
		"SET clickstream_days_hi = (SELECT TIMESTAMP_ADD(MAX(hi), INTERVAL 86400000000 MICROSECOND) FROM clickstream_window)",
		"FROM " + dwSQL + "`pageview_events` AS e JOIN " + dwSQL + "`sessions` AS s ON s.session_key = e.session_key\n\tWHERE e.timestamp BETWEEN clickstream_lo AND clickstream_hi",
		"FROM " + dwSQL + "`purchase_events` AS e JOIN " + dwSQL + "`sessions` AS s ON s.session_key = e.session_key\n\tWHERE e.timestamp BETWEEN clickstream_days_lo AND clickstream_days_hi",
		"DELETE FROM " + dwSQL + "`user_sessions` WHERE user_session_id IN (SELECT user_session_id FROM clickstream_old) AND started_at BETWEEN clickstream_lo AND clickstream_hi",
		"WHERE us.started_at BETWEEN clickstream_lo AND clickstream_hi",
		"AND started_at BETWEEN clickstream_days_lo AND clickstream_days_hi",
		"CREATE TEMP TABLE clickstream_chg AS\nSELECT run_id, user_id, source_object, first_event, last_event FROM " + lakeSQL + "`model_changes` WHERE run_id = 'run-1' OR run_id IN (SELECT run_id FROM " + dwSQL + "`pipeline_runs`",
		"TO_HEX(SHA256(w.user_id || ':' || FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%E6SZ', MIN(w.ts), 'UTC')))",
		"TIMESTAMP_DIFF(MAX(w.ts), MIN(w.ts), MICROSECOND) / 1e6",
		"COALESCE(ANY_VALUE(revs.revenue), ARRAY<STRUCT<`currency` STRING, `amount` FLOAT64>>[])",
		"ARRAY_AGG(STRUCT(currency AS `currency`, amount AS `amount`) ORDER BY currency NULLS LAST)",
		"UNNEST(GENERATE_DATE_ARRAY(CAST(c.first_event AS DATE), CAST(c.last_event AS DATE))) AS d",
		"CAST(NULL AS FLOAT64)",
	} {
		if !strings.Contains(script, want) {
			t.Errorf("the script lacks\n%s", want)
		}
	}
	// Every bound is set before a statement reads it.
	for _, name := range models.Bounds() {
		set, use := strings.Index(script, "SET "+name+" ="), strings.Index(script, "AND "+name)
		if set < 0 || use >= 0 && use < set {
			t.Errorf("%s read before it is set", name)
		}
	}
	// The data tests, then the changes removed.
	last := -1
	for _, dt := range models.DataTests(anyDialect{}, "run-1") {
		marker := "data test [" + dt.Name + "] failed"
		i := strings.Index(script, "ASSERT IF(clickstream_keys IS NULL, TRUE, ERROR(CONCAT('"+marker+", e.g. {', clickstream_keys, '}'))) AS '"+marker+"';")
		if i < 0 {
			t.Errorf("no ASSERT of %q", dt.Name)
		}
		last = max(last, i)
	}
	if n := strings.Count(script, "\nASSERT "); n != len(tests) {
		t.Errorf("%d ASSERTs, want %d", n, len(tests))
	}
	done := strings.Index(script, "DELETE FROM "+lakeSQL+"`model_changes` WHERE run_id = 'run-1'")
	if done < last || done < 0 {
		t.Error("the changes are not removed after the data tests")
	}
}

// TestBigQueryBuildModelsRebuild: a rebuild empties and fills every
// derived table, tests every day, and declares no bounds; a run's build
// that finds the models never built rebuilds, and removes its changes.
func TestBigQueryBuildModelsRebuild(t *testing.T) {
	for _, tt := range []struct {
		name  string
		req   warehouse.ModelsRequest
		reads int // before the script
		done  bool
	}{
		{"asked", warehouse.ModelsRequest{Rebuild: true}, 0, false},
		{"never built", warehouse.ModelsRequest{RunID: "run-2"}, 1, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := modelsFake(t, 5, true)
			b := openFake(t, f, bigquery.Options{})
			res, err := b.BuildModels(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Rebuilt {
				t.Error("not rebuilt")
			}
			jobs := buildJobs(f)
			if len(jobs) != 1 {
				t.Fatalf("%d build jobs, want 1", len(jobs))
			}
			if n := len(f.InsertedJobs()) - 2; n != tt.reads { // the script and the counts
				t.Errorf("%d reads before the script, want %d", n, tt.reads)
			}
			script := jobs[0].Configuration.Query.Query
			checkGoogleSQL(t, script)
			if !strings.HasPrefix(script, "DECLARE clickstream_keys STRING;\nBEGIN TRANSACTION;\n") || !strings.HasSuffix(script, "COMMIT TRANSACTION;") {
				t.Errorf("script:\n%s", script)
			}
			for _, tbl := range models.Tables() {
				if !strings.Contains(script, "DELETE FROM "+dwSQL+"`"+tbl.Name+"` WHERE TRUE;\n") {
					t.Errorf("%s not emptied", tbl.Name)
				}
			}
			// A rebuild's tests read every row: no bounds, no lists of days.
			if strings.Contains(script, "clickstream_lo") || strings.Contains(script, "UNION DISTINCT") || !strings.Contains(script, "FULL OUTER JOIN") {
				t.Error("a rebuild's tests read bounds or lists of days, or do not compare every day")
			}
			if got := strings.Contains(script, "DELETE FROM "+lakeSQL+"`model_changes`"); got != tt.done {
				t.Errorf("changes removed: %v, want %v", got, tt.done)
			}
		})
	}
}

// TestBigQueryBuildModelsNothingPending: a run's build with no change
// pending runs no script.
func TestBigQueryBuildModelsNothingPending(t *testing.T) {
	f := modelsFake(t, 0, false)
	b := openFake(t, f, bigquery.Options{})
	res, err := b.BuildModels(context.Background(), warehouse.ModelsRequest{RunID: "run-3"})
	if err != nil {
		t.Fatal(err)
	}
	if len(buildJobs(f)) != 0 || res.Tests != 0 || res.Rows[models.TopUsers] == 0 {
		t.Errorf("result %+v, %d build jobs; want none, the rows counted", res, len(buildJobs(f)))
	}
	if _, err := b.BuildModels(context.Background(), warehouse.ModelsRequest{}); err == nil {
		t.Error("a build of no run that is not a rebuild ran")
	}
}

// TestBigQueryBuildModelsDataTestFails: the ASSERT's error is returned
// wrapping warehouse.ErrDataTest, naming the test and its keys.
func TestBigQueryBuildModelsDataTestFails(t *testing.T) {
	f := modelsFake(t, 1, false)
	name := "pageview_events events have a session"
	f.fail = func(job *bqapi.Job) []*bqapi.ErrorProto {
		if strings.Contains(job.JobReference.JobId, "_models_build") {
			return []*bqapi.ErrorProto{{Reason: "invalidQuery", Message: "data test [" + name + "] failed, e.g. {e1, e2} at [212:1]"}}
		}
		return nil
	}
	b := openFake(t, f, bigquery.Options{})
	_, err := b.BuildModels(context.Background(), warehouse.ModelsRequest{RunID: "run-4"})
	if !errors.Is(err, warehouse.ErrDataTest) || errors.Is(err, warehouse.ErrSchema) ||
		!strings.Contains(err.Error(), `"`+name+`", e.g. e1, e2`) {
		t.Fatalf("err = %v, want ErrDataTest naming %q and its keys", err, name)
	}
	if n := len(buildJobs(f)); n != 1 {
		t.Errorf("%d build jobs, want 1: a data test is not retried", n)
	}
}

// TestBigQueryBuildModelsContention: a build that collides with another
// transaction runs again as a job of its own.
func TestBigQueryBuildModelsContention(t *testing.T) {
	f := modelsFake(t, 1, false)
	f.fail = func(job *bqapi.Job) []*bqapi.ErrorProto {
		if strings.Contains(job.JobReference.JobId, "_models_build_a") {
			return []*bqapi.ErrorProto{{Reason: "invalidQuery", Message: "Transaction is aborted due to concurrent update against table model_changes"}}
		}
		return nil
	}
	b := openFake(t, f, bigquery.Options{})
	bigquery.SetRetryDelay(b, time.Millisecond)
	if _, err := b.BuildModels(context.Background(), warehouse.ModelsRequest{RunID: "run-5"}); err != nil {
		t.Fatal(err)
	}
	jobs := buildJobs(f)
	if len(jobs) != 2 || !strings.Contains(jobs[1].JobReference.JobId, "_models_build-r2_a0_") {
		t.Errorf("build jobs %d, want the build and build-r2", len(jobs))
	}
}
