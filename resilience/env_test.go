package resilience

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/clickstream-platform/clickstream/harness"
)

// long turns on the long variants (more seeds, bigger inputs).
var long = flag.Bool("long", false, "run the long variants of the resilience tests")

// suite holds the worker and starter binaries, built once for the package,
// and the folder of the input the tests share.
var suite *harness.Suite

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(func() int {
		if testing.Short() {
			return m.Run()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		s, err := harness.NewSuite(ctx, harness.SuiteOptions{})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer s.Close()
		suite = s
		return m.Run()
	}())
}

// Env is one isolated platform (harness.Env): a dev server persisted in its
// own folder, the task queue "resilience", and the folders and DuckDB file
// of its worker processes, by absolute path, in that folder.
type Env struct {
	*harness.Env
	T *testing.T
}

// NewEnv starts a dev server and prepares folders; everything it started
// ends with the test.
func NewEnv(t *testing.T) *Env {
	t.Helper()
	if testing.Short() {
		t.Skip("resilience: starts servers and worker processes")
	}
	e := harness.NewEnv(t, harness.EnvOptions{Binaries: suite.Binaries, TaskQueue: "resilience"})
	for key, name := range map[string]string{
		"CLICKSTREAM_SOURCE_URI":            "source",
		"CLICKSTREAM_STAGING_URI":           "staging",
		"CLICKSTREAM_DEADLETTER_URI":        "deadletter",
		"CLICKSTREAM_WAREHOUSE_DUCKDB_PATH": "warehouse.duckdb",
	} {
		e.Vars[key] = filepath.Join(e.Dir, name)
	}
	return &Env{Env: e, T: t}
}

var batchLine = regexp.MustCompile(`msg="(batch transform started|batch transform resumed|batch transformed|batch already transformed)".* batch=(\S+)`)

// BatchEvents counts, per batch id, the log lines of each kind the
// transform activity writes ("batch transform started", "batch transformed", ...).
func (e *Env) BatchEvents() map[string]map[string]int {
	out := map[string]map[string]int{}
	for _, ev := range batchLog(e) {
		if out[ev.batch] == nil {
			out[ev.batch] = map[string]int{}
		}
		out[ev.batch][ev.kind]++
	}
	return out
}
