// Package warehouse is where the tables of SPEC.md live: the [Warehouse]
// interface (ensure or recreate the tables, load staged files into a table in
// a [Mode], count rows, record runs), the types its implementations share,
// and the audit table. The implementations each have a package beside this
// one: warehouse/duckdb, embedded, and warehouse/bigquery. Table schemas
// come from clickstream.Tables() alone; no column is named here but the
// audit table's. Both implementations load the same staged files, NDJSON or
// Parquet (told by the names, see [FormatOf]), with the same semantics: one
// row per key, the copy with the smallest (source_object, source_line)
// kept, replace or merge, all or nothing per table.
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
package warehouse
