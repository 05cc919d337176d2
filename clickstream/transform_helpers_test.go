package clickstream_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/clickstream-platform/clickstream/clickstream"
)

// result is what one Transform call produced, decoded.
type result struct {
	counts clickstream.Counts
	err    error
	raw    map[string][]byte // table name or "deadletter" -> output bytes
	rows   map[string][]map[string]any
	dead   []clickstream.DeadLetter
}

const deadLetterName = "deadletter"

func transformOpts(t testing.TB, r io.Reader, opts clickstream.Options) result {
	t.Helper()
	if opts.RunID == "" {
		opts.RunID = "run-1"
	}
	tr, err := clickstream.NewTransformer(opts)
	if err != nil {
		t.Fatal(err)
	}
	bufs := map[string]*bytes.Buffer{}
	for _, n := range []string{clickstream.VisitsTable, clickstream.SessionsTable, clickstream.PageviewsTable,
		clickstream.AddtocartsTable, clickstream.PurchasesTable, deadLetterName} {
		bufs[n] = &bytes.Buffer{}
	}
	var ga4 io.Writer
	if opts.Input == clickstream.GA4Input {
		bufs[clickstream.GA4EventsTable] = &bytes.Buffer{}
		ga4 = bufs[clickstream.GA4EventsTable]
	}
	out := clickstream.Outputs{
		Visits: bufs[clickstream.VisitsTable], Sessions: bufs[clickstream.SessionsTable],
		Pageviews: bufs[clickstream.PageviewsTable], Addtocarts: bufs[clickstream.AddtocartsTable],
		Purchases: bufs[clickstream.PurchasesTable], DeadLetter: bufs[deadLetterName],
		GA4Events: ga4,
	}
	res := result{raw: map[string][]byte{}, rows: map[string][]map[string]any{}}
	res.counts, res.err = tr.Transform(context.Background(), r, "dt=2024-01-30/part-0.jsonl", out)
	for name, b := range bufs {
		res.raw[name] = b.Bytes()
		sc := bufio.NewScanner(bytes.NewReader(b.Bytes()))
		sc.Buffer(nil, 64<<20)
		for sc.Scan() {
			if name == deadLetterName {
				var d clickstream.DeadLetter
				if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
					t.Fatalf("dead-letter record is not JSON: %v: %s", err, sc.Bytes())
				}
				res.dead = append(res.dead, d)
				continue
			}
			dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
			dec.UseNumber()
			var row map[string]any
			if err := dec.Decode(&row); err != nil {
				t.Fatalf("%s row is not JSON: %v: %s", name, err, sc.Bytes())
			}
			res.rows[name] = append(res.rows[name], row)
		}
	}
	return res
}

func transform(t testing.TB, input string) result {
	t.Helper()
	return transformOpts(t, strings.NewReader(input), clickstream.Options{})
}

// sessionWith wraps event JSON texts into an otherwise valid session line.
func sessionWith(events ...string) string {
	return `{"session_id":"s1","user_id":"u1","device_type":"mobile","events":[` + strings.Join(events, ",") + "]}"
}

const (
	pageView  = `{"event":{"event_type":"page_view","timestamp":"2024-01-30T10:00:00Z","details":{"page_url":"/home","referrer_url":null}}}`
	addToCart = `{"event":{"event_type":"add_item_to_cart","timestamp":"2024-01-30T10:01:00Z","details":{"product_id":"P1","product_name":"Shoe","category":"shoes","price":59.9,"quantity":1}}}`
	purchase  = `{"event":{"event_type":"purchase","timestamp":"2024-01-30T10:05:00Z","details":{"order_id":"O1","amount":59.9,"currency":"USD","items":[{"product_id":"P1","product_name":"Shoe","category":"shoes","price":59.9,"quantity":1}]}}}`
)
