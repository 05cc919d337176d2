package duckdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/models"
	"github.com/clickstream-platform/clickstream/warehouse"
	duckdbdriver "github.com/duckdb/duckdb-go/v2"
)

// stagedTable is the temporary table a load reads the staged files into.
const stagedTable = "temp.main.clickstream_staged"

// Load loads the staged files (local paths, or URIs that Options.Fetch
// opens) into req.Table in one transaction, creating the table first if it
// is missing (see EnsureTables). The files are Parquet if every name ends in
// .parquet, NDJSON if none does; a load of both fails.
//
// NDJSON files are read with the table's columns and types, nothing
// detected; Parquet files must have the table's columns (by name, in any
// order) of its types. A file listed twice is read once. Every staged row
// must fit the table: the types of its columns, and every REQUIRED column
// present and not null.
// The rows are deduplicated by the table's key, keeping per key the row with
// the smallest (source_object, source_line), and of rows equal in those the
// first in the order of the files and lines. Replace leaves the table
// holding exactly those rows; Merge inserts those whose key the table does
// not hold yet, replaces the rows whose key it holds from a larger
// (source_object, source_line), and leaves the others as they are (see
// supersedeSQL). With no files, Replace empties the table and Merge does
// nothing.
//
// Before is counted inside the transaction; req.KeepBefore, if set, is
// called with it there, before the commit, and what it returns is reported.
//
// A missing file is an error naming it (wrapping fs.ErrNotExist); data that
// does not fit the table is an error wrapping warehouse.ErrSchema. Either
// way the table is left as it was.
func (d *Warehouse) Load(ctx context.Context, req warehouse.LoadRequest) (warehouse.LoadResult, error) {
	res := warehouse.LoadResult{Table: req.Table}
	t, ok := clickstream.LookupTable(req.Table)
	if !ok {
		return res, fmt.Errorf("loading %s: no such table", req.Table)
	}
	name := d.TableName(t.Name)
	if _, err := warehouse.ParseMode(string(req.Mode)); err != nil {
		return res, fmt.Errorf("loading %s: %w", name, err)
	}
	format, err := warehouse.FormatOf(req.Files)
	if err != nil {
		return res, fmt.Errorf("loading %s: %w", name, err)
	}
	fetched, cleanup, err := d.fetchRemote(ctx, req.Files)
	defer cleanup()
	if err != nil {
		return res, fmt.Errorf("loading %s: %w", name, err)
	}
	files, err := localFiles(fetched)
	if err != nil {
		return res, fmt.Errorf("loading %s: %w", name, err)
	}
	if req.Mode == warehouse.Replace && req.Slice.Empty() {
		return res, fmt.Errorf("loading %s: a replace needs the slice it replaces (a run planned by an older worker? start it again)", name)
	}
	err = d.do(ctx, true, func(ctx context.Context, c *sql.Conn) error {
		err := inTx(ctx, c, func(tx *sql.Tx) error {
			return d.ensureTables(ctx, tx, lakeTable(), ledger(), models.ChangesSchema(), t)
		})
		if err != nil {
			return err
		}
		return inTx(ctx, c, func(tx *sql.Tx) error {
			var err error
			res, err = d.load(ctx, tx, t, files, format, req)
			return err
		})
	})
	if err != nil {
		return warehouse.LoadResult{Table: req.Table}, fmt.Errorf("loading %s: %w", name, err)
	}
	return res, nil
}

// load does the work of Load inside tx: the lake table's rows of the slice
// replaced, or a warehouse table's rows of the slice derived again from the
// lake; then the staged rows merged in, one per key.
func (d *Warehouse) load(ctx context.Context, tx *sql.Tx, t clickstream.Table, files []string, format clickstream.Format, req warehouse.LoadRequest) (warehouse.LoadResult, error) {
	res := warehouse.LoadResult{Table: t.Name}
	target := d.ident(t)
	var err error
	if res.Before, err = countRows(ctx, tx, target); err != nil {
		return res, fmt.Errorf("counting rows before: %w", err)
	}
	if req.KeepBefore != nil {
		if res.Before, err = req.KeepBefore(ctx, res.Before); err != nil {
			return res, fmt.Errorf("keeping the count before: %w", err)
		}
	}
	// The staging step leaves in a temporary table the staged rows (NDJSON);
	// a Parquet load checks the files here and picks the rows to keep once
	// it knows whether the table holds any (see insertStaged).
	var optional map[int][]string
	switch {
	case len(files) == 0:
	case format == clickstream.Parquet:
		defer resetParquetOptions(ctx, tx)
		if optional, err = prepareParquet(ctx, tx, t, files); err != nil {
			return res, err
		}
	default:
		if res.Staged, res.Distinct, err = stage(ctx, tx, t, files); err != nil {
			return res, err
		}
	}
	inSlice, err := sliceSQL(ctx, tx, quoteIdent(clickstream.ColSourceObject), req.Slice)
	if err != nil {
		return res, err
	}
	// visits is the lake table the ledger and the models' changes follow;
	// ga4_events, loaded after it, keeps the rows of the objects read.
	primary := t.Name == clickstream.VisitsTable
	if t.Key == "" {
		err = d.replaceLakeSlice(ctx, tx, target, req, inSlice, primary)
	} else {
		err = d.rederive(ctx, tx, t, target, inSlice)
	}
	if err != nil {
		return res, err
	}
	if len(files) > 0 {
		staged, distinct, err := insertStaged(ctx, tx, t, target, files, format, optional)
		if err != nil {
			return res, err
		}
		if format == clickstream.Parquet {
			res.Staged, res.Distinct = staged, distinct
		}
	}
	if primary {
		if err := d.recordObjects(ctx, tx, req.RunID); err != nil {
			return res, err
		}
		// The rows this load inserted: its run's, in its slice (a run's
		// rows elsewhere were inserted by an earlier attempt or load).
		added := fmt.Sprintf("%s = %s AND %s", quoteIdent(clickstream.ColRunID), quoteString(req.RunID), inSlice)
		if err := d.logChanges(ctx, tx, target, req.RunID, added); err != nil {
			return res, err
		}
	}
	if res.After, err = countRows(ctx, tx, target); err != nil {
		return res, fmt.Errorf("counting rows after: %w", err)
	}
	q := fmt.Sprintf("SELECT count(*) FROM %s WHERE %s", target, inSlice)
	if err := tx.QueryRowContext(ctx, q).Scan(&res.SliceRows); err != nil {
		return res, fmt.Errorf("counting the slice's rows: %w", err)
	}
	res.Added = res.After - res.Before
	return res, nil
}

// insertStaged merges the staged rows into target, one per key (see Load),
// after the rows the load replaces are gone. NDJSON rows are in
// stagedTable already. Parquet rows go in on one of two paths: into a table
// that holds no rows now (a first load, or a replace of all it held) they
// are inserted as read but for the keys staged more than once
// (insertParquetFresh); otherwise every staged key is picked first, and
// weighed against the table's copies (stageParquet). It returns the
// Parquet rows staged and their distinct keys.
func insertStaged(ctx context.Context, tx *sql.Tx, t clickstream.Table, target string, files []string, format clickstream.Format, optional map[int][]string) (staged, distinct int64, err error) {
	insert, temp := insertSQL(target, t), stagedTable
	if format == clickstream.Parquet {
		var held bool
		if err := tx.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM "+target+")").Scan(&held); err != nil {
			return 0, 0, fmt.Errorf("reading the table: %w", err)
		}
		if !held {
			return insertParquetFresh(ctx, tx, t, target, files, optional)
		}
		if staged, distinct, err = stageParquet(ctx, tx, t, files, optional); err != nil {
			return 0, 0, err
		}
		insert, temp = insertParquetSQL(target, t, files), keepTable
	}
	if t.Key != "" {
		if _, err := tx.ExecContext(ctx, supersedeSQL(target, t, temp)); err != nil {
			return 0, 0, fmt.Errorf("superseding rows: %w", classify(err))
		}
	}
	if _, err := tx.ExecContext(ctx, insert); err != nil {
		return 0, 0, fmt.Errorf("inserting: %w", classify(err))
	}
	if _, err := tx.ExecContext(ctx, "DROP TABLE "+temp); err != nil {
		return 0, 0, fmt.Errorf("dropping the staged rows: %w", err)
	}
	return staged, distinct, nil
}

// parallelReadFiles is the most staged files a load reads on several
// threads; more are read on one (see stage).
const parallelReadFiles = 16

// fileIndexColumn is the staged table's extra column: the index in the file
// list of the file a row was read from, for error messages.
const fileIndexColumn = "clickstream_file_index"

// stage reads the files into stagedTable, checks that every row has the
// table's required columns, and returns the number of rows read and of
// distinct keys among them. The staged table keeps the rows in the order of
// the files and lines read (DuckDB preserves insertion order), so its rowid
// is their order.
func stage(ctx context.Context, tx *sql.Tx, t clickstream.Table, files []string) (staged, distinct int64, err error) {
	q := fmt.Sprintf("CREATE OR REPLACE TEMP TABLE %s AS SELECT *, file_index AS %s FROM %s",
		stagedTable, fileIndexColumn, readJSONSQL(files, t))
	// Reading files in parallel, DuckDB holds each file's rows apart until
	// it can append them in file order: a little for each file, but a run
	// over thousands of tiny objects (a staged file or more each) adds up
	// to more memory than the machine has. On one thread the files stream
	// into the table in order, in bounded memory and, small as they are
	// then, faster; a few large files still read in parallel.
	if len(files) > parallelReadFiles {
		if _, err := tx.ExecContext(ctx, "SET threads = 1"); err != nil {
			return 0, 0, fmt.Errorf("reading staged files: %w", err)
		}
		defer tx.ExecContext(ctx, "RESET threads")
	}
	if _, err := tx.ExecContext(ctx, q); err != nil {
		return 0, 0, fmt.Errorf("reading staged files: %w", classify(err))
	}
	if err := checkRequired(ctx, tx, t, files); err != nil {
		return 0, 0, err
	}
	q = fmt.Sprintf("SELECT count(*), count(DISTINCT (%s)) FROM %s", keyList(t, ""), stagedTable)
	if err := tx.QueryRowContext(ctx, q).Scan(&staged, &distinct); err != nil {
		return 0, 0, fmt.Errorf("counting staged rows: %w", err)
	}
	return staged, distinct, nil
}

// checkRequired fails with warehouse.ErrSchema if a staged row lacks a REQUIRED
// column (null or missing): every staged row must fit the table, not only the
// ones a load keeps.
func checkRequired(ctx context.Context, tx *sql.Tx, t clickstream.Table, files []string) error {
	var conds, names []string
	for _, f := range t.Fields {
		if f.Mode == clickstream.Required {
			conds = append(conds, quoteIdent(f.Name)+" IS NULL")
			names = append(names, fmt.Sprintf("CASE WHEN %s IS NULL THEN %s END", quoteIdent(f.Name), quoteString(f.Name)))
		}
	}
	if len(conds) == 0 {
		return nil
	}
	q := fmt.Sprintf("SELECT %s, concat_ws(', ', %s), count(*) OVER () FROM %s WHERE %s ORDER BY rowid LIMIT 1",
		fileIndexColumn, strings.Join(names, ", "), stagedTable, strings.Join(conds, " OR "))
	var (
		file    int
		missing string
		rows    int64
	)
	switch err := tx.QueryRowContext(ctx, q).Scan(&file, &missing, &rows); {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("checking required columns: %w", err)
	}
	return fmt.Errorf("reading staged file %s: %w: %d row(s) lack a required column, the first lacks %s",
		files[file], warehouse.ErrSchema, rows, missing)
}

// insertSQL inserts the staged rows into target, one per key: the one with
// the smallest (source_object, source_line), and of rows equal in those the
// first read; only keys that target does not hold yet (the rows a staged
// copy replaces are deleted before, see supersedeSQL). The choice is made on
// the narrow columns alone (rowid, key, lineage), then the chosen rows are
// copied whole: cheaper for the wide visits rows than a window over the
// whole rows.
func insertSQL(target string, t clickstream.Table) string {
	cols := make([]string, len(t.Fields))
	for i, f := range t.Fields {
		cols[i] = quoteIdent(f.Name)
	}
	list := strings.Join(cols, ", ")
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s (%s)\nSELECT %s FROM %s\n", target, list, list, stagedTable)
	fmt.Fprintf(&b, "WHERE rowid IN (\n\tSELECT arg_min(s.rowid, (s.%s, s.%s, s.rowid)) FROM %s AS s\n",
		quoteIdent(clickstream.ColSourceObject), quoteIdent(clickstream.ColSourceLine), stagedTable)
	fmt.Fprintf(&b, "\tWHERE NOT EXISTS (SELECT 1 FROM %s AS t WHERE %s)\n", target, keyMatch(t, "t", "s"))
	fmt.Fprintf(&b, "\tGROUP BY %s)", keyList(t, "s."))
	return b.String()
}

// keyList is t's key columns, each after prefix ("s."), separated by commas.
func keyList(t clickstream.Table, prefix string) string {
	cols := t.KeyColumns()
	for i, c := range cols {
		cols[i] = prefix + quoteIdent(c)
	}
	return strings.Join(cols, ", ")
}

// keyMatch is the condition that rows a and b have the same key.
func keyMatch(t clickstream.Table, a, b string) string {
	cols := t.KeyColumns()
	for i, c := range cols {
		cols[i] = fmt.Sprintf("%s.%s = %s.%s", a, quoteIdent(c), b, quoteIdent(c))
	}
	return strings.Join(cols, " AND ")
}

// supersedeSQL deletes, before a merge inserts, the rows of target whose
// key a staged row (a row of the temporary table staged, which has the key
// and lineage columns) has with a smaller (source_object, source_line): the
// insert then puts the staged copy in their place. So which copy of a
// duplicated session a table keeps is the same whatever order its objects
// were merged in (a backfill's days run side by side), and the same as one
// replace run over them all would keep; a row loaded again from the same
// object and line stays as it is.
func supersedeSQL(target string, t clickstream.Table, staged string) string {
	key := quoteIdent(t.Key)
	obj, line := quoteIdent(clickstream.ColSourceObject), quoteIdent(clickstream.ColSourceLine)
	return fmt.Sprintf("DELETE FROM %s AS t WHERE EXISTS (\n\tSELECT 1 FROM %s AS s WHERE s.%s = t.%s\n\tAND (s.%s < t.%s OR (s.%s = t.%s AND s.%s < t.%s)))",
		target, staged, key, key, obj, obj, obj, obj, line, line)
}

// fetchRemote copies the files that are not local (gs://...) into a
// temporary folder with d.fetch, and returns the list with those replaced by
// their copies, in the same order; cleanup removes the copies.
func (d *Warehouse) fetchRemote(ctx context.Context, files []string) (_ []string, cleanup func(), err error) {
	cleanup = func() {}
	out := slices.Clone(files)
	dir := ""
	for i, f := range files {
		if !strings.Contains(f, "://") {
			continue
		}
		if d.fetch == nil {
			return nil, cleanup, fmt.Errorf("reading staged file %s: the DuckDB warehouse reads local files unless given a Fetch", f)
		}
		if dir == "" {
			if dir, err = os.MkdirTemp("", "clickstream-load-"); err != nil {
				return nil, cleanup, err
			}
			cleanup = func() { os.RemoveAll(dir) }
		}
		// The copy keeps the file's extension, which tells DuckDB its
		// format (and compression).
		out[i] = filepath.Join(dir, fmt.Sprintf("%06d%s", i, fileExt(f)))
		if err := copyTo(ctx, d.fetch, f, out[i]); err != nil {
			return nil, cleanup, fmt.Errorf("reading staged file %s: %w", f, err)
		}
	}
	return out, cleanup, nil
}

// fileExt is the extension of the object a URI names (".parquet",
// ".ndjson", ".gz"), or "" if it has none or one unfit for a file name.
func fileExt(uri string) string {
	ext := path.Ext(uri)
	if len(ext) < 2 || strings.ContainsFunc(ext[1:], func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) {
		return ""
	}
	return ext
}

func copyTo(ctx context.Context, fetch func(context.Context, string) (io.ReadCloser, error), uri, path string) error {
	rc, err := fetch(ctx, uri)
	if err != nil {
		return err
	}
	defer rc.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, rc); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// localFiles checks that every file exists and returns their absolute paths,
// each once, in the order given.
func localFiles(files []string) ([]string, error) {
	out := make([]string, 0, len(files))
	seen := make(map[string]bool, len(files))
	for _, f := range files {
		if strings.Contains(f, "://") {
			return nil, fmt.Errorf("reading staged file %s: the DuckDB warehouse reads local files only", f)
		}
		abs, err := filepath.Abs(f)
		if err != nil {
			return nil, fmt.Errorf("reading staged file %s: %w", f, err)
		}
		if seen[abs] {
			continue
		}
		seen[abs] = true
		fi, err := os.Stat(abs)
		if err != nil {
			return nil, fmt.Errorf("reading staged file %s: %w", f, err)
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("reading staged file %s: not a regular file", f)
		}
		out = append(out, abs)
	}
	return out, nil
}

// classify marks DuckDB's complaints about the data as warehouse.ErrSchema: a value
// read_json cannot convert to its column's type, a conversion failing, a
// required column missing or null.
func classify(err error) error {
	var de *duckdbdriver.Error
	if !errors.As(err, &de) {
		return err
	}
	switch de.Type {
	case duckdbdriver.ErrorTypeInvalidInput, duckdbdriver.ErrorTypeConversion, duckdbdriver.ErrorTypeConstraint,
		duckdbdriver.ErrorTypeMismatchType, duckdbdriver.ErrorTypeOutOfRange:
		return fmt.Errorf("%w: %w", warehouse.ErrSchema, err)
	}
	return err
}
