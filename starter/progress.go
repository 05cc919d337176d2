package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/term"
)

// progress draws a one-line bar on a terminal while long work runs. It draws
// nothing when its writer is not a terminal, so logs and pipes stay clean.
type progress struct {
	w     io.Writer
	total int64
	done  atomic.Int64
	label atomic.Pointer[string]
	start time.Time
	stop  chan struct{}
	wg    sync.WaitGroup
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// startProgress starts drawing to w if w is a terminal; total is the amount
// of work in bytes.
func startProgress(w io.Writer, total int64) *progress {
	p := &progress{w: w, total: total, start: time.Now(), stop: make(chan struct{})}
	if !isTerminal(w) {
		return p
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-p.stop:
				fmt.Fprint(p.w, "\r\033[K")
				return
			case <-tick.C:
				p.draw()
			}
		}
	}()
	return p
}

func (p *progress) setLabel(s string) { p.label.Store(&s) }

// set records n bytes done; safe from any goroutine.
func (p *progress) set(n int64) { p.done.Store(n) }

func (p *progress) draw() {
	done := p.done.Load()
	frac := 0.0
	if p.total > 0 {
		frac = min(float64(done)/float64(p.total), 1)
	}
	const width = 30
	filled := int(frac * width)
	rate := float64(done) / time.Since(p.start).Seconds() / 1e6
	label := ""
	if l := p.label.Load(); l != nil {
		label = *l
	}
	fmt.Fprintf(p.w, "\r\033[K[%s%s] %3.0f%% %s/%s %.0f MB/s %s",
		strings.Repeat("=", filled), strings.Repeat(" ", width-filled), frac*100,
		humanBytes(done), humanBytes(p.total), rate, label)
}

// finish stops drawing and clears the line.
func (p *progress) finish() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	p.wg.Wait()
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
