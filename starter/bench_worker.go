package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// rssEvery is how often the bench samples a process's resident memory.
const rssEvery = 50 * time.Millisecond

// modulePath is this module's path, to recognise its go.mod.
const modulePath = "github.com/clickstream-platform/clickstream"

// procStatusBytes reads a "kB" field of /proc/<pid>/status (pid "self" for
// this process), e.g. VmRSS or VmHWM, in bytes. It fails where there is no
// /proc.
func procStatusBytes(pid, field string) (int64, error) {
	b, err := os.ReadFile(filepath.Join("/proc", pid, "status"))
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%s/status: %s: %w", pid, field, err)
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("/proc/%s/status has no %s", pid, field)
}

// rssSample is one reading of a process's VmRSS.
type rssSample struct {
	at    time.Time
	bytes int64
}

// rssSamples are a process's VmRSS readings, in time order.
type rssSamples []rssSample

// peak returns the largest sample, 0 if none.
func (s rssSamples) peak() int64 { return s.peakIn(time.Time{}, time.Time{}) }

// peakIn returns the largest sample taken in [from, to], counting also the
// last sample before from and the first after to: a window shorter than the
// sampling interval still has a figure, never below what the process held.
// Zero bounds are open; 0 means no samples.
func (s rssSamples) peakIn(from, to time.Time) int64 {
	lo, hi := 0, len(s)
	if !from.IsZero() {
		for lo+1 < len(s) && !s[lo+1].at.After(from) {
			lo++
		}
	}
	if !to.IsZero() {
		for hi = lo; hi < len(s) && !s[hi].at.After(to); hi++ {
		}
		hi = min(hi+1, len(s))
	}
	var peak int64
	for _, x := range s[lo:hi] {
		peak = max(peak, x.bytes)
	}
	return peak
}

// sampleRSS samples pid's VmRSS every interval until stop is called, which
// returns the samples.
func sampleRSS(pid int, every time.Duration) (stop func() rssSamples) {
	id := strconv.Itoa(pid)
	var samples rssSamples
	sample := func() {
		if n, err := procStatusBytes(id, "VmRSS"); err == nil {
			samples = append(samples, rssSample{time.Now(), n})
		}
	}
	sample()
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				sample()
			}
		}
	}()
	return func() rssSamples {
		close(done)
		<-finished
		sample() // a last look, if it still runs
		return samples
	}
}

// benchWorkerBinary returns the worker binary the bench runs: --worker if
// given, else `worker` beside this executable, else one built from the
// module's source into dir.
func benchWorkerBinary(ctx context.Context, flag, dir string, log io.Writer) (string, error) {
	if flag != "" {
		if _, err := os.Stat(flag); err != nil {
			return "", fmt.Errorf("--worker: %w", err)
		}
		return filepath.Abs(flag)
	}
	name := "worker"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			fmt.Fprintf(log, "bench: using the worker beside the starter, %s\n", p)
			return p, nil
		}
	}
	root, err := moduleRoot()
	if err != nil {
		return "", fmt.Errorf("no worker binary beside the starter, and no source to build one (%w): pass --worker PATH", err)
	}
	out := filepath.Join(dir, name)
	fmt.Fprintf(log, "bench: building the worker (go build ./worker in %s)\n", root)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./worker")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the worker: %w\n%s", err, b)
	}
	return out, nil
}

// moduleRoot finds this module's source: the working directory or one of
// its parents, else where this file was compiled from.
func moduleRoot() (string, error) {
	var candidates []string
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			candidates = append(candidates, d)
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		candidates = append(candidates, filepath.Dir(filepath.Dir(file)))
	}
	for _, d := range candidates {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err != nil {
			continue
		}
		first, _, _ := strings.Cut(string(b), "\n")
		if strings.TrimSpace(first) == "module "+modulePath {
			return d, nil
		}
	}
	return "", errors.New("module " + modulePath + " not found")
}

// benchWorker is a worker OS process.
type benchWorker struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{} // closed when it has exited
	err  error         // its exit, once done
	once sync.Once
}

// startBenchWorker starts bin in dir with env, its output to dir/worker.log.
func startBenchWorker(bin, dir string, args, env []string) (*benchWorker, error) {
	logPath := filepath.Join(dir, "worker.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting the worker %s: %w", bin, err)
	}
	w := &benchWorker{cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		w.err = cmd.Wait()
		logf.Close()
		close(w.done)
	}()
	return w, nil
}

func (w *benchWorker) pid() int { return w.cmd.Process.Pid }

// exited describes the worker's exit and the end of its log.
func (w *benchWorker) exited() error {
	b, _ := os.ReadFile(w.log)
	tail := string(b)
	if len(tail) > 4000 {
		tail = "..." + tail[len(tail)-4000:]
	}
	return fmt.Errorf("the worker exited (%v); its log:\n%s", w.err, strings.TrimSpace(tail))
}

// stop asks the worker to stop, and kills it if it has not within 10 s.
func (w *benchWorker) stop() {
	w.once.Do(func() {
		if err := w.cmd.Process.Signal(os.Interrupt); err != nil {
			w.cmd.Process.Kill()
		}
		select {
		case <-w.done:
		case <-time.After(10 * time.Second):
			w.cmd.Process.Kill()
			<-w.done
		}
	})
}

// benchWorkerEnv is this process's environment with vars set over it.
func benchWorkerEnv(vars map[string]string) []string {
	env := make([]string, 0, len(os.Environ())+len(vars))
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if _, ours := vars[k]; !ours {
			env = append(env, kv)
		}
	}
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return env
}
