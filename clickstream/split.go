package clickstream

import (
	"bytes"
	"errors"
	"io"
)

// Split reads a plain object to its end and returns the line boundaries
// that cut it into ranges of about every bytes: for each multiple of every,
// the first line start at or after it (a Cursor: its byte offset and the
// lines before it), without duplicates or the object's end. Ranges are
// [cuts[i], cuts[i+1]), from Cursor{} to the end, each of whole lines, so
// that each can be transformed on its own (Transformer.OpenAt) and numbers
// its lines as a read of the whole object would. It also returns the
// object's size. It only counts newlines: several times faster than a
// transform.
func Split(r io.Reader, every int64) (cuts []Cursor, size int64, err error) {
	if every <= 0 {
		return nil, 0, errors.New("split: range size must be positive")
	}
	buf := make([]byte, 1<<20)
	var lines int64
	next := every // the next cut is the first line start at or after it
	for {
		n, rerr := io.ReadFull(r, buf)
		chunk := buf[:n]
		pos := 0
		for {
			// The cut is just after the first newline at or after next-1.
			want := int(max(min(next-1-size, int64(n)), int64(pos)))
			lines += int64(bytes.Count(chunk[pos:want], []byte{'\n'}))
			if want == n {
				break
			}
			i := bytes.IndexByte(chunk[want:], '\n')
			if i < 0 {
				break // no newline in the rest: the cut is in a later chunk
			}
			pos = want + i + 1
			lines++
			cuts = append(cuts, Cursor{Line: lines, Offset: size + int64(pos)})
			next = size + int64(pos) + every
		}
		size += int64(n)
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		}
		if rerr != nil {
			return nil, size, rerr
		}
	}
	// A cut at the very end would start an empty range.
	if len(cuts) > 0 && cuts[len(cuts)-1].Offset == size {
		cuts = cuts[:len(cuts)-1]
	}
	return append([]Cursor{{}}, cuts...), size, nil
}
