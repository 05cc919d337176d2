package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/warehouse"
)

// Temporary tables of a load: the objects of its slice, the objects the run
// read (for the ledger), and the keys whose kept copy the load removes.
const (
	sliceTable   = "temp.main.clickstream_slice"
	objectsTable = "temp.main.clickstream_objects"
	touchedTable = "temp.main.clickstream_touched"
)

// ledger is the ledger's definition, which the lake table's loads write.
func ledger() clickstream.Table { return warehouse.LedgerSchema() }

// sliceSQL returns the condition that col (a source_object column) lies in
// s, first filling sliceTable with s.Objects when there are any.
func sliceSQL(ctx context.Context, tx *sql.Tx, col string, s warehouse.Slice) (string, error) {
	var conds []string
	for _, p := range s.Prefixes {
		conds = append(conds, fmt.Sprintf("starts_with(%s, %s)", col, quoteString(p)))
	}
	if len(s.Objects) > 0 {
		if err := fillTemp(ctx, tx, sliceTable, "uri VARCHAR", len(s.Objects), func(i int) string { return quoteString(s.Objects[i]) }); err != nil {
			return "", fmt.Errorf("listing the slice's objects: %w", err)
		}
		conds = append(conds, fmt.Sprintf("%s IN (SELECT uri FROM %s)", col, sliceTable))
	}
	if len(conds) == 0 {
		return "false", nil
	}
	return "(" + strings.Join(conds, " OR ") + ")", nil
}

// fillTemp creates the temporary table name with columns cols and n rows,
// row i's values given by row(i) as SQL literals, a thousand a statement.
func fillTemp(ctx context.Context, tx *sql.Tx, name, cols string, n int, row func(i int) string) error {
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("CREATE OR REPLACE TEMP TABLE %s (%s)", name, cols)); err != nil {
		return err
	}
	for from := 0; from < n; from += 1000 {
		vals := make([]string, 0, 1000)
		for i := from; i < min(from+1000, n); i++ {
			vals = append(vals, "("+row(i)+")")
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO "+name+" VALUES "+strings.Join(vals, ", ")); err != nil {
			return err
		}
	}
	return nil
}

// replaceLakeSlice removes from the lake table target the rows the load
// replaces, before the staged rows go in: in Replace mode the rows of the
// slice (inSlice) and their ledger entries; in Merge mode the rows of the
// objects read whose generation differs from the ledger's (rewritten since
// they were loaded, or loaded before the ledger kept them), and records
// what they held in the models' changes. A lake table other than the
// primary one (visits) has no ledger entries or changes of its own. It
// fills objectsTable with the objects read.
func (d *Warehouse) replaceLakeSlice(ctx context.Context, tx *sql.Tx, target string, req warehouse.LoadRequest, inSlice string, primary bool) error {
	objs := req.Objects
	err := fillTemp(ctx, tx, objectsTable, "uri VARCHAR, generation BIGINT, size BIGINT", len(objs), func(i int) string {
		return quoteString(objs[i].URI) + ", " + strconv.FormatInt(objs[i].Generation, 10) + ", " + strconv.FormatInt(objs[i].Size, 10)
	})
	if err != nil {
		return fmt.Errorf("listing the objects read: %w", err)
	}
	obj := quoteIdent(clickstream.ColSourceObject)
	led := d.ident(ledger())
	var stmts []string
	removed := inSlice
	if !primary {
		// ga4_events: the ledger already holds the generations read (visits
		// loads first), so a merge cannot tell a rewritten object from
		// another; the rows of every object read give way to the run's.
		if req.Mode == warehouse.Merge {
			removed = fmt.Sprintf("%s IN (SELECT uri FROM %s)", obj, objectsTable)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("DELETE FROM %s WHERE %s", target, removed)); err != nil {
			return fmt.Errorf("removing the rows replaced: %w", err)
		}
		return nil
	}
	if req.Mode == warehouse.Replace {
		stmts = []string{
			fmt.Sprintf("DELETE FROM %s WHERE %s", target, inSlice),
			fmt.Sprintf("DELETE FROM %s WHERE %s", led, inSlice),
		}
	} else {
		removed = fmt.Sprintf(`%s IN (
	SELECT o.uri FROM %s AS o LEFT JOIN %s AS l ON l.%s = o.uri
	WHERE l.generation IS DISTINCT FROM o.generation)`, obj, objectsTable, led, obj)
		stmts = []string{fmt.Sprintf("DELETE FROM %s WHERE %s", target, removed)}
	}
	// What the rows removed held, the models must rebuild.
	if err := d.logChanges(ctx, tx, target, req.RunID, removed); err != nil {
		return err
	}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("removing the rows replaced: %w", err)
		}
	}
	return nil
}

// recordObjects writes the objects read (objectsTable) into the ledger, at
// the generation read, replacing what it held of them.
func (d *Warehouse) recordObjects(ctx context.Context, tx *sql.Tx, runID string) error {
	led := d.ident(ledger())
	obj := quoteIdent(clickstream.ColSourceObject)
	for _, q := range []string{
		fmt.Sprintf("DELETE FROM %s WHERE %s IN (SELECT uri FROM %s)", led, obj, objectsTable),
		fmt.Sprintf("INSERT INTO %s SELECT uri, generation, size, %s, now() FROM %s", led, quoteString(runID), objectsTable),
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("recording the objects loaded: %w", err)
		}
	}
	return nil
}

// rederive removes from the warehouse table target (of t) its rows in the
// slice and puts in their place, for each of their keys, the copy of
// smallest lineage the lake now holds outside the slice (the lake table is
// loaded first, and its copies in the slice are the staged rows, merged in
// after); keys the lake no longer holds are gone. Rows outside the slice are the
// smallest copies of their keys still: removing other copies changes
// nothing for them.
func (d *Warehouse) rederive(ctx context.Context, tx *sql.Tx, t clickstream.Table, target, inSlice string) error {
	der, ok := warehouse.Derive(t)
	if !ok {
		return fmt.Errorf("%s is not derived from the lake", t.Name)
	}
	// A lake holding no row outside the slice (a replace of all it held)
	// has no other copy to derive from: the slice's rows just go.
	lake := d.ident(lakeTable())
	var outside bool
	if err := tx.QueryRowContext(ctx, fmt.Sprintf("SELECT EXISTS (SELECT 1 FROM %s WHERE NOT %s)", lake, inSlice)).Scan(&outside); err != nil {
		return fmt.Errorf("reading the lake outside the slice: %w", err)
	}
	if !outside {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("DELETE FROM %s WHERE %s", target, inSlice)); err != nil {
			return fmt.Errorf("removing the slice's rows: %w", err)
		}
		return nil
	}
	key := quoteIdent(t.Key)
	q := fmt.Sprintf("CREATE OR REPLACE TEMP TABLE %s AS SELECT DISTINCT %s AS k, session_key FROM %s WHERE %s", touchedTable, key, target, inSlice)
	if _, err := tx.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("finding the keys of the slice: %w", err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("DELETE FROM %s WHERE %s", target, inSlice)); err != nil {
		return fmt.Errorf("removing the slice's rows: %w", err)
	}
	if _, err := tx.ExecContext(ctx, deriveSQL(target, t, der, lake, inSlice)); err != nil {
		return fmt.Errorf("deriving the slice's keys from the lake: %w", classify(err))
	}
	return nil
}

func lakeTable() clickstream.Table {
	t, _ := clickstream.LookupTable(clickstream.VisitsTable)
	return t
}

// deriveSQL inserts into target, for every key of touchedTable, the row the
// lake's copy of smallest (source_object, source_line) outside the slice
// gives; of copies equal in those (an event twice in one line), any, since
// they are equal. The lake's copies in the slice are the staged rows (the
// lake is loaded first), which the merge of the staged rows that follows
// puts in where they are smaller: so a replace of a whole source reads
// next to nothing of the lake.
func deriveSQL(target string, t clickstream.Table, der warehouse.Derivation, lake, inSlice string) string {
	cols := make([]string, len(der.Columns))
	exprs := make([]string, len(der.Columns))
	for i, c := range der.Columns {
		cols[i] = quoteIdent(c.Name)
		src := "v"
		if c.Event {
			src = "e"
		}
		path := make([]string, len(c.Path))
		for j, p := range c.Path {
			path[j] = quoteIdent(p)
		}
		exprs[i] = src + "." + strings.Join(path, ".") + " AS " + cols[i]
	}
	obj, line := quoteIdent(clickstream.ColSourceObject), quoteIdent(clickstream.ColSourceLine)
	key := quoteIdent(t.Key)
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s (%s)\nSELECT %s FROM (\n\tSELECT %s", target, strings.Join(cols, ", "), strings.Join(cols, ", "), strings.Join(exprs, ", "))
	// The visits are narrowed first, so that only theirs are unnested.
	fmt.Fprintf(&b, ",\n\t\trow_number() OVER (PARTITION BY %s ORDER BY v.%s, v.%s) AS clickstream_rank\n", key, obj, line)
	fmt.Fprintf(&b, "\tFROM (SELECT * FROM %s WHERE NOT %s AND session_key IN (SELECT session_key FROM %s)) AS v", lake, inSlice, touchedTable)
	if der.EventType != "" {
		b.WriteString(", unnest(v.events) AS u(e)")
		fmt.Fprintf(&b, "\n\tWHERE e.event.event_type = %s AND e.event_id IN (SELECT k FROM %s)", quoteString(der.EventType), touchedTable)
	}
	b.WriteString("\n) WHERE clickstream_rank = 1")
	return b.String()
}

// LoadedObjects returns the generation at which the ledger holds each of
// uris it holds. A missing ledger holds nothing.
func (d *Warehouse) LoadedObjects(ctx context.Context, uris []string) (map[string]int64, error) {
	out := make(map[string]int64, len(uris))
	if len(uris) == 0 {
		return out, nil
	}
	err := d.do(ctx, false, func(ctx context.Context, c *sql.Conn) error {
		have, err := tableColumns(ctx, c, d.lake, warehouse.LedgerTable)
		if err != nil || len(have) == 0 {
			return err
		}
		lits := make([]string, len(uris))
		for i, u := range uris {
			lits[i] = quoteString(u)
		}
		q := fmt.Sprintf("SELECT %s, generation FROM %s WHERE %s IN (SELECT unnest([%s]))", quoteIdent(clickstream.ColSourceObject),
			d.ident(ledger()), quoteIdent(clickstream.ColSourceObject), strings.Join(lits, ", "))
		rows, err := c.QueryContext(ctx, q)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				uri string
				gen int64
			)
			if err := rows.Scan(&uri, &gen); err != nil {
				return err
			}
			out[uri] = gen
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", d.TableName(warehouse.LedgerTable), err)
	}
	return out, nil
}
