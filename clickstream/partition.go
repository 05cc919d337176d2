package clickstream

import (
	"fmt"
	"time"
)

// Hive-style day partitions: input objects under a source's dt=YYYY-MM-DD/
// folders (SPEC.md: input) can be selected by date, for schedules and
// backfills. Days are calendar days of UTC.

// DayLayout is a day's spelling in dt= folder names and in date inputs.
const DayLayout = time.DateOnly

// ParseDay parses a YYYY-MM-DD day, strictly: "2024-1-30" and
// "2024-02-30" are errors.
func ParseDay(s string) (time.Time, error) {
	d, err := time.Parse(DayLayout, s)
	if err != nil || d.Format(DayLayout) != s {
		return time.Time{}, fmt.Errorf("%q is not a day: want YYYY-MM-DD, e.g. 2024-01-30", s)
	}
	return d, nil
}

// Days returns the days from from to to, both included, as YYYY-MM-DD. It
// is an error if either is not a day or from is after to.
func Days(from, to string) ([]string, error) {
	f, err := ParseDay(from)
	if err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	t, err := ParseDay(to)
	if err != nil {
		return nil, fmt.Errorf("to: %w", err)
	}
	if f.After(t) {
		return nil, fmt.Errorf("from %s is after to %s", from, to)
	}
	var days []string
	for d := f; !d.After(t); d = d.AddDate(0, 0, 1) {
		days = append(days, d.Format(DayLayout))
	}
	return days, nil
}

// DayOf is the UTC day of t, as YYYY-MM-DD, plus offset days.
func DayOf(t time.Time, offset int) string {
	return t.UTC().AddDate(0, 0, offset).Format(DayLayout)
}

// PartitionPrefix is the folder of a day's input below a source:
// "dt=2024-01-30/".
func PartitionPrefix(day string) string {
	return "dt=" + day + "/"
}
