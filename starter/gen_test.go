package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runGen executes `starter gen` with args and returns its stdout and stderr.
func runGen(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	t.Chdir(t.TempDir()) // no clickstream.yaml, and defaults land in a temporary folder
	var out, errOut bytes.Buffer
	cmd := newGenCmd()
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	cmd.SilenceUsage = true
	err = cmd.Execute()
	return out.String(), errOut.String(), err
}

func TestGenCommandJSON(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--files", "3", "--sessions", "300", "--days", "2", "--start", "2024-02-28",
		"--seed", "5", "--gzip", "--invalid-rate", "0.1", "--duplicate-rate", "0.1", "--json"}
	stdout, stderr, err := runGen(t, append([]string{"--out", dir}, args...)...)
	if err != nil {
		t.Fatalf("gen: %v\n%s", err, stderr)
	}
	var rep genReport
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("decoding %s: %v", stdout, err)
	}
	wantNames := []string{
		"dt=2024-02-28/sessions-00000.jsonl.gz",
		"dt=2024-02-28/sessions-00001.jsonl.gz",
		"dt=2024-02-29/sessions-00002.jsonl.gz",
	}
	if len(rep.Objects) != len(wantNames) {
		t.Fatalf("%d objects, want %d: %+v", len(rep.Objects), len(wantNames), rep.Objects)
	}
	var bytesSum, lines int64
	for i, o := range rep.Objects {
		if o.Name != wantNames[i] {
			t.Errorf("objects[%d].name = %s, want %s", i, o.Name, wantNames[i])
		}
		fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(o.Name)))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() != o.Bytes {
			t.Errorf("%s: %d bytes on disk, report says %d", o.Name, fi.Size(), o.Bytes)
		}
		if err := o.Expected.Check(); err != nil {
			t.Errorf("%s: %v", o.Name, err)
		}
		bytesSum += o.Bytes
		lines += o.Expected.Lines
	}
	if rep.Bytes != bytesSum || rep.Expected.Lines != lines {
		t.Errorf("totals: bytes %d (objects %d), lines %d (objects %d)", rep.Bytes, bytesSum, rep.Expected.Lines, lines)
	}
	if rep.Expected.SessionsValid+rep.Expected.SessionsRejected != 300 {
		t.Errorf("expected %+v, want 300 sessions", rep.Expected)
	}
	d := rep.Distinct
	if d.Sessions == 0 || d.Sessions >= rep.Expected.SessionsValid || d.Pageviews == 0 || d.Pageviews > rep.Expected.Pageviews ||
		d.Addtocarts > rep.Expected.Addtocarts || d.Purchases > rep.Expected.Purchases {
		t.Errorf("distinct %+v against expected %+v", d, rep.Expected)
	}

	// The same flags give the same bytes.
	dir2 := t.TempDir()
	if _, _, err := runGen(t, append([]string{"--out", dir2}, args...)...); err != nil {
		t.Fatal(err)
	}
	for _, name := range wantNames {
		a, _ := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		b, _ := os.ReadFile(filepath.Join(dir2, filepath.FromSlash(name)))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two runs", name)
		}
	}
}

func TestGenCommandHuman(t *testing.T) {
	dir := t.TempDir()
	stdout, stderr, err := runGen(t, "--out", dir)
	if err != nil {
		t.Fatalf("gen: %v\n%s", err, stderr)
	}
	for _, want := range []string{
		"wrote 4 objects", "2000 sessions", "dt=2024-01-30/sessions-00000.jsonl", "dt=2024-02-01/sessions-00003.jsonl",
		"expected accounting", "lines ", "= blank ", "events_seen ", "rows after dedup", "pageview_events ",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if stderr != "" {
		t.Errorf("stderr %q on a fresh folder", stderr)
	}

	// Another run over fewer files warns that the folder holds more input.
	_, stderr, err = runGen(t, "--out", dir, "--files", "2", "--days", "1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, "also holds 2 other input files") {
		t.Errorf("stderr = %q, want a note on the 2 other files", stderr)
	}
}

func TestGenCommandErrors(t *testing.T) {
	out := t.TempDir()
	tests := []struct {
		name        string
		args        []string
		errContains []string
	}{
		{"bucket out", []string{"--out", "gs://bucket/source"}, []string{"local folders only"}},
		{"no files", []string{"--out", out, "--files", "0"}, []string{"files: must be >= 1, got 0"}},
		{"negative sessions", []string{"--out", out, "--sessions", "-5"}, []string{"sessions: must be >= 0, got -5"}},
		{"negative days", []string{"--out", out, "--days", "-1"}, []string{"days: must be >= 0 (0 means 1), got -1"}},
		{"bad start", []string{"--out", out, "--start", "30/01/2024"}, []string{`--start must be a date YYYY-MM-DD, got "30/01/2024"`}},
		{"start out of range", []string{"--out", out, "--start", "0999-12-31"}, []string{"start: the days must lie between"}},
		{"invalid rate", []string{"--out", out, "--invalid-rate", "2"}, []string{"invalid-rate: must be between 0 and 1, got 2"}},
		{"duplicate rate", []string{"--out", out, "--duplicate-rate", "-0.5"}, []string{"duplicate-rate: must be between 0 and 1, got -0.5"}},
		{"rates together", []string{"--out", out, "--invalid-rate", "0.7", "--duplicate-rate", "0.7"},
			[]string{"invalid-rate + duplicate-rate must be <= 1"}},
		{"several", []string{"--out", out, "--files", "-1", "--invalid-rate", "1.5"},
			[]string{"files: must be >= 1, got -1", "invalid-rate: must be between 0 and 1, got 1.5"}},
		{"not a number", []string{"--out", out, "--seed", "-1"}, []string{"--seed"}},
		{"out is a file", []string{"--out", filepath.Join(out, "file")}, []string{"file"}},
	}
	if err := os.WriteFile(filepath.Join(out, "file"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runGen(t, tt.args...)
			if err == nil {
				t.Fatalf("gen %v: no error", tt.args)
			}
			for _, want := range tt.errContains {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
		})
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 1 {
		t.Errorf("failed runs wrote into --out: %v", entries)
	}
}
