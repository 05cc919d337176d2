package clickstream_test

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/clickstream-platform/clickstream/clickstream"
)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestSessionKey(t *testing.T) {
	want := sha("s1:u1:mobile")
	if got := clickstream.SessionKey("s1", "u1", "mobile"); got != want {
		t.Fatalf("SessionKey = %s, want %s", got, want)
	}
	// The staged rows use the same key, computed from the unescaped values.
	res := transform(t, `{"session_id":"s\u0031","user_id":"u1","device_type":"mobile"}`+"\n")
	if got := res.rows[clickstream.SessionsTable][0]["session_key"]; got != want {
		t.Fatalf("sessions.session_key = %v, want %s", got, want)
	}
	if got := res.rows[clickstream.VisitsTable][0]["session_key"]; got != want {
		t.Fatalf("visits.session_key = %v, want %s", got, want)
	}
}

// TestEventIDCanonicalForm pins event_id to the form documented in doc.go,
// computed here independently of the row writer.
func TestEventIDCanonicalForm(t *testing.T) {
	key := sha("s1:u1:mobile")
	tests := []struct {
		name, event, table, canonical string
	}{
		{"page_view", pageView, clickstream.PageviewsTable,
			"page_view\n" + `"session_key":"` + key + `","timestamp":"2024-01-30T10:00:00.000000Z","page_url":"/home","referrer_url":null`},
		{"add_item_to_cart", addToCart, clickstream.AddtocartsTable,
			"add_item_to_cart\n" + `"session_key":"` + key + `","timestamp":"2024-01-30T10:01:00.000000Z","product_id":"P1","product_name":"Shoe","category":"shoes","quantity":1,"price":59.9`},
		{"purchase", purchase, clickstream.PurchasesTable,
			"purchase\n" + `"session_key":"` + key + `","timestamp":"2024-01-30T10:05:00.000000Z","order_id":"O1","currency":"USD","amount":59.9,"items":[{"quantity":1,"price":59.9,"category":"shoes","product_name":"Shoe","product_id":"P1"}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := transform(t, sessionWith(tt.event)+"\n")
			rows := res.rows[tt.table]
			if len(rows) != 1 {
				t.Fatalf("%s has %d rows", tt.table, len(rows))
			}
			if got, want := rows[0]["event_id"], sha(tt.canonical); got != want {
				t.Errorf("event_id = %v, want sha256 of %q = %s", got, tt.canonical, want)
			}
		})
	}
}

func TestEventIDEquality(t *testing.T) {
	idOf := func(t *testing.T, session, event string) string {
		t.Helper()
		line := session[:len(session)-1] + `,"events":[` + event + "]}\n"
		res := transform(t, line)
		rows := res.rows[clickstream.PageviewsTable]
		if len(rows) != 1 {
			t.Fatalf("want one page view, got counts %+v dead %+v", res.counts, res.dead)
		}
		return rows[0]["event_id"].(string)
	}
	const s1 = `{"session_id":"s1","user_id":"u1","device_type":"mobile"}`
	base := idOf(t, s1, pageView)
	same := map[string]string{
		"escaped slash and letters":     `{"event":{"event_type":"page_view","timestamp":"2024-01-30T10:00:00Z","details":{"page_url":"\/h\u006fme","referrer_url":null}}}`,
		"other key order":               `{"event":{"details":{"referrer_url":null,"page_url":"/home"},"timestamp":"2024-01-30T10:00:00Z","event_type":"page_view"}}`,
		"referrer absent":               `{"event":{"event_type":"page_view","timestamp":"2024-01-30T10:00:00Z","details":{"page_url":"/home"}}}`,
		"same instant other zone":       `{"event":{"event_type":"page_view","timestamp":"2024-01-30T12:00:00.000+02:00","details":{"page_url":"/home"}}}`,
		"bigquery text form":            `{"event":{"event_type":"page_view","timestamp":"2024-01-30 10:00:00 UTC","details":{"page_url":"/home"}}}`,
		"unknown fields":                `{"event":{"event_type":"page_view","timestamp":"2024-01-30T10:00:00Z","details":{"page_url":"/home","x":1},"y":2},"z":3}`,
		"a stray field of another type": `{"event":{"event_type":"page_view","timestamp":"2024-01-30T10:00:00Z","details":{"page_url":"/home","product_id":"P9"}}}`,
	}
	for name, ev := range same {
		if got := idOf(t, s1, ev); got != base {
			t.Errorf("%s: event_id differs from the plain spelling", name)
		}
	}
	differ := map[string][2]string{
		"other page":      {s1, `{"event":{"event_type":"page_view","timestamp":"2024-01-30T10:00:00Z","details":{"page_url":"/home2"}}}`},
		"other referrer":  {s1, `{"event":{"event_type":"page_view","timestamp":"2024-01-30T10:00:00Z","details":{"page_url":"/home","referrer_url":"/"}}}`},
		"one microsecond": {s1, `{"event":{"event_type":"page_view","timestamp":"2024-01-30T10:00:00.000001Z","details":{"page_url":"/home"}}}`},
		"other session":   {`{"session_id":"s2","user_id":"u1","device_type":"mobile"}`, pageView},
		"other device":    {`{"session_id":"s1","user_id":"u1","device_type":"tablet"}`, pageView},
	}
	for name, c := range differ {
		if got := idOf(t, c[0], c[1]); got == base {
			t.Errorf("%s: event_id equals the base event's", name)
		}
	}
}
