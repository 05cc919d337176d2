package config

import (
	"strings"
	"testing"
)

func TestParseByteSize(t *testing.T) {
	tests := []struct {
		name        string
		input       string
		want        ByteSize
		errContains string
	}{
		{name: "bytes", input: "1024", want: 1024},
		{name: "bytes with B", input: "100B", want: 100},
		{name: "zero", input: "0", want: 0},
		{name: "KiB", input: "512KiB", want: 512 << 10},
		{name: "MiB", input: "16MiB", want: 16 << 20},
		{name: "GiB", input: "1GiB", want: 1 << 30},
		{name: "TiB", input: "2TiB", want: 2 << 40},
		{name: "kB is decimal", input: "64kB", want: 64_000},
		{name: "MB is decimal", input: "100MB", want: 100_000_000},
		{name: "GB is decimal", input: "3GB", want: 3_000_000_000},
		{name: "unit case-insensitive", input: "16mib", want: 16 << 20},
		{name: "unit upper-case", input: "64KB", want: 64_000},
		{name: "spaces", input: " 16 MiB ", want: 16 << 20},
		{name: "empty", input: "", errContains: "want a whole number"},
		{name: "unit only", input: "MiB", errContains: "want a whole number"},
		{name: "negative", input: "-1", errContains: "want a whole number"},
		{name: "fraction", input: "1.5GiB", errContains: `unknown unit ".5GiB"`},
		{name: "short unit", input: "16M", errContains: `unknown unit "M"`},
		{name: "bits", input: "16Mb", want: 16_000_000}, // case-insensitive: Mb is MB
		{name: "unknown unit", input: "16XB", errContains: `unknown unit "XB"`},
		{name: "overflow", input: "9999999TiB", errContains: "too large"},
		{name: "overflow digits", input: "99999999999999999999", errContains: "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseByteSize(tt.input)
			if tt.errContains != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errContains) {
					t.Fatalf("ParseByteSize(%q) = %v, %v; want error containing %q", tt.input, got, err, tt.errContains)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseByteSize(%q) = %d, %v; want %d", tt.input, got, err, tt.want)
			}
		})
	}
}

func TestByteSizeString(t *testing.T) {
	tests := []struct {
		input ByteSize
		want  string
	}{
		{0, "0"},
		{1000, "1000"},
		{KiB, "1KiB"},
		{1536, "1536"}, // 1.5KiB: not a whole binary unit
		{16 * MiB, "16MiB"},
		{1024 * MiB, "1GiB"},
		{3 * TiB, "3TiB"},
		{100_000_000, "100000000"},
	}
	for _, tt := range tests {
		if got := tt.input.String(); got != tt.want {
			t.Errorf("ByteSize(%d).String() = %q, want %q", int64(tt.input), got, tt.want)
		}
		if back, err := ParseByteSize(tt.input.String()); err != nil || back != tt.input {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", tt.input.String(), back, err, tt.input)
		}
	}
}

func TestByteSizeDecimal(t *testing.T) {
	for _, tt := range []struct {
		input ByteSize
		want  string
	}{
		{0, "0 B"}, {512, "512 B"}, {999, "999 B"}, {1000, "1.0 kB"}, {743_700, "743.7 kB"},
		{2_949_999, "2.9 MB"}, {100_000, "100.0 kB"}, {5 * 1e12, "5.0 TB"}, {3e18, "3000.0 PB"},
	} {
		if got := tt.input.Decimal(); got != tt.want {
			t.Errorf("ByteSize(%d).Decimal() = %q, want %q", int64(tt.input), got, tt.want)
		}
	}
}

func TestByteSizeHook(t *testing.T) {
	tests := []struct {
		name        string
		input       any
		want        ByteSize
		errContains string
	}{
		{name: "string", input: "16MiB", want: 16 * MiB},
		{name: "int from YAML", input: 2048, want: 2048},
		{name: "uint", input: uint64(4096), want: 4096},
		{name: "whole float from YAML", input: 1e6, want: 1_000_000},
		{name: "fractional float", input: 1.5, errContains: "whole number"},
		{name: "bool", input: true, errContains: "type bool"},
		{name: "bad string", input: "lots", errContains: `invalid size "lots"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Config
			err := decodeMap(map[string]any{"transform": map[string]any{"max_line_bytes": tt.input}}, &got)
			if tt.errContains != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errContains) {
					t.Fatalf("decoding %#v: err = %v; want error containing %q", tt.input, err, tt.errContains)
				}
				return
			}
			if err != nil || got.Transform.MaxLineBytes != tt.want {
				t.Fatalf("decoding %#v = %d, %v; want %d", tt.input, got.Transform.MaxLineBytes, err, tt.want)
			}
		})
	}
}
