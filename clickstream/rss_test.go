package clickstream_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/sampledata"
)

// TestTransformPeakRSS runs four Parquet transforms at once, as a worker
// runs four batches, each of generated input streamed through a pipe, and
// reports the process's peak resident memory: it should not grow with the
// input. It runs only when CLICKSTREAM_RSS_SESSIONS sets the session lines
// per transform (40000 are about 64 MB):
//
//	CLICKSTREAM_RSS_SESSIONS=160000 go test ./clickstream -run PeakRSS -v
func TestTransformPeakRSS(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("CLICKSTREAM_RSS_SESSIONS"))
	if n <= 0 {
		t.Skip("CLICKSTREAM_RSS_SESSIONS is not set")
	}
	const limit = 300 << 20
	before := peakRSS(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var lines int64
	for w := range 4 {
		wg.Go(func() {
			pr, pw := io.Pipe()
			go func() {
				_, err := sampledata.WriteObjects(sampledata.Options{Files: 1, Sessions: n, Seed: uint64(w + 1)},
					func(string) (io.WriteCloser, error) { return pw, nil })
				pw.CloseWithError(err)
			}()
			tr, err := clickstream.NewTransformer(clickstream.Options{RunID: "rss", Format: clickstream.Parquet})
			if err != nil {
				t.Error(err)
				return
			}
			var staged countingDiscard
			out := clickstream.Outputs{Visits: &staged, Sessions: &staged, Pageviews: &staged,
				Addtocarts: &staged, Purchases: &staged, DeadLetter: io.Discard}
			c, err := tr.Transform(context.Background(), pr, "rss.jsonl", out)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			lines += c.Lines
			mu.Unlock()
		})
	}
	wg.Wait()
	peak := peakRSS(t)
	t.Logf("%d lines in 4 transforms; peak RSS %d MiB (%d MiB before they started)", lines, peak>>20, before>>20)
	if peak > limit {
		t.Errorf("peak RSS %d MiB, want at most %d MiB", peak>>20, limit>>20)
	}
}

// peakRSS reads VmHWM from /proc/self/status; the test is skipped without it.
func peakRSS(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for line := range bytes.Lines(b) {
		if v, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			kb, err := strconv.ParseInt(string(bytes.TrimSuffix(bytes.TrimSpace(v), []byte(" kB"))), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Skip("no VmHWM in /proc/self/status")
	return 0
}
