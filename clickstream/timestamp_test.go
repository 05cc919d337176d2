package clickstream_test

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/clickstream-platform/clickstream/clickstream"
)

func TestParseTimestamp(t *testing.T) {
	tests := []struct {
		in      string
		want    string // canonical UTC form; empty when the input is invalid
		errPart string
	}{
		{"2024-01-30T10:00:00Z", "2024-01-30T10:00:00.000000Z", ""},
		{"2024-01-30t10:00:00z", "2024-01-30T10:00:00.000000Z", ""},
		{"2024-01-30T10:00:00.123456+02:00", "2024-01-30T08:00:00.123456Z", ""},
		{"2024-01-30T10:00:00.5-05:30", "2024-01-30T15:30:00.500000Z", ""},
		{"2024-01-31T23:30:00-01:00", "2024-02-01T00:30:00.000000Z", ""},      // crosses a month in UTC
		{"2024-01-30T10:00:00.123456789Z", "2024-01-30T10:00:00.123456Z", ""}, // truncated, not rounded
		{"2024-01-30T23:59:59.9999999Z", "2024-01-30T23:59:59.999999Z", ""},
		{"2024-02-29 10:00:00 UTC", "2024-02-29T10:00:00.000000Z", ""},
		{"2024-01-30 10:00:00.5 UTC", "2024-01-30T10:00:00.500000Z", ""},
		{"0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000000Z", ""},
		{"9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999Z", ""},
		{"1969-12-31T23:59:59.5Z", "1969-12-31T23:59:59.500000Z", ""},

		{"", "", "too short"},
		{"yesterday", "", "too short"},
		{"2024-01-30", "", "too short"},
		{"2024-01-30T10:00:00", "", "missing time zone"},
		{"2024-01-30T10:00:00+0200", "", "invalid time zone"},
		{"2024-01-30T10:00:00 UTC", "", "invalid time zone"},
		{"2024-01-30 10:00:00Z", "", `must end in " UTC"`},
		{"2024-01-30 10:00:00 utc", "", `must end in " UTC"`},
		{"2024-01-30X10:00:00Z", "", "separated by 'T' or a space"},
		{"2024-01-30T10:00:00.Z", "", "no digits after the decimal point"},
		{"2024/01/30T10:00:00Z", "", "not a timestamp"},
		{"2023-02-29T10:00:00Z", "", "day 29 out of range for 2023-02"},
		{"2024-04-31T10:00:00Z", "", "day 31 out of range"},
		{"2024-00-10T10:00:00Z", "", "month 00 out of range"},
		{"2024-01-30T24:00:00Z", "", "hour 24 out of range"},
		{"2024-01-30T10:60:00Z", "", "minute 60 out of range"},
		{"2024-01-30T10:00:60Z", "", "leap seconds"},
		{"2024-01-30T10:00:00+24:00", "", "invalid UTC offset"},
		{"0001-01-01T00:00:00+01:00", "", "outside the supported range"},
		{"9999-12-31T23:59:59-01:00", "", "outside the supported range"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			micros, err := clickstream.ParseTimestamp([]byte(tt.in))
			if tt.want == "" {
				if err == nil || !strings.Contains(err.Error(), tt.errPart) {
					t.Fatalf("err = %v, want one containing %q", err, tt.errPart)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := string(clickstream.AppendTimestamp(nil, micros)); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// TestTimestampAgainstTimePackage checks the hand-written calendar against
// the time package over four centuries of instants.
func TestTimestampAgainstTimePackage(t *testing.T) {
	start := time.Date(1890, 1, 1, 0, 0, 0, 0, time.UTC)
	for ts := start; ts.Year() < 2290; ts = ts.Add(37*time.Hour + 11*time.Minute + 7*time.Second + 123457*time.Microsecond) {
		in := ts.In(time.FixedZone("", -(3*3600 + 1800))).Format("2006-01-02T15:04:05.999999-07:00")
		micros, err := clickstream.ParseTimestamp([]byte(in))
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if micros != ts.UnixMicro() {
			t.Fatalf("%s: got %d, want %d", in, micros, ts.UnixMicro())
		}
		if got, want := string(clickstream.AppendTimestamp(nil, micros)), ts.Format("2006-01-02T15:04:05.000000Z"); got != want {
			t.Fatalf("format: got %s, want %s", got, want)
		}
	}
}

// TestAppendTimestampWholeRange checks the digit-by-digit formatting against
// the time package at random instants over all of BigQuery's range.
func TestAppendTimestampWholeRange(t *testing.T) {
	lo := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	hi := time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC).UnixMicro()
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 100000; i++ {
		micros := lo + rng.Int64N(hi-lo+1)
		if i < 2 {
			micros = []int64{lo, hi}[i]
		}
		want := time.UnixMicro(micros).UTC().Format("2006-01-02T15:04:05.000000Z")
		if got := string(clickstream.AppendTimestamp(nil, micros)); got != want {
			t.Fatalf("%d: got %s, want %s", micros, got, want)
		}
	}
}
