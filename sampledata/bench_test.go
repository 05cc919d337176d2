package sampledata

import (
	"io"
	"testing"
)

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// BenchmarkWriteObjects reports MB/s of JSONL generated (for gzip, of the
// JSONL before compression).
func BenchmarkWriteObjects(b *testing.B) {
	for _, bc := range []struct {
		name string
		gzip bool
	}{{"plain", false}, {"gzip", true}} {
		b.Run(bc.name, func(b *testing.B) {
			opts := Options{Files: 4, Sessions: 20000, Days: 3, Seed: 1, InvalidRate: 0.02, DuplicateRate: 0.05}
			discard := func(string) (io.WriteCloser, error) { return nopCloser{io.Discard}, nil }
			plain, err := WriteObjects(opts, discard)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(plain.Bytes)
			b.ReportAllocs()
			opts.Gzip = bc.gzip
			for b.Loop() {
				if _, err := WriteObjects(opts, discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
