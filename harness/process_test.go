package harness

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

const helperEnv = "HARNESS_TEST_HELPER"

// TestHelperProcess is not a test: run by the tests below as a child
// process, it prints its environment's HARNESS_TEST_VALUE, then, as
// HARNESS_TEST_HELPER says, waits for an interrupt and exits 0 ("wait"),
// ignores interrupts until it is killed ("ignore"), or fails at once with
// status 3.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		t.Skip("run by the process tests")
	}
	fmt.Printf("value=%s\n", os.Getenv("HARNESS_TEST_VALUE"))
	switch mode {
	case "wait":
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, os.Interrupt)
		<-ch
		os.Exit(0)
	case "ignore":
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, os.Interrupt) // and never reads it: only SIGKILL ends it
		select {}
	default:
		fmt.Fprintln(os.Stderr, "failing as asked")
		os.Exit(3)
	}
}

func helper(t *testing.T, mode string, extra ...string) (*Process, string) {
	t.Helper()
	log := filepath.Join(t.TempDir(), "helper.log")
	env := Environ(map[string]string{helperEnv: mode}, extra...)
	p, err := StartProcess(os.Args[0], ProcessOptions{Args: []string{"-test.run=^TestHelperProcess$"}, Env: env, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	return p, log
}

// waitForLog waits until the process has written want to its log.
func waitForLog(t *testing.T, log, want string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		b, _ := os.ReadFile(log)
		if strings.Contains(string(b), want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the log never said %q: %q", want, b)
		}
		time.Sleep(10 * time.Millisecond) // polling a file, not standing in for synchronisation
	}
}

// TestProcessStop: Stop interrupts a process that handles interrupts (it
// exits 0) and kills one that does not, after the grace period; Kill kills.
func TestProcessStop(t *testing.T) {
	p, log := helper(t, "wait", "HARNESS_TEST_VALUE=set")
	waitForLog(t, log, "value=set")
	p.Stop(time.Minute)
	if err := p.Err(); err != nil {
		t.Errorf("interrupted process exited with %v, want 0", err)
	}

	p, log = helper(t, "ignore")
	waitForLog(t, log, "value=")
	start := time.Now()
	p.Stop(200 * time.Millisecond)
	if took := time.Since(start); took < 200*time.Millisecond {
		t.Errorf("stopped after %s, before the grace period", took)
	}
	if p.Err() == nil {
		t.Error("killed process exited 0")
	}

	p, log = helper(t, "wait")
	waitForLog(t, log, "value=")
	p.Kill()
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signal() != syscall.SIGKILL {
		t.Errorf("Kill: %v", p.cmd.ProcessState)
	}
}

// TestProcessExited: a process that fails on its own closes Done, and
// Exited names it, its status and the end of its log.
func TestProcessExited(t *testing.T) {
	p, _ := helper(t, "fail")
	select {
	case <-p.Done():
	case <-time.After(time.Minute):
		t.Fatal("the process did not exit")
	}
	err := p.Exited()
	for _, want := range []string{"the " + filepath.Base(os.Args[0]) + " exited", "exit status 3", "failing as asked"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Exited() = %q, want it to contain %q", err, want)
		}
	}
}

func TestEnviron(t *testing.T) {
	t.Setenv("HARNESS_TEST_KEPT", "kept")
	t.Setenv("HARNESS_TEST_OVER", "old")
	env := Environ(map[string]string{"HARNESS_TEST_OVER": "var", "HARNESS_TEST_NEW": "new"}, "HARNESS_TEST_NEW=extra", "HARNESS_TEST_X=1=2")
	got := map[string][]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		got[k] = append(got[k], v)
	}
	for k, want := range map[string]string{"HARNESS_TEST_KEPT": "kept", "HARNESS_TEST_OVER": "var", "HARNESS_TEST_NEW": "extra", "HARNESS_TEST_X": "1=2"} {
		if !slices.Equal(got[k], []string{want}) {
			t.Errorf("%s = %q, want just %q", k, got[k], want)
		}
	}
}

func TestModuleRoot(t *testing.T) {
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	if filepath.Dir(wd) != root {
		t.Errorf("ModuleRoot() = %s, want the parent of %s", root, wd)
	}
	t.Chdir(t.TempDir()) // no module above: found from the source
	if again, err := ModuleRoot(); err != nil || again != root {
		t.Errorf("outside the module: %s, %v; want %s", again, err, root)
	}
}
