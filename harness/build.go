package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// modulePath is this module's path, to recognise its go.mod.
const modulePath = "github.com/clickstream-platform/clickstream"

// ModuleRoot finds this module's source: the working directory or one of
// its parents, else where this package was compiled from.
func ModuleRoot() (string, error) {
	var candidates []string
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			candidates = append(candidates, d)
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		candidates = append(candidates, filepath.Dir(filepath.Dir(file)))
	}
	for _, d := range candidates {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err != nil {
			continue
		}
		first, _, _ := strings.Cut(string(b), "\n")
		if strings.TrimSpace(first) == "module "+modulePath {
			return d, nil
		}
	}
	return "", errors.New("module " + modulePath + " not found")
}

// Build builds the module's main packages named by mains (folders of the
// module root, e.g. "worker", "starter") into dir with one `go build -o`,
// and returns the binaries' paths in the order of mains.
func Build(ctx context.Context, dir string, mains ...string) ([]string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return nil, err
	}
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	paths := make([]string, len(mains))
	for i, m := range mains {
		args = append(args, "./"+m)
		paths[i] = filepath.Join(dir, ExeName(filepath.Base(m)))
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building %s: %w\n%s", strings.Join(mains, ", "), err, out)
	}
	return paths, nil
}

// ExeName is the file name of the binary of a main package.
func ExeName(name string) string {
	if runtime.GOOS == "windows" {
		return name + ".exe"
	}
	return name
}

// Binaries are the worker and starter binaries a test binary runs.
type Binaries struct {
	Worker, Starter string
}

// BuildBinaries builds the worker and the starter into dir.
func BuildBinaries(ctx context.Context, dir string) (Binaries, error) {
	paths, err := Build(ctx, dir, "worker", "starter")
	if err != nil {
		return Binaries{}, err
	}
	return Binaries{Worker: paths[0], Starter: paths[1]}, nil
}
