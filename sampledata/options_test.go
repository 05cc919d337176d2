package sampledata

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name        string
		opts        Options
		errContains []string // empty: valid
	}{
		{name: "minimal", opts: Options{Files: 1}},
		{name: "full", opts: Options{Files: 8, Sessions: 100, Days: 3, Start: time.Date(2023, 12, 31, 15, 0, 0, 0, time.UTC),
			Seed: 9, Gzip: true, InvalidRate: 0.5, DuplicateRate: 0.5}},
		{name: "rates at the bounds", opts: Options{Files: 1, InvalidRate: 1}},
		{name: "no files", opts: Options{}, errContains: []string{"files: must be >= 1, got 0"}},
		{name: "negative sessions", opts: Options{Files: 1, Sessions: -1}, errContains: []string{"sessions: must be >= 0, got -1"}},
		{name: "negative days", opts: Options{Files: 1, Days: -2}, errContains: []string{"days: must be >= 0"}},
		{name: "too many days", opts: Options{Files: 1, Days: maxDays + 1}, errContains: []string{"days: must be <="}},
		{name: "invalid rate above 1", opts: Options{Files: 1, InvalidRate: 2}, errContains: []string{"invalid-rate: must be between 0 and 1, got 2"}},
		{name: "invalid rate NaN", opts: Options{Files: 1, InvalidRate: math.NaN()}, errContains: []string{"invalid-rate: must be between 0 and 1, got NaN"}},
		{name: "negative duplicate rate", opts: Options{Files: 1, DuplicateRate: -0.1}, errContains: []string{"duplicate-rate: must be between 0 and 1, got -0.1"}},
		{name: "rates above 1 together", opts: Options{Files: 1, InvalidRate: 0.6, DuplicateRate: 0.6}, errContains: []string{"duplicate-rate: invalid-rate + duplicate-rate must be <= 1"}},
		{name: "start too early", opts: Options{Files: 1, Start: time.Date(999, 1, 1, 0, 0, 0, 0, time.UTC)}, errContains: []string{"start: "}},
		{name: "days beyond 9999", opts: Options{Files: 1, Days: 3, Start: time.Date(9999, 12, 29, 0, 0, 0, 0, time.UTC)}, errContains: []string{"start: "}},
		{name: "every error at once", opts: Options{Sessions: -1, InvalidRate: 3},
			errContains: []string{"files:", "sessions:", "invalid-rate:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Validate()
			if len(tt.errContains) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want an error containing %q", tt.errContains)
			}
			for _, want := range tt.errContains {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Validate() = %q, want it to contain %q", err, want)
				}
			}
		})
	}
}

func TestWriteObjectsRejectsInvalidOptions(t *testing.T) {
	var m memStore
	if _, err := WriteObjects(Options{}, m.create); err == nil || !strings.Contains(err.Error(), "files:") {
		t.Fatalf("WriteObjects(Options{}) error = %v, want files:", err)
	}
	if len(m.names) != 0 {
		t.Errorf("created %v despite invalid options", m.names)
	}
}
