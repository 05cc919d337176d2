package location

import (
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Scheme is the kind of a location.
type Scheme string

const (
	// Folder is a local folder: a path, or file:///abs/path.
	Folder Scheme = ""
	// GCS is a Cloud Storage bucket, or a prefix in one: gs://bucket/prefix.
	GCS Scheme = "gs"
	// BigQuery is a table to export: bq://project.dataset.table.
	BigQuery Scheme = "bq"
)

// forms is what Parse accepts, for error messages.
const forms = "a local folder path, file:///abs/path, gs://bucket[/prefix], bq://project.dataset.table or bq://project.dataset.events_*"

// Location is a parsed location.
type Location struct {
	Scheme Scheme
	// Path is a Folder's path: as given, or a file URI's path.
	Path string
	// Bucket and Prefix are a GCS location's: gs://Bucket/Prefix, Prefix
	// without a trailing "/" ("" for the whole bucket). For an object's full
	// name, Prefix is the object's name. The store checks that Prefix is a
	// name it can hold.
	Bucket, Prefix string
	// Table is a BigQuery location's.
	Table Table
}

// Table is a BigQuery table to export, and the days of it to export.
type Table struct {
	Project, Dataset, Table string
	// From and To are the first and last day (YYYY-MM-DD) of the rows to
	// export; "" leaves that end open.
	From, To string
	// Limit caps the rows exported; 0 exports them all. GA4 exports only.
	Limit int64
	// Intraday adds a GA4 property's intraday tables (events_intraday_*)
	// to its daily ones. GA4 exports only.
	Intraday bool
}

// GA4 reports whether the table is a GA4 property's export: the wildcard
// events_* over its daily tables events_YYYYMMDD.
func (t Table) GA4() bool { return t.Table == GA4Tables }

// GA4Tables is the table name of a GA4 export's daily tables, as a
// wildcard.
const GA4Tables = "events_*"

// ID is the table as BigQuery SQL names it: project.dataset.table.
func (t Table) ID() string { return t.Project + "." + t.Dataset + "." + t.Table }

// String is the location as a URI Parse reads back: the Folder's path,
// gs://bucket[/prefix], or bq://project.dataset.table[?from=...&to=...]
// (and limit and intraday for events_*).
func (l Location) String() string {
	switch l.Scheme {
	case GCS:
		if l.Prefix == "" {
			return "gs://" + l.Bucket
		}
		return "gs://" + l.Bucket + "/" + l.Prefix
	case BigQuery:
		s := "bq://" + l.Table.ID()
		q := url.Values{}
		if l.Table.From != "" {
			q.Set("from", l.Table.From)
		}
		if l.Table.To != "" {
			q.Set("to", l.Table.To)
		}
		if l.Table.Limit > 0 {
			q.Set("limit", strconv.FormatInt(l.Table.Limit, 10))
		}
		if l.Table.Intraday {
			q.Set("intraday", "true")
		}
		if len(q) > 0 {
			s += "?" + q.Encode()
		}
		return s
	}
	return l.Path
}

// SchemeOf tells the scheme of s without checking the rest of it: for code
// that only branches on the kind of a location Parse has accepted before.
func SchemeOf(s string) Scheme {
	name, _, ok := strings.Cut(s, "://")
	switch {
	case ok && strings.EqualFold(name, "gs"):
		return GCS
	case ok && strings.EqualFold(name, "bq"):
		return BigQuery
	}
	return Folder
}

// Parse parses s. A string without a scheme is a local path; an unknown
// scheme, a malformed bucket name or table, is an error naming s and what
// Parse accepts.
func Parse(s string) (Location, error) {
	if s == "" {
		return Location{}, errors.New("empty location: want " + forms)
	}
	name, rest, ok := strings.Cut(s, "://")
	if !ok || !isSchemeName(name) {
		return Location{Scheme: Folder, Path: s}, nil
	}
	switch strings.ToLower(name) {
	case "file":
		return parseFile(s)
	case "gs":
		return parseGCS(s, rest)
	case "bq":
		return parseBigQuery(s)
	}
	return Location{}, fmt.Errorf("unsupported scheme %q in %q: want %s", name, s, forms)
}

func parseFile(s string) (Location, error) {
	u, err := url.Parse(s)
	if err != nil {
		return Location{}, fmt.Errorf("%q: %w", s, err)
	}
	p := u.Path
	switch {
	case u.Host != "" && u.Host != "localhost":
		return Location{}, fmt.Errorf("%q: file URIs of another host are not supported", s)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return Location{}, fmt.Errorf("%q: a file URI has no user, query or fragment (escape '?' as %%3F, '#' as %%23)", s)
	case !strings.HasPrefix(p, "/"):
		return Location{}, fmt.Errorf("%q: want file:///absolute/path", s)
	}
	if runtime.GOOS == "windows" && len(p) >= 3 && p[2] == ':' { // file:///C:/data
		p = p[1:]
	}
	return Location{Scheme: Folder, Path: p}, nil
}

func parseGCS(s, rest string) (Location, error) {
	bucket, prefix, _ := strings.Cut(rest, "/")
	if bucket == "" {
		return Location{}, fmt.Errorf("%q has no bucket (invalid bucket name %q): want gs://bucket[/prefix]", s, bucket)
	}
	if err := ValidateBucket(bucket); err != nil {
		return Location{}, err
	}
	return Location{Scheme: GCS, Bucket: bucket, Prefix: strings.TrimSuffix(prefix, "/")}, nil
}

// ValidateBucket checks the shape of a Cloud Storage bucket name: 3 to 222
// characters of a-z, 0-9, '-', '_' and '.', starting and ending with a letter
// or digit. It catches typos early; the service has the last word.
func ValidateBucket(name string) error {
	alnum := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
	ok := len(name) >= 3 && len(name) <= 222 && alnum(name[0]) && alnum(name[len(name)-1])
	for i := 0; ok && i < len(name); i++ {
		ok = alnum(name[i]) || strings.IndexByte("-_.", name[i]) >= 0
	}
	if !ok {
		return fmt.Errorf("invalid bucket name %q: want 3 to 222 lower-case letters, digits, '-', '_' or '.', starting and ending with a letter or digit", name)
	}
	return nil
}

func parseBigQuery(s string) (Location, error) {
	u, err := url.Parse(s)
	if err != nil {
		return Location{}, fmt.Errorf("%q: want bq://project.dataset.table[?from=YYYY-MM-DD&to=YYYY-MM-DD]", s)
	}
	parts := strings.Split(u.Host+u.Path, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" || strings.Contains(u.Path, "/") {
		return Location{}, fmt.Errorf("%q: want bq://project.dataset.table, three names separated by dots", s)
	}
	t := Table{Project: parts[0], Dataset: parts[1], Table: parts[2]}
	if strings.Contains(t.Table, "*") && !t.GA4() {
		return Location{}, fmt.Errorf("%q: the one wildcard table is a GA4 export's %s", s, GA4Tables)
	}
	for key, vals := range u.Query() {
		switch {
		case key == "from" || key == "to":
		case (key == "limit" || key == "intraday") && t.GA4():
		case key == "limit" || key == "intraday":
			return Location{}, fmt.Errorf("%q: %s applies to a GA4 export, bq://project.dataset.%s", s, key, GA4Tables)
		case t.GA4():
			return Location{}, fmt.Errorf("%q: unknown parameter %q, want from, to, limit and intraday", s, key)
		default:
			return Location{}, fmt.Errorf("%q: unknown parameter %q, want from and to", s, key)
		}
		if len(vals) != 1 {
			return Location{}, fmt.Errorf("%q: %s given %d times", s, key, len(vals))
		}
		v := vals[0]
		switch key {
		case "limit":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1 {
				return Location{}, fmt.Errorf("%q: limit=%q is not a positive number of rows", s, v)
			}
			t.Limit = n
		case "intraday":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return Location{}, fmt.Errorf("%q: intraday=%q is not true or false", s, v)
			}
			t.Intraday = b
		default:
			if _, err := time.Parse(time.DateOnly, v); err != nil {
				return Location{}, fmt.Errorf("%q: %s=%q is not a date YYYY-MM-DD", s, key, v)
			}
		}
	}
	t.From, t.To = u.Query().Get("from"), u.Query().Get("to")
	if t.From != "" && t.To != "" && t.From > t.To {
		return Location{}, fmt.Errorf("%q: from %s is after to %s", s, t.From, t.To)
	}
	return Location{Scheme: BigQuery, Table: t}, nil
}

// isSchemeName reports whether s is a URI scheme (RFC 3986: a letter, then
// letters, digits, '+', '-' or '.'). One letter is a Windows drive, not a
// scheme.
func isSchemeName(s string) bool {
	if len(s) < 2 {
		return false
	}
	for i, c := range []byte(s) {
		letter := 'a' <= c|0x20 && c|0x20 <= 'z'
		if !letter && (i == 0 || !('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return true
}
