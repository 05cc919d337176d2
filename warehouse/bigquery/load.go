package bigquery

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	bq "cloud.google.com/go/bigquery"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/location"
	"github.com/clickstream-platform/clickstream/warehouse"
)

const (
	// maxURIsPerLoadJob is BigQuery's limit on the source URIs of one load job.
	maxURIsPerLoadJob = 10_000
	// stagingExpiration is how long a staging table outlives a run that
	// could not drop it.
	stagingExpiration = 24 * time.Hour
	// dropTimeout bounds the drop of a staging table, which runs even when
	// the load's context is done.
	dropTimeout = time.Minute
)

// Load loads the staged files (gs:// URIs) into req.Table in req.Mode,
// first creating where missing (see EnsureTables) the table and those its
// statements use: the lake table, and the ledger for the lake's load. The
// files are Parquet if every name ends in .parquet, NDJSON if none does; a
// load of both fails before any request, and so does a replace without a
// slice.
// The steps, their jobs and their ids are described at [Warehouse]. Data that
// does not fit the table is an error wrapping warehouse.ErrSchema, a missing
// file one wrapping warehouse.ErrNotFound; either way the table is left as it was.
func (b *Warehouse) Load(ctx context.Context, req warehouse.LoadRequest) (warehouse.LoadResult, error) {
	res := warehouse.LoadResult{Table: req.Table}
	t, ok := clickstream.LookupTable(req.Table)
	if !ok {
		return res, fmt.Errorf("loading %s: no such table", req.Table)
	}
	name := b.TableName(t.Name)
	if _, err := warehouse.ParseMode(string(req.Mode)); err != nil {
		return res, fmt.Errorf("loading %s: %w", name, err)
	}
	if req.RunID == "" {
		return res, fmt.Errorf("loading %s: RunID is required: it names the jobs", name)
	}
	if req.Mode == warehouse.Replace && req.Slice.Empty() {
		return res, fmt.Errorf("loading %s: a replace needs the slice it replaces (a run planned by an older worker? start it again)", name)
	}
	uris, err := gcsURIs(req.Files)
	if err != nil {
		return res, fmt.Errorf("loading %s: %w", name, err)
	}
	format, err := warehouse.FormatOf(uris)
	if err != nil {
		return res, fmt.Errorf("loading %s: %w", name, err)
	}
	if err := b.ensureDatasets(ctx, b.lake, b.datasetOf(t)); err != nil {
		return res, fmt.Errorf("loading %s: %w", name, err)
	}
	// The lake table first: the warehouse tables' statements read it.
	tables := []clickstream.Table{lakeTable(), t}
	if t.Key == "" {
		tables[1] = warehouse.LedgerSchema()
	}
	for _, t := range tables {
		if err := b.ensureTable(ctx, t); err != nil {
			return res, fmt.Errorf("loading %s: %w", name, err)
		}
	}
	res, err = b.newLoad(t, req, uris, format).run(ctx)
	if err != nil {
		return warehouse.LoadResult{Table: req.Table}, fmt.Errorf("loading %s: %w", name, err)
	}
	return res, nil
}

// lakeTable is the lake table, which the warehouse tables derive from.
func lakeTable() clickstream.Table {
	t, _ := clickstream.LookupTable(clickstream.VisitsTable)
	return t
}

// bqLoad is one Load: its table, files, slice, and the names of its jobs
// and staging table.
type bqLoad struct {
	b       *Warehouse
	t       clickstream.Table
	mode    warehouse.Mode
	uris    []string
	format  clickstream.Format
	slice   warehouse.Slice
	objects []warehouse.SourceObject
	runID   string
	attempt int32
	prefix  string // of the job ids: clickstream_<run>_<table>
	hash    string // digest of the request, ends every name
	target  string // SQL name
	staging *bq.Table
	// keepBefore is warehouse.LoadRequest.KeepBefore.
	keepBefore func(context.Context, int64) (int64, error)
	// processed sums what the load's query jobs processed.
	processed int64
}

func (b *Warehouse) newLoad(t clickstream.Table, req warehouse.LoadRequest, uris []string, format clickstream.Format) *bqLoad {
	attempt := strconv.Itoa(int(req.Attempt))
	// The slice and the objects read are part of the request: two loads
	// that differ in them run jobs of their own.
	slice, _ := json.Marshal(req.Slice)     // strings only: cannot fail
	objects, _ := json.Marshal(req.Objects) // likewise
	hash := digest(append([]string{b.project, b.datasetOf(t), req.RunID, t.Name, attempt, string(req.Mode),
		string(slice), string(objects)}, uris...)...)
	staging := fmt.Sprintf("_staging_%s_%s_a%s_%s", sanitizeID(req.RunID, false, maxRunIDBytes),
		t.Name, sanitizeID(attempt, false, 16), hash)
	return &bqLoad{
		b: b, t: t, mode: req.Mode, uris: uris, format: format,
		slice: req.Slice, objects: req.Objects, runID: req.RunID, attempt: req.Attempt,
		prefix:     "clickstream_" + sanitizeID(req.RunID, true, maxRunIDBytes) + "_" + t.Name,
		hash:       hash,
		target:     b.sqlName(t),
		staging:    b.client.Dataset(b.datasetOf(t)).Table(staging),
		keepBefore: req.KeepBefore,
	}
}

// jobID names the job of a step: clickstream_<run>_<table>_<step>_a<attempt>_<hash>.
func (l *bqLoad) jobID(step string) string {
	return fmt.Sprintf("%s_%s_a%d_%s", l.prefix, step, l.attempt, l.hash)
}

func (l *bqLoad) stagingName() string {
	return bqQualified(l.b.project, l.staging.DatasetID, l.staging.TableID)
}

func (l *bqLoad) run(ctx context.Context) (warehouse.LoadResult, error) {
	res := warehouse.LoadResult{Table: l.t.Name}
	var err error
	if len(l.uris) > 0 {
		defer l.dropStaging(ctx)
		if res.Staged, err = l.stage(ctx); err != nil {
			return res, err
		}
	}
	counts, err := l.queryInts(ctx, "count-before", l.countBeforeSQL(), 2)
	if err != nil {
		return res, fmt.Errorf("counting rows before: %w", err)
	}
	res.Distinct, res.Before = counts[0], counts[1]
	if l.keepBefore != nil {
		if res.Before, err = l.keepBefore(ctx, res.Before); err != nil {
			return res, fmt.Errorf("keeping the count before: %w", err)
		}
	}
	if sql := l.writeSQL(false); sql != "" {
		res.EstimatedBytes, res.EstimateError = l.estimate(ctx)
		if err := l.write(ctx, sql); err != nil {
			return res, fmt.Errorf("writing the rows (%s): %w", l.mode, err)
		}
	}
	counts, err = l.queryInts(ctx, "count-after", l.countAfterSQL(), 2)
	if err != nil {
		return res, fmt.Errorf("counting rows after: %w", err)
	}
	res.After, res.SliceRows = counts[0], counts[1]
	res.Added = res.After - res.Before
	res.BytesProcessed = l.processed
	return res, nil
}

// query runs the query job of a step, sql with the parameters it names,
// and adds what it processed to l.processed.
func (l *bqLoad) query(ctx context.Context, step, sql string) (*bq.Job, error) {
	job, err := l.b.runQuery(ctx, l.jobID(step), sql, l.parameters(sql)...)
	if err != nil {
		return nil, err
	}
	l.processed += bytesProcessed(job)
	return job, nil
}

// estimate dry-runs the write step's script (see writeSQL) and returns
// what BigQuery estimates it reads: an upper bound of what the write bills.
// A dry run runs nothing and bills nothing. An estimate that fails does not
// fail the load: its error is returned as text, for the caller to report.
func (l *bqLoad) estimate(ctx context.Context) (int64, string) {
	sql := l.writeSQL(true)
	q := l.b.newQuery("", sql, l.parameters(sql))
	q.DryRun = true
	job, err := q.Run(ctx)
	if err != nil {
		return 0, fmt.Sprintf("dry run of the write: %v", l.b.classify(err))
	}
	if st := job.LastStatus(); st != nil && st.Statistics != nil {
		return st.Statistics.TotalBytesProcessed, ""
	}
	return 0, "dry run of the write: BigQuery gave no statistics"
}

// writeTries bounds the tries of the write step against contention on its
// table; the first retry waits Warehouse.retryDelay, each next one twice
// the last (by default 10, 20, 40 and 80 s).
const writeTries = 5

// write runs the write step's script, sql. A write that fails because of
// other statements on its table (a concurrent transaction committed first,
// or more than 20 DML statements are queued on the table: see contention)
// is run again, as a job of its own (write-r2, write-r3, ...), after a
// growing wait, while the staging table is still there to read: up to
// writeTries tries, after which the error is returned, retryable, for
// Temporal's retry policy. Any other failure is returned at once.
func (l *bqLoad) write(ctx context.Context, sql string) error {
	delay := l.b.retryDelay
	for try := 1; ; try++ {
		step := "write"
		if try > 1 {
			step = fmt.Sprintf("write-r%d", try)
		}
		_, err := l.query(ctx, step, sql)
		if _, _, message := apiError(err); err == nil || try == writeTries || !contention(message) {
			return err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		delay *= 2
	}
}

// queryInts runs the query job of a step, whose result is one row of n
// INT64 columns, and returns that row.
func (l *bqLoad) queryInts(ctx context.Context, step, sql string, n int) ([]int64, error) {
	job, err := l.query(ctx, step, sql)
	if err != nil {
		return nil, err
	}
	return l.b.readInts(ctx, job, n)
}

// stage creates the staging table and loads the files into it, in jobs of
// at most maxURIsPerLoadJob URIs; it returns the rows they loaded.
func (l *bqLoad) stage(ctx context.Context) (int64, error) {
	md := &bq.TableMetadata{
		Description:    fmt.Sprintf("Staged rows for %s, dropped after the load (its jobs: %s_*).", l.t.Name, l.prefix),
		Schema:         Schema(l.t),
		ExpirationTime: time.Now().Add(stagingExpiration),
	}
	if err := l.staging.Create(ctx, md); err != nil && !isDuplicate(err) {
		return 0, fmt.Errorf("creating staging table %s: %w", l.staging.FullyQualifiedName(), l.b.classify(err))
	}
	var staged int64
	n := (len(l.uris) + maxURIsPerLoadJob - 1) / maxURIsPerLoadJob
	for i := range n {
		uris := l.uris[i*maxURIsPerLoadJob : min((i+1)*maxURIsPerLoadJob, len(l.uris))]
		step := "load"
		if n > 1 {
			step = fmt.Sprintf("load-%d", i+1)
		}
		loader := l.loader(uris, i == 0)
		id := l.jobID(step)
		loader.JobID, loader.Location = id, l.b.location
		job, err := l.b.runJob(ctx, id, loader.Run)
		if err != nil {
			return 0, fmt.Errorf("loading the staged files: %w", err)
		}
		var stats *bq.LoadStatistics
		if st := job.LastStatus(); st != nil && st.Statistics != nil {
			stats, _ = st.Statistics.Details.(*bq.LoadStatistics)
		}
		if stats == nil {
			return 0, fmt.Errorf("loading the staged files: job %s reports no load statistics", id)
		}
		staged += stats.OutputRows
	}
	// A truncating load (NDJSON's first) may replace the table's metadata:
	// set the expiration again.
	if _, err := l.staging.Update(ctx, bq.TableMetadataToUpdate{ExpirationTime: time.Now().Add(stagingExpiration)}, ""); err != nil {
		return 0, fmt.Errorf("setting the expiration of %s: %w", l.staging.FullyQualifiedName(), l.b.classify(err))
	}
	return staged, nil
}

// loader returns the job that loads uris into the staging table; first
// says it is the load's first job.
//
// NDJSON is read with the table's schema given, nothing detected, no
// unknown field or bad record allowed; the first job truncates the staging
// table (and sets its schema), the others append.
//
// Parquet is read with list inference, so that a 3-level LIST is a
// REPEATED column rather than a RECORD holding a list. A Parquet file
// carries its own schema, and a load that truncates a table takes the
// file's schema for it, REQUIRED modes and descriptions included: so every
// job appends (WRITE_APPEND, without schema update options) to the staging
// table that stage created with the target's schema, which must already
// exist (CREATE_NEVER), and gives no schema (the load job's schema may be
// left out when the destination table exists). Appending without schema
// update options, BigQuery keeps the table's schema and fails the job on a
// file that does not fit it: a column of another type, a REQUIRED column
// missing, a column the table lacks, or a REQUIRED column the file marks
// optional (that would relax its mode). The transform's writer marks the
// REQUIRED columns required, so no null can reach them.
func (l *bqLoad) loader(uris []string, first bool) *bq.Loader {
	src := bq.NewGCSReference(uris...)
	if l.format == clickstream.Parquet {
		src.SourceFormat = bq.Parquet
		src.ParquetOptions = &bq.ParquetOptions{EnableListInference: true}
		loader := l.staging.LoaderFrom(src)
		loader.CreateDisposition = bq.CreateNever
		loader.WriteDisposition = bq.WriteAppend
		return loader
	}
	src.SourceFormat = bq.JSON
	src.Schema = Schema(l.t)
	src.AutoDetect = false
	src.IgnoreUnknownValues = false
	src.MaxBadRecords = 0
	loader := l.staging.LoaderFrom(src)
	loader.CreateDisposition = bq.CreateIfNeeded
	loader.WriteDisposition = bq.WriteTruncate
	if !first {
		loader.WriteDisposition = bq.WriteAppend
	}
	return loader
}

// dropStaging deletes the staging table, even when ctx is done. A failure
// is ignored: the table expires by itself.
func (l *bqLoad) dropStaging(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), dropTimeout)
	defer cancel()
	_ = l.staging.Delete(ctx)
}

// countBeforeSQL counts the staged rows' distinct keys (for the lake
// table, their distinct lineages) and the target's rows.
func (l *bqLoad) countBeforeSQL() string {
	if len(l.uris) == 0 {
		return fmt.Sprintf("SELECT 0 AS distinct_keys, (SELECT COUNT(*) FROM %s) AS rows_before", l.target)
	}
	return fmt.Sprintf("SELECT\n  (SELECT COUNT(*) FROM (SELECT DISTINCT %s FROM %s)) AS distinct_keys,\n  (SELECT COUNT(*) FROM %s) AS rows_before",
		keyList(l.t, ""), l.stagingName(), l.target)
}

// countAfterSQL counts the target's rows, and those of the slice.
func (l *bqLoad) countAfterSQL() string {
	return fmt.Sprintf("SELECT\n  (SELECT COUNT(*) FROM %s) AS rows_after,\n  (SELECT COUNT(*) FROM %s AS t WHERE %s) AS slice_rows",
		l.target, l.target, inSliceSQL("t."+bqIdent(clickstream.ColSourceObject)))
}

// gcsURIs checks that every file is a gs:// URI naming one object and
// returns them, each once, in the order given.
func gcsURIs(files []string) ([]string, error) {
	out := make([]string, 0, len(files))
	seen := make(map[string]bool, len(files))
	for _, f := range files {
		l, err := location.Parse(f)
		switch {
		case err != nil || l.Scheme != location.GCS || l.Prefix == "":
			return nil, fmt.Errorf("%w: staged file %q: BigQuery loads gs://bucket/object URIs only (the staging store must be a gs:// bucket)",
				warehouse.ErrNotFound, f)
		case strings.Contains(f, "*"):
			return nil, fmt.Errorf("%w: staged file %q: BigQuery would read '*' as a wildcard", warehouse.ErrNotFound, f)
		case seen[f]:
			continue
		}
		seen[f] = true
		out = append(out, f)
	}
	return out, nil
}

// MaxLineBytes is the longest input line whose rows BigQuery loads: a line
// is a session, which its visits row holds whole. BigQuery loads JSON rows
// of up to 100 MB (Quotas and limits, "Load jobs": maximum row and cell
// size) and advises Parquet rows of 50 MB at most (Loading Parquet data,
// "Input file requirements"). A staged NDJSON row can be nearly twice its
// line (every event gains its 64-digit event_id, every timestamp its
// microseconds; a rejected event is dropped), while the data of a Parquet
// row is no larger than its line's: a line of up to 32 MiB gives rows below
// both limits. With a BigQuery warehouse the transform reads no longer
// line: it dead-letters it, as any line over transform.max_line_bytes
// (code line_too_long, the reason naming this limit), instead of one row
// failing the whole load.
const MaxLineBytes = 32 << 20
