package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clickstream-platform/clickstream/config"
	"github.com/spf13/cobra"
)

// isolate runs the test in an empty directory with no CLICKSTREAM_* variables.
func isolate(t *testing.T) {
	t.Helper()
	t.Chdir(t.TempDir())
	for _, k := range config.Keys() {
		t.Setenv(k.Env, "") // empty counts as unset
	}
}

// run executes the starter with args and returns what it printed.
func run(t *testing.T, root *cobra.Command, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

func TestConfigCmd(t *testing.T) {
	tests := []struct {
		name        string
		files       map[string]string
		env         map[string]string
		args        []string
		want        string // the exact output, when set
		contains    []string
		errContains string
	}{
		{
			name: "defaults",
			args: []string{"config"},
			contains: []string{"source:\n  format: sessions\n  uri: data/source\n", "staging:\n  uri: data/staging\n",
				"  max_line_bytes: 16MiB\n", "pipeline:\n  batch_bytes: 64MiB\n"},
		},
		{
			name:  "file, then env, then flags",
			files: map[string]string{"clickstream.yaml": "source:\n  uri: from-file\nstaging:\n  uri: from-file\ntransform:\n  max_line_bytes: 1MiB\n"},
			env:   map[string]string{"CLICKSTREAM_STAGING_URI": "gs://from-env/staging", "CLICKSTREAM_TRANSFORM_MAX_LINE_BYTES": "4MiB"},
			args:  []string{"config", "--transform-max-line-bytes", "64kB"},
			contains: []string{"source:\n  format: sessions\n  uri: from-file\n", "staging:\n  uri: gs://from-env/staging\n",
				"  max_line_bytes: 64000\n"},
		},
		{
			name:     "explicit --config",
			files:    map[string]string{"clickstream.yaml": "source:\n  uri: ignored\n", "conf/prod.yaml": "source:\n  uri: gs://raw/in\n"},
			args:     []string{"config", "--config", filepath.Join("conf", "prod.yaml")},
			contains: []string{"uri: gs://raw/in\n"},
		},
		{
			name:        "missing --config file",
			args:        []string{"config", "--config", "nope.yaml"},
			errContains: "nope.yaml",
		},
		{
			name:        "unknown key",
			files:       map[string]string{"clickstream.yaml": "source:\n  url: x\n"},
			args:        []string{"config"},
			errContains: `clickstream.yaml: unknown key "source.url" (did you mean "source.uri"?)`,
		},
		{
			name:        "invalid flag value names the key and flag",
			args:        []string{"config", "--source-uri", "s3://b/x"},
			errContains: `source.uri: unsupported scheme "s3" in "s3://b/x": want a local folder path, file:///abs/path, gs://bucket[/prefix], bq://project.dataset.table or bq://project.dataset.events_* (set by --source-uri)`,
		},
		{
			name:     "keys",
			args:     []string{"config", "--keys"},
			contains: []string{"KEY ", "transform.max_line_bytes ", " CLICKSTREAM_TRANSFORM_MAX_LINE_BYTES ", " 16MiB "},
		},
		{
			name: "keys as Markdown",
			args: []string{"config", "--keys", "--markdown"},
			want: config.Markdown(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			for name, content := range tt.files {
				if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			out, err := run(t, newRootCmd(), tt.args...)
			if tt.errContains != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errContains) {
					t.Fatalf("starter %s: err = %v, want it to contain %q\noutput:\n%s", strings.Join(tt.args, " "), err, tt.errContains, out)
				}
				return
			}
			if err != nil {
				t.Fatalf("starter %s: %v", strings.Join(tt.args, " "), err)
			}
			if tt.want != "" && out != tt.want {
				t.Errorf("starter %s printed:\n%s\nwant:\n%s", strings.Join(tt.args, " "), out, tt.want)
			}
			for _, want := range tt.contains {
				if !strings.Contains(out, want) {
					t.Errorf("starter %s printed:\n%s\nwant it to contain %q", strings.Join(tt.args, " "), out, want)
				}
			}
		})
	}
}

// TestLoadConfigInSubcommand checks loadConfig as other commands use it: the
// root's persistent --config and the command's own flags.
func TestLoadConfigInSubcommand(t *testing.T) {
	isolate(t)
	if err := os.WriteFile("custom.yaml", []byte("source:\n  uri: from-file\nstaging:\n  uri: from-file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CLICKSTREAM_STAGING_URI", "from-env")

	var got config.Config
	probe := &cobra.Command{
		Use: "probe",
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			got, err = loadConfig(cmd, map[string]string{"source": "source.uri", "staging": "staging.uri"})
			return err
		},
	}
	probe.Flags().String("source", "", "")
	probe.Flags().String("staging", "unset-flag-default", "")
	root := newRootCmd()
	root.AddCommand(probe)

	if _, err := run(t, root, "probe", "--config", "custom.yaml", "--source", "from-flag"); err != nil {
		t.Fatal(err)
	}
	if got.Source.URI != "from-flag" || got.Staging.URI != "from-env" {
		t.Errorf("loadConfig = %+v, want source from the flag and staging from the environment", got)
	}
}

// TestREADMEConfigKeys keeps the keys table in README.md equal to the one
// definition in config/keys.go. Regenerate it with
//
//	go run ./starter config --keys --markdown
func TestREADMEConfigKeys(t *testing.T) {
	const start, end = "<!-- config-keys:start -->", "<!-- config-keys:end -->"
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("no README.md at the repository root")
	}
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok1 := strings.Cut(string(readme), start)
	section, _, ok2 := strings.Cut(rest, end)
	if !ok1 || !ok2 {
		t.Skipf("README.md has no %s … %s section", start, end)
	}
	if got, want := strings.TrimSpace(section), strings.TrimSpace(config.Markdown()); got != want {
		t.Errorf("README.md's config keys table is out of date; replace the text between %s and %s with the output of\n"+
			"\tgo run ./starter config --keys --markdown\ngot:\n%s\nwant:\n%s", start, end, got, want)
	}
}
