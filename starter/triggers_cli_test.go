package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestTriggerCommandErrors: wrong dates, ranges, specs and policies are
// refused before anything connects to Temporal, with a message that says
// what is wrong. (No server runs here: an error that got as far as dialing
// would say so instead.)
func TestTriggerCommandErrors(t *testing.T) {
	isolate(t)
	t.Setenv("CLICKSTREAM_TEMPORAL_ADDRESS", "127.0.0.1:1") // nothing answers
	tests := []struct {
		name        string
		args        []string
		errContains []string
	}{
		{"backfill without days", []string{"backfill"}, []string{"--from and --to are required"}},
		{"backfill without to", []string{"backfill", "--from", "2024-01-30"}, []string{"--from and --to are required"}},
		{"backfill bad from", []string{"backfill", "--from", "2024-1-30", "--to", "2024-01-31"}, []string{"--from", `"2024-1-30" is not a day`, "YYYY-MM-DD"}},
		{"backfill impossible to", []string{"backfill", "--from", "2024-02-01", "--to", "2024-02-30"}, []string{"--to", `"2024-02-30" is not a day`}},
		{"backfill from after to", []string{"backfill", "--from", "2024-02-01", "--to", "2024-01-30"}, []string{"--from 2024-02-01 is after --to 2024-01-30"}},
		{"backfill parallel 0", []string{"backfill", "--from", "2024-01-30", "--to", "2024-01-31", "--parallel", "0"}, []string{"--parallel must be between 1 and 8"}},
		{"backfill wrong flag", []string{"backfill", "--form", "2024-01-30"}, []string{"unknown flag: --form", "starter backfill --help"}},
		{"backfill dev detach", []string{"backfill", "--from", "2024-01-30", "--to", "2024-01-31", "--dev", "--detach"}, []string{"--detach with --dev"}},
		{"run bad day", []string{"run", "--from", "30.01.2024"}, []string{`"30.01.2024" is not a day`}},
		{"run from after to", []string{"run", "--from", "2024-01-31", "--to", "2024-01-30"}, []string{"after --to"}},
		{"schedule create without spec", []string{"schedule", "create", "nightly"}, []string{"exactly one of --cron", "--every"}},
		{"schedule create with both specs", []string{"schedule", "create", "nightly", "--cron", "0 2 * * *", "--every", "1h"}, []string{"exactly one of --cron"}},
		{"schedule create without name", []string{"schedule", "create", "--every", "1h"}, []string{"takes NAME"}},
		{"schedule bad overlap", []string{"schedule", "create", "n", "--every", "1h", "--overlap", "sometimes"}, []string{`--overlap "sometimes"`, "skip, buffer-one"}},
		{"schedule short catch-up", []string{"schedule", "create", "n", "--every", "1h", "--catchup-window", "1s"}, []string{"--catchup-window must be at least 10s"}},
		{"schedule bad time zone", []string{"schedule", "create", "n", "--cron", "0 2 * * *", "--time-zone", "Mars/Olympus"}, []string{"--time-zone"}},
		{"schedule days 0", []string{"schedule", "create", "n", "--every", "1h", "--days", "0"}, []string{"--days must be at least 1"}},
		{"schedule lookback 0", []string{"schedule", "create", "n", "--every", "1h", "--lookback-days", "0"}, []string{"--lookback-days and --days must be at least 1"}},
		{"schedule lookback and days", []string{"schedule", "create", "n", "--every", "1h", "--lookback-days", "2", "--days", "2"}, []string{"not both"}},
		{"only new with replace", []string{"run", "--only-new", "--mode", "replace"}, []string{"--only-new loads in merge mode"}},
		{"schedule trigger bad overlap", []string{"schedule", "trigger", "n", "--overlap", "x"}, []string{`--overlap "x"`}},
		{"schedule pause without name", []string{"schedule", "pause"}, []string{"takes NAME"}},
		{"status two ids", []string{"status", "a", "b"}, []string{"accepts at most 1 arg"}},
		{"status without server", []string{"status", "some-id"}, []string{"127.0.0.1:1", "Is a Temporal server running there?"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := newRootCmd()
			var out bytes.Buffer
			cmd.SetOut(&out)
			cmd.SetErr(&out)
			cmd.SetArgs(tt.args)
			err := cmd.ExecuteContext(context.Background())
			if err == nil {
				t.Fatalf("starter %s: no error\n%s", strings.Join(tt.args, " "), out.String())
			}
			for _, want := range tt.errContains {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("starter %s: error %q lacks %q", strings.Join(tt.args, " "), err, want)
				}
			}
		})
	}
}

// TestTriggerCommandHelp: each new command explains itself.
func TestTriggerCommandHelp(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"backfill", "--help"}, []string{"dt=YYYY-MM-DD/", "--parallel", "--rerun", "Ctrl-C stops the waiting, not the\nbackfill"}},
		{[]string{"schedule", "--help"}, []string{"create", "list", "describe", "pause", "unpause", "trigger", "delete"}},
		{[]string{"schedule", "create", "--help"}, []string{"--cron", "--every", "--overlap", "--catchup-window", "--offset-days", "yesterday"}},
		{[]string{"status", "--help"}, []string{"WORKFLOW_ID", "progress"}},
		{[]string{"run", "--help"}, []string{"--from", "--to"}},
	} {
		cmd := newRootCmd()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs(tt.args)
		if err := cmd.ExecuteContext(context.Background()); err != nil {
			t.Fatalf("starter %s: %v", strings.Join(tt.args, " "), err)
		}
		for _, w := range tt.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("starter %s lacks %q:\n%s", strings.Join(tt.args, " "), w, out.String())
			}
		}
	}
}
