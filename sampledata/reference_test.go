package sampledata

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"regexp"
	"strings"
	"time"

	"github.com/clickstream-platform/clickstream/clickstream"
)

// reference is an independent reading of SPEC.md's Validation section with
// encoding/json, to check the generator's Expected counts against.
type reference struct {
	counts   map[string]clickstream.Counts // per object name
	sessions map[string]bool               // distinct session keys
	events   [3]map[string]bool            // distinct events per table
	reasons  map[string]int                // rejections by rule
}

func newReference() *reference {
	r := &reference{
		counts:   map[string]clickstream.Counts{},
		sessions: map[string]bool{},
		reasons:  map[string]int{},
	}
	for i := range r.events {
		r.events[i] = map[string]bool{}
	}
	return r
}

// object classifies every line of one object's (uncompressed) content.
func (r *reference) object(name string, data []byte) {
	var c clickstream.Counts
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		c.Lines++
		r.line(sc.Text(), &c)
	}
	r.counts[name] = c
}

func (r *reference) line(line string, c *clickstream.Counts) {
	if strings.Trim(line, " \t\r") == "" {
		c.Blank++
		return
	}
	reason := r.session(line, c)
	if reason != "" {
		r.reasons["session: "+reason]++
		c.SessionsRejected++
		return
	}
	c.SessionsValid++
}

// session returns why SPEC.md rejects the line, or "" after counting its events.
func (r *reference) session(line string, c *clickstream.Counts) string {
	if !json.Valid([]byte(line)) {
		return "not JSON"
	}
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "not JSON"
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return "not an object"
	}
	var ids [3]string
	for i, k := range []string{"session_id", "user_id", "device_type"} {
		s, ok := obj[k].(string)
		if !ok || s == "" {
			return k + " not a non-empty string"
		}
		ids[i] = s
	}
	for _, k := range []string{"geolocation", "user_agent"} {
		if !optString(obj, k) {
			return k + " neither string nor null"
		}
	}
	var events []any
	if ev, ok := obj["events"]; ok && ev != nil {
		if events, ok = ev.([]any); !ok {
			return "events neither array nor null"
		}
	}
	sum := sha256.Sum256([]byte(ids[0] + ":" + ids[1] + ":" + ids[2]))
	key := hex.EncodeToString(sum[:])
	r.sessions[key] = true
	for _, el := range events {
		c.EventsSeen++
		kind, canon, reason := refEvent(el)
		if reason != "" {
			r.reasons["event: "+reason]++
			c.EventsRejected++
			continue
		}
		switch kind {
		case 0:
			c.Pageviews++
		case 1:
			c.Addtocarts++
		case 2:
			c.Purchases++
		}
		r.events[kind][key+"|"+canon] = true
	}
	return ""
}

// refEvent returns the event's table (0 pageview, 1 addtocart, 2 purchase) and a
// canonical text of type, UTC timestamp and details, or why it is rejected.
func refEvent(el any) (int, string, string) {
	m, ok := el.(map[string]any)
	if !ok {
		return 0, "", "element not an object"
	}
	ev, ok := m["event"].(map[string]any)
	if !ok {
		return 0, "", "no object under event"
	}
	typ, _ := ev["event_type"].(string)
	kind := map[string]int{"page_view": 0, "add_item_to_cart": 1, "purchase": 2}
	k, ok := kind[typ]
	if !ok {
		return 0, "", "unknown event_type"
	}
	s, ok := ev["timestamp"].(string)
	if !ok {
		return 0, "", "timestamp not a string"
	}
	ts, ok := parseTimestamp(s)
	if !ok {
		return 0, "", "timestamp unparseable"
	}
	det, ok := ev["details"].(map[string]any)
	if !ok {
		return 0, "", "details not an object"
	}
	var reason string
	switch k {
	case 0:
		reason = check(det, req("page_url", nonEmpty), opt("referrer_url"))
	case 1:
		reason = check(det, req("product_id", nonEmpty), req("price", number), req("quantity", integral),
			opt("product_name"), opt("category"))
	case 2:
		reason = check(det, req("order_id", nonEmpty), req("amount", number), opt("currency"), req("items", items))
	}
	if reason != "" {
		return 0, "", typ + ": " + reason
	}
	canon, _ := json.Marshal(det) // sorted keys, numbers as written
	return k, typ + "|" + ts.Format(time.RFC3339Nano) + "|" + string(canon), ""
}

type rule struct {
	key      string
	required bool
	ok       func(any) bool
}

func req(key string, ok func(any) bool) rule { return rule{key, true, ok} }

// opt is a known optional string field: absent, null or a string.
func opt(key string) rule {
	return rule{key, false, func(v any) bool { _, ok := v.(string); return ok || v == nil }}
}

func check(m map[string]any, rules ...rule) string {
	for _, r := range rules {
		v, present := m[r.key]
		if !present {
			if r.required {
				return r.key + " missing"
			}
			continue
		}
		if !r.ok(v) {
			return r.key + " invalid"
		}
	}
	return ""
}

func nonEmpty(v any) bool { s, ok := v.(string); return ok && s != "" }

func number(v any) bool { _, ok := v.(json.Number); return ok }

func integral(v any) bool {
	n, ok := v.(json.Number)
	if !ok {
		return false
	}
	f, err := n.Float64()
	return err == nil && !math.IsInf(f, 0) && f == math.Trunc(f)
}

func items(v any) bool {
	arr, ok := v.([]any)
	if !ok {
		return false
	}
	for _, it := range arr {
		m, ok := it.(map[string]any)
		if !ok {
			return false
		}
		if check(m, req("product_id", nonEmpty), req("price", number), req("quantity", integral),
			opt("product_name"), opt("category")) != "" {
			return false
		}
	}
	return true
}

func optString(m map[string]any, k string) bool {
	v, present := m[k]
	if !present || v == nil {
		return true
	}
	_, ok := v.(string)
	return ok
}

var (
	rfc3339Form = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$`)
	bqForm      = regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})? UTC$`)
)

// parseTimestamp accepts SPEC.md's forms and returns the UTC instant at
// microsecond precision (further digits truncated).
func parseTimestamp(s string) (time.Time, bool) {
	var t time.Time
	var err error
	switch {
	case rfc3339Form.MatchString(s):
		t, err = time.Parse(time.RFC3339Nano, s)
	case bqForm.MatchString(s):
		t, err = time.Parse("2006-01-02 15:04:05 UTC", s)
	default:
		return t, false
	}
	if err != nil {
		return t, false
	}
	return t.UTC().Truncate(time.Microsecond), true
}
