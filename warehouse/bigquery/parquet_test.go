package bigquery_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	bqapi "google.golang.org/api/bigquery/v2"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/warehouse"
	"github.com/clickstream-platform/clickstream/warehouse/bigquery"
)

// bqParquetFiles are staged Parquet files of one table; the first is listed twice.
func bqParquetFiles(table string) []string {
	return []string{
		"gs://stage/run-1/" + table + "/b0.parquet",
		"gs://stage/run-1/" + table + "/b1.parquet",
		"gs://stage/run-1/" + table + "/b0.parquet",
	}
}

// loadConfigKeys returns the members of configuration.load of the job
// insert whose job id has step, as sent.
func loadConfigKeys(t *testing.T, f *fakeBigQuery, want string) []string {
	t.Helper()
	for _, r := range f.Requests(routeJobsInsert) {
		var job struct {
			JobReference struct {
				JobID string `json:"jobId"`
			} `json:"jobReference"`
			Configuration struct {
				Load map[string]json.RawMessage `json:"load"`
			} `json:"configuration"`
		}
		r.decode(t, &job)
		if job.Configuration.Load != nil && step(t, job.JobReference.JobID) == want {
			return slices.Sorted(maps.Keys(job.Configuration.Load))
		}
	}
	t.Fatalf("no load job of step %s", want)
	return nil
}

// TestBigQueryLoadParquet: Parquet files are loaded as PARQUET with list
// inference, appended to the staging table created with the target's
// schema, with none of the JSON options; the rest of the load is NDJSON's.
func TestBigQueryLoadParquet(t *testing.T) {
	for _, tbl := range clickstream.Tables() {
		for _, mode := range []warehouse.Mode{warehouse.Replace, warehouse.Merge} {
			t.Run(tbl.Name+"/"+string(mode), func(t *testing.T) {
				f := newFakeBigQuery(t)
				b := openFake(t, f, bigquery.Options{})
				f.values = map[string]int64{"distinct_keys": 3, "rows_before": 7, "rows_after": 9}
				f.outputRows = func([]string) int64 { return 5 }
				req := bqRequest(tbl.Name, mode)
				req.Files = bqParquetFiles(tbl.Name)
				res := loadOK(t, b, req)
				if want := (warehouse.LoadResult{Table: tbl.Name, Staged: 5, Distinct: 3, Before: 7, After: 9, Added: 2}); res != want {
					t.Errorf("Load: %+v, want %+v", res, want)
				}
				jobs, steps := jobsByStep(t, f)
				if want := []string{"load", "count-before", "write", "count-after"}; !slices.Equal(steps, want) {
					t.Fatalf("jobs %v, want %v", steps, want)
				}
				load := jobs["load"].Configuration.Load
				if want := bqParquetFiles(tbl.Name)[:2]; !slices.Equal(load.SourceUris, want) {
					t.Errorf("load job URIs %v, want %v (each file once, in order)", load.SourceUris, want)
				}
				if load.SourceFormat != "PARQUET" || load.ParquetOptions == nil || !load.ParquetOptions.EnableListInference ||
					load.WriteDisposition != "WRITE_APPEND" || load.CreateDisposition != "CREATE_NEVER" || load.Schema != nil {
					t.Errorf("load job: format %s, parquetOptions %+v, write %s, create %s, schema %v; want PARQUET, enableListInference, WRITE_APPEND, CREATE_NEVER, none",
						load.SourceFormat, load.ParquetOptions, load.WriteDisposition, load.CreateDisposition, load.Schema)
				}
				// Only these members are sent: no JSON option (ignoreUnknownValues,
				// maxBadRecords, autodetect, encoding...), no schema.
				want := []string{"createDisposition", "destinationTable", "parquetOptions", "sourceFormat", "sourceUris", "writeDisposition"}
				if got := loadConfigKeys(t, f, "load"); !slices.Equal(got, want) {
					t.Errorf("load configuration sends %v, want %v", got, want)
				}

				// The staging table is created with the target's schema
				// before the load, and written from as for NDJSON.
				dst := load.DestinationTable
				var created bqapi.Table
				inserts := f.Requests(routeTablesInsert)
				inserts[len(inserts)-1].decode(t, &created)
				if created.TableReference.TableId != dst.TableId || !strings.HasPrefix(dst.TableId, "_staging_run_1_"+tbl.Name+"_a1_") {
					t.Fatalf("last table created is %s, the load writes %s; want the staging table", created.TableReference.TableId, dst.TableId)
				}
				checkFields(t, "staging table", created.Schema.Fields, tbl.Fields)
				staging := fmt.Sprintf("`%s`.`%s`.`%s`", dst.ProjectId, dst.DatasetId, dst.TableId)
				checkWriteSQL(t, jobs["write"].Configuration.Query.Query, tbl, req, staging)
			})
		}
	}

	t.Run("NDJSON ids differ", func(t *testing.T) {
		pq, _ := jobIDs(t, warehouse.LoadRequest{Table: "sessions", Files: bqParquetFiles("sessions"), Mode: warehouse.Merge, RunID: "run-1"})
		nd, _ := jobIDs(t, warehouse.LoadRequest{Table: "sessions", Files: bqFiles("sessions"), Mode: warehouse.Merge, RunID: "run-1"})
		if pq[0] == nd[0] {
			t.Errorf("the Parquet and NDJSON loads share job id %s", pq[0])
		}
	})

	t.Run("many files", func(t *testing.T) {
		f := newFakeBigQuery(t)
		b := openFake(t, f, bigquery.Options{})
		files := make([]string, 10_001)
		for i := range files {
			files[i] = fmt.Sprintf("gs://stage/run-1/sessions/b%05d.parquet", i)
		}
		res := loadOK(t, b, warehouse.LoadRequest{Table: "sessions", Files: files, Mode: warehouse.Merge, RunID: "run-1", Attempt: 3})
		if res.Staged != 10_001 {
			t.Errorf("Staged %d, want the 10001 rows of both load jobs", res.Staged)
		}
		jobs, _ := jobsByStep(t, f)
		for _, s := range []string{"load-1", "load-2"} {
			l := jobs[s].Configuration.Load
			if l.SourceFormat != "PARQUET" || l.WriteDisposition != "WRITE_APPEND" || l.CreateDisposition != "CREATE_NEVER" {
				t.Errorf("%s: %s, %s, %s; want PARQUET, WRITE_APPEND, CREATE_NEVER", s, l.SourceFormat, l.WriteDisposition, l.CreateDisposition)
			}
		}
	})

	t.Run("a file that does not fit", func(t *testing.T) {
		f := newFakeBigQuery(t)
		b := openFake(t, f, bigquery.Options{})
		failStep(t, f, "load", &bqapi.ErrorProto{Reason: "invalid",
			Message: "Provided Schema does not match Table test-proj:clickstream_dw._staging. Field user_id has changed mode from REQUIRED to NULLABLE"})
		_, err := b.Load(context.Background(), warehouse.LoadRequest{Table: "sessions", Files: bqParquetFiles("sessions"), Mode: warehouse.Merge, RunID: "run-1"})
		if !errors.Is(err, warehouse.ErrSchema) || !strings.Contains(err.Error(), "Field user_id has changed mode") {
			t.Errorf("Load: %v, want ErrSchema with BigQuery's message", err)
		}
	})
}
