package clickstream_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/clickstream-platform/clickstream/clickstream"
)

// TestRejectsCountEveryDeadLetter: the rejections a transform counts by
// code add up to its accounting's rejected lines and events, the most
// frequent first, each with a reason it gave.
func TestRejectsCountEveryDeadLetter(t *testing.T) {
	in := strings.Join([]string{
		`not json`, `{"broken"`, `[]`,
		`{"session_id":"s","user_id":"u"}`,
		`{"session_id":"s","user_id":"u","device_type":"d","events":[{"event":{"event_type":"click","timestamp":"2024-01-30T10:00:00Z","details":{}}},{"x":1}]}`,
		`{"session_id":"s2","user_id":"u","device_type":"d","events":[{"event":{"event_type":"nope","timestamp":"2024-01-30T10:00:00Z","details":{}}}]}`,
	}, "\n")
	tr, err := clickstream.NewTransformer(clickstream.Options{RunID: "r"})
	if err != nil {
		t.Fatal(err)
	}
	out := clickstream.Outputs{Visits: io.Discard, Sessions: io.Discard, Pageviews: io.Discard, Addtocarts: io.Discard, Purchases: io.Discard, DeadLetter: io.Discard}
	c, err := tr.Transform(context.Background(), strings.NewReader(in), "o", out)
	if err != nil {
		t.Fatal(err)
	}
	r := tr.TakeRejects()
	var lines, events int64
	for _, x := range r.Lines {
		lines += x.Count
	}
	for _, x := range r.Events {
		events += x.Count
	}
	if lines != c.SessionsRejected || events != c.EventsRejected {
		t.Fatalf("rejects %+v count %d lines and %d events, the accounting %d and %d", r, lines, events, c.SessionsRejected, c.EventsRejected)
	}
	top := r.Top(false, 2)
	if len(top) != 2 || top[0].Code != clickstream.CodeInvalidJSON || top[0].Count != 2 || !strings.Contains(top[0].Example, "invalid JSON") {
		t.Errorf("top line rejects %+v, want invalid_json twice first", top)
	}
	if ev := r.Top(true, 5); len(ev) != 2 || ev[0].Code != clickstream.CodeUnknownEventType || ev[0].Count != 2 {
		t.Errorf("top event rejects %+v, want unknown_event_type twice first", ev)
	}
	if again := tr.TakeRejects(); len(again.Lines)+len(again.Events) != 0 {
		t.Errorf("a second take gave %+v, want nothing", again)
	}
	var sum clickstream.Rejects
	sum.Add(r)
	sum.Add(r)
	if got := fmt.Sprint(sum.Top(false, 1)[0].Count); got != "4" {
		t.Errorf("two takes added give %s invalid_json, want 4", got)
	}
}
