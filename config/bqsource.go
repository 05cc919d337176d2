package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// BigQuerySource is a source.uri of the form
// bq://project.dataset.table[?from=YYYY-MM-DD&to=YYYY-MM-DD]: a lake visits
// table to rebuild the warehouse from. From and To (inclusive) keep the
// sessions with at least one event on those UTC days.
type BigQuerySource struct {
	Project, Dataset, Table string
	From, To                string // YYYY-MM-DD or ""
}

// String is the table as BigQuery SQL names it: project.dataset.table.
func (s BigQuerySource) String() string { return s.Project + "." + s.Dataset + "." + s.Table }

// ParseBigQuerySource parses a bq:// source URI.
func ParseBigQuerySource(uri string) (BigQuerySource, error) {
	var s BigQuerySource
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "bq" {
		return s, fmt.Errorf("%q: want bq://project.dataset.table[?from=YYYY-MM-DD&to=YYYY-MM-DD]", uri)
	}
	parts := strings.Split(u.Host+u.Path, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" || strings.Contains(u.Path, "/") {
		return s, fmt.Errorf("%q: want bq://project.dataset.table, three names separated by dots", uri)
	}
	s.Project, s.Dataset, s.Table = parts[0], parts[1], parts[2]
	for key, vals := range u.Query() {
		if key != "from" && key != "to" {
			return s, fmt.Errorf("%q: unknown parameter %q, want from and to", uri, key)
		}
		if len(vals) != 1 {
			return s, fmt.Errorf("%q: %s given %d times", uri, key, len(vals))
		}
		if _, err := time.Parse(time.DateOnly, vals[0]); err != nil {
			return s, fmt.Errorf("%q: %s=%q is not a date YYYY-MM-DD", uri, key, vals[0])
		}
	}
	s.From, s.To = u.Query().Get("from"), u.Query().Get("to")
	if s.From != "" && s.To != "" && s.From > s.To {
		return s, fmt.Errorf("%q: from %s is after to %s", uri, s.From, s.To)
	}
	return s, nil
}
