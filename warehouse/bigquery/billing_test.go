package bigquery_test

import (
	"context"
	"errors"
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
