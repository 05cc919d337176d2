// Package warehouse is where the tables of SPEC.md live: the [Warehouse]
// interface (ensure or recreate the tables, load staged files into a table in
// a [Mode], count rows) and its two implementations: package duckdb
// (warehouse/duckdb), embedded, and [BigQuery]. Table schemas come from
// clickstream.Tables() alone; no column
// is named here. Both implementations load the same staged files, NDJSON or
// Parquet (told by the names: every file of a load ends in .parquet, or
// none does), with the same semantics: one row per key, the copy with the
// smallest (source_object, source_line) kept, replace or merge, all or
// nothing per table.
//
// # The audit table
//
// [Warehouse.RecordRun] keeps every run's summary as a row of
// <dw>.pipeline_runs ([RunsTable]), keyed by run_id: the run, its source,
// mode and date range (from_date, to_date; NULL when none), its status, its
// milestones (started_at, transform_done_at, load_done_at, finished_at) and
// durations in milliseconds (NULL when a milestone is unknown), its counters
// (objects, bytes, skipped, batches, executions, storage_retries), the
// SPEC.md accounting, and <table>_added and <table>_rows for every table of
// clickstream.Tables(). [RunsTableSchema] defines it once; both DDLs are
// derived from it. Recording a run twice leaves one row. EnsureTables and
// RecreateTables create it if missing, and add the columns a newer schema
// has (a new table's); RecreateTables never drops it, and Counts does not
// count it.
//
// # BigQuery
//
// [BigQuery] loads the staged gs:// files with load jobs into a per-run,
// per-attempt staging table (expiring after a day), then deduplicates into
// the target with one transaction (replace) or one MERGE (merge), and drops
// the staging table. Job ids derive from the run, table, step and attempt, so
// a resubmitted job re-attaches instead of loading twice. Tables carry MONTH
// partitioning on timestamp and the clustering of the schema; nothing is ever
// autodetected. [BigQuery.Extract] exports a lake table for a rebuild. The
// full contract is on the type.
package warehouse
