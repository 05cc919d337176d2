// Package e2e holds the end-to-end tests: the platform run as a user runs
// it, the starter and worker binaries built from this module (package
// harness) against a real Temporal dev server, with real folders, buckets
// of an in-process fake-gcs-server, and a real DuckDB file. The tests run
// the starter binary with a command's arguments and read what it prints
// (its --json output, its errors, its exit status), as a script would.
//
// TestMain builds the binaries and starts one dev server for the package;
// each test has a task queue and a working folder of its own. `go test
// -short` skips them all. The tests of the workflow histories that replay
// in package workflows are recorded here:
//
//	go test ./e2e -run 'TestEndToEnd$|TestBackfill' -update-histories
//
// TestLivePipeline runs against real Cloud Storage and BigQuery, opt-in
// (see its comment).
package e2e
