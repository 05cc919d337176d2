package blob

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// List returns up to max objects (DefaultPageSize when max <= 0) whose names
// start with prefix and sort after token, in lexical byte order of their
// names. The token of the next page is the last name of this one; Next is
// empty when no object follows. Only regular files are objects: symbolic
// links, folders and Create's temporary files are not listed. A missing
// root is an error wrapping ErrNotExist and fs.ErrNotExist; a root that is
// a file, or that this process may not read, one wrapping ErrPermission.
//
// Files added behind the token do not appear on later pages, files added
// after it do: the listing is a walk of the folder as it is when each page is
// read, not a snapshot.
func (l *Local) List(ctx context.Context, prefix, token string, max int) (Page, error) {
	if max <= 0 {
		max = DefaultPageSize
	}
	if err := ctx.Err(); err != nil {
		return Page{}, fmt.Errorf("listing %s: %w", l.uri, err)
	}
	switch info, err := os.Stat(l.root); {
	case isNotExist(err):
		return Page{}, &notExistError{what: "folder " + l.uri}
	case err != nil:
		return Page{}, fmt.Errorf("listing %s: %w", l.uri, refused(l.uri, err))
	case !info.IsDir():
		return Page{}, fmt.Errorf("listing %s: %w", l.uri, &refusedError{what: "not a folder"})
	}
	var page Page
	w := walker{
		ctx:    ctx,
		root:   l.root,
		prefix: prefix,
		after:  token,
		file: func(name string, e fs.DirEntry) (bool, error) {
			info, err := e.Info()
			switch {
			case isNotExist(err):
				return false, nil // deleted since the folder was read
			case err != nil:
				return true, err
			case !info.Mode().IsRegular():
				return false, nil
			}
			if len(page.Objects) == max {
				// One more object exists: the page is full and has a successor.
				page.Next = page.Objects[max-1].Name
				return true, nil
			}
			page.Objects = append(page.Objects, Object{
				Name:       name,
				Size:       info.Size(),
				Updated:    info.ModTime(),
				Generation: info.ModTime().UnixNano(),
			})
			return false, nil
		},
	}
	if _, err := w.walk(""); err != nil {
		if isNotExist(err) { // the root vanished after the Stat above
			return Page{}, &notExistError{what: "folder " + l.uri}
		}
		return Page{}, fmt.Errorf("listing %s: %w", l.uri, refused(l.uri, err))
	}
	return page, nil
}

// walker visits, in lexical byte order of their names, the regular files
// below root whose names start with prefix and sort after after, skipping
// Create's temporary files and every folder that cannot hold such a name.
// Symbolic links are not followed (the root itself may be one).
//
// Order: a folder's entries are sorted by name, with "/" appended to the
// names of folders, and visited depth first. Every name below a folder d
// starts with "d/", and no other entry's key is a prefix of "d/", so this
// gives the order of the full names. (Sorting entries by bare name, as
// filepath.WalkDir does, puts "d/x" before "d-x", though '-' < '/'.)
type walker struct {
	ctx    context.Context
	root   string
	prefix string
	after  string
	// file is called for each name in order; returning stop ends the walk.
	file func(name string, e fs.DirEntry) (stop bool, err error)
	// dirDone is called when every entry of folder dir (a name ending in
	// "/", or "" for the root) has been visited. Optional.
	dirDone func(dir string)
}

type walkEntry struct {
	key string // the full name; for a folder, followed by "/"
	dir bool
	e   fs.DirEntry
}

// walk visits the folder dir ("" for the root, else a name ending in "/").
// A missing root is returned as is; a folder below it that vanished since
// its parent was read is skipped.
func (w *walker) walk(dir string) (stop bool, err error) {
	if err := w.ctx.Err(); err != nil {
		return true, err
	}
	entries, err := readDir(filepath.Join(w.root, filepath.FromSlash(dir)))
	if err != nil {
		if dir != "" && isNotExist(err) {
			return false, nil
		}
		return true, err
	}
	keep := make([]walkEntry, 0, len(entries))
	for _, e := range entries {
		key := dir + e.Name()
		switch t := e.Type(); {
		case t.IsDir():
			key += "/"
			// Every name below starts with key: skip the folder unless such
			// a name can start with prefix and sort after w.after.
			if !strings.HasPrefix(key, w.prefix) && !strings.HasPrefix(w.prefix, key) {
				continue
			}
			if key <= w.after && !strings.HasPrefix(w.after, key) {
				continue
			}
			keep = append(keep, walkEntry{key: key, dir: true, e: e})
		case t.IsRegular():
			if key <= w.after || !strings.HasPrefix(key, w.prefix) || isTempName(e.Name()) {
				continue
			}
			keep = append(keep, walkEntry{key: key, e: e})
		}
	}
	slices.SortFunc(keep, func(a, b walkEntry) int { return strings.Compare(a.key, b.key) })
	for _, k := range keep {
		if k.dir {
			stop, err = w.walk(k.key)
		} else {
			stop, err = w.file(k.key, k.e)
		}
		if stop || err != nil {
			return true, err
		}
	}
	if w.dirDone != nil {
		w.dirDone(dir)
	}
	return false, nil
}

// readDir is os.ReadDir without its sort by name, which walk does its own way.
func readDir(dir string) ([]fs.DirEntry, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.ReadDir(-1)
}
