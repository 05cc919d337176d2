package duckdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/warehouse"
)

// keepTable is the temporary table of a Parquet load: per key of the staged
// rows, the position of the row kept (and in merge mode its lineage), how
// many rows had the key, and how many of those lack a REQUIRED column.
const keepTable = "temp.main.clickstream_keep"

// Columns of keepTable besides the key and lineage, named apart from any
// table's columns.
const (
	keepPosColumn   = "clickstream_pos"
	keepRowsColumn  = "clickstream_rows"
	keepNullsColumn = "clickstream_nulls"
)

// parquetPosSQL is a staged Parquet row's position in the files read: the
// file's index in the list in the high bits, the row's number in its file in
// the low 40, so that positions order rows as the files and their rows are
// ordered.
const parquetPosSQL = "(file_index::BIGINT << 40 | file_row_number)"

// fileListSQL is files as a DuckDB list literal of paths, each escaped for
// DuckDB's globbing so that it names exactly one file.
func fileListSQL(files []string) string {
	q := make([]string, len(files))
	for i, f := range files {
		q[i] = quoteString(escapeGlob(f))
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// readParquetSQL returns a read_parquet call over files that also gives
// each row's file_row_number. Queries pick its columns by name, so their
// order in a file does not matter.
func readParquetSQL(files []string) string {
	return "read_parquet(" + fileListSQL(files) + ", file_row_number = true)"
}

// prepareParquet checks that the staged Parquet files' schemas hold t's
// columns (checkParquetSchemas, from the footers alone) and returns, by file
// index, the REQUIRED columns a file marks optional (none, from the
// transform's writer). The rows are read by insertParquetFresh, or by
// stageParquet and the insert after it.
//
// It sets two options for the rest of the transaction, which the caller
// resets (resetParquetOptions): no external file cache (DuckDB would keep
// every file read in memory to the end of the query, several times the
// memory of the load without it for many small files, and slower) and no
// preserved insertion order (the order rows go into the table does not
// matter, and keeping it can hold the rows of many files apart, which for
// many files took several times the memory).
func prepareParquet(ctx context.Context, tx *sql.Tx, t clickstream.Table, files []string) (map[int][]string, error) {
	optional, err := checkParquetSchemas(ctx, tx, t, files)
	if err != nil {
		return nil, err
	}
	for _, q := range []string{"SET enable_external_file_cache = false", "SET preserve_insertion_order = false"} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("reading staged files: %w", err)
		}
	}
	return optional, nil
}

// nullableColumns are the REQUIRED columns of t that some file marks
// optional (see prepareParquet).
func nullableColumns(t clickstream.Table, optional map[int][]string) []string {
	var nullable []string
	for _, f := range t.Fields {
		for _, cols := range optional {
			if slices.Contains(cols, f.Name) {
				nullable = append(nullable, f.Name)
				break
			}
		}
	}
	return nullable
}

// stageParquet picks the rows a load into a table holding rows keeps,
// reading the staged rows' narrow columns only; it returns the number of
// staged rows and of distinct keys among them. The rows themselves are read
// once, by the insert (insertParquetSQL). One pass over the key, the
// lineage, and the REQUIRED columns that a file marks optional fills
// keepTable (pickParquetSQL) and counts the rows lacking one of those; if
// some row does, the files that mark them optional are scanned for the
// first such row, for the error (findNulls).
func stageParquet(ctx context.Context, tx *sql.Tx, t clickstream.Table, files []string, optional map[int][]string) (staged, distinct int64, err error) {
	if _, err := tx.ExecContext(ctx, pickParquetSQL(t, files, nullableColumns(t, optional))); err != nil {
		return 0, 0, fmt.Errorf("reading staged files: %w", classify(err))
	}
	var nulls int64
	q := fmt.Sprintf("SELECT coalesce(sum(%s), 0)::BIGINT, count(*), coalesce(sum(%s), 0)::BIGINT FROM %s",
		keepRowsColumn, keepNullsColumn, keepTable)
	if err := tx.QueryRowContext(ctx, q).Scan(&staged, &distinct, &nulls); err != nil {
		return 0, 0, fmt.Errorf("counting staged rows: %w", err)
	}
	if nulls > 0 {
		if err := findNulls(ctx, tx, t, files, optional); err != nil {
			return 0, 0, err
		}
		return 0, 0, errors.New("checking required columns: the rows lacking one are not found again")
	}
	return staged, distinct, nil
}

// insertParquetFresh inserts the staged rows into target, which holds no
// rows, one per key, and returns the number of staged rows and of distinct
// keys among them. Most keys are staged once, so rather than pick a row for
// every key and join the rows read back to the picks (stageParquet), one
// pass over the keys keeps in keepTable those staged more than once, with
// the position of the row kept (dupsParquetSQL); the rows are then read
// once and inserted, less the other copies of those keys. Every key
// inserted is new to the table, so the rows inserted are the distinct
// keys. A file marking a REQUIRED column optional is first scanned for
// nulls in it (findNulls).
func insertParquetFresh(ctx context.Context, tx *sql.Tx, t clickstream.Table, target string, files []string, optional map[int][]string) (staged, distinct int64, err error) {
	if len(optional) > 0 {
		if err := findNulls(ctx, tx, t, files, optional); err != nil {
			return 0, 0, err
		}
	}
	if _, err := tx.ExecContext(ctx, dupsParquetSQL(t, files)); err != nil {
		return 0, 0, fmt.Errorf("reading staged files: %w", classify(err))
	}
	var dups, extra int64
	q := fmt.Sprintf("SELECT count(*), coalesce(sum(%s - 1), 0)::BIGINT FROM %s", keepRowsColumn, keepTable)
	if err := tx.QueryRowContext(ctx, q).Scan(&dups, &extra); err != nil {
		return 0, 0, fmt.Errorf("counting staged rows: %w", err)
	}
	r, err := tx.ExecContext(ctx, insertParquetFreshSQL(target, t, files, dups > 0))
	if err != nil {
		return 0, 0, fmt.Errorf("inserting: %w", classify(err))
	}
	if distinct, err = r.RowsAffected(); err != nil {
		return 0, 0, fmt.Errorf("inserting: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "DROP TABLE "+keepTable); err != nil {
		return 0, 0, fmt.Errorf("dropping the staged rows: %w", err)
	}
	return distinct + extra, distinct, nil
}

// dupsParquetSQL creates keepTable holding the keys staged more than once:
// each with the position of the staged row of smallest (source_object,
// source_line, position), and the number of rows with the key. The hash
// aggregate over every key is the price of the dedup; only the few
// duplicated keys are kept.
func dupsParquetSQL(t clickstream.Table, files []string) string {
	keys := keyList(t, "")
	pick := fmt.Sprintf("arg_min(%s, (%s, %s, %s))", parquetPosSQL,
		quoteIdent(clickstream.ColSourceObject), quoteIdent(clickstream.ColSourceLine), parquetPosSQL)
	if t.Key == "" { // the key is the lineage itself
		pick = "min(" + parquetPosSQL + ")"
	}
	return fmt.Sprintf("CREATE OR REPLACE TEMP TABLE %s AS\nSELECT * FROM (\n\tSELECT %s, %s AS %s, count(*) AS %s\n\tFROM %s\n\tGROUP BY %s)\nWHERE %s > 1",
		keepTable, keys, pick, keepPosColumn, keepRowsColumn, readParquetSQL(files), keys, keepRowsColumn)
}

// insertParquetFreshSQL inserts into target the staged rows of the keys
// keepTable does not hold, and those whose position it holds; with dups
// false (keepTable is empty) every staged row.
func insertParquetFreshSQL(target string, t clickstream.Table, files []string, dups bool) string {
	cols := make([]string, len(t.Fields))
	for i, f := range t.Fields {
		cols[i] = quoteIdent(f.Name)
	}
	list := strings.Join(cols, ", ")
	q := fmt.Sprintf("INSERT INTO %s (%s)\nSELECT %s FROM %s", target, list, list, readParquetSQL(files))
	if !dups {
		return q
	}
	// The keys are REQUIRED, so never null: NOT IN is the anti-join here.
	key := "(" + keyList(t, "") + ")"
	return fmt.Sprintf("%s\nWHERE %s NOT IN (SELECT %s FROM %s) OR %s IN (SELECT %s FROM %s)",
		q, key, key, keepTable, parquetPosSQL, keepPosColumn, keepTable)
}

// resetParquetOptions undoes the options prepareParquet sets.
func resetParquetOptions(ctx context.Context, tx *sql.Tx) {
	tx.ExecContext(ctx, "RESET enable_external_file_cache")
	tx.ExecContext(ctx, "RESET preserve_insertion_order")
}

// pickParquetSQL creates keepTable: per key, the position of the staged row
// with the smallest (source_object, source_line, position), that row's
// lineage (for supersedeSQL), the number of rows with the key, and how many
// of them hold null in a column of nullable. The position breaks ties as
// the NDJSON load's rowid does: of rows equal in lineage, the first in the
// order of the files and rows.
func pickParquetSQL(t clickstream.Table, files []string, nullable []string) string {
	keys := keyList(t, "")
	obj, line := quoteIdent(clickstream.ColSourceObject), quoteIdent(clickstream.ColSourceLine)
	by := fmt.Sprintf("(%s, %s, %s)", obj, line, parquetPosSQL)
	nulls := "0"
	if len(nullable) > 0 {
		conds := make([]string, len(nullable))
		for i, c := range nullable {
			conds[i] = quoteIdent(c) + " IS NULL"
		}
		nulls = "count(*) FILTER (WHERE " + strings.Join(conds, " OR ") + ")"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE OR REPLACE TEMP TABLE %s AS\n", keepTable)
	if t.Key == "" { // the key is the lineage itself
		fmt.Fprintf(&b, "SELECT %s, p AS %s, n AS %s, z AS %s FROM (\n", keys, keepPosColumn, keepRowsColumn, keepNullsColumn)
		fmt.Fprintf(&b, "\tSELECT %s, min(%s) AS p, count(*) AS n, %s AS z\n", keys, parquetPosSQL, nulls)
	} else {
		fmt.Fprintf(&b, "SELECT %s, m.o AS %s, m.l AS %s, m.p AS %s, n AS %s, z AS %s FROM (\n",
			keys, obj, line, keepPosColumn, keepRowsColumn, keepNullsColumn)
		fmt.Fprintf(&b, "\tSELECT %s, arg_min({'o': %s, 'l': %s, 'p': %s}, %s) AS m, count(*) AS n, %s AS z\n",
			keys, obj, line, parquetPosSQL, by, nulls)
	}
	fmt.Fprintf(&b, "\tFROM %s\n\tGROUP BY %s)", readParquetSQL(files), keys)
	return b.String()
}

// insertParquetSQL inserts into target the staged rows whose position
// keepTable holds, of the keys target does not hold (after the supersede
// step deleted the rows a kept row replaces).
func insertParquetSQL(target string, t clickstream.Table, files []string) string {
	cols := make([]string, len(t.Fields))
	for i, f := range t.Fields {
		cols[i] = quoteIdent(f.Name)
	}
	list := strings.Join(cols, ", ")
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s (%s)\nSELECT %s FROM %s\n", target, list, list, readParquetSQL(files))
	fmt.Fprintf(&b, "WHERE %s IN (\n\tSELECT s.%s FROM %s AS s", parquetPosSQL, keepPosColumn, keepTable)
	fmt.Fprintf(&b, "\n\tWHERE NOT EXISTS (SELECT 1 FROM %s AS t WHERE %s))", target, keyMatch(t, "t", "s"))
	return b.String()
}

// findNulls returns the error for staged rows that hold null in a REQUIRED
// column, or nil if there are none: it wraps warehouse.ErrSchema and names the file of the first such row (in
// the order of the files and rows), its null columns, and how many rows
// lack one, as checkRequired does for NDJSON. Only the files that mark a
// REQUIRED column optional are read, their REQUIRED columns only.
func findNulls(ctx context.Context, tx *sql.Tx, t clickstream.Table, files []string, optional map[int][]string) error {
	var scan []string
	for i, f := range files {
		if len(optional[i]) > 0 {
			scan = append(scan, f)
		}
	}
	var conds, names []string
	for _, f := range t.Fields {
		if f.Mode == clickstream.Required {
			conds = append(conds, quoteIdent(f.Name)+" IS NULL")
			names = append(names, fmt.Sprintf("CASE WHEN %s IS NULL THEN %s END", quoteIdent(f.Name), quoteString(f.Name)))
		}
	}
	q := fmt.Sprintf("SELECT file_index, concat_ws(', ', %s), count(*) OVER () FROM %s WHERE %s ORDER BY file_index, file_row_number LIMIT 1",
		strings.Join(names, ", "), readParquetSQL(scan), strings.Join(conds, " OR "))
	var (
		file    int
		missing string
		n       int64
	)
	switch err := tx.QueryRowContext(ctx, q).Scan(&file, &missing, &n); {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("checking required columns: %w", classify(err))
	}
	return fmt.Errorf("reading staged file %s: %w: %d row(s) lack a required column, the first lacks %s",
		scan[file], warehouse.ErrSchema, n, missing)
}

// pqNode is an element of a Parquet file's schema, as parquet_schema lists
// it: a group (with children) or a column.
type pqNode struct {
	name       string
	physical   string // of a column: its physical type, e.g. BYTE_ARRAY
	repetition string // REQUIRED, OPTIONAL or REPEATED
	children   int    // as the schema says; len(kids) once built
	converted  string // converted type, e.g. LIST, UTF8
	logical    string // logical type, e.g. ListType()
	duckType   string // of a column: the DuckDB type it reads as
	kids       []*pqNode
}

// Separators of the schema signatures checkParquetSchemas builds.
const (
	sigElemSep  = "\x1e"
	sigFieldSep = "\x1f"
)

// checkParquetSchemas checks, from the files' footers alone, that every file
// has the columns of t, by name in any order, each of its type (as DuckDB
// reads it: STRING a UTF8 BYTE_ARRAY, INTEGER INT64, FLOAT DOUBLE,
// TIMESTAMP an INT64 TIMESTAMP adjusted to UTC, RECORD a group of the
// record's fields in order, REPEATED a 3-level LIST), and no other column.
// A failure names the first file (in the order given) that does not fit, and
// wraps warehouse.ErrSchema. It returns, by file index, the REQUIRED columns a file
// marks optional: those may hold nulls.
//
// parquet_schema lists each file's schema elements depth first, each
// followed by its children; they are joined into one signature per file, and
// each distinct signature (one, from one writer) is checked once. (Joining
// them in SQL, string_agg(... ORDER BY), holds every file's elements apart,
// which for thousands of files costs much memory.)
func checkParquetSchemas(ctx context.Context, tx *sql.Tx, t clickstream.Table, files []string) (map[int][]string, error) {
	index := make(map[string]int, len(files))
	for i, f := range files {
		index[f] = i
	}
	rows, err := tx.QueryContext(ctx, "SELECT file_name, concat_ws(chr(31), name, coalesce(type, ''), coalesce(repetition_type, ''), "+
		"coalesce(num_children, 0), coalesce(converted_type, ''), coalesce(logical_type, ''), coalesce(duckdb_type, '')) "+
		"FROM parquet_schema("+fileListSQL(files)+")")
	if err != nil {
		return nil, fmt.Errorf("reading the schemas of the staged files: %w", classify(err))
	}
	defer rows.Close()
	sigs := make([]strings.Builder, len(files))
	var file, elem []byte
	last := -1
	for rows.Next() {
		if err := rows.Scan(&file, &elem); err != nil {
			return nil, fmt.Errorf("reading the schemas of the staged files: %w", err)
		}
		i := last
		if last < 0 || string(file) != files[last] {
			var ok bool
			if i, ok = index[string(file)]; !ok {
				return nil, fmt.Errorf("reading the schemas of the staged files: parquet_schema names %q, which the load does not list", file)
			}
			last = i
		}
		if sigs[i].Len() > 0 {
			sigs[i].WriteString(sigElemSep)
		}
		sigs[i].Write(elem)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the schemas of the staged files: %w", classify(err))
	}
	type verdict struct {
		optional []string
		problem  string
	}
	checked := make(map[string]verdict)
	optional := make(map[int][]string)
	for i := range files {
		sig := sigs[i].String()
		v, ok := checked[sig]
		if !ok {
			v.optional, v.problem = checkParquetSignature(t, sig)
			checked[sig] = v
		}
		if v.problem != "" {
			return nil, fmt.Errorf("reading staged file %s: %w: %s", files[i], warehouse.ErrSchema, v.problem)
		}
		if len(v.optional) > 0 {
			optional[i] = v.optional
		}
	}
	return optional, nil
}

// checkParquetSignature builds a schema from its signature and checks it
// against t (see checkParquetColumns).
func checkParquetSignature(t clickstream.Table, sig string) (optional []string, problem string) {
	var elems []*pqNode
	for _, e := range strings.Split(sig, sigElemSep) {
		f := strings.Split(e, sigFieldSep)
		if len(f) != 7 {
			return nil, "its Parquet schema is malformed"
		}
		n, err := strconv.Atoi(f[3])
		if err != nil || n < 0 {
			return nil, "its Parquet schema is malformed"
		}
		elems = append(elems, &pqNode{name: f[0], physical: f[1], repetition: f[2], children: n,
			converted: f[4], logical: f[5], duckType: f[6]})
	}
	next := 0
	var build func() *pqNode
	build = func() *pqNode {
		if next >= len(elems) {
			return nil
		}
		e := elems[next]
		next++
		for range e.children {
			c := build()
			if c == nil {
				return nil
			}
			e.kids = append(e.kids, c)
		}
		return e
	}
	root := build()
	if root == nil || next != len(elems) {
		return nil, "its Parquet schema is malformed"
	}
	return checkParquetColumns(t, root)
}

// checkParquetColumns checks a file's schema (its root) against t and
// returns the REQUIRED columns it marks optional, or what is wrong.
func checkParquetColumns(t clickstream.Table, root *pqNode) (optional []string, problem string) {
	byName := make(map[string]*pqNode, len(root.kids))
	for _, c := range root.kids {
		if byName[c.name] != nil {
			return nil, fmt.Sprintf("it has two columns %s", c.name)
		}
		byName[c.name] = c
	}
	for _, f := range t.Fields {
		n := byName[f.Name]
		if n == nil {
			return nil, fmt.Sprintf("it lacks the column %s (%s %s)", f.Name, f.Mode, f.Type)
		}
		if p := checkParquetField(f.Name, f, n); p != "" {
			return nil, p
		}
		if f.Mode == clickstream.Required && n.repetition != "REQUIRED" {
			optional = append(optional, f.Name)
		}
	}
	for _, c := range root.kids {
		if !slices.ContainsFunc(t.Fields, func(f clickstream.Field) bool { return f.Name == c.name }) {
			return nil, fmt.Sprintf("it has the column %s, which the table does not", c.name)
		}
	}
	return optional, ""
}

// checkParquetField checks that n, the element of a file's schema at path,
// holds f's type; it returns what is wrong, or "".
func checkParquetField(path string, f clickstream.Field, n *pqNode) string {
	if n.repetition == "REPEATED" {
		return fmt.Sprintf("column %s is a bare repeated field, want a 3-level LIST", path)
	}
	if f.Mode == clickstream.Repeated {
		if !n.isList() || len(n.kids) != 1 || n.kids[0].repetition != "REPEATED" || len(n.kids[0].kids) != 1 {
			return fmt.Sprintf("column %s is %s, want a 3-level LIST", path, n.describe())
		}
		f.Mode = clickstream.Nullable
		return checkParquetField(path+"[]", f, n.kids[0].kids[0])
	}
	if f.Type == clickstream.Record {
		if n.isList() || len(n.kids) == 0 {
			return fmt.Sprintf("column %s is %s, want a group", path, n.describe())
		}
		have := make([]string, len(n.kids))
		for i, c := range n.kids {
			have[i] = c.name
		}
		want := make([]string, len(f.Fields))
		for i, sub := range f.Fields {
			want[i] = sub.Name
		}
		if !slices.Equal(have, want) {
			return fmt.Sprintf("column %s has the fields %s, want %s", path, strings.Join(have, ", "), strings.Join(want, ", "))
		}
		for i, sub := range f.Fields {
			if p := checkParquetField(path+"."+sub.Name, sub, n.kids[i]); p != "" {
				return p
			}
		}
		return ""
	}
	want, ok := parquetTypes[f.Type]
	if !ok {
		return fmt.Sprintf("column %s: the table's type %s has no Parquet type", path, f.Type)
	}
	// JSON text may carry Parquet's JSON logical type (DuckDB's COPY writes
	// it so) or none (the transform's files).
	if f.Type == clickstream.JSON && n.duckType == "JSON" && len(n.kids) == 0 && n.physical == want[0] {
		return ""
	}
	if len(n.kids) > 0 || n.physical != want[0] || n.duckType != want[1] {
		return fmt.Sprintf("column %s is %s, want %s read as %s (%s)", path, n.describe(), want[0], want[1], f.Type)
	}
	return ""
}

// parquetTypes are the Parquet physical type and the DuckDB type it reads
// as (as parquet_schema spells it) of each column type.
var parquetTypes = map[clickstream.FieldType][2]string{
	clickstream.String:    {"BYTE_ARRAY", "VARCHAR"},
	clickstream.Integer:   {"INT64", "BIGINT"},
	clickstream.Float:     {"DOUBLE", "DOUBLE"},
	clickstream.Timestamp: {"INT64", "TIMESTAMP WITH TIME ZONE"},
	clickstream.Date:      {"INT32", "DATE"},
	// A JSON column is staged as its text (see clickstream.JSON).
	clickstream.JSON: {"BYTE_ARRAY", "VARCHAR"},
}

func (n *pqNode) isList() bool {
	return n.converted == "LIST" || strings.HasPrefix(n.logical, "ListType")
}

func (n *pqNode) describe() string {
	switch {
	case n.isList():
		return "a LIST"
	case len(n.kids) > 0:
		return "a group"
	case n.duckType != "":
		return n.physical + " read as " + n.duckType
	}
	return "of an unknown type"
}
