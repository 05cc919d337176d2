// Package harness stands the platform up as processes, the way a user runs
// it, for the end-to-end tests (e2e), the fault tests (resilience) and the
// benchmark (bench): a Temporal dev server, the worker and starter binaries
// built from this module, worker processes with an environment and a log
// file, and readings of what those processes did.
//
// The contract:
//
//   - Plain Go: the package does not import testing. Functions that may fail
//     return errors; Env, the one type for tests, takes a TB (which
//     *testing.T satisfies) and fails the test itself.
//   - Servers: StartServer starts a dev server on a free port, its SQLite
//     file and log in a folder of the caller's; Server.Start starts it again
//     on the same port and file after Stop or a crash, so that clients and
//     workers reconnect to what they knew.
//   - Binaries: Build runs `go build -o` on the module's main packages, found
//     from the working directory or from this package's source (ModuleRoot).
//     A test binary builds what it needs once (TestMain, NewSuite), not per
//     test.
//   - Processes: StartProcess runs a binary with an explicit environment
//     (Environ: this process's, with CLICKSTREAM_* variables set over it), its
//     output appended to a log file; Stop asks it to end and kills it after a
//     grace period, Kill kills it at once. Nothing is left running: Env kills
//     its workers and stops its own server at the test's cleanup.
//   - Readings: resident memory sampled from /proc (SampleRSS, PeakRSS; Linux
//     only), workflow histories (History), and checksums of the DuckDB
//     warehouse's tables (Env.Digests), opened read-only between operations.
package harness
