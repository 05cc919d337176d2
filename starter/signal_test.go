package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clickstream-platform/clickstream/harness"
	"github.com/clickstream-platform/clickstream/sampledata"
)

// TestTransformInterrupted runs the real binary, interrupts it while it
// writes, and checks it exits non-zero saying so, leaving no temporary file
// and no partial output behind.
func TestTransformInterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the starter and generates 100 MB")
	}
	dir := t.TempDir()
	bins, err := harness.Build(context.Background(), dir, "starter")
	if err != nil {
		t.Fatal(err)
	}
	bin := bins[0]
	src, out := filepath.Join(dir, "src"), filepath.Join(dir, "out")
	if _, err := sampledata.Generate(src, sampledata.Options{Files: 8, Sessions: 300000, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "transform", "--source", src, "--out", out)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Interrupt once the run has started writing its outputs.
	deadline := time.Now().Add(30 * time.Second)
	for len(filesUnder(out)) == 0 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("no output appeared within 30s")
		}
		time.Sleep(5 * time.Millisecond) // polling for a file, not standing in for synchronisation
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("exit = %v, want exit status 1 (stderr %q)", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("stderr = %q, want it to say the run was interrupted", stderr.String())
	}
	if left := filesUnder(out); len(left) != 0 {
		t.Errorf("output folder holds %v after an interrupted first run, want nothing", left)
	}
}

// filesUnder lists the files below dir, temporary ones included.
func filesUnder(dir string) []string {
	var files []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	return files
}
