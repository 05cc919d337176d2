package resilience

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestServerRestart stops the Temporal dev server in the middle of a run,
// gracefully (SIGTERM) or not (SIGKILL), and starts it again on the same
// port and database file while the worker keeps running. The run must
// complete with the tables of a clean run, the generator's accounting, and
// no batch transformed again once finished.
func TestServerRestart(t *testing.T) {
	sc := sharedScenario(t)
	for _, seed := range seeds() {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(seed, 0x72657374))
			plan := restartPlan(rng, seed)
			t.Logf("restart points: %v", plan)
			e := sc.newEnv(t)
			e.StartWorker()
			start := time.Now()
			id := fmt.Sprintf("restart-%d", seed)
			run := e.StartPipeline(id, sc.input)
			w := &watch{e: e, id: id}
			for i, p := range plan {
				if !w.reach(p.killPoint) {
					t.Logf("restart %d (%v): the run ended first", i+1, p)
					break
				}
				down := time.Now()
				restartServer(e, p.crash, p.down)
				w.struck()
				t.Logf("restart %d (%v) at %s: %s; the server was down %s", i+1, p, down.Sub(start).Round(time.Millisecond),
					w.where, time.Since(down).Round(time.Millisecond))
			}
			res := sc.wait(e, run)
			t.Logf("run done in %s, %d executions", time.Since(start).Round(time.Millisecond), res.Executions)
			sc.check(e, res)
		})
	}
}

// restartPoint is where the server is restarted, and how it is stopped.
type restartPoint struct {
	killPoint
	crash bool          // SIGKILL rather than SIGTERM
	down  time.Duration // how long the server stays down, beyond stopping and starting
}

func (p restartPoint) String() string {
	how := "SIGTERM"
	if p.crash {
		how = "SIGKILL"
	}
	return fmt.Sprintf("%v, %s, down %s", p.killPoint, how, p.down)
}

// restartPlan draws a seed's restart points: the default seeds one each, in
// turn around listing, while loading and in the middle of a transform (down
// for 10s), alternately killed and stopped; the long variant up to three
// more anywhere, down for up to 30s.
func restartPlan(rng *rand.Rand, seed uint64) []restartPoint {
	phases := []string{"transforming", "listing", "loading"}
	kinds := []string{phases[seed%3]}
	if *long {
		for range rng.IntN(3) {
			kinds = append(kinds, phases[rng.IntN(len(phases))])
		}
	}
	var plan []restartPoint
	for i, p := range drawPoints(rng, kinds) {
		crash := rng.IntN(2) == 0
		var down time.Duration
		if rng.IntN(2) == 0 {
			// Long enough, at times, for the running activities' heartbeat
			// timeouts to expire meanwhile.
			down = time.Duration(rng.IntN(30)) * time.Second
		}
		if i == 0 && !*long {
			crash, down = seed%2 == 1, 0
			if p.Phase == "transforming" {
				down = 10 * time.Second // past the 8s the SDK waits for a heartbeat's answer
			}
		}
		plan = append(plan, restartPoint{killPoint: p, crash: crash, down: down})
	}
	return plan
}

// restartServer stops the env's dev server, gracefully or with SIGKILL, and
// starts it again on the same port and database file after down. The env's
// client and the worker reconnect on their own.
func restartServer(e *Env, crash bool, down time.Duration) {
	e.T.Helper()
	if crash && runtime.GOOS != "linux" {
		e.T.Log("no /proc to find the server's pid by: stopping it instead of killing it")
		crash = false
	}
	if crash {
		pid := serverPID(e)
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			e.T.Fatalf("killing the Temporal server (pid %d): %v", pid, err)
		}
		<-e.Server.Done()
	}
	_ = e.Server.Stop() // after a crash: an error saying it exited on its own
	time.Sleep(down)    // the outage, not a synchronisation
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := e.Server.Start(ctx); err != nil {
		e.T.Fatal(err)
	}
}

// serverPID finds the env's dev server process: the one whose command line
// names the env's database file.
func serverPID(e *Env) int {
	e.T.Helper()
	want := []byte("\x00" + e.Server.DBFile() + "\x00")
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		cmdline, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil || !bytes.Contains(cmdline, want) {
			continue
		}
		if pid, err := strconv.Atoi(filepath.Base(d)); err == nil {
			return pid
		}
	}
	e.T.Fatalf("no process runs a Temporal server on %s", e.Server.DBFile())
	return 0
}
