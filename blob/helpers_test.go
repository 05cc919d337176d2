package blob

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func newTestLocal(t testing.TB) *Local {
	t.Helper()
	l, err := NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// writeFiles writes each name below l's root, bypassing Create, with the
// name as content.
func writeFiles(t testing.TB, l *Local, names ...string) {
	t.Helper()
	for _, name := range names {
		p := filepath.Join(l.root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// listAll follows List's tokens to the end, checking that every page but the
// last is full and that the last has no successor.
func listAll(t testing.TB, l *Local, prefix string, max int) []string {
	t.Helper()
	size := max
	if size <= 0 {
		size = DefaultPageSize
	}
	var names []string
	token := ""
	for pages := 0; ; pages++ {
		if pages > 100000 {
			t.Fatal("List does not end")
		}
		page, err := l.List(context.Background(), prefix, token, max)
		if err != nil {
			t.Fatalf("List(%q, %q, %d): %v", prefix, token, max, err)
		}
		if len(page.Objects) > size {
			t.Fatalf("List(%q, %q, %d) returned %d objects", prefix, token, max, len(page.Objects))
		}
		for _, o := range page.Objects {
			names = append(names, o.Name)
		}
		if page.Next == "" {
			return names
		}
		if len(page.Objects) != size {
			t.Fatalf("List(%q, %q, %d): a page of %d with a successor", prefix, token, max, len(page.Objects))
		}
		if last := page.Objects[len(page.Objects)-1].Name; page.Next != last {
			t.Fatalf("Next = %q, want the last name %q", page.Next, last)
		}
		token = page.Next
	}
}

// tempFiles returns the temporary files of Create below root.
func tempFiles(t testing.TB, root string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if isTempName(d.Name()) {
			found = append(found, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}
