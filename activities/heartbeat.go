package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
)

// HeartbeatInterval is how often every activity records a heartbeat while it
// runs, whatever it is waiting for. The workflows give every activity a
// heartbeat timeout of four intervals (workflows.HeartbeatTimeout), so that
// the activity of a lost worker is retried elsewhere within that timeout,
// however long the step may take. The SDK sends the recorded heartbeats at
// most every 80% of the timeout (16s); when the server does not answer one
// within half that (8s: it is down or restarting), the SDK cancels the
// activity, whose retry then resumes from the last heartbeat the server got.
const HeartbeatInterval = 5 * time.Second

// keepAlive heartbeats every HeartbeatInterval while a call that cannot
// report progress runs, so that a lost worker is noticed within the
// heartbeat timeout. Its heartbeats carry no details: an activity that
// resumes from its heartbeats uses a checkpointer instead.
func keepAlive(ctx context.Context) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(HeartbeatInterval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx)
			}
		}
	}()
	return func() { close(done) }
}

// checkpointer heartbeats an activity's checkpoint: at once when a new one
// is recorded, and again every HeartbeatInterval until the next, so that a
// step slower than the heartbeat timeout (a part of a transform read from a
// slow bucket, say) is not taken for lost. Every heartbeat carries the last
// checkpoint: a heartbeat's details replace the previous ones, and a retry
// resumes from whatever the last heartbeat carried.
type checkpointer struct {
	ctx  context.Context
	mu   sync.Mutex
	last json.RawMessage
	done chan struct{}
	wg   sync.WaitGroup
}

// startCheckpointer starts heartbeating from the checkpoint the attempt
// starts from (the previous attempt's, when it resumes), so that an attempt
// lost before its first checkpoint leaves its predecessor's for the next.
func startCheckpointer(ctx context.Context, from any) (*checkpointer, error) {
	c := &checkpointer{ctx: ctx, done: make(chan struct{})}
	b, err := json.Marshal(from)
	if err != nil {
		return nil, fmt.Errorf("encoding the checkpoint: %w", err)
	}
	c.last = b
	c.wg.Go(func() {
		t := time.NewTicker(HeartbeatInterval)
		defer t.Stop()
		for {
			select {
			case <-c.done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				c.mu.Lock()
				activity.RecordHeartbeat(ctx, c.last)
				c.mu.Unlock()
			}
		}
	})
	return c, nil
}

// record heartbeats cp now and keeps it for the heartbeats until the next.
func (c *checkpointer) record(cp any) error {
	b, err := json.Marshal(cp)
	if err != nil {
		return fmt.Errorf("encoding the checkpoint: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last = b
	activity.RecordHeartbeat(c.ctx, c.last)
	return nil
}

// stop ends the heartbeats; it returns once none is being sent.
func (c *checkpointer) stop() {
	close(c.done)
	c.wg.Wait()
}
