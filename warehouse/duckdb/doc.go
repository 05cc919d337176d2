// Package duckdb is the embedded warehouse: a [warehouse.Warehouse] in one
// DuckDB 1.5 file (readable by 1.4 too) (through github.com/duckdb/duckdb-go/v2, which bundles
// the engine). The two datasets are schemas of that file: the lake table
// visits in Options.LakeDataset (clickstream_lake), the four dw tables in
// Options.DWDataset (clickstream_dw).
//
// Tables. [CreateTableSQL] derives each table from clickstream.Tables():
// STRING is VARCHAR, INTEGER BIGINT, FLOAT DOUBLE, TIMESTAMP TIMESTAMPTZ,
// RECORD a STRUCT, REPEATED a LIST (T[]), REQUIRED a NOT NULL column (see
// [Type]). DuckDB has no partitioning and no clustering: the table's
// BigQuery partitioning and clustering are only written in its COMMENT ON
// TABLE, beside its key; column descriptions are COMMENT ON COLUMN. DuckDB
// cannot constrain the fields of a STRUCT, so REQUIRED inside a RECORD is not
// enforced (the schema has no such field today). EnsureTables creates what is
// missing and checks that existing tables have exactly the schema's columns
// (names, order, types, nullability); a table that differs is an error
// wrapping [warehouse.ErrSchema] until RecreateTables drops and recreates it.
//
// Loads. Load creates its table first if it is missing (it calls the check
// of EnsureTables for that table), then, in ONE transaction (for NDJSON;
// Parquet below):
//
//  1. reads the staged files into a temporary table with read_json,
//     format 'newline_delimited', the columns and types of the table given
//     explicitly (nothing is detected). The files are local paths, passed as
//     a list literal of absolute paths, which binds quickly even for
//     thousands of files; read_json takes every path for a glob pattern, so
//     '*', '?' and '[' are bracketed and each path names exactly one file.
//     A file listed twice is read once; a missing file is an error naming
//     it before anything runs.
//  2. checks that every staged row fits the table: read_json fails on a
//     value it cannot cast (a string in a BIGINT column, a bad timestamp, an
//     object where a list is, malformed JSON), and every REQUIRED column must
//     be present and not null in every staged row, not only in the rows kept.
//     Either failure wraps warehouse.ErrSchema.
//  3. deduplicates by the table's key: per key it keeps the row with the
//     smallest (source_object, source_line), as clickstream's lineage rule
//     says, and of rows equal in those (the same object staged twice) the
//     first in the order of the files and lines. The choice is an arg_min
//     over the narrow columns, grouped by key; the chosen rows are then copied.
//  4. Replace deletes every row and inserts the chosen rows; Merge first
//     deletes the rows whose key a chosen row has with a smaller
//     (source_object, source_line), then inserts the chosen rows whose key
//     is not in the table (an anti-join). So rows already there stay as
//     they are unless an earlier copy arrives, loading the same files again
//     changes nothing, and the copy a table keeps is the one a single
//     replace over all the input would keep, whatever the order of merges
//     (a backfill's days run side by side). With no files, Replace empties
//     the table and Merge does nothing.
//
// A failure anywhere rolls the transaction back: the table stays as it was.
// warehouse.LoadRequest.RunID is not needed here (it names BigQuery jobs).
//
// Parquet. Staged Parquet files (clickstream's writer: the table's columns
// in order, REQUIRED ones required) are read with read_parquet, columns
// picked by name, paths passed and escaped as for read_json, in the same
// transaction and with the same semantics, but without materialising the
// rows, in three passes:
//
//  1. the footers (parquet_schema): every file must have exactly the
//     table's columns, in any order, each of the table's type (STRING a
//     UTF8 BYTE_ARRAY, INTEGER INT64, FLOAT DOUBLE, TIMESTAMP an INT64
//     TIMESTAMP adjusted to UTC, RECORD a group of its fields in order,
//     REPEATED a 3-level LIST); the files are grouped by schema, each
//     schema checked once. A file that differs is an error wrapping
//     warehouse.ErrSchema naming it and the column: read_parquet itself
//     would cast a column of another type silently.
//  2. the narrow columns, once the rows the load replaces are gone. Into a
//     table that holds rows: per key, the position of the row to keep, as
//     file_index << 40 | file_row_number, by arg_min over
//     (source_object, source_line, position), into a temporary table; its
//     sum of rows and its count are Staged and Distinct. Into a table that
//     holds none (a first load, a replace of all it held): only the keys
//     staged more than once, each with the position kept, since most keys
//     are staged once. The REQUIRED columns that a file marks optional (a
//     writer may) are counted null; a null is an error naming the file and
//     column of the first such row, as for NDJSON.
//  3. the rows are read whole once and inserted: into a table holding rows,
//     those whose position was kept (Merge: the supersede step and the
//     anti-join as above, on the kept rows' lineage); into an empty one,
//     every row but the other copies of the duplicated keys, and the rows
//     inserted are Distinct.
//
// For the Parquet load DuckDB's external file cache is off (it holds every
// file read until the query ends, which for thousands of small files is
// far more memory than the load needs) and insertion order is not
// preserved (the order rows go into a table does not matter). Each file
// costs something in each pass, more with wide nested columns, so Parquet
// loads fastest from few large files: from a few large files per table it
// is faster than NDJSON, from thousands of small ones about even, and from
// very many tiny ones slower, in about the same memory. The README's
// Performance section has the figures and the benchmark that measures
// them.
//
// read_json casts where a cast exists instead of failing, so the check of
// step 2 is only as strict as DuckDB's casts: 1.5 or true in a BIGINT column
// load as 2 and 1, a number, boolean, object or array in a VARCHAR column
// loads as its JSON text, "12" loads into a BIGINT, a date alone is midnight
// UTC, and fraction digits past the microsecond are truncated. Staged files
// come from clickstream's transform, which writes every value in its
// column's type, so none of this happens in the pipeline.
//
// Time. Timestamps are TIMESTAMPTZ: instants with microsecond precision.
// Every connection sets TimeZone to UTC, so text conversions and
// date_trunc('month', ...) are in UTC whatever the machine's zone; Query
// returns them as time.Time in UTC.
//
// Files and processes. DuckDB lets one process write a file (or several
// read it, read-only). A Warehouse opens the file for each operation and
// closes it when the operation ends (which also checkpoints its write-ahead
// log into the file): opening costs little beside a load, and between
// operations another process, such as a query command, can open the file.
// Operations of one Warehouse run one at a time (a mutex), so the worker's
// concurrent load activities take turns. When another process holds the
// file, an operation waits up to Options.LockWait for it, then fails with
// an error wrapping
// [warehouse.ErrLocked], which is worth retrying. Options.ReadOnly opens the
// file read-only, for readers that may run side by side. Use one Warehouse
// per file in a process.
//
// Errors name the operation and the table, e.g. "loading
// clickstream_dw.sessions: reading staged file x: ...", and wrap the cause
// (a missing file wraps fs.ErrNotExist) with %w; errors.Is tells
// [warehouse.ErrSchema] (retrying cannot help), [warehouse.ErrLocked] and
// [warehouse.ErrReadOnly].
package duckdb
