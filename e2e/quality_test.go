package e2e

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/clickstream-platform/clickstream/config"
	"github.com/clickstream-platform/clickstream/harness"
	"github.com/clickstream-platform/clickstream/sampledata"
)

// hook is a webhook that answers 500 to its first fails posts, then 200,
// and keeps every body.
type hook struct {
	mu     sync.Mutex
	fails  int
	bodies []string
	got    chan struct{} // a body answered 200
	srv    *httptest.Server
}

func newHook(t *testing.T, fails int) *hook {
	h := &hook{fails: fails, got: make(chan struct{}, 16)}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		h.bodies = append(h.bodies, string(b))
		if h.fails > 0 {
			h.fails--
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		h.got <- struct{}{}
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// wait waits for a post answered 200 and returns every body so far.
func (h *hook) wait(t *testing.T) []string {
	t.Helper()
	select {
	case <-h.got:
	case <-time.After(time.Minute):
		t.Fatal("the webhook received no alert within a minute")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.bodies...)
}

// TestQualityGateRejectedLines: a day in which three lines in ten are
// invalid fails the rejected-lines gate with its message, is on record as a
// failed run, alerts the webhook (which answers 500 twice first) and leaves
// every table as it was; with higher thresholds for the run it loads. The
// webhook's URL, a secret, is in no history, log or printed configuration.
func TestQualityGateRejectedLines(t *testing.T) {
	e, _ := e2eEnv(t, sampledata.Options{Files: 3, Sessions: 900, Days: 1, Seed: 31, DuplicateRate: 0.1})
	h := newHook(t, 2)
	secret := h.srv.URL + "/services/T000/SECRET-b7e1"
	e.Vars["CLICKSTREAM_ALERTS_WEBHOOK_URL"] = secret
	run := func(v any, args ...string) { starterJSON(t, e, v, args...) }
	var clean runJSON
	run(&clean, "run", "--dev", "--json")
	before := e.Digests()

	// The same day again, a third of its lines broken by an upstream bug.
	day := sourceDays(t)[0]
	if err := os.RemoveAll(filepath.Join("data", "source")); err != nil {
		t.Fatal(err)
	}
	e.Generate(sampledata.Options{Files: 3, Sessions: 900, Days: 1, Seed: 31, Start: mustDay(t, day), InvalidRate: 0.3})
	_, stderr, err := starter(e, "run", "--dev", "--json")
	if err == nil {
		t.Fatal("a run with 30% invalid lines succeeded")
	}
	for _, want := range []string{"QualityError", "of the non-blank lines rejected", "quality.max_rejected_lines 10%", "most frequent:", "×"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("the failure %q lacks %q", stderr, want)
		}
	}
	if got := e.Digests(); !maps.Equal(got, before) {
		t.Errorf("a run failed by its gate changed the tables:\n got %v\nwant %v", got, before)
	}
	var failed []map[string]any
	run(&failed, "query", "--json", "SELECT status, error_type, error_message, lines FROM clickstream_dw.pipeline_runs WHERE status <> 'succeeded'")
	if len(failed) != 1 || failed[0]["status"] != "failed" || failed[0]["error_type"] != "QualityError" ||
		!strings.Contains(fmt.Sprint(failed[0]["error_message"]), "rejected") || fmt.Sprint(failed[0]["lines"]) == "0" {
		t.Errorf("the failed run's row: %v", failed)
	}
	bodies := h.wait(t)
	if len(bodies) != 3 || !strings.Contains(bodies[2], `"status":"failed"`) || !strings.Contains(bodies[2], `"text":"clickstream run`) ||
		!strings.Contains(bodies[2], "/namespaces/default/workflows/") {
		t.Errorf("the webhook got %d posts (want 2 answered 500, then the alert), the last %s", len(bodies), bodies[len(bodies)-1])
	}

	var loaded runJSON
	run(&loaded, "run", "--dev", "--json", "--max-rejected-lines", "0.5", "--max-rejected-events", "0.5")
	if loaded.Accounting.SessionsRejected == 0 || loaded.Rows["sessions"] == 0 {
		t.Errorf("with a threshold of 0.5 the run loaded %+v", loaded)
	}

	// The secret URL is in no history, log or printed configuration.
	checkSecretAbsent(t, e, "SECRET-b7e1", stderr)
}

// checkSecretAbsent fails if s appears in the histories of the env's task
// queue's workflows, the worker logs, the given outputs, or `starter config`.
func checkSecretAbsent(t *testing.T, e *harness.Env, s string, outputs ...string) {
	t.Helper()
	out, stderr, err := starter(e, "config")
	if err != nil || strings.Contains(out+stderr, s) {
		t.Errorf("starter config printed the webhook's URL (err %v)", err)
	}
	for _, o := range append(outputs, e.WorkerLog()) {
		if strings.Contains(o, s) {
			t.Error("a log or output holds the webhook's URL")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l, err := e.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: config.Default().Temporal.Namespace,
		Query: fmt.Sprintf("TaskQueue = '%s'", e.Vars["CLICKSTREAM_TEMPORAL_TASK_QUEUE"])})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Executions) == 0 {
		t.Fatal("no workflow of the env's task queue is listed")
	}
	for _, ex := range l.Executions {
		id := ex.GetExecution()
		events, err := harness.History(ctx, e.Client, id.GetWorkflowId(), id.GetRunId())
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range events {
			if b, _ := protojson.Marshal(ev); strings.Contains(string(b), s) {
				t.Errorf("workflow %s's history holds the webhook's URL", id.GetWorkflowId())
				break
			}
		}
	}
}

// TestBackfillEmptyDay: a backfill over a day whose folder never arrived
// fails, naming the day; with quality.allow_empty_days it completes and
// reports the day as empty.
func TestBackfillEmptyDay(t *testing.T) {
	// Days of their own: a backfill's id, and its days', derive from the
	// source and the range, and the e2e tests share one server.
	e, _ := e2eEnv(t, sampledata.Options{Files: 2, Sessions: 300, Days: 2, Seed: 32, Start: time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC)})
	days := sourceDays(t)
	missing := mustDay(t, days[1]).AddDate(0, 0, 1).Format(time.DateOnly)
	_, stderr, err := starter(e, "backfill", "--dev", "--json", "--from", days[0], "--to", missing)
	if err == nil || !strings.Contains(stderr, "no input for "+missing) || !strings.Contains(stderr, missing) {
		t.Fatalf("a backfill over %s, which has no folder: %v\n%s", missing, err, stderr)
	}
	e.Vars["CLICKSTREAM_QUALITY_ALLOW_EMPTY_DAYS"] = "true"
	var bf struct {
		Days []struct {
			Day    string `json:"day"`
			Status string `json:"status"`
		} `json:"days"`
	}
	starterJSON(t, e, &bf, "backfill", "--dev", "--json", "--from", days[0], "--to", missing)
	if len(bf.Days) != 3 || bf.Days[2].Day != missing || bf.Days[2].Status != "empty" {
		t.Errorf("days %+v, want %s empty", bf.Days, missing)
	}
}

// TestLowVolumeWarns: a day whose volume falls far below the day's last
// run loads, warns in its result and alerts the webhook.
func TestLowVolumeWarns(t *testing.T) {
	e, _ := e2eEnv(t, sampledata.Options{Files: 2, Sessions: 1000, Days: 1, Seed: 33})
	h := newHook(t, 0)
	e.Vars["CLICKSTREAM_ALERTS_WEBHOOK_URL"] = h.srv.URL + "/hook"
	day := sourceDays(t)[0]
	var first runJSON
	starterJSON(t, e, &first, "run", "--dev", "--json", "--mode", "merge", "--from", day)
	if len(first.Warnings) != 0 {
		t.Fatalf("the first run warned: %v", first.Warnings)
	}
	dropLines(t, day, func(line int) bool { return line%20 == 0 })
	var low runJSON
	starterJSON(t, e, &low, "run", "--dev", "--json", "--from", day)
	if len(low.Warnings) != 1 || !strings.Contains(low.Warnings[0], "low volume") || low.Rows["sessions"] == 0 {
		t.Fatalf("a day with a twentieth of its lines: warnings %v, rows %v", low.Warnings, low.Rows)
	}
	bodies := h.wait(t)
	if last := bodies[len(bodies)-1]; !strings.Contains(last, "succeeded with warnings") || !strings.Contains(last, "low volume") {
		t.Errorf("the webhook got %s", last)
	}
}
