package harness

import (
	"context"
	"io"
	"os"
	"path/filepath"
)

// SuiteOptions configures NewSuite. Every field is optional: its zero value
// means its default.
type SuiteOptions struct {
	// Server starts a dev server that the suite's envs share, each on a
	// task queue of its own. Optional: default none (each env starts its
	// own).
	Server bool
	// Log is told about the server (see ServerOptions.Log). Optional:
	// default io.Discard.
	Log io.Writer
}

// Suite is what the tests of one test binary share, made once by its
// TestMain: a folder, the worker and starter binaries built into it, and
// optionally a dev server.
type Suite struct {
	// Dir is the suite's folder, removed by Close.
	Dir string
	Binaries
	// Server is the shared dev server; nil without SuiteOptions.Server.
	Server *Server
}

// NewSuite builds the binaries into a new temporary folder and starts the
// server asked for. ctx bounds the builds and the server's start.
func NewSuite(ctx context.Context, o SuiteOptions) (_ *Suite, err error) {
	dir, err := os.MkdirTemp("", "clickstream-harness-")
	if err != nil {
		return nil, err
	}
	s := &Suite{Dir: dir}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if s.Binaries, err = BuildBinaries(ctx, filepath.Join(dir, "bin")); err != nil {
		return nil, err
	}
	if o.Server {
		if s.Server, err = StartServer(ctx, ServerOptions{Dir: filepath.Join(dir, "server"), Log: o.Log}); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Close stops the server and removes the folder.
func (s *Suite) Close() {
	if s.Server != nil {
		s.Server.Stop()
	}
	os.RemoveAll(s.Dir)
}
