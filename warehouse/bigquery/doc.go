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
// their MONTH partitions. Job ids derive from the run, table, step and
// attempt, so a resubmitted job re-attaches instead of loading twice.
// Tables carry MONTH partitioning on timestamp and the clustering of the
// schema; nothing is ever autodetected. [Warehouse.Extract] exports a lake
// table for a rebuild. The full contract is on the type.
package bigquery
