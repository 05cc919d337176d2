package clickstream_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/clickstream-platform/clickstream/clickstream"
)

// TestTransformInRanges: an object cut by Split into ranges, each read on
// its own from its offset (as parallel batches do), gives exactly the rows,
// rejects (line numbers included) and counts of one pass, whatever the
// range size; the cuts are line starts, in order, from the beginning.
func TestTransformInRanges(t *testing.T) {
	// Blank lines too, between the sessions.
	content := []byte(awkwardObject(t, 4, "}\r\n\n{"))
	opts := clickstream.Options{RunID: "r", MaxLineBytes: 2048}
	whole, _ := clickstream.NewTransformer(opts)
	var want outputBuffers
	wantCounts, err := whole.Transform(context.Background(), bytes.NewReader(content), "obj", want.outputs())
	if err != nil {
		t.Fatal(err)
	}
	for _, every := range []int64{1, 100, 2999, 50_000, int64(len(content)) - 1, int64(len(content)), 1 << 40} {
		cuts, size, err := clickstream.Split(bytes.NewReader(content), every)
		if err != nil {
			t.Fatal(err)
		}
		if size != int64(len(content)) || cuts[0] != (clickstream.Cursor{}) {
			t.Fatalf("every %d: size %d, first cut %+v", every, size, cuts[0])
		}
		for i, c := range cuts[1:] {
			if c.Offset <= cuts[i].Offset || c.Offset >= size || content[c.Offset-1] != '\n' ||
				int64(bytes.Count(content[:c.Offset], []byte{'\n'})) != c.Line || c.Offset < cuts[i].Offset+every {
				t.Fatalf("every %d: cut %d is %+v after %+v: not the next line start %d bytes on", every, i+1, c, cuts[i], every)
			}
		}
		tr, _ := clickstream.NewTransformer(opts)
		var got outputBuffers
		var sum clickstream.Counts
		for i, from := range cuts {
			end := size
			if i+1 < len(cuts) {
				end = cuts[i+1].Offset
			}
			o := tr.OpenAt(bytes.NewReader(content[from.Offset:end]), "obj", from)
			c, err := tr.TransformPart(context.Background(), o, got.outputs(), 1<<40)
			if err != nil {
				t.Fatal(err)
			}
			if !o.Done() || o.Cursor().Offset != end {
				t.Fatalf("every %d: range %d ended at %+v, want offset %d", every, i, o.Cursor(), end)
			}
			sum.Add(c)
		}
		if sum != wantCounts {
			t.Errorf("every %d (%d ranges): counts %+v, want %+v", every, len(cuts), sum, wantCounts)
		}
		for i := range got {
			if !bytes.Equal(got[i].Bytes(), want[i].Bytes()) {
				t.Errorf("every %d (%d ranges): output %d differs from one pass", every, len(cuts), i)
			}
		}
	}
}
