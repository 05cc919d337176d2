package devserver

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"
)

// stopGrace is how long Stop lets the server shut down before killing it.
const stopGrace = 10 * time.Second

// Server is a running Temporal dev server process, started by Start.
type Server struct {
	address string
	uiURL   string
	log     io.Writer
	proc    *os.Process
	done    chan struct{} // closed once the process has exited
	exitErr error         // how it exited; set before done is closed

	stopOnce sync.Once
	stopErr  error
}

// Start runs `temporal server start-dev` as described by opts and returns
// once the frontend answers a health check and the namespace exists. If the
// server exits first, the error (ErrExited) carries the tail of its output;
// if it does not answer within StartTimeout, the error is ErrNotReady. A
// taken port fails at once with ErrPortInUse.
//
// ctx bounds the start only (and building the CLI, if it must be); the
// server runs until Stop. Call Stop even when the caller is about to exit.
func Start(ctx context.Context, opts Options) (*Server, error) {
	c, err := opts.config()
	if err != nil {
		return nil, err
	}
	if err := checkPorts(c); err != nil {
		return nil, err
	}
	bin := c.Binary
	if bin == "" {
		if bin, err = Binary(ctx, c.Log); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(filepath.Dir(c.DBFile), 0o755); err != nil {
		return nil, fmt.Errorf("creating the folder of the Temporal database: %w", err)
	}
	serverLog, closeLog, err := openServerLog(c)
	if err != nil {
		return nil, err
	}
	out := &tailWriter{w: serverLog}

	cmd := exec.Command(bin, c.args()...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = sysProcAttr()
	// If something the server started holds its output open after it
	// exits, stop copying rather than hang in Wait.
	cmd.WaitDelay = 2 * time.Second

	fmt.Fprintf(c.Log, "starting the Temporal dev server: %s, data in %s\n", c.Address, c.DBFile)
	begin := time.Now()
	s := &Server{address: c.Address, uiURL: c.uiURL(), log: c.Log, done: make(chan struct{})}
	if err := s.run(cmd, closeLog); err != nil {
		return nil, fmt.Errorf("starting the temporal CLI %s: %w", bin, err)
	}
	if err := s.waitReady(ctx, c, out); err != nil {
		_ = s.Stop()
		return nil, err
	}
	fmt.Fprintf(c.Log, "Temporal dev server ready in %s at %s", time.Since(begin).Round(10*time.Millisecond), c.Address)
	if s.uiURL != "" {
		fmt.Fprintf(c.Log, ", Web UI %s", s.uiURL)
	}
	fmt.Fprintln(c.Log)
	return s, nil
}

// run starts cmd and waits for it in a goroutine that stays locked to the
// thread that forked it: Linux's Pdeathsig fires when that thread ends.
func (s *Server) run(cmd *exec.Cmd, closeLog func() error) error {
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			_ = closeLog()
			started <- err
			return
		}
		s.proc = cmd.Process
		started <- nil
		s.exitErr = cmd.Wait()
		_ = closeLog()
		close(s.done)
	}()
	return <-started
}

// checkPorts fails fast, naming the port, when the gRPC or UI port is taken
// (the server would report it too, but after a while and in its own words).
func checkPorts(c config) error {
	ports := []struct {
		what string
		port int
	}{{"gRPC", c.port}, {"Web UI", c.uiPort}}
	for _, p := range ports {
		if p.port < 0 {
			continue
		}
		addr := net.JoinHostPort(c.host, strconv.Itoa(p.port))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("temporal dev server %s port %d on %s: %w (another Temporal server? stop it or choose another port): %v", p.what, p.port, c.host, ErrPortInUse, err)
		}
		_ = l.Close()
	}
	return nil
}

// openServerLog returns where the server's output goes and what to close
// after it exits.
func openServerLog(c config) (io.Writer, func() error, error) {
	if c.ServerLog != nil {
		return c.ServerLog, func() error { return nil }, nil
	}
	path := filepath.Join(filepath.Dir(c.DBFile), serverLogName)
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, fmt.Errorf("creating the Temporal server log: %w", err)
	}
	return f, f.Close, nil
}

// Address returns the host:port of the server's gRPC frontend.
func (s *Server) Address() string { return s.address }

// UIURL returns the Web UI's address, like http://127.0.0.1:8233, or ""
// when the UI is disabled.
func (s *Server) UIURL() string { return s.uiURL }

// Done returns a channel closed when the server process has exited, whether
// by Stop or on its own.
func (s *Server) Done() <-chan struct{} { return s.done }

// Stop ends the server and every process in its group: SIGTERM, then SIGKILL
// if it has not exited within 10 seconds. It returns once the process has
// exited. Stop is idempotent; it returns an error (ErrExited) only when the
// server had already failed on its own.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() { s.stopErr = s.stop() })
	return s.stopErr
}

func (s *Server) stop() error {
	select {
	case <-s.done:
		_ = kill(s.proc) // whatever it left in its group
		if s.exitErr != nil {
			return fmt.Errorf("%w on its own before Stop: %v", ErrExited, s.exitErr)
		}
		return nil
	default:
	}
	if err := terminate(s.proc); err != nil {
		fmt.Fprintf(s.log, "stopping the Temporal dev server: %v; killing it\n", err)
	}
	select {
	case <-s.done:
	case <-time.After(stopGrace):
		fmt.Fprintf(s.log, "the Temporal dev server did not stop within %s; killing it\n", stopGrace)
	}
	// Also when it did stop: a process it started may linger in the group.
	if err := kill(s.proc); err != nil {
		return fmt.Errorf("killing the Temporal dev server (pid %d): %w", s.proc.Pid, err)
	}
	<-s.done
	fmt.Fprintln(s.log, "Temporal dev server stopped")
	return nil
}

// waitReady polls until the server answers, it exits, ctx ends or
// StartTimeout passes.
func (s *Server) waitReady(ctx context.Context, c config, out *tailWriter) error {
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, c.StartTimeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		err := probe(ctx, c.Address, c.Namespace, s.uiURL)
		select {
		case <-s.done:
			return fmt.Errorf("%w before it was ready (%v); its last output:\n%s", ErrExited, s.exitErr, out.Tail())
		default:
		}
		if err == nil {
			return nil
		}
		select {
		case <-s.done:
			return fmt.Errorf("%w before it was ready (%v); its last output:\n%s", ErrExited, s.exitErr, out.Tail())
		case <-ctx.Done():
			if parent.Err() != nil {
				return fmt.Errorf("waiting for the Temporal dev server: %w", parent.Err())
			}
			return fmt.Errorf("%w at %s within %s: %v; its last output:\n%s", ErrNotReady, c.Address, c.StartTimeout, err, out.Tail())
		case <-tick.C:
		}
	}
}
