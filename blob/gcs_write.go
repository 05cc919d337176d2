package blob

import (
	"context"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io/fs"
	"net/http"
	"path"

	"cloud.google.com/go/storage"
)

// Create starts writing the object name. The bytes stream to the service in
// chunks of DefaultGCSChunkSize, each held in memory until sent, so that a
// chunk can be sent again; the object appears, whole, when Close returns nil.
//
// Every write has a precondition, so that a retry never leaves two versions
// and two writers never both win: Create reads the object's current
// generation first, and the upload succeeds only if the object has not
// changed since: no object yet (DoesNotExist), or exactly that generation
// (GenerationMatch), which the write replaces. Knowing the precondition
// before the first byte is what lets the content stream without being kept
// whole anywhere. If the precondition fails at Close (412), either a
// retried request of this very upload found its own first attempt's object,
// or another writer got there first: Close compares the object now there
// with what it wrote (size and CRC32C) and succeeds if they are the same,
// else fails, committing nothing. Close compares the same way when the
// upload ends in a transient failure the client did not retry (the answer
// to its last request breaking off after the object was stored), so that a
// write that was committed is not reported as failed.
//
// Abort cancels the upload: nothing of it becomes visible (a resumable
// upload that was started is left unfinished, and the service discards it).
// ".ndjson" and ".jsonl" objects are typed application/x-ndjson, ".json"
// ones application/json, ".parquet" ones application/vnd.apache.parquet.
func (s *GCS) Create(ctx context.Context, name string) (Writer, error) {
	if err := validateName(name); err != nil {
		return nil, err
	}
	full := Join(s.uri, name)
	retries := &retryCounter{}
	obj := retries.count(s.object(name))
	cond := storage.Conditions{DoesNotExist: true}
	attrs, err := obj.Attrs(ctx)
	switch {
	case err == nil:
		cond = storage.Conditions{GenerationMatch: attrs.Generation}
	case errors.Is(err, storage.ErrObjectNotExist):
	default:
		return nil, s.apiError("creating", full, writeRole, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	w := obj.If(cond).NewWriter(ctx)
	w.ChunkSize = s.chunkSize
	w.ContentType = contentType(name)
	return &gcsWriter{
		ctx:     ctx,
		retries: retries,
		cancel:  cancel,
		s:       s,
		obj:     obj,
		full:    full,
		w:       w,
		crc:     crc32.New(crc32.MakeTable(crc32.Castagnoli)),
	}, nil
}

// contentType returns the media type of an object by its name's extension;
// "" lets the service choose.
func contentType(name string) string {
	switch path.Ext(name) {
	case ".ndjson", ".jsonl":
		return "application/x-ndjson"
	case ".json":
		return "application/json"
	case ".parquet":
		return "application/vnd.apache.parquet"
	}
	return ""
}

// gcsWriter is a Writer streaming to a storage.Writer with a precondition.
// It is a Retrier: Retries counts the requests of the write, from Create's
// on, that the client sent again.
type gcsWriter struct {
	retries *retryCounter
	ctx     context.Context // the upload's; cancel ends it
	cancel  context.CancelFunc
	s       *GCS
	obj     *storage.ObjectHandle // without the precondition
	full    string                // the object's full name, for errors
	w       *storage.Writer

	crc    hash.Hash32 // CRC32C of what was written
	size   int64
	opened bool  // Write was called: the upload has begun
	werr   error // the first failed Write: Close then fails too
	done   bool  // Close or Abort has run
	cerr   error // what Close returned
}

var _ Retrier = (*gcsWriter)(nil)

// Retries implements Retrier.
func (w *gcsWriter) Retries() int64 { return w.retries.Retries() }

func (w *gcsWriter) Write(p []byte) (int, error) {
	if w.done {
		return 0, fmt.Errorf("writing %s: %w", w.full, fs.ErrClosed)
	}
	if w.werr != nil {
		return 0, w.werr
	}
	w.opened = true
	n, err := w.w.Write(p)
	w.crc.Write(p[:n])
	w.size += int64(n)
	if err != nil {
		w.werr = w.s.apiError("writing", w.full, writeRole, err)
		return n, w.werr
	}
	return n, nil
}

// Close commits the object. A second Close returns what the first did; a
// Close after Abort does nothing.
func (w *gcsWriter) Close() error {
	if w.done {
		return w.cerr
	}
	w.done = true
	w.cerr = w.commit()
	w.cancel()
	return w.cerr
}

func (w *gcsWriter) commit() error {
	if w.werr != nil {
		w.abort()
		return fmt.Errorf("not committing %s after a failed write: %w", w.full, w.werr)
	}
	err := w.w.Close()
	if err == nil {
		return nil
	}
	switch code := httpCode(err); {
	case code == http.StatusPreconditionFailed:
		// The object changed between Create and now. If it holds exactly
		// what this writer sent, the change was this upload (a retried
		// request whose first attempt had succeeded): done.
		if w.holdsWritten() {
			return nil
		}
		return fmt.Errorf("writing %s: another writer replaced the object meanwhile, so this write was not committed: %w", w.full, err)
	case code == http.StatusNotFound:
		return &notExistError{what: "bucket " + w.s.bucketName}
	case storage.ShouldRetry(err) && w.holdsWritten():
		// A transient failure the client did not retry, or gave up on: the
		// answer to the upload's last request broke off after the service
		// had stored the object, say, which the client (storage v1.70.0)
		// reports as the upload's error. The object holds exactly what
		// this writer sent: it was committed.
		return nil
	}
	return w.s.apiError("writing", w.full, writeRole, err)
}

// holdsWritten says whether the object now holds exactly what w sent (size
// and CRC32C).
func (w *gcsWriter) holdsWritten() bool {
	attrs, err := w.obj.Attrs(w.ctx)
	return err == nil && attrs.Size == w.size && attrs.CRC32C == w.crc.Sum32()
}

// Abort discards the write. Abort after Close does nothing.
func (w *gcsWriter) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.abort()
}

// abort cancels the upload and waits for the client to let go of it.
func (w *gcsWriter) abort() {
	w.cancel()
	if w.opened {
		w.w.Close() // fails: the context is canceled
	}
}
