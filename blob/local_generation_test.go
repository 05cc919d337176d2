package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLocalOpenGeneration(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		change func(t *testing.T, l *Local) // after listing
		now    func(t *testing.T, l *Local) string
	}{
		{name: "unchanged"},
		{
			name:   "rewritten",
			change: func(t *testing.T, l *Local) { writeObject(t, l, "dt=1/a.jsonl", []byte("two\n")) },
			now:    func(t *testing.T, l *Local) string { return fmt.Sprint(mtime(t, l)) },
		},
		{
			name: "touched",
			change: func(t *testing.T, l *Local) {
				p := filepath.Join(l.root, "dt=1", "a.jsonl")
				when := time.Unix(1700000000, 123456789)
				if err := os.Chtimes(p, when, when); err != nil {
					t.Fatal(err)
				}
			},
			now: func(t *testing.T, l *Local) string { return "1700000000123456789" },
		},
		{
			name:   "deleted",
			change: func(t *testing.T, l *Local) { l.Delete(ctx, "dt=1/a.jsonl") },
			now:    func(t *testing.T, l *Local) string { return "deleted" },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newTestLocal(t)
			writeObject(t, l, "dt=1/a.jsonl", []byte("one\n"))
			page, err := l.List(ctx, "", "", 10)
			if err != nil || len(page.Objects) != 1 {
				t.Fatalf("List: %+v, %v", page, err)
			}
			gen := page.Objects[0].Generation
			if tt.change == nil {
				rc, err := l.OpenGeneration(ctx, "dt=1/a.jsonl", gen)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(rc)
				rc.Close()
				if string(b) != "one\n" {
					t.Errorf("read %q", b)
				}
				return
			}
			tt.change(t, l)
			_, err = l.OpenGeneration(ctx, "dt=1/a.jsonl", gen)
			want := fmt.Sprintf("object %s changed since it was listed (generation %d, now %s)", Join(l.URI(), "dt=1/a.jsonl"), gen, tt.now(t, l))
			checkErr(t, err, []error{ErrChanged}, want)
			if errors.Is(err, ErrNotExist) {
				t.Errorf("error %q wraps ErrNotExist", err)
			}
		})
	}

	l := newTestLocal(t)
	for _, name := range []string{"", "../x", "a//b"} {
		_, err := l.OpenGeneration(ctx, name, 1)
		checkErr(t, err, []error{ErrInvalidName})
	}
}

func mtime(t *testing.T, l *Local) int64 {
	t.Helper()
	info, err := os.Stat(filepath.Join(l.root, "dt=1", "a.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	return info.ModTime().UnixNano()
}
