package devserver

import (
	"context"
	"debug/buildinfo"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// CLIVersion is the temporal CLI version this package is tested with and
// the one Binary builds when no temporal CLI is found.
const CLIVersion = "v1.5.1"

const (
	cliModule  = "github.com/temporalio/cli"
	cliPackage = cliModule + "/cmd/temporal"
)

// Binary returns the path of a temporal CLI: the first found on $PATH, in
// $GOBIN, then in $(go env GOPATH)/bin. When there is none, it builds
// CLIVersion with `go install`, telling log that it does so, which takes a
// few minutes once, and streaming go's output to log. A CLI of another
// version than CLIVersion is used as found, and log is told its version.
// A nil log discards the messages.
func Binary(ctx context.Context, log io.Writer) (string, error) {
	if log == nil {
		log = io.Discard
	}
	path, installDir, err := findBinary(ctx)
	if err != nil {
		return "", err
	}
	if path == "" {
		return install(ctx, installDir, log)
	}
	if v := cliVersion(ctx, path); v != CLIVersion {
		fmt.Fprintf(log, "using the temporal CLI at %s, version %s (this project is tested with %s)\n", path, v, CLIVersion)
	}
	return path, nil
}

// findBinary returns the path of an installed temporal CLI, or "" and the
// folder `go install` would put one in.
func findBinary(ctx context.Context) (path, installDir string, err error) {
	if p, err := exec.LookPath("temporal"); err == nil {
		return p, "", nil
	}
	gobin, gopathBin, err := goBinDirs(ctx)
	if err != nil {
		return "", "", fmt.Errorf("temporal CLI not found on $PATH, and %w", err)
	}
	for _, dir := range []string{gobin, gopathBin} {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, exeName())
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, "", nil
		}
	}
	if gobin != "" {
		return "", gobin, nil
	}
	return "", gopathBin, nil
}

// goBinDirs returns $GOBIN and the bin folder of the first $GOPATH entry, as
// the go command sees them (environment or `go env -w`).
func goBinDirs(ctx context.Context) (gobin, gopathBin string, err error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOBIN", "GOPATH").Output()
	if err != nil {
		return "", "", fmt.Errorf("running go env: %w", err)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\r\n"), "\n")
	if len(lines) != 2 {
		return "", "", fmt.Errorf("running go env: unexpected output %q", out)
	}
	gobin = strings.TrimSpace(lines[0])
	if gopath := filepath.SplitList(strings.TrimSpace(lines[1])); len(gopath) > 0 && gopath[0] != "" {
		gopathBin = filepath.Join(gopath[0], "bin")
	}
	return gobin, gopathBin, nil
}

func exeName() string {
	if runtime.GOOS == "windows" {
		return "temporal.exe"
	}
	return "temporal"
}

// install builds CLIVersion into dir with go install.
func install(ctx context.Context, dir string, log io.Writer) (string, error) {
	if dir == "" {
		return "", errors.New("temporal CLI not found, and go env names no GOBIN or GOPATH to install it into")
	}
	target := cliPackage + "@" + CLIVersion
	log = &lockedWriter{w: log}
	fmt.Fprintf(log, "temporal CLI not found on $PATH or in %s: building it with `go install %s`.\n", dir, target)
	fmt.Fprintf(log, "This takes a few minutes, once; later runs use %s.\n", filepath.Join(dir, exeName()))

	cmd := exec.CommandContext(ctx, "go", "install", target)
	cmd.Stdout, cmd.Stderr = log, log
	start := time.Now()
	stopProgress := progress(log, start)
	err := cmd.Run()
	stopProgress()
	if err != nil {
		return "", fmt.Errorf("building the temporal CLI (go install %s): %w", target, err)
	}
	path := filepath.Join(dir, exeName())
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("building the temporal CLI: go install succeeded but %w", err)
	}
	fmt.Fprintf(log, "built the temporal CLI %s in %s: %s\n", CLIVersion, time.Since(start).Round(time.Second), path)
	return path, nil
}

// progress tells log every 30 s that the build still runs, since go prints
// nothing while it compiles. The returned func stops it.
func progress(log io.Writer, start time.Time) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(30 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fmt.Fprintf(log, "still building the temporal CLI (%s)...\n", time.Since(start).Round(time.Second))
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// cliVersion returns the version of the temporal CLI at path, "v1.5.1" style,
// or "unknown". A CLI built by go install carries it in its build info
// (its --version says 0.0.0-DEV); a released one prints it with --version.
func cliVersion(ctx context.Context, path string) string {
	if bi, err := buildinfo.ReadFile(path); err == nil && bi.Main.Path == cliModule && strings.HasPrefix(bi.Main.Version, "v") {
		return bi.Main.Version
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--version").Output()
	if err != nil {
		return "unknown"
	}
	// "temporal version 1.5.1 (Server 1.29.1, UI 2.42.1)"
	f := strings.Fields(string(out))
	if len(f) < 3 || f[1] != "version" {
		return "unknown"
	}
	return "v" + strings.TrimPrefix(f[2], "v")
}

// lockedWriter serializes writes from go's output and the progress ticker.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
