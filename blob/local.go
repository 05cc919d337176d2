package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// DefaultPageSize is the page size of List when max <= 0.
const DefaultPageSize = 1000

// Temporary files of Create are named tempPrefix + random digits + tempSuffix,
// in the folder of the object they become; List skips them.
const (
	tempPrefix = ".blob-"
	tempSuffix = ".tmp"
)

// Local is a Store over a local folder. Object names are slash paths below
// the folder. It is safe for concurrent use.
type Local struct {
	root string // the folder, in the operating system's form
	uri  string // the folder, cleaned, with forward slashes
}

var _ Store = (*Local)(nil)

// NewLocal returns a Store over the folder root. The folder need not exist
// yet: Create makes it, List reports it missing.
func NewLocal(root string) (*Local, error) {
	if root == "" {
		return nil, errors.New("local store: empty folder name")
	}
	root = filepath.Clean(root)
	return &Local{root: root, uri: filepath.ToSlash(root)}, nil
}

// URI returns the folder as given to NewLocal, cleaned, with forward slashes.
func (l *Local) URI() string { return l.uri }

// path returns the operating-system path of a valid object name.
func (l *Local) path(name string) string {
	return filepath.Join(l.root, filepath.FromSlash(name))
}

// Open opens the object name for reading. A missing object (or a folder of
// that name) is an error wrapping ErrNotExist and fs.ErrNotExist.
func (l *Local) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	f, _, err := l.open(ctx, name)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// OpenGeneration opens the object name if its modification time in
// nanoseconds, read after opening it, is still generation. Otherwise, or if
// the object is gone, the error wraps ErrChanged. The open file keeps the
// content it had when opened across a later Create of the same name (a
// rename), but not across writes into the file itself by other programs.
func (l *Local) OpenGeneration(ctx context.Context, name string, generation int64) (io.ReadCloser, error) {
	f, info, err := l.open(ctx, name)
	if errors.Is(err, ErrNotExist) {
		return nil, fmt.Errorf("object %s %w since it was listed (generation %d, now deleted)", Join(l.uri, name), ErrChanged, generation)
	}
	if err != nil {
		return nil, err
	}
	if now := info.ModTime().UnixNano(); now != generation {
		f.Close()
		return nil, fmt.Errorf("object %s %w since it was listed (generation %d, now %d)", Join(l.uri, name), ErrChanged, generation, now)
	}
	return f, nil
}

// openGenerationAt is OpenGeneration from byte offset on (see
// OpenGenerationAt).
func (l *Local) openGenerationAt(ctx context.Context, name string, generation, offset int64) (io.ReadCloser, error) {
	rc, err := l.OpenGeneration(ctx, name, generation)
	if err != nil || offset == 0 {
		return rc, err
	}
	if _, err := rc.(*os.File).Seek(offset, io.SeekStart); err != nil {
		rc.Close()
		return nil, fmt.Errorf("reading %s from offset %d: %w", Join(l.uri, name), offset, err)
	}
	return rc, nil
}

// open opens the file of the object name and returns it with its
// information, read from the open file.
func (l *Local) open(ctx context.Context, name string) (*os.File, fs.FileInfo, error) {
	if err := validateName(name); err != nil {
		return nil, nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("opening %s: %w", Join(l.uri, name), err)
	}
	f, err := os.Open(l.path(name))
	if err != nil {
		if isNotExist(err) {
			return nil, nil, &notExistError{what: fmt.Sprintf("object %q in %s", name, l.uri)}
		}
		return nil, nil, fmt.Errorf("opening object: %w", refused(l.uri, err))
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("opening object: %w", err)
	}
	if info.IsDir() {
		f.Close()
		return nil, nil, &notExistError{what: fmt.Sprintf("object %q in %s (a folder of that name exists)", name, l.uri)}
	}
	return f, info, nil
}

// Create starts writing the object name. The bytes go to a temporary file in
// the object's folder (created with its parents as needed); Close syncs it
// and renames it over name, so readers see the old content or the new, never
// a part. Abort, or a Close that fails, removes the temporary file. A folder
// the file system refuses for good (no write access, read-only, a file in
// the way) is an error wrapping ErrPermission that names the store's folder.
func (l *Local) Create(ctx context.Context, name string) (Writer, error) {
	if err := validateName(name); err != nil {
		return nil, err
	}
	if isTempName(path.Base(name)) {
		return nil, fmt.Errorf("%w %q: names like %s*%s are reserved for temporary files", ErrInvalidName, name, tempPrefix, tempSuffix)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("creating %s: %w", Join(l.uri, name), err)
	}
	final := l.path(name)
	dir := filepath.Dir(final)
	var f *os.File
	var err error
	// A concurrent DeletePrefix may remove the folder between MkdirAll and
	// CreateTemp; trying again mends that.
	for range 3 {
		if err = os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("creating folder for %s: %w", Join(l.uri, name), refused(l.uri, err))
		}
		f, err = os.CreateTemp(dir, tempPrefix+"*"+tempSuffix)
		if err == nil || !errors.Is(err, fs.ErrNotExist) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", Join(l.uri, name), refused(l.uri, err))
	}
	if err := f.Chmod(0o644); err != nil { // CreateTemp makes files private
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("creating %s: %w", Join(l.uri, name), err)
	}
	return &localWriter{f: f, final: final, full: Join(l.uri, name)}, nil
}

// Delete removes the object name; a missing object is not an error.
func (l *Local) Delete(ctx context.Context, name string) error {
	if err := validateName(name); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("deleting %s: %w", Join(l.uri, name), err)
	}
	p := l.path(name)
	// A folder is not an object: leave it alone, as if name were missing.
	if info, err := os.Lstat(p); err != nil || info.IsDir() {
		if err == nil || isNotExist(err) {
			return nil
		}
		return fmt.Errorf("deleting object: %w", err)
	}
	if err := os.Remove(p); err != nil && !isNotExist(err) {
		return fmt.Errorf("deleting object: %w", err)
	}
	return nil
}

// DeletePrefix removes every object whose name starts with prefix (every
// object when prefix is empty), then the folders below the root that this
// left empty. Temporary files of writes in progress are left alone, and so
// are their folders. A missing root is not an error.
func (l *Local) DeletePrefix(ctx context.Context, prefix string) error {
	w := walker{
		ctx:    ctx,
		root:   l.root,
		prefix: prefix,
		file: func(name string, _ fs.DirEntry) (bool, error) {
			if err := os.Remove(l.path(name)); err != nil && !isNotExist(err) {
				return true, fmt.Errorf("deleting object: %w", err)
			}
			return false, nil
		},
		dirDone: func(dir string) {
			if dir != "" && strings.HasPrefix(dir, prefix) {
				os.Remove(l.path(strings.TrimSuffix(dir, "/"))) // fails, as it should, unless empty
			}
		},
	}
	if _, err := w.walk(""); err != nil {
		if isNotExist(err) {
			return nil
		}
		return fmt.Errorf("deleting %s*: %w", Join(l.uri, prefix), err)
	}
	return nil
}

// localWriter is a Writer to a temporary file that Close renames into place.
type localWriter struct {
	f     *os.File
	final string // operating-system path of the object
	full  string // the object's full name, for errors
	werr  error  // the first failed Write: Close then fails too
	done  bool   // Close or Abort has run
	cerr  error  // what Close returned
}

func (w *localWriter) Write(p []byte) (int, error) {
	if w.done {
		return 0, fmt.Errorf("writing %s: %w", w.full, fs.ErrClosed)
	}
	n, err := w.f.Write(p)
	if err != nil {
		err = fmt.Errorf("writing %s: %w", w.full, err)
		if w.werr == nil {
			w.werr = err
		}
	}
	return n, err
}

// Close commits the object. A second Close returns what the first did; a
// Close after Abort does nothing.
func (w *localWriter) Close() error {
	if w.done {
		return w.cerr
	}
	w.done = true
	w.cerr = w.commit()
	if w.cerr != nil {
		os.Remove(w.f.Name())
	}
	return w.cerr
}

func (w *localWriter) commit() error {
	if w.werr != nil {
		w.f.Close()
		return fmt.Errorf("not committing %s after a failed write: %w", w.full, w.werr)
	}
	if err := w.f.Sync(); err != nil {
		w.f.Close()
		return fmt.Errorf("syncing %s: %w", w.full, err)
	}
	if err := w.f.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", w.full, err)
	}
	tmp := w.f.Name()
	advanceModTime(tmp, w.final)
	if err := os.Rename(tmp, w.final); err != nil {
		return fmt.Errorf("committing %s: %w", w.full, err)
	}
	syncDir(filepath.Dir(w.final))
	return nil
}

// Abort discards the write. Abort after Close does nothing.
func (w *localWriter) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.f.Close()
	os.Remove(w.f.Name())
}

// advanceModTime makes the modification time of tmp later than that of the
// object it replaces, so that a rewrite always changes the Generation even
// when the file system's clock ticks coarser than two writes (Linux stamps
// files with a clock of a few milliseconds' resolution). Best effort: on a
// failure the rename goes ahead with the time the file has.
func advanceModTime(tmp, final string) {
	old, err := os.Stat(final)
	if err != nil {
		return
	}
	for _, step := range []time.Duration{time.Nanosecond, time.Microsecond, time.Millisecond, time.Second, 2 * time.Second} {
		cur, err := os.Stat(tmp)
		if err != nil || cur.ModTime().After(old.ModTime()) {
			return
		}
		t := old.ModTime().Add(step)
		if os.Chtimes(tmp, t, t) != nil {
			return
		}
	}
}

// syncDir flushes a folder's entries, making a rename durable. Best effort:
// the rename has happened and is visible, and some systems (Windows) cannot
// sync a folder, so a failure here must not make Close report that the object
// was not written.
func syncDir(dir string) {
	if runtime.GOOS == "windows" {
		return
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// isNotExist reports whether err means a path is missing, including a path
// whose parent is a file (ENOTDIR): no object has that name either way.
func isNotExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

func isTempName(base string) bool {
	return strings.HasPrefix(base, tempPrefix) && strings.HasSuffix(base, tempSuffix)
}
