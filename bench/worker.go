package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/clickstream-platform/clickstream/harness"
)

// rssEvery is how often the bench samples a process's resident memory.
const rssEvery = 50 * time.Millisecond

// workerStopGrace is how long the worker may take to stop before it is
// killed.
const workerStopGrace = 10 * time.Second

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
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), harness.ExeName("worker"))
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			fmt.Fprintf(log, "bench: using the worker beside the bench, %s\n", p)
			return p, nil
		}
	}
	root, err := harness.ModuleRoot()
	if err != nil {
		return "", fmt.Errorf("no worker binary beside the bench, and no source to build one (%w): pass --worker PATH", err)
	}
	fmt.Fprintf(log, "bench: building the worker (go build ./worker in %s)\n", root)
	bins, err := harness.Build(ctx, dir, "worker")
	if err != nil {
		return "", err
	}
	return bins[0], nil
}
