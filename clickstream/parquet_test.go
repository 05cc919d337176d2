package clickstream_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/sampledata"
)

type newTransformerFunc func(clickstream.Options) (*clickstream.Transformer, error)

// TestParquetRoundTrip transforms inputs to NDJSON and to Parquet and checks
// that every table holds the same rows either way, that the dead letter and
// counts do not depend on the format, and that a reused transformer writes
// the same files again.
func TestParquetRoundTrip(t *testing.T) {
	golden, err := os.ReadFile(filepath.Join("testdata", "golden", "input.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	generated := generatedObject(t, sampledata.Options{Files: 1, Sessions: 2000, Seed: 7, InvalidRate: 0.1, DuplicateRate: 0.1})
	inputs := []struct {
		name    string
		data    []byte
		maxLine int
	}{
		{"golden", golden, 0},
		{"edge cases", []byte(edgeCases), 0},
		{"awkward", []byte(awkwardObject(t, 9, "}\r\n{")), 2048},
		{"generated", generated, 0},
		{"generated gzip", gzipped(t, string(generated[:len(generated)/4])), 0},
	}
	writers := []struct {
		name        string
		compression string
		newT        newTransformerFunc
	}{
		{"snappy", "", clickstream.NewTransformer},
		{"small batches", "", clickstream.NewTransformerSmallParquetBatches},
		{"none", "none", clickstream.NewTransformer},
		{"zstd", "zstd", clickstream.NewTransformerSmallParquetBatches},
	}
	for _, in := range inputs {
		t.Run(in.name, func(t *testing.T) {
			nd, err := clickstream.NewTransformer(clickstream.Options{RunID: "run-1", MaxLineBytes: in.maxLine})
			if err != nil {
				t.Fatal(err)
			}
			var want recorders
			wantCounts, err := nd.Transform(context.Background(), bytes.NewReader(in.data), "dt=2024-01-30/part-0.jsonl", want.outputs())
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range writers {
				t.Run(w.name, func(t *testing.T) {
					tr, err := w.newT(clickstream.Options{RunID: "run-1", MaxLineBytes: in.maxLine,
						Format: clickstream.Parquet, ParquetCompression: w.compression})
					if err != nil {
						t.Fatal(err)
					}
					var first recorders
					for call := range 2 {
						var got recorders
						c, err := tr.Transform(context.Background(), bytes.NewReader(in.data), "dt=2024-01-30/part-0.jsonl", got.outputs())
						if err != nil {
							t.Fatal(err)
						}
						if c != wantCounts {
							t.Fatalf("counts %+v, NDJSON's %+v", c, wantCounts)
						}
						if !bytes.Equal(got[5].Bytes(), want[5].Bytes()) {
							t.Fatalf("dead letter differs from NDJSON mode's")
						}
						if call == 0 {
							for i, name := range tableOutputs {
								compareTable(t, "call 1", mustTable(t, name), want[i].Bytes(), &got[i])
							}
							first = got
							continue
						}
						for i, name := range tableOutputs {
							if !bytes.Equal(got[i].Bytes(), first[i].Bytes()) {
								t.Fatalf("the second call wrote another %s file than the first", name)
							}
						}
					}
				})
			}
		})
	}
}

// TestParquetRowGroups checks that small limits give many row groups, all read back.
func TestParquetRowGroups(t *testing.T) {
	data := generatedObject(t, sampledata.Options{Files: 1, Sessions: 2000, Seed: 3})
	tr, err := clickstream.NewTransformerSmallParquetBatches(clickstream.Options{RunID: "r", Format: clickstream.Parquet})
	if err != nil {
		t.Fatal(err)
	}
	var got recorders
	c, err := tr.Transform(context.Background(), bytes.NewReader(data), "obj", got.outputs())
	if err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(got[0].Bytes()), int64(got[0].Len()))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.RowGroups()); n < 10 {
		t.Errorf("visits has %d row groups, want many with 16 KiB row groups", n)
	}
	if f.NumRows() != c.SessionsValid {
		t.Errorf("visits has %d rows, want %d", f.NumRows(), c.SessionsValid)
	}
}

// TestParquetParts transforms an object in parts, in both formats, and
// checks each part: a complete Parquet file for every table that got rows in
// that part, holding that part's NDJSON rows, and not a byte for the others.
func TestParquetParts(t *testing.T) {
	content := []byte(awkwardObject(t, 9, "}\r\n{"))
	opts := clickstream.Options{RunID: "r", MaxLineBytes: 2048}
	for _, partBytes := range []int64{1, 700, 10_000} {
		t.Run(strconv.FormatInt(partBytes, 10), func(t *testing.T) {
			nd, err := clickstream.NewTransformer(opts)
			if err != nil {
				t.Fatal(err)
			}
			pqOpts := opts
			pqOpts.Format = clickstream.Parquet
			pq, err := clickstream.NewTransformer(pqOpts)
			if err != nil {
				t.Fatal(err)
			}
			var cur clickstream.Cursor
			parts, empty, files := 0, 0, 0
			for {
				ondj, err := nd.Open(bytes.NewReader(content), "obj", cur)
				if err != nil {
					t.Fatal(err)
				}
				opq, err := pq.Open(bytes.NewReader(content), "obj", cur)
				if err != nil {
					t.Fatal(err)
				}
				var want, got recorders
				wc, err := nd.TransformPart(context.Background(), ondj, want.outputs(), partBytes)
				if err != nil {
					t.Fatal(err)
				}
				gc, err := pq.TransformPart(context.Background(), opq, got.outputs(), partBytes)
				if err != nil {
					t.Fatal(err)
				}
				parts++
				if gc != wc || opq.Cursor() != ondj.Cursor() || opq.Done() != ondj.Done() {
					t.Fatalf("part %d: counts %+v cursor %+v, NDJSON's %+v %+v", parts, gc, opq.Cursor(), wc, ondj.Cursor())
				}
				if !bytes.Equal(got[5].Bytes(), want[5].Bytes()) {
					t.Fatalf("part %d: dead letter differs from NDJSON mode's", parts)
				}
				for i, name := range tableOutputs {
					compareTable(t, fmt.Sprintf("part %d", parts), mustTable(t, name), want[i].Bytes(), &got[i])
					if want[i].Len() == 0 {
						empty++
					} else {
						files++
					}
				}
				ondj.Close()
				opq.Close()
				if opq.Done() {
					break
				}
				cur = opq.Cursor()
			}
			if empty == 0 || files == 0 {
				t.Errorf("%d parts: %d table outputs with rows and %d without; want both kinds", parts, files, empty)
			}
		})
	}
}

// FuzzParquet checks on arbitrary input that the Parquet staging holds
// exactly the rows of the NDJSON staging.
//
//	go test ./clickstream -run '^$' -fuzz FuzzParquet -fuzztime 30s
func FuzzParquet(f *testing.F) {
	for _, s := range strings.Split(edgeCases, "\n") {
		f.Add([]byte(s))
	}
	f.Add([]byte(edgeCases))
	f.Add([]byte(sessionWith(pageView, addToCart, purchase) + "\n\n" + sessionWith(purchase, purchase)))
	nd, err := clickstream.NewTransformer(clickstream.Options{RunID: "r", MaxLineBytes: 4096})
	if err != nil {
		f.Fatal(err)
	}
	pq, err := clickstream.NewTransformerSmallParquetBatches(clickstream.Options{RunID: "r", MaxLineBytes: 4096, Format: clickstream.Parquet})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		var want, got recorders
		wc, werr := nd.Transform(context.Background(), bytes.NewReader(input), "obj", want.outputs())
		gc, gerr := pq.Transform(context.Background(), bytes.NewReader(input), "obj", got.outputs())
		if werr != nil || gerr != nil {
			t.Fatalf("errors: NDJSON %v, Parquet %v", werr, gerr)
		}
		if gc != wc {
			t.Fatalf("counts %+v, NDJSON's %+v", gc, wc)
		}
		if !bytes.Equal(got[5].Bytes(), want[5].Bytes()) {
			t.Fatalf("dead letter differs from NDJSON mode's")
		}
		for i, name := range tableOutputs {
			compareTable(t, "fuzz", mustTable(t, name), want[i].Bytes(), &got[i])
		}
	})
}
