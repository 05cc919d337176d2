package harness

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// ProcessOptions configures StartProcess. Every field but Log is optional:
// its zero value means its default.
type ProcessOptions struct {
	// Args are the binary's arguments. Optional: default none.
	Args []string
	// Dir is the working directory. Optional: default this process's.
	Dir string
	// Env is the whole environment, as "NAME=value" strings (see Environ).
	// Optional: default this process's.
	Env []string
	// Log is the file that receives the process's standard output and
	// error; it is created if need be and appended to, so that the
	// processes of one test can share it. Required.
	Log string
}

// Process is a child OS process started by StartProcess.
type Process struct {
	cmd  *exec.Cmd
	name string // the binary's base name, in messages
	log  string
	done chan struct{} // closed once it has exited
	err  error         // how it exited; set before done is closed

	stopOnce sync.Once
}

// StartProcess starts bin as o describes.
func StartProcess(bin string, o ProcessOptions) (*Process, error) {
	logf, err := os.OpenFile(o.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, o.Args...)
	cmd.Dir = o.Dir
	cmd.Env = o.Env
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	p := &Process{cmd: cmd, name: filepath.Base(bin), log: o.Log, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	return p, nil
}

// Pid is the process's id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Done is closed once the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err is how the process exited (nil for status 0); valid once Done is
// closed.
func (p *Process) Err() error { return p.err }

// Signal sends sig to the process.
func (p *Process) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

// Kill kills the process at once and waits for it to be gone.
func (p *Process) Kill() {
	p.stopOnce.Do(func() { p.cmd.Process.Kill() })
	<-p.done
}

// Stop asks the process to stop (an interrupt, as Ctrl-C), kills it if it
// has not exited within grace, and waits for it to be gone.
func (p *Process) Stop(grace time.Duration) {
	p.stopOnce.Do(func() {
		if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
			p.cmd.Process.Kill()
		}
		select {
		case <-p.done:
		case <-time.After(grace):
			p.cmd.Process.Kill()
		}
	})
	<-p.done
}

// Exited describes the process's exit and the end of its log; call it once
// Done is closed.
func (p *Process) Exited() error {
	b, _ := os.ReadFile(p.log)
	tail := string(b)
	if len(tail) > 4000 {
		tail = "..." + tail[len(tail)-4000:]
	}
	return fmt.Errorf("the %s exited (%v); its log:\n%s", p.name, p.err, strings.TrimSpace(tail))
}

// Environ is this process's environment with vars set over it, then the
// "NAME=value" strings of extra over both.
func Environ(vars map[string]string, extra ...string) []string {
	set := maps.Clone(vars)
	if set == nil {
		set = map[string]string{}
	}
	for _, kv := range extra {
		k, v, _ := strings.Cut(kv, "=")
		set[k] = v
	}
	env := make([]string, 0, len(os.Environ())+len(set))
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if _, ours := set[k]; !ours {
			env = append(env, kv)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(set)) {
		env = append(env, k+"="+set[k])
	}
	return env
}
