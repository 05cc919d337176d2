package pipeline

import "github.com/clickstream-platform/clickstream/clickstream"

// Tally is what a run, or a part of one (a batch, a day of a backfill),
// read and counted.
type Tally struct {
	// Accounting is the SPEC.md accounting of the lines read.
	Accounting clickstream.Counts `json:"accounting"`
	// Objects and Bytes are the input read; an object read in ranges counts
	// once.
	Objects int   `json:"objects"`
	Bytes   int64 `json:"bytes"`
	// Skipped counts the objects listed but not read: markers, checksums.
	Skipped int `json:"skipped"`
	// Unchanged counts the input objects listed but not read by a run that
	// reads only new objects: the ledger holds them at the same generation.
	Unchanged int `json:"unchanged"`
	// Batches counts the transforms' manifests.
	Batches int `json:"batches"`
	// StorageRetries counts the requests to the stores that were sent again
	// after a transient failure (reading input, writing staged and
	// dead-letter files): a run over a flaky store succeeds, and says so.
	StorageRetries int64 `json:"storage_retries"`
}

// Add adds o to t.
func (t *Tally) Add(o Tally) {
	t.Accounting.Add(o.Accounting)
	t.Objects += o.Objects
	t.Bytes += o.Bytes
	t.Skipped += o.Skipped
	t.Unchanged += o.Unchanged
	t.Batches += o.Batches
	t.StorageRetries += o.StorageRetries
}
