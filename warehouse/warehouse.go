package warehouse

import (
	"context"
	"fmt"
)

// Default dataset names (SPEC.md).
const (
	DefaultLakeDataset = "clickstream_lake"
	DefaultDWDataset   = "clickstream_dw"
)

// Mode is how a load treats the rows already in a table (SPEC.md: load modes).
type Mode string

const (
	// Replace leaves the table holding exactly the staged rows, deduplicated.
	Replace Mode = "replace"
	// Merge adds the staged rows whose key is not in the table yet,
	// deduplicated; a row already there is kept, unless a staged copy of it
	// comes from a smaller (source_object, source_line), which then takes
	// its place: the copy kept does not depend on the order of merges.
	Merge Mode = "merge"
)

// ParseMode checks s is a mode.
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case Replace, Merge:
		return Mode(s), nil
	}
	return "", fmt.Errorf("load mode %q: want replace or merge", s)
}

// LoadRequest loads staged files into one table.
type LoadRequest struct {
	// Table is one of clickstream.Tables()' names.
	Table string
	// Files are the staged files of the table: full names as
	// blob.Store.URI()+"/"+name gives them. May be empty. All Parquet
	// (every name ends in .parquet) or all NDJSON (none does): a load of
	// both fails with ErrSchema.
	Files []string
	Mode  Mode
	// RunID identifies the load (used to name staging tables and jobs).
	RunID string
	// Attempt is the activity's attempt (activity.GetInfo(ctx).Attempt): the
	// BigQuery warehouse names its jobs from RunID, Table and Attempt, so a
	// retried activity runs fresh jobs while an insert repeated within one
	// attempt re-attaches to its job. Optional: 0 is a valid attempt.
	Attempt int32
	// KeepBefore, if set, is called with the table's row count before the
	// write, before the write commits, and returns the count that Load
	// reports as Before (Added is After minus it); an error fails the load,
	// leaving the table as it was. The Load activity keeps there the count
	// its run's first attempt saw, so that a retry of a load whose earlier
	// attempt committed and then failed to say so reports what the run
	// changed, not what the retry changed (nothing). Optional: without it
	// Before is the count this call saw.
	KeepBefore func(ctx context.Context, before int64) (int64, error)
}

// LoadResult says what a load did.
type LoadResult struct {
	Table string `json:"table"`
	// Staged is the number of rows read from the staged files.
	Staged int64 `json:"staged"`
	// Distinct is the number of distinct keys among them.
	Distinct int64 `json:"distinct"`
	// Before and After are the table's row counts around the load.
	Before int64 `json:"before"`
	After  int64 `json:"after"`
	// Added is After - Before: what the table gained (in replace mode it
	// can be negative).
	Added int64 `json:"added"`
}

// Warehouse is where the tables live. Each Load is all-or-nothing: a failed
// load leaves the table as it was.
type Warehouse interface {
	// EnsureTables creates the datasets and tables that do not exist yet,
	// RunsTable included.
	EnsureTables(ctx context.Context) error
	// RecreateTables drops and creates every table of clickstream.Tables(),
	// so that changes of schema, partitioning or clustering take effect. It
	// never drops the audit table RunsTable: it creates it if missing.
	RecreateTables(ctx context.Context) error
	// Load loads staged files into a table, deduplicating by the table's key.
	Load(ctx context.Context, req LoadRequest) (LoadResult, error)
	// Counts returns the row count of every table of clickstream.Tables(),
	// by table name (not of RunsTable).
	Counts(ctx context.Context) (map[string]int64, error)
	// RecordRun keeps r as a row of the audit table RunsTable, in the dw
	// dataset, creating the table (or the columns it lacks) first. It is
	// idempotent by RunID: recording a run already there (a retried
	// activity) leaves the row as it was.
	RecordRun(ctx context.Context, r RunRecord) error
	Close() error
}
