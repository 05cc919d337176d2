package e2e

import (
	"context"
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	"cloud.google.com/go/bigquery"
	"cloud.google.com/go/storage"
	"google.golang.org/api/iterator"

	"github.com/clickstream-platform/clickstream/blob"
	"github.com/clickstream-platform/clickstream/sampledata"
	"github.com/clickstream-platform/clickstream/workflows"
)

// TestLivePipeline runs the pipeline on a small generated set against real
// Cloud Storage and BigQuery, with Application Default Credentials, and
// checks the tables hold exactly the generator's distinct rows, in both
// modes, logging what each load read and estimated. It is opt-in:
//
//	CLICKSTREAM_BIGQUERY_TEST_PROJECT=my-project CLICKSTREAM_BIGQUERY_TEST_BUCKET=my-bucket \
//	  go test ./e2e -run TestLivePipeline -v
//
// It writes under gs://BUCKET/clickstream-live-<time>/ and into datasets
// clickstream_live_<time>_{lake,dw} (location CLICKSTREAM_BIGQUERY_TEST_LOCATION,
// default US), and deletes both afterwards.
func TestLivePipeline(t *testing.T) {
	project, bucket := os.Getenv("CLICKSTREAM_BIGQUERY_TEST_PROJECT"), os.Getenv("CLICKSTREAM_BIGQUERY_TEST_BUCKET")
	if project == "" || bucket == "" {
		t.Skip("set CLICKSTREAM_BIGQUERY_TEST_PROJECT and CLICKSTREAM_BIGQUERY_TEST_BUCKET to run against real GCS and BigQuery")
	}
	location := os.Getenv("CLICKSTREAM_BIGQUERY_TEST_LOCATION")
	if location == "" {
		location = "US"
	}
	opts := sampledata.Options{Files: 4, Sessions: 800, Days: 2, Seed: 31, InvalidRate: 0.05, DuplicateRate: 0.1, Gzip: true}
	e, sum := e2eEnv(t, opts)
	ctx := context.Background()
	stamp := time.Now().UTC().Format("20060102t150405")
	root := "clickstream-live-" + stamp
	lake, dw := "clickstream_live_"+stamp+"_lake", "clickstream_live_"+stamp+"_dw"

	gcs, err := blob.NewGCSClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer gcs.Close()
	t.Cleanup(func() { deletePrefix(t, gcs, bucket, root+"/") })
	bq, err := bigquery.NewClient(ctx, project)
	if err != nil {
		t.Fatal(err)
	}
	defer bq.Close()
	t.Cleanup(func() {
		for _, ds := range []string{lake, dw} {
			if err := bq.Dataset(ds).DeleteWithContents(context.Background()); err != nil {
				t.Logf("deleting dataset %s: %v", ds, err)
			}
		}
	})
	if _, err := sampledata.WriteObjects(opts, func(name string) (io.WriteCloser, error) {
		return gcs.Bucket(bucket).Object(root + "/source/" + name).NewWriter(ctx), nil
	}); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"CLICKSTREAM_SOURCE_URI":                  fmt.Sprintf("gs://%s/%s/source", bucket, root),
		"CLICKSTREAM_STAGING_URI":                 fmt.Sprintf("gs://%s/%s/staging", bucket, root),
		"CLICKSTREAM_DEADLETTER_URI":              fmt.Sprintf("gs://%s/%s/deadletter", bucket, root),
		"CLICKSTREAM_WAREHOUSE_KIND":              "bigquery",
		"CLICKSTREAM_WAREHOUSE_BIGQUERY_PROJECT":  project,
		"CLICKSTREAM_WAREHOUSE_BIGQUERY_LOCATION": location,
		"CLICKSTREAM_WAREHOUSE_LAKE_DATASET":      lake,
		"CLICKSTREAM_WAREHOUSE_DW_DATASET":        dw,
	} {
		e.Vars[k] = v
	}
	want := sum.Distinct().Rows()
	for _, mode := range []string{"replace", "merge"} {
		var res workflows.PipelineResult
		starterJSON(t, e, &res, "run", "--dev", "--json", "--mode", mode)
		if res.Accounting != sum.Expected {
			t.Fatalf("%s: accounting %+v, generator %+v", mode, res.Accounting, sum.Expected)
		}
		for table, n := range want {
			if res.Rows[table] != n {
				t.Errorf("%s: %s holds %d rows, want %d", mode, table, res.Rows[table], n)
			}
			if mode == "merge" && res.RowsAdded[table] != 0 {
				t.Errorf("merge added %d rows to %s", res.RowsAdded[table], table)
			}
		}
		// What each load read, and what its dry run estimated beforehand.
		for _, l := range res.Loads {
			t.Logf("%s: %s processed %d bytes (estimated %d beforehand)", mode, l.Table, l.BytesProcessed, l.EstimatedBytes)
			if l.EstimateError != "" {
				t.Errorf("%s: %s: %s", mode, l.Table, l.EstimateError)
			}
		}
	}
}

func deletePrefix(t *testing.T, c *storage.Client, bucket, prefix string) {
	ctx := context.Background()
	it := c.Bucket(bucket).Objects(ctx, &storage.Query{Prefix: prefix})
	for {
		attrs, err := it.Next()
		if err == iterator.Done {
			return
		}
		if err != nil {
			t.Logf("cleaning gs://%s/%s: %v", bucket, prefix, err)
			return
		}
		if err := c.Bucket(bucket).Object(attrs.Name).Delete(ctx); err != nil {
			t.Logf("deleting gs://%s/%s: %v", bucket, attrs.Name, err)
		}
	}
}
