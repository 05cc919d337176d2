package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clickstream-platform/clickstream/clickstream"
)

// runStarter runs the starter with args, isolated from any clickstream.yaml
// in the working directory, and returns stdout and the error.
func runStarter(t *testing.T, args ...string) (string, error) {
	t.Helper()
	t.Chdir(t.TempDir())
	cmd := newRootCmd()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// stagedLines counts the lines of the files of table (a table name, or
// "deadletter") that run runID staged under out with --staging-format ndjson.
func stagedLines(t *testing.T, out, runID, table string) int64 {
	t.Helper()
	dir := filepath.Join(out, runID, table)
	if table == "deadletter" {
		dir = filepath.Join(out, "deadletter", runID)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		n += int64(bytes.Count(b, []byte("\n")))
	}
	return n
}

func goldenInput(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../clickstream/testdata/golden/input.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTransformCommand(t *testing.T) {
	src, out := t.TempDir(), t.TempDir()
	input := goldenInput(t)
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(input)
	zw.Close()
	writeFile(t, filepath.Join(src, "dt=2024-01-30", "a.jsonl"), input)
	writeFile(t, filepath.Join(src, "dt=2024-01-31", "deeper", "b.ndjson"), z.Bytes()) // gzip without .gz
	writeFile(t, filepath.Join(src, "_SUCCESS"), nil)
	writeFile(t, filepath.Join(src, "notes.txt"), []byte("not input"))

	stdout, err := runStarter(t, "transform", "--source", src, "--out", out, "--json", "--run-id", "r1", "--staging-format", "ndjson")
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Accounting clickstream.Counts `json:"accounting"`
		Objects    []struct {
			Name string `json:"name"`
			clickstream.Counts
		} `json:"objects"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, stdout)
	}
	one := clickstream.Counts{Lines: 8, Blank: 1, SessionsValid: 5, SessionsRejected: 2, EventsSeen: 9, Pageviews: 3, Addtocarts: 2, Purchases: 2, EventsRejected: 2}
	if len(rep.Objects) != 2 || rep.Objects[0].Counts != one || rep.Objects[1].Counts != one {
		t.Fatalf("objects = %+v, want two with %+v", rep.Objects, one)
	}
	if !strings.HasSuffix(rep.Objects[0].Name, "dt=2024-01-30/a.jsonl") || !strings.HasSuffix(rep.Objects[1].Name, "dt=2024-01-31/deeper/b.ndjson") {
		t.Errorf("object names = %s, %s", rep.Objects[0].Name, rep.Objects[1].Name)
	}
	var two clickstream.Counts
	two.Add(one)
	two.Add(one)
	if rep.Accounting != two {
		t.Fatalf("accounting = %+v, want %+v", rep.Accounting, two)
	}
	for table, want := range map[string]int64{
		"visits": two.SessionsValid, "sessions": two.SessionsValid, "pageview_events": two.Pageviews,
		"addtocart_events": two.Addtocarts, "purchase_events": two.Purchases,
		"deadletter": two.SessionsRejected + two.EventsRejected,
	} {
		if got := stagedLines(t, out, "r1", table); got != want {
			t.Errorf("%s has %d lines, want %d", table, got, want)
		}
	}

	// A second run stages its own folder rather than adding to the first's.
	if _, err := runStarter(t, "transform", "--source", src, "--out", out, "--run-id", "r2", "--staging-format", "ndjson"); err != nil {
		t.Fatal(err)
	}
	for _, run := range []string{"r1", "r2"} {
		if got := stagedLines(t, out, run, "sessions"); got != two.SessionsValid {
			t.Errorf("after a second run, %s's sessions have %d lines, want %d", run, got, two.SessionsValid)
		}
	}
	// The pipeline's default format, Parquet, stages the same run as files
	// of that format.
	if _, err := runStarter(t, "transform", "--source", src, "--out", out, "--run-id", "r3"); err != nil {
		t.Fatal(err)
	}
	if pq, _ := filepath.Glob(filepath.Join(out, "r3", "sessions", "*.parquet")); len(pq) == 0 {
		t.Error("no Parquet files staged by default")
	}
	// A run id already staged is refused, leaving the run as it was.
	_, err = runStarter(t, "transform", "--source", src, "--out", out, "--run-id", "r1", "--staging-format", "ndjson")
	if err == nil || !strings.Contains(err.Error(), "already staged") {
		t.Errorf("err = %v, want a refusal of a run id already staged", err)
	}
	if got := stagedLines(t, out, "r1", "sessions"); got != two.SessionsValid {
		t.Errorf("after a refused run, r1's sessions have %d lines, want %d", got, two.SessionsValid)
	}
}

func TestTransformFailureKeepsPreviousOutput(t *testing.T) {
	src, out := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(src, "a.jsonl"), goldenInput(t))
	if _, err := runStarter(t, "transform", "--source", src, "--out", out, "--run-id", "r1"); err != nil {
		t.Fatal(err)
	}
	before := filesUnder(out)

	writeFile(t, filepath.Join(src, "b.jsonl.gz"), []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 1, 2, 3}) // damaged gzip
	_, err := runStarter(t, "transform", "--source", src, "--out", out)
	if err == nil || !errors.Is(err, clickstream.ErrCorruptObject) || !strings.Contains(err.Error(), "b.jsonl.gz") {
		t.Fatalf("err = %v, want a corrupt-object error naming b.jsonl.gz", err)
	}
	// Nothing of the failed run is left, temporary files included, and the
	// earlier run's files are as they were.
	if after := filesUnder(out); !slices.Equal(before, after) {
		t.Errorf("a failed run changed the output folder: %v, before %v", after, before)
	}
}

func TestTransformCommandErrors(t *testing.T) {
	empty := t.TempDir()
	writeFile(t, filepath.Join(empty, "readme.txt"), nil)
	notDir := filepath.Join(t.TempDir(), "f.jsonl")
	writeFile(t, notDir, nil)
	tests := []struct {
		name    string
		args    []string
		errPart string
	}{
		{"missing source", []string{"transform", "--source", filepath.Join(empty, "nope"), "--out", t.TempDir()}, "does not exist"},
		{"no input files", []string{"transform", "--source", empty, "--out", t.TempDir()}, "no input files under"},
		{"source is a file", []string{"transform", "--source", notDir, "--out", t.TempDir()}, "is not a folder"},
		{"bucket source", []string{"transform", "--source", "gs://bucket/x", "--out", t.TempDir()}, "local folders only"},
		{"unknown flag", []string{"transform", "--sauce", "x"}, "unknown flag: --sauce"},
		{"missing config file", []string{"transform", "--source", empty, "--out", t.TempDir(), "--config", "/nonexistent.yaml"}, "nonexistent.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runStarter(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.errPart) {
				t.Fatalf("err = %v, want one containing %q", err, tt.errPart)
			}
		})
	}
}

// TestTransformMaxLineFromEnv checks the configured maximum reaches the
// transform: with CLICKSTREAM_TRANSFORM_MAX_LINE_BYTES=1KiB a 2 KiB line is
// dead-lettered as too long.
func TestTransformMaxLineFromEnv(t *testing.T) {
	src, out := t.TempDir(), t.TempDir()
	long := `{"session_id":"s","user_id":"u","device_type":"d","user_agent":"` + strings.Repeat("a", 2048) + `"}`
	writeFile(t, filepath.Join(src, "a.jsonl"), []byte(long+"\n"))
	t.Setenv("CLICKSTREAM_TRANSFORM_MAX_LINE_BYTES", "1KiB")
	if _, err := runStarter(t, "transform", "--source", src, "--out", out, "--run-id", "r1"); err != nil {
		t.Fatal(err)
	}
	dead, _ := os.ReadFile(filepath.Join(out, "deadletter", "r1", "local-00000-00000.ndjson"))
	if !bytes.Contains(dead, []byte(`"code":"line_too_long"`)) {
		t.Fatalf("dead letter = %s, want a line_too_long record", dead)
	}
}

// TestTransformRemovesStaleTemps: a run killed with SIGKILL cannot clean up;
// a run of the same id removes what it left.
func TestTransformRemovesStaleTemps(t *testing.T) {
	src, out := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(src, "a.jsonl"), goldenInput(t))
	stale := filepath.Join(out, "r1", "sessions", ".blob-123.tmp")
	writeFile(t, stale, []byte("half a file"))
	if _, err := runStarter(t, "transform", "--source", src, "--out", out, "--run-id", "r1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stale temporary file still there: %v", err)
	}
}
