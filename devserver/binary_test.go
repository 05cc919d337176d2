//go:build unix

package devserver

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeGo writes a `go` that answers `go env GOBIN GOPATH` with gobin and
// gopath and whose `go install` runs install, into a folder of its own.
func fakeGo(t *testing.T, gobin, gopath, install string) string {
	t.Helper()
	dir := t.TempDir()
	script := "#!/bin/sh\ncase \"$1\" in\n" +
		"env) echo '" + gobin + "'; echo '" + gopath + "' ;;\n" +
		"install) " + install + " ;;\n" +
		"*) exit 2 ;;\nesac\n"
	writeScript(t, filepath.Join(dir, "go"), script)
	return dir
}

// fakeTemporal is a temporal CLI script whose --version prints version.
func fakeTemporal(version string) string {
	return "#!/bin/sh\necho 'temporal version " + version + " (Server 1.29.1, UI 2.42.1)'\n"
}

func writeScript(t *testing.T, path, script string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestBinary(t *testing.T) {
	tests := []struct {
		name        string
		onPath      string // version of a temporal on $PATH, "" for none
		inGOBIN     bool
		inGOPATH    bool
		install     string // what the fake go install does
		wantIn      string // "path", "gobin" or "gopath"
		logContains []string
		logEmpty    bool
		errContains string
	}{
		{name: "on PATH, pinned version", onPath: "1.5.1", wantIn: "path", logEmpty: true},
		{name: "on PATH, other version", onPath: "1.4.0", wantIn: "path", logContains: []string{"version v1.4.0", "tested with v1.5.1"}},
		{name: "in GOBIN", inGOBIN: true, inGOPATH: true, wantIn: "gobin", logEmpty: true},
		{name: "in GOPATH/bin", inGOPATH: true, wantIn: "gopath", logEmpty: true},
		{
			name:    "built when missing",
			install: `echo "go: downloading github.com/temporalio/cli v1.5.1" >&2; printf '#!/bin/sh\necho temporal version 1.5.1\n' > "$FAKE_GOBIN/temporal"; /bin/chmod +x "$FAKE_GOBIN/temporal"`,
			wantIn:  "gobin",
			logContains: []string{
				"go install github.com/temporalio/cli/cmd/temporal@v1.5.1",
				"few minutes",
				"go: downloading github.com/temporalio/cli v1.5.1",
				"built the temporal CLI v1.5.1",
			},
		},
		{
			name:        "build fails",
			install:     `echo "go: network unreachable" >&2; exit 1`,
			logContains: []string{"go: network unreachable"},
			errContains: "building the temporal CLI",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			gobin := filepath.Join(root, "gobin")
			gopath := filepath.Join(root, "gopath")
			if err := os.MkdirAll(gobin, 0o755); err != nil {
				t.Fatal(err)
			}
			t.Setenv("FAKE_GOBIN", gobin)
			pathDir := filepath.Join(root, "path")
			if tt.onPath != "" {
				writeScript(t, filepath.Join(pathDir, "temporal"), fakeTemporal(tt.onPath))
			}
			if tt.inGOBIN {
				writeScript(t, filepath.Join(gobin, "temporal"), fakeTemporal("1.5.1"))
			}
			if tt.inGOPATH {
				writeScript(t, filepath.Join(gopath, "bin", "temporal"), fakeTemporal("1.5.1"))
			}
			gobinSetting := gobin
			if tt.inGOPATH && !tt.inGOBIN {
				gobinSetting = ""
			}
			goDir := fakeGo(t, gobinSetting, gopath, tt.install)
			t.Setenv("PATH", pathDir+string(os.PathListSeparator)+goDir)

			var log bytes.Buffer
			got, err := Binary(t.Context(), &log)
			t.Logf("log:\n%s", log.String())
			if tt.errContains != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errContains) {
					t.Fatalf("err = %v, want one containing %q", err, tt.errContains)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{
				"path":   filepath.Join(pathDir, "temporal"),
				"gobin":  filepath.Join(gobin, "temporal"),
				"gopath": filepath.Join(gopath, "bin", "temporal"),
			}[tt.wantIn]
			if got != want {
				t.Errorf("Binary = %q, want %q", got, want)
			}
			for _, s := range tt.logContains {
				if !strings.Contains(log.String(), s) {
					t.Errorf("log lacks %q", s)
				}
			}
			if tt.logEmpty && log.Len() > 0 {
				t.Errorf("log = %q, want nothing", log.String())
			}
		})
	}
}
