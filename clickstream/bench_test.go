package clickstream_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"runtime"
	"testing"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/sampledata"
)

type nopCloser struct{ *bytes.Buffer }

func (nopCloser) Close() error { return nil }

// generated returns about 64 MB of generated session JSONL and its accounting.
func generated(b *testing.B, opts sampledata.Options) ([]byte, clickstream.Counts) {
	b.Helper()
	var buf bytes.Buffer
	sum, err := sampledata.WriteObjects(opts, func(string) (io.WriteCloser, error) { return nopCloser{&buf}, nil })
	if err != nil {
		b.Fatal(err)
	}
	return buf.Bytes(), sum.Expected
}

// BenchmarkTransform measures the transform of one in-memory object into
// discarded outputs: MB/s of uncompressed input and heap
// allocations per event. The transform runs on one goroutine; run with
// -cpu 1 for the one-core figure.
//
//	go test ./clickstream -run '^$' -bench Transform -cpu 1
func BenchmarkTransform(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts sampledata.Options
	}{
		{"clean", sampledata.Options{Files: 1, Sessions: 40000, Seed: 1}},
		{"dirty", sampledata.Options{Files: 1, Sessions: 40000, Seed: 1, InvalidRate: 0.05, DuplicateRate: 0.05}},
		{"gzip", sampledata.Options{Files: 1, Sessions: 40000, Seed: 1, Gzip: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			data, want := generated(b, bc.opts)
			tr, err := clickstream.NewTransformer(clickstream.Options{RunID: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			out := clickstream.Outputs{Visits: io.Discard, Sessions: io.Discard, Pageviews: io.Discard,
				Addtocarts: io.Discard, Purchases: io.Discard, DeadLetter: io.Discard}
			ctx := context.Background()
			// Warm the transformer's buffers so the figure is the steady state.
			if _, err := tr.Transform(ctx, bytes.NewReader(data), "bench.jsonl", out); err != nil {
				b.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			// MB/s counts uncompressed input, so plain and gzip compare.
			size := int64(len(data))
			if bc.opts.Gzip {
				zr, err := gzip.NewReader(bytes.NewReader(data))
				if err != nil {
					b.Fatal(err)
				}
				if size, err = io.Copy(io.Discard, zr); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(size)
			b.ResetTimer()
			for b.Loop() {
				c, err := tr.Transform(ctx, bytes.NewReader(data), "bench.jsonl", out)
				if err != nil || c != want {
					b.Fatalf("counts %+v, err %v; want %+v", c, err, want)
				}
			}
			b.StopTimer()
			runtime.ReadMemStats(&after)
			events := float64(want.EventsSeen) * float64(b.N)
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/events, "allocs/event")
			b.ReportMetric(float64(want.EventsSeen)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
			if bc.opts.Gzip {
				b.ReportMetric(float64(len(data))/float64(size), "gzip-ratio")
			}
		})
	}
}
