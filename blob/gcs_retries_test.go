package blob

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"cloud.google.com/go/storage"
)

// failFirst fails with 503, before the server sees them, the first n
// requests that match.
type failFirst struct {
	next  http.RoundTripper
	match func(*http.Request) bool
	n     atomic.Int32
}

func (f *failFirst) RoundTrip(r *http.Request) (*http.Response, error) {
	if f.match(r) && f.n.Add(-1) >= 0 {
		return statusTransport{status: http.StatusServiceUnavailable}.RoundTrip(r)
	}
	return f.next.RoundTrip(r)
}

// Readers and writers of a GCS store count the requests sent again after a
// transient failure, the client's retries and the reader's own reopenings
// alike; local files are no Retrier.
func TestGCSRetries(t *testing.T) {
	download := func(r *http.Request) bool {
		return r.Method == http.MethodGet && !strings.HasPrefix(r.URL.Path, "/storage/v1/")
	}
	upload := func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/upload/") }
	attrs := func(r *http.Request) bool {
		return r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/storage/v1/b/"+testBucket+"/o/")
	}
	tests := []struct {
		name        string
		match       func(*http.Request) bool
		fail        int32
		maxAttempts int // of the client; 0: its default
		write       bool
	}{
		{name: "read, no faults", match: download},
		{name: "read, client retries", match: download, fail: 2},
		{name: "read, store reopens", match: download, fail: 2, maxAttempts: 1},
		{name: "write, no faults", match: upload, write: true},
		{name: "write, upload retried", match: upload, fail: 2, write: true},
		{name: "write, precondition lookup retried", match: attrs, fail: 1, write: true},
	}
	content := pseudoRandom(100 << 10)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeGCS(t)
			putObject(t, clientOver(t, srv, nil), "a", content, "")
			faulty := &failFirst{next: srv.HTTPClient().Transport, match: tt.match}
			faulty.n.Store(tt.fail)
			client := clientOver(t, srv, faulty)
			if tt.maxAttempts > 0 {
				client.SetRetry(fastRetry, storage.WithMaxAttempts(tt.maxAttempts))
			}
			s := newTestGCS(t, client, "gs://"+testBucket)
			ctx := context.Background()
			var r Retrier
			if tt.write {
				w, err := s.Create(ctx, "b")
				if err != nil {
					t.Fatal(err)
				}
				if _, err := w.Write(content); err != nil {
					t.Fatal(err)
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				equalBytes(t, "written", readObject(t, s, "b"), content)
				r = w.(Retrier)
			} else {
				rc, err := s.Open(ctx, "a")
				if err != nil {
					t.Fatal(err)
				}
				b, err := io.ReadAll(rc)
				rc.Close()
				if err != nil {
					t.Fatal(err)
				}
				equalBytes(t, "read", b, content)
				r = rc.(Retrier)
			}
			if got := r.Retries(); got != int64(tt.fail) {
				t.Errorf("Retries() = %d, want %d", got, tt.fail)
			}
			if got := Retries(r); got != int64(tt.fail) {
				t.Errorf("Retries(r) = %d, want %d", got, tt.fail)
			}
		})
	}

	local := newTestLocal(t)
	w, err := local.Create(context.Background(), "x")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(w, bytes.NewReader(content))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rc, err := local.Open(context.Background(), "x")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if Retries(w) != 0 || Retries(rc) != 0 {
		t.Errorf("local files: Retries %d and %d, want 0", Retries(w), Retries(rc))
	}
}
