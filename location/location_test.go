package location_test

import (
	"runtime"
	"strings"
	"testing"

	"github.com/clickstream-platform/clickstream/location"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name        string
		in          string
		want        location.Location
		str         string // String(); "" means in
		errContains []string
	}{
		{name: "relative path", in: "data/source", want: location.Location{Path: "data/source"}},
		{name: "absolute path", in: "/srv/data/", want: location.Location{Path: "/srv/data/"}},
		{name: "colon in a path is not a scheme", in: "data/a:b", want: location.Location{Path: "data/a:b"}},
		{name: "one letter is a drive", in: `C://data`, want: location.Location{Path: `C://data`}},
		{name: "file URI", in: "file:///srv/data", want: location.Location{Path: "/srv/data"}, str: "/srv/data"},
		{name: "file URI localhost", in: "file://localhost/srv/data", want: location.Location{Path: "/srv/data"}, str: "/srv/data"},
		{name: "file URI escaped", in: "file:///srv/my%20data", want: location.Location{Path: "/srv/my data"}, str: "/srv/my data"},
		{name: "file URI upper-case scheme", in: "FILE:///srv", want: location.Location{Path: "/srv"}, str: "/srv"},
		{name: "bucket", in: "gs://raw-bucket", want: location.Location{Scheme: location.GCS, Bucket: "raw-bucket"}},
		{name: "bucket and prefix", in: "gs://raw.example.com/in/2024/", want: location.Location{Scheme: location.GCS, Bucket: "raw.example.com", Prefix: "in/2024"},
			str: "gs://raw.example.com/in/2024"},
		{name: "object", in: "gs://stage_1/run/sessions/p.parquet", want: location.Location{Scheme: location.GCS, Bucket: "stage_1", Prefix: "run/sessions/p.parquet"}},
		{name: "upper-case gs", in: "GS://b12/x", want: location.Location{Scheme: location.GCS, Bucket: "b12", Prefix: "x"}, str: "gs://b12/x"},
		{name: "table", in: "bq://proj.clickstream_lake.visits", want: location.Location{Scheme: location.BigQuery,
			Table: location.Table{Project: "proj", Dataset: "clickstream_lake", Table: "visits"}}},
		{name: "table and days", in: "bq://p.d.t?from=2024-01-01&to=2024-01-31", want: location.Location{Scheme: location.BigQuery,
			Table: location.Table{Project: "p", Dataset: "d", Table: "t", From: "2024-01-01", To: "2024-01-31"}}},
		{name: "GA4 export", in: "bq://ga4-proj.analytics_123456.events_*", want: location.Location{Scheme: location.BigQuery,
			Table: location.Table{Project: "ga4-proj", Dataset: "analytics_123456", Table: "events_*"}}},
		{name: "GA4 export, days, limit, intraday", in: "bq://p.analytics_1.events_*?to=2021-01-31&from=2021-01-01&limit=100000&intraday=true",
			want: location.Location{Scheme: location.BigQuery, Table: location.Table{Project: "p", Dataset: "analytics_1", Table: "events_*",
				From: "2021-01-01", To: "2021-01-31", Limit: 100000, Intraday: true}},
			str: "bq://p.analytics_1.events_*?from=2021-01-01&intraday=true&limit=100000&to=2021-01-31"},
		{name: "GA4 limit not a number", in: "bq://p.d.events_*?limit=lots", errContains: []string{`limit="lots" is not a positive number`}},
		{name: "GA4 limit zero", in: "bq://p.d.events_*?limit=0", errContains: []string{"not a positive number"}},
		{name: "GA4 intraday not a bool", in: "bq://p.d.events_*?intraday=yes", errContains: []string{`intraday="yes" is not true or false`}},
		{name: "GA4 unknown parameter", in: "bq://p.d.events_*?day=1", errContains: []string{`unknown parameter "day"`, "limit and intraday"}},
		{name: "limit of a plain table", in: "bq://p.d.visits?limit=10", errContains: []string{"limit applies to a GA4 export"}},
		{name: "another wildcard", in: "bq://p.d.visits_*", errContains: []string{"GA4 export's events_*"}},
		{name: "empty", in: "", errContains: []string{"empty location"}},
		{name: "unknown scheme", in: "s3://bucket/key", errContains: []string{`unsupported scheme "s3" in "s3://bucket/key"`, "local folder path", "file:///", "gs://bucket[/prefix]"}},
		{name: "file URI of another host", in: "file://server/share", errContains: []string{"another host"}},
		{name: "file URI with a query", in: "file:///srv/a?b", errContains: []string{"query"}},
		{name: "no bucket", in: "gs://", errContains: []string{`"gs://" has no bucket`, "invalid bucket name"}},
		{name: "empty bucket", in: "gs:///prefix", errContains: []string{`"gs:///prefix" has no bucket`}},
		{name: "upper-case bucket", in: "gs://My-Bucket", errContains: []string{`invalid bucket name "My-Bucket"`}},
		{name: "short bucket", in: "gs://ab", errContains: []string{"invalid bucket name"}},
		{name: "bucket starting with a dash", in: "gs://-ab", errContains: []string{"invalid bucket name"}},
		{name: "bucket with a space", in: "gs://My Bucket/x", errContains: []string{"invalid bucket name"}},
		{name: "two names", in: "bq://proj.visits", errContains: []string{"three names"}},
		{name: "a path in the table", in: "bq://p.d.t/x", errContains: []string{"three names"}},
		{name: "bad date", in: "bq://p.d.t?from=yesterday", errContains: []string{`from="yesterday" is not a date`}},
		{name: "reversed range", in: "bq://p.d.t?from=2024-02-01&to=2024-01-01", errContains: []string{"is after to"}},
		{name: "unknown parameter", in: "bq://p.d.t?day=2024-02-01", errContains: []string{`unknown parameter "day"`}},
		{name: "parameter twice", in: "bq://p.d.t?from=2024-02-01&from=2024-02-02", errContains: []string{"from given 2 times"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if runtime.GOOS == "windows" && strings.Contains(tt.in, "file:") {
				t.Skip("file URIs map to drive paths on Windows")
			}
			got, err := location.Parse(tt.in)
			if tt.errContains != nil {
				if err == nil {
					t.Fatalf("Parse(%q) = %+v, want an error", tt.in, got)
				}
				for _, s := range tt.errContains {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not contain %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("Parse(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			str := tt.str
			if str == "" {
				str = tt.in
			}
			if got.String() != str {
				t.Errorf("String() = %q, want %q", got.String(), str)
			}
			if again, err := location.Parse(got.String()); err != nil || again != got {
				t.Errorf("Parse(String()) = %+v, %v; want %+v", again, err, got)
			}
			if location.SchemeOf(tt.in) != got.Scheme {
				t.Errorf("SchemeOf(%q) = %q, want %q", tt.in, location.SchemeOf(tt.in), got.Scheme)
			}
		})
	}
}
