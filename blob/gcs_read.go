package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"cloud.google.com/go/storage"
)

// The sizes of the windows of an object stored with Content-Encoding: gzip
// (see gcsReader.fill).
const (
	gcsWindow    = 8 << 20
	minGCSWindow = 64 << 10
)

// Open opens the object name for reading its bytes as stored: an object
// uploaded with Content-Encoding: gzip comes back compressed, as it was
// written, never decompressed on the way. The read is of the generation the
// object had when opened; a read that fails on the way is reopened there,
// at the offset reached (see gcsReader). A missing object is an error
// wrapping ErrNotExist and fs.ErrNotExist.
func (s *GCS) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	return s.open(ctx, name, 0)
}

// OpenGeneration opens the version generation of the object name, as Open
// does. If that version is gone (the object was rewritten or deleted), the
// error wraps ErrChanged and says what the generation is now. In a bucket
// with object versioning, a replaced version that is still kept is read
// as listed.
func (s *GCS) OpenGeneration(ctx context.Context, name string, generation int64) (io.ReadCloser, error) {
	if generation <= 0 {
		return nil, fmt.Errorf("opening %s: invalid generation %d", Join(s.uri, name), generation)
	}
	return s.open(ctx, name, generation)
}

// openGenerationAt is OpenGeneration from byte offset on (see
// OpenGenerationAt): a range read, resumed like any other.
func (s *GCS) openGenerationAt(ctx context.Context, name string, generation, offset int64) (io.ReadCloser, error) {
	if generation <= 0 {
		return nil, fmt.Errorf("opening %s: invalid generation %d", Join(s.uri, name), generation)
	}
	return s.openFrom(ctx, name, generation, offset)
}

func (s *GCS) open(ctx context.Context, name string, generation int64) (io.ReadCloser, error) {
	return s.openFrom(ctx, name, generation, 0)
}

func (s *GCS) openFrom(ctx context.Context, name string, generation, offset int64) (io.ReadCloser, error) {
	if err := validateName(name); err != nil {
		return nil, err
	}
	r := &gcsReader{
		ctx:    ctx,
		s:      s,
		name:   name,
		gen:    generation,
		listed: generation > 0,
		size:   -1,
		off:    offset,
	}
	r.obj = r.retries.count(s.object(name)).ReadCompressed(true)
	if err := r.reopen(); err != nil {
		return nil, err
	}
	return r, nil
}

// gcsReader reads one generation of an object and survives failures on the
// way. The client already reopens a response that breaks off and retries
// requests that fail transiently; when it gives up on an error that is still
// worth retrying (storage.ShouldRetry: 408, 429, 5xx, a reset connection, an
// unexpected EOF), or a response ends before the object's size, the reader
// opens a range read of the same generation at the offset it reached, after
// a backoff; it gives up after readAttempts failures in a row without a byte.
//
// Objects stored with Content-Encoding: gzip are read in windows instead
// (see fill), because the client resumes their reads wrongly.
//
// It is a Retrier: Retries counts the requests the client sent again and
// the reader's own reopenings.
type gcsReader struct {
	retries retryCounter

	ctx  context.Context
	s    *GCS
	name string
	obj  *storage.ObjectHandle // with ReadCompressed, without a generation
	gen  int64                 // the generation read; 0 until the first response
	size int64                 // the object's stored size; -1 if unknown
	off  int64                 // bytes returned so far

	// listed says gen came from the caller: a version seen by List.
	listed bool

	r *storage.Reader // nil between a failure and the reopen
	// windowed says the object is read a window at a time into buf, which
	// holds the bytes from off-pos to off-pos+len(buf).
	windowed bool
	window   int // the size of the next window
	buf      []byte
	pos      int

	failures int   // transient failures since the last byte
	err      error // a failure that ended the read: every Read returns it
	closed   bool
}

var _ Retrier = (*gcsReader)(nil)

// Retries implements Retrier.
func (g *gcsReader) Retries() int64 { return g.retries.Retries() }

func (g *gcsReader) Read(p []byte) (int, error) {
	switch {
	case g.closed:
		return 0, fmt.Errorf("reading %s: %w", g.full(), fs.ErrClosed)
	case g.err != nil:
		return 0, g.err
	case len(p) == 0:
		return 0, nil
	}
	n, err := g.read(p)
	if err != nil && err != io.EOF {
		g.err = err
	}
	return n, err
}

func (g *gcsReader) read(p []byte) (int, error) {
	for {
		if g.size >= 0 && g.off >= g.size && (g.r == nil || g.windowed) {
			return 0, io.EOF
		}
		if g.windowed {
			if g.pos == len(g.buf) {
				if err := g.fill(); err != nil {
					return 0, err
				}
			}
			n := copy(p, g.buf[g.pos:])
			g.pos += n
			g.off += int64(n)
			return n, nil
		}
		if g.r == nil {
			if err := g.reopen(); err != nil {
				return 0, err
			}
			continue // perhaps windowed now
		}
		n, err := g.r.Read(p)
		g.off += int64(n)
		if n > 0 {
			g.failures = 0
		}
		if err == io.EOF && g.size >= 0 && g.off < g.size {
			err = fmt.Errorf("the response ended at byte %d of %d: %w", g.off, g.size, io.ErrUnexpectedEOF)
		}
		if err == nil || err == io.EOF {
			return n, err
		}
		g.r.Close()
		g.r = nil
		if !storage.ShouldRetry(err) {
			return n, g.fail(err)
		}
		if n > 0 {
			return n, nil // the next Read reopens
		}
		if err := g.backOff(err); err != nil {
			return 0, err
		}
	}
}

// reopen opens a read from g.off to the end, of generation g.gen once it is
// known, trying again after transient failures. If the first response shows
// an object stored with Content-Encoding: gzip, it is closed unread and the
// reader switches to windows.
func (g *gcsReader) reopen() error {
	for {
		r, err := g.handle().NewRangeReader(g.ctx, g.off, -1)
		if err == nil {
			if r.Attrs.Decompressed {
				r.Close()
				return fmt.Errorf("reading %s: the object was served decompressed although its stored bytes were asked for", g.full())
			}
			if g.gen <= 0 {
				g.gen = r.Attrs.Generation
			}
			if g.size < 0 {
				g.size = r.Attrs.Size
			}
			if strings.EqualFold(r.Attrs.ContentEncoding, "gzip") && g.size >= 0 {
				r.Close()
				g.windowed = true
				return nil
			}
			g.r = r
			return nil
		}
		if !storage.ShouldRetry(err) {
			return g.fail(err)
		}
		if err := g.backOff(err); err != nil {
			return err
		}
	}
}

// fill reads the next window, from g.off, whole into g.buf before any of it
// is returned, trying again after transient failures.
//
// Windows are for objects stored with Content-Encoding: gzip, read as
// stored. When a response breaks off, the client (storage v1.70.0) resumes
// it with a range read from the offset reached and, taking any gzip
// Content-Encoding for decompressive transcoding (where the service ignores
// ranges and sends everything again), throws away as many bytes again from
// the start of the answer. For bytes read as stored the service honours the
// range, so that loses data, silently. A window is a read of a known length
// and each loss shortens it, so a window that comes back whole is right;
// one that does not is read again.
//
// A window that fails is tried again at half the size, down to
// minGCSWindow, so that a connection breaking every few megabytes still lets
// windows through; each window that succeeds doubles the size again.
func (g *gcsReader) fill() error {
	if g.window == 0 {
		g.window = gcsWindow
	}
	g.buf, g.pos = g.buf[:0], 0
	for {
		want := min(int64(g.window), g.size-g.off)
		if int64(cap(g.buf)) < want {
			g.buf = make([]byte, 0, g.window)
		}
		buf := g.buf[:want]
		r, err := g.handle().NewRangeReader(g.ctx, g.off, want)
		if err == nil {
			if r.Attrs.StartOffset != g.off {
				r.Close()
				return fmt.Errorf("reading %s: asked for bytes from %d, got bytes from %d", g.full(), g.off, r.Attrs.StartOffset)
			}
			var n int
			n, err = io.ReadFull(r, buf)
			r.Close()
			if err == nil {
				g.buf, g.failures = buf, 0
				g.window = min(2*g.window, gcsWindow)
				return nil
			}
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				err = fmt.Errorf("a window of %d bytes from %d came back with %d: %w", want, g.off, n, io.ErrUnexpectedEOF)
			}
		}
		if !storage.ShouldRetry(err) {
			return g.fail(err)
		}
		g.window = max(g.window/2, minGCSWindow)
		if err := g.backOff(err); err != nil {
			return err
		}
	}
}

// handle returns the object's handle, for generation g.gen once known.
func (g *gcsReader) handle() *storage.ObjectHandle {
	if g.gen > 0 {
		return g.obj.Generation(g.gen)
	}
	return g.obj
}

// backOff counts a transient failure, err, and waits before the next
// attempt; it returns the error that ends the read instead when there have
// been too many failures in a row or the context ended.
func (g *gcsReader) backOff(err error) error {
	g.failures++
	if g.failures >= g.s.readAttempts {
		return fmt.Errorf("reading %s at byte %d: giving up after %d attempts: %w", g.full(), g.off, g.failures, err)
	}
	if serr := sleep(g.ctx, g.s.backoff.delay(g.failures)); serr != nil {
		return fmt.Errorf("reading %s at byte %d: %w (after %w)", g.full(), g.off, serr, err)
	}
	g.retries.add()
	return nil
}

// fail turns an error that ends the read into this package's: a generation
// that is gone wraps ErrChanged, a missing object ErrNotExist.
func (g *gcsReader) fail(err error) error {
	if !errors.Is(err, storage.ErrObjectNotExist) && httpCode(err) != 404 {
		return g.s.apiError("reading", g.full(), readRole, err)
	}
	if g.gen <= 0 {
		return &notExistError{what: fmt.Sprintf("object %q in %s", g.name, g.s.uri)}
	}
	return g.s.changed(g.ctx, g.name, g.gen, !g.listed || g.off > 0)
}

func (g *gcsReader) full() string { return Join(g.s.uri, g.name) }

// Close ends the read. A second Close does nothing.
func (g *gcsReader) Close() error {
	if g.closed {
		return nil
	}
	g.closed = true
	if g.r != nil {
		g.r.Close()
		g.r = nil
	}
	return nil
}

// changed returns the error about an object whose generation gen cannot be
// read any more, saying what the object's generation is now.
func (s *GCS) changed(ctx context.Context, name string, gen int64, reading bool) error {
	when := "since it was listed"
	if reading {
		when = "while it was read"
	}
	attrs, err := s.object(name).Attrs(ctx)
	switch {
	case err == nil && attrs.Generation != gen:
		return fmt.Errorf("object %s %w %s (generation %d, now %d)", Join(s.uri, name), ErrChanged, when, gen, attrs.Generation)
	case err == nil:
		// The generation is current, yet reading it found nothing.
		return &notExistError{what: fmt.Sprintf("generation %d of object %q in %s", gen, name, s.uri)}
	case errors.Is(err, storage.ErrObjectNotExist):
		return fmt.Errorf("object %s %w %s (generation %d, now deleted)", Join(s.uri, name), ErrChanged, when, gen)
	}
	return fmt.Errorf("object %s %w %s (generation %d no longer exists)", Join(s.uri, name), ErrChanged, when, gen)
}
