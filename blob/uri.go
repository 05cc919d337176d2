package blob

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"

	"cloud.google.com/go/storage"
)

// scheme is a kind of store URI that Open knows.
type scheme struct {
	name    string // "gs" in gs://bucket/prefix
	example string // shown in the error about an unknown scheme
	// open opens uri; o is nil when Open (not an Opener) is called.
	open func(o *Opener, uri string) (Store, error)
}

// schemes are the URI schemes Open knows besides plain local paths; adding
// one is adding a line.
var schemes = []scheme{
	{"file", "file:///abs/path", openFileURI},
	{"gs", "gs://bucket/prefix", openGCS},
}

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
	if uri == "" {
		return nil, errors.New("opening store: empty URI")
	}
	name, _, ok := strings.Cut(uri, "://")
	if !ok || !isSchemeName(name) {
		return NewLocal(uri)
	}
	name = strings.ToLower(name)
	forms := []string{"a local folder path"}
	for _, s := range schemes {
		if s.name == name {
			return s.open(o, uri)
		}
		forms = append(forms, s.example)
	}
	return nil, fmt.Errorf("opening store %q: unsupported scheme %q: use %s", uri, name, strings.Join(forms, ", "))
}

// Join returns the full name of the object name in the store whose URI() is
// storeURI: the name used in lineage and in warehouse load requests. For a
// local store it is a path os.Open accepts.
func Join(storeURI, name string) string {
	return strings.TrimSuffix(storeURI, "/") + "/" + name
}

func openFileURI(_ *Opener, uri string) (Store, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return nil, fmt.Errorf("opening store: %w", err)
	}
	p := u.Path
	switch {
	case u.Host != "" && u.Host != "localhost":
		return nil, fmt.Errorf("opening store %q: file URIs of another host are not supported", uri)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return nil, fmt.Errorf("opening store %q: a file URI has no user, query or fragment (escape '?' as %%3F, '#' as %%23)", uri)
	case !strings.HasPrefix(p, "/"):
		return nil, fmt.Errorf("opening store %q: want file:///absolute/path", uri)
	}
	if runtime.GOOS == "windows" && len(p) >= 3 && p[2] == ':' { // file:///C:/data
		p = p[1:]
	}
	return NewLocal(p)
}

func openGCS(o *Opener, uri string) (Store, error) {
	switch {
	case o == nil:
		return nil, fmt.Errorf("opening store %q: gs:// needs a GCS client: open it with a blob.Opener holding one (blob.NewGCSClient): %w", uri, errors.ErrUnsupported)
	case o.GCS == nil:
		return nil, fmt.Errorf("opening store %q: gs:// needs a GCS client", uri)
	}
	return NewGCS(o.GCS, uri)
}

// isSchemeName reports whether s is a URI scheme (RFC 3986: a letter, then
// letters, digits, '+', '-' or '.'). One letter is a Windows drive, not a
// scheme.
func isSchemeName(s string) bool {
	if len(s) < 2 {
		return false
	}
	for i, c := range []byte(s) {
		letter := 'a' <= c|0x20 && c|0x20 <= 'z'
		if !letter && (i == 0 || !('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return true
}
