package clickstream_test

import (
	"strings"
	"testing"

	"github.com/clickstream-platform/clickstream/clickstream"
)

func TestParseFormat(t *testing.T) {
	tests := []struct {
		input       string
		want        clickstream.Format
		ext         string
		errContains string
	}{
		{input: "ndjson", want: clickstream.NDJSON, ext: ".ndjson"},
		{input: "parquet", want: clickstream.Parquet, ext: ".parquet"},
		{input: "", errContains: `"ndjson" or "parquet"`},
		{input: "Parquet", errContains: `unknown staged format "Parquet"`},
		{input: "csv", errContains: `"ndjson" or "parquet"`},
	}
	for _, tt := range tests {
		t.Run(tt.input, func(t *testing.T) {
			got, err := clickstream.ParseFormat(tt.input)
			if tt.errContains != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errContains) {
					t.Fatalf("ParseFormat(%q) = %q, %v; want an error containing %q", tt.input, got, err, tt.errContains)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseFormat(%q) = %q, %v; want %q", tt.input, got, err, tt.want)
			}
			if ext := got.Ext(); ext != tt.ext {
				t.Errorf("%q.Ext() = %q, want %q", got, ext, tt.ext)
			}
		})
	}
	if ext := clickstream.Format("").Ext(); ext != ".ndjson" {
		t.Errorf("zero Format's Ext() = %q, want .ndjson (NDJSON is the default)", ext)
	}
}

func TestNewTransformerFormatOptions(t *testing.T) {
	tests := []struct {
		name        string
		opts        clickstream.Options
		errContains string
	}{
		{name: "default", opts: clickstream.Options{}},
		{name: "ndjson", opts: clickstream.Options{Format: clickstream.NDJSON}},
		{name: "parquet", opts: clickstream.Options{Format: clickstream.Parquet}},
		{name: "snappy", opts: clickstream.Options{Format: clickstream.Parquet, ParquetCompression: "snappy"}},
		{name: "zstd", opts: clickstream.Options{Format: clickstream.Parquet, ParquetCompression: "zstd"}},
		{name: "none", opts: clickstream.Options{Format: clickstream.Parquet, ParquetCompression: "none"}},
		{name: "bad compression", opts: clickstream.Options{Format: clickstream.Parquet, ParquetCompression: "gzip"},
			errContains: `unknown Parquet compression "gzip": want "snappy", "zstd" or "none"`},
		{name: "bad compression with ndjson", opts: clickstream.Options{ParquetCompression: "lz4"},
			errContains: `unknown Parquet compression "lz4"`},
		{name: "bad format", opts: clickstream.Options{Format: "csv"}, errContains: `unknown staged format "csv"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.RunID = "r"
			_, err := clickstream.NewTransformer(tt.opts)
			if tt.errContains == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.errContains) {
				t.Fatalf("err = %v, want one containing %q", err, tt.errContains)
			}
		})
	}
}
