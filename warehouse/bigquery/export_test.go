package bigquery

import "time"

// SetPoll sets the first wait before b polls a running job's status.
func SetPoll(b *Warehouse, d time.Duration) { b.poll = d }

// SetRetryDelay sets the first wait before b runs a write again after
// contention on its table.
func SetRetryDelay(b *Warehouse, d time.Duration) { b.retryDelay = d }
