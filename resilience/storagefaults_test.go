package resilience

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cloud.google.com/go/storage"
	"github.com/fsouza/fake-gcs-server/fakestorage"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"

	"github.com/clickstream-platform/clickstream/blob"
	"github.com/clickstream-platform/clickstream/pipeline"
	"github.com/clickstream-platform/clickstream/sampledata"
	"github.com/clickstream-platform/clickstream/workflows"
)

// faultProxy stands between worker processes and fake-gcs-server and fails
// a share of the requests: with a 503, or by resetting the connection,
// before the request reaches the server; and it breaks downloads (GETs of
// object bytes) off part-way, with a reset or an early close.
//
// It also loses the answer to single-request (multipart) uploads: the
// server stores the object, and the client sees its connection reset,
// before the answer's headers (the client sends the upload again, whose
// precondition then fails: 412) or after them (the client gives up). Cloud
// Storage can do the same, and the store must cope either way: it checks
// that the object there is what it wrote.
//
// Other requests are only failed before the server sees them: fake-gcs-
// server appends a resumable upload's chunk that is sent twice twice,
// where Cloud Storage takes the repeated range once, so failing such a
// chunk after the server took it would test the emulator, not the
// pipeline.
type faultProxy struct {
	*httptest.Server
	target string // host:port of the server
	share  float64
	next   *http.Transport

	mu  sync.Mutex
	rng *rand.Rand

	requests, unavailable, resets, cuts, lost atomic.Int64
}

// newFaultProxy starts a proxy to target failing share of the requests,
// with faults drawn from seed. share 0 forwards everything.
func newFaultProxy(t *testing.T, target string, share float64, seed uint64) *faultProxy {
	t.Helper()
	p := &faultProxy{
		target: target,
		share:  share,
		rng:    rand.New(rand.NewPCG(seed, 0x5f0)),
		// No compression: the proxy passes stored bytes through as they are.
		next: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 16},
	}
	p.Server = httptest.NewServer(p)
	t.Cleanup(func() {
		p.Server.CloseClientConnections()
		p.Server.Close()
		p.next.CloseIdleConnections()
	})
	return p
}

// Host is the proxy's host:port, for STORAGE_EMULATOR_HOST.
func (p *faultProxy) Host() string { return strings.TrimPrefix(p.URL, "http://") }

// Faults is the number of faults injected so far.
func (p *faultProxy) Faults() int64 {
	return p.unavailable.Load() + p.resets.Load() + p.cuts.Load() + p.lost.Load()
}

func (p *faultProxy) String() string {
	return fmt.Sprintf("%d requests: %d answered 503, %d reset before the server, %d downloads cut short, %d uploads' answers lost",
		p.requests.Load(), p.unavailable.Load(), p.resets.Load(), p.cuts.Load(), p.lost.Load())
}

// roll draws the fate of one request: fail it before the server (503 or
// reset), and if not, whether to cut its response (or lose it) and where (a
// fraction of its length).
func (p *faultProxy) roll() (fail, reset, cut bool, at float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fail = p.rng.Float64() < p.share
	reset = p.rng.IntN(2) == 0
	cut = p.rng.Float64() < p.share
	return fail, reset, cut, p.rng.Float64()
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.requests.Add(1)
	fail, reset, cut, at := p.roll()
	if fail && reset {
		p.resets.Add(1)
		abort(w, true)
		return
	}
	if fail {
		p.unavailable.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"error":{"code":503,"message":"injected: backend unavailable"}}`)
		return
	}
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.URL.Scheme, out.URL.Host = "http", p.target
	// out.Host stays the proxy's: fake-gcs-server names resumable upload
	// sessions after the host asked, so their chunks come here too.
	if r.ContentLength == 0 {
		out.Body = nil
	}
	res, err := p.next.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer res.Body.Close()
	for k, v := range res.Header {
		w.Header()[k] = v
	}
	if cut && r.Method == http.MethodPost && r.URL.Query().Get("uploadType") == "multipart" {
		// The object is stored; its answer is lost, before its headers or
		// after them.
		p.lost.Add(1)
		io.Copy(io.Discard, res.Body)
		if reset {
			w.WriteHeader(res.StatusCode)
		}
		abort(w, true)
		return
	}
	download := r.Method == http.MethodGet && res.StatusCode/100 == 2 && res.ContentLength > 1 &&
		!strings.HasPrefix(r.URL.Path, "/storage/v1/") && !strings.HasPrefix(r.URL.Path, "/upload/")
	if !download || !cut {
		w.WriteHeader(res.StatusCode)
		io.Copy(w, res.Body)
		return
	}
	// Send part of the body, then reset the connection or close it early.
	p.cuts.Add(1)
	w.WriteHeader(res.StatusCode)
	io.CopyN(w, res.Body, int64(at*float64(res.ContentLength)))
	rc := http.NewResponseController(w)
	rc.Flush()
	abort(w, reset)
}

// abort ends the connection of w, after sending what was written (nothing
// if nothing was): with a TCP reset, or a plain close.
func abort(w http.ResponseWriter, reset bool) {
	rc := http.NewResponseController(w)
	conn, _, err := rc.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok && reset {
		tc.SetLinger(0)
	}
	conn.Close()
}

// newGCSEmulator starts fake-gcs-server on a port of 127.0.0.1 with the
// buckets, and returns it with a client that talks to it directly.
func newGCSEmulator(t *testing.T, buckets ...string) (*fakestorage.Server, string) {
	t.Helper()
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{Scheme: "http", Host: "127.0.0.1", PublicHost: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	for _, b := range buckets {
		srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: b})
	}
	u, err := url.Parse(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	return srv, u.Host
}

// TestStorageFaults runs the pipeline with source, staging and dead letter
// in buckets of fake-gcs-server, once straight and once through a proxy
// failing a share of the worker's storage requests, and checks that the
// faulty run completes with the same tables and dead letter, and says it
// retried.
func TestStorageFaults(t *testing.T) {
	type variant struct {
		opts  sampledata.Options
		share float64
		seed  uint64
	}
	variants := []variant{{opts: sampledata.Options{Files: 6, Sessions: 3000, Days: 2, Seed: 31, InvalidRate: 0.05, DuplicateRate: 0.1}, share: 0.15, seed: 1}}
	if *long {
		variants = append(variants,
			variant{opts: sampledata.Options{Files: 12, Sessions: 20000, Days: 3, Seed: 32, InvalidRate: 0.05, DuplicateRate: 0.1, Gzip: true}, share: 0.2, seed: 2},
			variant{opts: sampledata.Options{Files: 8, Sessions: 12000, Days: 2, Seed: 33, InvalidRate: 0.1, DuplicateRate: 0.2}, share: 0.1, seed: 3})
	}
	for _, v := range variants {
		t.Run(fmt.Sprintf("share %.2f seed %d", v.share, v.seed), func(t *testing.T) {
			testStorageFaults(t, v.opts, v.share, v.seed)
		})
	}
}

func testStorageFaults(t *testing.T, opts sampledata.Options, share float64, seed uint64) {
	e := NewEnv(t)
	_, direct := newGCSEmulator(t, "raw", "stage", "dead")
	ctx := context.Background()
	gcs, err := blob.NewGCSClient(ctx, option.WithEndpoint("http://"+direct+"/storage/v1/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	defer gcs.Close()
	sum, err := sampledata.WriteObjects(opts, func(name string) (io.WriteCloser, error) {
		return gcs.Bucket("raw").Object("sessions/" + name).NewWriter(ctx), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	e.Vars["CLICKSTREAM_SOURCE_URI"] = "gs://raw/sessions"
	e.Vars["CLICKSTREAM_STAGING_URI"] = "gs://stage/staging"
	e.Vars["CLICKSTREAM_DEADLETTER_URI"] = "gs://dead/rejects"
	in := workflows.PipelineInput{Settings: pipeline.Settings{BatchObjects: 2, Mode: "replace"}}

	// Each run has its own task queue, so that only its worker, straight
	// or through the proxy, does its work.
	run := func(queue, emulator string) workflows.PipelineResult {
		t.Helper()
		e.Vars["CLICKSTREAM_TEMPORAL_TASK_QUEUE"] = queue
		w := e.StartWorker("STORAGE_EMULATOR_HOST=" + emulator)
		defer w.Kill()
		start := time.Now()
		res, err := e.Wait(e.StartPipeline(queue, in), 5*time.Minute)
		if err != nil {
			t.Fatalf("%s run: %v\nworker log:\n%s", queue, err, e.WorkerLog())
		}
		t.Logf("%s run: %v, %d storage retries", queue, time.Since(start).Round(time.Millisecond), res.StorageRetries)
		return res
	}

	clean := run("clean", direct)
	logBefore := len(e.WorkerLog())
	cleanTables := e.Digests("run_id")
	cleanRejects := gcsRejects(t, gcs, clean.RunID)
	if clean.StorageRetries != 0 {
		t.Errorf("the run without faults reports %d storage retries, want 0", clean.StorageRetries)
	}

	proxy := newFaultProxy(t, direct, share, seed)
	faulty := run("faulty", proxy.Host())
	t.Log(proxy)

	if faulty.Accounting != sum.Expected || faulty.Accounting != clean.Accounting {
		t.Errorf("accounting with faults %+v, without %+v, generator %+v", faulty.Accounting, clean.Accounting, sum.Expected)
	}
	want := map[string]int64{"sessions": sum.DistinctSessions, "pageview_events": sum.DistinctPageviews,
		"addtocart_events": sum.DistinctAddtocarts, "purchase_events": sum.DistinctPurchases}
	for table, n := range want {
		if faulty.Rows[table] != n {
			t.Errorf("%s: %d rows with faults, want %d", table, faulty.Rows[table], n)
		}
	}
	if got := e.Digests("run_id"); fmt.Sprint(got) != fmt.Sprint(cleanTables) {
		t.Errorf("tables after the run with faults differ from the run without:\n faults %v\n clean  %v", got, cleanTables)
	}
	if got := gcsRejects(t, gcs, faulty.RunID); !slices.Equal(got, cleanRejects) {
		t.Errorf("dead letter with faults: %d records, without: %d; they differ", len(got), len(cleanRejects))
	}
	if int64(len(cleanRejects)) != sum.Expected.SessionsRejected+sum.Expected.EventsRejected {
		t.Errorf("%d dead-letter records, the generator's rejects are %d", len(cleanRejects), sum.Expected.SessionsRejected+sum.Expected.EventsRejected)
	}

	// Every fault was absorbed where it happened, by the storage client or
	// the store, without failing a step for Temporal to run again.
	for _, line := range strings.Split(e.WorkerLog()[logBefore:], "\n") {
		if strings.Contains(line, "Activity error.") {
			t.Errorf("a step failed: %s", line)
		}
	}

	// The faults happened, and the run says it retried: no more often
	// than faults were injected (some hit other steps than the transform,
	// and the client resumes a cut download without telling).
	if proxy.unavailable.Load() == 0 || proxy.resets.Load() == 0 || proxy.cuts.Load() == 0 || proxy.lost.Load() == 0 {
		t.Errorf("not every kind of fault happened: %v", proxy)
	}
	if faulty.StorageRetries <= 0 || faulty.StorageRetries > proxy.Faults() {
		t.Errorf("the run with faults reports %d storage retries; %v", faulty.StorageRetries, proxy)
	}
}

// gcsRejects returns the dead-letter records of a run, each without its
// run_id, sorted.
func gcsRejects(t *testing.T, c *storage.Client, runID string) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	it := c.Bucket("dead").Objects(ctx, &storage.Query{Prefix: "rejects/" + runID + "/"})
	for {
		attrs, err := it.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		r, err := c.Bucket("dead").Object(attrs.Name).NewReader(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(r)
		sc.Buffer(nil, 64<<20)
		for sc.Scan() {
			var rec map[string]any
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
				t.Fatalf("%s: %v", attrs.Name, err)
			}
			delete(rec, "run_id")
			b, _ := json.Marshal(rec)
			out = append(out, string(b))
		}
		r.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(out)
	return out
}
