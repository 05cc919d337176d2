package resilience

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fsouza/fake-gcs-server/fakestorage"
	"go.temporal.io/sdk/temporal"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/harness"
	"github.com/clickstream-platform/clickstream/pipeline"
	"github.com/clickstream-platform/clickstream/sampledata"
	"github.com/clickstream-platform/clickstream/workflows"
)

// failFast is how long a run with a configuration error may take to fail:
// generous for a busy machine, and far below the minutes the retry policy
// would spend on a retryable error (10 attempts, backoff up to a minute).
const failFast = time.Minute

// TestBadConfiguration starts runs whose configuration names something
// missing or unusable: each fails within seconds with a ConfigError naming
// the cause, after one attempt, never retrying in a loop. Each case has a
// worker of its own (its own task queue), configured as the case needs.
// acceptAll lets a run reject every line and event: for tests of damaged
// input, not of the gates.
var acceptAll = pipeline.Overrides{MaxRejectedLines: ptr(1.0), MaxRejectedEvents: ptr(1.0)}

func ptr[T any](v T) *T { return &v }

func TestBadConfiguration(t *testing.T) {
	e := NewEnv(t)
	e.Generate(sampledata.Options{Files: 4, Sessions: 200, Seed: 3, InvalidRate: 0.1})
	gcs := newFakeGCS(t, "raw", "stage", "dead")
	blocker := filepath.Join(e.Dir, "afile")
	if err := os.WriteFile(blocker, []byte("a file, not a folder\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		worker []string // extra environment of the case's worker
		source string   // the run's source; "" for the env's generated input
		want   []string // what the error must name
	}{{
		name:   "missing folder",
		source: filepath.Join(e.Dir, "no", "such", "folder"),
		want:   []string{filepath.Join(e.Dir, "no", "such", "folder"), "does not exist"},
	}, {
		name:   "missing bucket",
		worker: []string{"STORAGE_EMULATOR_HOST=" + gcs},
		source: "gs://no-such-bucket/sessions",
		want:   []string{"bucket no-such-bucket", "does not exist"},
	}, {
		name:   "staging under a file",
		worker: []string{"CLICKSTREAM_STAGING_URI=" + filepath.Join(blocker, "staging")},
		want:   []string{filepath.Join(blocker, "staging")},
	}, {
		name:   "dead letter under a file",
		worker: []string{"CLICKSTREAM_DEADLETTER_URI=" + filepath.Join(blocker, "deadletter")},
		want:   []string{filepath.Join(blocker, "deadletter")},
	}, {
		name:   "missing staging bucket",
		worker: []string{"STORAGE_EMULATOR_HOST=" + gcs, "CLICKSTREAM_STAGING_URI=gs://no-such-stage/staging"},
		want:   []string{"no-such-stage"},
	}, {
		name:   "missing dead-letter bucket",
		worker: []string{"STORAGE_EMULATOR_HOST=" + gcs, "CLICKSTREAM_DEADLETTER_URI=gs://no-such-dead/rejects"},
		want:   []string{"no-such-dead"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			queue := "bad-" + strings.ReplaceAll(tc.name, " ", "-")
			e.Vars["CLICKSTREAM_TEMPORAL_TASK_QUEUE"] = queue // for the worker and the run
			e.StartWorker(tc.worker...)
			before := e.BatchEvents()
			start := time.Now()
			_, err := e.Wait(e.StartPipeline(queue, workflows.PipelineInput{Settings: pipeline.Settings{Source: tc.source, BatchObjects: 2}}), 5*time.Minute)
			took := time.Since(start)
			t.Logf("failed after %s", took.Round(time.Millisecond))
			var appErr *temporal.ApplicationError
			if !errors.As(err, &appErr) || appErr.Type() != "ConfigError" || !appErr.NonRetryable() {
				t.Fatalf("err = %v, want a non-retryable ConfigError", err)
			}
			t.Logf("%s (%s)", appErr.Message(), appErr.Type())
			// The message is what the starter prints and the UI shows first.
			for _, w := range tc.want {
				if !strings.Contains(appErr.Message(), w) {
					t.Errorf("the error does not name %q: %s", w, appErr.Message())
				}
			}
			if took > failFast {
				t.Errorf("failing took %s, want under %s: a configuration error is not retried", took, failFast)
			}
			for id, ev := range e.BatchEvents() {
				was := before[id]
				if n := ev["batch transform started"] + ev["batch transform resumed"] - was["batch transform started"] - was["batch transform resumed"]; n > 1 {
					t.Errorf("batch %s attempted %d times", id, n)
				}
			}
		})
	}
}

// TestBadConfigFile: a malformed configuration file stops the worker and the
// starter at once, exit status non-zero, with an error naming the file.
func TestBadConfigFile(t *testing.T) {
	if testing.Short() {
		t.Skip("resilience: runs the worker and starter binaries")
	}
	dir := t.TempDir()
	for name, content := range map[string]string{
		"broken.yaml":  "source:\n  uri: [data/source\n",             // invalid YAML
		"unknown.yaml": "source:\n  uri: data/source\nsoruce: x\n",   // an undeclared key
		"invalid.yaml": "pipeline:\n  window: 0\n",                   // a value out of range
		"tabs.yaml":    "source:\n\turi: data/source\n",              // tabs are not YAML indentation
		"binary.yaml":  "\x00\xff\xfe garbage \x00\n: : :\n- - [}\n", // not text at all
	} {
		file := filepath.Join(dir, name)
		if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, bin := range []struct{ name, path string }{{"worker", suite.Worker}, {"starter", suite.Starter}} {
			args := []string{"--config", file}
			if bin.name == "starter" {
				args = []string{"run", "--config", file, "--detach"}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			cmd := exec.CommandContext(ctx, bin.path, args...)
			cmd.Dir = dir
			// Nothing answers here: a process that got past its configuration
			// would fail differently, or hang trying to connect.
			cmd.Env = append(os.Environ(), "CLICKSTREAM_TEMPORAL_ADDRESS=127.0.0.1:1")
			start := time.Now()
			out, err := cmd.CombinedOutput()
			took := time.Since(start)
			cancel()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() <= 0 {
				t.Errorf("%s with %s: err %v, want a non-zero exit\n%s", bin.name, name, err, out)
				continue
			}
			if !strings.Contains(string(out), name) {
				t.Errorf("%s with %s: the error does not name the file:\n%s", bin.name, name, out)
			}
			if took > failFast {
				t.Errorf("%s with %s: took %s to fail", bin.name, name, took)
			}
		}
	}
}

// TestBadInput runs input made to hurt through the whole pipeline: a 100 MiB
// line among valid ones, and 10,000 lines of seeded random mutations of valid
// lines. Every line is accounted for (blank, valid or rejected), the dead
// letter holds exactly one record per rejected line or event, the long line's
// record keeps only its first bytes, and the worker's peak memory stays
// bounded.
func TestBadInput(t *testing.T) {
	e := NewEnv(t)
	src := e.Vars["CLICKSTREAM_SOURCE_URI"]
	valid := validLines(t, 300)
	lines := 0

	// big.jsonl: valid lines around a 100 MiB one.
	const bigLine = 100 << 20
	lines += writeLines(t, filepath.Join(src, "big.jsonl"), func(w *bufio.Writer) int {
		n := 0
		for _, l := range valid[:50] {
			w.Write(l)
			w.WriteByte('\n')
			n++
		}
		head := `{"session_id":"big","user_id":"u","device_type":"desktop","user_agent":"`
		w.WriteString(head)
		chunk := bytes.Repeat([]byte("A"), 1<<20) // written piecewise: this process stays small too
		for left := bigLine - len(head) - 2; left > 0; left -= len(chunk) {
			w.Write(chunk[:min(left, len(chunk))])
		}
		w.WriteString("\"}\n")
		n++
		for _, l := range valid[50:100] {
			w.Write(l)
			w.WriteByte('\n')
			n++
		}
		return n
	})

	// fuzz-*.jsonl: 10,000 mutated lines in 4 objects, so that they make
	// several batches.
	rng := rand.New(rand.NewPCG(42, 7))
	const fuzzed = 10_000
	for i := range 4 {
		lines += writeLines(t, filepath.Join(src, fmt.Sprintf("fuzz-%d.jsonl", i)), func(w *bufio.Writer) int {
			for range fuzzed / 4 {
				w.Write(mutate(rng, valid[rng.IntN(len(valid))]))
				w.WriteByte('\n')
			}
			return fuzzed / 4
		})
	}

	worker := e.StartWorker()
	start := time.Now()
	// The input is damaged on purpose: the quality gates would refuse it.
	res, err := e.Wait(e.StartPipeline("badinput", workflows.PipelineInput{Settings: pipeline.Settings{Mode: "merge", BatchObjects: 2,
		Overrides: acceptAll}}), 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d lines (%d bytes) in %s: %+v", lines, res.Bytes, time.Since(start).Round(time.Millisecond), res.Accounting)
	c := res.Accounting
	if c.Lines != int64(lines) {
		t.Errorf("lines = %d, the input has %d", c.Lines, lines)
	}
	if err := c.Check(); err != nil {
		t.Error(err)
	}
	if c.SessionsValid == 0 || c.SessionsRejected < 1 || c.EventsRejected == 0 {
		t.Errorf("the input should have valid and rejected sessions and rejected events: %+v", c)
	}

	records, long := deadLetters(t, filepath.Join(e.Vars["CLICKSTREAM_DEADLETTER_URI"], res.RunID))
	if want := c.SessionsRejected + c.EventsRejected; records != want {
		t.Errorf("%d dead-letter records, want %d (rejected sessions + rejected events)", records, want)
	}
	if len(long) != 1 || long[0].LineBytes < bigLine || len(long[0].Raw) > 64<<10 ||
		!strings.HasSuffix(long[0].SourceObject, "big.jsonl") || long[0].Line != 51 {
		t.Errorf("want one truncated record of the %d-byte line 51 of big.jsonl, got %+v", bigLine, long)
	}

	// Peak memory: the worker's high-water resident set, from /proc while
	// it runs. (Not the rusage of its exit: Linux carries into it the
	// resident set this test process had when it started the worker.)
	peak, err := harness.PeakRSS(worker.Pid())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("worker peak RSS %d MiB", peak>>20)
	if peak > 400<<20 {
		t.Errorf("worker peak RSS %d MiB, want under 400 MiB for a 100 MiB line (transform.max_line_bytes 16MiB)", peak>>20)
	}
	worker.Signal(syscall.SIGTERM)
	select {
	case <-worker.Done():
		if err := worker.Err(); err != nil {
			t.Errorf("the worker stopped by SIGTERM exited with %v", err)
		}
	case <-time.After(time.Minute):
		t.Error("the worker did not stop within a minute of SIGTERM")
	}
}

// validLines returns n valid session lines from the sample-data generator.
func validLines(t *testing.T, n int) [][]byte {
	t.Helper()
	dir := t.TempDir()
	if _, err := sampledata.Generate(dir, sampledata.Options{Files: 1, Sessions: n, Seed: 9}); err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		for _, l := range bytes.Split(b, []byte("\n")) {
			if len(bytes.TrimSpace(l)) > 0 {
				out = append(out, l)
			}
		}
		return err
	})
	if err != nil || len(out) < n {
		t.Fatalf("%d valid lines, want %d: %v", len(out), n, err)
	}
	return out
}

// writeLines creates file through a buffered writer; fill returns the number
// of lines it wrote.
func writeLines(t *testing.T, file string, fill func(*bufio.Writer) int) int {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	n := fill(w)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return n
}

// snippets are what mutate inserts: JSON punctuation and literals, edge-case
// numbers and strings, invalid UTF-8, control characters, keys of the schema.
var snippets = []string{
	`"`, `{`, `}`, `[`, `]`, `,`, `:`, `\`, `null`, `true`, `0`, `-0`, `1e400`, `1.5`, `-1`,
	`9007199254740993`, `""`, `"\u0000"`, `"\ud800"`, "\xff\xfe", "\xc3", "\x00", "\r", "\t", " ",
	`"session_id":"s",`, `"events":null,`, `"events":{},`, `"event_type":"purchase",`,
	`"timestamp":"2024-02-30T25:00:00Z",`, `"quantity":1.5,`, `"price":"9.99",`, `"details":[],`,
	"\u00e9\u4e2d\U0001F600", `{"event":{}}`, `[{"event":null}]`,
}

// mutate returns a copy of line changed by one to four random edits: a byte
// replaced, a span deleted, duplicated or cut short, a snippet inserted, or
// the line made blank. It never contains a newline, so each mutation stays
// one line.
func mutate(rng *rand.Rand, line []byte) []byte {
	b := bytes.Clone(line)
	if rng.IntN(200) == 0 {
		return []byte(strings.Repeat(" ", rng.IntN(4)) + "\t")
	}
	for range 1 + rng.IntN(4) {
		if len(b) == 0 {
			b = append(b, '{')
		}
		i := rng.IntN(len(b))
		j := min(len(b), i+1+rng.IntN(32))
		switch rng.IntN(6) {
		case 0:
			b[i] = byte(rng.IntN(256))
		case 1:
			b = append(b[:i], b[j:]...)
		case 2:
			b = append(b[:j], append(bytes.Clone(b[i:j]), b[j:]...)...)
		case 3:
			b = b[:i]
		default:
			s := snippets[rng.IntN(len(snippets))]
			b = append(b[:i], append([]byte(s), b[i:]...)...)
		}
	}
	return bytes.ReplaceAll(b, []byte("\n"), []byte(" "))
}

// deadLetters reads every dead-letter record under dir and returns how many
// there are and the truncated ones.
func deadLetters(t *testing.T, dir string) (int64, []clickstream.DeadLetter) {
	t.Helper()
	var n int64
	var long []clickstream.DeadLetter
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		dec := json.NewDecoder(f)
		for {
			var r clickstream.DeadLetter
			if err := dec.Decode(&r); err != nil {
				if err.Error() == "EOF" {
					return nil
				}
				return fmt.Errorf("%s: record %d: %w", p, n+1, err)
			}
			n++
			if r.Truncated {
				long = append(long, r)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return n, long
}

// newFakeGCS starts fake-gcs-server in this process with the given buckets
// and returns the host:port for STORAGE_EMULATOR_HOST.
func newFakeGCS(t *testing.T, buckets ...string) string {
	t.Helper()
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{Scheme: "http", Host: "127.0.0.1", PublicHost: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	for _, b := range buckets {
		srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: b})
	}
	u, err := url.Parse(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}
