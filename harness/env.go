package harness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/config"
	"github.com/clickstream-platform/clickstream/models"
	"github.com/clickstream-platform/clickstream/sampledata"
	"github.com/clickstream-platform/clickstream/warehouse/duckdb"
	"github.com/clickstream-platform/clickstream/workflows"
)

// TB is what Env needs of a test; *testing.T satisfies it.
type TB interface {
	Helper()
	Fatal(args ...any)
	Cleanup(func())
	TempDir() string
}

// serverStartTimeout bounds a dev server's start, which may build the
// temporal CLI first.
const serverStartTimeout = 10 * time.Minute

// EnvOptions configures NewEnv. Every field is optional: its zero value
// means its default.
type EnvOptions struct {
	// Binaries are what the env runs: StartWorker the worker. Optional:
	// default none (StartWorker fails the test).
	Binaries Binaries
	// Server is a server the env shares with others (a Suite's).
	// Optional: default a server of the env's own in Dir, stopped when the
	// test ends.
	Server *Server
	// TaskQueue is the env's task queue. Optional: default one of its own,
	// unique in this process.
	TaskQueue string
}

// envs numbers the default task queues.
var envs atomic.Int64

// Env is one test's platform: a folder, a dev server (its own or shared),
// the CLICKSTREAM_* variables of the processes it starts, a client, and
// the worker processes it started.
type Env struct {
	T TB
	// Dir is the env's folder: the working directory and log (worker.log)
	// of its processes, and the files of its own server.
	Dir    string
	Server *Server
	// Vars are the CLICKSTREAM_* variables of the env's processes, set over
	// this process's environment: at first the server's address, the task
	// queue and metrics on a free port. Set more before starting a process;
	// paths that are not absolute are relative to Dir.
	Vars map[string]string
	// Client is a client of the server, closed when the test ends.
	Client client.Client

	bins      Binaries
	ownServer bool
	mu        sync.Mutex
	workers   []*Process
}

// NewEnv prepares an env in a new temporary folder of t; everything it
// starts ends with the test.
func NewEnv(t TB, o EnvOptions) *Env {
	t.Helper()
	e := &Env{T: t, Dir: t.TempDir(), Server: o.Server, bins: o.Binaries}
	t.Cleanup(e.close)
	if e.Server == nil {
		ctx, cancel := context.WithTimeout(context.Background(), serverStartTimeout)
		defer cancel()
		srv, err := StartServer(ctx, ServerOptions{Dir: e.Dir})
		if err != nil {
			t.Fatal(err)
		}
		e.Server, e.ownServer = srv, true
	}
	queue := o.TaskQueue
	if queue == "" {
		queue = fmt.Sprintf("clickstream-harness-%d-%d", os.Getpid(), envs.Add(1))
	}
	e.Vars = map[string]string{
		"CLICKSTREAM_TEMPORAL_ADDRESS":    e.Server.Address(),
		"CLICKSTREAM_TEMPORAL_TASK_QUEUE": queue,
		// A free port each: workers run side by side, and never on the
		// default port, which a worker of this machine may hold.
		"CLICKSTREAM_METRICS_ADDRESS": "127.0.0.1:0",
	}
	c, err := client.Dial(client.Options{HostPort: e.Server.Address()})
	if err != nil {
		t.Fatal(err)
	}
	e.Client = c
	return e
}

// close kills the workers, closes the client and stops the env's own
// server.
func (e *Env) close() {
	e.mu.Lock()
	for _, w := range e.workers {
		w.Kill()
	}
	e.mu.Unlock()
	if e.Client != nil {
		e.Client.Close()
	}
	if e.ownServer {
		e.Server.Stop()
	}
}

// Environ is the environment of the env's processes: Environ(e.Vars,
// extra...).
func (e *Env) Environ(extra ...string) []string { return Environ(e.Vars, extra...) }

// Path is where the env's processes find the setting of key: its variable
// in Vars, else def (the configuration's default), relative to Dir unless
// absolute.
func (e *Env) Path(key, def string) string {
	p := e.Vars[key]
	if p == "" {
		p = def
	}
	if filepath.IsAbs(p) || strings.Contains(p, "://") {
		return p
	}
	return filepath.Join(e.Dir, p)
}

// SourceDir is the local folder the env's processes read input from.
func (e *Env) SourceDir() string {
	return e.Path("CLICKSTREAM_SOURCE_URI", config.Default().Source.URI)
}

// Generate writes sample data into SourceDir and returns its summary.
func (e *Env) Generate(opts sampledata.Options) sampledata.Summary {
	e.T.Helper()
	sum, err := sampledata.Generate(e.SourceDir(), opts)
	if err != nil {
		e.T.Fatal(err)
	}
	return sum
}

// Command is bin with args, to run in Dir with the env's environment.
func (e *Env) Command(ctx context.Context, bin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = e.Dir
	cmd.Env = e.Environ()
	return cmd
}

// StartWorker starts a worker process with the env's variables, then extra
// ("NAME=value") over them; it logs to Dir/worker.log.
func (e *Env) StartWorker(extra ...string) *Process {
	e.T.Helper()
	if e.bins.Worker == "" {
		e.T.Fatal("harness: the env has no worker binary (EnvOptions.Binaries)")
	}
	w, err := StartProcess(e.bins.Worker, ProcessOptions{Dir: e.Dir, Env: e.Environ(extra...), Log: e.workerLog()})
	if err != nil {
		e.T.Fatal(err)
	}
	e.mu.Lock()
	e.workers = append(e.workers, w)
	e.mu.Unlock()
	return w
}

// LastWorker is the worker started last, nil before the first.
func (e *Env) LastWorker() *Process {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.workers) == 0 {
		return nil
	}
	return e.workers[len(e.workers)-1]
}

func (e *Env) workerLog() string { return filepath.Join(e.Dir, "worker.log") }

// WorkerLog returns everything the env's workers logged so far.
func (e *Env) WorkerLog() string {
	b, _ := os.ReadFile(e.workerLog())
	return string(b)
}

// StartPipeline starts a PipelineWorkflow with id and input on the env's
// task queue.
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

// Wait waits up to timeout for a run's result.
func (e *Env) Wait(run client.WorkflowRun, timeout time.Duration) (workflows.PipelineResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var res workflows.PipelineResult
	// Get follows the chain of continue-as-new executions to the last one.
	err := e.Client.GetWorkflow(ctx, run.GetID(), "").Get(ctx, &res)
	return res, err
}

// Progress queries a run's progress (an error while it is between
// executions).
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

// Digests is a checksum of every table's contents in the env's DuckDB
// warehouse, per table, leaving out the given columns (run_id differs
// between runs; source_object between sources).
func (e *Env) Digests(exclude ...string) map[string]string {
	e.T.Helper()
	return e.digests(clickstream.Tables(), exclude)
}

// ModelDigests is a checksum of each derived table's contents (package
// models), per table.
func (e *Env) ModelDigests() map[string]string {
	e.T.Helper()
	return e.digests(models.Tables(), nil)
}

func (e *Env) digests(tables []clickstream.Table, exclude []string) map[string]string {
	e.T.Helper()
	path := e.Path("CLICKSTREAM_WAREHOUSE_DUCKDB_PATH", config.Default().Warehouse.DuckDB.Path)
	d, err := duckdb.Open(duckdb.Options{Path: path, ReadOnly: true})
	if err != nil {
		e.T.Fatal(err)
	}
	defer d.Close()
	out := map[string]string{}
	ex := ""
	if len(exclude) > 0 {
		ex = " EXCLUDE (" + strings.Join(exclude, ", ") + ")"
	}
	for _, t := range tables {
		// ga4_events exists once a GA4 run has loaded it (or recreate made
		// it): missing, it digests as empty.
		if t.Name == clickstream.GA4EventsTable {
			_, rows, err := d.Query(context.Background(), "SELECT count(*) FROM duckdb_tables() WHERE table_name = '"+t.Name+"'")
			if err != nil {
				e.T.Fatal(err)
			}
			if fmt.Sprint(rows) == "[[0]]" {
				out[t.Name] = "[[0 <nil>]]"
				continue
			}
		}
		_, rows, err := d.Query(context.Background(), fmt.Sprintf(
			"SELECT count(*), sum(hash(r)) FROM (SELECT *%s FROM %s) r", ex, d.TableName(t.Name)))
		if err != nil {
			e.T.Fatal(err)
		}
		out[t.Name] = fmt.Sprint(rows)
	}
	return out
}
