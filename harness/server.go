package harness

import (
	"context"
	"io"
	"path/filepath"
	"sync"

	"github.com/clickstream-platform/clickstream/devserver"
)

// ServerOptions configures StartServer. Every field but Dir is optional:
// its zero value means its default.
type ServerOptions struct {
	// Dir is the folder of the server's SQLite file, temporal.db, and its
	// log, temporal-server.log. Required.
	Dir string
	// Namespace is registered at start. Optional: default "default".
	Namespace string
	// Log is told when the server starts and stops (and when the temporal
	// CLI is built). Optional: default io.Discard.
	Log io.Writer
}

// Server is a Temporal dev server without a Web UI, which can be stopped
// and started again on the same port and database file.
type Server struct {
	opts devserver.Options

	mu  sync.Mutex
	srv *devserver.Server
}

// StartServer starts a dev server on a free port of 127.0.0.1 and returns
// once it answers. ctx bounds the start only (which may build the temporal
// CLI once, a few minutes).
func StartServer(ctx context.Context, o ServerOptions) (*Server, error) {
	opts := devserver.Options{UIPort: -1, DBFile: filepath.Join(o.Dir, "temporal.db"), Namespace: o.Namespace, Log: o.Log}
	srv, err := devserver.StartOnFreePort(ctx, opts)
	if err != nil {
		return nil, err
	}
	opts.Address = srv.Address()
	return &Server{opts: opts, srv: srv}, nil
}

// Start starts the server again, on its port and database file, after Stop
// or a crash: it reloads what it held, and clients and workers that kept
// trying reconnect.
func (s *Server) Start(ctx context.Context) error {
	srv, err := devserver.Start(ctx, s.opts)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	return nil
}

func (s *Server) current() *devserver.Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.srv
}

// Address is the host:port of the server's frontend; it stays the same
// across Start.
func (s *Server) Address() string { return s.opts.Address }

// DBFile is the SQLite file the server persists to.
func (s *Server) DBFile() string { return s.opts.DBFile }

// Done is closed when the server process last started has exited.
func (s *Server) Done() <-chan struct{} { return s.current().Done() }

// Stop stops the server process last started (see devserver.Server.Stop).
func (s *Server) Stop() error { return s.current().Stop() }
