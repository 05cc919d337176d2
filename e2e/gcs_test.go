package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"testing"

	"cloud.google.com/go/storage"
	"github.com/fsouza/fake-gcs-server/fakestorage"

	"github.com/clickstream-platform/clickstream/blob"
	"github.com/clickstream-platform/clickstream/sampledata"
	"github.com/clickstream-platform/clickstream/workflows"
)

// TestEndToEndGCS runs the pipeline with source, staging and dead letter in
// buckets of fake-gcs-server (in-process, reached through
// STORAGE_EMULATOR_HOST by the real storage client) and DuckDB as the
// warehouse, and checks it gives the same tables as the local-folder run of
// the same input, lineage apart.
func TestEndToEndGCS(t *testing.T) {
	opts := sampledata.Options{Files: 6, Sessions: 1500, Days: 2, Seed: 21, InvalidRate: 0.05, DuplicateRate: 0.1, Gzip: true}
	e, sum := e2eEnv(t, opts) // also writes the input to data/source
	e.Vars["CLICKSTREAM_PIPELINE_BATCH_OBJECTS"] = "2"

	var local workflows.PipelineResult
	starterJSON(t, e, &local, "run", "--dev", "--json")
	localDigests := e.Digests("source_object", "run_id")

	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{Scheme: "http", Host: "127.0.0.1", PublicHost: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	u, err := url.Parse(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("STORAGE_EMULATOR_HOST", u.Host) // for the client here and, through the environment, the starter
	for _, b := range []string{"raw", "stage", "dead"} {
		srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: b})
	}
	// The same objects, uploaded with the real client as a producer would.
	ctx := context.Background()
	c, err := blob.NewGCSClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = sampledata.WriteObjects(opts, func(name string) (io.WriteCloser, error) {
		return c.Bucket("raw").Object("sessions/" + name).NewWriter(ctx), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	e.Vars["CLICKSTREAM_SOURCE_URI"] = "gs://raw/sessions"
	e.Vars["CLICKSTREAM_STAGING_URI"] = "gs://stage/staging"
	e.Vars["CLICKSTREAM_DEADLETTER_URI"] = "gs://dead/rejects"

	// Another source is another slice: the local run's rows would stay.
	var gcs workflows.PipelineResult
	starterJSON(t, e, &gcs, "run", "--dev", "--json", "--recreate")
	if gcs.Accounting != sum.Expected || gcs.Accounting != local.Accounting {
		t.Fatalf("accounting over GCS %+v, local %+v, generator %+v", gcs.Accounting, local.Accounting, sum.Expected)
	}
	if got := e.Digests("source_object", "run_id"); fmt.Sprint(got) != fmt.Sprint(localDigests) {
		t.Errorf("tables loaded from GCS differ from the local run's:\n gcs   %v\n local %v", got, localDigests)
	}
	var lineage []map[string]any
	starterJSON(t, e, &lineage, "query", "--json", "SELECT min(source_object) AS o FROM clickstream_dw.sessions")
	if o := fmt.Sprint(lineage[0]["o"]); !bytes.HasPrefix([]byte(o), []byte("gs://raw/sessions/dt=")) {
		t.Errorf("source_object = %s, want the gs:// object", o)
	}
	// Staged files, manifests and rejects are in the buckets, not on disk.
	for bucket, prefix := range map[string]string{"stage": "staging/" + gcs.RunID + "/manifests/", "dead": "rejects/" + gcs.RunID + "/"} {
		it := c.Bucket(bucket).Objects(ctx, &storage.Query{Prefix: prefix})
		if _, err := it.Next(); err != nil {
			t.Errorf("nothing under gs://%s/%s: %v", bucket, prefix, err)
		}
	}
}
