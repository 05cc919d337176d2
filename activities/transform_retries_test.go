package activities_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"cloud.google.com/go/storage"
	"github.com/fsouza/fake-gcs-server/fakestorage"
	gax "github.com/googleapis/gax-go/v2"
	"google.golang.org/api/option"

	"github.com/clickstream-platform/clickstream/activities"
	"github.com/clickstream-platform/clickstream/blob"
	"github.com/clickstream-platform/clickstream/sampledata"
	"github.com/clickstream-platform/clickstream/staging"
)

// failFirst answers 503, before the server sees them, to the first n
// requests that match.
type failFirst struct {
	next  http.RoundTripper
	match func(*http.Request) bool
	n     atomic.Int32
}

func (f *failFirst) RoundTrip(r *http.Request) (*http.Response, error) {
	if f.match(r) && f.n.Add(-1) >= 0 {
		return &http.Response{StatusCode: http.StatusServiceUnavailable, Status: "503 Service Unavailable",
			Header: http.Header{}, Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
	}
	return f.next.RoundTrip(r)
}

// A transform over a store that fails now and then succeeds, and counts the
// requests it sent again in its result and manifest: reads of the input
// and writes of the staged files.
func TestTransformCountsStorageRetries(t *testing.T) {
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{NoListener: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: "bkt"})
	_, err = sampledata.WriteObjects(sampledata.Options{Files: 3, Sessions: 300, Seed: 2, InvalidRate: 0.1},
		func(name string) (io.WriteCloser, error) {
			return srv.Client().Bucket("bkt").Object("src/" + name).NewWriter(context.Background()), nil
		})
	if err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		name           string
		reads, uploads int32
		wantRetries    int64
	}{
		{name: "no faults"},
		{name: "faults", reads: 2, uploads: 3, wantRetries: 5},
	} {
		t.Run(tt.name, func(t *testing.T) {
			reads := &failFirst{next: srv.HTTPClient().Transport, match: func(r *http.Request) bool {
				return r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/src/")
			}}
			reads.n.Store(tt.reads)
			uploads := &failFirst{next: reads, match: func(r *http.Request) bool {
				return strings.HasPrefix(r.URL.Path, "/upload/") && strings.Contains(r.URL.RawQuery, "name=stage")
			}}
			uploads.n.Store(tt.uploads)
			client, err := blob.NewGCSClient(context.Background(), option.WithHTTPClient(&http.Client{Transport: uploads}), option.WithoutAuthentication())
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close()
			client.SetRetry(storage.WithBackoff(gax.Backoff{Initial: time.Millisecond, Max: 10 * time.Millisecond, Multiplier: 2}))
			open := func(uri string) blob.Store {
				s, err := blob.NewGCS(client, uri)
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
			src := open("gs://bkt/src")
			page, err := src.List(context.Background(), "", "", 0)
			if err != nil {
				t.Fatal(err)
			}
			prefix := strings.ReplaceAll(tt.name, " ", "-") + "/" // each its own staging and dead letter
			a := &activities.Activities{
				OpenSource: func(context.Context, string) (blob.Store, error) { return src, nil },
				Staging:    open("gs://bkt/stage/" + prefix), DeadLetter: open("gs://bkt/dead/" + prefix),
			}
			f := &fixture{a: a, objects: page.Objects}
			res, _, err := f.run(t, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.StorageRetries != tt.wantRetries {
				t.Errorf("StorageRetries = %d, want %d", res.StorageRetries, tt.wantRetries)
			}
			if reads.n.Load() >= 0 || uploads.n.Load() >= 0 {
				t.Fatalf("the faults did not all happen: %d reads and %d uploads left to fail", reads.n.Load()+1, uploads.n.Load()+1)
			}
			rc, err := a.Staging.Open(context.Background(), res.Manifest)
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			var m staging.Manifest
			if err := json.NewDecoder(rc).Decode(&m); err != nil {
				t.Fatal(err)
			}
			if m.StorageRetries != tt.wantRetries {
				t.Errorf("the manifest's storage_retries = %d, want %d", m.StorageRetries, tt.wantRetries)
			}
		})
	}
}
