package e2e

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/sampledata"
	"github.com/clickstream-platform/clickstream/workflows"
)

// runJSON is what `starter run --json` prints.
type runJSON = workflows.PipelineResult

// dropLines rewrites every object of a day's folder keeping the lines
// keep says, and renames the last one, as a producer that delivers a day
// again with other content would.
func dropLines(t *testing.T, day string, keep func(line int) bool) {
	t.Helper()
	dir := filepath.Join("data", "source", "dt="+day)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i, en := range entries {
		p := filepath.Join(dir, en.Name())
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var kept []string
		for j, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			if keep(j) {
				kept = append(kept, l)
			}
		}
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		if i == len(entries)-1 {
			p = filepath.Join(dir, "again-"+en.Name())
		}
		if err := os.WriteFile(p, []byte(strings.Join(kept, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// lakeMatchesInput checks the lake holds one row per valid line of the
// input as it now stands, and every warehouse table what a fresh load of it
// gives: recreate, then replace the whole source, and compare.
func lakeMatchesInput(t *testing.T, e interface {
	Digests(...string) map[string]string
}, env func(v any, args ...string), what string) {
	t.Helper()
	got := e.Digests("run_id")
	var fresh runJSON
	env(&fresh, "run", "--dev", "--json", "--recreate")
	if fresh.Rows[clickstream.VisitsTable] != fresh.Accounting.SessionsValid {
		t.Errorf("a fresh load holds %d lake rows for %d valid lines", fresh.Rows[clickstream.VisitsTable], fresh.Accounting.SessionsValid)
	}
	if want := e.Digests("run_id"); !maps.Equal(got, want) {
		t.Errorf("%s: the tables differ from a fresh load of the input as it stands:\n got %v\nwant %v", what, got, want)
	}
}

// TestReplaceOneDay: after a full load of three days, day 2 delivered
// again with other content is replaced with `run --from`: the tables equal
// a fresh load of the folder as it now stands, row for row, including the
// sessions day 2 used to share with days 1 and 3; replacing it twice, with
// a merge of day 1 in between, changes nothing more; day 1's and day 3's
// lake rows are never touched.
func TestReplaceOneDay(t *testing.T) {
	e, _ := e2eEnv(t, sampledata.Options{Files: 6, Sessions: 2400, Days: 3, Seed: 21, InvalidRate: 0.05, DuplicateRate: 0.3})
	run := func(v any, args ...string) { starterJSON(t, e, v, args...) }
	days := sourceDays(t)
	var full runJSON
	run(&full, "run", "--dev", "--json")
	others := func() string {
		var rows []map[string]any
		run(&rows, "query", "--json", fmt.Sprintf(`SELECT count(*) AS n, sum(hash(v)) AS h FROM clickstream_lake.visits v
			WHERE NOT contains(source_object, '/dt=%s/')`, days[1]))
		return fmt.Sprint(rows)
	}
	before := others()

	dropLines(t, days[1], func(line int) bool { return line%3 != 0 })
	var day runJSON
	run(&day, "run", "--dev", "--json", "--from", days[1])
	entries, _ := os.ReadDir(filepath.Join("data", "source", "dt="+days[1]))
	if day.From != days[1] || day.Objects != len(entries) {
		t.Fatalf("the run read %d objects of %s to %s, want the %d of %s", day.Objects, day.From, day.To, len(entries), days[1])
	}
	if day.Rows[clickstream.SessionsTable] >= full.Rows[clickstream.SessionsTable] || day.Rows[clickstream.SessionsTable] <= full.Rows[clickstream.SessionsTable]*2/3 {
		t.Errorf("sessions went from %d to %d: a day replace keeps the other days' rows", full.Rows[clickstream.SessionsTable], day.Rows[clickstream.SessionsTable])
	}
	if got := others(); got != before {
		t.Errorf("the lake rows of the other days changed: %s, were %s", got, before)
	}
	run(nil, "run", "--dev", "--json", "--mode", "merge", "--from", days[0])
	run(nil, "run", "--dev", "--json", "--from", days[1])
	lakeMatchesInput(t, e, run, "after day 2 was replaced")
}

// TestOnlyNew: a file dropped late into a day already loaded, and an object
// rewritten since, are all an --only-new run reads (its accounting counts
// their lines alone); the tables then equal a fresh load; a second
// --only-new run reads nothing and changes nothing.
func TestOnlyNew(t *testing.T) {
	e, _ := e2eEnv(t, sampledata.Options{Files: 6, Sessions: 1800, Days: 3, Seed: 22, InvalidRate: 0.05, DuplicateRate: 0.3})
	run := func(v any, args ...string) { starterJSON(t, e, v, args...) }
	days := sourceDays(t)
	var full runJSON
	run(&full, "run", "--dev", "--json")

	// A late file in the first day's folder, generated apart.
	late, err := sampledata.Generate(filepath.Join(e.Dir, "late"), sampledata.Options{Files: 1, Sessions: 200, Days: 1, Seed: 99,
		Start: mustDay(t, days[0]), DuplicateRate: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(e.Dir, "late", late.Objects[0].Name), filepath.Join("data", "source", "dt="+days[0], "late.jsonl")); err != nil {
		t.Fatal(err)
	}
	// An object of the second day rewritten with fewer lines.
	entries, _ := os.ReadDir(filepath.Join("data", "source", "dt="+days[1]))
	rewritten := filepath.Join("data", "source", "dt="+days[1], entries[0].Name())
	b, err := os.ReadFile(rewritten)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if err := os.WriteFile(rewritten, []byte(strings.Join(lines[:len(lines)/2], "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	var news runJSON
	run(&news, "run", "--dev", "--json", "--only-new", "--from", days[0], "--to", days[2])
	if want := late.Expected.Lines + int64(len(lines)/2); news.Objects != 2 || news.Accounting.Lines != want {
		t.Errorf("--only-new read %d objects, %d lines; want the 2 new ones, %d lines", news.Objects, news.Accounting.Lines, want)
	}
	if news.Unchanged != full.Objects-1 {
		t.Errorf("--only-new left out %d objects, want the %d unchanged", news.Unchanged, full.Objects-1)
	}
	var again runJSON
	run(&again, "run", "--dev", "--json", "--only-new", "--from", days[0], "--to", days[2])
	if again.Objects != 0 || again.Unchanged != full.Objects+1 {
		t.Errorf("a second --only-new run read %d objects and left out %d, want 0 and %d", again.Objects, again.Unchanged, full.Objects+1)
	}
	for table, n := range again.RowsAdded {
		if n != 0 {
			t.Errorf("a second --only-new run changed %s by %+d", table, n)
		}
	}
	lakeMatchesInput(t, e, run, "after --only-new")
}

func mustDay(t *testing.T, day string) time.Time {
	t.Helper()
	d, err := clickstream.ParseDay(day)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
