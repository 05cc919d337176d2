package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/models"
	"github.com/clickstream-platform/clickstream/warehouse"
	duckdbdriver "github.com/duckdb/duckdb-go/v2"
)

// Options configures the embedded warehouse.
type Options struct {
	// Path is the database file, e.g. data/warehouse.duckdb; missing parent
	// folders are created. Required.
	Path string
	// LakeDataset is the schema of the lake table (visits).
	// Optional: default "clickstream_lake".
	LakeDataset string
	// DWDataset is the schema of the four dw tables.
	// Optional: default "clickstream_dw".
	DWDataset string
	// ReadOnly opens the file read-only, so that several processes can read
	// it at once (while none writes); the writing methods return
	// warehouse.ErrReadOnly. The file must exist. Optional: default false.
	ReadOnly bool
	// Fetch opens a staged file that is not local (gs://...), which a load
	// then copies to a temporary folder for DuckDB to read. Optional: without
	// it a load of non-local files fails.
	Fetch func(ctx context.Context, uri string) (io.ReadCloser, error)
	// MemoryLimit bounds the memory DuckDB's buffer manager uses in this
	// process, e.g. "256MB" (DuckDB's own spelling); beyond it, loads spill
	// to a temporary folder beside the file instead of growing the worker.
	// Optional: default DuckDB's, 80% of the machine's memory.
	MemoryLimit string
	// LockWait is how long an operation waits for another process to release
	// the file before it fails with warehouse.ErrLocked. Optional: default
	// 10s; a negative value does not wait.
	LockWait time.Duration
}

const defaultLockWait = 10 * time.Second

// Warehouse is the embedded warehouse: one DuckDB file, the datasets as
// schemas. It opens the file for each operation and closes it afterwards,
// and runs one operation at a time; it is safe for concurrent use. Use one
// Warehouse per file in a process.
type Warehouse struct {
	path     string // absolute
	lake, dw string
	readOnly bool
	lockWait time.Duration
	memLimit string
	fetch    func(ctx context.Context, uri string) (io.ReadCloser, error)

	mu     sync.Mutex // held for the whole of an operation
	closed bool
	want   map[string][]column // wantColumns by table, under mu
}

var _ warehouse.Warehouse = (*Warehouse)(nil)

// Open checks opts and prepares the warehouse. It creates the file's
// folder but opens nothing: each operation opens the file and closes it when
// done (see the package documentation).
func Open(opts Options) (*Warehouse, error) {
	if opts.Path == "" {
		return nil, errors.New("duckdb warehouse: Path is required")
	}
	// The driver takes a path followed by "?options" and parses it as a URL.
	if strings.Contains(opts.Path, "?") {
		return nil, fmt.Errorf("duckdb warehouse: path %q must not contain '?'", opts.Path)
	}
	if _, err := url.Parse(opts.Path); err != nil {
		return nil, fmt.Errorf("duckdb warehouse: path %q cannot be used: %w", opts.Path, err)
	}
	if opts.LakeDataset == "" {
		opts.LakeDataset = warehouse.DefaultLakeDataset
	}
	if opts.DWDataset == "" {
		opts.DWDataset = warehouse.DefaultDWDataset
	}
	if opts.LockWait == 0 {
		opts.LockWait = defaultLockWait
	}
	path, err := filepath.Abs(opts.Path)
	if err != nil {
		return nil, fmt.Errorf("duckdb warehouse: %w", err)
	}
	if opts.ReadOnly {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("duckdb warehouse: %w", err)
		}
	} else if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("duckdb warehouse: %w", err)
	}
	return &Warehouse{path: path, lake: opts.LakeDataset, dw: opts.DWDataset,
		readOnly: opts.ReadOnly, lockWait: opts.LockWait, fetch: opts.Fetch, memLimit: opts.MemoryLimit}, nil
}

// Path returns the database file's absolute path.
func (d *Warehouse) Path() string { return d.path }

// TableName returns the qualified name of a clickstream table or of
// warehouse.RunsTable, e.g. clickstream_dw.sessions, as errors and SQL name
// it.
func (d *Warehouse) TableName(table string) string {
	t, ok := warehouse.LookupTable(table)
	if !ok {
		t, _ = models.Lookup(table)
	}
	return d.schemaOf(t) + "." + table
}

func (d *Warehouse) schemaOf(t clickstream.Table) string {
	if t.Dataset == clickstream.Lake {
		return d.lake
	}
	return d.dw
}

func (d *Warehouse) ident(t clickstream.Table) string { return qualified(d.schemaOf(t), t.Name) }

// Close ends the use of d; the file is already closed between operations.
func (d *Warehouse) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	return nil
}

// EnsureTables creates the two schemas, the five tables and the ledger
// (warehouse.LedgerTable) where missing, in one transaction, and checks that the tables already there have the columns
// of clickstream.Tables() (an error wrapping warehouse.ErrSchema if not).
// It creates the audit table warehouse.RunsTable too, or adds the columns it
// lacks.
func (d *Warehouse) EnsureTables(ctx context.Context) error {
	err := d.do(ctx, true, func(ctx context.Context, c *sql.Conn) error {
		return inTx(ctx, c, func(tx *sql.Tx) error {
			if err := d.ensureTables(ctx, tx, append(append(clickstream.Tables(), ledger()), modelTables()...)...); err != nil {
				return err
			}
			return d.ensureRunsTable(ctx, tx)
		})
	})
	if err != nil {
		return fmt.Errorf("ensuring tables: %w", err)
	}
	return nil
}

// RecreateTables drops the five tables and the ledger and creates them
// again, empty, in one transaction. The audit table warehouse.RunsTable is kept: created if
// missing, given the columns it lacks.
func (d *Warehouse) RecreateTables(ctx context.Context) error {
	err := d.do(ctx, true, func(ctx context.Context, c *sql.Conn) error {
		return inTx(ctx, c, func(tx *sql.Tx) error {
			for _, t := range append(append(clickstream.Tables(), ledger()), modelTables()...) {
				if err := d.createSchema(ctx, tx, t); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, "DROP TABLE IF EXISTS "+d.ident(t)); err != nil {
					return fmt.Errorf("dropping %s: %w", d.TableName(t.Name), err)
				}
				if _, err := tx.ExecContext(ctx, CreateTableSQL(d.schemaOf(t), t)); err != nil {
					return fmt.Errorf("creating %s: %w", d.TableName(t.Name), err)
				}
			}
			return d.ensureRunsTable(ctx, tx)
		})
	})
	if err != nil {
		return fmt.Errorf("recreating tables: %w", err)
	}
	return nil
}

// Counts returns count(*) of the tables, by table name (not of
// warehouse.RunsTable). A missing table is an error, but ga4_events: only
// GA4 runs load (and so create) it, and it counts 0 rows until one has.
func (d *Warehouse) Counts(ctx context.Context) (map[string]int64, error) {
	counts := make(map[string]int64)
	err := d.do(ctx, false, func(ctx context.Context, c *sql.Conn) error {
		for _, t := range clickstream.Tables() {
			if t.Name == clickstream.GA4EventsTable {
				if cols, err := tableColumns(ctx, c, d.schemaOf(t), t.Name); err == nil && len(cols) == 0 {
					counts[t.Name] = 0
					continue
				}
			}
			n, err := countRows(ctx, c, d.ident(t))
			if err != nil {
				return fmt.Errorf("%s: %w", d.TableName(t.Name), err)
			}
			counts[t.Name] = n
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("counting rows: %w", err)
	}
	return counts, nil
}

// Query runs one SQL statement and returns its column names and rows, the
// values as the duckdb-go driver gives them (TIMESTAMPTZ as time.Time in UTC,
// LIST as []any, STRUCT as map[string]any, NULL as nil), except that a DATE
// is a string YYYY-MM-DD (the driver gives a time.Time, which would not say
// it is a day). It can write unless d is read-only; it is meant for tests
// and for inspecting the warehouse.
func (d *Warehouse) Query(ctx context.Context, query string) ([]string, [][]any, error) {
	var (
		cols []string
		rows [][]any
	)
	err := d.do(ctx, false, func(ctx context.Context, c *sql.Conn) error {
		rs, err := c.QueryContext(ctx, query)
		if err != nil {
			return err
		}
		defer rs.Close()
		if cols, err = rs.Columns(); err != nil {
			return err
		}
		types, err := rs.ColumnTypes()
		if err != nil {
			return err
		}
		for rs.Next() {
			row := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range row {
				ptrs[i] = &row[i]
			}
			if err := rs.Scan(ptrs...); err != nil {
				return err
			}
			for i, v := range row {
				if t, ok := v.(time.Time); ok && types[i].DatabaseTypeName() == "DATE" {
					row[i] = t.Format(time.DateOnly)
				}
			}
			rows = append(rows, row)
		}
		return rs.Err()
	})
	if err != nil {
		return nil, nil, fmt.Errorf("querying: %w", err)
	}
	return cols, rows, nil
}

// do runs fn on a connection to the file, opened for the call and closed
// after it, holding d.mu throughout.
func (d *Warehouse) do(ctx context.Context, write bool, fn func(context.Context, *sql.Conn) error) (err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return errors.New("duckdb warehouse is closed")
	}
	if write && d.readOnly {
		return warehouse.ErrReadOnly
	}
	db, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := db.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing %s: %w", d.path, cerr)
		}
	}()
	c, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", d.path, err)
	}
	defer c.Close()
	return fn(ctx, c)
}

// open opens the file, waiting up to d.lockWait while another process holds it.
func (d *Warehouse) open(ctx context.Context) (*sql.DB, error) {
	dsn := d.path
	if d.readOnly {
		dsn += "?access_mode=READ_ONLY"
	}
	init := initConn
	if d.memLimit != "" {
		init = func(execer driver.ExecerContext) error {
			if err := initConn(execer); err != nil {
				return err
			}
			_, err := execer.ExecContext(context.Background(), "SET memory_limit = '"+strings.ReplaceAll(d.memLimit, "'", "")+"'", nil)
			return err
		}
	}
	deadline := time.Now().Add(d.lockWait)
	wait := 20 * time.Millisecond
	for {
		c, err := duckdbdriver.NewConnector(dsn, init)
		if err == nil {
			return sql.OpenDB(c), nil
		}
		if !isLockError(err) {
			return nil, fmt.Errorf("opening %s: %w", d.path, err)
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, fmt.Errorf("opening %s: %w: %w", d.path, warehouse.ErrLocked, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("opening %s: %w: %w", d.path, ctx.Err(), err)
		case <-time.After(min(wait, left)):
		}
		wait = min(2*wait, time.Second)
	}
}

// initConn prepares every connection: timestamps are shown and truncated in
// UTC, whatever the machine's time zone; and a commit checkpoints at once
// once its write-ahead log passes 1MB. By default DuckDB estimates the size
// of a load of fewer rows than a row group (122,880) far below its 16MB
// threshold, so such a load went through the WAL and was written again by
// the checkpoint when the file closed: writing it once saves a good part of
// such a load (nothing for loads of more rows, which skip the WAL anyway).
func initConn(execer driver.ExecerContext) error {
	for _, q := range []string{"SET TimeZone = 'UTC'", "SET checkpoint_threshold = '1MB'"} {
		if _, err := execer.ExecContext(context.Background(), q, nil); err != nil {
			return err
		}
	}
	return nil
}

// isLockError tells DuckDB's refusal to open a file another process holds;
// the driver passes it on as text only.
func isLockError(err error) bool {
	return strings.Contains(err.Error(), "Could not set lock on file")
}

// inTx runs fn in a transaction on c, committed if fn succeeds.
func inTx(ctx context.Context, c *sql.Conn, fn func(*sql.Tx) error) error {
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		return errors.Join(err, ignoreDone(tx.Rollback()))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	return nil
}

func ignoreDone(err error) error {
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func countRows(ctx context.Context, q queryer, ident string) (int64, error) {
	var n int64
	err := q.QueryRowContext(ctx, "SELECT count(*) FROM "+ident).Scan(&n)
	return n, err
}

func (d *Warehouse) createSchema(ctx context.Context, q queryer, t clickstream.Table) error {
	if _, err := q.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+quoteIdent(d.schemaOf(t))); err != nil {
		return fmt.Errorf("creating schema %s: %w", d.schemaOf(t), err)
	}
	return nil
}

// ensureTables creates each of tables that is missing, or checks its
// columns. The columns of all of them are read in one query: a load
// ensures four tables, and one catalog query for each took a good part of
// a small load's time.
func (d *Warehouse) ensureTables(ctx context.Context, q queryer, tables ...clickstream.Table) error {
	have, err := d.catalogColumns(ctx, q, tables)
	if err != nil {
		return fmt.Errorf("reading the columns of the tables: %w", err)
	}
	done := make(map[string]bool, len(tables))
	for _, t := range tables {
		name := d.TableName(t.Name)
		if done[name] {
			continue
		}
		done[name] = true
		cols := have[name]
		if len(cols) == 0 {
			if err := d.createSchema(ctx, q, t); err != nil {
				return err
			}
			if _, err := q.ExecContext(ctx, CreateTableSQL(d.schemaOf(t), t)); err != nil {
				return fmt.Errorf("creating %s: %w", name, err)
			}
			continue
		}
		want, err := d.wantColumns(ctx, q, t)
		if err != nil {
			return fmt.Errorf("checking %s: %w", name, err)
		}
		if diff := diffColumns(cols, want); diff != "" {
			return fmt.Errorf("%w: table %s differs from the schema (%s); recreate the tables",
				warehouse.ErrSchema, name, diff)
		}
	}
	return nil
}

// catalogColumns returns the columns the file's catalog holds of tables,
// by qualified name (see TableName); a missing table has none.
func (d *Warehouse) catalogColumns(ctx context.Context, q queryer, tables []clickstream.Table) (map[string][]column, error) {
	conds := make([]string, len(tables))
	for i, t := range tables {
		conds[i] = fmt.Sprintf("(schema_name = %s AND table_name = %s)", quoteString(d.schemaOf(t)), quoteString(t.Name))
	}
	rows, err := q.QueryContext(ctx, `SELECT schema_name || '.' || table_name, column_name, data_type, NOT is_nullable
		FROM duckdb_columns()
		WHERE database_name = current_database() AND (`+strings.Join(conds, " OR ")+`)
		ORDER BY schema_name, table_name, column_index`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string][]column, len(tables))
	for rows.Next() {
		var (
			table string
			c     column
		)
		if err := rows.Scan(&table, &c.name, &c.typ, &c.notNull); err != nil {
			return nil, err
		}
		out[table] = append(out[table], c)
	}
	return out, rows.Err()
}

// wantColumns returns wantColumns(t), asking DuckDB once per table and
// Warehouse: the answer depends on the schema and the engine alone.
func (d *Warehouse) wantColumns(ctx context.Context, q queryer, t clickstream.Table) ([]column, error) {
	if cols, ok := d.want[t.Name]; ok {
		return cols, nil
	}
	cols, err := wantColumns(ctx, q, t)
	if err != nil {
		return nil, err
	}
	if d.want == nil {
		d.want = make(map[string][]column)
	}
	d.want[t.Name] = cols
	return cols, nil
}

// column is a table column as DuckDB's catalog shows it.
type column struct {
	name, typ string
	notNull   bool
}

func (c column) String() string {
	s := c.name + " " + c.typ
	if c.notNull {
		s += " NOT NULL"
	}
	return s
}

func tableColumns(ctx context.Context, q queryer, schema, table string) ([]column, error) {
	rows, err := q.QueryContext(ctx, `SELECT column_name, data_type, is_nullable = 'NO'
		FROM information_schema.columns
		WHERE table_catalog = current_database() AND table_schema = ? AND table_name = ?
		ORDER BY ordinal_position`, schema, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols []column
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.name, &c.typ, &c.notNull); err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	return cols, rows.Err()
}

// wantColumns returns t's columns with their types spelled as DuckDB's
// catalog spells them, by asking DuckDB.
func wantColumns(ctx context.Context, q queryer, t clickstream.Table) ([]column, error) {
	exprs := make([]string, len(t.Fields))
	for i, f := range t.Fields {
		exprs[i] = fmt.Sprintf("typeof(NULL::%s)", Type(f))
	}
	types := make([]string, len(t.Fields))
	ptrs := make([]any, len(t.Fields))
	for i := range types {
		ptrs[i] = &types[i]
	}
	if err := q.QueryRowContext(ctx, "SELECT "+strings.Join(exprs, ", ")).Scan(ptrs...); err != nil {
		return nil, err
	}
	cols := make([]column, len(t.Fields))
	for i, f := range t.Fields {
		cols[i] = column{name: f.Name, typ: types[i], notNull: f.Mode == clickstream.Required}
	}
	return cols, nil
}

// diffColumns describes how have differs from want, or returns "".
func diffColumns(have, want []column) string {
	var diffs []string
	for i := range max(len(have), len(want)) {
		switch {
		case i >= len(have):
			diffs = append(diffs, fmt.Sprintf("column %d missing, want %s", i+1, want[i]))
		case i >= len(want):
			diffs = append(diffs, fmt.Sprintf("column %d is %s, want none", i+1, have[i]))
		case have[i] != want[i]:
			diffs = append(diffs, fmt.Sprintf("column %d is %s, want %s", i+1, have[i], want[i]))
		}
	}
	return strings.Join(diffs, "; ")
}
