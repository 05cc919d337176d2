package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/clickstream-platform/clickstream/deploy"
	"github.com/clickstream-platform/clickstream/pipeline"
	"github.com/clickstream-platform/clickstream/sampledata"
	"github.com/clickstream-platform/clickstream/workflows"
)

// TestAlertAndDashboardMetrics: every metric that the alert rules and the
// Grafana dashboards query (package deploy) is one a worker exports. A
// worker in this process serves its metrics, runs a pipeline that
// succeeds and one that fails at Plan (its source does not exist), and its
// /metrics must then hold every name the queries use (a histogram's
// _bucket, _count and _sum are its series); the failure lists each name
// missing with the rules and panels that use it. Series that Prometheus
// records itself (up) are not asked of the worker.
func TestAlertAndDashboardMetrics(t *testing.T) {
	queries, err := deploy.Queries()
	if err != nil {
		t.Fatal(err)
	}
	usedBy := map[string][]string{} // metric name → the rules and panels that use it
	for _, q := range queries {
		for _, name := range q.Metrics() {
			if !deploy.FromPrometheus(name) && !slices.Contains(usedBy[name], q.Where) {
				usedBy[name] = append(usedBy[name], q.Where)
			}
		}
	}

	e, _ := e2eEnv(t, sampledata.Options{Files: 3, Sessions: 200, Seed: 7, InvalidRate: 0.05})
	cfg, c, metrics := workerWithMetrics(t, e)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for _, r := range []struct {
		name, source string
		fails        bool
	}{
		{name: "succeeds"},
		{name: "fails", source: "no/such/folder", fails: true},
	} {
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "dashboards-" + r.name + "-" + cfg.Temporal.TaskQueue,
			TaskQueue: cfg.Temporal.TaskQueue}, workflows.PipelineWorkflow, workflows.PipelineInput{Settings: pipeline.Settings{Source: r.source}})
		if err != nil {
			t.Fatal(err)
		}
		if err := run.Get(ctx, nil); (err != nil) != r.fails {
			t.Fatalf("the run that %s: error %v", r.name, err)
		}
	}

	var missing []string
	scrapeUntil(t, metrics.URL(), func(samples []sample) bool {
		exported := map[string]bool{}
		for _, s := range samples {
			exported[s.name] = true
		}
		missing = missing[:0]
		for name := range usedBy {
			if !exported[name] {
				missing = append(missing, name)
			}
		}
		return len(missing) == 0
	}, func() string {
		slices.Sort(missing)
		var b strings.Builder
		fmt.Fprintf(&b, "the worker exports %d of the metrics that the alert rules and dashboards use, not these %d:",
			len(usedBy)-len(missing), len(missing))
		for _, name := range missing {
			fmt.Fprintf(&b, "\n  %s, used by %s", name, strings.Join(usedBy[name], "; "))
		}
		return b.String()
	})
}
