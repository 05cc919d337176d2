// Package resilience holds the tests that break things for real and check
// that nothing is lost and nothing duplicated: worker processes killed at
// random points, the Temporal server restarted, storage and warehouse faults,
// histories at scale, bad configuration and input, and hygiene. They run
// against a real dev server, real worker processes and real storage, stood
// up by package harness (see env_test.go). `go test -short` skips them; the
// long variants run with
//
//	go test ./resilience -args -long
package resilience
