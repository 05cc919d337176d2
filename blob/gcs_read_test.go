package blob

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Objects come back as stored, gzip ones compressed, whether or not they
// were uploaded with Content-Encoding: gzip (which GCS, and the fake,
// decompress on the way unless the stored bytes are asked for).
func TestGCSOpenRaw(t *testing.T) {
	plain := []byte(`{"session_id":"s1"}` + "\n")
	gz := gzipped(t, bytes.Repeat(plain, 1000))
	big := gzipped(t, pseudoRandom(3<<20))
	tests := []struct {
		name     string
		content  []byte
		encoding string // Content-Encoding of the upload
	}{
		{name: "plain.jsonl", content: plain},
		{name: "empty.jsonl", content: []byte{}},
		{name: "gzip/no-encoding.jsonl.gz", content: gz},
		{name: "gzip/encoding.jsonl", content: gz, encoding: "gzip"},
		{name: "gzip/encoding-big.jsonl.gz", content: big, encoding: "gzip"},
		{name: "gzip/encoding-not-gzip.jsonl", content: plain, encoding: "gzip"},
	}
	srv := newFakeGCS(t)
	client := clientOver(t, srv, nil)
	s := newTestGCS(t, client, "gs://"+testBucket+"/in")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			putObject(t, client, "in/"+tt.name, tt.content, tt.encoding)
			equalBytes(t, "Open", readObject(t, s, tt.name), tt.content)
			page, err := s.List(context.Background(), tt.name, "", 1)
			if err != nil || len(page.Objects) != 1 {
				t.Fatalf("List: %+v, %v", page, err)
			}
			if got := page.Objects[0].Size; got != int64(len(tt.content)) {
				t.Errorf("listed size %d, want the stored %d", got, len(tt.content))
			}
			rc, err := s.OpenGeneration(context.Background(), tt.name, page.Objects[0].Generation)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			equalBytes(t, "OpenGeneration", b, tt.content)
		})
	}
}

func TestGCSOpenErrors(t *testing.T) {
	srv := newFakeGCS(t)
	s := newTestGCS(t, clientOver(t, srv, nil), "gs://"+testBucket+"/in")
	ctx := context.Background()

	_, err := s.Open(ctx, "missing.jsonl")
	checkErr(t, err, []error{ErrNotExist, fs.ErrNotExist}, `object "missing.jsonl" in gs://`+testBucket+"/in does not exist")
	_, err = s.OpenGeneration(ctx, "missing.jsonl", 12345)
	checkErr(t, err, []error{ErrChanged}, "gs://"+testBucket+"/in/missing.jsonl changed since it was listed (generation 12345, now deleted)")
	_, err = s.OpenGeneration(ctx, "a", 0)
	checkErr(t, err, nil, "invalid generation 0")

	for _, name := range []string{"", "/abs", "a//b", "../x", "a/./b", `a\b`} {
		_, err := s.Open(ctx, name)
		checkErr(t, err, []error{ErrInvalidName})
		_, err = s.OpenGeneration(ctx, name, 1)
		checkErr(t, err, []error{ErrInvalidName})
		_, err = s.Create(ctx, name)
		checkErr(t, err, []error{ErrInvalidName})
		checkErr(t, s.Delete(ctx, name), []error{ErrInvalidName})
	}

	rc, err := s.Open(ctx, "missing.jsonl")
	if rc != nil || err == nil {
		t.Fatal("Open of a missing object returned a reader")
	}
}

// A rewritten object: OpenGeneration of the listed generation fails with
// ErrChanged, and List shows the new generation.
func TestGCSOpenGenerationChanged(t *testing.T) {
	srv := newFakeGCS(t)
	s := newTestGCS(t, clientOver(t, srv, nil), "gs://"+testBucket+"/in")
	ctx := context.Background()
	writeObject(t, s, "a.jsonl", []byte("one\n"))
	before := listNames(t, s, "")
	if len(before) != 1 {
		t.Fatalf("listed %+v", before)
	}
	gen1 := before[0].Generation

	writeObject(t, s, "a.jsonl", []byte("two\n"))
	after := listNames(t, s, "")
	if len(after) != 1 || after[0].Generation == gen1 {
		t.Fatalf("after a rewrite, listed %+v; before %+v", after, before)
	}
	gen2 := after[0].Generation

	_, err := s.OpenGeneration(ctx, "a.jsonl", gen1)
	checkErr(t, err, []error{ErrChanged}, fmt.Sprintf("object gs://%s/in/a.jsonl changed since it was listed (generation %d, now %d)", testBucket, gen1, gen2))
	if errors.Is(err, ErrNotExist) {
		t.Errorf("error %q wraps ErrNotExist", err)
	}

	rc, err := s.OpenGeneration(ctx, "a.jsonl", gen2)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "two\n" {
		t.Errorf("read %q", b)
	}

	if err := s.Delete(ctx, "a.jsonl"); err != nil {
		t.Fatal(err)
	}
	_, err = s.OpenGeneration(ctx, "a.jsonl", gen2)
	checkErr(t, err, []error{ErrChanged}, fmt.Sprintf("(generation %d, now deleted)", gen2))
}

// cutTransport cuts the body of the first download short, after cut bytes,
// with an error; calls then runs, once, before the cut shows.
type cutTransport struct {
	next  http.RoundTripper
	cut   int
	then  func()
	count atomic.Int32
}

func (c *cutTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := c.next.RoundTrip(r)
	if err != nil || r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/in/") || c.count.Add(1) != 1 {
		return res, err
	}
	res.Body = &cutBody{rc: res.Body, left: c.cut, err: io.ErrUnexpectedEOF, before: c.then}
	return res, nil
}

// cutBody ends its body with err after left bytes, calling before first.
type cutBody struct {
	rc     io.ReadCloser
	left   int
	err    error
	before func()
}

func (b *cutBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		if b.before != nil {
			b.before()
			b.before = nil
		}
		return 0, b.err
	}
	if len(p) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= n
	return n, err
}

func (b *cutBody) Close() error { return b.rc.Close() }

// A read broken off is resumed at the same generation; if the object was
// rewritten meanwhile, the read fails with ErrChanged instead of going on
// with the new content.
func TestGCSOpenResumesSameGeneration(t *testing.T) {
	old := pseudoRandom(1 << 20)
	for _, rewrite := range []bool{false, true} {
		t.Run(fmt.Sprintf("rewritten=%v", rewrite), func(t *testing.T) {
			srv := newFakeGCS(t)
			direct := clientOver(t, srv, nil)
			putObject(t, direct, "in/a.bin", old, "")
			cut := &cutTransport{next: srv.HTTPClient().Transport, cut: 100 << 10}
			if rewrite {
				cut.then = func() { putObject(t, direct, "in/a.bin", []byte("new content"), "") }
			}
			s := newTestGCS(t, clientOver(t, srv, cut), "gs://"+testBucket+"/in")
			rc, err := s.Open(context.Background(), "a.bin")
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			b, err := io.ReadAll(rc)
			if !rewrite {
				if err != nil {
					t.Fatal(err)
				}
				equalBytes(t, "Open", b, old)
				return
			}
			checkErr(t, err, []error{ErrChanged}, "changed while it was read (generation ")
			if !bytes.Equal(b, old[:len(b)]) {
				t.Error("the bytes read before the failure are not the old content's")
			}
			if _, err := rc.Read(make([]byte, 10)); !errors.Is(err, ErrChanged) {
				t.Errorf("Read after the failure = %v, want the failure again", err)
			}
		})
	}
}

// The reader is closed: Read fails, a second Close does nothing.
func TestGCSReaderClose(t *testing.T) {
	srv := newFakeGCS(t)
	s := newTestGCS(t, clientOver(t, srv, nil), "gs://"+testBucket)
	writeObject(t, s, "a", []byte("abc"))
	rc, err := s.Open(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := rc.Read(make([]byte, 1)); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("Read after Close = %v, want fs.ErrClosed", err)
	}
	if err := rc.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}
