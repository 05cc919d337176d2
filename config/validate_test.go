package config

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name        string
		edit        func(*Config)
		errContains []string // every one must appear; none means valid
	}{
		{name: "defaults", edit: func(*Config) {}},
		{name: "gs URIs", edit: func(c *Config) { c.Source.URI = "gs://raw-bucket/in/2024"; c.Staging.URI = "gs://stage_1" }},
		{name: "gs bucket without prefix but slash", edit: func(c *Config) { c.Source.URI = "gs://raw.example.com/" }},
		// The stores open file URIs as the folders they name, so the
		// configuration accepts them too.
		{name: "file URI", edit: func(c *Config) { c.Source.URI = "file:///tmp/x" }},
		{name: "absolute path", edit: func(c *Config) { c.Source.URI = "/var/lib/clickstream/in" }},
		{name: "min line", edit: func(c *Config) { c.Transform.MaxLineBytes = KiB }},
		{name: "max line", edit: func(c *Config) { c.Transform.MaxLineBytes = GiB }},
		{
			name:        "empty source",
			edit:        func(c *Config) { c.Source.URI = "" },
			errContains: []string{"source.uri: must not be empty"},
		},
		{
			name:        "s3 staging",
			edit:        func(c *Config) { c.Staging.URI = "s3://bucket/x" },
			errContains: []string{`staging.uri: unsupported scheme "s3" in "s3://bucket/x"`, "gs://bucket[/prefix]"},
		},
		{
			name:        "a BigQuery table to stage into",
			edit:        func(c *Config) { c.Staging.URI = "bq://p.d.t" },
			errContains: []string{`staging.uri: "bq://p.d.t" is a BigQuery table`},
		},
		{
			name:        "gs without bucket",
			edit:        func(c *Config) { c.Source.URI = "gs://" },
			errContains: []string{`source.uri: "gs://" has no bucket`},
		},
		{
			name:        "gs with empty bucket and a prefix",
			edit:        func(c *Config) { c.Source.URI = "gs:///prefix" },
			errContains: []string{`source.uri: "gs:///prefix" has no bucket`},
		},
		{
			name:        "gs bad bucket",
			edit:        func(c *Config) { c.Staging.URI = "gs://My Bucket/x" },
			errContains: []string{`staging.uri: invalid bucket name "My Bucket"`},
		},
		{
			name:        "zero line",
			edit:        func(c *Config) { c.Transform.MaxLineBytes = 0 },
			errContains: []string{"transform.max_line_bytes: must be between 1KiB and 1GiB, got 0"},
		},
		{
			name:        "line too long",
			edit:        func(c *Config) { c.Transform.MaxLineBytes = 2 * GiB },
			errContains: []string{"transform.max_line_bytes: must be between 1KiB and 1GiB, got 2GiB"},
		},
		{name: "metrics off", edit: func(c *Config) { c.Metrics.Address = "off" }},
		{name: "metrics on a free port", edit: func(c *Config) { c.Metrics.Address = "127.0.0.1:0" }},
		{name: "metrics on every interface", edit: func(c *Config) { c.Metrics.Address = ":9464" }},
		{name: "metrics on IPv6 loopback", edit: func(c *Config) { c.Metrics.Address = "[::1]:9464" }},
		{name: "metrics on a host name", edit: func(c *Config) { c.Metrics.Address = "localhost:65535" }},
		{
			name:        "metrics port alone",
			edit:        func(c *Config) { c.Metrics.Address = "9464" },
			errContains: []string{`metrics.address: want host:port (port 0 for any free port) or off, got "9464"`},
		},
		{
			name:        "metrics named port",
			edit:        func(c *Config) { c.Metrics.Address = "127.0.0.1:http" },
			errContains: []string{`metrics.address: want host:port`, `got "127.0.0.1:http"`},
		},
		{
			name:        "metrics port out of range",
			edit:        func(c *Config) { c.Metrics.Address = "127.0.0.1:65536" },
			errContains: []string{`metrics.address: want host:port`},
		},
		{
			name:        "metrics empty",
			edit:        func(c *Config) { c.Metrics.Address = "" },
			errContains: []string{`metrics.address: want host:port (port 0 for any free port) or off, got ""`},
		},
		{
			name:        "metrics OFF is not off",
			edit:        func(c *Config) { c.Metrics.Address = "OFF" },
			errContains: []string{`metrics.address: want host:port`},
		},
		{name: "log debug json", edit: func(c *Config) { c.Log.Level, c.Log.Format = "debug", "json" }},
		{name: "log error", edit: func(c *Config) { c.Log.Level = "error" }},
		{
			name:        "log level unknown",
			edit:        func(c *Config) { c.Log.Level = "verbose" },
			errContains: []string{`log.level: must be debug, info, warn or error, got "verbose"`},
		},
		{
			name:        "log level upper-case",
			edit:        func(c *Config) { c.Log.Level = "INFO" },
			errContains: []string{`log.level: must be debug, info, warn or error, got "INFO"`},
		},
		{
			name:        "log format unknown",
			edit:        func(c *Config) { c.Log.Format = "logfmt" },
			errContains: []string{`log.format: must be text or json, got "logfmt"`},
		},
		{name: "staging ndjson", edit: func(c *Config) { c.Pipeline.StagingFormat = "ndjson" }},
		{
			name:        "staging format unknown",
			edit:        func(c *Config) { c.Pipeline.StagingFormat = "csv" },
			errContains: []string{`pipeline.staging_format: must be parquet or ndjson, got "csv"`},
		},
		{
			name: "all errors at once",
			edit: func(c *Config) { *c = Config{} },
			errContains: []string{
				"source.uri: must not be empty",
				"staging.uri: must not be empty",
				"transform.max_line_bytes: must be between",
				"metrics.address: want host:port",
				"log.level: must be",
				"log.format: must be",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.edit(&c)
			err := c.Validate()
			if len(tt.errContains) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want errors containing %q", tt.errContains)
			}
			for _, want := range tt.errContains {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Validate() = %q, want it to contain %q", err, want)
				}
			}
			var ke *KeyError
			if !errors.As(err, &ke) {
				t.Errorf("Validate() = %T, want it to hold a *KeyError", err)
			}
		})
	}
}

func TestValidateBigQuery(t *testing.T) {
	tests := []struct {
		name        string
		edit        func(*Config)
		errContains []string // empty: valid
	}{
		{"complete", func(c *Config) {
			c.Warehouse.Kind, c.Warehouse.BigQuery.Project, c.Staging.URI = "bigquery", "proj", "gs://stage/x"
		}, nil},
		{"no project, local staging", func(c *Config) { c.Warehouse.Kind = "bigquery" },
			[]string{"warehouse.bigquery.project: must be set", "staging.uri: must be gs://bucket/prefix when warehouse.kind is bigquery"}},
		{"no location", func(c *Config) {
			c.Warehouse.Kind, c.Warehouse.BigQuery.Project, c.Staging.URI, c.Warehouse.BigQuery.Location = "bigquery", "p", "gs://s/x", ""
		}, []string{"warehouse.bigquery.location: must be set"}},
		{"no bytes billed limit", func(c *Config) {
			c.Warehouse.Kind, c.Warehouse.BigQuery.Project, c.Staging.URI, c.Warehouse.BigQuery.MaxBytesBilled = "bigquery", "proj", "gs://stage/x", 0
		}, nil},
		{"bytes billed limit below BigQuery's least bill", func(c *Config) {
			c.Warehouse.Kind, c.Warehouse.BigQuery.Project, c.Staging.URI, c.Warehouse.BigQuery.MaxBytesBilled = "bigquery", "proj", "gs://stage/x", 10*MiB-1
		}, []string{"warehouse.bigquery.max_bytes_billed: must be 0 (no limit) or at least 10MiB"}},
		{"bq source", func(c *Config) {
			c.Source.URI = "bq://proj.clickstream_lake.visits?from=2024-01-01&to=2024-01-31"
			c.Warehouse.Kind, c.Warehouse.BigQuery.Project, c.Staging.URI = "bigquery", "proj", "gs://stage/x"
		}, nil},
		{"bq source with duckdb", func(c *Config) { c.Source.URI = "bq://proj.clickstream_lake.visits" }, []string{"source.uri: a bq:// source is exported by BigQuery"}},
		{"bq source, two names", func(c *Config) { c.Source.URI = "bq://proj.visits" }, []string{"source.uri", "three names"}},
		{"bq source, bad date", func(c *Config) { c.Source.URI = "bq://p.d.t?from=yesterday" }, []string{`from="yesterday" is not a date`}},
		{"bq source, reversed range", func(c *Config) { c.Source.URI = "bq://p.d.t?from=2024-02-01&to=2024-01-01" }, []string{"is after to"}},
		{"bq source, unknown parameter", func(c *Config) { c.Source.URI = "bq://p.d.t?day=2024-02-01" }, []string{`unknown parameter "day"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.edit(&c)
			err := c.Validate()
			if len(tt.errContains) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate() = nil, want an error")
			}
			for _, want := range tt.errContains {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
		})
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	c := Default()
	c.Temporal.APIKey = "sekret-123"
	out, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{string(out), fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c)} {
		if strings.Contains(s, "sekret-123") {
			t.Fatalf("the API key is printed: %s", s)
		}
	}
	if !strings.Contains(string(out), `api_key: '***'`) {
		t.Errorf("printed config does not show the key is set:\n%s", out)
	}
}

func TestLogSlogLevel(t *testing.T) {
	for level, want := range map[string]slog.Level{
		"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError,
	} {
		if got := (Log{Level: level}).SlogLevel(); got != want {
			t.Errorf("Log{Level: %q}.SlogLevel() = %v, want %v", level, got, want)
		}
	}
	if got := Default().Log.SlogLevel(); got != slog.LevelInfo {
		t.Errorf("the default log level is %v, want INFO", got)
	}
}
