package blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// create writes content to name through Create and Close.
func create(t testing.TB, l *Local, name, content string) {
	t.Helper()
	w, err := l.Create(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(w, content); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func read(t testing.TB, l *Local, name string) string {
	t.Helper()
	r, err := l.Open(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestOpenMissing(t *testing.T) {
	ctx := context.Background()
	l := newTestLocal(t)
	writeFiles(t, l, "file", "folder/x")
	tests := []struct {
		name        string
		input       string
		errContains string
	}{
		{name: "missing object", input: "nope.jsonl", errContains: `object "nope.jsonl" in ` + l.URI() + " does not exist"},
		{name: "missing folder", input: "no/such.jsonl", errContains: "does not exist"},
		{name: "below a file", input: "file/x", errContains: "does not exist"},
		{name: "a folder", input: "folder", errContains: "a folder of that name exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := l.Open(ctx, tt.input)
			if err == nil {
				r.Close()
				t.Fatalf("Open(%q) succeeded", tt.input)
			}
			if !errors.Is(err, ErrNotExist) || !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Open(%q) = %v, want ErrNotExist and fs.ErrNotExist", tt.input, err)
			}
			if !strings.Contains(err.Error(), tt.errContains) {
				t.Errorf("Open(%q) = %q, want it to contain %q", tt.input, err, tt.errContains)
			}
		})
	}
}

func TestCanceledContext(t *testing.T) {
	l := newTestLocal(t)
	writeFiles(t, l, "a")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Open(ctx, "a"); !errors.Is(err, context.Canceled) {
		t.Errorf("Open = %v, want context.Canceled", err)
	}
	if _, err := l.Create(ctx, "b"); !errors.Is(err, context.Canceled) {
		t.Errorf("Create = %v, want context.Canceled", err)
	}
	if err := l.Delete(ctx, "a"); !errors.Is(err, context.Canceled) {
		t.Errorf("Delete = %v, want context.Canceled", err)
	}
	if err := l.DeletePrefix(ctx, ""); !errors.Is(err, context.Canceled) {
		t.Errorf("DeletePrefix = %v, want context.Canceled", err)
	}
	if got := read(t, l, "a"); got != "a" {
		t.Errorf("a canceled Delete removed the object: %q", got)
	}
}

func TestCreate(t *testing.T) {
	ctx := context.Background()
	l, err := NewLocal(filepath.Join(t.TempDir(), "not", "yet"))
	if err != nil {
		t.Fatal(err)
	}
	create(t, l, "dt=2024-01-30/sub/a.jsonl", "hello")
	if got := read(t, l, "dt=2024-01-30/sub/a.jsonl"); got != "hello" {
		t.Errorf("read %q", got)
	}
	info, err := os.Stat(filepath.Join(l.root, "dt=2024-01-30", "sub", "a.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o644 {
		t.Errorf("file mode %v, want 0644", info.Mode().Perm())
	}

	// Close twice, Abort after Close, Write after Close.
	w, err := l.Create(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "b")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	w.Abort()
	if _, err := w.Write([]byte("more")); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("Write after Close = %v, want fs.ErrClosed", err)
	}
	if got := read(t, l, "b"); got != "b" {
		t.Errorf("read %q after Close, Close, Abort", got)
	}
	if tmp := tempFiles(t, l.root); len(tmp) != 0 {
		t.Errorf("temporary files remain: %q", tmp)
	}
}

func TestCreateAbort(t *testing.T) {
	ctx := context.Background()
	l := newTestLocal(t)
	create(t, l, "a/x", "old")
	w, err := l.Create(ctx, "a/x")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "new, never committed")
	w.Abort()
	w.Abort()
	if err := w.Close(); err != nil {
		t.Errorf("Close after Abort = %v, want nil", err)
	}
	if got := read(t, l, "a/x"); got != "old" {
		t.Errorf("after Abort read %q, want old", got)
	}
	// An aborted new object leaves no object.
	w, err = l.Create(ctx, "a/new")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "new")
	w.Abort()
	if _, err := l.Open(ctx, "a/new"); !errors.Is(err, ErrNotExist) {
		t.Errorf("Open of an aborted object = %v", err)
	}
	if tmp := tempFiles(t, l.root); len(tmp) != 0 {
		t.Errorf("temporary files remain: %q", tmp)
	}
}

// A Close that cannot commit reports it and removes its temporary file.
func TestCreateFailedClose(t *testing.T) {
	ctx := context.Background()
	l := newTestLocal(t)
	writeFiles(t, l, "d/inside")
	w, err := l.Create(ctx, "d") // a non-empty folder: the rename must fail
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "x")
	err = w.Close()
	if err == nil {
		t.Fatal("Close over a folder succeeded")
	}
	if !strings.Contains(err.Error(), Join(l.URI(), "d")) {
		t.Errorf("error %q does not name the object", err)
	}
	if err2 := w.Close(); err2 != err {
		t.Errorf("second Close = %v, want the first's %v", err2, err)
	}
	if tmp := tempFiles(t, l.root); len(tmp) != 0 {
		t.Errorf("temporary files remain: %q", tmp)
	}
	if got := read(t, l, "d/inside"); got != "d/inside" {
		t.Errorf("the folder changed: %q", got)
	}
}

// Readers see the old content or the new one, whole, never a part.
func TestCreateAtomic(t *testing.T) {
	ctx := context.Background()
	l := newTestLocal(t)
	contents := []string{strings.Repeat("a", 1<<20), strings.Repeat("b", 3<<19)}
	create(t, l, "x", contents[0])

	// Between the writes of one Create, readers see the old content.
	w, err := l.Create(ctx, "x")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(contents[1]); i += 64 << 10 {
		io.WriteString(w, contents[1][i:min(i+64<<10, len(contents[1]))])
		if got := read(t, l, "x"); got != contents[0] {
			t.Fatalf("after %d bytes written read %d bytes of the new content", i, len(got))
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := read(t, l, "x"); got != contents[1] {
		t.Fatal("Close did not commit the new content")
	}

	// Readers racing a writer that replaces the object over and over.
	done := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				r, err := l.Open(ctx, "x")
				if err != nil {
					errs <- err
					return
				}
				b, err := io.ReadAll(r)
				r.Close()
				if err != nil || !slices.Contains(contents, string(b)) {
					errs <- fmt.Errorf("read %d bytes (%v), neither old nor new", len(b), err)
					return
				}
			}
		})
	}
	for i := range 50 {
		create(t, l, "x", contents[i%2])
	}
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if tmp := tempFiles(t, l.root); len(tmp) != 0 {
		t.Errorf("temporary files remain: %q", tmp)
	}
}

func TestCreateConcurrent(t *testing.T) {
	l := newTestLocal(t)
	const n = 64
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			name := fmt.Sprintf("d%d/sub/f%02d", i%4, i)
			w, err := l.Create(context.Background(), name)
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := io.Copy(w, bytes.NewReader(bytes.Repeat([]byte(name), 1000))); err != nil {
				t.Error(err)
			}
			if err := w.Close(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	names := listAll(t, l, "", 10)
	if len(names) != n {
		t.Fatalf("listed %d objects, want %d", len(names), n)
	}
	for _, name := range names {
		if got := read(t, l, name); got != strings.Repeat(name, 1000) {
			t.Errorf("%s holds %d bytes of something else", name, len(got))
		}
	}
}

func TestDelete(t *testing.T) {
	ctx := context.Background()
	l := newTestLocal(t)
	writeFiles(t, l, "a/b", "folder/x")
	for _, name := range []string{"a/b", "a/b", "missing", "no/such/thing", "a/b/c", "folder"} {
		if err := l.Delete(ctx, name); err != nil {
			t.Errorf("Delete(%q) = %v", name, err)
		}
	}
	if got, want := listAll(t, l, "", 0), []string{"folder/x"}; !slices.Equal(got, want) {
		t.Errorf("left %q, want %q", got, want)
	}
}

func TestDeletePrefix(t *testing.T) {
	ctx := context.Background()
	l := newTestLocal(t)
	writeFiles(t, l, trickyNames...)
	if err := os.MkdirAll(filepath.Join(l.root, "run-1", "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, l, "run-1/a/b", "run-1/c", "run-10/x", "run-2/y")
	// A write in progress under the prefix keeps its folder and commits after.
	w, err := l.Create(ctx, "run-1/late/z")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.DeletePrefix(ctx, "run-1/"); err != nil {
		t.Fatal(err)
	}
	if got, want := listAll(t, l, "run-", 0), []string{"run-10/x", "run-2/y"}; !slices.Equal(got, want) {
		t.Errorf("left %q, want %q", got, want)
	}
	entries, _ := os.ReadDir(filepath.Join(l.root, "run-1"))
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if !slices.Equal(left, []string{"late"}) {
		t.Errorf("run-1 holds %q, want only the folder of the write in progress", left)
	}
	io.WriteString(w, "z")
	if err := w.Close(); err != nil {
		t.Fatalf("Close after DeletePrefix: %v", err)
	}

	if err := l.DeletePrefix(ctx, "dt=2024-01-3"); err != nil {
		t.Fatal(err)
	}
	if got := listAll(t, l, "dt=", 0); len(got) != 0 {
		t.Errorf("left %q", got)
	}
	if err := l.DeletePrefix(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if entries, err := os.ReadDir(l.root); err != nil || len(entries) != 0 {
		t.Errorf("root holds %v (%v) after deleting everything", entries, err)
	}

	missing, _ := NewLocal(filepath.Join(l.root, "missing"))
	if err := missing.DeletePrefix(ctx, ""); err != nil {
		t.Errorf("DeletePrefix of a missing root = %v", err)
	}
}

// TestCreateRefused: a folder the file system refuses for good (here a file
// where a folder must be, which stops root too; and a read-only folder, which
// does not) fails Create with an error wrapping ErrPermission and naming the
// store's folder, so that callers fail at once instead of retrying.
func TestCreateRefused(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "afile")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	roots := []string{filepath.Join(file, "staging"), file}
	if os.Geteuid() != 0 { // root writes into read-only folders
		ro := filepath.Join(dir, "ro")
		if err := os.Mkdir(ro, 0o555); err != nil {
			t.Fatal(err)
		}
		roots = append(roots, ro)
	}
	for _, root := range roots {
		l, err := NewLocal(root)
		if err != nil {
			t.Fatal(err)
		}
		_, err = l.Create(context.Background(), "run/visits/a.ndjson")
		if !errors.Is(err, ErrPermission) || errors.Is(err, ErrNotExist) || !strings.Contains(err.Error(), "folder "+l.URI()+" is not usable") {
			t.Errorf("Create under %s = %v, want ErrPermission naming the folder", root, err)
		}
	}
	// Reading under a file is still "no such object", not a refusal.
	l, _ := NewLocal(filepath.Join(file, "staging"))
	if _, err := l.Open(context.Background(), "run/manifest.json"); !errors.Is(err, ErrNotExist) {
		t.Errorf("Open under a file = %v, want ErrNotExist", err)
	}
}
