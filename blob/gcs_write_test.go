package blob

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"
)

// Writing a name twice leaves one object, with the second content and a new
// generation; content types follow the extension.
func TestGCSCreateTwice(t *testing.T) {
	tests := []struct {
		name, contentType string
		size              int
	}{
		{name: "run/visits/part-1.ndjson", contentType: "application/x-ndjson", size: 10},
		{name: "run/part-1.jsonl", contentType: "application/x-ndjson", size: 10},
		{name: "run/manifests/b.json", contentType: "application/json", size: 10},
		{name: "run/big.ndjson", contentType: "application/x-ndjson", size: 1<<20 + 3}, // several chunks
	}
	srv := newFakeGCS(t)
	client := clientOver(t, srv, nil)
	s := newTestGCS(t, client, "gs://"+testBucket+"/staging")
	s.chunkSize = 256 << 10
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first := bytes.Repeat([]byte("1"), tt.size)
			second := bytes.Repeat([]byte("2"), tt.size+1)
			writeObject(t, s, tt.name, first)
			gen1 := listNames(t, s, tt.name)[0].Generation
			writeObject(t, s, tt.name, second)
			objs := listNames(t, s, tt.name)
			if len(objs) != 1 || objs[0].Generation == gen1 || objs[0].Size != int64(len(second)) {
				t.Fatalf("after two writes, listed %+v (first generation %d)", objs, gen1)
			}
			equalBytes(t, "content", readObject(t, s, tt.name), second)
			attrs, err := client.Bucket(testBucket).Object("staging/" + tt.name).Attrs(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if attrs.ContentType != tt.contentType {
				t.Errorf("content type %q, want %q", attrs.ContentType, tt.contentType)
			}
		})
	}
}

// Two writers of one name at once: one wins whole, the other fails and
// leaves nothing of its content; with the same content both succeed.
func TestGCSCreateConcurrent(t *testing.T) {
	tests := []struct {
		name     string
		size     int
		sameData bool
	}{
		{name: "one request", size: 1000},
		{name: "resumable", size: 1<<20 + 5},
		{name: "same content", size: 1<<20 + 5, sameData: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeGCS(t)
			s := newTestGCS(t, clientOver(t, srv, nil), "gs://"+testBucket)
			s.chunkSize = 256 << 10
			contents := [2][]byte{bytes.Repeat([]byte("a"), tt.size), bytes.Repeat([]byte("b"), tt.size)}
			if tt.sameData {
				contents[1] = contents[0]
			}
			var ws [2]Writer
			for i := range ws {
				w, err := s.Create(context.Background(), "x.ndjson")
				if err != nil {
					t.Fatal(err)
				}
				ws[i] = w
			}
			// Interleave the writes, then commit both at once.
			const piece = 64 << 10
			for off := 0; off < tt.size; off += piece {
				for i, w := range ws {
					if _, err := w.Write(contents[i][off:min(off+piece, tt.size)]); err != nil {
						t.Fatal(err)
					}
				}
			}
			var errs [2]error
			var wg sync.WaitGroup
			for i, w := range ws {
				wg.Go(func() { errs[i] = w.Close() })
			}
			wg.Wait()
			got := readObject(t, s, "x.ndjson")
			if tt.sameData {
				if errs[0] != nil || errs[1] != nil {
					t.Fatalf("Close = %v, %v; want both to succeed", errs[0], errs[1])
				}
				equalBytes(t, "content", got, contents[0])
				return
			}
			winner := slices.IndexFunc(errs[:], func(err error) bool { return err == nil })
			if winner < 0 || errs[1-winner] == nil {
				t.Fatalf("Close = %v, %v; want exactly one to succeed", errs[0], errs[1])
			}
			checkErr(t, errs[1-winner], nil, "another writer replaced the object")
			equalBytes(t, "content", got, contents[winner])
			if n := len(listNames(t, s, "")); n != 1 {
				t.Errorf("%d objects, want 1", n)
			}
		})
	}
}

// lostResponseTransport sends the first upload of one request to the
// server, then tells the client it failed (503), as a connection lost
// before the response would; the client tries again.
type lostResponseTransport struct {
	next http.RoundTripper
	done atomic.Bool
}

func (l *lostResponseTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := l.next.RoundTrip(r)
	if err != nil || r.URL.Query().Get("uploadType") != "multipart" || !l.done.CompareAndSwap(false, true) {
		return res, err
	}
	res.Body.Close()
	return statusTransport{status: http.StatusServiceUnavailable}.RoundTrip(r)
}

// A retried upload whose first attempt succeeded meets its own object:
// the precondition fails (412), and Close sees that the object is what it
// wrote.
func TestGCSCreateRetryAfterLostResponse(t *testing.T) {
	for _, existed := range []bool{false, true} {
		srv := newFakeGCS(t)
		lost := &lostResponseTransport{next: srv.HTTPClient().Transport}
		s := newTestGCS(t, clientOver(t, srv, lost), "gs://"+testBucket)
		if existed {
			writeObject(t, newTestGCS(t, clientOver(t, srv, nil), "gs://"+testBucket), "a.ndjson", []byte("old\n"))
		}
		writeObject(t, s, "a.ndjson", []byte("new\n"))
		if !lost.done.Load() {
			t.Fatal("no response was lost")
		}
		if got := readObject(t, s, "a.ndjson"); string(got) != "new\n" {
			t.Errorf("content %q", got)
		}
	}
}

// Abort leaves nothing: no new object, and an object being replaced keeps
// its content.
func TestGCSAbort(t *testing.T) {
	srv := newFakeGCS(t)
	s := newTestGCS(t, clientOver(t, srv, nil), "gs://"+testBucket+"/staging")
	s.chunkSize = 256 << 10
	ctx := context.Background()
	for _, size := range []int{0, 10, 1 << 20} {
		w, err := s.Create(ctx, "new.ndjson")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(bytes.Repeat([]byte("x"), size)); err != nil {
			t.Fatal(err)
		}
		w.Abort()
		if objs := listNames(t, s, ""); len(objs) != 0 {
			t.Fatalf("after Abort of %d bytes, listed %+v", size, objs)
		}
		if _, err := w.Write([]byte("x")); !errors.Is(err, fs.ErrClosed) {
			t.Errorf("Write after Abort = %v, want fs.ErrClosed", err)
		}
		if err := w.Close(); err != nil {
			t.Errorf("Close after Abort = %v", err)
		}
	}

	writeObject(t, s, "old.ndjson", []byte("old\n"))
	w, err := s.Create(ctx, "old.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	w.Write(bytes.Repeat([]byte("x"), 1<<20))
	w.Abort()
	if got := readObject(t, s, "old.ndjson"); string(got) != "old\n" {
		t.Errorf("after an aborted rewrite, content %q", got)
	}

	// A canceled context aborts too.
	cctx, cancel := context.WithCancel(ctx)
	w, err = s.Create(cctx, "canceled.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("x"))
	cancel()
	if err := w.Close(); !errors.Is(err, context.Canceled) {
		t.Errorf("Close after cancel = %v, want context.Canceled", err)
	}
	if objs := listNames(t, s, ""); len(objs) != 1 {
		t.Errorf("listed %+v, want old.ndjson alone", objs)
	}
}

func TestGCSCreateMissingBucket(t *testing.T) {
	srv := newFakeGCS(t)
	s := newTestGCS(t, clientOver(t, srv, nil), "gs://no-such-bucket")
	w, err := s.Create(context.Background(), "a.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("{}\n"))
	checkErr(t, w.Close(), []error{ErrNotExist}, "bucket no-such-bucket does not exist")
}

func TestGCSDelete(t *testing.T) {
	var objects []fakestorage.Object
	keys := []string{
		"p/run1/a.ndjson", "p/run1/visits/b.ndjson", "p/run1/visits/", "p/run10/c.ndjson",
		"p/run2/d.ndjson", "p/run1", "other/run1/e.ndjson",
	}
	for _, key := range keys {
		objects = append(objects, fakestorage.Object{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: testBucket, Name: key}})
	}
	srv := newFakeGCS(t, objects...)
	s := newTestGCS(t, clientOver(t, srv, nil), "gs://"+testBucket+"/p")
	ctx := context.Background()

	if err := s.Delete(ctx, "run2/d.ndjson"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "run2/d.ndjson"); err != nil {
		t.Errorf("deleting a missing object: %v", err)
	}
	if err := s.DeletePrefix(ctx, "run1/"); err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, key := range keys {
		if _, err := srv.GetObject(testBucket, key); err == nil {
			left = append(left, key)
		}
	}
	want := []string{"p/run10/c.ndjson", "p/run1", "other/run1/e.ndjson"}
	if !slices.Equal(left, want) {
		t.Errorf("left %q, want %q", left, want)
	}
	if err := s.DeletePrefix(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.GetObject(testBucket, "other/run1/e.ndjson"); err != nil {
		t.Error("DeletePrefix of the root deleted outside it")
	}
	if objs := listNames(t, s, ""); len(objs) != 0 {
		t.Errorf("after DeletePrefix(\"\"), listed %+v", objs)
	}

	missing := newTestGCS(t, clientOver(t, srv, nil), "gs://no-such-bucket")
	if err := missing.DeletePrefix(ctx, ""); err != nil {
		t.Errorf("DeletePrefix in a missing bucket: %v", err)
	}
	if err := missing.Delete(ctx, "a"); err != nil {
		t.Errorf("Delete in a missing bucket: %v", err)
	}
}
