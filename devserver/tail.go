package devserver

import (
	"bytes"
	"io"
	"sync"
)

// tailSize is how much of the server's output a start error quotes.
const tailSize = 4 << 10

// tailWriter passes the server's output on to w and keeps its last bytes.
type tailWriter struct {
	w    io.Writer
	mu   sync.Mutex
	tail []byte
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	t.tail = append(t.tail, p...)
	if over := len(t.tail) - tailSize; over > 0 {
		t.tail = append(t.tail[:0], t.tail[over:]...)
	}
	t.mu.Unlock()
	// A failing log must not stop the server: the pipe would fill up.
	_, _ = t.w.Write(p)
	return len(p), nil
}

// Tail returns the last output, from the first whole line on.
func (t *tailWriter) Tail() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.tail
	if len(b) == tailSize {
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	if len(b) == 0 {
		return "(no output)"
	}
	return string(bytes.TrimRight(b, "\n"))
}
