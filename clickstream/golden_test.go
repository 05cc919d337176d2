package clickstream_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/clickstream-platform/clickstream/clickstream"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestGolden pins the staged rows and dead letter of a small input that walks
// through most paths: unicode and escapes, every timestamp form, a month
// crossing, a duplicate session, rejected lines and rejected events.
// Regenerate with: go test ./clickstream -run TestGolden -update
func TestGolden(t *testing.T) {
	input, err := os.ReadFile(filepath.Join("testdata", "golden", "input.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	res := transform(t, string(input))
	if res.err != nil {
		t.Fatal(res.err)
	}
	want := clickstream.Counts{Lines: 8, Blank: 1, SessionsValid: 5, SessionsRejected: 2,
		EventsSeen: 9, Pageviews: 3, Addtocarts: 2, Purchases: 2, EventsRejected: 2}
	if res.counts != want {
		t.Errorf("counts = %+v, want %+v", res.counts, want)
	}
	for name, got := range res.raw {
		path := filepath.Join("testdata", "golden", name+".ndjson")
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		golden, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if !bytes.Equal(got, golden) {
			t.Errorf("%s differs from %s:\n got: %s\nwant: %s", name, path, got, golden)
		}
	}
}
