package blob

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestValidateName(t *testing.T) {
	tests := []struct {
		name        string
		input       string
		errContains string // "" when valid
	}{
		{name: "plain", input: "a.jsonl"},
		{name: "nested", input: "dt=2024-01-30/part-0.jsonl.gz"},
		{name: "dots inside elements", input: "..a/a../.hidden/a.b"},
		{name: "unicode", input: "日本/語.jsonl"},
		{name: "space", input: "a b/c d"},
		{name: "empty", input: "", errContains: "empty"},
		{name: "parent", input: "../x", errContains: `".." path element`},
		{name: "parent inside", input: "a/../../x", errContains: `".." path element`},
		{name: "parent at end", input: "a/..", errContains: `".." path element`},
		{name: "dot alone", input: ".", errContains: `"." path element`},
		{name: "dot inside", input: "a/./b", errContains: `"." path element`},
		{name: "absolute", input: "/etc/passwd", errContains: "absolute"},
		{name: "double slash", input: "a//b", errContains: "empty path element"},
		{name: "trailing slash", input: "a/", errContains: "empty path element"},
		{name: "backslash", input: `a\b`, errContains: "backslash"},
		{name: "backslash parent", input: `..\x`, errContains: "backslash"},
		{name: "NUL", input: "a\x00b", errContains: "NUL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validateName(tt.input)
			if tt.errContains == "" {
				if err != nil {
					t.Fatalf("validateName(%q) = %v, want nil", tt.input, err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidName) {
				t.Fatalf("validateName(%q) = %v, want an error wrapping ErrInvalidName", tt.input, err)
			}
			for _, want := range []string{tt.errContains, strconv.Quote(tt.input)} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("validateName(%q) = %q, want it to contain %q", tt.input, err, want)
				}
			}
		})
	}
}

// Every operation that takes a name refuses the names validateName refuses,
// before touching the file system.
func TestLocalRejectsInvalidNames(t *testing.T) {
	ctx := context.Background()
	l := newTestLocal(t)
	writeFiles(t, l, "x") // ../x would be this file, seen from a subfolder
	for _, name := range []string{"", "../x", "a/../../x", "/etc/passwd", "a//b", "a/./b", `..\x`, "a\x00"} {
		if _, err := l.Open(ctx, name); !errors.Is(err, ErrInvalidName) {
			t.Errorf("Open(%q) = %v, want ErrInvalidName", name, err)
		}
		if _, err := l.Create(ctx, name); !errors.Is(err, ErrInvalidName) {
			t.Errorf("Create(%q) = %v, want ErrInvalidName", name, err)
		}
		if err := l.Delete(ctx, name); !errors.Is(err, ErrInvalidName) {
			t.Errorf("Delete(%q) = %v, want ErrInvalidName", name, err)
		}
	}
	if _, err := l.Create(ctx, "a/.blob-1.tmp"); !errors.Is(err, ErrInvalidName) {
		t.Errorf("Create of a temporary file's name = %v, want ErrInvalidName", err)
	}
}
