package clickstream_test

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/sampledata"
)

// ga4Input is testdata/ga4/input.jsonl, one line per mapping rule and per
// reject reason; the line numbers below are its.
func ga4Input(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "ga4", "input.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func transformGA4(t testing.TB, input string, format clickstream.Format) result {
	t.Helper()
	return transformOpts(t, strings.NewReader(input), clickstream.Options{Input: clickstream.GA4Input, Format: format})
}

// TestGA4Golden pins the staged rows and dead letter of GA4 input.
// Regenerate with: go test ./clickstream -run TestGA4Golden -update
func TestGA4Golden(t *testing.T) {
	res := transformGA4(t, ga4Input(t), clickstream.NDJSON)
	if res.err != nil {
		t.Fatal(res.err)
	}
	want := clickstream.Counts{Lines: 22, Blank: 1, EventsRejected: 9, EventsValid: 12,
		SessionsValid: 11, Pageviews: 2, Addtocarts: 1, Purchases: 2, EventsOther: 1,
		EventsMappingRejected: 6, AddtocartRows: 3, Format: clickstream.GA4Input}
	if res.counts != want {
		t.Errorf("counts = %+v\nwant %+v", res.counts, want)
	}
	if err := res.counts.Check(); err != nil {
		t.Error(err)
	}
	for name, got := range res.raw {
		path := filepath.Join("testdata", "ga4", name+".ndjson")
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		golden, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if !bytes.Equal(got, golden) {
			t.Errorf("%s differs from %s:\n got: %s\nwant: %s", name, path, got, golden)
		}
	}
}

// rowsOfLine returns table's rows whose source_line is line.
func rowsOfLine(res result, table string, line int64) []map[string]any {
	var out []map[string]any
	for _, r := range res.rows[table] {
		if n, _ := r["source_line"].(json.Number).Int64(); n == line {
			out = append(out, r)
		}
	}
	return out
}

func deadOfLine(res result, line int64) []clickstream.DeadLetter {
	var out []clickstream.DeadLetter
	for _, d := range res.dead {
		if d.Line == line {
			out = append(out, d)
		}
	}
	return out
}

func str(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestGA4Mapping checks each rule of SPEC.md's GA4 mapping on its line of
// the input, independently of the golden files.
func TestGA4Mapping(t *testing.T) {
	res := transformGA4(t, ga4Input(t), clickstream.NDJSON)
	if res.err != nil {
		t.Fatal(res.err)
	}
	sessionKey := clickstream.SessionKey("1612069464", "1026454.4271112504", "desktop")

	t.Run("params in each value field", func(t *testing.T) {
		ga := rowsOfLine(res, clickstream.GA4EventsTable, 1)
		if len(ga) != 1 {
			t.Fatalf("line 1: %d ga4_events rows, want 1", len(ga))
		}
		r := ga[0]
		if got, want := str(r["params"]), `{"engagement_time_msec":1234,"ga_session_id":1612069464,"page_location":"https://shop.googlemerchandisestore.com/home","page_referrer":"https://www.google.com/","percent":2.5,"value":0.25}`; got != want {
			t.Errorf("params = %s, want %s", got, want)
		}
		if got, want := str(r["user_properties"]), `{"plan":"gold","visits":3}`; got != want {
			t.Errorf("user_properties = %s, want %s", got, want)
		}
		for col, want := range map[string]string{
			"event_timestamp": `"2021-01-31T05:05:10.766593Z"`, "event_date": `"2021-01-31"`, "event_name": `"page_view"`,
			"user_pseudo_id": `"1026454.4271112504"`, "session_key": `"` + sessionKey + `"`, "ga_session_id": "1612069464",
			"device_category": `"desktop"`, "country": `"United States"`, "platform": `"WEB"`, "user_id": "null",
		} {
			if got := str(r[col]); got != want {
				t.Errorf("%s = %s, want %s", col, got, want)
			}
		}
		pv := rowsOfLine(res, clickstream.PageviewsTable, 1)
		if len(pv) != 1 || pv[0]["page_url"] != "https://shop.googlemerchandisestore.com/home" ||
			pv[0]["referrer_url"] != "https://www.google.com/" || pv[0]["session_key"] != sessionKey ||
			pv[0]["event_id"] != r["event_id"] {
			t.Errorf("line 1's page view = %v, want page_location, page_referrer, the session's key and the ga4_events row's event_id", pv)
		}
		s := rowsOfLine(res, clickstream.SessionsTable, 1)
		if len(s) != 1 || s[0]["session_id"] != "1612069464" || s[0]["user_id"] != "1026454.4271112504" ||
			s[0]["device_type"] != "desktop" || s[0]["geolocation"] != "United States" || s[0]["user_agent"] != "Chrome/87.0" {
			t.Errorf("line 1's session = %v", s)
		}
	})

	t.Run("add_to_cart with three items", func(t *testing.T) {
		rows := rowsOfLine(res, clickstream.AddtocartsTable, 3)
		if len(rows) != 3 {
			t.Fatalf("line 3: %d addtocart rows, want 3", len(rows))
		}
		want := []string{
			`"9180753" "Google Tee" "Apparel" 18 1`,
			`"9180754" "Android Mug" "Drinkware" 12.5 2`,
			`"9180755" "YouTube Cap" null 21 3`,
		}
		ids := map[any]bool{}
		for i, r := range rows {
			got := strings.Join([]string{str(r["product_id"]), str(r["product_name"]), str(r["category"]), str(r["price"]), str(r["quantity"])}, " ")
			if got != want[i] {
				t.Errorf("item %d = %s, want %s", i, got, want[i])
			}
			ids[r["event_id"]] = true
		}
		if len(ids) != 3 {
			t.Errorf("the three items' rows share event_ids: %v", ids)
		}
		visits := rowsOfLine(res, clickstream.VisitsTable, 3)
		if len(visits) != 1 || len(visits[0]["events"].([]any)) != 3 {
			t.Errorf("line 3's visits row = %v, want one with three add_item_to_cart events", visits)
		}
	})

	t.Run("purchase with the id only in params", func(t *testing.T) {
		rows := rowsOfLine(res, clickstream.PurchasesTable, 6)
		if len(rows) != 1 {
			t.Fatalf("line 6: %d purchases, want 1", len(rows))
		}
		r := rows[0]
		if r["order_id"] != "T-100" || str(r["amount"]) != "30.5" || r["currency"] != "USD" || len(r["items"].([]any)) != 2 {
			t.Errorf("line 6's purchase = %v", r)
		}
		ecom := rowsOfLine(res, clickstream.PurchasesTable, 7)
		if len(ecom) != 1 || ecom[0]["order_id"] != "T-200" || str(ecom[0]["amount"]) != "99" || ecom[0]["currency"] != "EUR" ||
			len(ecom[0]["items"].([]any)) != 0 {
			t.Errorf("line 7's purchase = %v, want ecommerce's transaction_id and purchase_revenue, no items", ecom)
		}
	})

	t.Run("mapping rejects", func(t *testing.T) {
		for _, c := range []struct {
			line   int64
			reason string
		}{
			{2, "page_location"},
			{4, "items is missing or empty"},
			{5, "item_id is missing"},
			{8, "no order id"},
			{9, "no amount"},
			{20, "device.category"},
		} {
			d := deadOfLine(res, c.line)
			if len(d) != 1 || d[0].EventIndex == nil || *d[0].EventIndex != 0 || !strings.Contains(d[0].Reason, c.reason) {
				t.Errorf("line %d: dead letter %+v, want one event reject saying %q", c.line, d, c.reason)
			}
			if n := len(rowsOfLine(res, clickstream.GA4EventsTable, c.line)); n != 1 {
				t.Errorf("line %d: %d ga4_events rows, want 1: a rejected mapping keeps the event", c.line, n)
			}
			for _, table := range []string{clickstream.PageviewsTable, clickstream.AddtocartsTable, clickstream.PurchasesTable} {
				if n := len(rowsOfLine(res, table, c.line)); n != 0 {
					t.Errorf("line %d: %d %s rows, want none", c.line, n, table)
				}
			}
		}
		if n := len(rowsOfLine(res, clickstream.SessionsTable, 2)); n != 1 {
			t.Errorf("line 2: %d sessions rows, want 1: a rejected page view keeps its session", n)
		}
		if n := len(rowsOfLine(res, clickstream.SessionsTable, 20)); n != 0 {
			t.Errorf("line 20: %d sessions rows, want none without a device_type", n)
		}
	})

	t.Run("other events", func(t *testing.T) {
		if n := len(rowsOfLine(res, clickstream.GA4EventsTable, 10)); n != 1 {
			t.Errorf("session_start: %d ga4_events rows, want 1", n)
		}
		if n := len(deadOfLine(res, 10)); n != 0 {
			t.Errorf("session_start dead-lettered")
		}
		if n := len(rowsOfLine(res, clickstream.SessionsTable, 10)); n != 1 {
			t.Errorf("session_start: %d sessions rows, want 1", n)
		}
	})

	t.Run("line rejects", func(t *testing.T) {
		for _, c := range []struct {
			line int64
			code string
			says string
		}{
			{11, clickstream.CodeMissingField, "ga_session_id"},
			{13, clickstream.CodeInvalidJSON, "invalid JSON"},
			{14, clickstream.CodeNotObject, "JSON object"},
			{15, clickstream.CodeMissingField, "event_name"},
			{16, clickstream.CodeWrongType, "user_pseudo_id"},
			{17, clickstream.CodeWrongType, "event_timestamp"},
			{18, clickstream.CodeMissingField, "event_timestamp"},
			{21, clickstream.CodeAmbiguousValue, "page_location"},
			{22, clickstream.CodeWrongType, "ga_session_id"},
		} {
			d := deadOfLine(res, c.line)
			if len(d) != 1 || d[0].EventIndex != nil || d[0].Code != c.code || !strings.Contains(d[0].Reason, c.says) {
				t.Errorf("line %d: dead letter %+v, want the line rejected with %s saying %q", c.line, d, c.code, c.says)
				continue
			}
			for _, table := range []string{clickstream.GA4EventsTable, clickstream.VisitsTable, clickstream.SessionsTable} {
				if n := len(rowsOfLine(res, table, c.line)); n != 0 {
					t.Errorf("line %d: %d %s rows, want none", c.line, n, table)
				}
			}
		}
	})

	t.Run("exact duplicates share event_ids", func(t *testing.T) {
		a, b := rowsOfLine(res, clickstream.GA4EventsTable, 1), rowsOfLine(res, clickstream.GA4EventsTable, 19)
		if len(a) != 1 || len(b) != 1 || a[0]["event_id"] != b[0]["event_id"] {
			t.Errorf("line 19 (line 1 reordered, its integers as numbers) has event_id %v, line 1 %v", b, a)
		}
		other := rowsOfLine(res, clickstream.GA4EventsTable, 2)
		if len(other) != 1 || other[0]["event_id"] == a[0]["event_id"] {
			t.Errorf("line 2, another event, has line 1's event_id")
		}
	})
}

// TestGA4Formats checks that Parquet staging holds the rows of NDJSON
// staging for GA4 input, ga4_events included, column for column.
func TestGA4Formats(t *testing.T) {
	in := ga4Input(t)
	nd := transformGA4(t, in, clickstream.NDJSON)
	if nd.err != nil {
		t.Fatal(nd.err)
	}
	tr, err := clickstream.NewTransformer(clickstream.Options{RunID: "run-1", Input: clickstream.GA4Input, Format: clickstream.Parquet})
	if err != nil {
		t.Fatal(err)
	}
	var pq [7]recorder
	out := clickstream.Outputs{Visits: &pq[0], Sessions: &pq[1], Pageviews: &pq[2], Addtocarts: &pq[3], Purchases: &pq[4],
		DeadLetter: &pq[5], GA4Events: &pq[6]}
	c, err := tr.Transform(t.Context(), strings.NewReader(in), "dt=2024-01-30/part-0.jsonl", out)
	if err != nil {
		t.Fatal(err)
	}
	if c != nd.counts {
		t.Errorf("counts differ: ndjson %+v, parquet %+v", nd.counts, c)
	}
	for i, name := range append(tableOutputs, clickstream.GA4EventsTable) {
		r := &pq[i]
		if i == 5 {
			r = &pq[6]
		}
		compareTable(t, "ga4 input", mustTable(t, name), nd.raw[name], r)
	}
	if !bytes.Equal(nd.raw[deadLetterName], pq[5].Bytes()) {
		t.Errorf("dead letters differ")
	}
}

// TestGA4SessionsInputUnchanged checks that session input writes nothing
// to ga4_events and needs no output for it.
func TestGA4SessionsInputUnchanged(t *testing.T) {
	res := transform(t, sessionWith(pageView)+"\n")
	if res.err != nil || res.counts.Format != "" || res.counts.SessionsValid != 1 {
		t.Fatalf("session input: %v %+v", res.err, res.counts)
	}
	b, _ := json.Marshal(res.counts)
	if strings.Contains(string(b), "events_valid") || strings.Contains(string(b), "format") {
		t.Errorf("session input's counts carry GA4 fields: %s", b)
	}
}

// TestGA4GeneratedAccounting checks that the GA4 generator's accounting is
// what the transform counts, and its distinct figures the rows left after
// dedup by key, with invalid lines, rejected mappings, duplicates and blank
// lines in the mix, plain and gzip.
func TestGA4GeneratedAccounting(t *testing.T) {
	for _, gz := range []bool{false, true} {
		opts := sampledata.Options{Format: clickstream.GA4Input, Files: 3, Days: 2, Sessions: 300, Seed: 7,
			InvalidRate: 0.05, DuplicateRate: 0.05, Gzip: gz}
		objs := map[string]*bytes.Buffer{}
		sum, err := sampledata.WriteObjects(opts, func(name string) (io.WriteCloser, error) {
			objs[name] = &bytes.Buffer{}
			return nopCloser{objs[name]}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var total clickstream.Counts
		keys := map[string]map[string]bool{}
		for _, o := range sum.Objects {
			if !strings.HasPrefix(o.Name, "dt=") || !strings.Contains(o.Name, "/events-") {
				t.Errorf("object name %s", o.Name)
			}
			res := transformOpts(t, bytes.NewReader(objs[o.Name].Bytes()), clickstream.Options{Input: clickstream.GA4Input})
			if res.err != nil {
				t.Fatal(res.err)
			}
			if res.counts != o.Expected {
				t.Errorf("%s: transform counts %+v\n generator says %+v", o.Name, res.counts, o.Expected)
			}
			total.Add(res.counts)
			for table, key := range map[string]string{clickstream.SessionsTable: "session_key", clickstream.PageviewsTable: "event_id",
				clickstream.AddtocartsTable: "event_id", clickstream.PurchasesTable: "event_id"} {
				if keys[table] == nil {
					keys[table] = map[string]bool{}
				}
				for _, r := range res.rows[table] {
					keys[table][r[key].(string)] = true
				}
			}
		}
		c := sum.Expected
		if c.EventsRejected == 0 || c.EventsMappingRejected == 0 || c.Blank == 0 || c.EventsOther == 0 ||
			c.Addtocarts == 0 || c.Purchases == 0 || c.AddtocartRows <= c.Addtocarts {
			t.Errorf("generated data misses a case: %+v", c)
		}
		if err := c.Check(); err != nil {
			t.Error(err)
		}
		d := sum.Distinct()
		for table, want := range map[string]int64{clickstream.SessionsTable: d.Sessions, clickstream.PageviewsTable: d.Pageviews,
			clickstream.AddtocartsTable: d.Addtocarts, clickstream.PurchasesTable: d.Purchases} {
			if got := int64(len(keys[table])); got != want {
				t.Errorf("gzip %v: %s: %d distinct keys staged, generator says %d", gz, table, got, want)
			}
		}
		if d.GA4Events != c.EventsValid || d.Visits != c.SessionsValid {
			t.Errorf("distinct %+v for counts %+v", d, c)
		}
	}
}
