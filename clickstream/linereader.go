package clickstream

import (
	"bytes"
	"errors"
	"io"
)

// TooLongPrefix is how many leading bytes of an over-long line are kept for
// its dead-letter record.
const TooLongPrefix = 4096

const readChunk = 256 << 10

// lineReader splits a stream into lines without ever holding more than
// max+readChunk bytes: a line longer than max is consumed and counted but
// only its first TooLongPrefix bytes are kept.
type lineReader struct {
	r      io.Reader
	max    int
	buf    []byte
	lo, hi int // unread data is buf[lo:hi]
	eof    bool
	err    error
	prefix []byte // first bytes of an over-long line
	// consumed counts the bytes of the lines returned so far, newlines
	// included: the offset where the next line starts.
	consumed int64
}

func newLineReader(max int) *lineReader {
	size := readChunk
	if max+1 < size {
		size = max + 1
	}
	return &lineReader{max: max, buf: make([]byte, size)}
}

// reset starts reading r, keeping the buffer.
func (lr *lineReader) reset(r io.Reader) {
	lr.r = r
	lr.lo, lr.hi = 0, 0
	lr.eof = false
	lr.err = nil
	lr.consumed = 0
}

// line is one line of input without its terminating '\n'.
type line struct {
	text    []byte // the line, or its first TooLongPrefix bytes when tooLong
	size    int64  // the line's full length
	tooLong bool
}

// next returns the next line; io.EOF when there is none. A final line without
// a '\n' is a line; the empty text after a final '\n' is not.
func (lr *lineReader) next() (line, error) {
	for {
		if k := bytes.IndexByte(lr.buf[lr.lo:lr.hi], '\n'); k >= 0 {
			text := lr.buf[lr.lo : lr.lo+k]
			lr.lo += k + 1
			lr.consumed += int64(k) + 1
			if len(text) > lr.max {
				return line{text: text[:min(len(text), TooLongPrefix)], size: int64(len(text)), tooLong: true}, nil
			}
			return line{text: text, size: int64(len(text))}, nil
		}
		if lr.eof {
			// After a failed read the text since the last '\n' is a line
			// cut short, not the object's last line.
			if lr.err != nil {
				return line{}, lr.err
			}
			if lr.lo == lr.hi {
				return line{}, io.EOF
			}
			text := lr.buf[lr.lo:lr.hi]
			lr.lo = lr.hi
			lr.consumed += int64(len(text))
			if len(text) > lr.max {
				return line{text: text[:min(len(text), TooLongPrefix)], size: int64(len(text)), tooLong: true}, nil
			}
			return line{text: text, size: int64(len(text))}, nil
		}
		if lr.hi-lr.lo > lr.max {
			return lr.skipLong()
		}
		lr.fill()
	}
}

// fill reads more input, compacting or growing the buffer as needed.
func (lr *lineReader) fill() {
	if lr.lo > 0 {
		n := copy(lr.buf, lr.buf[lr.lo:lr.hi])
		lr.lo, lr.hi = 0, n
	}
	if lr.hi == len(lr.buf) {
		size := 2 * len(lr.buf)
		if size >= lr.max { // the last step: room for a whole line of max bytes
			size = lr.max + readChunk
		}
		grown := make([]byte, size)
		copy(grown, lr.buf[:lr.hi])
		lr.buf = grown
	}
	n, err := lr.r.Read(lr.buf[lr.hi:])
	lr.hi += n
	if err != nil {
		lr.eof = true
		if !errors.Is(err, io.EOF) {
			lr.err = err
		}
	}
}

// skipLong consumes a line already known to exceed max, keeping its prefix.
func (lr *lineReader) skipLong() (line, error) {
	lr.prefix = append(lr.prefix[:0], lr.buf[lr.lo:lr.lo+min(lr.hi-lr.lo, TooLongPrefix)]...)
	size := int64(0)
	for {
		if k := bytes.IndexByte(lr.buf[lr.lo:lr.hi], '\n'); k >= 0 {
			size += int64(k)
			lr.lo += k + 1
			lr.consumed += size + 1
			return line{text: lr.prefix, size: size, tooLong: true}, nil
		}
		size += int64(lr.hi - lr.lo)
		lr.lo, lr.hi = 0, 0
		if lr.eof {
			lr.consumed += size
			return line{text: lr.prefix, size: size, tooLong: true}, nil
		}
		lr.fill()
	}
}
