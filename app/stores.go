package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"

	"cloud.google.com/go/storage"

	"github.com/clickstream-platform/clickstream/blob"
	"github.com/clickstream-platform/clickstream/location"
)

// Stores opens stores by URI. It creates the Cloud Storage client on the
// first gs:// URI, so a worker on local folders needs no Google credentials.
type Stores struct {
	mu  sync.Mutex
	gcs *storage.Client
}

// Open opens the store at uri: a local folder or gs://bucket/prefix.
func (s *Stores) Open(ctx context.Context, uri string) (blob.Store, error) {
	o := blob.Opener{}
	if location.SchemeOf(uri) == location.GCS {
		c, err := s.client(ctx)
		if err != nil {
			return nil, err
		}
		o.GCS = c
	}
	return o.Open(ctx, uri)
}

func (s *Stores) client(ctx context.Context) (*storage.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gcs == nil {
		c, err := blob.NewGCSClient(ctx)
		if err != nil {
			return nil, fmt.Errorf("connecting to Cloud Storage (Application Default Credentials): %w", err)
		}
		s.gcs = c
	}
	return s.gcs, nil
}

// OpenFile opens one object by its full name, as blob.Join gives it: a local
// path or gs://bucket/name.
func (s *Stores) OpenFile(ctx context.Context, uri string) (io.ReadCloser, error) {
	l, err := location.Parse(uri)
	if err != nil {
		return nil, err
	}
	if l.Scheme != location.GCS {
		return os.Open(l.Path)
	}
	store, err := s.Open(ctx, location.Location{Scheme: location.GCS, Bucket: l.Bucket}.String())
	if err != nil {
		return nil, err
	}
	return store.Open(ctx, l.Prefix)
}

// Close closes the Cloud Storage client, if one was made.
func (s *Stores) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gcs == nil {
		return nil
	}
	err := s.gcs.Close()
	s.gcs = nil
	return err
}
