package bigquery_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	bqapi "google.golang.org/api/bigquery/v2"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/warehouse"
	"github.com/clickstream-platform/clickstream/warehouse/bigquery"
	"github.com/clickstream-platform/clickstream/warehouse/warehousetest"
)

// TestBigQueryMaxBytesBilled: every query job the warehouse runs (a load's
// steps, an export, an audit row, the reads) carries maximumBytesBilled
// from Options.MaxBytesBilled, and none does without it; a job BigQuery
// refuses for it fails with ErrBytesBilled, naming the configuration key.
func TestBigQueryMaxBytesBilled(t *testing.T) {
	const limit = 5 << 30
	ctx := context.Background()
	every := func(t *testing.T, f *fakeBigQuery, b *bigquery.Warehouse) {
		for _, tbl := range clickstream.Tables() {
			for _, mode := range []warehouse.Mode{warehouse.Replace, warehouse.Merge} {
				loadOK(t, b, bqRequest(tbl.Name, mode))
			}
		}
		if _, err := b.Extract(ctx, bigquery.ExtractRequest{Table: "p.d.visits", DestinationURI: "gs://bkt/x/", JobID: "run-1"}); err != nil {
			t.Fatal(err)
		}
		if err := b.RecordRun(ctx, warehousetest.SampleRun("run-1")); err != nil {
			t.Fatal(err)
		}
		f.answer = func(string) ([]string, [][]any) { return []string{"uri", "generation"}, nil }
		if _, err := b.LoadedObjects(ctx, testObjectNames()); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		name string
		opts bigquery.Options
		want int64
	}{
		{"limit", bigquery.Options{MaxBytesBilled: limit}, limit},
		{"none", bigquery.Options{}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeBigQuery(t)
			b := openFake(t, f, tt.opts)
			every(t, f, b)
			queries := 0
			for _, j := range f.InsertedJobs() {
				q := j.Configuration.Query
				if q == nil {
					continue
				}
				queries++
				if q.MaximumBytesBilled != tt.want {
					t.Errorf("query job %s: maximumBytesBilled %d, want %d", j.JobReference.JobId, q.MaximumBytesBilled, tt.want)
				}
			}
			if queries < 30 {
				t.Errorf("%d query jobs, want those of 10 loads, an export, an audit row and a read", queries)
			}
		})
	}

	t.Run("refused", func(t *testing.T) {
		f := newFakeBigQuery(t)
		failStep(t, f, "write", &bqapi.ErrorProto{Reason: "bytesBilledLimitExceeded",
			Message: "Query exceeded limit for bytes billed: 5368709120. 7516192768 or higher required."})
		b := openFake(t, f, bigquery.Options{MaxBytesBilled: limit})
		_, err := b.Load(ctx, bqRequest(clickstream.SessionsTable, warehouse.Replace))
		if !errors.Is(err, warehouse.ErrBytesBilled) || errors.Is(err, warehouse.ErrSchema) {
			t.Fatalf("Load: %v, want an error wrapping ErrBytesBilled alone", err)
		}
		for _, want := range []string{"warehouse.bigquery.max_bytes_billed", "5368709120 bytes", "uncharged", "7516192768 or higher required"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Load: %v\ndoes not say %q", err, want)
			}
		}
	})
}

// TestBigQueryLoadEstimate: before its write, a load dry-runs the write's
// statements, every one of them whatever its checks would find (IF blocks
// flattened to their condition and costlier branch, the temporary table a
// subquery, no transaction), and reports the estimate; a dry run that fails
// leaves the load to go on, saying why there is no estimate; a load with
// nothing to write dry-runs nothing.
func TestBigQueryLoadEstimate(t *testing.T) {
	for _, tbl := range clickstream.Tables() {
		t.Run(tbl.Name, func(t *testing.T) {
			f := newFakeBigQuery(t)
			f.estimated = func(string) int64 { return 7_000_000_000 }
			b := openFake(t, f, bigquery.Options{MaxBytesBilled: 1 << 40})
			req := bqRequest(tbl.Name, warehouse.Replace)
			res := loadOK(t, b, req)
			if res.EstimatedBytes != 7_000_000_000 || res.EstimateError != "" {
				t.Errorf("Load: %+v, want the dry run's 7e9 bytes estimated", res)
			}
			dry := f.DryRuns()
			if len(dry) != 1 {
				t.Fatalf("%d dry runs, want 1", len(dry))
			}
			sql := dry[0].Configuration.Query.Query
			for _, not := range []string{"IF ", "END IF", "ELSE", "TRANSACTION", "CREATE TEMP TABLE", "DROP TABLE", "clickstream_touched"} {
				if strings.Contains(sql, not) {
					t.Errorf("the dry run holds %q, which a dry run stops at or lacks:\n%s", not, sql)
				}
			}
			jobs, _ := jobsByStep(t, f)
			write := jobs["write"].Configuration.Query.Query
			if tbl.Key != "" && (!strings.Contains(sql, "THEN UPDATE SET") || !strings.Contains(sql, "SELECT EXISTS(SELECT 1 FROM "+sqlName(tbl)+" AS T JOIN ")) {
				t.Errorf("the dry run lacks the check or the superseding MERGE:\n%s", sql)
			}
			// Every statement of the write is in the dry run, the temporary
			// table as the query that fills it.
			for _, part := range strings.Split(strings.TrimSuffix(write, ";"), ";\n") {
				part = strings.TrimPrefix(part, "ELSE\n")
				if _, after, ok := strings.Cut(part, " THEN\n"); ok {
					part = after
				}
				part = strings.TrimPrefix(part, "CREATE TEMP TABLE clickstream_touched AS\n")
				if part == "BEGIN TRANSACTION" || part == "COMMIT TRANSACTION" || part == "END IF" || strings.HasPrefix(part, "DROP TABLE") ||
					strings.Contains(part, "clickstream_touched") || strings.HasPrefix(part, "MERGE") && !strings.Contains(part, "UPDATE") && tbl.Key != "" {
					continue
				}
				if !strings.Contains(sql, part) {
					t.Errorf("the dry run lacks the write's statement\n%s", part)
				}
			}
			if got, want := fmt.Sprint(paramNames(dry[0])), fmt.Sprint(paramNames(jobs["write"])); got != want {
				t.Errorf("the dry run sends parameters %s, the write %s", got, want)
			}
			if dry[0].Configuration.Query.MaximumBytesBilled != 1<<40 {
				t.Errorf("the dry run's maximumBytesBilled is %d, want the limit", dry[0].Configuration.Query.MaximumBytesBilled)
			}
		})
	}

	t.Run("dry run refused", func(t *testing.T) {
		f := newFakeBigQuery(t)
		f.reply = func(r fakeRequest, serve func() (int, any)) (int, any) {
			if r.Route == routeJobsInsert && strings.Contains(string(r.Body), `"dryRun":true`) {
				return fakeError(http.StatusBadRequest, "invalidQuery", "Dry run of a script is not supported here")
			}
			return serve()
		}
		b := openFake(t, f, bigquery.Options{})
		res := loadOK(t, b, bqRequest(clickstream.SessionsTable, warehouse.Merge))
		if res.EstimatedBytes != 0 || !strings.Contains(res.EstimateError, "dry run of the write") ||
			!strings.Contains(res.EstimateError, "Dry run of a script is not supported here") {
			t.Errorf("Load: %+v, want no estimate and the dry run's error", res)
		}
	})

	t.Run("nothing to write", func(t *testing.T) {
		f := newFakeBigQuery(t)
		b := openFake(t, f, bigquery.Options{})
		res := loadOK(t, b, warehouse.LoadRequest{Table: clickstream.SessionsTable, Mode: warehouse.Merge, RunID: "run-1"})
		if n := len(f.DryRuns()); n != 0 || res.EstimatedBytes != 0 || res.EstimateError != "" {
			t.Errorf("%d dry runs, Load %+v; want none", n, res)
		}
	})
}
