package sampledata

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestDeterministic(t *testing.T) {
	opts := Options{Files: 3, Sessions: 600, Days: 2, Seed: 42, InvalidRate: 0.1, DuplicateRate: 0.1}
	sum1, m1 := generate(t, opts)
	sum2, m2 := generate(t, opts)
	if !reflect.DeepEqual(sum1, sum2) {
		t.Errorf("summaries differ:\n%+v\n%+v", sum1, sum2)
	}
	if !reflect.DeepEqual(m1.names, m2.names) {
		t.Fatalf("names differ: %v, %v", m1.names, m2.names)
	}
	for _, name := range m1.names {
		if !bytes.Equal(m1.data[name].Bytes(), m2.data[name].Bytes()) {
			t.Errorf("%s differs between two runs with the same options", name)
		}
	}

	if got := opts.ObjectNames(); !reflect.DeepEqual(got, m1.names) {
		t.Errorf("ObjectNames() = %v, WriteObjects created %v", got, m1.names)
	}

	opts.Seed = 43
	_, m3 := generate(t, opts)
	for _, name := range m1.names {
		if bytes.Equal(m1.data[name].Bytes(), m3.data[name].Bytes()) {
			t.Errorf("%s is the same for seeds 42 and 43", name)
		}
	}
}

// TestRunsAddUp checks that runs with another seed or start share no session
// id, so that they can be generated into one source.
func TestRunsAddUp(t *testing.T) {
	ids := map[string]string{}
	for _, opts := range []Options{
		{Files: 1, Sessions: 500, Seed: 1},
		{Files: 1, Sessions: 500, Seed: 2},
		{Files: 1, Sessions: 500, Seed: 1, Start: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)},
	} {
		_, m := generate(t, opts)
		run := fmt.Sprintf("seed %d start %s", opts.Seed, opts.Start.Format(time.DateOnly))
		for _, line := range lines(t, m.names[0], m.content(t, m.names[0])) {
			var s struct {
				SessionID string `json:"session_id"`
			}
			if err := json.Unmarshal([]byte(line), &s); err != nil {
				t.Fatal(err)
			}
			if other, ok := ids[s.SessionID]; ok && other != run {
				t.Fatalf("session_id %s in runs %s and %s", s.SessionID, other, run)
			}
			ids[s.SessionID] = run
		}
	}
}

// TestExpectedMatchesReference checks the generator's accounting against an
// independent classifier that applies SPEC.md's rules with encoding/json.
func TestExpectedMatchesReference(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"clean", Options{Files: 2, Sessions: 300, Seed: 1}},
		{"defaults of starter gen", Options{Files: 4, Sessions: 2000, Days: 3, Seed: 1, InvalidRate: 0.02, DuplicateRate: 0.05}},
		{"dirty", Options{Files: 3, Sessions: 1500, Days: 2, Seed: 7, InvalidRate: 0.3, DuplicateRate: 0.2}},
		{"everything invalid", Options{Files: 2, Sessions: 400, Seed: 11, InvalidRate: 1}},
		{"everything duplicated", Options{Files: 2, Sessions: 400, Seed: 12, DuplicateRate: 1}},
		{"gzip", Options{Files: 2, Sessions: 500, Seed: 5, Gzip: true, InvalidRate: 0.1, DuplicateRate: 0.1}},
		{"more files than sessions", Options{Files: 5, Sessions: 3, Days: 2, Seed: 3, InvalidRate: 0.5}},
		{"no sessions", Options{Files: 2, Seed: 3, InvalidRate: 0.5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sum, m := generate(t, tt.opts)
			ref := newReference()
			for _, name := range m.names {
				ref.object(name, m.content(t, name))
			}
			if len(sum.Objects) != tt.opts.Files {
				t.Fatalf("%d objects, want %d", len(sum.Objects), tt.opts.Files)
			}
			var lines int64
			for _, obj := range sum.Objects {
				if err := obj.Expected.Check(); err != nil {
					t.Errorf("%s: %v", obj.Name, err)
				}
				if got := ref.counts[obj.Name]; got != obj.Expected {
					t.Errorf("%s:\nreference %+v\nexpected  %+v", obj.Name, got, obj.Expected)
				}
				if int64(m.data[obj.Name].Len()) != obj.Bytes {
					t.Errorf("%s: Bytes = %d, object has %d", obj.Name, obj.Bytes, m.data[obj.Name].Len())
				}
				lines += obj.Expected.Lines - obj.Expected.Blank
			}
			if err := sum.Expected.Check(); err != nil {
				t.Error(err)
			}
			if lines != int64(tt.opts.Sessions) {
				t.Errorf("%d session lines, want Sessions = %d", lines, tt.opts.Sessions)
			}
			distinct := [4]int64{int64(len(ref.sessions)), int64(len(ref.events[0])), int64(len(ref.events[1])), int64(len(ref.events[2]))}
			want := [4]int64{sum.DistinctSessions, sum.DistinctPageviews, sum.DistinctAddtocarts, sum.DistinctPurchases}
			if distinct != want {
				t.Errorf("distinct sessions, pageviews, addtocarts, purchases: reference %v, summary %v", distinct, want)
			}
			if tt.opts.InvalidRate == 0 && (sum.Expected.SessionsRejected != 0 || sum.Expected.EventsRejected != 0 || sum.Expected.Blank != 0) {
				t.Errorf("InvalidRate 0 but rejections or blank lines: %+v", sum.Expected)
			}
			if tt.opts.DuplicateRate == 0 && sum.DistinctSessions != sum.Expected.SessionsValid {
				t.Errorf("DuplicateRate 0 but %d distinct of %d valid sessions", sum.DistinctSessions, sum.Expected.SessionsValid)
			}
		})
	}
}

// TestInvalidKinds checks that the invalid lines and events cover SPEC.md's rules.
func TestInvalidKinds(t *testing.T) {
	_, m := generate(t, Options{Files: 2, Sessions: 5000, Seed: 3, InvalidRate: 0.3})
	ref := newReference()
	for _, name := range m.names {
		ref.object(name, m.content(t, name))
	}
	for _, want := range []string{
		"session: not JSON", "session: not an object",
		"session: session_id not a non-empty string", "session: user_id not a non-empty string",
		"session: device_type not a non-empty string", "session: geolocation neither string nor null",
		"session: user_agent neither string nor null", "session: events neither array nor null",
		"event: element not an object", "event: no object under event", "event: unknown event_type",
		"event: timestamp not a string", "event: timestamp unparseable", "event: details not an object",
		"event: page_view: page_url missing", "event: page_view: page_url invalid", "event: page_view: referrer_url invalid",
		"event: add_item_to_cart: product_id invalid", "event: add_item_to_cart: price invalid",
		"event: add_item_to_cart: quantity invalid", "event: add_item_to_cart: quantity missing",
		"event: add_item_to_cart: category invalid", "event: add_item_to_cart: product_name invalid",
		"event: purchase: order_id missing", "event: purchase: amount invalid", "event: purchase: currency invalid",
		"event: purchase: items invalid", "event: purchase: items missing",
	} {
		if ref.reasons[want] == 0 {
			t.Errorf("no rejection %q; got %v", want, ref.reasons)
		}
	}
}

func TestLayoutAndMonthCrossing(t *testing.T) {
	sum, m := generate(t, Options{Files: 4, Sessions: 200, Days: 3, Seed: 1})
	wantNames := []string{
		"dt=2024-01-30/sessions-00000.jsonl",
		"dt=2024-01-30/sessions-00001.jsonl",
		"dt=2024-01-31/sessions-00002.jsonl",
		"dt=2024-02-01/sessions-00003.jsonl",
	}
	if !reflect.DeepEqual(m.names, wantNames) {
		t.Fatalf("names %v, want %v", m.names, wantNames)
	}
	for i, obj := range sum.Objects {
		if obj.Name != wantNames[i] {
			t.Errorf("Objects[%d].Name = %s, want %s", i, obj.Name, wantNames[i])
		}
	}
	crossed := map[string]bool{} // object -> an event on the next day
	for _, name := range m.names {
		day, _ := time.Parse(time.DateOnly, strings.TrimPrefix(filepath.Dir(name), "dt="))
		for _, line := range lines(t, name, m.content(t, name)) {
			for _, ts := range timestamps(t, line) {
				at, ok := parseTimestamp(ts)
				if !ok {
					t.Fatalf("%s: timestamp %q unparseable", name, ts)
				}
				if at.Before(day) || !at.Before(day.Add(24*time.Hour+5*time.Hour)) {
					t.Errorf("%s: event at %s, not on its day or just after", name, at)
				}
				if !at.Before(day.Add(24 * time.Hour)) {
					crossed[name] = true
				}
				if name == wantNames[2] && at.Month() == time.February {
					crossed["month"] = true
				}
			}
		}
	}
	for _, name := range append(wantNames, "month") {
		if !crossed[name] {
			t.Errorf("no event of %s crosses midnight", name)
		}
	}
}

// timestamps returns the timestamp strings of a valid line's events.
func timestamps(t *testing.T, line string) []string {
	t.Helper()
	var s struct {
		Events []struct {
			Event struct {
				Timestamp string `json:"timestamp"`
			} `json:"event"`
		} `json:"events"`
	}
	if err := json.Unmarshal([]byte(line), &s); err != nil {
		t.Fatalf("line %q: %v", line, err)
	}
	var out []string
	for _, e := range s.Events {
		out = append(out, e.Event.Timestamp)
	}
	return out
}

func TestCleanDataForms(t *testing.T) {
	_, m := generate(t, Options{Files: 2, Sessions: 3000, Seed: 8})
	forms := map[string]*regexp.Regexp{
		"Z":               regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`),
		"Z fraction":      regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{1,9}Z$`),
		"Z 7-9 digits":    regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7,9}Z$`),
		"offset":          regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?[+-]\d\d:\d\d$`),
		"offset -05:30":   regexp.MustCompile(`-05:30$`),
		"BigQuery":        regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$`),
		"BigQuery frac.":  regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{1,6} UTC$`),
		"BigQuery 1 dig.": regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d UTC$`),
	}
	seen := map[string]int{}
	features := map[string]int{}
	for _, name := range m.names {
		for _, line := range lines(t, name, m.content(t, name)) {
			if !json.Valid([]byte(line)) {
				t.Fatalf("%s: not JSON: %s", name, line)
			}
			for _, ts := range timestamps(t, line) {
				n := 0
				for f, re := range forms {
					if re.MatchString(ts) {
						seen[f]++
						n++
					}
				}
				if n == 0 {
					t.Errorf("%s: timestamp %q in no known form", name, ts)
				}
			}
			for f, needle := range map[string]string{
				"events null": `"events":null`, "events empty": `"events":[]`, "compact": `{"session_id":"`,
				"spaced": `{"session_id": "`, "sorted keys": `{"device_type":`, "unknown field": `"app_version":`,
				"geolocation null": `"geolocation":null`, "user_agent null": `"user_agent":null`,
				"referrer null": `"referrer_url":null`, "emoji": "🧦", "CJK": "東京", "escaped unicode": `\u00`,
				"escaped quote": `\"`, "surrogate pair": `\ud83`, "integral float": `"quantity":2.0`,
				"trailing space": "} ", "cents": `.90,`,
			} {
				if strings.Contains(strings.ReplaceAll(line, ": ", ":"), needle) || strings.Contains(line, needle) {
					features[f]++
				}
			}
			if !strings.Contains(line, `"events"`) {
				features["events missing"]++
			}
			if !strings.Contains(line, `"geolocation"`) {
				features["geolocation missing"]++
			}
		}
	}
	for f := range forms {
		if seen[f] == 0 {
			t.Errorf("no timestamp in form %s", f)
		}
	}
	for _, f := range []string{"events null", "events empty", "events missing", "compact", "spaced", "sorted keys",
		"unknown field", "geolocation null", "geolocation missing", "user_agent null", "referrer null", "emoji", "CJK",
		"escaped unicode", "escaped quote", "surrogate pair", "integral float", "trailing space", "cents"} {
		if features[f] == 0 {
			t.Errorf("no line shows %s", f)
		}
	}
}

func TestGzip(t *testing.T) {
	opts := Options{Files: 3, Sessions: 300, Days: 2, Seed: 4, InvalidRate: 0.05, DuplicateRate: 0.05}
	plainSum, plain := generate(t, opts)
	opts.Gzip = true
	gzSum, gz := generate(t, opts)
	for i, name := range gz.names {
		if !strings.HasSuffix(name, ".jsonl.gz") || strings.TrimSuffix(name, ".gz") != plain.names[i] {
			t.Errorf("gzip object %s, plain %s", name, plain.names[i])
		}
		b := gz.data[name].Bytes()
		if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
			t.Errorf("%s has no gzip magic", name)
		}
		if !bytes.Equal(gz.content(t, name), plain.content(t, plain.names[i])) {
			t.Errorf("%s does not decompress to %s", name, plain.names[i])
		}
		if gzSum.Objects[i].Expected != plainSum.Objects[i].Expected {
			t.Errorf("%s: expected counts differ from the plain object's", name)
		}
		if gzSum.Objects[i].Bytes >= plainSum.Objects[i].Bytes {
			t.Errorf("%s: %d bytes compressed, %d plain", name, gzSum.Objects[i].Bytes, plainSum.Objects[i].Bytes)
		}
	}
}

func TestDuplicates(t *testing.T) {
	_, m := generate(t, Options{Files: 4, Sessions: 2000, Days: 2, Seed: 6, DuplicateRate: 0.1})
	type seenAt struct {
		object, line string
	}
	first := map[[32]byte]seenAt{}
	var within, across, exact, changed int
	for _, name := range m.names {
		for _, line := range lines(t, name, m.content(t, name)) {
			var s struct {
				SessionID  string `json:"session_id"`
				UserID     string `json:"user_id"`
				DeviceType string `json:"device_type"`
				Events     json.RawMessage
			}
			if err := json.Unmarshal([]byte(line), &s); err != nil {
				t.Fatal(err)
			}
			key := sha256.Sum256([]byte(s.SessionID + ":" + s.UserID + ":" + s.DeviceType))
			prev, ok := first[key]
			if !ok {
				first[key] = seenAt{name, line}
				continue
			}
			if prev.object == name {
				within++
			} else {
				across++
			}
			if prev.line == line {
				exact++
				continue
			}
			changed++
			var p struct{ Events json.RawMessage }
			_ = json.Unmarshal([]byte(prev.line), &p)
			if !bytes.Equal(p.Events, s.Events) {
				t.Errorf("near duplicate with other events:\n%s\n%s", prev.line, line)
			}
		}
	}
	t.Logf("duplicates: %d within a file, %d across files, %d exact, %d changed", within, across, exact, changed)
	if within == 0 || across == 0 || exact == 0 || changed == 0 {
		t.Errorf("want duplicates within and across files, exact and changed: %d, %d, %d, %d", within, across, exact, changed)
	}
}

func TestGenerateWritesFiles(t *testing.T) {
	dir := t.TempDir()
	sum, err := Generate(dir, Options{Files: 3, Sessions: 90, Days: 3, Seed: 2, Gzip: true})
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, obj := range sum.Objects {
		fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(obj.Name)))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() != obj.Bytes {
			t.Errorf("%s: %d bytes on disk, summary says %d", obj.Name, fi.Size(), obj.Bytes)
		}
		total += fi.Size()
	}
	if total != sum.Bytes {
		t.Errorf("Bytes = %d, files hold %d", sum.Bytes, total)
	}
	if _, err := Generate(filepath.Join(dir, "dt=2024-01-30", "sessions-00000.jsonl.gz"), Options{Files: 1}); err == nil {
		t.Error("Generate under a file: no error")
	}
}
