package blob

import (
	"context"
	"io"
	"testing"
)

// TestOpenGenerationAt reads a listed version from byte offsets, on a local
// folder (a seek) and on GCS (a range read), and from a store without range
// reads (the bytes before are skipped); a changed object still fails. (An
// offset at the end is not a range anyone reads: GCS answers 416.)
func TestOpenGenerationAt(t *testing.T) {
	content := pseudoRandom(300 << 10)
	srv := newFakeGCS(t)
	stores := map[string]Store{
		"local": newTestLocal(t),
		"gcs":   newTestGCS(t, clientOver(t, srv, nil), "gs://"+testBucket+"/root"),
	}
	stores["skipping"] = struct{ Store }{stores["local"]} // hides openGenerationAt
	for _, name := range []string{"local", "gcs", "skipping"} {
		s := stores[name]
		t.Run(name, func(t *testing.T) {
			if name != "skipping" {
				writeObject(t, s, "big.jsonl", content)
			}
			objs := listNames(t, s, "")
			if len(objs) != 1 {
				t.Fatalf("listed %v", objs)
			}
			for _, off := range []int64{0, 1, 64 << 10, int64(len(content)) - 1} {
				rc, err := OpenGenerationAt(context.Background(), s, "big.jsonl", objs[0].Generation, off)
				if err != nil {
					t.Fatalf("offset %d: %v", off, err)
				}
				got, err := io.ReadAll(rc)
				rc.Close()
				if err != nil {
					t.Fatalf("offset %d: %v", off, err)
				}
				equalBytes(t, "content from the offset", got, content[off:])
			}
			_, err := OpenGenerationAt(context.Background(), s, "big.jsonl", objs[0].Generation+1, 10)
			checkErr(t, err, []error{ErrChanged})
		})
	}
}
