//go:build unix

package devserver

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// cli returns an installed temporal CLI, or skips: building one takes
// minutes, too long for a test.
func cli(t *testing.T) string {
	t.Helper()
	path, _, err := findBinary(t.Context())
	if err != nil || path == "" {
		t.Skipf("temporal CLI not installed (%v); install it with go install %s@%s", err, cliPackage, CLIVersion)
	}
	return path
}

func freePort(t *testing.T) int {
	t.Helper()
	p, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func echoWorkflow(ctx workflow.Context, in string) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	var out string
	err := workflow.ExecuteActivity(ctx, echoActivity, in).Get(ctx, &out)
	return out, err
}

func echoActivity(_ context.Context, in string) (string, error) { return in, nil }

const taskQueue = "devserver-test"

func dialTest(t *testing.T, address string) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{
		HostPort: address,
		Logger:   sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)),
	})
	if err != nil {
		t.Fatalf("dialing %s: %v", address, err)
	}
	t.Cleanup(c.Close)
	return c
}

// runEcho runs one echoWorkflow to completion and returns how long it took.
func runEcho(t *testing.T, c client.Client, id string) time.Duration {
	t.Helper()
	begin := time.Now()
	run, err := c.ExecuteWorkflow(t.Context(), client.StartWorkflowOptions{ID: id, TaskQueue: taskQueue}, echoWorkflow, id)
	if err != nil {
		t.Fatalf("starting workflow %s: %v", id, err)
	}
	var out string
	if err := run.Get(t.Context(), &out); err != nil {
		t.Fatalf("workflow %s: %v", id, err)
	}
	if out != id {
		t.Fatalf("workflow %s returned %q", id, out)
	}
	return time.Since(begin)
}

// groupGone reports whether no process is left in the group pid led.
func groupGone(pid int) bool {
	return errors.Is(syscall.Kill(-pid, 0), syscall.ESRCH) && errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// TestServer runs one server through its life: start, serve a workflow and
// the UI, stop, start again on the same file and find the workflow there.
func TestServer(t *testing.T) {
	bin := cli(t)
	t.Logf("temporal CLI %s, version %s", bin, cliVersion(t.Context(), bin))
	db := filepath.Join(t.TempDir(), "data", "nested", "temporal.db")
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	opts := Options{Address: addr, UIPort: freePort(t), DBFile: db, Binary: bin, Log: t.Output()}

	if Answering(t.Context(), addr, time.Second) {
		t.Fatalf("Answering(%s) before start = true", addr)
	}

	begin := time.Now()
	s, err := Start(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	t.Logf("first start (new database): ready in %s", time.Since(begin).Round(time.Millisecond))
	if s.Address() != addr {
		t.Errorf("Address = %q, want %q", s.Address(), addr)
	}
	if !Answering(t.Context(), addr, 5*time.Second) {
		t.Errorf("Answering(%s) on the running server = false", addr)
	}

	c := dialTest(t, s.Address())
	if _, err := c.CheckHealth(t.Context(), &client.CheckHealthRequest{}); err != nil {
		t.Fatalf("CheckHealth: %v", err)
	}
	w := worker.New(c, taskQueue, worker.Options{})
	w.RegisterWorkflow(echoWorkflow)
	w.RegisterActivity(echoActivity)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	first := runEcho(t, c, "persisted")
	var took []time.Duration
	for i := range 10 {
		took = append(took, runEcho(t, c, "echo-"+strconv.Itoa(i)))
	}
	w.Stop()
	slices.Sort(took)
	t.Logf("one-activity workflow, start to result: first %s; next 10: min %s, median %s, max %s",
		first.Round(time.Millisecond), took[0].Round(time.Millisecond), took[5].Round(time.Millisecond), took[9].Round(time.Millisecond))

	resp, err := http.Get(s.UIURL())
	if err != nil {
		t.Fatalf("Web UI: %v", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("Web UI %s: status %d, want 200", s.UIURL(), resp.StatusCode)
	}
	if fi, err := os.Stat(filepath.Join(filepath.Dir(db), serverLogName)); err != nil {
		t.Errorf("server log: %v", err)
	} else {
		t.Logf("server log: %d bytes", fi.Size())
	}

	pid := s.proc.Pid
	begin = time.Now()
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	t.Logf("stopped in %s", time.Since(begin).Round(time.Millisecond))
	if !groupGone(pid) {
		t.Errorf("process %d or its group still alive after Stop", pid)
	}
	select {
	case <-s.Done():
	default:
		t.Error("Done not closed after Stop")
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if Answering(t.Context(), addr, time.Second) {
		t.Errorf("Answering(%s) after Stop = true", addr)
	}

	// Same ports, same file: Stop freed the ports and the file kept the run.
	begin = time.Now()
	s2, err := Start(t.Context(), opts)
	if err != nil {
		t.Fatalf("second start: %v", err)
	}
	t.Cleanup(func() { _ = s2.Stop() })
	t.Logf("second start (existing database): ready in %s", time.Since(begin).Round(time.Millisecond))
	c2 := dialTest(t, s2.Address())
	desc, err := c2.DescribeWorkflowExecution(t.Context(), "persisted", "")
	if err != nil {
		t.Fatalf("describing the workflow of the first run: %v", err)
	}
	if st := desc.GetWorkflowExecutionInfo().GetStatus(); st != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		t.Errorf("workflow of the first run: status %s, want completed", st)
	}
	if err := s2.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
}

func TestStartPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	taken := l.Addr().(*net.TCPAddr).Port

	tests := []struct {
		name string
		opts Options
	}{
		{name: "gRPC port", opts: Options{Address: "127.0.0.1:" + strconv.Itoa(taken), UIPort: -1}},
		{name: "UI port", opts: Options{Address: "127.0.0.1:" + strconv.Itoa(freePort(t)), UIPort: taken}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.DBFile = filepath.Join(t.TempDir(), "temporal.db")
			tt.opts.Binary = "/nonexistent/temporal" // fails before it is needed
			begin := time.Now()
			_, err := Start(t.Context(), tt.opts)
			if !errors.Is(err, ErrPortInUse) {
				t.Fatalf("err = %v, want ErrPortInUse", err)
			}
			if !strings.Contains(err.Error(), strconv.Itoa(taken)) {
				t.Errorf("err = %v, want it to name port %d", err, taken)
			}
			if d := time.Since(begin); d > time.Second {
				t.Errorf("took %s to fail", d)
			}
		})
	}
}

func TestStartExitsEarly(t *testing.T) {
	real := cli(t)
	fake := filepath.Join(t.TempDir(), "temporal")
	writeScript(t, fake, "#!/bin/sh\necho 'starting'\necho \"can't set frontend port: bind: address already in use\" >&2\nexit 1\n")
	tests := []struct {
		name         string
		binary       string
		dbIsFolder   bool
		wantInOutput string
	}{
		// A database path the server cannot open: the real CLI exits at once.
		{name: "real CLI, database unusable", binary: real, dbIsFolder: true, wantInOutput: "unable to open database file"},
		{name: "output quoted", binary: fake, wantInOutput: "address already in use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "temporal.db")
			if tt.dbIsFolder {
				if err := os.Mkdir(db, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			begin := time.Now()
			_, err := Start(t.Context(), Options{
				Address: "127.0.0.1:" + strconv.Itoa(freePort(t)),
				UIPort:  -1,
				DBFile:  db,
				Binary:  tt.binary,
			})
			if !errors.Is(err, ErrExited) {
				t.Fatalf("err = %v, want ErrExited", err)
			}
			if !strings.Contains(err.Error(), tt.wantInOutput) {
				t.Errorf("err = %v, want it to quote %q", err, tt.wantInOutput)
			}
			if d := time.Since(begin); d > 5*time.Second {
				t.Errorf("took %s to fail", d)
			}
			t.Logf("failed in %s: %v", time.Since(begin).Round(time.Millisecond), err)
		})
	}
}
