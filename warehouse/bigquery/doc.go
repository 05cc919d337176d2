// Package bigquery is the warehouse in BigQuery: a [warehouse.Warehouse]
// through cloud.google.com/go/bigquery.
//
// [Warehouse] loads the staged gs:// files with load jobs into a per-run,
// per-attempt staging table (expiring after a day), then deduplicates into
// the target with one transaction (replace) or one MERGE (merge), and drops
// the staging table. Job ids derive from the run, table, step and attempt, so
// a resubmitted job re-attaches instead of loading twice. Tables carry MONTH
// partitioning on timestamp and the clustering of the schema; nothing is ever
// autodetected. [Warehouse.Extract] exports a lake table for a rebuild. The
// full contract is on the type.
package bigquery
