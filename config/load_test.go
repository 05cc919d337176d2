package config

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

func TestLoad(t *testing.T) {
	tests := []struct {
		name        string
		files       map[string]string // written to the working directory
		file        string            // LoadOptions.File
		env         []string
		args        []string // parsed by a flag set with --source, --staging (default "flag-default") and --max-line
		flagKeys    map[string]string
		want        func(*Config) // edits Default() into the expected Config
		errContains []string
		errIs       error
	}{
		{name: "defaults", want: func(*Config) {}},
		{
			name:  "default file is read when present",
			files: map[string]string{"clickstream.yaml": "source:\n  uri: from-default-file\n"},
			want:  func(c *Config) { c.Source.URI = "from-default-file" },
		},
		{
			name: "explicit file overrides defaults",
			files: map[string]string{
				"clickstream.yaml": "source:\n  uri: ignored\n",
				"other.yaml":       "source:\n  uri: gs://raw/in\ntransform:\n  max_line_bytes: 512KiB\n",
			},
			file: "other.yaml",
			want: func(c *Config) { c.Source.URI = "gs://raw/in"; c.Transform.MaxLineBytes = 512 * KiB },
		},
		{
			name:  "size as an integer",
			files: map[string]string{"clickstream.yaml": "transform:\n  max_line_bytes: 2048\n"},
			want:  func(c *Config) { c.Transform.MaxLineBytes = 2048 },
		},
		{
			name:  "keys are case-insensitive",
			files: map[string]string{"clickstream.yaml": "Source:\n  URI: upper\n"},
			want:  func(c *Config) { c.Source.URI = "upper" },
		},
		{
			name:  "empty file",
			files: map[string]string{"clickstream.yaml": ""},
			want:  func(*Config) {},
		},
		{
			name:  "empty section and null value keep defaults",
			files: map[string]string{"clickstream.yaml": "source:\nstaging:\n  uri:\n"},
			want:  func(*Config) {},
		},
		{
			name:  "env overrides file",
			files: map[string]string{"clickstream.yaml": "source:\n  uri: from-file\nstaging:\n  uri: staged\n"},
			env:   []string{"CLICKSTREAM_SOURCE_URI=from-env", "CLICKSTREAM_TRANSFORM_MAX_LINE_BYTES=64kB", "UNRELATED=1"},
			want: func(c *Config) {
				c.Source.URI = "from-env"
				c.Staging.URI = "staged"
				c.Transform.MaxLineBytes = 64_000
			},
		},
		{
			name: "empty env is unset",
			env:  []string{"CLICKSTREAM_SOURCE_URI="},
			want: func(*Config) {},
		},
		{
			name: "last repeated env wins",
			env:  []string{"CLICKSTREAM_SOURCE_URI=first", "CLICKSTREAM_SOURCE_URI=last"},
			want: func(c *Config) { c.Source.URI = "last" },
		},
		{
			name:     "set flag overrides env",
			files:    map[string]string{"clickstream.yaml": "source:\n  uri: from-file\n"},
			env:      []string{"CLICKSTREAM_SOURCE_URI=from-env", "CLICKSTREAM_TRANSFORM_MAX_LINE_BYTES=2MiB"},
			args:     []string{"--source", "from-flag", "--max-line", "4MiB"},
			flagKeys: map[string]string{"source": "source.uri", "max-line": "transform.max_line_bytes"},
			want:     func(c *Config) { c.Source.URI = "from-flag"; c.Transform.MaxLineBytes = 4 * MiB },
		},
		{
			name:     "unset flag does not override",
			files:    map[string]string{"clickstream.yaml": "staging:\n  uri: from-file\n"},
			env:      []string{"CLICKSTREAM_SOURCE_URI=from-env"},
			flagKeys: map[string]string{"source": "source.uri", "staging": "staging.uri", "max-line": "transform.max_line_bytes"},
			want:     func(c *Config) { c.Source.URI = "from-env"; c.Staging.URI = "from-file" },
		},
		{
			name:        "unknown key in file",
			files:       map[string]string{"clickstream.yaml": "source:\n  url: x\n"},
			errContains: []string{`clickstream.yaml: unknown key "source.url" (did you mean "source.uri"?)`},
		},
		{
			name:        "unknown key names the explicit file",
			files:       map[string]string{"my.yaml": "max_line_bytes: 5\nbogus: 1\n"},
			file:        "my.yaml",
			errContains: []string{`my.yaml: unknown key "max_line_bytes" (did you mean "transform.max_line_bytes"?)`, `my.yaml: unknown key "bogus"`},
		},
		{
			name:        "section given a scalar",
			files:       map[string]string{"clickstream.yaml": "source: data\n"},
			errContains: []string{`clickstream.yaml: "source" must be a mapping with the keys source.uri`},
		},
		{
			name:        "malformed YAML",
			files:       map[string]string{"bad.yaml": "source:\n  uri: [x\n"},
			file:        "bad.yaml",
			errContains: []string{"bad.yaml: invalid YAML"},
		},
		{
			name:        "YAML that is not a mapping",
			files:       map[string]string{"clickstream.yaml": "- a\n- b\n"},
			errContains: []string{"clickstream.yaml: invalid YAML"},
		},
		{
			name:        "missing explicit file",
			file:        "nope.yaml",
			errContains: []string{"nope.yaml"},
			errIs:       fs.ErrNotExist,
		},
		{
			name:        "bad size from env names key and variable",
			env:         []string{"CLICKSTREAM_TRANSFORM_MAX_LINE_BYTES=lots"},
			errContains: []string{`transform.max_line_bytes: invalid size "lots"`, "(set by CLICKSTREAM_TRANSFORM_MAX_LINE_BYTES)"},
		},
		{
			name:        "invalid value from file names key and file",
			files:       map[string]string{"clickstream.yaml": "transform:\n  max_line_bytes: 0\nstaging:\n  uri: s3://b\n"},
			errContains: []string{"transform.max_line_bytes: must be between 1KiB and 1GiB, got 0 (set by clickstream.yaml)", `staging.uri: unsupported scheme "s3"`},
		},
		{
			name:        "invalid value from flag names the flag",
			args:        []string{"--source="},
			flagKeys:    map[string]string{"source": "source.uri"},
			errContains: []string{"source.uri: must not be empty (set by --source)"},
		},
		{
			name: "metrics and log from env",
			env:  []string{"CLICKSTREAM_METRICS_ADDRESS=127.0.0.1:0", "CLICKSTREAM_LOG_LEVEL=debug", "CLICKSTREAM_LOG_FORMAT=json"},
			want: func(c *Config) { c.Metrics.Address = "127.0.0.1:0"; c.Log = Log{Level: "debug", Format: "json"} },
		},
		{
			name: "metrics off from env",
			env:  []string{"CLICKSTREAM_METRICS_ADDRESS=off"},
			want: func(c *Config) { c.Metrics.Address = "off" },
		},
		{
			name:  "metrics off in YAML is the string off, not false",
			files: map[string]string{"clickstream.yaml": "metrics:\n  address: off\nlog:\n  level: warn\n"},
			want:  func(c *Config) { c.Metrics.Address = "off"; c.Log.Level = "warn" },
		},
		{
			name:        "bad metrics address from env names key and variable",
			env:         []string{"CLICKSTREAM_METRICS_ADDRESS=9464"},
			errContains: []string{`metrics.address: want host:port (port 0 for any free port) or off, got "9464" (set by CLICKSTREAM_METRICS_ADDRESS)`},
		},
		{
			name:        "bad log level from file names key and file",
			files:       map[string]string{"clickstream.yaml": "log:\n  level: verbose\n"},
			errContains: []string{`log.level: must be debug, info, warn or error, got "verbose" (set by clickstream.yaml)`},
		},
		{
			name:        "flag mapped to an unknown key",
			flagKeys:    map[string]string{"source": "source.url"},
			errContains: []string{`flag --source: unknown config key "source.url"`},
		},
		{
			name:        "flag not defined",
			flagKeys:    map[string]string{"nope": "source.uri"},
			errContains: []string{"flag --nope"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			for name, content := range tt.files {
				if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
			fs.String("source", "", "")
			fs.String("staging", "flag-default", "")
			var maxLine ByteSize = 8 * MiB
			fs.Var(&maxLine, "max-line", "")
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			env := tt.env
			if env == nil {
				env = []string{} // not os.Environ()
			}

			got, err := Load(LoadOptions{File: tt.file, Flags: fs, FlagKeys: tt.flagKeys, Environ: env})

			if len(tt.errContains) > 0 {
				if err == nil {
					t.Fatalf("Load() = %+v, want an error", got)
				}
				for _, want := range tt.errContains {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("Load() error = %q, want it to contain %q", err, want)
					}
				}
				if tt.errIs != nil && !errors.Is(err, tt.errIs) {
					t.Errorf("Load() error = %v, want errors.Is %v", err, tt.errIs)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load() error = %v", err)
			}
			want := Default()
			tt.want(&want)
			if got != want {
				t.Errorf("Load() = %+v, want %+v", got, want)
			}
		})
	}
}

func TestLoadReadsProcessEnvironmentByDefault(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("CLICKSTREAM_STAGING_URI", "from-process-env")
	got, err := Load(LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Staging.URI != "from-process-env" {
		t.Errorf("Staging.URI = %q, want from-process-env", got.Staging.URI)
	}
}

// TestYAMLRoundTrip checks that a printed Config is a file that loads back to it.
func TestYAMLRoundTrip(t *testing.T) {
	t.Chdir(t.TempDir())
	want := Default()
	want.Source.URI = "gs://raw/in"
	want.Staging.URI = "out/staging"
	want.Transform.MaxLineBytes = 64_000
	want.Pipeline.Mode = "merge"
	want.Metrics.Address = "off" // a YAML 1.1 boolean word: printed quoted
	want.Log.Format = "json"
	out, err := yaml.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "max_line_bytes: 64000\n") {
		t.Errorf("printed config lacks max_line_bytes:\n%s", out)
	}
	if err := os.WriteFile("printed.yaml", out, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Load(LoadOptions{File: "printed.yaml", Environ: []string{}})
	if err != nil {
		t.Fatalf("loading printed config:\n%s\n%v", out, err)
	}
	if got != want {
		t.Errorf("round trip = %+v, want %+v\nprinted:\n%s", got, want, out)
	}
}
