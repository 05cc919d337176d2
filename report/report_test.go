package report

import (
	"strings"
	"testing"
)

func TestParseRange(t *testing.T) {
	for _, tt := range []struct {
		from, to string
		err      string
	}{
		{"", "", ""}, {"2024-01-30", "", ""}, {"2024-01-30", "2024-01-30", ""},
		{"2024-13-01", "", `--from "2024-13-01"`}, {"", "yesterday", `--to "yesterday"`},
		{"2024-02-01", "2024-01-31", "before --from"},
	} {
		_, err := ParseRange(tt.from, tt.to)
		if (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("ParseRange(%q, %q) = %v, want %q", tt.from, tt.to, err, tt.err)
		}
	}
	r := Range{From: "2024-01-30", To: "2024-01-31"}
	if got := r.where("date"); got != "date >= DATE '2024-01-30' AND date <= DATE '2024-01-31'" {
		t.Errorf("where = %s", got)
	}
}

// The page draws what it is given, escapes what users wrote (ids, page
// names), and links to nothing.
func TestPageHTML(t *testing.T) {
	p := &Page{
		Days:     []string{"2024-01-30", "2024-01-31"},
		Events:   [3][]float64{{10, 20}, {3, 4}, {1, 2}},
		Funnel:   [4][]float64{{5, 6}, {5, 6}, {2, 3}, {1, 1}},
		Revenue:  []CurrencyRevenue{{Currency: "EUR", Revenue: []float64{9.5, 12}, Orders: 3}, {Currency: "none", Revenue: []float64{0, 1}, Orders: 1}},
		TopUsers: []UserEvents{{User: `<script>alert(1)</script>`, Events: 40, UserSessions: 4}},
		Lengths:  []Bucket{{"one event (0 s)", 2}, {"< 1 min", 9}},
	}
	b, err := p.HTML()
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	for _, want := range []string{"2024-01-30 to 2024-01-31", "&lt;script&gt;alert(1)&lt;/script&gt;", "EUR", "21.50 in 3 orders",
		"over the period 100.0% have a page view, 45.5% an add to cart, 18.2% a purchase", "(81.8%)", "<b>40</b>"} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(html, "<script") {
		t.Error("page has a script")
	}
	if n := strings.Count(html, "<svg"); n != 5 {
		t.Errorf("%d charts, want 5 (events, funnel, revenue, top users, lengths)", n)
	}
	empty, err := (&Page{}).HTML()
	if err != nil || !strings.Contains(string(empty), "No data") {
		t.Errorf("an empty page: %v\n%s", err, empty)
	}
}
