package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clickstream-platform/clickstream/harness"
	"github.com/clickstream-platform/clickstream/sampledata"
	"github.com/clickstream-platform/clickstream/workflows"
)

// suite is the starter and worker binaries and the Temporal dev server
// shared by this package's tests; each test uses its own task queue and
// folders. suiteErr says why there is none.
var (
	suite    *harness.Suite
	suiteErr error
)

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(func() int {
		if testing.Short() {
			return m.Run()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute) // may build the CLI once
		defer cancel()
		suite, suiteErr = harness.NewSuite(ctx, harness.SuiteOptions{Server: true, Log: os.Stderr})
		if suiteErr == nil {
			defer suite.Close()
		}
		return m.Run()
	}())
}

var queues atomic.Int64

// newEnv is a platform of the test's own on the shared server: a task
// queue of its own, and a temporary folder that becomes the working
// directory of the test and of the processes it starts, where the default
// configuration puts its folders (data/source, data/staging, ...).
func newEnv(t *testing.T) *harness.Env {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: runs the binaries against the Temporal dev server")
	}
	if suiteErr != nil {
		t.Fatalf("building the binaries or starting the Temporal dev server: %v", suiteErr)
	}
	e := harness.NewEnv(t, harness.EnvOptions{Binaries: suite.Binaries, Server: suite.Server,
		TaskQueue: fmt.Sprintf("e2e-%d-%d", os.Getpid(), queues.Add(1))})
	t.Chdir(e.Dir)
	return e
}

// e2eEnv is newEnv with input generated into data/source.
func e2eEnv(t *testing.T, opts sampledata.Options) (*harness.Env, sampledata.Summary) {
	t.Helper()
	e := newEnv(t)
	return e, e.Generate(opts)
}

// starter runs the starter binary in the env with args and returns what it
// printed; err is its exit (an *exec.ExitError when it failed).
func starter(e *harness.Env, args ...string) (stdout, stderr string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := e.Command(ctx, suite.Starter, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// starterJSON runs the starter with args and decodes its JSON output into
// v (nil: the output is not read). `run --json` prints a part of
// workflows.PipelineResult, under its keys: the ids, accounting and rows.
func starterJSON(t *testing.T, e *harness.Env, v any, args ...string) {
	t.Helper()
	out, errOut, err := starter(e, args...)
	if err != nil {
		t.Fatalf("starter %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	if v != nil {
		if err := json.Unmarshal([]byte(out), v); err != nil {
			t.Fatalf("starter %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// TestEndToEnd runs the pipeline on a real dev server and a real DuckDB file:
// generated data with invalid lines and duplicates gives tables holding
// exactly the generator's distinct rows; a second run in merge mode changes
// nothing; recreate, then replace, gives the same tables again.
func TestEndToEnd(t *testing.T) {
	e, sum := e2eEnv(t, sampledata.Options{Files: 12, Sessions: 3000, Days: 3, Seed: 11, InvalidRate: 0.05, DuplicateRate: 0.1})
	// Small batches and pages so the run has several of each, and a window.
	e.Vars["CLICKSTREAM_PIPELINE_BATCH_OBJECTS"] = "2"
	e.Vars["CLICKSTREAM_PIPELINE_PAGE_SIZE"] = "5"
	e.Vars["CLICKSTREAM_PIPELINE_PAGES_PER_RUN"] = "2"
	want := sum.Distinct().Rows()

	var first workflows.PipelineResult
	starterJSON(t, e, &first, "run", "--dev", "--json")
	if first.Accounting != sum.Expected {
		t.Fatalf("accounting = %+v\n generator = %+v", first.Accounting, sum.Expected)
	}
	for table, n := range want {
		if first.Rows[table] != n || first.RowsAdded[table] != n {
			t.Errorf("%s: %d rows (+%d), want the %d distinct rows", table, first.Rows[table], first.RowsAdded[table], n)
		}
	}

	var merge workflows.PipelineResult
	starterJSON(t, e, &merge, "run", "--dev", "--json", "--mode", "merge")
	if merge.Accounting != sum.Expected {
		t.Errorf("merge accounting = %+v", merge.Accounting)
	}
	for table, n := range want {
		if merge.Rows[table] != n || merge.RowsAdded[table] != 0 {
			t.Errorf("merge changed %s: %d rows (+%d), want %d (+0)", table, merge.Rows[table], merge.RowsAdded[table], n)
		}
	}

	before := e.Digests("run_id")
	starterJSON(t, e, nil, "recreate", "--dev")
	var empty []map[string]any
	starterJSON(t, e, &empty, "query", "--json", "SELECT count(*) AS n FROM clickstream_dw.sessions")
	if len(empty) != 1 || fmt.Sprint(empty[0]["n"]) != "0" {
		t.Fatalf("after recreate sessions holds %v", empty)
	}
	var again workflows.PipelineResult
	starterJSON(t, e, &again, "run", "--dev", "--json", "--recreate")
	for table, n := range want {
		if again.Rows[table] != n {
			t.Errorf("after recreate and replace %s has %d rows, want %d", table, again.Rows[table], n)
		}
	}
	after := e.Digests("run_id")
	for table := range before {
		if before[table] != after[table] {
			t.Errorf("%s: contents after recreate+replace differ from the first run's", table)
		}
	}
	if *updateHistories {
		saveHistories(t, e, first)
	}
}

// TestRunFailsOnMissingSource: a run whose source does not exist fails at
// once with a non-retryable error naming the folder, and the starter exits
// non-zero with it.
func TestRunFailsOnMissingSource(t *testing.T) {
	e, _ := e2eEnv(t, sampledata.Options{Files: 1, Sessions: 10, Seed: 1})
	start := time.Now()
	_, stderr, err := starter(e, "run", "--dev", "--source", "no/such/folder")
	if err == nil || !strings.Contains(stderr, "no/such/folder") || !strings.Contains(stderr, "ConfigError") {
		t.Fatalf("err = %v, stderr %q: want a failure, a ConfigError naming no/such/folder", err, stderr)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("failing took %s: a missing folder must not be retried", took)
	}
}
