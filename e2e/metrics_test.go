package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/clickstream-platform/clickstream/app"
	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/config"
	"github.com/clickstream-platform/clickstream/harness"
	"github.com/clickstream-platform/clickstream/pipeline"
	"github.com/clickstream-platform/clickstream/sampledata"
	"github.com/clickstream-platform/clickstream/workflows"
)

// TestWorkerMetrics runs a pipeline on the shared dev server with a worker
// in this process, built as the worker binary builds it (app.ServeMetrics, app.Dial,
// app.NewWorker) on a free port, then scrapes its /metrics: the clickstream_*
// counters equal the run's result (bytes, objects, lines, sessions, rejects,
// rows staged and added per table, one transform per batch and one load per
// table), they carry the SDK's activity tags, and the SDK's own metrics are
// there beside them.
func TestWorkerMetrics(t *testing.T) {
	e, sum := e2eEnv(t, sampledata.Options{Files: 5, Sessions: 800, Days: 2, Seed: 5, InvalidRate: 0.05, DuplicateRate: 0.1})
	cfg, c, metrics := workerWithMetrics(t, e)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "metrics-" + cfg.Temporal.TaskQueue, TaskQueue: cfg.Temporal.TaskQueue},
		workflows.PipelineWorkflow, workflows.PipelineInput{Settings: pipeline.Settings{BatchObjects: 2}})
	if err != nil {
		t.Fatal(err)
	}
	var res workflows.PipelineResult
	if err := run.Get(ctx, &res); err != nil {
		t.Fatal(err)
	}
	if res.Accounting != sum.Expected || res.Batches < 2 {
		t.Fatalf("run result %+v, generator %+v: want its accounting, in several batches", res, sum.Expected)
	}

	a := res.Accounting
	want := map[string]float64{
		"clickstream_input_bytes_total":                      float64(res.Bytes),
		"clickstream_input_objects_total":                    float64(res.Objects),
		"clickstream_input_lines_total":                      float64(a.Lines),
		"clickstream_sessions_valid_total":                   float64(a.SessionsValid),
		"clickstream_sessions_rejected_total":                float64(a.SessionsRejected),
		"clickstream_events_rejected_total":                  float64(a.EventsRejected),
		"clickstream_rejects_total":                          float64(a.SessionsRejected + a.EventsRejected),
		"clickstream_batch_transform_duration_seconds_count": float64(res.Batches),
	}
	for _, table := range clickstream.TablesFor(clickstream.SessionsInput) {
		want[`clickstream_rows_staged_total{table="`+table.Name+`"}`] = float64(a.TableRows(table.Name))
		want[`clickstream_load_rows_added_total{table="`+table.Name+`"}`] = float64(res.RowsAdded[table.Name])
		want[`clickstream_load_rows_removed_total{table="`+table.Name+`"}`] = 0
		want[`clickstream_load_duration_seconds_count{table="`+table.Name+`"}`] = 1
	}
	if res.Bytes == 0 || a.SessionsRejected == 0 || a.EventsRejected == 0 || res.RowsAdded[clickstream.PurchasesTable] == 0 {
		t.Fatalf("the run proves too little: %+v", res)
	}
	// The SDK's own metrics, at least these.
	least := map[string]float64{
		`temporal_workflow_completed_total{workflow_type="PipelineWorkflow"}`:          1,
		`temporal_workflow_completed_total{workflow_type="BatchWorkflow"}`:             float64(res.Batches),
		`temporal_activity_execution_latency_seconds_count{activity_type="Transform"}`: float64(res.Batches),
		`temporal_activity_execution_latency_seconds_count{activity_type="Load"}`:      float64(len(clickstream.TablesFor(clickstream.SessionsInput))),
	}
	// Both families reach /metrics at the worker's next report: the
	// workflow's completion, counted after the activities', may come a
	// report later than theirs.
	var got []sample
	scrapeUntil(t, metrics.URL(), func(s []sample) bool {
		got = s
		for name, v := range want {
			if n, _ := sumSamples(s, name); n != v {
				return false
			}
		}
		for name, v := range least {
			if n, _ := sumSamples(s, name); n < v {
				return false
			}
		}
		return true
	}, func() string {
		var diff []string
		for name, v := range want {
			if n, found := sumSamples(got, name); n != v {
				diff = append(diff, fmt.Sprintf("%s = %v (found %v), want %v", name, n, found, v))
			}
		}
		for name, v := range least {
			if n, found := sumSamples(got, name); n < v {
				diff = append(diff, fmt.Sprintf("%s = %v (found %v), want at least %v", name, n, found, v))
			}
		}
		return strings.Join(diff, "\n")
	})

	// The SDK's tags: each pipeline metric names the activity that emitted it.
	for _, s := range got {
		if !strings.HasPrefix(s.name, "clickstream_") {
			continue
		}
		wantType := "Transform"
		switch {
		case strings.HasPrefix(s.name, "clickstream_load_"):
			wantType = "Load"
		case s.name == "clickstream_runs_total":
			wantType = "Reconcile" // a run that succeeded is counted when its row is recorded
		case s.name == "clickstream_quality_gate_failures_total", s.name == "clickstream_run_warnings_total":
			wantType = "Gates"
		}
		if s.labels["activity_type"] != wantType || s.labels["namespace"] != cfg.Temporal.Namespace || s.labels["task_queue"] == "" {
			t.Errorf("%s%v lacks the SDK's tags of the %s activity", s.name, s.labels, wantType)
		}
	}
}

// workerWithMetrics starts a worker in this process for the env, built as
// the worker binary builds it (app.ServeMetrics, app.Dial, app.NewWorker),
// serving its metrics on the env's metrics.address (a free port); it is
// stopped, and its metrics closed, when the test ends. It returns the
// configuration, the worker's client, and its metrics.
func workerWithMetrics(t *testing.T, e *harness.Env) (config.Config, client.Client, *app.Metrics) {
	t.Helper()
	cfg, err := config.Load(config.LoadOptions{Environ: e.Environ()})
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	metrics, err := app.ServeMetrics(cfg.Metrics.Address, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { metrics.Close() })
	// What NewWorker opens may keep its context: it ends with the test.
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	c, err := app.Dial(ctx, cfg, logger, metrics.Handler())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	w, err := app.NewWorker(ctx, c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return cfg, c, metrics
}

// TestRunDevWithMetricsPortTaken: when the port of metrics.address is taken
// (say, by a worker running beside it), `starter run --dev` says in one line
// that this process serves no metrics and why, and runs the pipeline anyway.
func TestRunDevWithMetricsPortTaken(t *testing.T) {
	e, sum := e2eEnv(t, sampledata.Options{Files: 2, Sessions: 100, Seed: 2})
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	e.Vars["CLICKSTREAM_METRICS_ADDRESS"] = taken.Addr().String()

	out, errOut, err := starter(e, "run", "--dev", "--json")
	if err != nil {
		t.Fatalf("starter run --dev: %v\n%s", err, errOut)
	}
	var warnings []string
	for _, line := range strings.Split(errOut, "\n") {
		if strings.Contains(line, "metrics") {
			warnings = append(warnings, line)
		}
	}
	if len(warnings) != 1 || !strings.HasPrefix(warnings[0], "Warning: metrics are not served by this process: ") ||
		!strings.Contains(warnings[0], "metrics.address") || !strings.Contains(warnings[0], taken.Addr().String()) ||
		!strings.Contains(warnings[0], "address already in use") {
		t.Errorf("want one warning naming metrics.address, %s and the cause; stderr:\n%s", taken.Addr(), errOut)
	}
	var res workflows.PipelineResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if res.Accounting != sum.Expected {
		t.Errorf("accounting %+v, generator %+v", res.Accounting, sum.Expected)
	}
}

// sample is one line of the Prometheus text format.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

var (
	sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$`)
	labelPair  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)
	selector   = regexp.MustCompile(`^([^{]+)(?:\{(.*)\})?$`)
)

// parseSamples reads the text format's sample lines.
func parseSamples(t *testing.T, body string) []sample {
	t.Helper()
	var out []sample
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := sampleLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("not a sample line: %q", line)
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Fatalf("sample line %q: %v", line, err)
		}
		s := sample{name: m[1], labels: map[string]string{}, value: v}
		for _, kv := range labelPair.FindAllStringSubmatch(m[2], -1) {
			s.labels[kv[1]] = kv[2]
		}
		out = append(out, s)
	}
	return out
}

// sumSamples sums the samples that sel (name{label="value",...}) selects,
// and says whether there were any.
func sumSamples(samples []sample, sel string) (float64, bool) {
	m := selector.FindStringSubmatch(sel)
	want := map[string]string{}
	for _, kv := range labelPair.FindAllStringSubmatch(m[2], -1) {
		want[kv[1]] = kv[2]
	}
	var n float64
	found := false
next:
	for _, s := range samples {
		if s.name != m[1] {
			continue
		}
		for k, v := range want {
			if s.labels[k] != v {
				continue next
			}
		}
		n += s.value
		found = true
	}
	return n, found
}

// scrapeUntil scrapes url until ok accepts its samples (counters reach
// /metrics at the next report of the worker's metrics, within a second),
// failing the test after 30 s with what diff says of the last scrape.
func scrapeUntil(t *testing.T, url string, ok func([]sample) bool, diff func() string) {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(30 * time.Second)
	for {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if ok(parseSamples(t, string(body))) {
			return
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("%s never showed the run's counts:\n%s", url, diff())
		}
	}
}
