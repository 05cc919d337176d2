package resilience

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestWorkerKillDuringSliceReplace loads the scenario whole, then replaces
// one of its days and SIGKILLs the worker while that run loads (the lake
// first, then the tables derived from it), starting a new one: the run
// completes, and the tables equal the clean run's, since the day's input is
// the same. Each seed strikes at its own moment of the loads.
func TestWorkerKillDuringSliceReplace(t *testing.T) {
	sc := sharedScenario(t)
	entries, err := os.ReadDir(sc.source)
	if err != nil {
		t.Fatal(err)
	}
	var days []string
	for _, en := range entries {
		if d, ok := strings.CutPrefix(en.Name(), "dt="); ok {
			days = append(days, d)
		}
	}
	sort.Strings(days)
	if len(days) != 3 {
		t.Fatalf("scenario days %v, want 3", days)
	}
	// One seed by default: the worker-kill test covers the kill points of a
	// transform; this one the load's, which -long draws many more of.
	some := seeds()
	if !*long {
		some = some[:1]
	}
	for _, seed := range some {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(seed, 0x736c6963))
			e := sc.newEnv(t)
			w := e.StartWorker()
			sc.wait(e, e.StartPipeline(fmt.Sprintf("full-%d", seed), sc.input))
			in := sc.input
			in.Mode, in.From = "replace", days[1]
			id := fmt.Sprintf("day-%d", seed)
			run := e.StartPipeline(id, in)
			watch := &watch{e: e, id: id}
			p := killPoint{Phase: "loading", Delay: time.Duration(rng.IntN(800)) * time.Millisecond}
			if watch.reach(p) {
				t.Logf("kill (%v): %s", p, watch.where)
				w.Kill()
				e.StartWorker()
			} else {
				t.Logf("the run ended before %v", p)
			}
			res := sc.wait(e, run)
			if res.From != days[1] || res.Accounting.Lines == 0 || res.Accounting.Lines >= sc.clean.Accounting.Lines {
				t.Errorf("the day's run read %s to %s, %d lines, want %s's alone", res.From, res.To, res.Accounting.Lines, days[1])
			}
			if got := e.Digests("run_id"); !maps.Equal(got, sc.digests) {
				t.Errorf("tables after the day's replace differ from the clean run's:\n got %v\nwant %v", got, sc.digests)
			}
		})
	}
}
