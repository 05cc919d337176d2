package blob

import (
	"sync/atomic"

	"cloud.google.com/go/storage"
)

// Retrier is implemented by the readers and writers of a store that retries
// transient failures on the way (GCS's; local files never retry). Retries
// says how many requests of this reader or writer failed transiently and
// were sent again so far, so that a caller can report a flaky store instead
// of hiding it.
type Retrier interface {
	Retries() int64
}

// Retries returns v's Retries() if v is a Retrier, else 0.
func Retries(v any) int64 {
	if r, ok := v.(Retrier); ok {
		return r.Retries()
	}
	return 0
}

// retryCounter counts the retries of one GCS reader or writer: the client's,
// through the error function of the handles it counts (see count), and the
// store's own, through add.
//
// A download whose response breaks off is resumed by the client (storage
// v1.70.0) without consulting the error function, so such a resumption
// counts only if its request fails too, or once the reader reopens it
// itself.
type retryCounter struct {
	n atomic.Int64
}

// count returns obj, a handle fresh from BucketHandle.Object, counting the
// retries its requests make. The client's default decides which errors are
// retried (storage.ShouldRetry). Retryer changes the retry configuration of
// the handle it is given in place, which is why obj must be fresh: handles
// made from it afterwards (Generation, If, ReadCompressed) share the
// configuration, and so the counter.
func (c *retryCounter) count(obj *storage.ObjectHandle) *storage.ObjectHandle {
	return obj.Retryer(storage.WithErrorFunc(c.shouldRetry))
}

// shouldRetry is storage.ShouldRetry, counting the errors it retries. The
// client calls it from its own goroutines for uploads.
func (c *retryCounter) shouldRetry(err error) bool {
	if !storage.ShouldRetry(err) {
		return false
	}
	c.n.Add(1)
	return true
}

func (c *retryCounter) add() { c.n.Add(1) }

// Retries implements Retrier.
func (c *retryCounter) Retries() int64 { return c.n.Load() }
