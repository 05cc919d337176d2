package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/clickstream-platform/clickstream/warehouse"
)

// RecordRun inserts r into <dw>.pipeline_runs unless a row of r.RunID is
// there already, in one transaction that first creates the table, or adds
// the columns it lacks (see EnsureTables).
func (d *Warehouse) RecordRun(ctx context.Context, r warehouse.RunRecord) error {
	name := d.TableName(warehouse.RunsTable)
	vals, err := warehouse.RunValues(r)
	if err != nil {
		return fmt.Errorf("recording run %s in %s: %w", r.RunID, name, err)
	}
	err = d.do(ctx, true, func(ctx context.Context, c *sql.Conn) error {
		return inTx(ctx, c, func(tx *sql.Tx) error {
			if err := d.ensureRunsTable(ctx, tx); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, d.insertRunSQL(), vals...)
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("recording run %s in %s: %w", r.RunID, name, err)
	}
	return nil
}

// insertRunSQL inserts one row of warehouse.RunsTable, whose values are the
// parameters $1 ($1 is run_id) to $n in the order of its columns, when no
// row has that run_id.
func (d *Warehouse) insertRunSQL() string {
	t := warehouse.RunsTableSchema()
	names := make([]string, len(t.Fields))
	params := make([]string, len(t.Fields))
	for i, f := range t.Fields {
		names[i] = quoteIdent(f.Name)
		params[i] = fmt.Sprintf("CAST($%d AS %s)", i+1, Type(f))
	}
	return fmt.Sprintf("INSERT INTO %s (%s)\nSELECT %s\nWHERE NOT EXISTS (SELECT 1 FROM %s WHERE %s = $1)",
		d.ident(t), strings.Join(names, ", "), strings.Join(params, ", "), d.ident(t), quoteIdent(t.Key))
}

// ensureRunsTable creates warehouse.RunsTable if it is missing, or adds the
// columns of the schema it lacks; other differences are an error wrapping
// warehouse.ErrSchema, since the table is never dropped.
func (d *Warehouse) ensureRunsTable(ctx context.Context, q queryer) error {
	t := warehouse.RunsTableSchema()
	name := d.TableName(t.Name)
	have, err := tableColumns(ctx, q, d.schemaOf(t), t.Name)
	if err != nil {
		return fmt.Errorf("reading the columns of %s: %w", name, err)
	}
	if len(have) == 0 {
		if err := d.createSchema(ctx, q, t); err != nil {
			return err
		}
		if _, err := q.ExecContext(ctx, CreateTableSQL(d.schemaOf(t), t)); err != nil {
			return fmt.Errorf("creating %s: %w", name, err)
		}
		return nil
	}
	want, err := wantColumns(ctx, q, t)
	if err != nil {
		return fmt.Errorf("checking %s: %w", name, err)
	}
	missing, err := warehouse.CompareRunsColumns(name, duckDBSpecs(have), duckDBSpecs(want))
	if err != nil {
		return err
	}
	for _, i := range missing {
		f := t.Fields[i]
		stmt := fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", d.ident(t), quoteIdent(f.Name), Type(f))
		if f.Description != "" {
			stmt += fmt.Sprintf(";\nCOMMENT ON COLUMN %s.%s IS %s", d.ident(t), quoteIdent(f.Name), quoteString(f.Description))
		}
		if _, err := q.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("adding column %s to %s: %w", f.Name, name, err)
		}
	}
	return nil
}

func duckDBSpecs(cols []column) []warehouse.ColumnSpec {
	specs := make([]warehouse.ColumnSpec, len(cols))
	for i, c := range cols {
		specs[i] = warehouse.ColumnSpec{Name: c.name, Spelled: c.String(), Nullable: !c.notNull}
	}
	return specs
}

// RecentVolumes returns the sessions_valid of the last n successful runs of
// source over days days (0: over no date range), the newest first. A
// missing audit table holds none.
func (d *Warehouse) RecentVolumes(ctx context.Context, source string, days, n int) ([]int64, error) {
	var out []int64
	err := d.do(ctx, false, func(ctx context.Context, c *sql.Conn) error {
		t := warehouse.RunsTableSchema()
		have, err := tableColumns(ctx, c, d.schemaOf(t), t.Name)
		if err != nil || len(have) == 0 {
			return err
		}
		rows, err := c.QueryContext(ctx, fmt.Sprintf(`SELECT sessions_valid FROM %s
			WHERE source = $1 AND status = $2
			AND coalesce(date_diff('day', from_date, to_date) + 1, 0) = $3
			ORDER BY finished_at DESC LIMIT $4`, d.ident(t)), source, warehouse.RunSucceeded, days, n)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var v int64
			if err := rows.Scan(&v); err != nil {
				return err
			}
			out = append(out, v)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("reading the recent runs of %s: %w", source, err)
	}
	return out, nil
}
