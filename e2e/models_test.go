package e2e

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clickstream-platform/clickstream/models"
	"github.com/clickstream-platform/clickstream/sampledata"
)

// modelRun is the part of `starter run --json` the models test reads.
type modelRun struct {
	Rows   map[string]int64 `json:"rows"`
	Models *struct {
		Rows    map[string]int64 `json:"rows"`
		Changes int64            `json:"changes"`
		Tests   int              `json:"tests"`
		Rebuilt bool             `json:"rebuilt"`
	} `json:"models"`
}

// thinObject rewrites an object without every third line.
func thinObject(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for i, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if i%3 != 1 {
			kept = append(kept, l)
		}
	}
	if err := os.WriteFile(path, []byte(strings.Join(kept, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestModelsAndReports: every run builds the derived tables; after a merge
// of a rewritten object and a replace of one day, each equals a rebuild
// from scratch (`starter models rebuild`); the reports add up to the
// warehouse's tables; the HTML report is one page that fetches nothing.
func TestModelsAndReports(t *testing.T) {
	e, _ := e2eEnv(t, sampledata.Options{Files: 6, Sessions: 1500, Days: 3, Seed: 23, InvalidRate: 0.02, DuplicateRate: 0.1})
	objects, err := filepath.Glob(filepath.Join(e.SourceDir(), "dt=*", "*.jsonl"))
	if err != nil || len(objects) < 3 {
		t.Fatalf("objects %v (%v), want several", objects, err)
	}

	var first modelRun
	starterJSON(t, e, &first, "run", "--dev", "--json")
	if m := first.Models; m == nil || !m.Rebuilt || m.Rows[models.UserSessions] == 0 || m.Tests == 0 {
		t.Fatalf("first run's models %+v, want a rebuild (never built before) with user sessions and data tests", first.Models)
	}
	built := e.ModelDigests()

	equalRebuild := func(what string) {
		t.Helper()
		got := e.ModelDigests()
		starterJSON(t, e, nil, "models", "rebuild", "--dev")
		if want := e.ModelDigests(); !maps.Equal(got, want) {
			for name := range want {
				if got[name] != want[name] {
					t.Errorf("after %s, %s = %s; rebuilt from scratch %s", what, name, got[name], want[name])
				}
			}
		}
	}

	thinObject(t, objects[0])
	var merge modelRun
	starterJSON(t, e, &merge, "run", "--dev", "--json", "--mode", "merge")
	if m := merge.Models; m == nil || m.Rebuilt || m.Changes == 0 {
		t.Fatalf("merge's models %+v, want an incremental build of the rewritten object's changes", merge.Models)
	}
	if maps.Equal(built, e.ModelDigests()) {
		t.Error("the derived tables did not change when a third of an object's sessions went away")
	}
	equalRebuild("a merge of a rewritten object")

	last := objects[len(objects)-1]
	day := strings.TrimPrefix(filepath.Base(filepath.Dir(last)), "dt=")
	thinObject(t, last)
	var replace modelRun
	starterJSON(t, e, &replace, "run", "--dev", "--json", "--from", day, "--to", day)
	if m := replace.Models; m == nil || m.Rebuilt || m.Changes == 0 {
		t.Fatalf("the day's replace's models %+v, want an incremental build", replace.Models)
	}
	equalRebuild("a replace of " + day)

	var daily []struct {
		Pageviews, Addtocarts, Purchases int64
	}
	starterJSON(t, e, &daily, "report", "daily_events", "--format", "json")
	var pv, ac, pu int64
	for _, d := range daily {
		pv, ac, pu = pv+d.Pageviews, ac+d.Addtocarts, pu+d.Purchases
	}
	if pv != replace.Rows["pageview_events"] || ac != replace.Rows["addtocart_events"] || pu != replace.Rows["purchase_events"] {
		t.Errorf("report_daily_events sums %d, %d, %d; the event tables hold %v", pv, ac, pu, replace.Rows)
	}

	page := filepath.Join(e.Dir, "report.html")
	starterJSON(t, e, nil, "report", "--html", page)
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	for _, want := range []string{"<svg", "Events per day, by type", "Daily funnel", "Revenue per day, per currency", "Top users", "User-session length"} {
		if !strings.Contains(html, want) {
			t.Errorf("the HTML report lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", "src=", "href=", "@import", "url("} {
		if strings.Contains(html, bad) {
			t.Errorf("the HTML report has %q: it must fetch nothing", bad)
		}
	}
	out, _, err := starter(e, "report", "nope")
	if err == nil {
		t.Errorf("an unknown report printed %q, want an error", out)
	}
	var none []json.RawMessage
	starterJSON(t, e, &none, "report", "funnel_daily", "--from", "1999-01-01", "--to", "1999-01-02", "--format", "json")
	if len(none) != 0 {
		t.Errorf("a range without data gave %d rows", len(none))
	}
}
