package blob

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"cloud.google.com/go/storage"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/iterator"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/clickstream-platform/clickstream/location"
)

// Defaults of a GCS store.
const (
	// DefaultGCSChunkSize is the size of an upload's chunks: each is held in
	// memory until the service has it, so that it can be sent again.
	DefaultGCSChunkSize = 8 << 20
	// defaultReadAttempts bounds how often a read is reopened in a row
	// without getting a byte.
	defaultReadAttempts = 6
	// deleteWorkers is how many deletes DeletePrefix has in flight.
	deleteWorkers = 16
)

// The roles a GCS store's errors about refused access name.
const (
	readRole  = "roles/storage.objectViewer"
	writeRole = "roles/storage.objectAdmin"
)

// GCS is a Store over gs://bucket/prefix. Object names are slash paths below
// the prefix, validated as Local's are. It is safe for concurrent use.
type GCS struct {
	bucket     *storage.BucketHandle
	bucketName string
	root       string // the prefix with a trailing "/", or "" for the whole bucket
	uri        string // gs://bucket or gs://bucket/prefix

	chunkSize    int     // of uploads
	readAttempts int     // failures of a read in a row without a byte
	backoff      backoff // between those attempts
}

var _ Store = (*GCS)(nil)

// NewGCS returns a Store over uri, gs://bucket or gs://bucket/prefix (a
// trailing "/" is ignored), using client, which the caller keeps and closes.
// It makes no request: a missing bucket shows on first use.
func NewGCS(client *storage.Client, uri string) (*GCS, error) {
	if client == nil {
		return nil, fmt.Errorf("opening store %q: gs:// needs a GCS client", uri)
	}
	l, err := location.Parse(uri)
	if err == nil && l.Scheme != location.GCS {
		err = errors.New("want gs://bucket[/prefix]")
	}
	if err != nil {
		return nil, fmt.Errorf("opening store %q: %w", uri, err)
	}
	return newGCS(client, l)
}

func newGCS(client *storage.Client, l location.Location) (*GCS, error) {
	if l.Prefix != "" {
		if err := validateName(l.Prefix); err != nil {
			return nil, fmt.Errorf("opening store %q: prefix: %w", l, err)
		}
	}
	s := &GCS{
		bucket:       client.Bucket(l.Bucket),
		bucketName:   l.Bucket,
		uri:          l.String(),
		chunkSize:    DefaultGCSChunkSize,
		readAttempts: defaultReadAttempts,
		backoff:      backoff{initial: 200 * time.Millisecond, max: 10 * time.Second},
	}
	if l.Prefix != "" {
		s.root = l.Prefix + "/"
	}
	return s, nil
}

// URI returns gs://bucket or gs://bucket/prefix, without a trailing "/".
func (s *GCS) URI() string { return s.uri }

// key returns the GCS object name of a valid object name.
func (s *GCS) key(name string) string { return s.root + name }

// object returns the handle of a valid object name.
func (s *GCS) object(name string) *storage.ObjectHandle { return s.bucket.Object(s.key(name)) }

// Delete removes the object name; a missing object is not an error. A delete
// is retried on transient errors although it has no precondition: a retry
// that finds the object gone has nothing left to do.
func (s *GCS) Delete(ctx context.Context, name string) error {
	if err := validateName(name); err != nil {
		return err
	}
	err := s.object(name).Retryer(storage.WithPolicy(storage.RetryAlways)).Delete(ctx)
	if err == nil || errors.Is(err, storage.ErrObjectNotExist) || errors.Is(err, storage.ErrBucketNotExist) {
		return nil
	}
	return s.apiError("deleting", Join(s.uri, name), writeRole, err)
}

// DeletePrefix removes every object whose name starts with prefix (every
// object below the root when prefix is empty), folder placeholders included.
// A missing bucket is not an error.
func (s *GCS) DeletePrefix(ctx context.Context, prefix string) error {
	q := &storage.Query{Prefix: s.key(prefix)}
	if err := q.SetAttrSelection([]string{"Name"}); err != nil {
		return fmt.Errorf("deleting %s*: %w", Join(s.uri, prefix), err)
	}
	it := s.bucket.Objects(ctx, q)
	names := make(chan string)
	errs := make(chan error, deleteWorkers)
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range deleteWorkers {
		wg.Go(func() {
			for key := range names {
				err := s.bucket.Object(key).Retryer(storage.WithPolicy(storage.RetryAlways)).Delete(ctx)
				if err != nil && !errors.Is(err, storage.ErrObjectNotExist) {
					errs <- s.apiError("deleting", "gs://"+s.bucketName+"/"+key, writeRole, err)
					cancel()
					return
				}
			}
		})
	}
	var listErr error
	for listErr == nil {
		attrs, err := it.Next()
		if err != nil {
			if !errors.Is(err, iterator.Done) {
				listErr = err
			}
			break
		}
		select {
		case names <- attrs.Name:
		case <-ctx.Done():
			listErr = ctx.Err()
		}
	}
	close(names)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return fmt.Errorf("deleting %s*: %w", Join(s.uri, prefix), err)
	}
	switch {
	case listErr == nil, errors.Is(listErr, storage.ErrBucketNotExist):
		return nil
	}
	return s.apiError("deleting", Join(s.uri, prefix)+"*", writeRole, listErr)
}

// apiError turns an error of the service into one of this package's: a
// missing bucket wraps ErrNotExist, refused access ErrPermission and names
// the role needed; anything else is wrapped with the operation.
func (s *GCS) apiError(op, target, role string, err error) error {
	if errors.Is(err, storage.ErrBucketNotExist) {
		return &notExistError{what: "bucket " + s.bucketName}
	}
	switch code := httpCode(err); code {
	case http.StatusUnauthorized:
		return fmt.Errorf("%s %s: %w: the credentials were not accepted; check the Application Default Credentials (gcloud auth application-default login, or GOOGLE_APPLICATION_CREDENTIALS) (%w)", op, target, ErrPermission, err)
	case http.StatusForbidden:
		return fmt.Errorf("%s %s: %w on bucket %s: the credentials need %s on it (%w)", op, target, ErrPermission, s.bucketName, role, err)
	}
	return fmt.Errorf("%s %s: %w", op, target, err)
}

// httpCode returns the HTTP status of an error of the service, mapping the
// gRPC codes that matter here; 0 if there is none.
func httpCode(err error) int {
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		return ge.Code
	}
	if st, ok := status.FromError(err); ok {
		switch st.Code() {
		case codes.Unauthenticated:
			return http.StatusUnauthorized
		case codes.PermissionDenied:
			return http.StatusForbidden
		case codes.NotFound:
			return http.StatusNotFound
		case codes.FailedPrecondition:
			return http.StatusPreconditionFailed
		}
	}
	return 0
}

// sleep waits d, or less if ctx ends first, which it reports.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// backoff is an exponential backoff with jitter.
type backoff struct {
	initial, max time.Duration
}

// delay returns the wait before attempt n+1, n >= 1: initial doubled n-1
// times, at most max, less a random part of up to a half.
func (b backoff) delay(n int) time.Duration {
	d := b.initial
	for i := 1; i < n && d < b.max; i++ {
		d *= 2
	}
	d = min(d, b.max)
	return d - rand.N(d/2+1)
}
