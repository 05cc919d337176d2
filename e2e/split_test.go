package e2e

import (
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/clickstream-platform/clickstream/sampledata"
	"github.com/clickstream-platform/clickstream/workflows"
)

// TestSplitLargeObject: one large plain object is cut into line-aligned
// ranges that batches transform side by side; the tables (line numbers of
// the lineage included), the dead letter and the accounting are those of a
// run that reads it whole. A gzip object is read whole.
func TestSplitLargeObject(t *testing.T) {
	e, sum := e2eEnv(t, sampledata.Options{Files: 1, Sessions: 3000, Seed: 21, InvalidRate: 0.05, DuplicateRate: 0.1})
	run := func(batchBytes string) (workflows.PipelineResult, map[string]string, []string) {
		t.Helper()
		e.Vars["CLICKSTREAM_PIPELINE_BATCH_BYTES"] = batchBytes
		var res workflows.PipelineResult
		starterJSON(t, e, &res, "run", "--dev", "--json")
		return res, e.Digests("run_id"), deadLetters(t, res.RunID)
	}
	one, oneTables, oneDead := run("1GiB")
	ranged, rangedTables, rangedDead := run("64KiB")
	if one.Accounting != sum.Expected || ranged.Accounting != sum.Expected {
		t.Errorf("accounting whole %+v, in ranges %+v, want %+v", one.Accounting, ranged.Accounting, sum.Expected)
	}
	if !maps.Equal(oneTables, rangedTables) {
		t.Errorf("tables differ:\nwhole  %v\nranges %v", oneTables, rangedTables)
	}
	if strings.Join(oneDead, "\n") != strings.Join(rangedDead, "\n") || len(oneDead) == 0 {
		t.Errorf("dead letter differs (%d records whole, %d in ranges)", len(oneDead), len(rangedDead))
	}
	// The ranged run read the object in ranges: a manifest each.
	for _, c := range []struct {
		runID  string
		ranges bool
	}{{one.RunID, false}, {ranged.RunID, true}} {
		m, err := filepath.Glob(filepath.Join("data", "staging", c.runID, "manifests", "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		inRanges := len(m) > 1 && strings.Contains(m[0], "-r0000")
		if inRanges != c.ranges {
			t.Errorf("run %s: manifests %v, read in ranges %v, want %v", c.runID, m, inRanges, c.ranges)
		}
	}
}

// deadLetters are a run's dead-letter records, run_id cut off, sorted.
func deadLetters(t *testing.T, runID string) []string {
	t.Helper()
	var recs []string
	err := filepath.Walk(filepath.Join("data", "deadletter", runID), func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if l != "" {
				recs = append(recs, strings.ReplaceAll(l, runID, ""))
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(recs)
	return recs
}
