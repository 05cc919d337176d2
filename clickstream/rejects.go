package clickstream

import (
	"cmp"
	"slices"
)

// Rejects counts a transform's rejections by reject code, the lines' apart
// from the events', each with the reason of its first rejection as an
// example: what a person reads first when a run rejected too much.
type Rejects struct {
	Lines  map[string]RejectCount `json:"lines,omitempty"`
	Events map[string]RejectCount `json:"events,omitempty"`
}

// RejectCount is how often one reject code occurred, and one reason it gave.
type RejectCount struct {
	Count   int64  `json:"count"`
	Example string `json:"example"`
}

// maxExample bounds an example reason's length.
const maxExample = 200

// Add adds o to r.
func (r *Rejects) Add(o Rejects) {
	for code, c := range o.Lines {
		r.Lines = addReject(r.Lines, code, c)
	}
	for code, c := range o.Events {
		r.Events = addReject(r.Events, code, c)
	}
}

func addReject(m map[string]RejectCount, code string, c RejectCount) map[string]RejectCount {
	if m == nil {
		m = map[string]RejectCount{}
	}
	have := m[code]
	if have.Example == "" {
		have.Example = c.Example
	}
	have.Count += c.Count
	m[code] = have
	return m
}

// record counts one rejection.
func (r *Rejects) record(event bool, code, reason string) {
	m := &r.Lines
	if event {
		m = &r.Events
	}
	if *m == nil {
		*m = map[string]RejectCount{}
	}
	c := (*m)[code]
	if c.Count == 0 {
		if len(reason) > maxExample {
			reason = reason[:maxExample] + "…"
		}
		c.Example = reason
	}
	c.Count++
	(*m)[code] = c
}

// CodeCount is a reject code and how often it occurred, with an example.
type CodeCount struct {
	Code string
	RejectCount
}

// Top returns the n most frequent codes of the lines (events false) or the
// events, most frequent first, equal counts in code order.
func (r Rejects) Top(events bool, n int) []CodeCount {
	m := r.Lines
	if events {
		m = r.Events
	}
	out := make([]CodeCount, 0, len(m))
	for code, c := range m {
		out = append(out, CodeCount{code, c})
	}
	slices.SortFunc(out, func(a, b CodeCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Code, b.Code))
	})
	return out[:min(n, len(out))]
}
