// Package bigquery is the warehouse in BigQuery: a [warehouse.Warehouse]
// through cloud.google.com/go/bigquery.
//
// [Warehouse] loads the staged gs:// files with load jobs into a per-run,
// per-attempt staging table (expiring after a day), then writes the target
// in one multi-statement transaction and drops the staging table. The lake
// table keeps every copy of a session, one row per lineage: a replace
// deletes its rows of the run's slice, a merge those of the objects
// rewritten since the ledger of loaded objects recorded them, and both
// insert the staged rows it lacks and record the objects read in the
// ledger. A dw table's rows of the slice are deleted and derived again from
// the lake, then the staged rows are merged by key, the copy of smallest
// (source_object, source_line) kept. Object names and the run are query
// parameters, never SQL text; the event tables' statements name the range
// of timestamps they touch in script variables, so that BigQuery prunes
// their MONTH partitions. Statements BigQuery bills the whole target for
// (a DELETE, a MERGE that may UPDATE) run only when a cheap check finds
// work for them; a dry run estimates each write beforehand, and every query
// job carries maximumBytesBilled. Job ids derive from the run, table, step
// and attempt, so a resubmitted job re-attaches instead of loading twice
// while a retried activity runs fresh jobs; every job is waited on by its
// status, so a failed one returns its error at once. Tables carry MONTH
// partitioning on timestamp and the clustering of the schema; nothing is
// ever autodetected, and a dataset or table that would expire rows is
// refused. [Warehouse.Extract] exports a lake table for a rebuild, a folder
// and a job per attempt. The full contract is on the type.
package bigquery
