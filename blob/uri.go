package blob

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"cloud.google.com/go/storage"

	"github.com/clickstream-platform/clickstream/location"
)

// Opener opens stores by URI with the clients it holds. The zero value opens
// local folders only.
type Opener struct {
	// GCS is the client of gs:// stores (see NewGCSClient); the caller
	// closes it. Optional: without it, a gs:// URI is an error.
	GCS *storage.Client
}

// Open returns the store at uri: a local folder given as a path (relative
// or absolute) or as file:///abs/path, or gs://bucket/prefix with o.GCS. An
// unknown scheme is an error naming the URI and the forms Open accepts. It
// makes no request: a missing folder or bucket shows on first use.
func (o *Opener) Open(ctx context.Context, uri string) (Store, error) {
	if o == nil {
		o = &Opener{}
	}
	return open(o, uri)
}

// Open returns the local store at uri, a folder given as a path (relative or
// absolute) or as file:///abs/path. A gs:// URI needs a client: it is an
// error saying to use an Opener. An unknown scheme is an error naming the
// URI and the forms Open accepts.
func Open(uri string) (Store, error) {
	return open(nil, uri)
}

func open(o *Opener, uri string) (Store, error) {
	l, err := location.Parse(uri)
	if err != nil {
		return nil, fmt.Errorf("opening store: %w", err)
	}
	switch l.Scheme {
	case location.GCS:
		return openGCS(o, uri, l)
	case location.BigQuery:
		return nil, fmt.Errorf("opening store %q: a BigQuery table is not a folder or bucket", uri)
	}
	return NewLocal(l.Path)
}

// Join returns the full name of the object name in the store whose URI() is
// storeURI: the name used in lineage and in warehouse load requests. For a
// local store it is a path os.Open accepts.
func Join(storeURI, name string) string {
	return strings.TrimSuffix(storeURI, "/") + "/" + name
}

func openGCS(o *Opener, uri string, l location.Location) (Store, error) {
	switch {
	case o == nil:
		return nil, fmt.Errorf("opening store %q: gs:// needs a GCS client: open it with a blob.Opener holding one (blob.NewGCSClient): %w", uri, errors.ErrUnsupported)
	case o.GCS == nil:
		return nil, fmt.Errorf("opening store %q: gs:// needs a GCS client", uri)
	}
	return newGCS(o.GCS, l)
}
