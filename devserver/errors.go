package devserver

import "errors"

var (
	// ErrPortInUse is returned by Start when the gRPC or UI port is taken.
	ErrPortInUse = errors.New("port already in use")
	// ErrExited is returned by Start when the server process ends before it
	// is ready; the error carries the tail of the server's output.
	ErrExited = errors.New("temporal dev server exited")
	// ErrNotReady is returned by Start when the server does not answer
	// within Options.StartTimeout.
	ErrNotReady = errors.New("temporal dev server not ready")
)
