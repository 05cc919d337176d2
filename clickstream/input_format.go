package clickstream

import "fmt"

// InputFormat is the shape of the input lines (SPEC.md's source.format).
type InputFormat string

const (
	// SessionsInput is SPEC.md's "Input: session JSONL": one session, with
	// its events, per line.
	SessionsInput InputFormat = "sessions"
	// GA4Input is SPEC.md's "Input: GA4 BigQuery export": one GA4 event per
	// line, as Google Analytics 4's BigQuery export has it.
	GA4Input InputFormat = "ga4"
)

// ParseInputFormat returns the InputFormat named s: "sessions" or "ga4".
// An empty s is an error too: callers apply their own default.
func ParseInputFormat(s string) (InputFormat, error) {
	switch f := InputFormat(s); f {
	case SessionsInput, GA4Input:
		return f, nil
	}
	return "", fmt.Errorf("unknown input format %q: want %q or %q", s, SessionsInput, GA4Input)
}
