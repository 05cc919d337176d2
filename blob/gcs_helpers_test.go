package blob

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/storage"
	"github.com/fsouza/fake-gcs-server/fakestorage"
	gax "github.com/googleapis/gax-go/v2"
	"google.golang.org/api/option"
)

const testBucket = "test-bucket"

// newFakeGCS starts an in-process fake-gcs-server holding the bucket
// testBucket and objects.
func newFakeGCS(t testing.TB, objects ...fakestorage.Object) *fakestorage.Server {
	t.Helper()
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{NoListener: true, InitialObjects: objects})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: testBucket})
	return srv
}

// newListeningFakeGCS starts fake-gcs-server on a port of 127.0.0.1, over
// plain HTTP, as an emulator runs. Its public host must be the host clients
// use: the client reads objects with the XML API, GET host/bucket/object,
// which the server only routes so for its public host (by default
// storage.googleapis.com); for any other host it takes the host for the
// bucket and answers 404.
func newListeningFakeGCS(t testing.TB) *fakestorage.Server {
	t.Helper()
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{Scheme: "http", Host: "127.0.0.1", PublicHost: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: testBucket})
	return srv
}

// clientOver returns a client whose requests go through rt, or to srv
// in-process when rt is nil. Retries wait milliseconds, not seconds.
func clientOver(t testing.TB, srv *fakestorage.Server, rt http.RoundTripper) *storage.Client {
	t.Helper()
	if rt == nil {
		rt = srv.HTTPClient().Transport
	}
	c, err := NewGCSClient(context.Background(), option.WithHTTPClient(&http.Client{Transport: rt}), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	c.SetRetry(fastRetry)
	t.Cleanup(func() { c.Close() })
	return c
}

var fastRetry = storage.WithBackoff(gax.Backoff{Initial: time.Millisecond, Max: 10 * time.Millisecond, Multiplier: 2})

// newTestGCS returns a store over uri with client, whose own retries of a
// read wait milliseconds.
func newTestGCS(t testing.TB, client *storage.Client, uri string) *GCS {
	t.Helper()
	s, err := NewGCS(client, uri)
	if err != nil {
		t.Fatal(err)
	}
	s.backoff = backoff{initial: time.Millisecond, max: 10 * time.Millisecond}
	return s
}

// putObject writes an object below the bucket, bypassing the store, with
// the attributes given.
func putObject(t testing.TB, client *storage.Client, key string, content []byte, encoding string) *storage.ObjectAttrs {
	t.Helper()
	w := client.Bucket(testBucket).Object(key).Retryer(storage.WithPolicy(storage.RetryAlways)).NewWriter(context.Background())
	w.ContentEncoding = encoding
	if _, err := w.Write(content); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("writing %s: %v", key, err)
	}
	return w.Attrs()
}

// writeObject writes an object through the store.
func writeObject(t testing.TB, s Store, name string, content []byte) {
	t.Helper()
	w, err := s.Create(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(content); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("writing %s: %v", name, err)
	}
}

// readObject reads an object through the store.
func readObject(t testing.TB, s Store, name string) []byte {
	t.Helper()
	rc, err := s.Open(context.Background(), name)
	if err != nil {
		t.Fatalf("opening %s: %v", name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading %s: %v", name, err)
	}
	return b
}

// listNames follows a store's pages to the end.
func listNames(t testing.TB, s Store, prefix string) []Object {
	t.Helper()
	var objs []Object
	token := ""
	for {
		page, err := s.List(context.Background(), prefix, token, 0)
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, page.Objects...)
		if page.Next == "" {
			return objs
		}
		token = page.Next
	}
}

// checkErr fails unless err wraps every one of is and says every one of
// contains.
func checkErr(t testing.TB, err error, is []error, contains ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one wrapping %v", is)
	}
	for _, target := range is {
		if !errors.Is(err, target) {
			t.Errorf("error %q does not wrap %v", err, target)
		}
	}
	for _, want := range contains {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// pseudoRandom returns n bytes that do not compress, the same every time.
func pseudoRandom(n int) []byte {
	b := make([]byte, n)
	x := uint64(0x9E3779B97F4A7C15)
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x)
	}
	return b
}

func equalBytes(t testing.TB, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Fatalf("%s: got %d bytes, want %d; first difference at byte %d", what, len(got), len(want), i)
	}
}
