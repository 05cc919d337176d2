package bigquery

import "time"

// SetPoll sets the first wait before b polls a running job's status.
func SetPoll(b *Warehouse, d time.Duration) { b.poll = d }
