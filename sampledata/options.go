package sampledata

import (
	"errors"
	"fmt"
	"time"

	"github.com/clickstream-platform/clickstream/clickstream"
)

// defaultStart is the first day when Options.Start is zero: three days from it
// cross the end of January.
var defaultStart = time.Date(2024, time.January, 30, 0, 0, 0, 0, time.UTC)

// Options says what to generate. The zero value is not valid (Files must be set);
// every other field's zero value means its default.
type Options struct {
	// Files is the number of objects. Required: >= 1.
	Files int
	// Sessions is the number of session lines across all files (not per file):
	// fresh valid sessions, duplicates and invalid lines. Blank lines come on top.
	// With Format GA4Input, the number of GA4 sessions, each written as its
	// events, one a line, with invalid lines and duplicates on top.
	// Optional: default 0, which writes empty objects.
	Sessions int
	// Format is the input shape written: clickstream.SessionsInput or
	// clickstream.GA4Input. Optional: default SessionsInput.
	Format clickstream.InputFormat
	// Days is the number of dt= days the files are spread over.
	// Optional: default 1.
	Days int
	// Start is the first day; only its UTC date counts.
	// Optional: default 2024-01-30, so that three days cross a month end.
	Start time.Time
	// Seed selects the data: the same Options give byte-identical objects.
	// Optional: default 0.
	Seed uint64
	// Gzip writes gzip-compressed ".jsonl.gz" objects instead of ".jsonl".
	// Optional: default false.
	Gzip bool
	// InvalidRate is the share of session lines that SPEC.md rejects and, inside
	// valid sessions, the share of events it rejects; with it come a few blank lines.
	// Optional: default 0, everything valid and no blank lines.
	InvalidRate float64
	// DuplicateRate is the share of session lines that repeat an earlier valid
	// session (same session_id, user_id and device_type).
	// Optional: default 0.
	DuplicateRate float64
}

// Validate reports every option out of range; each error names its option
// as `starter gen` spells it, without the dashes.
func (o Options) Validate() error {
	var errs []error
	if o.Files < 1 {
		errs = append(errs, fmt.Errorf("files: must be >= 1, got %d", o.Files))
	}
	if o.Sessions < 0 {
		errs = append(errs, fmt.Errorf("sessions: must be >= 0, got %d", o.Sessions))
	}
	if o.Days < 0 {
		errs = append(errs, fmt.Errorf("days: must be >= 0 (0 means 1), got %d", o.Days))
	}
	if !(o.InvalidRate >= 0 && o.InvalidRate <= 1) {
		errs = append(errs, fmt.Errorf("invalid-rate: must be between 0 and 1, got %v", o.InvalidRate))
	}
	if !(o.DuplicateRate >= 0 && o.DuplicateRate <= 1) {
		errs = append(errs, fmt.Errorf("duplicate-rate: must be between 0 and 1, got %v", o.DuplicateRate))
	} else if o.InvalidRate >= 0 && o.InvalidRate+o.DuplicateRate > 1 {
		errs = append(errs, fmt.Errorf("duplicate-rate: invalid-rate + duplicate-rate must be <= 1, got %v + %v",
			o.InvalidRate, o.DuplicateRate))
	}
	if o.Format != "" {
		if _, err := clickstream.ParseInputFormat(string(o.Format)); err != nil {
			errs = append(errs, fmt.Errorf("format: %w", err))
		}
	}
	if o.Days >= 0 && o.Days <= maxDays {
		first, last := o.withDefaults().firstDay(), o.withDefaults().lastDay()
		if first.Year() < 1000 || last.AddDate(0, 0, 1).Year() > 9999 {
			errs = append(errs, fmt.Errorf("start: the days must lie between 1000-01-01 and 9999-12-30, got %s to %s",
				first.Format(time.DateOnly), last.Format(time.DateOnly)))
		}
	} else if o.Days > maxDays {
		errs = append(errs, fmt.Errorf("days: must be <= %d, got %d", maxDays, o.Days))
	}
	return errors.Join(errs...)
}

// maxDays bounds Days to keep the date arithmetic far from overflow.
const maxDays = 1_000_000

func (o Options) withDefaults() Options {
	if o.Days == 0 {
		o.Days = 1
	}
	if o.Start.IsZero() {
		o.Start = defaultStart
	}
	return o
}

func (o Options) firstDay() time.Time {
	y, m, d := o.Start.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func (o Options) lastDay() time.Time { return o.firstDay().AddDate(0, 0, o.Days-1) }
