package clickstream_test

import (
	"strings"
	"testing"

	"github.com/clickstream-platform/clickstream/clickstream"
)

func TestSessionRules(t *testing.T) {
	tests := []struct {
		name       string
		line       string
		code       string // empty: the session is valid
		reasonPart string
	}{
		{"valid minimal", `{"session_id":"s","user_id":"u","device_type":"d"}`, "", ""},
		{"valid with nulls", `{"session_id":"s","user_id":"u","device_type":"d","geolocation":null,"user_agent":null,"events":null}`, "", ""},
		{"unknown fields ignored", `{"session_id":"s","user_id":"u","device_type":"d","app_version":3,"x":{"y":[1]}}`, "", ""},
		{"truncated JSON", `{"session_id":"s","user_id":`, clickstream.CodeInvalidJSON, "unexpected end of line"},
		{"garbage", `hello`, clickstream.CodeInvalidJSON, "invalid JSON"},
		{"trailing data", `{"session_id":"s","user_id":"u","device_type":"d"} x`, clickstream.CodeInvalidJSON, "after the JSON value"},
		{"single quotes", `{'session_id':'s'}`, clickstream.CodeInvalidJSON, "expecting a string key"},
		{"trailing comma", `{"session_id":"s",}`, clickstream.CodeInvalidJSON, "expecting a string key"},
		{"bad escape", `{"session_id":"s\q","user_id":"u","device_type":"d"}`, clickstream.CodeInvalidJSON, `invalid escape sequence \q`},
		{"raw control char", "{\"session_id\":\"s\x01\",\"user_id\":\"u\",\"device_type\":\"d\"}", clickstream.CodeInvalidJSON, "control character"},
		{"invalid UTF-8", "{\"session_id\":\"s\xff\",\"user_id\":\"u\",\"device_type\":\"d\"}", clickstream.CodeInvalidJSON, "invalid UTF-8"},
		{"leading zero", `{"session_id":"s","user_id":"u","device_type":"d","n":01}`, clickstream.CodeInvalidJSON, "expecting ',' or '}'"},
		{"too deep", strings.Repeat("[", 300) + strings.Repeat("]", 300), clickstream.CodeInvalidJSON, "nested deeper than"},
		{"array", `[{"session_id":"s"}]`, clickstream.CodeNotObject, "must be a JSON object, got array"},
		{"string", `"s"`, clickstream.CodeNotObject, "got string"},
		{"null", `null`, clickstream.CodeNotObject, "got null"},
		{"number", `42`, clickstream.CodeNotObject, "got number"},
		{"session_id missing", `{"user_id":"u","device_type":"d"}`, clickstream.CodeMissingField, "session_id is missing"},
		{"session_id null", `{"session_id":null,"user_id":"u","device_type":"d"}`, clickstream.CodeMissingField, "session_id is null"},
		{"session_id number", `{"session_id":5,"user_id":"u","device_type":"d"}`, clickstream.CodeWrongType, "session_id must be a string, got number 5"},
		{"session_id empty", `{"session_id":"","user_id":"u","device_type":"d"}`, clickstream.CodeEmptyField, "session_id is an empty string"},
		{"user_id missing", `{"session_id":"s","device_type":"d"}`, clickstream.CodeMissingField, "user_id is missing"},
		{"user_id null", `{"session_id":"s","user_id":null,"device_type":"d"}`, clickstream.CodeMissingField, "user_id is null"},
		{"user_id object", `{"session_id":"s","user_id":{"id":1},"device_type":"d"}`, clickstream.CodeWrongType, "user_id must be a string, got object"},
		{"user_id empty", `{"session_id":"s","user_id":"","device_type":"d"}`, clickstream.CodeEmptyField, "user_id is an empty string"},
		{"device_type missing", `{"session_id":"s","user_id":"u"}`, clickstream.CodeMissingField, "device_type is missing"},
		{"device_type null", `{"session_id":"s","user_id":"u","device_type":null}`, clickstream.CodeMissingField, "device_type is null"},
		{"device_type bool", `{"session_id":"s","user_id":"u","device_type":true}`, clickstream.CodeWrongType, "device_type must be a string, got boolean"},
		{"device_type empty", `{"session_id":"s","user_id":"u","device_type":""}`, clickstream.CodeEmptyField, "device_type is an empty string"},
		{"geolocation number", `{"session_id":"s","user_id":"u","device_type":"d","geolocation":55}`, clickstream.CodeWrongType, "geolocation must be a string or null, got number"},
		{"geolocation object", `{"session_id":"s","user_id":"u","device_type":"d","geolocation":{"lat":1}}`, clickstream.CodeWrongType, "geolocation must be a string or null, got object"},
		{"user_agent array", `{"session_id":"s","user_id":"u","device_type":"d","user_agent":["a"]}`, clickstream.CodeWrongType, "user_agent must be a string or null, got array"},
		{"events string", `{"session_id":"s","user_id":"u","device_type":"d","events":"[]"}`, clickstream.CodeWrongType, "events must be an array or null, got string"},
		{"events object", `{"session_id":"s","user_id":"u","device_type":"d","events":{}}`, clickstream.CodeWrongType, "events must be an array or null, got object"},
		{"duplicate key", `{"session_id":"s","user_id":"u","device_type":"d","session_id":"t"}`, clickstream.CodeDuplicateKey, `"session_id" appears more than once`},
		{"escaped duplicate key", `{"session_id":"s","user_id":"u","device_type":"d","session\u005fid":"t"}`, clickstream.CodeDuplicateKey, `"session_id" appears more than once`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := transform(t, tt.line+"\n")
			want := clickstream.Counts{Lines: 1, SessionsValid: 1}
			if tt.code != "" {
				want = clickstream.Counts{Lines: 1, SessionsRejected: 1}
			}
			if res.err != nil {
				t.Fatal(res.err)
			}
			if res.counts != want {
				t.Fatalf("counts = %+v, want %+v", res.counts, want)
			}
			if tt.code == "" {
				if len(res.dead) != 0 || len(res.rows[clickstream.SessionsTable]) != 1 || len(res.rows[clickstream.VisitsTable]) != 1 {
					t.Fatalf("valid session: dead=%v sessions=%d visits=%d", res.dead, len(res.rows[clickstream.SessionsTable]), len(res.rows[clickstream.VisitsTable]))
				}
				return
			}
			if len(res.dead) != 1 {
				t.Fatalf("got %d dead-letter records, want 1", len(res.dead))
			}
			d := res.dead[0]
			if d.Code != tt.code || !strings.Contains(d.Reason, tt.reasonPart) {
				t.Errorf("rejected with %s %q, want %s containing %q", d.Code, d.Reason, tt.code, tt.reasonPart)
			}
			if d.Line != 1 || d.EventIndex != nil || d.SourceObject == "" || d.RunID != "run-1" {
				t.Errorf("dead letter lineage = %+v", d)
			}
			if want := strings.ToValidUTF8(tt.line, "\uFFFD"); d.Raw != want {
				t.Errorf("raw = %q, want the line %q", d.Raw, want)
			}
			for _, table := range []string{clickstream.VisitsTable, clickstream.SessionsTable} {
				if n := len(res.rows[table]); n != 0 {
					t.Errorf("%s has %d rows for a rejected line", table, n)
				}
			}
		})
	}
}

func TestBlankLines(t *testing.T) {
	res := transform(t, "\n   \n\t\r\n"+sessionWith()+"\r\n \n")
	want := clickstream.Counts{Lines: 5, Blank: 4, SessionsValid: 1}
	if res.counts != want || len(res.dead) != 0 {
		t.Fatalf("counts = %+v (dead %v), want %+v", res.counts, res.dead, want)
	}
}

func TestEventRules(t *testing.T) {
	ev := func(typ, ts, details string) string {
		return `{"event":{"event_type":` + typ + `,"timestamp":` + ts + `,"details":` + details + `}}`
	}
	const ts = `"2024-01-30T10:00:00Z"`
	tests := []struct {
		name       string
		event      string
		table      string // the table a valid event lands in
		code       string
		reasonPart string
	}{
		{"page_view", pageView, clickstream.PageviewsTable, "", ""},
		{"add_item_to_cart", addToCart, clickstream.AddtocartsTable, "", ""},
		{"purchase", purchase, clickstream.PurchasesTable, "", ""},
		{"unknown fields ignored", `{"event":{"event_type":"page_view","timestamp":"2024-01-30T10:00:00Z","details":{"page_url":"/x","utm":{"a":1}},"v":2},"meta":1}`, clickstream.PageviewsTable, "", ""},
		{"integral 1.0 quantity", ev(`"add_item_to_cart"`, ts, `{"product_id":"P","price":1,"quantity":1.0}`), clickstream.AddtocartsTable, "", ""},
		{"integral 2e1 quantity", ev(`"add_item_to_cart"`, ts, `{"product_id":"P","price":1,"quantity":2e1}`), clickstream.AddtocartsTable, "", ""},
		{"negative price is a number", ev(`"add_item_to_cart"`, ts, `{"product_id":"P","price":-1.5,"quantity":1}`), clickstream.AddtocartsTable, "", ""},
		{"purchase with no items", ev(`"purchase"`, ts, `{"order_id":"O","amount":0,"items":[]}`), clickstream.PurchasesTable, "", ""},

		{"element is a number", `5`, "", clickstream.CodeNotObject, `got number`},
		{"element is null", `null`, "", clickstream.CodeNotObject, `got null`},
		{"no event member", `{"evnt":{}}`, "", clickstream.CodeMissingField, `"event" is missing`},
		{"event is a string", `{"event":"page_view"}`, "", clickstream.CodeNotObject, `got "event": string`},
		{"duplicate event member", `{"event":{},"event":{}}`, "", clickstream.CodeDuplicateKey, `"event" appears more than once`},
		{"event_type missing", `{"event":{"timestamp":` + ts + `,"details":{}}}`, "", clickstream.CodeMissingField, "event_type is missing"},
		{"event_type number", ev(`1`, ts, `{}`), "", clickstream.CodeWrongType, "event_type must be a string, got number"},
		{"event_type unknown", ev(`"click"`, ts, `{}`), "", clickstream.CodeUnknownEventType, `"click" is not one of page_view, add_item_to_cart, purchase`},
		{"event_type wrong case", ev(`"PAGE_VIEW"`, ts, `{"page_url":"/"}`), "", clickstream.CodeUnknownEventType, `"PAGE_VIEW"`},
		{"event_type padded", ev(`" page_view"`, ts, `{"page_url":"/"}`), "", clickstream.CodeUnknownEventType, `" page_view"`},
		{"timestamp missing", `{"event":{"event_type":"page_view","details":{"page_url":"/"}}}`, "", clickstream.CodeMissingField, "timestamp is missing"},
		{"timestamp null", ev(`"page_view"`, `null`, `{"page_url":"/"}`), "", clickstream.CodeMissingField, "timestamp is missing"},
		{"timestamp number", ev(`"page_view"`, `1706608800`, `{"page_url":"/"}`), "", clickstream.CodeWrongType, "timestamp must be a string, got number"},
		{"timestamp words", ev(`"page_view"`, `"yesterday"`, `{"page_url":"/"}`), "", clickstream.CodeBadTimestamp, `timestamp "yesterday" is invalid`},
		{"timestamp month 13", ev(`"page_view"`, `"2024-13-01T00:00:00Z"`, `{"page_url":"/"}`), "", clickstream.CodeBadTimestamp, "month 13 out of range"},
		{"timestamp Feb 30", ev(`"page_view"`, `"2024-02-30 10:00:00 UTC"`, `{"page_url":"/"}`), "", clickstream.CodeBadTimestamp, "day 30 out of range for 2024-02"},
		{"timestamp no zone", ev(`"page_view"`, `"2024-01-30T10:00:00"`, `{"page_url":"/"}`), "", clickstream.CodeBadTimestamp, "missing time zone"},
		{"details missing", `{"event":{"event_type":"page_view","timestamp":` + ts + `}}`, "", clickstream.CodeMissingField, "details is missing"},
		{"details array", ev(`"page_view"`, ts, `[]`), "", clickstream.CodeWrongType, "details must be an object, got array"},
		{"details null", ev(`"page_view"`, ts, `null`), "", clickstream.CodeWrongType, "details must be an object, got null"},
		{"page_url missing", ev(`"page_view"`, ts, `{"referrer_url":"/a"}`), "", clickstream.CodeMissingField, "page_view: details.page_url must be a non-empty string"},
		{"page_url empty", ev(`"page_view"`, ts, `{"page_url":""}`), "", clickstream.CodeEmptyField, `page_view: details.page_url must be a non-empty string, got ""`},
		{"page_url number", ev(`"page_view"`, ts, `{"page_url":7}`), "", clickstream.CodeWrongType, "details.page_url must be a string or null, got number"},
		{"referrer_url number", ev(`"page_view"`, ts, `{"page_url":"/","referrer_url":5}`), "", clickstream.CodeWrongType, "details.referrer_url must be a string or null, got number 5"},
		{"product_id missing", ev(`"add_item_to_cart"`, ts, `{"price":1,"quantity":1}`), "", clickstream.CodeMissingField, "add_item_to_cart: details.product_id must be a non-empty string"},
		{"product_id empty", ev(`"add_item_to_cart"`, ts, `{"product_id":"","price":1,"quantity":1}`), "", clickstream.CodeEmptyField, "details.product_id"},
		{"price string", ev(`"add_item_to_cart"`, ts, `{"product_id":"P","price":"59.9","quantity":1}`), "", clickstream.CodeWrongType, `details.price must be a number, got string "59.9"`},
		{"price missing", ev(`"add_item_to_cart"`, ts, `{"product_id":"P","quantity":1}`), "", clickstream.CodeMissingField, "details.price must be a number"},
		{"price overflow", ev(`"add_item_to_cart"`, ts, `{"product_id":"P","price":1e400,"quantity":1}`), "", clickstream.CodeOutOfRange, "details.price 1e400 is out of the FLOAT range"},
		{"quantity fractional", ev(`"add_item_to_cart"`, ts, `{"product_id":"P","price":1,"quantity":1.5}`), "", clickstream.CodeNotIntegral, "details.quantity must be an integer, got 1.5"},
		{"quantity string", ev(`"add_item_to_cart"`, ts, `{"product_id":"P","price":1,"quantity":"1"}`), "", clickstream.CodeWrongType, "details.quantity must be an integer, got string"},
		{"quantity missing", ev(`"add_item_to_cart"`, ts, `{"product_id":"P","price":1}`), "", clickstream.CodeMissingField, "details.quantity must be an integer"},
		{"quantity beyond int64", ev(`"add_item_to_cart"`, ts, `{"product_id":"P","price":1,"quantity":1e19}`), "", clickstream.CodeOutOfRange, "out of the INTEGER range"},
		{"order_id missing", ev(`"purchase"`, ts, `{"amount":1,"items":[]}`), "", clickstream.CodeMissingField, "purchase: details.order_id must be a non-empty string"},
		{"amount string", ev(`"purchase"`, ts, `{"order_id":"O","amount":"1","items":[]}`), "", clickstream.CodeWrongType, "details.amount must be a number, got string"},
		{"amount missing", ev(`"purchase"`, ts, `{"order_id":"O","items":[]}`), "", clickstream.CodeMissingField, "details.amount must be a number"},
		{"items missing", ev(`"purchase"`, ts, `{"order_id":"O","amount":1}`), "", clickstream.CodeMissingField, "details.items must be an array of objects"},
		{"items object", ev(`"purchase"`, ts, `{"order_id":"O","amount":1,"items":{}}`), "", clickstream.CodeWrongType, "details.items must be an array of objects, got object"},
		{"item not an object", ev(`"purchase"`, ts, `{"order_id":"O","amount":1,"items":["P1"]}`), "", clickstream.CodeWrongType, "details.items[0] must be an object, got string"},
		{"item without product_id", ev(`"purchase"`, ts, `{"order_id":"O","amount":1,"items":[{"price":1,"quantity":1}]}`), "", clickstream.CodeMissingField, "purchase: details.items[0].product_id must be a non-empty string"},
		{"item fractional quantity", ev(`"purchase"`, ts, `{"order_id":"O","amount":1,"items":[{"product_id":"P","price":1,"quantity":1},{"product_id":"P","price":1,"quantity":2.5}]}`), "", clickstream.CodeNotIntegral, "details.items[1].quantity must be an integer, got 2.5"},
		{"item price string", ev(`"purchase"`, ts, `{"order_id":"O","amount":1,"items":[{"product_id":"P","price":"1","quantity":1}]}`), "", clickstream.CodeWrongType, "details.items[0].price must be a number"},
		{"known field wrong type on other type", ev(`"page_view"`, ts, `{"page_url":"/","price":"x"}`), "", clickstream.CodeWrongType, "details.price must be a number, got string"},
		{"currency number", ev(`"purchase"`, ts, `{"order_id":"O","amount":1,"currency":7,"items":[]}`), "", clickstream.CodeWrongType, "details.currency must be a string or null, got number 7"},
		{"category bool", ev(`"add_item_to_cart"`, ts, `{"product_id":"P","price":1,"quantity":1,"category":true}`), "", clickstream.CodeWrongType, "details.category must be a string or null, got boolean"},
		{"duplicate detail", ev(`"page_view"`, ts, `{"page_url":"/","page_url":"/b"}`), "", clickstream.CodeDuplicateKey, `"details.page_url" appears more than once`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The event under test sits between two valid events, so the
			// test also proves a rejected event leaves its neighbours and its
			// session alone.
			line := sessionWith(pageView, tt.event, addToCart)
			res := transform(t, line+"\n")
			if res.err != nil {
				t.Fatal(res.err)
			}
			want := clickstream.Counts{Lines: 1, SessionsValid: 1, EventsSeen: 3, Pageviews: 1, Addtocarts: 1}
			switch tt.table {
			case clickstream.PageviewsTable:
				want.Pageviews++
			case clickstream.AddtocartsTable:
				want.Addtocarts++
			case clickstream.PurchasesTable:
				want.Purchases++
			default:
				want.EventsRejected++
			}
			if res.counts != want {
				t.Fatalf("counts = %+v, want %+v (dead: %+v)", res.counts, want, res.dead)
			}
			if err := res.counts.Check(); err != nil {
				t.Fatal(err)
			}
			visits := res.rows[clickstream.VisitsTable]
			if len(visits) != 1 || len(res.rows[clickstream.SessionsTable]) != 1 {
				t.Fatalf("the session must stay: visits=%d sessions=%d", len(visits), len(res.rows[clickstream.SessionsTable]))
			}
			validEvents := want.Pageviews + want.Addtocarts + want.Purchases
			if got := len(visits[0]["events"].([]any)); int64(got) != validEvents {
				t.Errorf("visits row holds %d events, want the %d valid ones", got, validEvents)
			}
			if tt.code == "" {
				if len(res.dead) != 0 {
					t.Fatalf("valid event dead-lettered: %+v", res.dead)
				}
				return
			}
			if len(res.dead) != 1 {
				t.Fatalf("got %d dead-letter records, want 1", len(res.dead))
			}
			d := res.dead[0]
			if d.Code != tt.code || !strings.Contains(d.Reason, tt.reasonPart) {
				t.Errorf("rejected with %s %q, want %s containing %q", d.Code, d.Reason, tt.code, tt.reasonPart)
			}
			if d.Line != 1 || d.EventIndex == nil || *d.EventIndex != 1 {
				t.Errorf("dead letter position = line %d event %v, want line 1 event 1", d.Line, d.EventIndex)
			}
			if d.Raw != tt.event {
				t.Errorf("raw = %q, want the event's JSON %q", d.Raw, tt.event)
			}
		})
	}
}
