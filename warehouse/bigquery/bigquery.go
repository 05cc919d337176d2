package bigquery

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	bq "cloud.google.com/go/bigquery"
	"google.golang.org/api/option"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/models"
	"github.com/clickstream-platform/clickstream/warehouse"
)

// Options configures the BigQuery warehouse.
type Options struct {
	// Project is the Google Cloud project of the datasets and jobs. Required.
	Project string
	// Location is where the datasets are created and the jobs run.
	// Optional: default "US".
	Location string
	// LakeDataset is the dataset of the lake table (visits).
	// Optional: default "clickstream_lake".
	LakeDataset string
	// DWDataset is the dataset of the four dw tables.
	// Optional: default "clickstream_dw".
	DWDataset string
	// MaxBytesBilled is set as maximumBytesBilled on every query job: BigQuery
	// refuses a job that would bill more, before it runs and uncharged, and
	// the operation fails with an error wrapping warehouse.ErrBytesBilled
	// that names the configuration key warehouse.bigquery.max_bytes_billed.
	// Optional: default 0, no limit (the project's default, if any).
	MaxBytesBilled int64
	// ClientOptions are passed to the client library's NewClient, e.g.
	// option.WithEndpoint and option.WithoutAuthentication in tests.
	// Optional: default Application Default Credentials.
	ClientOptions []option.ClientOption
}

// DefaultLocation is the location used when Options.Location is empty.
const DefaultLocation = "US"

// Warehouse is the warehouse in BigQuery: the lake table in one dataset, the
// four dw tables in another, every table as clickstream.Tables() defines it
// (see [Schema]).
//
// Tables. EnsureTables creates the datasets (in Location) and the tables
// that are missing, the ledger of loaded objects (warehouse.LedgerTable, in
// the lake dataset) among them, each with its schema (REQUIRED and REPEATED
// modes, descriptions), its MONTH partitioning on timestamp and its
// clustering, as clickstream.Table says; nothing is ever autodetected. An existing table
// whose columns (names, order, types, modes; descriptions are not compared),
// partitioning or clustering differ is an error wrapping warehouse.ErrSchema listing
// the differences, until RecreateTables drops and recreates it. A dataset in
// another location than Location is an error wrapping warehouse.ErrSchema too.
// A dataset already there whose default table or partition expiration is
// set, or a table whose expiration, partition expiration or
// require_partition_filter is, is an error wrapping warehouse.ErrSettings
// that names the settings and the ALTER statement removing them: they would
// drop rows the pipeline keeps, or fail its counts and slice statements,
// which do not filter on the partitioning column. Load and RecordRun check
// the datasets and tables they use the same way before their first job.
//
// Loads. A run loads the lake table first, then the four dw tables, which
// derive rows from it. Load reads gs:// staged files into one table and
// runs these steps, each a BigQuery job whose id is deterministic (see
// below):
//
//  1. load: the files into a staging table of the target's dataset,
//     _staging_<run>_<table>_a<attempt>_<hash>, created first with the
//     target's schema and a one-day expiration (set again after the load),
//     so that a crashed run leaves nothing behind for long. NDJSON files:
//     the load job reads NEWLINE_DELIMITED_JSON with the schema given, no
//     autodetection, ignoreUnknownValues=false and maxBadRecords=0,
//     WRITE_TRUNCATE and CREATE_IF_NEEDED: every staged row must fit the
//     table (a value of the wrong type, an unknown column or a REQUIRED
//     column missing or null fails the job, an error wrapping warehouse.ErrSchema).
//     Parquet files (every name ends in .parquet; a load of both formats
//     fails): the load job reads PARQUET with enableListInference (a
//     3-level LIST is a REPEATED column), gives no schema, and appends
//     (WRITE_APPEND, CREATE_NEVER) to the staging table created with the
//     target's schema, since a truncating Parquet load would take the
//     file's schema for the table; a file that does not fit the table's
//     schema (a column of another type, a REQUIRED one missing or marked
//     optional, an unknown one) fails the job, wrapping warehouse.ErrSchema. A load
//     job takes at most 10,000 URIs; more files are loaded by several jobs
//     of up to 10,000 (load-1 WRITE_TRUNCATE for NDJSON, the others
//     WRITE_APPEND) rather than by a wildcard over their common prefix,
//     which could read files the request does not list. Files listed twice
//     are read once; a URI with '*' is refused, since BigQuery would take
//     it for a wildcard.
//  2. count-before: the distinct keys of the staging table (for the lake
//     table, its distinct lineages (source_object, source_line)) and the
//     target's rows.
//  3. write: one multi-statement query, BEGIN TRANSACTION; ...; COMMIT
//     TRANSACTION (after the DECLAREs of its variables), so that the write
//     is all-or-nothing; it keeps the table itself, its schema,
//     partitioning and clustering (it is never replaced by a job's output).
//     Its statements are below. Before it, a dry run of its statements
//     (every one, whatever the checks it makes would find, the temporary
//     table as a subquery, no transaction: what a dry run accepts; it runs
//     and bills nothing) estimates the bytes the write reads, an upper
//     bound, reported as LoadResult.EstimatedBytes; a dry run that fails
//     does not fail the load, its error is EstimateError. A write that
//     fails because of other statements on its table (a concurrent
//     transaction committed first, or more than 20 DML statements queued on
//     it) runs again, as a job of its own, after 10 s, then 20, 40 and 80,
//     before the error goes to Temporal's retry policy.
//  4. count-after: the target's rows, and its rows in the slice.
//
// The slice (warehouse.LoadRequest.Slice) is the rows whose source_object
// starts with one of its prefixes or is one of its objects:
// EXISTS(SELECT 1 FROM UNNEST(@prefixes) AS p WHERE STARTS_WITH(source_object, p))
// OR source_object IN UNNEST(@slice_objects). Object names and the run
// reach BigQuery as named query parameters only, never in the text of a
// statement: @prefixes and @slice_objects (ARRAY<STRING>), @objects (the
// objects read, warehouse.LoadRequest.Objects, ARRAY<STRUCT<uri STRING,
// generation INT64, size INT64>>) and @run_id (STRING); each job sends
// those its statements name. A replace without a slice is refused before
// any request.
//
// The lake table's write (it keeps every copy of a session, one row per
// lineage): in replace mode DELETE its rows of the slice, IF EXISTS any,
// and the ledger's (warehouse.LedgerTable); in merge mode DELETE its rows of
// the objects read whose generation differs from the ledger's, or that the
// ledger lacks (rewritten since they were loaded), IF EXISTS any. Then MERGE
// the staged rows, one per lineage, ON the lineage WHEN NOT MATCHED THEN
// INSERT, and replace the ledger's rows of the objects read by (uri,
// generation, size, @run_id, CURRENT_TIMESTAMP()).
//
// A dw table's write: IF EXISTS rows of the table in the slice, CREATE TEMP
// TABLE of their keys (with session_key, and the timestamp of an event
// table), DELETE them, and INSERT, for each of those keys, the row that the
// lake's copy of smallest (source_object, source_line) outside the slice
// gives, as warehouse.Derive says (an event table unnests visits.events,
// keeping the events of its event_type whose event_id is one of the keys,
// of the visits whose session_key is one of theirs); keys the lake no
// longer holds are gone. Then MERGE the staged rows, one per key, ON the key
// WHEN NOT MATCHED THEN INSERT, and, IF EXISTS a staged row whose
// (source_object, source_line) is smaller than that of the row of its key
// the table holds, WHEN MATCHED AND the staged copy has the smaller
// (source_object, source_line) THEN UPDATE, so that the copy a table keeps
// does not depend on the order of loads; ELSE the MERGE has no WHEN MATCHED
// clause. Both modes write alike (in merge mode the slice is the objects
// read). Deduplication keeps per key the row with the smallest
// (source_object, source_line): QUALIFY ROW_NUMBER() OVER (PARTITION BY key
// ORDER BY source_object, source_line) = 1. Rows equal in those have the
// same key only when they are the same row (an event repeated within one
// session), so the choice among them does not matter.
//
// Then the staging table is dropped, also when a step failed (a failure to
// drop is ignored: the expiration removes it). Staged is the load jobs'
// output rows, Distinct the staging table's distinct keys, Before and After
// the counts of steps 2 and 4 (Before as warehouse.LoadRequest.KeepBefore
// returns it, when set; it is called between steps 2 and 3), SliceRows the
// target's rows in the slice after the load. With no files there is no
// staging table and the write has no MERGE; a write with nothing to do (a
// merge with no files, no objects read and an empty slice) runs no job. A
// failed step leaves the target as it was: each write is one atomic job.
//
// Cost. BigQuery bills a query by the bytes of the columns it reads, and a
// DML statement's target as well: a DELETE, an UPDATE or a MERGE with an
// UPDATE or DELETE clause is billed the whole target table (of a
// partitioned one, the partitions it touches), every column, whatever it
// reads or changes, while an INSERT, or a MERGE with INSERT clauses only, is
// billed what it reads (DML syntax, "On-demand query size calculation").
// SPEC.md fixes the layout: the lake (visits) is neither partitioned nor
// clustered, sessions is clustered by session_id, user_id (which a join on
// session_key cannot prune), and the event tables are MONTH-partitioned on
// timestamp. So the write bounds what it bills by statement, not by layout:
//
//   - every DELETE, and the temporary table and derivation that go with a
//     dw table's, runs only when a check finds rows for it (the check reads
//     the target's source_object alone); a merge of objects new to the
//     tables (a schedule's, a backfill's) deletes nothing and pays nothing
//     for deleting;
//   - the dw MERGE is the INSERT-only one unless a check, reading the
//     target's key and lineage columns, finds a staged row that supersedes
//     a held one: only loads that change which copy a key keeps pay the
//     whole table;
//   - on the event tables, every statement that reads the target for the
//     staged rows (the check, the MERGE) filters its timestamp BETWEEN the
//     staged rows' smallest and largest, and the slice's DELETE between the
//     slice's. An event's event_id covers its timestamp, so the filter is
//     exact: every row a staged row can match lies in the range. The bounds
//     are script variables (SET (min, max) = (SELECT AS STRUCT
//     MIN(timestamp), MAX(timestamp) FROM ...)): BigQuery prunes partitions
//     by a constant filter on the partitioning column, not by a subquery's
//     value (Query partitioned tables, "Use a constant filter expression"),
//     and a MERGE's target by such a filter in its merge_condition (Update
//     partitioned table data using DML, "Pruning partitions when using a
//     MERGE statement").
//
// What each step reads, by table (row sizes are BigQuery's logical ones for
// the generated data: a visits row about 1.5 KB, of which source_object
// about 60 bytes and the lineage, source_object and source_line, about 70;
// a sessions row about 350 bytes, an event row about 300, of which the key,
// lineage and timestamp about 140):
//
//   - count-before: the staging table's keys; COUNT(*) of the target is
//     free (table metadata).
//   - lake write: the check of the slice's (replace) or rewritten objects'
//     (merge) rows reads visits.source_object, the whole lake; the DELETE,
//     when it runs, the whole lake (a replace of a day loaded before pays
//     the lake's size: unpartitioned, it cannot pay less); the MERGE, the
//     staging table and visits.source_object and source_line, the whole
//     lake (about a twentieth of its bytes); the ledger statements, the
//     ledger (a row an object).
//   - dw write, slice part: the check reads the target's source_object; when
//     rows are found, the temporary table reads the target's key,
//     session_key, timestamp and source_object, the whole table; the DELETE
//     is billed the whole sessions table, or the event table's months
//     between the slice's first and last timestamps; the derivation reads,
//     of the whole lake, session_key, the lineage, run_id and the columns
//     the table takes (an event table the fields of its events), which for
//     an event table is most of the lake's bytes.
//   - dw write, merge part: the range (event tables) reads the staging
//     table's timestamps; the check reads the target's key and lineage (and
//     timestamp), of the staged months on an event table; the INSERT-only
//     MERGE reads the staging table and the target's key (and timestamp,
//     staged months); the superseding MERGE is billed besides the whole
//     sessions table, or the staged months of an event table.
//   - count-after: COUNT(*) is free; the rows in the slice read the
//     target's source_object, the whole table.
//
// A merge of new objects therefore reads, besides its staged rows, about
// 200 bytes a row of the lake (three narrow column scans), and of sessions
// its narrow key and lineage columns three times (near the table's size:
// a join on session_key cannot use its clustering); of an event table the
// same within the staged months, plus source_object whole. BytesProcessed is
// the sum of what the load's query jobs report they processed (a script's
// job reports its statements').
//
// Job ids. Every job id is
// clickstream_<run>_<table>_<step>_a<attempt>_<hash>: the steps are load
// (load-1, load-2, ... past 10,000 files), count-before, write (write-r2,
// write-r3, ... when it runs again after contention on its table) and
// count-after; bytes of the run outside [A-Za-z0-9_-] are replaced by '_'
// and the run is cut to 512 bytes; <hash> is a digest of the project,
// dataset, run (unsanitized), table, attempt, mode, slice, objects read and
// files, shared by the jobs and the staging table of one Load, so that runs
// whose sanitized ids collide, or requests that differ, still get ids of
// their own.
// The same request therefore gives the same ids: when a job insert is
// answered 409 (the job exists: the client library's retry of an insert
// whose answer was lost, or the same Load run again), Load re-attaches to
// that job (JobFromIDLocation) and waits for it instead of running it again.
// warehouse.LoadRequest.Attempt, the activity's attempt, makes a retried activity run
// fresh jobs (and use its own staging table, so that an earlier attempt
// still running cannot drop it). A step re-attached after its table moved
// on (the same Load run again later) reports the counts it saw then.
//
// Models. The lake's write also records, for the models step, in
// models.ChangesTable (lake dataset, unpartitioned): before its DELETE,
// inside the IF that guards it, the users and objects of the rows it
// deletes with the first and last of their events' timestamps (reading the
// lake's user_id, source_object and events.event.timestamp, where the
// DELETE is billed the whole lake anyway); after the MERGE, those of the
// rows of the run (the staged rows whose lineage the lake holds with the
// run's run_id: of the lake, only the lineage and run_id are read). The
// derived tables (models.Tables(): user_sessions MONTH-partitioned on
// started_at and clustered by user_id, the reports unpartitioned) and the
// changes table are created and checked with the others. BuildModels runs
// the build as described on it; what its script reads, by statement:
//
//   - the changes: model_changes and pipeline_runs' run_id and status, both
//     small; the spans and bounds: temporary tables;
//   - the user sessions a span overlaps: user_sessions' id, user_id,
//     started_at and ended_at, of the months up to the last span's end
//     (started_at <= clickstream_span_hi): a user session may have started
//     any time before a span it overlaps, so earlier months are read;
//   - the events of the window: the three event tables' session_key,
//     timestamp, event_id (and page_url, currency, amount) of the months
//     within the window (timestamp BETWEEN clickstream_lo AND
//     clickstream_hi), and sessions' session_key, user_id and device_type,
//     whole (a join on session_key cannot use its clustering);
//   - the DELETE of the user sessions overlapped: billed user_sessions'
//     months within the window; the INSERT of those cut, the temporary
//     events; finding the user sessions cut, user_sessions' user_id and
//     started_at within the window;
//   - the daily events and revenue reports: the event tables within the
//     window widened by a day (clickstream_days_lo, clickstream_days_hi), and
//     sessions whole; the funnel: user_sessions within those days; each
//     report's DELETE is billed the report, small and unpartitioned;
//   - the top users: every event and user session of the changed users, of
//     any day: the event tables' session_key and the sessions' user_id and
//     device_type whole, user_sessions' user_id whole;
//   - the sessions per object: the lake's source_object and session_key,
//     whole (unpartitioned);
//   - the data tests: the event tables within the days, sessions and
//     user_sessions' key and user_id whole, the reports;
//   - the removal of the changes: model_changes.
//
// A rebuild reads every table whole. A run's build with nothing pending
// runs no script: its reads of model_changes and of whether the tables
// hold rows are all it bills.
//
// Runs. RecordRun writes the audit row of a run with one query job, MERGE
// target USING (SELECT @run_id AS run_id, ...) ON run_id WHEN NOT MATCHED
// THEN INSERT, every value a named query parameter typed as its column; a
// run already recorded is left as it is. The audit table has no
// partitioning or clustering.
//
// Waiting. Every job, query jobs included, is waited on by its status
// (jobs.get, polled at growing intervals up to 5 s), never through
// jobs.getQueryResults (see wait): a job that failed returns its error at
// once, classified as below, and Temporal's retry policy decides what
// follows. A query's result is read once its job succeeded. Reads (Counts,
// LoadedObjects) run as query jobs of fresh ids, waited on alike.
//
// Errors name the operation and the table and wrap BigQuery's error. Those
// retrying cannot mend wrap a sentinel: 404 or reason notFound wraps
// [warehouse.ErrNotFound], 401, 403 or reason accessDenied wraps
// [warehouse.ErrPermission] (the message names the roles needed), reason
// quotaExceeded wraps [warehouse.ErrQuota] (most quotas are daily: the
// message says retrying before the quota is replenished cannot help), 400
// or reason invalid or invalidQuery wraps [warehouse.ErrSchema]. Rate limits
// (429, rateLimitExceeded, jobRateLimitExceeded), backendError,
// internalError, 5xx, and contention on a table whatever its reason or
// status (a transaction aborted by a concurrent update, "Could not
// serialize access", more than 20 DML statements queued on the table) are
// returned plain, for Temporal to retry with backoff, once the client
// library's own retries are spent.
type Warehouse struct {
	client   *bq.Client
	project  string
	location string
	lake, dw string
	poll     time.Duration // the first wait before polling a running job (see wait)
	// retryDelay is the first wait before a write is run again after
	// contention on its table (see bqLoad.write).
	retryDelay time.Duration
	// maxBytesBilled is Options.MaxBytesBilled.
	maxBytesBilled int64
}

var _ warehouse.Warehouse = (*Warehouse)(nil)

// datasetName is what BigQuery accepts as a dataset id.
var datasetName = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// Open checks opts and creates the client. It sends no request:
// EnsureTables is the first to reach BigQuery.
func Open(ctx context.Context, opts Options) (*Warehouse, error) {
	if opts.Project == "" {
		return nil, errors.New("bigquery warehouse: Project is required")
	}
	if strings.ContainsAny(opts.Project, "`/ ") {
		return nil, fmt.Errorf("bigquery warehouse: project %q is not a project id", opts.Project)
	}
	if opts.Location == "" {
		opts.Location = DefaultLocation
	}
	if opts.MaxBytesBilled < 0 {
		return nil, fmt.Errorf("bigquery warehouse: MaxBytesBilled must be 0 (no limit) or positive, got %d", opts.MaxBytesBilled)
	}
	if opts.LakeDataset == "" {
		opts.LakeDataset = warehouse.DefaultLakeDataset
	}
	if opts.DWDataset == "" {
		opts.DWDataset = warehouse.DefaultDWDataset
	}
	for _, ds := range []string{opts.LakeDataset, opts.DWDataset} {
		if !datasetName.MatchString(ds) || len(ds) > 1024 {
			return nil, fmt.Errorf("bigquery warehouse: dataset %q: want up to 1024 letters, digits and underscores", ds)
		}
	}
	client, err := bq.NewClient(ctx, opts.Project, opts.ClientOptions...)
	if err != nil {
		return nil, fmt.Errorf("bigquery warehouse: %w", err)
	}
	client.Location = opts.Location
	return &Warehouse{client: client, project: opts.Project, location: opts.Location,
		lake: opts.LakeDataset, dw: opts.DWDataset, poll: defaultPoll, retryDelay: defaultRetryDelay,
		maxBytesBilled: opts.MaxBytesBilled}, nil
}

// Close closes the client.
func (b *Warehouse) Close() error { return b.client.Close() }

// TableName returns the full name of a clickstream table, of
// warehouse.RunsTable, warehouse.LedgerTable, a derived table or
// models.ChangesTable, project.dataset.table, as errors name it.
func (b *Warehouse) TableName(table string) string {
	t, ok := models.Lookup(table)
	if !ok {
		t, _ = warehouse.LookupTable(table)
	}
	return b.project + "." + b.datasetOf(t) + "." + table
}

func (b *Warehouse) datasetOf(t clickstream.Table) string {
	if t.Dataset == clickstream.Lake {
		return b.lake
	}
	return b.dw
}

func (b *Warehouse) table(t clickstream.Table) *bq.Table {
	return b.client.Dataset(b.datasetOf(t)).Table(t.Name)
}

// sqlName is t's name in SQL: `project`.`dataset`.`table`.
func (b *Warehouse) sqlName(t clickstream.Table) string {
	return bqQualified(b.project, b.datasetOf(t), t.Name)
}

// managedTables are the tables EnsureTables checks and RecreateTables
// drops and creates: those of clickstream.Tables(), the ledger of loaded
// objects (warehouse.LedgerTable, in the lake dataset), the derived tables
// (models.Tables()) and the changes the lake's loads record for them
// (models.ChangesTable, in the lake dataset).
func managedTables() []clickstream.Table {
	return append(append(clickstream.Tables(), warehouse.LedgerSchema()), modelTables()...)
}

// EnsureTables creates the datasets and tables that are missing, and checks
// that the tables already there have the schema, partitioning and
// clustering of clickstream.Tables() and of the ledger
// (warehouse.LedgerTable); the differences of every table that has others
// are listed in one error wrapping warehouse.ErrSchema. It creates the
// audit table warehouse.RunsTable too, or adds the columns it lacks.
func (b *Warehouse) EnsureTables(ctx context.Context) error {
	if err := b.ensureDatasets(ctx, b.lake, b.dw); err != nil {
		return fmt.Errorf("ensuring tables: %w", err)
	}
	var diffs []error
	for _, t := range managedTables() {
		if err := b.ensureTable(ctx, t); isTableProblem(err) {
			diffs = append(diffs, err)
		} else if err != nil {
			return fmt.Errorf("ensuring tables: %w", err)
		}
	}
	if err := b.ensureRunsTable(ctx); isTableProblem(err) {
		diffs = append(diffs, err)
	} else if err != nil {
		return fmt.Errorf("ensuring tables: %w", err)
	}
	if len(diffs) > 0 {
		return fmt.Errorf("ensuring tables: %w", errors.Join(diffs...))
	}
	return nil
}

// isTableProblem says err is about a table as it stands (its schema or its
// settings), which EnsureTables lists with the others' rather than stopping.
func isTableProblem(err error) bool {
	return errors.Is(err, warehouse.ErrSchema) || errors.Is(err, warehouse.ErrSettings)
}

// RecreateTables deletes every table of clickstream.Tables() and the
// ledger (a missing one is fine) and creates it again, empty, creating the
// datasets first where missing. Unlike DuckDB's, it is not one transaction:
// a failure can leave some tables recreated and others not; running it
// again finishes the work. The audit table warehouse.RunsTable is kept:
// created if missing, given the columns it lacks.
func (b *Warehouse) RecreateTables(ctx context.Context) error {
	if err := b.ensureDatasets(ctx, b.lake, b.dw); err != nil {
		return fmt.Errorf("recreating tables: %w", err)
	}
	for _, t := range managedTables() {
		if err := b.table(t).Delete(ctx); err != nil && !isNotFound(err) {
			return fmt.Errorf("recreating tables: deleting %s: %w", b.TableName(t.Name), b.classify(err))
		}
		if err := b.table(t).Create(ctx, tableMetadata(t)); err != nil {
			return fmt.Errorf("recreating tables: creating %s: %w", b.TableName(t.Name), b.classify(err))
		}
	}
	if err := b.ensureRunsTable(ctx); err != nil {
		return fmt.Errorf("recreating tables: %w", err)
	}
	return nil
}

// Counts returns COUNT(*) of the tables, by table name, from one query
// (not of warehouse.RunsTable).
// A missing table is an error wrapping warehouse.ErrNotFound, but
// ga4_events: only GA4 runs load (and so create) it, and it counts 0 rows
// until one has.
func (b *Warehouse) Counts(ctx context.Context) (map[string]int64, error) {
	var parts []string
	for _, t := range clickstream.Tables() {
		if t.Name == clickstream.GA4EventsTable {
			// The dataset's table metadata answers whether the table exists
			// or not; a lake table has no streaming buffer to miss.
			parts = append(parts, fmt.Sprintf("SELECT %s AS table_name, COALESCE(SUM(row_count), 0) AS row_count FROM %s WHERE table_id = %s",
				bqString(t.Name), bqQualified(b.project, b.lake, "__TABLES__"), bqString(t.Name)))
			continue
		}
		parts = append(parts, fmt.Sprintf("SELECT %s AS table_name, COUNT(*) AS row_count FROM %s",
			bqString(t.Name), b.sqlName(t)))
	}
	type row struct {
		Table string `bigquery:"table_name"`
		Rows  int64  `bigquery:"row_count"`
	}
	counts := make(map[string]int64)
	err := readRows(ctx, b, strings.Join(parts, "\nUNION ALL\n"), nil, func(r row) { counts[r.Table] = r.Rows })
	if err != nil {
		return nil, fmt.Errorf("counting rows: %w", err)
	}
	for _, t := range clickstream.Tables() {
		if _, ok := counts[t.Name]; !ok {
			return nil, fmt.Errorf("counting rows: no count for %s in the answer", b.TableName(t.Name))
		}
	}
	return counts, nil
}

// ensureDatasets creates the datasets that are missing, in b.location, and
// checks that those already there are in b.location.
func (b *Warehouse) ensureDatasets(ctx context.Context, ids ...string) error {
	for i, id := range ids {
		if i > 0 && id == ids[0] {
			continue
		}
		ds := b.client.Dataset(id)
		md, err := ds.Metadata(ctx)
		switch {
		case isNotFound(err):
			err = ds.Create(ctx, &bq.DatasetMetadata{Location: b.location,
				Description: "clickstream tables (SPEC.md), managed by the clickstream pipeline."})
			if err != nil && !isDuplicate(err) {
				return fmt.Errorf("creating dataset %s.%s: %w", b.project, id, b.classify(err))
			}
		case err != nil:
			return fmt.Errorf("reading dataset %s.%s: %w", b.project, id, b.classify(err))
		case !strings.EqualFold(md.Location, b.location):
			return fmt.Errorf("%w: dataset %s.%s is in %s, but the warehouse's location is %s (jobs run in one location)",
				warehouse.ErrSchema, b.project, id, md.Location, b.location)
		default:
			if err := datasetSettings(b.project+"."+id, md); err != nil {
				return err
			}
		}
	}
	return nil
}

// datasetSettings refuses, with an error wrapping warehouse.ErrSettings, a
// dataset (name project.dataset) whose defaults would drop rows: a default
// table expiration deletes every table created in it (RecreateTables
// creates them all, the ledger and the audit table too), a default
// partition expiration the months of the event tables created in it.
func datasetSettings(name string, md *bq.DatasetMetadata) error {
	var opts, problems []string
	if d := md.DefaultTableExpiration; d != 0 {
		opts = append(opts, "default_table_expiration_days = NULL")
		problems = append(problems, fmt.Sprintf("a default table expiration of %v would delete the tables created in it", d))
	}
	if d := md.DefaultPartitionExpiration; d != 0 {
		opts = append(opts, "default_partition_expiration_days = NULL")
		problems = append(problems, fmt.Sprintf("a default partition expiration of %v would drop the older months of its partitioned tables", d))
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w: dataset %s: %s; remove them (ALTER SCHEMA %s SET OPTIONS (%s)) or set warehouse.lake_dataset and warehouse.dw_dataset to other datasets",
		warehouse.ErrSettings, name, strings.Join(problems, ", and "), bqIdent(name), strings.Join(opts, ", "))
}

// tableSettings refuses, with an error wrapping warehouse.ErrSettings, a
// table (name project.dataset.table) whose settings would drop its rows (an
// expiration of the table or of its partitions) or fail the statements of
// a load (require_partition_filter: its counts and slice statements read
// the whole table, with no filter on the partitioning column).
func tableSettings(name string, md *bq.TableMetadata) error {
	var opts, problems []string
	if !md.ExpirationTime.IsZero() {
		opts = append(opts, "expiration_timestamp = NULL")
		problems = append(problems, fmt.Sprintf("it expires at %s, when it would be deleted", md.ExpirationTime.UTC().Format(time.RFC3339)))
	}
	if p := md.TimePartitioning; p != nil && p.Expiration != 0 {
		opts = append(opts, "partition_expiration_days = NULL")
		problems = append(problems, fmt.Sprintf("its partitions expire after %v, which would drop the older months", p.Expiration))
	}
	if md.RequirePartitionFilter || md.TimePartitioning != nil && md.TimePartitioning.RequirePartitionFilter {
		opts = append(opts, "require_partition_filter = FALSE")
		problems = append(problems, "it requires a partition filter, which the load's counts and slice statements do not give")
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w: table %s: %s; remove them (ALTER TABLE %s SET OPTIONS (%s))",
		warehouse.ErrSettings, name, strings.Join(problems, ", and "), bqIdent(name), strings.Join(opts, ", "))
}

// ensureTable creates t if it is missing, or checks its schema,
// partitioning and clustering.
func (b *Warehouse) ensureTable(ctx context.Context, t clickstream.Table) error {
	md, err := b.table(t).Metadata(ctx)
	if isNotFound(err) {
		err = b.table(t).Create(ctx, tableMetadata(t))
		if err == nil {
			return nil
		}
		if !isDuplicate(err) {
			return fmt.Errorf("creating %s: %w", b.TableName(t.Name), b.classify(err))
		}
		// Created meanwhile by someone else: check it.
		md, err = b.table(t).Metadata(ctx)
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", b.TableName(t.Name), b.classify(err))
	}
	var errs []error
	if diffs := diffTable(md, t); len(diffs) > 0 {
		errs = append(errs, fmt.Errorf("%w: table %s differs from the schema (%s); run recreate",
			warehouse.ErrSchema, b.TableName(t.Name), strings.Join(diffs, "; ")))
	}
	errs = append(errs, tableSettings(b.TableName(t.Name), md))
	return errors.Join(errs...)
}
