package app

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clickstream-platform/clickstream/config"
)

func TestServeMetricsOff(t *testing.T) {
	m, err := ServeMetrics(config.MetricsOff, nil)
	if err != nil || m != nil {
		t.Fatalf("ServeMetrics(off) = %v, %v; want nil, nil", m, err)
	}
	if m.Handler() != nil || m.URL() != "off" || m.Close() != nil {
		t.Errorf("a nil *Metrics: Handler %v, URL %q, Close %v; want nil, off, nil", m.Handler(), m.URL(), m.Close())
	}
}

// TestServeMetricsAddressTaken: a port already listened on is an error
// naming the key and the address, and what the system said.
func TestServeMetricsAddressTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	m, err := ServeMetrics(ln.Addr().String(), nil)
	if err == nil {
		m.Close()
		t.Fatal("ServeMetrics on a taken port succeeded")
	}
	for _, want := range []string{"metrics.address", ln.Addr().String()} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("error %q is not EADDRINUSE", err)
	}
}

// TestServeMetrics serves on a free port: counters get _total, timers are
// histograms in seconds named _seconds, tags are labels; the process's and
// the Go runtime's figures are there; a metric emitted
// again with other tags is dropped with a warning instead of a panic; Close
// stops serving.
func TestServeMetrics(t *testing.T) {
	var log bytes.Buffer
	m, err := ServeMetrics("127.0.0.1:0", slog.New(slog.NewTextHandler(&log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	url := m.URL()
	if !strings.HasPrefix(url, "http://127.0.0.1:") || strings.HasPrefix(url, "http://127.0.0.1:0/") || !strings.HasSuffix(url, "/metrics") {
		t.Fatalf("URL() = %q, want the bound port's /metrics", url)
	}
	h := m.Handler()
	h.WithTags(map[string]string{"table": "sessions"}).Counter("clickstream_test_rows").Inc(3)
	h.Timer("clickstream_test_duration").Record(2 * time.Second)
	h.Counter("clickstream_test_rows").Inc(1) // another tag set: dropped

	want := []string{
		`clickstream_test_rows_total{table="sessions"} 3`,
		`clickstream_test_duration_seconds_bucket{le="2"} 1`,
		`clickstream_test_duration_seconds_bucket{le="1"} 0`,
		`clickstream_test_duration_seconds_count 1`,
	}
	body := scrapeUntil(t, url, func(body string) bool {
		for _, w := range want {
			if !strings.Contains(body, w+"\n") {
				return false
			}
		}
		return true
	})
	// The process's resident memory and the Go heap, to tell which part of
	// a worker's memory grew.
	for _, name := range []string{"process_resident_memory_bytes ", "go_memstats_heap_inuse_bytes "} {
		if !strings.Contains(body, "\n"+name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	if strings.Contains(body, "clickstream_test_rows_total 1") {
		t.Errorf("the counter with another tag set was exported:\n%s", body)
	}
	if !strings.Contains(log.String(), "metric dropped") {
		t.Errorf("no warning about the dropped metric; log:\n%s", log.String())
	}

	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if resp, err := http.Get(url); err == nil {
		resp.Body.Close()
		t.Errorf("GET %s after Close: %s, want no answer", url, resp.Status)
	}
}

// scrapeUntil GETs url until ok accepts the body (counters reach /metrics
// at tally's next report, within a second), failing the test after 30 s
// with the last body.
func scrapeUntil(t *testing.T, url string, ok func(body string) bool) string {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(30 * time.Second)
	for {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if ok(string(b)) {
			return string(b)
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("%s never showed what was expected; last scrape:\n%s", url, b)
		}
	}
}
