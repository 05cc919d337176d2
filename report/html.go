package report

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"html/template"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clickstream-platform/clickstream/models"
)

// Page is what the HTML report shows: every chart's data, read once.
type Page struct {
	Range     Range
	Generated time.Time
	// Days are the days with events or user sessions in the range, sorted.
	Days []string
	// Events are the events per day by type: page views, adds to cart,
	// purchases (report_daily_events summed over device types).
	Events [3][]float64
	// Funnel is, per day, user sessions and those with a page view, an add
	// to cart and a purchase (report_funnel_daily).
	Funnel [4][]float64
	// Revenue is, per currency (sorted, "none" for purchases without one),
	// the revenue per day (report_revenue_daily).
	Revenue []CurrencyRevenue
	// TopUsers are the users of most events, all time (report_top_users).
	TopUsers []UserEvents
	// Lengths counts the range's user sessions by duration (user_sessions).
	Lengths []Bucket
}

// CurrencyRevenue is one currency's revenue and orders per day of Page.Days.
type CurrencyRevenue struct {
	Currency string
	Revenue  []float64
	Orders   float64
}

// UserEvents is a user's events and user sessions.
type UserEvents struct {
	User                 string
	Events, UserSessions float64
}

// Bucket is a range of user-session durations and how many fall in it.
type Bucket struct {
	Label string
	Count float64
}

// lengthBuckets are the duration buckets, upper bounds in seconds
// (exclusive); a user session of one event lasts 0 s.
var lengthBuckets = []struct {
	label string
	upTo  float64
}{
	{"one event (0 s)", 0}, {"< 1 min", 60}, {"1–5 min", 300}, {"5–15 min", 900}, {"15–30 min", 1800},
	{"30–60 min", 3600}, {"1–2 h", 7200}, {"≥ 2 h", math.Inf(1)},
}

// Read reads the page's data from the derived tables of dataset dw.
func Read(ctx context.Context, src Source, dw string, r Range) (*Page, error) {
	p := &Page{Range: r}
	days := map[string]bool{}
	q := func(what, query string) ([][]any, error) {
		_, rows, err := src.Query(ctx, query)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", what, err)
		}
		return rows, nil
	}
	events, err := q(models.DailyEvents, fmt.Sprintf(
		"SELECT date, SUM(pageviews), SUM(addtocarts), SUM(purchases) FROM %s.%s WHERE %s GROUP BY date", dw, models.DailyEvents, r.where("date")))
	if err != nil {
		return nil, err
	}
	funnel, err := q(models.FunnelDaily, fmt.Sprintf(
		"SELECT date, user_sessions, with_pageview, with_addtocart, with_purchase FROM %s.%s WHERE %s", dw, models.FunnelDaily, r.where("date")))
	if err != nil {
		return nil, err
	}
	revenue, err := q(models.RevenueDaily, fmt.Sprintf(
		"SELECT date, COALESCE(currency, 'none'), orders, revenue FROM %s.%s WHERE %s", dw, models.RevenueDaily, r.where("date")))
	if err != nil {
		return nil, err
	}
	for _, rows := range [][][]any{events, funnel, revenue} {
		for _, row := range rows {
			days[text(row[0])] = true
		}
	}
	for d := range days {
		p.Days = append(p.Days, d)
	}
	slices.Sort(p.Days)
	index := map[string]int{}
	for i, d := range p.Days {
		index[d] = i
	}
	for k := range p.Events {
		p.Events[k] = make([]float64, len(p.Days))
	}
	for k := range p.Funnel {
		p.Funnel[k] = make([]float64, len(p.Days))
	}
	for _, row := range events {
		for k := range p.Events {
			p.Events[k][index[text(row[0])]] = number(row[k+1])
		}
	}
	for _, row := range funnel {
		for k := range p.Funnel {
			p.Funnel[k][index[text(row[0])]] = number(row[k+1])
		}
	}
	byCurrency := map[string]*CurrencyRevenue{}
	for _, row := range revenue {
		c := text(row[1])
		cr := byCurrency[c]
		if cr == nil {
			cr = &CurrencyRevenue{Currency: c, Revenue: make([]float64, len(p.Days))}
			byCurrency[c] = cr
		}
		cr.Revenue[index[text(row[0])]] += number(row[3])
		cr.Orders += number(row[2])
	}
	for _, cr := range byCurrency {
		p.Revenue = append(p.Revenue, *cr)
	}
	slices.SortFunc(p.Revenue, func(a, b CurrencyRevenue) int { return cmp.Compare(a.Currency, b.Currency) })

	top, err := q(models.TopUsers, fmt.Sprintf("SELECT user_id, events, user_sessions FROM %s.%s ORDER BY events DESC, user_id LIMIT 10", dw, models.TopUsers))
	if err != nil {
		return nil, err
	}
	for _, row := range top {
		p.TopUsers = append(p.TopUsers, UserEvents{User: text(row[0]), Events: number(row[1]), UserSessions: number(row[2])})
	}

	var cases strings.Builder
	for i, b := range lengthBuckets[:len(lengthBuckets)-1] {
		op := "<"
		if b.upTo == 0 {
			op = "<="
		}
		fmt.Fprintf(&cases, " WHEN duration_seconds %s %g THEN %d", op, b.upTo, i)
	}
	lengths, err := q(models.UserSessions, fmt.Sprintf("SELECT CASE%s ELSE %d END AS bucket, COUNT(*) FROM %s.%s WHERE %s GROUP BY 1",
		cases.String(), len(lengthBuckets)-1, dw, models.UserSessions, r.where("CAST(started_at AS DATE)")))
	if err != nil {
		return nil, err
	}
	p.Lengths = make([]Bucket, len(lengthBuckets))
	for i, b := range lengthBuckets {
		p.Lengths[i].Label = b.label
	}
	for _, row := range lengths {
		p.Lengths[int(number(row[0]))].Count = number(row[1])
	}
	return p, nil
}

// palette is colour-blind safe (Okabe–Ito).
var palette = []string{"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"}

// Chart geometry, in SVG units.
const (
	chartW, chartH                 = 760, 260
	padL, padR, padT, padB float64 = 64, 16, 16, 48
	barGap                 float64 = 0.2
	maxXLabels                     = 12
)

type series struct {
	Name   string
	Color  string
	Values []float64
	Dashed bool
}

// niceMax rounds v up to 1, 2 or 5 times a power of ten.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	e := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*e {
			return m * e
		}
	}
	return 10 * e
}

func num(v float64) string {
	switch {
	case v >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', 1, 64) + "M"
	case v >= 1e4:
		return strconv.FormatFloat(v/1e3, 'f', 0, 64) + "k"
	case v == math.Trunc(v):
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// tick spells an axis value in three significant digits at most.
func tick(v float64) string {
	switch {
	case v >= 1e6:
		return strconv.FormatFloat(v/1e6, 'g', 3, 64) + "M"
	case v >= 1e4:
		return strconv.FormatFloat(v/1e3, 'g', 3, 64) + "k"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// axes draws the value grid and the category labels, thinned to at most
// maxXLabels.
func axes(b *strings.Builder, labels []string, top float64, slot func(i int) float64) {
	plotH := chartH - padT - padB
	for i := 0; i <= 4; i++ {
		v := top * float64(i) / 4
		y := padT + plotH - plotH*float64(i)/4
		fmt.Fprintf(b, `<line x1="%g" x2="%g" y1="%.1f" y2="%.1f" class="grid"/><text x="%g" y="%.1f" class="ylab">%s</text>`,
			padL, chartW-padR, y, y, padL-6, y+4, tick(v))
	}
	step := max(1, (len(labels)+maxXLabels-1)/maxXLabels)
	for i, l := range labels {
		if i%step != 0 {
			continue
		}
		fmt.Fprintf(b, `<text x="%.1f" y="%g" class="xlab">%s</text>`, slot(i), chartH-padB+16, template.HTMLEscapeString(l))
	}
}

// stackedBars draws one bar per label, its series stacked.
func stackedBars(labels []string, ss []series) template.HTML {
	var b strings.Builder
	plotW, plotH := chartW-padL-padR, chartH-padT-padB
	var top float64
	for i := range labels {
		var sum float64
		for _, s := range ss {
			sum += s.Values[i]
		}
		top = max(top, sum)
	}
	top = niceMax(top)
	w := plotW / float64(max(len(labels), 1))
	slot := func(i int) float64 { return padL + w*(float64(i)+0.5) }
	open(&b)
	axes(&b, labels, top, slot)
	for i, l := range labels {
		y := padT + plotH
		for _, s := range ss {
			h := plotH * s.Values[i] / top
			y -= h
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %s</title></rect>`,
				slot(i)-w*(1-barGap)/2, y, w*(1-barGap), h, s.Color, template.HTMLEscapeString(l), s.Name, num(s.Values[i]))
		}
	}
	b.WriteString("</svg>")
	return template.HTML(b.String())
}

// lines draws one line per series over the labels.
func lines(labels []string, ss []series) template.HTML {
	var b strings.Builder
	plotW, plotH := chartW-padL-padR, chartH-padT-padB
	var top float64
	for _, s := range ss {
		top = max(top, slices.Max(append([]float64{0}, s.Values...)))
	}
	top = niceMax(top)
	// Inset, so that the first and last labels stay inside the chart.
	const inset = 32
	slot := func(i int) float64 {
		if len(labels) == 1 {
			return padL + plotW/2
		}
		return padL + inset + (plotW-2*inset)*float64(i)/float64(len(labels)-1)
	}
	open(&b)
	axes(&b, labels, top, slot)
	for _, s := range ss {
		pts := make([]string, len(s.Values))
		for i, v := range s.Values {
			pts[i] = fmt.Sprintf("%.1f,%.1f", slot(i), padT+plotH-plotH*v/top)
		}
		dash := ""
		if s.Dashed {
			dash = ` stroke-dasharray="6 4"`
		}
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>`, strings.Join(pts, " "), s.Color, dash)
		for i, v := range s.Values {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s %s: %s</title></circle>`,
				slot(i), padT+plotH-plotH*v/top, s.Color, template.HTMLEscapeString(labels[i]), s.Name, num(v))
		}
	}
	b.WriteString("</svg>")
	return template.HTML(b.String())
}

// hbars draws one horizontal bar per label, with its value and a note.
func hbars(labels []string, values []float64, notes []string, color string) template.HTML {
	var b strings.Builder
	const rowH, labelW = 24.0, 180.0
	h := rowH*float64(len(labels)) + 8
	fmt.Fprintf(&b, `<svg viewBox="0 0 %d %.0f" width="100%%" role="img" xmlns="http://www.w3.org/2000/svg">`, chartW, h)
	top := niceMax(slices.Max(append([]float64{0}, values...)))
	plotW := chartW - labelW - 160
	for i, l := range labels {
		y := 4 + rowH*float64(i)
		w := plotW * values[i] / top
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" class="ylab">%s</text>`, labelW-8, y+rowH/2+4, template.HTMLEscapeString(l))
		fmt.Fprintf(&b, `<rect x="%g" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %s</title></rect>`,
			labelW, y+3, w, rowH-6, color, template.HTMLEscapeString(l), num(values[i]))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="val">%s %s</text>`, labelW+w+6, y+rowH/2+4, num(values[i]), template.HTMLEscapeString(notes[i]))
	}
	b.WriteString("</svg>")
	return template.HTML(b.String())
}

// miniBars draws one small bar chart per currency, each on its own scale,
// three to a row.
func miniBars(days []string, rs []CurrencyRevenue) template.HTML {
	const cols, cellW, cellH, gap = 3, 240.0, 110.0, 16.0
	rows := (len(rs) + cols - 1) / cols
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %d %.0f" width="100%%" role="img" xmlns="http://www.w3.org/2000/svg">`, chartW, float64(rows)*(cellH+gap))
	for i, cr := range rs {
		x0, y0 := float64(i%cols)*(cellW+gap), float64(i/cols)*(cellH+gap)
		var total float64
		for _, v := range cr.Revenue {
			total += v
		}
		top := niceMax(slices.Max(append([]float64{0}, cr.Revenue...)))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="val"><tspan font-weight="bold">%s</tspan> %s in %s orders</text>`,
			x0, y0+12, template.HTMLEscapeString(cr.Currency), num(total), num(cr.Orders))
		plotTop, plotH := y0+20, cellH-28
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" class="grid"/>`, x0, x0+cellW, plotTop+plotH, plotTop+plotH)
		w := cellW / float64(max(len(days), 1))
		for j, v := range cr.Revenue {
			h := plotH * v / top
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %s</title></rect>`,
				x0+w*float64(j)+w*barGap/2, plotTop+plotH-h, w*(1-barGap), h, palette[2], days[j], template.HTMLEscapeString(cr.Currency), num(v))
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="ylab">max %s</text>`, x0+cellW, y0+12, tick(top))
	}
	b.WriteString("</svg>")
	return template.HTML(b.String())
}

func open(b *strings.Builder) {
	fmt.Fprintf(b, `<svg viewBox="0 0 %d %d" width="100%%" role="img" xmlns="http://www.w3.org/2000/svg">`, chartW, chartH)
}

func legend(ss []series) template.HTML {
	var b strings.Builder
	for _, s := range ss {
		fmt.Fprintf(&b, `<span class="key"><i style="background:%s"></i>%s</span>`, s.Color, template.HTMLEscapeString(s.Name))
	}
	return template.HTML(b.String())
}

// HTML renders the page: one file, no scripts, no fonts or images fetched.
func (p *Page) HTML() ([]byte, error) {
	type chart struct {
		Title, Note string
		Legend      template.HTML
		SVG         template.HTML
	}
	var charts []chart
	sum := func(v []float64) float64 {
		var s float64
		for _, x := range v {
			s += x
		}
		return s
	}
	if len(p.Days) > 0 {
		ev := []series{{Name: "page views", Color: palette[0], Values: p.Events[0]}, {Name: "adds to cart", Color: palette[1], Values: p.Events[1]},
			{Name: "purchases", Color: palette[2], Values: p.Events[2]}}
		charts = append(charts, chart{"Events per day, by type", "report_daily_events, all device types", legend(ev), stackedBars(p.Days, ev)})
		fu := []series{{Name: "user sessions", Color: palette[7], Values: p.Funnel[0], Dashed: true}, {Name: "with a page view", Color: palette[0], Values: p.Funnel[1]},
			{Name: "with an add to cart", Color: palette[1], Values: p.Funnel[2]}, {Name: "with a purchase", Color: palette[2], Values: p.Funnel[3]}}
		total := sum(p.Funnel[0])
		note := "report_funnel_daily: user sessions by the day they started"
		if total > 0 {
			note += fmt.Sprintf("; over the period %.1f%% have a page view, %.1f%% an add to cart, %.1f%% a purchase",
				100*sum(p.Funnel[1])/total, 100*sum(p.Funnel[2])/total, 100*sum(p.Funnel[3])/total)
		}
		charts = append(charts, chart{"Daily funnel", note, legend(fu), lines(p.Days, fu)})
		if len(p.Revenue) > 0 {
			charts = append(charts, chart{"Revenue per day, per currency",
				"report_revenue_daily: each currency on its own scale, since currencies are never added together", "", miniBars(p.Days, p.Revenue)})
		}
	}
	if len(p.TopUsers) > 0 {
		labels, values, notes := make([]string, len(p.TopUsers)), make([]float64, len(p.TopUsers)), make([]string, len(p.TopUsers))
		for i, u := range p.TopUsers {
			labels[i], values[i], notes[i] = u.User, u.Events, fmt.Sprintf("events in %s user sessions", num(u.UserSessions))
		}
		charts = append(charts, chart{"Top users", "report_top_users: the ten users of most events, all time", "", hbars(labels, values, notes, palette[0])})
	}
	var n float64
	for _, b := range p.Lengths {
		n += b.Count
	}
	if n > 0 {
		labels, values, notes := make([]string, len(p.Lengths)), make([]float64, len(p.Lengths)), make([]string, len(p.Lengths))
		for i, b := range p.Lengths {
			labels[i], values[i], notes[i] = b.Label, b.Count, fmt.Sprintf("(%.1f%%)", 100*b.Count/n)
		}
		charts = append(charts, chart{"User-session length", "user_sessions: duration from first to last event, sessions started in the period", "",
			hbars(labels, values, notes, palette[5])})
	}
	period := "every day loaded"
	if len(p.Days) > 0 {
		period = p.Days[0] + " to " + p.Days[len(p.Days)-1]
	}
	var buf bytes.Buffer
	err := pageTmpl.Execute(&buf, map[string]any{
		"Period": period, "Generated": p.Generated.UTC().Format("2006-01-02 15:04 UTC"), "Charts": charts,
		"UserSessions": num(sum(p.Funnel[0])), "Events": num(sum(p.Events[0]) + sum(p.Events[1]) + sum(p.Events[2])),
		"Purchases": num(sum(p.Events[2])), "Days": len(p.Days), "Empty": len(charts) == 0,
	})
	return buf.Bytes(), err
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Clickstream report, {{.Period}}</title>
<style>
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1d2330;color:#fff;padding:20px 32px}
header h1{margin:0 0 4px;font-size:20px}
header p{margin:0;color:#c7cdd8}
.kpis{display:flex;gap:16px;padding:16px 32px;flex-wrap:wrap}
.kpi{background:#fff;border-radius:8px;padding:12px 16px;min-width:140px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.kpi b{display:block;font-size:22px}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:16px;padding:0 32px 32px}
section{background:#fff;border-radius:8px;padding:16px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
section h2{margin:0;font-size:16px}
section p{margin:2px 0 8px;color:#5b6475;font-size:12px}
.key{margin-right:14px;font-size:12px;white-space:nowrap}
.key i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}
svg text{font-size:11px;fill:#5b6475}
.ylab{text-anchor:end}.xlab{text-anchor:middle}.val{fill:#1d2330}
.grid{stroke:#e3e6eb;stroke-width:1}
</style></head>
<body>
<header><h1>Clickstream report</h1><p>{{.Period}} · generated {{.Generated}} from the derived tables (user_sessions, report_*)</p></header>
<div class="kpis">
<div class="kpi">days<b>{{.Days}}</b></div>
<div class="kpi">user sessions<b>{{.UserSessions}}</b></div>
<div class="kpi">events<b>{{.Events}}</b></div>
<div class="kpi">purchases<b>{{.Purchases}}</b></div>
</div>
<main>
{{if .Empty}}<section><h2>No data</h2><p>The derived tables hold nothing for this period: has a run loaded it?</p></section>{{end}}
{{range .Charts}}<section><h2>{{.Title}}</h2><p>{{.Note}}</p>{{if .Legend}}<div>{{.Legend}}</div>{{end}}{{.SVG}}</section>
{{end}}</main>
</body></html>
`))
