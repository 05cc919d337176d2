package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/devserver"
	"github.com/clickstream-platform/clickstream/sampledata"
)

var updateHistories = flag.Bool("update-histories", false, "rewrite the workflow histories in ../workflows/testdata from an end-to-end run")

// server is the Temporal dev server shared by this package's end-to-end
// tests; each test uses its own task queue and folders.
var server struct {
	addr string
	err  error
}

// pkgDir is this package's folder; tests change directory.
var pkgDir, _ = os.Getwd()

func TestMain(m *testing.M) {
	flag.Parse()
	code := func() int {
		if testing.Short() {
			return m.Run()
		}
		dir, err := os.MkdirTemp("", "clickstream-e2e-")
		if err != nil {
			server.err = err
			return m.Run()
		}
		defer os.RemoveAll(dir)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute) // may build the CLI once
		defer cancel()
		srv, err := devserver.StartOnFreePort(ctx, devserver.Options{
			UIPort: -1, DBFile: filepath.Join(dir, "temporal.db"), Log: os.Stderr,
		})
		if err != nil {
			server.err = err
			return m.Run()
		}
		defer srv.Stop()
		server.addr = srv.Address()
		return m.Run()
	}()
	os.Exit(code)
}

var queues atomic.Int64

// e2eEnv points the starter at the shared server, a task queue of its own,
// and folders under a temporary working directory, and generates input.
func e2eEnv(t *testing.T, opts sampledata.Options) sampledata.Summary {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: needs the Temporal dev server")
	}
	if server.err != nil {
		t.Fatalf("starting the Temporal dev server: %v", server.err)
	}
	t.Chdir(t.TempDir())
	t.Setenv("CLICKSTREAM_TEMPORAL_ADDRESS", server.addr)
	t.Setenv("CLICKSTREAM_TEMPORAL_TASK_QUEUE", fmt.Sprintf("e2e-%d-%d", os.Getpid(), queues.Add(1)))
	t.Setenv("CLICKSTREAM_METRICS_ADDRESS", "127.0.0.1:0") // never the default port a worker of this machine may hold
	sum, err := sampledata.Generate("data/source", opts)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// starterJSON runs the starter with args and decodes its JSON output.
func starterJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	cmd := newRootCmd()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := cmd.ExecuteContext(ctx); err != nil {
		t.Fatalf("starter %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	if v != nil {
		if err := json.Unmarshal(out.Bytes(), v); err != nil {
			t.Fatalf("starter %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
	}
}

func distinctRows(sum sampledata.Summary) map[string]int64 {
	return map[string]int64{
		clickstream.VisitsTable: sum.DistinctSessions, clickstream.SessionsTable: sum.DistinctSessions,
		clickstream.PageviewsTable: sum.DistinctPageviews, clickstream.AddtocartsTable: sum.DistinctAddtocarts,
		clickstream.PurchasesTable: sum.DistinctPurchases,
	}
}

// TestEndToEnd runs the pipeline on a real dev server and a real DuckDB file:
// generated data with invalid lines and duplicates gives tables holding
// exactly the generator's distinct rows; a second run in merge mode changes
// nothing; recreate, then replace, gives the same tables again.
func TestEndToEnd(t *testing.T) {
	sum := e2eEnv(t, sampledata.Options{Files: 12, Sessions: 3000, Days: 3, Seed: 11, InvalidRate: 0.05, DuplicateRate: 0.1})
	// Small batches and pages so the run has several of each, and a window.
	t.Setenv("CLICKSTREAM_PIPELINE_BATCH_OBJECTS", "2")
	t.Setenv("CLICKSTREAM_PIPELINE_PAGE_SIZE", "5")
	t.Setenv("CLICKSTREAM_PIPELINE_PAGES_PER_RUN", "2")
	want := distinctRows(sum)

	var first runResultJSON
	starterJSON(t, &first, "run", "--dev", "--json")
	if first.Accounting != sum.Expected {
		t.Fatalf("accounting = %+v\n generator = %+v", first.Accounting, sum.Expected)
	}
	for table, n := range want {
		if first.Rows[table] != n || first.RowsAdded[table] != n {
			t.Errorf("%s: %d rows (+%d), want the %d distinct rows", table, first.Rows[table], first.RowsAdded[table], n)
		}
	}

	var merge runResultJSON
	starterJSON(t, &merge, "run", "--dev", "--json", "--mode", "merge")
	if merge.Accounting != sum.Expected {
		t.Errorf("merge accounting = %+v", merge.Accounting)
	}
	for table, n := range want {
		if merge.Rows[table] != n || merge.RowsAdded[table] != 0 {
			t.Errorf("merge changed %s: %d rows (+%d), want %d (+0)", table, merge.Rows[table], merge.RowsAdded[table], n)
		}
	}

	before := tableDigests(t)
	starterJSON(t, nil, "recreate", "--dev")
	var empty []map[string]any
	starterJSON(t, &empty, "query", "--json", "SELECT count(*) AS n FROM clickstream_dw.sessions")
	if len(empty) != 1 || fmt.Sprint(empty[0]["n"]) != "0" {
		t.Fatalf("after recreate sessions holds %v", empty)
	}
	var again runResultJSON
	starterJSON(t, &again, "run", "--dev", "--json", "--recreate")
	for table, n := range want {
		if again.Rows[table] != n {
			t.Errorf("after recreate and replace %s has %d rows, want %d", table, again.Rows[table], n)
		}
	}
	after := tableDigests(t)
	for table := range before {
		if before[table] != after[table] {
			t.Errorf("%s: contents after recreate+replace differ from the first run's", table)
		}
	}
	if *updateHistories {
		saveHistories(t, first)
	}
}

// tableDigests is a checksum of each table's contents, lineage's run_id left
// out (each run has its own).
func tableDigests(t *testing.T) map[string]string {
	t.Helper()
	return tableDigestsWithout(t, "run_id")
}

// TestRunFailsOnMissingSource: a run whose source does not exist fails at
// once with a non-retryable error naming the folder, and the starter exits
// non-zero with it.
func TestRunFailsOnMissingSource(t *testing.T) {
	e2eEnv(t, sampledata.Options{Files: 1, Sessions: 10, Seed: 1})
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs([]string{"run", "--dev", "--source", "no/such/folder"})
	start := time.Now()
	err := cmd.ExecuteContext(context.Background())
	if err == nil || !strings.Contains(err.Error(), "no/such/folder") || !strings.Contains(err.Error(), "ConfigError") {
		t.Fatalf("err = %v, want a ConfigError naming no/such/folder", err)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("failing took %s: a missing folder must not be retried", took)
	}
}

// saveHistories writes the histories of a finished run's workflows for the
// replay tests in package workflows: the pipeline's first execution (which
// continued as new), its last one, a batch child, and the recreate workflow.
func saveHistories(t *testing.T, res runResultJSON) {
	t.Helper()
	r := newHistoryRecorder(t)
	first := r.save("pipeline_first_execution.json", res.WorkflowID, res.RunID)
	r.save("pipeline_last_execution.json", res.WorkflowID, r.latest(res.WorkflowID))
	for _, ev := range first {
		if a := ev.GetChildWorkflowExecutionStartedEventAttributes(); a != nil && a.GetWorkflowType().GetName() == "BatchWorkflow" {
			ex := a.GetWorkflowExecution()
			r.save("batch.json", ex.GetWorkflowId(), ex.GetRunId())
			break
		}
	}
	r.save("recreate_tables.json", "clickstream-recreate-tables", r.latest("clickstream-recreate-tables"))
	r.writeIndex()
}

// historyRecorder writes workflow histories into ../workflows/testdata and
// keeps their index, histories.json, up to date.
type historyRecorder struct {
	t     *testing.T
	c     client.Client
	index map[string]map[string]string // file -> workflow_id, run_id
	file  string
}

func newHistoryRecorder(t *testing.T) *historyRecorder {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: server.addr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	r := &historyRecorder{t: t, c: c, index: map[string]map[string]string{},
		file: filepath.Join(pkgDir, "..", "workflows", "testdata", "histories.json")}
	if b, err := os.ReadFile(r.file); err == nil {
		if err := json.Unmarshal(b, &r.index); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// save writes the history of one execution to file and returns it.
func (r *historyRecorder) save(file, id, runID string) []*historypb.HistoryEvent {
	iter := r.c.GetWorkflowHistory(context.Background(), id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var events []*historypb.HistoryEvent
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			r.t.Fatal(err)
		}
		events = append(events, ev)
	}
	r.index[file] = map[string]string{"workflow_id": id, "run_id": runID}
	b, err := protojson.MarshalOptions{Indent: " "}.Marshal(&historypb.History{Events: events})
	if err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(r.file), file), b, 0o644); err != nil {
		r.t.Fatal(err)
	}
	return events
}

// latest is the run id of a workflow's latest execution.
func (r *historyRecorder) latest(id string) string {
	d, err := r.c.DescribeWorkflowExecution(context.Background(), id, "")
	if err != nil {
		r.t.Fatal(err)
	}
	return d.GetWorkflowExecutionInfo().GetExecution().GetRunId()
}

func (r *historyRecorder) writeIndex() {
	b, err := json.MarshalIndent(r.index, "", "  ")
	if err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(r.file, append(b, '\n'), 0o644); err != nil {
		r.t.Fatal(err)
	}
}
