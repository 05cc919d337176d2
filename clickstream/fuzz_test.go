package clickstream_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/clickstream-platform/clickstream/clickstream"
)

// FuzzTransform feeds arbitrary bytes through the whole transform and checks
// what must hold for any input: no panic, the accounting adds up, every input
// line is counted, every reject has exactly one dead-letter record, every
// staged row is JSON, and no line the parser accepted is invalid JSON in the
// eyes of encoding/json (nor the other way round).
//
//	go test ./clickstream -run '^$' -fuzz FuzzTransform -fuzztime 30s
func FuzzTransform(f *testing.F) {
	seeds := []string{
		"",
		"\n",
		sessionWith(pageView, addToCart, purchase),
		sessionWith(pageView) + "\n" + sessionWith(addToCart) + "\r\n\n",
		`{"session_id":"s","user_id":"u","device_type":"d","events":[1,{"event":{}},{"event":{"event_type":"purchase","timestamp":"2024-01-30 10:00:00 UTC","details":{"order_id":"O","amount":1e3,"items":[{"product_id":"P","price":-0.0,"quantity":2E0}]}}}]}`,
		`{"session_id":"s\ud83d\ude00","user_id":"\u0000","device_type":"d\"\\\/\b\f\n\r\t","geolocation":"\ud800"}`,
		"[1,2,{\"a\":[true,false,null]}]\n{\"a\":-12.5e-3}",
		"{\"session_id\":\"s\xff\",\"user_id\":\"u\",\"device_type\":\"d\"}",
		"\xEF\xBB\xBF{}",
		strings.Repeat("[", 300),
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		res := transformOpts(t, bytes.NewReader(input), clickstream.Options{MaxLineBytes: 4096})
		if res.err != nil {
			t.Fatalf("transform: %v", res.err)
		}
		c := res.counts
		if err := c.Check(); err != nil {
			t.Fatal(err)
		}
		lines := bytes.Split(input, []byte("\n"))
		if len(lines[len(lines)-1]) == 0 {
			lines = lines[:len(lines)-1]
		}
		if c.Lines != int64(len(lines)) {
			t.Fatalf("counted %d lines, input has %d", c.Lines, len(lines))
		}
		if got, want := int64(len(res.dead)), c.SessionsRejected+c.EventsRejected; got != want {
			t.Fatalf("%d dead-letter records for %d rejects", got, want)
		}
		for table, want := range map[string]int64{
			clickstream.VisitsTable: c.SessionsValid, clickstream.SessionsTable: c.SessionsValid,
			clickstream.PageviewsTable: c.Pageviews, clickstream.AddtocartsTable: c.Addtocarts, clickstream.PurchasesTable: c.Purchases,
		} {
			if got := int64(len(res.rows[table])); got != want {
				t.Fatalf("%s has %d rows, counts say %d", table, got, want)
			}
		}
		rejected := map[int64]clickstream.DeadLetter{}
		for _, d := range res.dead {
			if d.EventIndex == nil {
				rejected[d.Line] = d
			}
		}
		for i, ln := range lines {
			lineNo := int64(i + 1)
			if i == 0 {
				ln = bytes.TrimPrefix(ln, []byte("\xEF\xBB\xBF"))
			}
			if len(ln) > 4096 || len(bytes.Trim(ln, " \t\r")) == 0 {
				continue
			}
			d, isRejected := rejected[lineNo]
			switch {
			case !isRejected && !json.Valid(ln):
				t.Fatalf("line %d accepted but encoding/json says it is not JSON: %q", lineNo, ln)
			case isRejected && d.Code == clickstream.CodeInvalidJSON && json.Valid(ln) &&
				!strings.Contains(d.Reason, "UTF-8") && !strings.Contains(d.Reason, "nested deeper"):
				t.Fatalf("line %d rejected as %q but encoding/json accepts it: %q", lineNo, d.Reason, ln)
			}
		}
	})
}

// FuzzTransformGA4 is FuzzTransform for GA4 input: no panic, the GA4
// accounting adds up, every line is counted, every reject has exactly one
// dead-letter record, each table has the rows the counts say, and every
// staged row is JSON.
//
//	go test ./clickstream -run '^$' -fuzz FuzzTransformGA4 -fuzztime 30s
func FuzzTransformGA4(f *testing.F) {
	for _, s := range []string{
		"",
		"\n \n",
		`{"event_timestamp":"1","event_name":"page_view","user_pseudo_id":"u","event_params":[{"key":"ga_session_id","value":{"int_value":"1"}},{"key":"page_location","value":{"string_value":"/"}}],"device":{"category":"mobile"}}`,
		`{"event_timestamp":2,"event_name":"add_to_cart","user_pseudo_id":"u","event_params":[{"key":"ga_session_id","value":{"int_value":1}}],"device":{"category":"d","web_info":{"browser":"b"}},"items":[{"item_id":"a","price":1,"quantity":"2"},{"item_id":"b","price":1.5,"quantity":1}]}`,
		`{"event_timestamp":"3","event_name":"purchase","user_pseudo_id":"u","event_params":[{"key":"ga_session_id","value":{"int_value":"1"}},{"key":"value","value":{"double_value":2.5}}],"device":{"category":"d"},"ecommerce":{"transaction_id":"T"},"items":null}`,
		`{"event_timestamp":"4","event_name":"scroll","user_pseudo_id":"u","event_params":[{"key":"ga_session_id","value":{"int_value":"1","string_value":"x"}}]}`,
		`{"event_timestamp":"9223372036854775807","event_name":"\u0000","user_pseudo_id":"","event_params":[{"key":"ga_session_id","value":{"int_value":"-0"}}],"user_properties":[{"key":"k","value":{"float_value":1e308}}]}`,
		"[1]\n{}\n{\"a\":",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		res := transformOpts(t, bytes.NewReader(input), clickstream.Options{MaxLineBytes: 4096, Input: clickstream.GA4Input})
		if res.err != nil {
			t.Fatalf("transform: %v", res.err)
		}
		c := res.counts
		if err := c.Check(); err != nil {
			t.Fatal(err)
		}
		lines := bytes.Split(input, []byte("\n"))
		if len(lines[len(lines)-1]) == 0 {
			lines = lines[:len(lines)-1]
		}
		if c.Lines != int64(len(lines)) {
			t.Fatalf("counted %d lines, input has %d", c.Lines, len(lines))
		}
		if got, want := int64(len(res.dead)), c.DeadLetters(); got != want {
			t.Fatalf("%d dead-letter records for %d rejects", got, want)
		}
		for table, want := range map[string]int64{
			clickstream.VisitsTable: c.SessionsValid, clickstream.SessionsTable: c.SessionsValid,
			clickstream.PageviewsTable: c.Pageviews, clickstream.AddtocartsTable: c.AddtocartRows,
			clickstream.PurchasesTable: c.Purchases, clickstream.GA4EventsTable: c.EventsValid,
		} {
			if got := int64(len(res.rows[table])); got != want {
				t.Fatalf("%s has %d rows, counts say %d", table, got, want)
			}
		}
		for _, d := range res.dead {
			if d.EventIndex == nil && len(lines[d.Line-1]) <= 4096 && !json.Valid(lines[d.Line-1]) && d.Code != clickstream.CodeInvalidJSON {
				t.Fatalf("line %d is not JSON but was rejected as %s", d.Line, d.Code)
			}
		}
	})
}
