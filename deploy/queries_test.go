package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestMetricNames(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []string
	}{
		{name: "selector", input: `up{job="clickstream-worker"} == 0`, want: []string{"up"}},
		{name: "aggregation with by before", input: `sum by (le, table) (rate(clickstream_load_duration_seconds_bucket[1h]))`,
			want: []string{"clickstream_load_duration_seconds_bucket"}},
		{name: "aggregation with by after", input: `sum(rate(x_bucket[5m])) by (le)`, want: []string{"x_bucket"}},
		{name: "quantile and numbers", input: `histogram_quantile(0.95, sum by (le) (rate(a_bucket[1h]))) * 1e3 > 0.5`,
			want: []string{"a_bucket"}},
		{name: "ratio", input: "sum(rate(a_sum[1h]))\n  / sum(rate(a_count[1h]))", want: []string{"a_count", "a_sum"}},
		{name: "set operators and offset", input: `sum(last_over_time(r{s="f"}[1h]) unless r{s="f"} offset 1h) > 0 or vector(0)`,
			want: []string{"r"}},
		{name: "matching", input: `a * on (instance) group_left (version) b and ignoring(job) c`, want: []string{"a", "b", "c"}},
		{name: "absent", input: `absent(up{job="w"} == 1)`, want: []string{"up"}},
		{name: "grafana variables", input: `sum(increase(x_total[$__range])) / sum(increase(y_total[$__rate_interval]))`,
			want: []string{"x_total", "y_total"}},
		{name: "strings hold braces and quotes", input: `x{path="a}b\"c", re=~'{'} + y`, want: []string{"x", "y"}},
		{name: "unary minus and bool", input: `-sum by (table) (increase(r_total[1h])) > bool 0`, want: []string{"r_total"}},
		{name: "subquery", input: `max_over_time(rate(z_total[5m])[1h:1m])`, want: []string{"z_total"}},
		{name: "no metric", input: `vector(1)`, want: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := metricNames(tt.input); !slices.Equal(got, tt.want) {
				t.Errorf("metricNames(%q) = %q, want %q", tt.input, got, tt.want)
			}
		})
	}
}

// Every query of the rules and the dashboards names metrics, and only the
// workers' (clickstream_*, temporal_*) or those Prometheus records itself;
// e2e's TestAlertAndDashboardMetrics checks that a worker exports each.
func TestQueriesNameWorkerMetrics(t *testing.T) {
	qs, err := Queries()
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) < 20 {
		t.Fatalf("%d queries in the rules and dashboards, want them all", len(qs))
	}
	for _, q := range qs {
		names := q.Metrics()
		if len(names) == 0 {
			t.Errorf("%s: %q selects no metric", q.Where, q.Expr)
		}
		for _, name := range names {
			if !strings.HasPrefix(name, "clickstream_") && !strings.HasPrefix(name, "temporal_") && !FromPrometheus(name) {
				t.Errorf("%s: %s is no worker's metric (clickstream_*, temporal_*) nor one Prometheus records", q.Where, name)
			}
		}
	}
}

// The alerts the README promises, each with a severity to route on and a
// summary and description an on-call engineer can act on, whose templates
// use labels the expression keeps (an aggregation keeps those it names).
func TestAlertRules(t *testing.T) {
	f, err := loadRules()
	if err != nil {
		t.Fatal(err)
	}
	templateLabel := regexp.MustCompile(`\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)`)
	// An expression that aggregates keeps only the labels it names.
	aggregation := regexp.MustCompile(`\b(sum|avg|min|max|count|group|stddev|stdvar|topk|bottomk|quantile|count_values|absent)\s*(\(|by\b|without\b)`)
	var alerts []string
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			alerts = append(alerts, r.Alert)
			if r.Alert == "" || strings.TrimSpace(r.Expr) == "" {
				t.Errorf("group %s: a rule without alert or expr: %+v", g.Name, r)
				continue
			}
			if s := r.Labels["severity"]; s != "critical" && s != "warning" {
				t.Errorf("%s: severity %q, want critical or warning", r.Alert, s)
			}
			if len(r.Annotations["summary"]) < 20 || len(r.Annotations["description"]) < 200 {
				t.Errorf("%s: want a summary that says what happened and a description that says what to do, got %q", r.Alert, r.Annotations)
			}
			for _, text := range r.Annotations {
				for _, m := range templateLabel.FindAllStringSubmatch(text, -1) {
					if aggregation.MatchString(r.Expr) && !strings.Contains(r.Expr, m[1]) {
						t.Errorf("%s: its annotations use $labels.%s, which its expression does not keep", r.Alert, m[1])
					}
				}
			}
		}
	}
	for _, want := range []string{"ClickstreamRunFailed", "ClickstreamRejectRateHigh", "ClickstreamNoSuccessfulRun",
		"ClickstreamActivityRetries", "ClickstreamWorkerDown", "ClickstreamNoWorker"} {
		if !slices.Contains(alerts, want) {
			t.Errorf("no alert %s in %s (alerts %q)", want, alertRulesFile, alerts)
		}
	}
}

// The dashboards query the datasource that Grafana is provisioned with, by
// its uid, and show what the README promises.
func TestDashboards(t *testing.T) {
	data, err := os.ReadFile("grafana/provisioning/datasources/prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	var provisioned struct {
		Datasources []struct {
			UID  string `yaml:"uid"`
			Type string `yaml:"type"`
		} `yaml:"datasources"`
	}
	if err := yaml.Unmarshal(data, &provisioned); err != nil || len(provisioned.Datasources) != 1 {
		t.Fatalf("want one provisioned datasource, got %+v (%v)", provisioned, err)
	}
	ds := provisioned.Datasources[0]
	if ds.UID == "" || ds.Type != "prometheus" {
		t.Fatalf("provisioned datasource %+v: want a prometheus one with a uid", ds)
	}

	dashboards, err := loadDashboards()
	if err != nil {
		t.Fatal(err)
	}
	if len(dashboards) == 0 {
		t.Fatalf("no dashboard matches %s", dashboardsGlob)
	}
	var titles []string
	for _, d := range dashboards {
		if d.UID == "" || d.Title == "" {
			t.Errorf("%s: want a uid and a title", d.file)
		}
		for _, p := range d.allPanels() {
			if p.Type == "row" {
				continue
			}
			titles = append(titles, p.Title)
			if p.Title == "" || len(p.Targets) == 0 {
				t.Errorf("%s: panel %q: want a title and a query", d.file, p.Title)
			}
			refs := map[string]bool{}
			for _, tg := range p.Targets {
				for _, ref := range []*datasourceRef{p.Datasource, tg.Datasource} {
					if ref == nil || *ref != (datasourceRef{Type: ds.Type, UID: ds.UID}) {
						t.Errorf("%s: panel %q: datasource %+v, want the provisioned %s %q", d.file, p.Title, ref, ds.Type, ds.UID)
					}
				}
				if refs[tg.RefID] || tg.RefID == "" || strings.TrimSpace(tg.Expr) == "" {
					t.Errorf("%s: panel %q: target %q: want a refId of its own and an expression", d.file, p.Title, tg.RefID)
				}
				refs[tg.RefID] = true
			}
		}
	}
	for _, want := range []string{"Runs by status", "Rows staged per table", "Rows loaded per table", "Reject rate",
		"Transform time per batch", "Load time per table", "Failed activity attempts by type", "Quality gates and warnings"} {
		if !slices.Contains(titles, want) {
			t.Errorf("no panel %q in the dashboards (panels %q)", want, titles)
		}
	}
}

// promtool, where it is installed, checks the Prometheus configuration and
// runs the alert rules' unit tests (prometheus/alerts_test.yml).
func TestPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool is not installed (it comes with Prometheus, e.g. Debian's package prometheus)")
	}
	for _, args := range [][]string{
		{"check", "config", filepath.Join("prometheus", "prometheus.yml")},
		{"test", "rules", filepath.Join("prometheus", "alerts_test.yml")},
	} {
		out, err := exec.Command(promtool, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}
