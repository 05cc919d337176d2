package deploy

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The files whose queries are read, as paths from this folder.
const (
	alertRulesFile = "prometheus/alerts.yml"
	dashboardsGlob = "grafana/dashboards/*.json"
)

//go:embed prometheus/alerts.yml grafana/dashboards/*.json
var files embed.FS

// A Query is the PromQL expression of an alert rule or of a dashboard
// panel's target.
type Query struct {
	// Where names its file and its rule or panel, e.g.
	// "prometheus/alerts.yml: ClickstreamRunFailed".
	Where string
	Expr  string
}

// Metrics returns the names of the metrics q selects, sorted, each once.
func (q Query) Metrics() []string { return metricNames(q.Expr) }

// Queries returns the expressions of every alert rule and of every target
// of every dashboard's panels, in the order of the files.
func Queries() ([]Query, error) {
	rules, err := loadRules()
	if err != nil {
		return nil, err
	}
	var qs []Query
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			qs = append(qs, Query{Where: alertRulesFile + ": " + r.Alert, Expr: r.Expr})
		}
	}
	dashboards, err := loadDashboards()
	if err != nil {
		return nil, err
	}
	for _, d := range dashboards {
		for _, p := range d.allPanels() {
			for _, t := range p.Targets {
				qs = append(qs, Query{Where: d.file + ": " + p.Title, Expr: t.Expr})
			}
		}
	}
	return qs, nil
}

// FromPrometheus reports whether name is a series that Prometheus records
// itself for every target it scrapes, which the rules may use and no
// worker exports.
func FromPrometheus(name string) bool {
	switch name {
	case "up", "scrape_duration_seconds", "scrape_samples_scraped",
		"scrape_samples_post_metric_relabeling", "scrape_series_added":
		return true
	}
	return false
}

// ruleFile is the form of a Prometheus rule file.
type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []rule `yaml:"rules"`
	} `yaml:"groups"`
}

type rule struct {
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

func loadRules() (ruleFile, error) {
	var f ruleFile
	data, err := files.ReadFile(alertRulesFile)
	if err != nil {
		return f, err
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return f, fmt.Errorf("reading %s: %w", alertRulesFile, err)
	}
	return f, nil
}

// dashboard is the part of a Grafana dashboard's JSON model that holds
// queries.
type dashboard struct {
	file   string
	UID    string  `json:"uid"`
	Title  string  `json:"title"`
	Panels []panel `json:"panels"`
}

type panel struct {
	Title      string         `json:"title"`
	Type       string         `json:"type"`
	Datasource *datasourceRef `json:"datasource"`
	Targets    []struct {
		RefID      string         `json:"refId"`
		Expr       string         `json:"expr"`
		Datasource *datasourceRef `json:"datasource"`
	} `json:"targets"`
	// Panels are the panels of a collapsed row.
	Panels []panel `json:"panels"`
}

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// allPanels returns the panels of d, those of collapsed rows included.
func (d dashboard) allPanels() []panel {
	var out []panel
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			out = append(out, p)
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return out
}

func loadDashboards() ([]dashboard, error) {
	names, err := fs.Glob(files, dashboardsGlob)
	if err != nil {
		return nil, err
	}
	var out []dashboard
	for _, name := range names {
		data, err := files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		d := dashboard{file: name}
		if err := json.Unmarshal(data, &d); err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		out = append(out, d)
	}
	return out, nil
}

// promqlKeywords are the words of PromQL that are not metric names where
// they stand alone.
var promqlKeywords = map[string]bool{
	"and": true, "or": true, "unless": true, "atan2": true, "bool": true,
	"offset": true, "by": true, "without": true, "on": true, "ignoring": true,
	"group_left": true, "group_right": true, "inf": true, "nan": true,
}

// labelListBefore are the keywords whose parentheses hold label names.
var labelListBefore = map[string]bool{
	"by": true, "without": true, "on": true, "ignoring": true,
	"group_left": true, "group_right": true,
}

// metricNames returns the metric names that expr selects, sorted, each
// once: the identifiers that are no keyword, no function or aggregation
// (one followed by "("), no label name (inside {...}, or in the
// parentheses after by, without, on, ignoring, group_left, group_right),
// and not inside a string, a range or subquery [...], or a Grafana
// variable ($__range). A selector by {__name__="..."} alone is not read.
func metricNames(expr string) []string {
	seen := map[string]bool{}
	labelList := false // inside by (...) and the like
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			i = skipString(expr, i)
		case c == '{':
			i = skipPast(expr, i, '}')
		case c == '[':
			i = skipPast(expr, i, ']')
		case c == '#': // a comment, to the end of the line
			for i < len(expr) && expr[i] != '\n' {
				i++
			}
		case c == '$' || isDigit(c) || c == '.': // a variable, a number or a duration
			i++
			for i < len(expr) && (isIdent(expr[i]) || expr[i] == '.') {
				i++
			}
		case isIdentStart(c):
			j := i
			for j < len(expr) && isIdent(expr[j]) {
				j++
			}
			word := expr[i:j]
			rest := strings.TrimLeft(expr[j:], " \t\r\n")
			call := strings.HasPrefix(rest, "(")
			// An aggregation's name may come before its by or without.
			next := leadingWord(rest)
			grouped := next == "by" || next == "without"
			switch {
			case labelList:
			case labelListBefore[word]:
				labelList = call
				if call {
					j = strings.IndexByte(expr[j:], '(') + j + 1
				}
			case promqlKeywords[strings.ToLower(word)], call, grouped:
			default:
				seen[word] = true
			}
			i = j
		case c == ')' && labelList:
			labelList = false
			i++
		default:
			i++
		}
	}
	names := make([]string, 0, len(seen))
	for name := range seen {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// leadingWord returns the identifier s starts with, or "".
func leadingWord(s string) string {
	j := 0
	for j < len(s) && isIdent(s[j]) {
		j++
	}
	return s[:j]
}

// skipString returns the index after the string literal that starts at i.
func skipString(s string, i int) int {
	quote := s[i]
	for i++; i < len(s); i++ {
		switch {
		case s[i] == '\\' && quote != '`':
			i++
		case s[i] == quote:
			return i + 1
		}
	}
	return len(s)
}

// skipPast returns the index after the first close at or after i that is
// not inside a string.
func skipPast(s string, i int, close byte) int {
	for i < len(s) {
		switch {
		case s[i] == '"' || s[i] == '\'' || s[i] == '`':
			i = skipString(s, i)
		case s[i] == close:
			return i + 1
		default:
			i++
		}
	}
	return len(s)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isIdentStart(c byte) bool {
	return c == '_' || c == ':' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}
func isIdent(c byte) bool { return isIdentStart(c) || isDigit(c) }
