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

// Mode is how a load treats the rows already in a table (SPEC.md: load
// modes). Either way the lake table keeps every copy of a row (one per
// lineage), and a warehouse table holds, per key, the copy of smallest
// (source_object, source_line) among the lake's: the copy kept does not
// depend on the order of loads.
type Mode string

const (
	// Replace makes the rows of the load's slice (LoadRequest.Slice, the
	// run's source or days) exactly the staged rows: the lake's rows of the
	// slice are deleted, the staged ones inserted, and the warehouse rows
	// whose kept copy lay in the slice are derived again from what the lake
	// holds. Rows of other slices are never touched.
	Replace Mode = "replace"
	// Merge adds the staged rows. An object read again at the generation
	// the ledger holds changes nothing; an object rewritten since it was
	// loaded replaces its earlier rows.
	Merge Mode = "merge"
)

// Slice is the part of a table a load owns: the rows whose source_object
// starts with one of Prefixes, or is one of Objects.
type Slice struct {
	// Prefixes are folders, as prefixes of full object names ending in "/":
	// a replace run's source, or its days' dt= folders.
	Prefixes []string `json:"prefixes,omitempty"`
	// Objects are full object names: the objects a merge run read.
	Objects []string `json:"objects,omitempty"`
}

// Empty reports whether s holds no row.
func (s Slice) Empty() bool { return len(s.Prefixes) == 0 && len(s.Objects) == 0 }

// SourceObject is an input object a run read, as the ledger records it.
type SourceObject struct {
	// URI is the object's full name, its rows' source_object.
	URI        string `json:"uri"`
	Generation int64  `json:"generation"`
	Size       int64  `json:"size"`
}

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
	// Slice is the rows the load owns: in Replace mode the run's slice,
	// which must not be empty; in Merge mode the objects the run read. The
	// warehouse tables derive again from the lake, already loaded, the keys
	// whose kept copy lies in it. Required in Replace mode.
	Slice Slice
	// Objects are the objects the run read. The lake table's load records
	// them in the ledger (LedgerTable) and, in Merge mode, first deletes the
	// rows of those whose generation differs from the ledger's.
	Objects []SourceObject
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
	// SliceRows counts the table's rows in the load's slice after it.
	SliceRows int64 `json:"slice_rows"`
	// BytesProcessed is what the warehouse's statements read, where it
	// says so (BigQuery bills by it); 0 otherwise.
	BytesProcessed int64 `json:"bytes_processed,omitempty"`
	// EstimatedBytes is what the warehouse estimated, before the write,
	// that the write's statements would read, where it estimates it
	// (BigQuery: a dry run, an upper bound of what the write bills); 0
	// otherwise, and when there was nothing to write.
	EstimatedBytes int64 `json:"estimated_bytes,omitempty"`
	// EstimateError says why there is no estimate, when its dry run failed
	// (a load does not fail for that).
	EstimateError string `json:"estimate_error,omitempty"`
}

// Warehouse is where the tables live. Each Load is all-or-nothing: a failed
// load leaves the table as it was.
type Warehouse interface {
	// EnsureTables creates the datasets and tables that do not exist yet,
	// RunsTable and the ledger included.
	EnsureTables(ctx context.Context) error
	// RecreateTables drops and creates every table of clickstream.Tables()
	// and the ledger, so that changes of schema, partitioning or clustering
	// take effect. It never drops the audit table RunsTable: it creates it
	// if missing.
	RecreateTables(ctx context.Context) error
	// Load loads staged files into a table, deduplicating by the table's
	// key. The lake table must be loaded before the warehouse tables of the
	// same run: they derive rows from it.
	Load(ctx context.Context, req LoadRequest) (LoadResult, error)
	// LoadedObjects returns the generation at which the ledger holds each of
	// uris it holds: what a run that loads only new objects skips.
	LoadedObjects(ctx context.Context, uris []string) (map[string]int64, error)
	// Counts returns the row count of every table of clickstream.Tables(),
	// by table name (not of RunsTable).
	Counts(ctx context.Context) (map[string]int64, error)
	// RecordRun keeps r as a row of the audit table RunsTable, in the dw
	// dataset, creating the table (or the columns it lacks) first. It is
	// idempotent by RunID: recording a run already there (a retried
	// activity) leaves the row as it was.
	RecordRun(ctx context.Context, r RunRecord) error
	// RecentVolumes returns the valid lines (sessions_valid) of the last n
	// successful runs of source over as many days (0: runs over no date
	// range), the newest first: what a run's volume is compared with.
	RecentVolumes(ctx context.Context, source string, days, n int) ([]int64, error)
	Close() error
}
