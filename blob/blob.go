package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// Object describes one stored object.
type Object struct {
	// Name is the object's path below the store's root, slash-separated,
	// never starting with "/" and never containing "." or ".." elements.
	Name    string    `json:"name"`
	Size    int64     `json:"size"`
	Updated time.Time `json:"updated"`
	// Generation identifies this version of the object: a GCS generation,
	// or for a local file its modification time in nanoseconds. A changed
	// object has a new generation.
	Generation int64 `json:"generation"`
}

// Page is one page of a listing.
type Page struct {
	Objects []Object
	// Next is the token of the following page; empty on the last page.
	Next string
}

// Store is a root holding objects: a local folder or a gs://bucket/prefix.
// Implementations are safe for concurrent use.
type Store interface {
	// URI returns the root, e.g. "data/staging" or "gs://bucket/prefix";
	// URI() + "/" + name is an object's full name, used in lineage.
	URI() string
	// List returns up to max objects (max <= 0: a default page size) whose
	// names start with prefix, in lexical order of their names, starting
	// after the page that returned token ("" for the first page). A missing
	// root is an error wrapping ErrNotExist.
	List(ctx context.Context, prefix, token string, max int) (Page, error)
	// Open opens an object for reading. A missing object is an error
	// wrapping ErrNotExist.
	Open(ctx context.Context, name string) (io.ReadCloser, error)
	// OpenGeneration opens the version generation of an object (an
	// Object.Generation from List) for reading. If that version can no
	// longer be read because the object has been replaced or deleted since,
	// the error wraps ErrChanged and says what the generation is now.
	OpenGeneration(ctx context.Context, name string, generation int64) (io.ReadCloser, error)
	// Create starts writing an object. The content becomes visible under name
	// only when Close returns nil, replacing any object of that name whole;
	// Abort (or a failed Close) leaves no trace of the write.
	Create(ctx context.Context, name string) (Writer, error)
	// Delete removes an object; a missing object is not an error.
	Delete(ctx context.Context, name string) error
}

// Writer is an object being written. Call Close to commit, or Abort.
type Writer interface {
	io.Writer
	Close() error
	Abort()
}

var (
	// ErrNotExist is wrapped by errors about a missing object or root.
	ErrNotExist = errors.New("does not exist")
	// ErrInvalidName is wrapped by errors about a name that could escape
	// the root (absolute, "..", empty elements) or is otherwise unusable.
	ErrInvalidName = errors.New("invalid object name")
	// ErrChanged is wrapped by errors about an object that is no longer the
	// version that was listed or opened: rewritten or deleted since.
	ErrChanged = errors.New("changed")
	// ErrPermission is wrapped by errors about access the store refused for
	// good; the message names the bucket and the role that is missing, or the
	// local folder and what the file system said (no access, read-only, a
	// file where a folder must be).
	ErrPermission = errors.New("permission denied")
)

// OpenGenerationAt opens the version generation of an object, as
// OpenGeneration does, for reading from byte offset on (offset less than
// the object's size): a range of a large
// object that several workers read in parallel. Stores that can start a
// read anywhere (a local file, a GCS range read) do; for others the bytes
// before offset are read and thrown away.
func OpenGenerationAt(ctx context.Context, s Store, name string, generation, offset int64) (io.ReadCloser, error) {
	if ro, ok := s.(interface {
		openGenerationAt(ctx context.Context, name string, generation, offset int64) (io.ReadCloser, error)
	}); ok {
		return ro.openGenerationAt(ctx, name, generation, offset)
	}
	rc, err := s.OpenGeneration(ctx, name, generation)
	if err != nil || offset == 0 {
		return rc, err
	}
	if _, err := io.CopyN(io.Discard, rc, offset); err != nil {
		rc.Close()
		return nil, fmt.Errorf("reading %s up to offset %d: %w", Join(s.URI(), name), offset, err)
	}
	return rc, nil
}
