package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/clickstream-platform/clickstream/clickstream"
)

// TestGenThenTransform runs the README's first command (gen, then transform,
// with the configured default folders) and checks the transform reports
// exactly the accounting the generator says its data must give, per object,
// for plain and gzip data with invalid lines, invalid events and duplicates.
func TestGenThenTransform(t *testing.T) {
	for _, extra := range [][]string{nil, {"--gzip", "--invalid-rate", "0.3", "--duplicate-rate", "0.2", "--seed", "7"}} {
		t.Run(fmtArgs(extra), func(t *testing.T) {
			e := newEnv(t)
			var gen struct {
				Objects []struct {
					Name     string             `json:"name"`
					Expected clickstream.Counts `json:"expected"`
				} `json:"objects"`
				Expected clickstream.Counts `json:"expected"`
			}
			starterJSON(t, e, &gen, append([]string{"gen", "--json", "--files", "5", "--sessions", "3000"}, extra...)...)
			var tr struct {
				RunID      string             `json:"run_id"`
				Accounting clickstream.Counts `json:"accounting"`
				Objects    []struct {
					Name string `json:"name"`
					clickstream.Counts
				} `json:"objects"`
			}
			starterJSON(t, e, &tr, "transform", "--json")
			if tr.Accounting != gen.Expected {
				t.Fatalf("transform accounting = %+v\n      generator expects %+v", tr.Accounting, gen.Expected)
			}
			if gen.Expected.SessionsRejected == 0 && extra != nil {
				t.Fatal("the generated data has no rejected lines: the test proves too little")
			}
			if len(tr.Objects) != len(gen.Objects) {
				t.Fatalf("transform saw %d objects, gen wrote %d", len(tr.Objects), len(gen.Objects))
			}
			for i, o := range tr.Objects {
				if want := filepath.ToSlash(filepath.Join("data/source", gen.Objects[i].Name)); o.Name != want || o.Counts != gen.Objects[i].Expected {
					t.Errorf("object %d: %s %+v, want %s %+v", i, o.Name, o.Counts, want, gen.Objects[i].Expected)
				}
			}
			if _, err := os.Stat(filepath.Join("data", "staging", tr.RunID, "sessions")); tr.RunID == "" || err != nil {
				t.Errorf("staged sessions not in the default staging folder: %v", err)
			}
		})
	}
}

func fmtArgs(a []string) string {
	if a == nil {
		return "defaults"
	}
	return "gzip-dirty"
}
