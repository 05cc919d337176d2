package bigquery_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	bqapi "google.golang.org/api/bigquery/v2"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/warehouse"
	"github.com/clickstream-platform/clickstream/warehouse/bigquery"
)

// TestBigQuerySettingsRefused: a dataset or table already there whose
// settings would drop rows, or fail a load's statements, is refused before
// any job runs, with an error wrapping ErrSettings that names the setting
// and how to remove it.
func TestBigQuerySettingsRefused(t *testing.T) {
	const month = 30 * 24 * time.Hour
	dataset := func(id string, edit func(*bqapi.Dataset)) func(*fakeBigQuery) {
		return func(f *fakeBigQuery) {
			ds := &bqapi.Dataset{DatasetReference: &bqapi.DatasetReference{ProjectId: fakeProject, DatasetId: id}, Location: "US"}
			edit(ds)
			f.datasets[id] = ds
		}
	}
	table := func(name string, edit func(*bqapi.Table)) func(*fakeBigQuery) {
		return func(f *fakeBigQuery) { edit(f.tables["clickstream_dw."+name]) }
	}
	for _, tt := range []struct {
		name        string
		before      func(*fakeBigQuery) // before any table exists
		after       func(*fakeBigQuery) // once EnsureTables created them
		load        string              // the table a load of which is refused; "": RecordRun is
		errContains []string
	}{
		{name: "expiring dataset", load: clickstream.SessionsTable, before: dataset("clickstream_dw", func(ds *bqapi.Dataset) { ds.DefaultTableExpirationMs = month.Milliseconds() }),
			errContains: []string{"dataset test-proj.clickstream_dw: a default table expiration of 720h0m0s would delete the tables created in it",
				"ALTER SCHEMA `test-proj.clickstream_dw` SET OPTIONS (default_table_expiration_days = NULL)", "warehouse.dw_dataset"}},
		{name: "dataset expiring partitions", load: clickstream.PageviewsTable, before: dataset("clickstream_lake", func(ds *bqapi.Dataset) { ds.DefaultPartitionExpirationMs = month.Milliseconds() }),
			errContains: []string{"dataset test-proj.clickstream_lake: a default partition expiration of 720h0m0s", "default_partition_expiration_days = NULL"}},
		{name: "expiring table", load: clickstream.SessionsTable, after: table(clickstream.SessionsTable, func(tbl *bqapi.Table) {
			tbl.ExpirationTime = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC).UnixMilli()
		}), errContains: []string{"table test-proj.clickstream_dw.sessions: it expires at 2030-01-02T03:04:05Z", "expiration_timestamp = NULL"}},
		{name: "expiring partitions", load: clickstream.PurchasesTable, after: table(clickstream.PurchasesTable, func(tbl *bqapi.Table) { tbl.TimePartitioning.ExpirationMs = month.Milliseconds() }),
			errContains: []string{"table test-proj.clickstream_dw.purchase_events: its partitions expire after 720h0m0s", "partition_expiration_days = NULL"}},
		{name: "partition filter required", load: clickstream.PageviewsTable, after: table(clickstream.PageviewsTable, func(tbl *bqapi.Table) { tbl.RequirePartitionFilter = true }),
			errContains: []string{"table test-proj.clickstream_dw.pageview_events: it requires a partition filter", "require_partition_filter = FALSE"}},
		{name: "expiring audit table", after: table(warehouse.RunsTable, func(tbl *bqapi.Table) { tbl.ExpirationTime = time.Now().Add(month).UnixMilli() }),
			errContains: []string{"table test-proj.clickstream_dw.pipeline_runs: it expires at"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeBigQuery(t)
			b := openFake(t, f, bigquery.Options{})
			ctx := context.Background()
			if tt.before != nil {
				tt.before(f)
			} else {
				if err := b.EnsureTables(ctx); err != nil {
					t.Fatal(err)
				}
				tt.after(f)
			}
			check := func(op string, err error) {
				t.Helper()
				if !errors.Is(err, warehouse.ErrSettings) || errors.Is(err, warehouse.ErrSchema) {
					t.Fatalf("%s: %v, want an error wrapping ErrSettings", op, err)
				}
				for _, want := range tt.errContains {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("%s: %v\ndoes not say %q", op, err, want)
					}
				}
			}
			check("EnsureTables", b.EnsureTables(ctx))
			if tt.load == "" {
				check("RecordRun", b.RecordRun(ctx, warehouse.RunRecord{RunID: "r", Mode: "merge"}))
			} else {
				_, err := b.Load(ctx, bqRequest(tt.load, warehouse.Merge))
				check("Load", err)
			}
			if n := len(f.Requests(routeJobsInsert)); n > 0 {
				t.Errorf("%d jobs inserted, want none", n)
			}
		})
	}
}
