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

// countingDiscard counts and discards what is written to it.
type countingDiscard struct{ n int64 }

func (c *countingDiscard) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// BenchmarkTransform measures the transform of one in-memory object into
// discarded outputs: MB/s of uncompressed input, events/s, heap allocations
// per event, and staged bytes (all tables) per input byte, for NDJSON and for
// Parquet with each codec, of session input and of GA4 input (ga4/...,
// where an event is a line). The transform runs on one goroutine; run with -cpu 1 for
// the one-core figure. cpu-MB/s divides by the CPU time the process used
// (user and system, garbage collection included) rather than by wall time:
// on a machine shared with other work it moves less than MB/s.
//
//	go test ./clickstream -run '^$' -bench Transform -cpu 1
func BenchmarkTransform(b *testing.B) {
	ga4Clean := sampledata.Options{Format: clickstream.GA4Input, Files: 1, Sessions: 2000, Seed: 1}
	ga4Dirty := sampledata.Options{Format: clickstream.GA4Input, Files: 1, Sessions: 2000, Seed: 1, InvalidRate: 0.05, DuplicateRate: 0.05}
	ga4 := clickstream.Options{Input: clickstream.GA4Input}
	ga4PQ := clickstream.Options{Input: clickstream.GA4Input, Format: clickstream.Parquet}
	clean := sampledata.Options{Files: 1, Sessions: 40000, Seed: 1}
	dirty := sampledata.Options{Files: 1, Sessions: 40000, Seed: 1, InvalidRate: 0.05, DuplicateRate: 0.05}
	gz := sampledata.Options{Files: 1, Sessions: 40000, Seed: 1, Gzip: true}
	for _, bc := range []struct {
		name  string
		opts  sampledata.Options
		trans clickstream.Options
	}{
		{"clean", clean, clickstream.Options{}},
		{"dirty", dirty, clickstream.Options{}},
		{"gzip", gz, clickstream.Options{}},
		{"parquet/clean", clean, clickstream.Options{Format: clickstream.Parquet}},
		{"parquet/dirty", dirty, clickstream.Options{Format: clickstream.Parquet}},
		{"parquet/gzip", gz, clickstream.Options{Format: clickstream.Parquet}},
		{"parquet-none/clean", clean, clickstream.Options{Format: clickstream.Parquet, ParquetCompression: "none"}},
		{"parquet-zstd/clean", clean, clickstream.Options{Format: clickstream.Parquet, ParquetCompression: "zstd"}},
		{"ga4/clean", ga4Clean, ga4},
		{"ga4/dirty", ga4Dirty, ga4},
		{"ga4/parquet/clean", ga4Clean, ga4PQ},
		{"ga4/parquet/dirty", ga4Dirty, ga4PQ},
	} {
		b.Run(bc.name, func(b *testing.B) {
			data, want := generated(b, bc.opts)
			opts := bc.trans
			opts.RunID = "bench"
			tr, err := clickstream.NewTransformer(opts)
			if err != nil {
				b.Fatal(err)
			}
			var staged countingDiscard
			out := clickstream.Outputs{Visits: &staged, Sessions: &staged, Pageviews: &staged,
				Addtocarts: &staged, Purchases: &staged, DeadLetter: io.Discard, GA4Events: &staged}
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
			staged.n = 0
			cpu0 := cpuTime()
			b.ResetTimer()
			for b.Loop() {
				c, err := tr.Transform(ctx, bytes.NewReader(data), "bench.jsonl", out)
				if err != nil || c != want {
					b.Fatalf("counts %+v, err %v; want %+v", c, err, want)
				}
			}
			b.StopTimer()
			cpu := cpuTime() - cpu0
			runtime.ReadMemStats(&after)
			// An event is an event of a valid session, or a GA4 line (valid
			// or not): what the transform examined one by one.
			perRun := want.EventsSeen
			if opts.Input == clickstream.GA4Input {
				perRun = want.EventsValid + want.EventsRejected
			}
			events := float64(perRun) * float64(b.N)
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/events, "allocs/event")
			b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(staged.n)/float64(b.N)/float64(size), "staged/input")
			if cpu > 0 {
				b.ReportMetric(float64(size)*float64(b.N)/1e6/cpu.Seconds(), "cpu-MB/s")
			}
			if bc.opts.Gzip {
				b.ReportMetric(float64(len(data))/float64(size), "gzip-ratio")
			}
		})
	}
}
