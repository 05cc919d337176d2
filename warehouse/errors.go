package warehouse

import "errors"

var (
	// ErrSchema is wrapped by errors saying the staged data does not fit a
	// table (a value of the wrong type, a required column missing or null,
	// a Parquet file whose columns differ, files of both formats in one
	// load) or an existing table's columns differ from clickstream.Tables().
	// Retrying cannot fix it: the activity layer makes it non-retryable.
	// A table that differs needs RecreateTables.
	ErrSchema = errors.New("schema mismatch")

	// ErrLocked is wrapped by errors saying another process holds the
	// DuckDB file. It is transient: retry once that process is done.
	ErrLocked = errors.New("database file is locked by another process")

	// ErrReadOnly is returned by writing operations of a DuckDB warehouse
	// opened with duckdb.Options.ReadOnly.
	ErrReadOnly = errors.New("warehouse opened read-only")

	// ErrNotFound is wrapped by errors saying something the warehouse needs
	// does not exist (BigQuery's 404 or reason notFound): a staged file, a
	// dataset, a table, a job. Retrying cannot fix it.
	ErrNotFound = errors.New("not found")

	// ErrPermission is wrapped by errors saying the warehouse's account may
	// not do what it tried (BigQuery's 401, 403 or reason accessDenied);
	// the message names the roles it needs. Retrying cannot fix it.
	ErrPermission = errors.New("permission denied")

	// ErrQuota is wrapped by errors saying a quota of the warehouse's
	// project is used up (BigQuery's quotaExceeded: load jobs or table
	// operations per day, bytes scanned per day, ...). Most are daily:
	// retrying within minutes cannot fix it.
	ErrQuota = errors.New("quota exceeded")

	// ErrBytesBilled is wrapped by errors saying the warehouse refused a
	// query that would bill more bytes than it is allowed to (BigQuery's
	// maximumBytesBilled, from warehouse.bigquery.max_bytes_billed). Nothing
	// ran and nothing was billed; retrying cannot fix it: raise the limit.
	ErrBytesBilled = errors.New("bytes billed limit exceeded")

	// ErrSettings is wrapped by errors saying a dataset or table the
	// warehouse found already there has settings that would drop rows the
	// pipeline keeps (a default table or partition expiration of a dataset,
	// a table's expiration or partition expiration) or break its statements
	// (a table's require_partition_filter). Retrying cannot fix it: change
	// the settings, or use other datasets.
	ErrSettings = errors.New("dataset or table settings the pipeline cannot work with")
)
