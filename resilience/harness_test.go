package resilience

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/devserver"
	"github.com/clickstream-platform/clickstream/sampledata"
	"github.com/clickstream-platform/clickstream/warehouse/duckdb"
	"github.com/clickstream-platform/clickstream/workflows"
)

// long turns on the long variants (more seeds, bigger inputs).
var long = flag.Bool("long", false, "run the long variants of the resilience tests")

// workerBin is the worker binary built once for the package.
var workerBin string

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(func() int {
		if testing.Short() {
			return m.Run()
		}
		dir, err := os.MkdirTemp("", "clickstream-resilience-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		workerBin = filepath.Join(dir, "worker")
		if out, err := exec.Command("go", "build", "-o", workerBin, "../worker").CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building the worker: %v\n%s", err, out)
			return 1
		}
		return m.Run()
	}())
}

// Env is one isolated platform: a dev server persisted in its own folder,
// its own task queue, folders and DuckDB file, and the environment a worker
// process gets.
type Env struct {
	T      *testing.T
	Dir    string
	Server *devserver.Server
	DBFile string
	Vars   map[string]string // CLICKSTREAM_* for worker processes
	Client client.Client

	mu      sync.Mutex
	workers []*Worker
}

// NewEnv starts a dev server and prepares folders; Close (via t.Cleanup)
// stops everything it started.
func NewEnv(t *testing.T) *Env {
	t.Helper()
	if testing.Short() {
		t.Skip("resilience: starts servers and worker processes")
	}
	dir := t.TempDir()
	e := &Env{T: t, Dir: dir, DBFile: filepath.Join(dir, "temporal.db")}
	e.StartServer(0)
	e.Vars = map[string]string{
		"CLICKSTREAM_TEMPORAL_ADDRESS":      e.Server.Address(),
		"CLICKSTREAM_TEMPORAL_TASK_QUEUE":   "resilience",
		"CLICKSTREAM_SOURCE_URI":            filepath.Join(dir, "source"),
		"CLICKSTREAM_STAGING_URI":           filepath.Join(dir, "staging"),
		"CLICKSTREAM_DEADLETTER_URI":        filepath.Join(dir, "deadletter"),
		"CLICKSTREAM_WAREHOUSE_DUCKDB_PATH": filepath.Join(dir, "warehouse.duckdb"),
		"CLICKSTREAM_METRICS_ADDRESS":       "127.0.0.1:0", // a free port each: workers run side by side
	}
	t.Cleanup(e.Close)
	return e
}

// StartServer starts (or restarts) the dev server on the env's database
// file; port 0 picks a free port, otherwise the given one is reused.
func (e *Env) StartServer(port int) {
	e.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	opts := devserver.Options{Address: fmt.Sprintf("127.0.0.1:%d", port), UIPort: -1, DBFile: e.DBFile}
	start := devserver.Start
	if port == 0 {
		start = devserver.StartOnFreePort
	}
	srv, err := start(ctx, opts)
	if err != nil {
		e.T.Fatal(err)
	}
	e.Server = srv
	if e.Client == nil {
		c, err := client.Dial(client.Options{HostPort: srv.Address()})
		if err != nil {
			e.T.Fatal(err)
		}
		e.Client = c
	}
}

// Close kills the workers and stops the server.
func (e *Env) Close() {
	e.mu.Lock()
	for _, w := range e.workers {
		w.Kill()
	}
	e.mu.Unlock()
	if e.Client != nil {
		e.Client.Close()
	}
	if e.Server != nil {
		e.Server.Stop()
	}
}

// Generate writes input into the source folder and returns its summary.
func (e *Env) Generate(opts sampledata.Options) sampledata.Summary {
	e.T.Helper()
	sum, err := sampledata.Generate(e.Vars["CLICKSTREAM_SOURCE_URI"], opts)
	if err != nil {
		e.T.Fatal(err)
	}
	return sum
}

// Worker is a worker OS process; its log (stderr) goes to a file of the env.
type Worker struct {
	cmd  *exec.Cmd
	done chan struct{}
	once sync.Once
}

// StartWorker starts a worker process with the env's variables plus extra.
func (e *Env) StartWorker(extra ...string) *Worker {
	e.T.Helper()
	logf, err := os.OpenFile(filepath.Join(e.Dir, "worker.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		e.T.Fatal(err)
	}
	cmd := exec.Command(workerBin)
	cmd.Dir = e.Dir
	cmd.Env = os.Environ()
	for k, v := range e.Vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Env = append(cmd.Env, extra...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		e.T.Fatal(err)
	}
	w := &Worker{cmd: cmd, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		logf.Close()
		close(w.done)
	}()
	e.mu.Lock()
	e.workers = append(e.workers, w)
	e.mu.Unlock()
	return w
}

// Kill SIGKILLs the worker and waits for it to be gone.
func (w *Worker) Kill() {
	w.once.Do(func() { w.cmd.Process.Signal(syscall.SIGKILL) })
	<-w.done
}

// WorkerLog returns everything the env's workers logged so far.
func (e *Env) WorkerLog() string {
	b, _ := os.ReadFile(filepath.Join(e.Dir, "worker.log"))
	return string(b)
}

var batchLine = regexp.MustCompile(`msg="(batch transform started|batch transform resumed|batch transformed|batch already transformed)".* batch=(\S+)`)

// BatchEvents counts, per batch id, the log lines of each kind the
// transform activity writes ("batch transform started", "batch transformed", ...).
func (e *Env) BatchEvents() map[string]map[string]int {
	out := map[string]map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(e.WorkerLog()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		m := batchLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		if out[m[2]] == nil {
			out[m[2]] = map[string]int{}
		}
		out[m[2]][m[1]]++
	}
	return out
}

// StartPipeline starts a PipelineWorkflow with id and input.
func (e *Env) StartPipeline(id string, in workflows.PipelineInput) client.WorkflowRun {
	e.T.Helper()
	run, err := e.Client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID: id, TaskQueue: e.Vars["CLICKSTREAM_TEMPORAL_TASK_QUEUE"],
	}, workflows.PipelineWorkflow, in)
	if err != nil {
		e.T.Fatal(err)
	}
	return run
}

// Wait waits for a run's result, failing the test after timeout.
func (e *Env) Wait(run client.WorkflowRun, timeout time.Duration) (workflows.PipelineResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var res workflows.PipelineResult
	// Get follows the chain of continue-as-new executions to the last one.
	err := e.Client.GetWorkflow(ctx, run.GetID(), "").Get(ctx, &res)
	return res, err
}

// Progress queries a run's progress (an error while it is between executions).
func (e *Env) Progress(id string) (workflows.Progress, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var p workflows.Progress
	v, err := e.Client.QueryWorkflow(ctx, id, "", workflows.ProgressQuery)
	if err == nil {
		err = v.Get(&p)
	}
	return p, err
}

// Digests is a checksum of every table's contents, per table, leaving out the
// given columns (run_id differs between runs; source_object between sources).
func (e *Env) Digests(exclude ...string) map[string]string {
	e.T.Helper()
	d, err := duckdb.Open(duckdb.Options{Path: e.Vars["CLICKSTREAM_WAREHOUSE_DUCKDB_PATH"], ReadOnly: true})
	if err != nil {
		e.T.Fatal(err)
	}
	defer d.Close()
	out := map[string]string{}
	ex := ""
	if len(exclude) > 0 {
		ex = " EXCLUDE (" + strings.Join(exclude, ", ") + ")"
	}
	for _, t := range clickstream.Tables() {
		_, rows, err := d.Query(context.Background(), fmt.Sprintf(
			"SELECT count(*), sum(hash(r)) FROM (SELECT *%s FROM %s) r", ex, d.TableName(t.Name)))
		if err != nil {
			e.T.Fatal(err)
		}
		out[t.Name] = fmt.Sprint(rows)
	}
	return out
}
