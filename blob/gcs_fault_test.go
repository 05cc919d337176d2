package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"cloud.google.com/go/storage"
	"google.golang.org/api/option"
)

// faultyTransport fails a share of requests with 503 before they reach the
// server, and breaks downloads off, with a reset connection or an unexpected
// EOF, on average every cutEvery bytes. (Not with a plain EOF: Go's HTTP client
// reports a body shorter than its Content-Length as an unexpected EOF, and
// the storage client counts on that when it resumes a read itself, checking
// the CRC32C of the whole at the end.)
type faultyTransport struct {
	next      http.RoundTripper
	failShare float64
	cutEvery  float64

	mu  sync.Mutex
	rng *rand.Rand

	failed, cut, ranged atomic.Int64
}

// roll says whether to fail a request, and after how many bytes to break
// its response off.
func (f *faultyTransport) roll() (fail bool, cut int64, kind int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fail = f.rng.Float64() < f.failShare
	return fail, int64(f.rng.ExpFloat64() * f.cutEvery), f.rng.IntN(2)
}

func (f *faultyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	fail, cut, kind := f.roll()
	if fail {
		f.failed.Add(1)
		return statusTransport{status: http.StatusServiceUnavailable}.RoundTrip(r)
	}
	res, err := f.next.RoundTrip(r)
	download := r.Method == http.MethodGet && !strings.HasPrefix(r.URL.Path, "/storage/v1/")
	if err != nil || !download {
		return res, err
	}
	if rg := r.Header.Get("Range"); rg != "" && !strings.HasPrefix(rg, "bytes=0-") {
		f.ranged.Add(1)
	}
	if cut >= res.ContentLength {
		return res, nil
	}
	var cutErr error = io.ErrUnexpectedEOF
	if kind == 0 {
		cutErr = &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	}
	f.cut.Add(1)
	res.Body = &cutBody{rc: res.Body, left: int(cut), err: cutErr}
	return res, nil
}

// Against a server on a port, through a transport that fails requests and
// breaks downloads off: reads return the exact bytes, and listings and
// writes succeed, thanks to retries.
func TestGCSFaults(t *testing.T) {
	for seed := range uint64(3) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) { testGCSFaults(t, seed) })
	}
}

func testGCSFaults(t *testing.T, seed uint64) {
	srv := newListeningFakeGCS(t)
	faulty := &faultyTransport{
		next:      http.DefaultTransport.(*http.Transport).Clone(),
		failShare: 0.2,
		cutEvery:  3 << 20,
		rng:       rand.New(rand.NewPCG(seed, 2)),
	}
	t.Cleanup(faulty.next.(*http.Transport).CloseIdleConnections)
	newClient := func(opts ...storage.RetryOption) *storage.Client {
		c, err := NewGCSClient(context.Background(),
			option.WithEndpoint(srv.URL()+"/storage/v1/"),
			option.WithHTTPClient(&http.Client{Transport: faulty}),
			option.WithoutAuthentication())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetRetry(append([]storage.RetryOption{fastRetry}, opts...)...)
		return c
	}
	// The client's default: retry without a bound on attempts.
	s := newTestGCS(t, newClient(), "gs://"+testBucket+"/faults")
	s.chunkSize = 256 << 10
	// A client that gives up after two attempts, leaving the reopening of
	// broken reads to the store.
	impatient := newTestGCS(t, newClient(storage.WithMaxAttempts(2)), "gs://"+testBucket+"/faults")
	ctx := context.Background()

	contents := map[string][]byte{
		"big.bin":         pseudoRandom(5 << 20),
		"big.jsonl.gz":    gzipped(t, []byte(strings.Repeat(`{"session_id":"s"}`+"\n", 200000))),
		"dt=2024-01-30/a": []byte("small\n"),
	}
	for i := range 30 {
		contents[fmt.Sprintf("many/%03d.ndjson", i)] = []byte(fmt.Sprintf("%d\n", i))
	}
	for name, content := range contents {
		writeObject(t, s, name, content)
	}
	// An object uploaded with Content-Encoding: gzip.
	encoded := gzipped(t, pseudoRandom(2<<20))
	putObject(t, newClient(), "faults/encoded.jsonl", encoded, "gzip")
	contents["encoded.jsonl"] = encoded

	for _, max := range []int{1, 3, 1000} {
		var objs []Object
		token := ""
		for {
			page, err := s.List(ctx, "", token, max)
			if err != nil {
				t.Fatal(err)
			}
			objs = append(objs, page.Objects...)
			if page.Next == "" {
				break
			}
			token = page.Next
		}
		if len(objs) != len(contents) {
			t.Fatalf("pages of %d: listed %d objects, want %d", max, len(objs), len(contents))
		}
		for _, o := range objs {
			if o.Size != int64(len(contents[o.Name])) {
				t.Errorf("%s: listed size %d, want %d", o.Name, o.Size, len(contents[o.Name]))
			}
		}
	}

	for _, store := range []*GCS{s, impatient} {
		objs := listNames(t, s, "")
		for _, o := range objs {
			equalBytes(t, "Open "+o.Name, readObject(t, store, o.Name), contents[o.Name])
			rc, err := store.OpenGeneration(ctx, o.Name, o.Generation)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatalf("OpenGeneration %s: %v", o.Name, err)
			}
			equalBytes(t, "OpenGeneration "+o.Name, b, contents[o.Name])
		}
	}
	t.Logf("%d requests failed, %d downloads cut short, %d reads resumed at an offset", faulty.failed.Load(), faulty.cut.Load(), faulty.ranged.Load())
	if faulty.failed.Load() == 0 || faulty.cut.Load() == 0 || faulty.ranged.Load() == 0 {
		t.Error("the faults did not happen")
	}
}

// A store that keeps failing gives up after its attempts, with the error.
func TestGCSReadGivesUp(t *testing.T) {
	srv := newFakeGCS(t)
	s := newTestGCS(t, clientOver(t, srv, nil), "gs://"+testBucket)
	writeObject(t, s, "a", pseudoRandom(1<<20))
	// Every download after the first fails.
	var downloads atomic.Int32
	broken := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.Method == http.MethodGet && !strings.HasPrefix(r.URL.Path, "/storage/v1/") && downloads.Add(1) > 1 {
			return statusTransport{status: http.StatusServiceUnavailable}.RoundTrip(r)
		}
		res, err := srv.HTTPClient().Transport.RoundTrip(r)
		if err == nil && r.Method == http.MethodGet && downloads.Load() == 1 {
			res.Body = &cutBody{rc: res.Body, left: 1000, err: io.ErrUnexpectedEOF}
		}
		return res, err
	})
	client := clientOver(t, srv, broken)
	client.SetRetry(storage.WithMaxAttempts(1))
	faulty := newTestGCS(t, client, "gs://"+testBucket)
	rc, err := faulty.Open(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	checkErr(t, err, nil, "reading gs://"+testBucket+"/a at byte 1000: giving up after 6 attempts", "503")
	if len(b) != 1000 {
		t.Errorf("read %d bytes before giving up, want 1000", len(b))
	}
	if got := downloads.Load(); got != 1+6 {
		t.Errorf("%d downloads, want 1 and 6 attempts to resume", got)
	}

	// A canceled context ends the waiting.
	ctx, cancel := context.WithCancel(context.Background())
	downloads.Store(0)
	rc, err = faulty.Open(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	rc.Read(make([]byte, 1000))
	cancel()
	_, err = io.ReadAll(rc)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("after cancel: %v, want context.Canceled", err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// scriptedTransport does to the nth download (counted from 0) what script
// says: nothing, fail it with 503, or cut its body after some bytes with an
// error; other requests go through.
type scriptedTransport struct {
	next   http.RoundTripper
	script map[int32]scripted
	n      atomic.Int32
}

type scripted struct {
	fail  bool
	after int   // cut after this many bytes
	err   error // with this error
}

func (s *scriptedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method != http.MethodGet || strings.HasPrefix(r.URL.Path, "/storage/v1/") {
		return s.next.RoundTrip(r)
	}
	do, ok := s.script[s.n.Add(1)-1]
	if ok && do.fail {
		return statusTransport{status: http.StatusServiceUnavailable}.RoundTrip(r)
	}
	res, err := s.next.RoundTrip(r)
	if err == nil && ok && do.err != nil {
		res.Body = &cutBody{rc: res.Body, left: do.after, err: do.err}
	}
	return res, err
}

// The reader's own resumption: after the client gives up (one attempt
// allowed), after a range read that ends early without an error, and, for
// an object stored with Content-Encoding: gzip, after the client resumed a
// window wrongly.
func TestGCSReaderResumes(t *testing.T) {
	content := pseudoRandom(1 << 20)
	tests := []struct {
		name      string
		encoding  string
		script    map[int32]scripted
		downloads int32
	}{
		{
			name: "client gives up, range ends early",
			script: map[int32]scripted{
				0: {after: 1000, err: io.ErrUnexpectedEOF}, // the client reopens at 1000...
				1: {fail: true},                            // ...and gives up: the store reopens
				2: {after: 5000, err: io.EOF},              // a range read that ends early
			},
			downloads: 4,
		},
		{
			name:     "gzip encoding, window resumed wrongly",
			encoding: "gzip",
			script: map[int32]scripted{
				// 0 shows the encoding and is closed; 1 is the first window,
				// which the client resumes at 100 KiB, dropping 100 KiB.
				1: {after: 100 << 10, err: io.ErrUnexpectedEOF},
			},
			downloads: 4, // 0, 1 and its resumption, the window again
		},
		{
			name:     "gzip encoding, window fails",
			encoding: "gzip",
			script: map[int32]scripted{
				1: {fail: true},
				2: {after: 10, err: &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}},
				3: {fail: true}, // the client's resumption of 2
			},
			downloads: 5,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeGCS(t)
			putObject(t, clientOver(t, srv, nil), "a", content, tt.encoding)
			script := &scriptedTransport{next: srv.HTTPClient().Transport, script: tt.script}
			client := clientOver(t, srv, script)
			client.SetRetry(storage.WithMaxAttempts(1))
			s := newTestGCS(t, client, "gs://"+testBucket)
			equalBytes(t, "Open", readObject(t, s, "a"), content)
			if got := script.n.Load(); got != tt.downloads {
				t.Errorf("%d downloads, want %d", got, tt.downloads)
			}
		})
	}
}
