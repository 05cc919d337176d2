package clickstream_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/sampledata"
)

type outputBuffers [6]bytes.Buffer

func (b *outputBuffers) outputs() clickstream.Outputs {
	return clickstream.Outputs{Visits: &b[0], Sessions: &b[1], Pageviews: &b[2], Addtocarts: &b[3], Purchases: &b[4], DeadLetter: &b[5]}
}

// TestTransformInParts checks that an object transformed in parts, each part
// resumed from the previous part's cursor by a fresh reader (as a retried
// activity does), gives exactly the rows, rejects and counts of one pass.
func TestTransformInParts(t *testing.T) {
	content := awkwardObject(t, 9, "}\r\n{")
	inputs := map[string][]byte{"plain": []byte(content), "gzip": gzipped(t, content)}
	for name, data := range inputs {
		t.Run(name, func(t *testing.T) {
			opts := clickstream.Options{RunID: "r", MaxLineBytes: 2048}
			whole, err := clickstream.NewTransformer(opts)
			if err != nil {
				t.Fatal(err)
			}
			var want outputBuffers
			wantCounts, err := whole.Transform(context.Background(), bytes.NewReader(data), "obj", want.outputs())
			if err != nil {
				t.Fatal(err)
			}
			for _, partBytes := range []int64{1, 700, 10_000, 1 << 40} {
				tr, _ := clickstream.NewTransformer(opts)
				var got outputBuffers
				var sum clickstream.Counts
				var cur clickstream.Cursor
				parts := 0
				for {
					o, err := tr.Open(bytes.NewReader(data), "obj", cur)
					if err != nil {
						t.Fatal(err)
					}
					c, err := tr.TransformPart(context.Background(), o, got.outputs(), partBytes)
					if err != nil {
						t.Fatal(err)
					}
					sum.Add(c)
					parts++
					if o.Done() {
						if o.Cursor().Offset != int64(len(content)) || o.Cursor().Line != wantCounts.Lines {
							t.Errorf("final cursor %+v, want offset %d line %d", o.Cursor(), len(content), wantCounts.Lines)
						}
						break
					}
					if next := o.Cursor(); next.Offset <= cur.Offset {
						t.Fatalf("cursor did not advance: %+v -> %+v", cur, next)
					}
					cur = o.Cursor()
					o.Close()
				}
				if sum != wantCounts {
					t.Errorf("parts of %d bytes: counts %+v, want %+v", partBytes, sum, wantCounts)
				}
				for i := range got {
					if !bytes.Equal(got[i].Bytes(), want[i].Bytes()) {
						t.Errorf("parts of %d bytes (%d parts): output %d differs from one pass", partBytes, parts, i)
					}
				}
			}
		})
	}
}

func TestOpenBeyondTheEnd(t *testing.T) {
	tr, _ := clickstream.NewTransformer(clickstream.Options{RunID: "r"})
	_, err := tr.Open(strings.NewReader("short\n"), "obj", clickstream.Cursor{Line: 5, Offset: 100})
	if err == nil || !strings.Contains(err.Error(), "changed since") {
		t.Fatalf("err = %v, want the object to be reported as changed", err)
	}
}

// awkwardObject is generated sessions with invalid lines and duplicates,
// plus what exercises a cursor's arithmetic: a BOM, CRLF endings (sep
// between sessions), an over-long line (for MaxLineBytes 2048) and no final
// newline.
func awkwardObject(t *testing.T, seed uint64, sep string) string {
	t.Helper()
	var plain bytes.Buffer
	_, err := sampledata.WriteObjects(sampledata.Options{Files: 1, Sessions: 400, Seed: seed, InvalidRate: 0.2, DuplicateRate: 0.1},
		func(string) (io.WriteCloser, error) { return nopCloser{&plain}, nil })
	if err != nil {
		t.Fatal(err)
	}
	return "\xEF\xBB\xBF" + strings.ReplaceAll(plain.String(), "}\n{", sep) +
		`{"session_id":"` + strings.Repeat("x", 3000) + `"}` + "\n" + sessionWith(pageView)
}
