package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/clickstream-platform/clickstream/workflows"
)

// watch queries a workflow's progress until stopped and shows what render
// makes of it: a bar on a terminal, a line whenever it changes (at most
// every few seconds) otherwise.
func watch(ctx context.Context, c client.Client, id string, w io.Writer, render func(converter.EncodedValue) (bar, line string, ok bool)) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	tty := isTerminal(w)
	go func() {
		defer close(done)
		every := 5 * time.Second
		if tty {
			every = 250 * time.Millisecond
		}
		t := time.NewTicker(every)
		defer t.Stop()
		last := ""
		for {
			select {
			case <-ctx.Done():
				if tty {
					fmt.Fprint(w, "\r\033[K")
				}
				return
			case <-t.C:
			}
			v, err := c.QueryWorkflow(ctx, id, "", workflows.ProgressQuery)
			if err != nil {
				continue // not started yet, or between continue-as-new executions
			}
			bar, line, ok := render(v)
			switch {
			case !ok:
			case tty:
				fmt.Fprint(w, "\r\033[K"+bar+" "+line)
			case line != last:
				fmt.Fprintln(w, line)
			}
			last = line
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// bar24 draws a fraction done as a bar 24 characters wide.
func bar24(frac float64) string {
	const width = 24
	n := max(min(int(frac*width), width), 0)
	return "[" + strings.Repeat("=", n) + strings.Repeat(" ", width-n) + "]"
}
