package blob

import (
	"errors"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
)

func TestOpen(t *testing.T) {
	tests := []struct {
		name        string
		uri         string
		wantURI     string   // URI() of the local store Open returns
		errIs       error    // Optional: an error the result must wrap
		errContains []string // Optional: what the message must say
	}{
		{name: "relative", uri: "data/source", wantURI: "data/source"},
		{name: "relative uncleaned", uri: "./data//source/", wantURI: "data/source"},
		{name: "dot", uri: ".", wantURI: "."},
		{name: "absolute", uri: "/srv/data/", wantURI: "/srv/data"},
		{name: "file URI", uri: "file:///srv/data", wantURI: "/srv/data"},
		{name: "file URI localhost", uri: "file://localhost/srv/data", wantURI: "/srv/data"},
		{name: "file URI escaped", uri: "file:///srv/my%20data", wantURI: "/srv/my data"},
		{name: "file URI upper-case scheme", uri: "FILE:///srv", wantURI: "/srv"},
		{name: "colon in a path is not a scheme", uri: "data/a:b", wantURI: "data/a:b"},
		{name: "gs needs an Opener", uri: "gs://bucket/prefix", errIs: errors.ErrUnsupported, errContains: []string{"gs://bucket/prefix", "needs a GCS client", "blob.Opener"}},
		{name: "unknown scheme", uri: "s3://bucket/key", errContains: []string{`"s3://bucket/key"`, `"s3"`, "local folder path", "file:///", "gs://"}},
		{name: "empty", uri: "", errContains: []string{"empty"}},
		{name: "file URI of another host", uri: "file://server/share", errContains: []string{"another host"}},
		{name: "file URI with a query", uri: "file:///srv/a?b", errContains: []string{"query"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(tt.uri)
			if tt.errIs == nil && tt.errContains == nil {
				if err != nil {
					t.Fatalf("Open(%q): %v", tt.uri, err)
				}
				if _, ok := s.(*Local); !ok {
					t.Fatalf("Open(%q) = %T, want *Local", tt.uri, s)
				}
				if got := s.URI(); got != tt.wantURI {
					t.Errorf("Open(%q).URI() = %q, want %q", tt.uri, got, tt.wantURI)
				}
				return
			}
			if err == nil {
				t.Fatalf("Open(%q) = %v, want an error", tt.uri, s)
			}
			if tt.errIs != nil && !errors.Is(err, tt.errIs) {
				t.Errorf("Open(%q) = %v, want an error wrapping %v", tt.uri, err, tt.errIs)
			}
			for _, want := range tt.errContains {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Open(%q) = %q, want it to contain %q", tt.uri, err, want)
				}
			}
		})
	}
}

func TestJoin(t *testing.T) {
	tests := []struct {
		store, name, want string
	}{
		{"data/source", "a/b.jsonl", "data/source/a/b.jsonl"},
		{".", "a", "./a"},
		{"/", "a", "/a"},
		{"gs://bucket", "a/b", "gs://bucket/a/b"},
		{"gs://bucket/prefix/", "a", "gs://bucket/prefix/a"},
	}
	for _, tt := range tests {
		if got := Join(tt.store, tt.name); got != tt.want {
			t.Errorf("Join(%q, %q) = %q, want %q", tt.store, tt.name, got, tt.want)
		}
	}
}

// The full name of a local object opens with os.Open, wherever the store is.
func TestJoinLocalOpens(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("os.Chdir into a temporary folder keeps it busy on Windows")
	}
	dir := t.TempDir()
	t.Chdir(dir)
	for _, root := range []string{dir, ".", "nested/../store"} {
		l, err := NewLocal(root)
		if err != nil {
			t.Fatal(err)
		}
		writeFiles(t, l, "dt=2024-01-30/a.jsonl")
		f, err := os.Open(Join(l.URI(), "dt=2024-01-30/a.jsonl"))
		if err != nil {
			t.Fatalf("root %q: %v", root, err)
		}
		b, _ := io.ReadAll(f)
		f.Close()
		if string(b) != "dt=2024-01-30/a.jsonl" {
			t.Errorf("root %q: read %q", root, b)
		}
	}
}
