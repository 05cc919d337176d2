package activities_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clickstream-platform/clickstream/activities"
	"github.com/clickstream-platform/clickstream/blob"
)

// TestSplit: a plain object is cut into whole-line ranges that cover it in
// order; a gzip one is a single range; an object that changed since it was
// listed is refused.
func TestSplit(t *testing.T) {
	root := t.TempDir()
	plain := strings.Repeat(`{"session_id":"s"}`+"\n", 1000) // 19 bytes a line
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(plain))
	zw.Close()
	for name, b := range map[string][]byte{"plain.jsonl": []byte(plain), "packed.jsonl": gz.Bytes()} {
		if err := os.WriteFile(filepath.Join(root, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	store, err := blob.NewLocal(root)
	if err != nil {
		t.Fatal(err)
	}
	page, err := store.List(context.Background(), "", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	objs := map[string]blob.Object{}
	for _, o := range page.Objects {
		objs[o.Name] = o
	}
	a := &activities.Activities{OpenSource: func(_ context.Context, uri string) (blob.Store, error) { return blob.NewLocal(uri) }}

	res, err := a.Split(context.Background(), activities.SplitInput{Source: root, Object: objs["plain.jsonl"], RangeBytes: 5000})
	if err != nil {
		t.Fatal(err)
	}
	if res.Compressed || len(res.Ranges) != 4 {
		t.Fatalf("plain: %+v, want 4 ranges of about 5000 bytes", res)
	}
	var off, line int64
	for i, r := range res.Ranges {
		if r.Offset != off || r.Line != line || r.End <= r.Offset || (r.End-r.Offset)%19 != 0 {
			t.Errorf("range %d = %+v, want it to start at %d after %d whole lines", i, r, off, line)
		}
		off, line = r.End, r.End/19
	}
	if off != int64(len(plain)) {
		t.Errorf("ranges end at %d, the object at %d", off, len(plain))
	}

	res, err = a.Split(context.Background(), activities.SplitInput{Source: root, Object: objs["packed.jsonl"], RangeBytes: 100})
	if err != nil || !res.Compressed || len(res.Ranges) != 1 {
		t.Errorf("gzip: %+v, %v: want one range, compressed", res, err)
	}

	changed := objs["plain.jsonl"]
	changed.Generation++
	if _, err := a.Split(context.Background(), activities.SplitInput{Source: root, Object: changed, RangeBytes: 5000}); err == nil || !strings.Contains(err.Error(), "changed") {
		t.Errorf("a changed object: %v, want it refused as changed", err)
	}
}
