package blob

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// trickyNames sort differently as full names than a folder walk in
// filepath.WalkDir order would visit them: '-', '.', ' ' and '=' sort
// before '/', '0' and 'é' after it.
var trickyNames = []string{
	"a/x", "a/y/z", "a-b", "a.b", "a=1/b", "a0", "ab", "a b/c",
	"b/c-d/e", "b/c.d", "b/c/d", "b/c/d-e/f", "b/c/d.e", "b/c/d0/g",
	"dt=2024-01-3/x.jsonl", "dt=2024-01-30/a.jsonl", "dt=2024-01-30/b.jsonl", "dt=2024-01-31/a.jsonl",
	"dt=2024-01-30.jsonl", "dt=2024-01-30-late/a.jsonl",
	"Z", "_SUCCESS", ".hidden", "é/x", "ü", "z/日本/語.jsonl", "z/日本-a", "z/日本.b",
}

func sortedCopy(names []string) []string {
	s := slices.Clone(names)
	slices.Sort(s)
	return s
}

func TestListPagination(t *testing.T) {
	l := newTestLocal(t)
	writeFiles(t, l, trickyNames...)
	want := sortedCopy(trickyNames)
	for _, max := range []int{1, 2, 3, 5, 7, len(want) - 1, len(want), len(want) + 1, 0, -1} {
		t.Run(fmt.Sprintf("max=%d", max), func(t *testing.T) {
			if got := listAll(t, l, "", max); !slices.Equal(got, want) {
				t.Errorf("listed\n%q\nwant\n%q", got, want)
			}
		})
	}
}

func TestListPrefix(t *testing.T) {
	l := newTestLocal(t)
	writeFiles(t, l, trickyNames...)
	tests := []struct {
		prefix string
		want   []string
	}{
		{"dt=2024-01-3", []string{"dt=2024-01-3/x.jsonl", "dt=2024-01-30-late/a.jsonl", "dt=2024-01-30.jsonl", "dt=2024-01-30/a.jsonl", "dt=2024-01-30/b.jsonl", "dt=2024-01-31/a.jsonl"}},
		{"dt=2024-01-30/", []string{"dt=2024-01-30/a.jsonl", "dt=2024-01-30/b.jsonl"}},
		{"dt=2024-01-30/b", []string{"dt=2024-01-30/b.jsonl"}},
		{"b/c", []string{"b/c-d/e", "b/c.d", "b/c/d", "b/c/d-e/f", "b/c/d.e", "b/c/d0/g"}},
		{"b/c/d", []string{"b/c/d", "b/c/d-e/f", "b/c/d.e", "b/c/d0/g"}},
		{"a", []string{"a b/c", "a-b", "a.b", "a/x", "a/y/z", "a0", "a=1/b", "ab"}},
		{"z/日本", []string{"z/日本-a", "z/日本.b", "z/日本/語.jsonl"}},
		{"é", []string{"é/x"}},
		{"nothing", nil},
		{"a/x/", nil}, // a/x is a file
		{"", sortedCopy(trickyNames)},
	}
	for _, tt := range tests {
		for _, max := range []int{1, 2, 0} {
			t.Run(fmt.Sprintf("%s/max=%d", tt.prefix, max), func(t *testing.T) {
				if got := listAll(t, l, tt.prefix, max); !slices.Equal(got, tt.want) {
					t.Errorf("listed %q, want %q", got, tt.want)
				}
			})
		}
	}
}

// Objects added behind the token never appear on later pages; objects added
// after it do.
func TestListTokenContinuation(t *testing.T) {
	ctx := context.Background()
	l := newTestLocal(t)
	writeFiles(t, l, "b/1", "b/3", "d/1", "d/3", "f")
	first, err := l.List(ctx, "", "", 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := objectNames(first); !slices.Equal(got, []string{"b/1", "b/3"}) || first.Next != "b/3" {
		t.Fatalf("first page %q, next %q", got, first.Next)
	}
	writeFiles(t, l, "a", "b/2", "b-", "b.x/y", "b/3-", "b/4", "c/1", "d/2", "g/h")
	var rest []string
	for token := first.Next; ; {
		page, err := l.List(ctx, "", token, 2)
		if err != nil {
			t.Fatal(err)
		}
		rest = append(rest, objectNames(page)...)
		if token = page.Next; token == "" {
			break
		}
	}
	want := []string{"b/3-", "b/4", "c/1", "d/1", "d/2", "d/3", "f", "g/h"}
	if !slices.Equal(rest, want) {
		t.Errorf("after token %q listed %q, want %q", first.Next, rest, want)
	}
}

func objectNames(p Page) []string {
	var names []string
	for _, o := range p.Objects {
		names = append(names, o.Name)
	}
	return names
}

func TestListObjectFields(t *testing.T) {
	ctx := context.Background()
	l := newTestLocal(t)
	writeFiles(t, l, "d/a.jsonl")
	mtime := time.Date(2024, 1, 30, 10, 0, 0, 123456789, time.UTC)
	if err := os.Chtimes(filepath.Join(l.root, "d", "a.jsonl"), mtime, mtime); err != nil {
		t.Fatal(err)
	}
	page, err := l.List(ctx, "", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Objects) != 1 {
		t.Fatalf("listed %v", page.Objects)
	}
	o := page.Objects[0]
	if o.Name != "d/a.jsonl" || o.Size != int64(len("d/a.jsonl")) || !o.Updated.Equal(mtime) || o.Generation != mtime.UnixNano() {
		t.Errorf("object %+v, want d/a.jsonl, size %d, updated and generation %v", o, len("d/a.jsonl"), mtime)
	}
}

// A rewrite through Create changes the generation, however quickly it follows.
func TestListGenerationChangesOnRewrite(t *testing.T) {
	ctx := context.Background()
	l := newTestLocal(t)
	generation := func() int64 {
		t.Helper()
		page, err := l.List(ctx, "x", "", 0)
		if err != nil || len(page.Objects) != 1 {
			t.Fatalf("List: %v, %v", page.Objects, err)
		}
		return page.Objects[0].Generation
	}
	create(t, l, "x", "one")
	prev := generation()
	for i := range 20 {
		create(t, l, "x", fmt.Sprint("rewrite ", i))
		g := generation()
		if g <= prev {
			t.Fatalf("rewrite %d: generation %d, was %d", i, g, prev)
		}
		prev = g
	}
	// Even when the clock has not moved past the old file's time (a coarse
	// file system clock, or a time set ahead).
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(l.root, "x"), future, future); err != nil {
		t.Fatal(err)
	}
	create(t, l, "x", "after a time set ahead")
	if g := generation(); g <= future.UnixNano() {
		t.Errorf("generation %d after a rewrite, want > %d", g, future.UnixNano())
	}
}

// Only regular files are objects: folders, symbolic links and Create's
// temporary files are not listed.
func TestListSkipsNonObjects(t *testing.T) {
	l := newTestLocal(t)
	writeFiles(t, l, "a/f", "a/.blob-123.tmp", ".blob-9.tmp", "z")
	if err := os.MkdirAll(filepath.Join(l.root, "empty", "folder"), 0o755); err != nil {
		t.Fatal(err)
	}
	// A writer in progress.
	w, err := l.Create(context.Background(), "a/g")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if err := os.Symlink(filepath.Join(l.root, "z"), filepath.Join(l.root, "link")); err != nil {
		t.Logf("no symbolic link: %v", err)
	}
	if got, want := listAll(t, l, "", 0), []string{"a/f", "z"}; !slices.Equal(got, want) {
		t.Errorf("listed %q, want %q", got, want)
	}
}

func TestListMissingRoot(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	t.Chdir(dir)
	l, err := NewLocal("data/source")
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.List(ctx, "", "", 0)
	if !errors.Is(err, ErrNotExist) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("List of a missing root = %v, want ErrNotExist and fs.ErrNotExist", err)
	}
	if want := "folder data/source does not exist"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}

	writeFiles(t, &Local{root: "data"}, "source")
	_, err = l.List(ctx, "", "", 0)
	if !errors.Is(err, ErrPermission) || errors.Is(err, ErrNotExist) || !strings.Contains(err.Error(), "data/source: not a folder") {
		t.Errorf("List of a root that is a file = %v, want a 'not a folder' error wrapping ErrPermission", err)
	}
}

func TestListCanceled(t *testing.T) {
	l := newTestLocal(t)
	writeFiles(t, l, "a/b")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.List(ctx, "", "", 0); !errors.Is(err, context.Canceled) {
		t.Errorf("List with a canceled context = %v", err)
	}
}

// A root of thousands of files in nested folders lists every file once, in
// order, whatever the page size.
func TestListLargeRoot(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 6,000 files")
	}
	l := newTestLocal(t)
	var names []string
	for d := range 30 {
		for f := range 200 {
			var name string
			switch d % 3 {
			case 0:
				name = fmt.Sprintf("dt=2024-01-%02d/part-%d.jsonl", d, f)
			case 1:
				name = fmt.Sprintf("dt=2024-01-%02d-x/%d/f.jsonl", d, f%7)
				name = strings.Replace(name, "/f.", fmt.Sprintf("/f%d.", f), 1)
			default:
				name = fmt.Sprintf("dt=2024-01-%02d.%d.jsonl", d, f)
			}
			names = append(names, name)
		}
	}
	writeFiles(t, l, names...)
	want := sortedCopy(names)
	for _, max := range []int{1000, 999, 0, 4096} {
		if got := listAll(t, l, "", max); !slices.Equal(got, want) {
			t.Errorf("max %d: listed %d names, want %d in order", max, len(got), len(want))
		}
	}
}
