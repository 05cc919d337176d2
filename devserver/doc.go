// Package devserver runs a Temporal dev server (`temporal server start-dev`)
// as a child process, for development and end-to-end tests.
//
// The server cannot run in-process: Temporal's server module does not build
// against the SDK version this module uses. So Binary finds the temporal CLI
// ($PATH, $GOBIN, $(go env GOPATH)/bin) or builds the pinned version with
// `go install` once, and Start runs it with a SQLite file for persistence and
// the Web UI, then waits until the frontend answers and the namespace exists.
//
// The child never outlives its parent: it runs in its own process group,
// which Stop ends (SIGTERM, then SIGKILL after a grace period), and on Linux
// the kernel kills it when the parent dies without calling Stop.
//
// Start always passes history.transferProcessorMaxPollRPS=1000: the dev
// server's default of 20 polls a second adds about 50 ms to every task hop,
// which makes a one-activity workflow take ~150 ms instead of ~17 ms. It
// also sets SQLite to WAL with synchronous=normal: a sync on every commit
// would add ~35 ms to that workflow.
package devserver
