package duckdb_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/warehouse/duckdb"
	"github.com/clickstream-platform/clickstream/warehouse/warehousetest"
)

// converter writes Parquet files from staged NDJSON files with an in-memory
// DuckDB: COPY (SELECT ... FROM read_json(...)) TO ... (FORMAT parquet). As
// DuckDB writes them, every column is optional (the transform's writer marks
// the REQUIRED ones required), a REPEATED RECORD is a 3-level LIST of a group
// and a TIMESTAMP an INT64 TIMESTAMP(MICROS) adjusted to UTC.
type converter struct {
	tb testing.TB
	db *sql.DB
}

func newConverter(tb testing.TB) *converter {
	tb.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		tb.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	tb.Cleanup(func() { db.Close() })
	if _, err := db.Exec("SET TimeZone = 'UTC'"); err != nil {
		tb.Fatal(err)
	}
	return &converter{tb: tb, db: db}
}

// readJSON is a read_json call reading src with table's columns and types.
func readJSON(table, src string) string {
	t, _ := clickstream.LookupTable(table)
	cols := make([]string, len(t.Fields))
	for i, f := range t.Fields {
		cols[i] = fmt.Sprintf("%s: %s", sqlString(f.Name), sqlString(duckdb.Type(f)))
	}
	return fmt.Sprintf("read_json(%s, format = 'newline_delimited', records = 'true', auto_detect = false, columns = {%s})",
		sqlString(src), strings.Join(cols, ", "))
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// columns is the SELECT list of table's columns in order.
func columns(table string) string {
	t, _ := clickstream.LookupTable(table)
	cols := make([]string, len(t.Fields))
	for i, f := range t.Fields {
		cols[i] = `"` + f.Name + `"`
	}
	return strings.Join(cols, ", ")
}

// write writes dst from the rows of src, the staged NDJSON of table: the
// columns of sel (all, in order, if empty) over those rows, followed by tail
// (e.g. LIMIT 2).
func (c *converter) write(table, src, dst, sel string, tail ...string) string {
	c.tb.Helper()
	if sel == "" {
		sel = columns(table)
	}
	q := fmt.Sprintf("COPY (SELECT %s FROM %s AS rows %s) TO %s (FORMAT parquet)",
		sel, readJSON(table, src), strings.Join(tail, " "), sqlString(dst))
	if _, err := c.db.ExecContext(context.Background(), q); err != nil {
		c.tb.Fatalf("%s: %v", q, err)
	}
	return dst
}

// all converts every staged NDJSON file of table (name.ndjson) into
// name.parquet beside it, and returns their names in the same order.
func (c *converter) all(table string, files []string) []string {
	c.tb.Helper()
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = c.write(table, f, strings.TrimSuffix(f, ".ndjson")+".parquet", "")
	}
	return out
}

// parquetOf converts the staged files of every table of s.
func parquetOf(tb testing.TB, s warehousetest.Staged) warehousetest.Staged {
	tb.Helper()
	c := newConverter(tb)
	p := s
	p.Files = make(map[string][]string)
	for table, files := range s.Files {
		p.Files[table] = c.all(table, files)
	}
	return p
}
