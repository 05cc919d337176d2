package devserver

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/worker"
)

// TestParentKilled SIGKILLs a process that started a server and ran a
// workflow on it: the kernel must end the server (Pdeathsig), and the
// workflow must be in the database when a server starts on it again.
func TestParentKilled(t *testing.T) {
	bin := cli(t)
	if db := os.Getenv("DEVSERVER_TEST_PARENT_DB"); db != "" {
		parent(t, bin, db, os.Getenv("DEVSERVER_TEST_PARENT_ADDR"))
		return
	}
	db := filepath.Join(t.TempDir(), "temporal.db")
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	cmd := exec.Command(os.Args[0], "-test.run=^TestParentKilled$")
	cmd.Env = append(os.Environ(), "DEVSERVER_TEST_PARENT_DB="+db, "DEVSERVER_TEST_PARENT_ADDR="+addr)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := 0
	for sc := bufio.NewScanner(out); pid == 0 && sc.Scan(); {
		if v, ok := strings.CutPrefix(sc.Text(), "DEVSERVER_PID="); ok {
			pid, _ = strconv.Atoi(v)
		}
	}
	if pid == 0 {
		_ = cmd.Process.Kill()
		t.Fatalf("the parent process did not report a server: %v", cmd.Wait())
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	killed := time.Now()
	for !dead(pid) {
		if time.Since(killed) > 5*time.Second {
			t.Fatalf("server %d still running 5s after its parent was killed", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("server dead %s after its parent was killed", time.Since(killed).Round(time.Millisecond))

	s, err := Start(t.Context(), Options{Address: addr, UIPort: -1, DBFile: db, Binary: bin})
	if err != nil {
		t.Fatalf("starting on the database of the killed server: %v", err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	desc, err := dialTest(t, s.Address()).DescribeWorkflowExecution(t.Context(), "before-kill", "")
	if err != nil {
		t.Fatalf("describing the workflow run before the kill: %v", err)
	}
	if st := desc.GetWorkflowExecutionInfo().GetStatus(); st != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		t.Errorf("workflow run before the kill: status %s, want completed", st)
	}
}

// parent is the process TestParentKilled kills: it starts a server, runs a
// workflow, reports the server's pid and waits to be killed.
func parent(t *testing.T, bin, db, addr string) {
	s, err := Start(t.Context(), Options{Address: addr, UIPort: -1, DBFile: db, Binary: bin})
	if err != nil {
		t.Fatal(err)
	}
	c := dialTest(t, s.Address())
	w := worker.New(c, taskQueue, worker.Options{})
	w.RegisterWorkflow(echoWorkflow)
	w.RegisterActivity(echoActivity)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	runEcho(t, c, "before-kill")
	fmt.Printf("DEVSERVER_PID=%d\n", s.proc.Pid)
	time.Sleep(time.Minute) // killed long before
	t.Fatal("not killed")
}

// dead reports whether process pid has ended: gone, or a zombie that its new
// parent (init, once we killed its own) has not reaped yet. Its leader
// thread turns zombie first; it holds its files until all threads have.
func dead(pid int) bool {
	tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/stat")
	for _, task := range tasks {
		stat, err := os.ReadFile(task)
		if err != nil {
			continue
		}
		// "tid (comm) state ...": comm may hold spaces; the state follows ") ".
		if _, rest, _ := strings.Cut(string(stat), ") "); !strings.HasPrefix(rest, "Z") {
			return false
		}
	}
	return true
}
