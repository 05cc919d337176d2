package duckdb

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/models"
	"github.com/clickstream-platform/clickstream/warehouse"
)

// dialect spells the models' SQL for DuckDB.
type dialect struct{ d *Warehouse }

var _ models.Dialect = dialect{}

func (x dialect) FailedRuns() string {
	return warehouse.FailedRunsSQL(x.Table(warehouse.RunsTable), x.String)
}
func (x dialect) Table(name string) string {
	if t, ok := models.Lookup(name); ok {
		return x.d.ident(t)
	}
	t, _ := warehouse.LookupTable(name)
	return x.d.ident(t)
}
func (dialect) String(s string) string { return quoteString(s) }
func (dialect) Float() string          { return "DOUBLE" }
func (dialect) FirstBy(v string, last bool, order ...string) string {
	f := "arg_min"
	if last {
		f = "arg_max"
	}
	keys := make([]string, len(order))
	for i, o := range order {
		keys[i] = fmt.Sprintf("k%d := %s", i, o)
	}
	return fmt.Sprintf("%s(%s, struct_pack(%s)) FILTER (WHERE %s IS NOT NULL)", f, v, strings.Join(keys, ", "), v)
}
func (dialect) Decimal() string              { return "DECIMAL(38, 9)" }
func (dialect) SHA256Hex(e string) string    { return "sha256(" + e + ")" }
func (dialect) RFC3339Micro(e string) string { return "strftime(" + e + ", '%Y-%m-%dT%H:%M:%S.%fZ')" }
func (dialect) MicrosBetween(from, to string) string {
	return "(epoch_us(" + to + ") - epoch_us(" + from + "))"
}
func (dialect) AddMicros(e string, n int64) string {
	return "(" + e + " + to_microseconds(" + strconv.FormatInt(n, 10) + "))"
}
func (dialect) Struct(kv ...string) string {
	parts := make([]string, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		parts = append(parts, quoteIdent(kv[i])+" := "+kv[i+1])
	}
	return "struct_pack(" + strings.Join(parts, ", ") + ")"
}
func (dialect) EmptyRevenue() string {
	t, _ := models.Lookup(models.UserSessions)
	for _, f := range t.Fields {
		if f.Name == "revenue" {
			return "CAST([] AS " + Type(f) + ")"
		}
	}
	return "[]"
}
func (dialect) Days(from, to string) string {
	return "unnest(CAST(generate_series(" + from + ", " + to + ", INTERVAL 1 DAY) AS DATE[])) AS days_(d)"
}
func (dialect) TempTable(name, query string) string {
	return "CREATE OR REPLACE TEMP TABLE " + name + " AS\n" + query
}

// SetBound keeps a bound in a temporary table of its name: DuckDB prunes
// nothing by it, but the build's statements read the same bounds as on
// BigQuery, so the tests that compare builds here check them too.
func (x dialect) SetBound(name, query string) string {
	return x.TempTable(name, "SELECT ("+query+") AS v")
}
func (dialect) Bound(name string) string { return "(SELECT v FROM " + name + ")" }

// modelTables are the tables BuildModels writes: the derived ones, and the
// changes the lake's loads record.
func modelTables() []clickstream.Table { return append(models.Tables(), models.ChangesSchema()) }

// BuildModels builds the derived tables in one transaction: incrementally
// (models.Incremental) or, with req.Rebuild, all of them again
// (models.Rebuild); then the data tests and, for a run, models.Done. A run's
// build finding user_sessions empty while events exist (the models are new
// to a warehouse that has data) rebuilds instead, since an incremental
// build would derive from the changed users' events only; so does one whose
// changes name most objects, which a rebuild derives faster
// (models.RebuildInstead).
func (d *Warehouse) BuildModels(ctx context.Context, req warehouse.ModelsRequest) (warehouse.ModelsResult, error) {
	res := warehouse.ModelsResult{Rows: map[string]int64{}}
	if req.RunID == "" && !req.Rebuild {
		return res, errors.New("building the models: a run id is required unless rebuilding")
	}
	gap := cmp.Or(req.Gap, models.DefaultGap)
	x := dialect{d}
	err := d.do(ctx, true, func(ctx context.Context, c *sql.Conn) error {
		return inTx(ctx, c, func(tx *sql.Tx) error {
			if err := d.ensureTables(ctx, tx, append(clickstream.Tables(), modelTables()...)...); err != nil {
				return err
			}
			if err := d.ensureRunsTable(ctx, tx); err != nil {
				return err
			}
			rebuild := req.Rebuild
			if !rebuild {
				if err := tx.QueryRowContext(ctx, models.PendingCount(x, req.RunID)).Scan(&res.Changes); err != nil {
					return fmt.Errorf("counting the changes: %w", err)
				}
				if err := tx.QueryRowContext(ctx, models.RebuildInstead(x, req.RunID)).Scan(&rebuild); err != nil {
					return fmt.Errorf("checking whether to rebuild the models: %w", err)
				}
			}
			res.Rebuilt = rebuild
			stmts := models.Incremental(x, req.RunID, gap)
			if rebuild {
				stmts = models.Rebuild(x, gap)
			}
			for _, s := range stmts {
				if _, err := tx.ExecContext(ctx, s.SQL); err != nil {
					return fmt.Errorf("%s: %w", s.What, err)
				}
			}
			// A rebuild's tests cover every day (and set no bounds to read).
			scope := req.RunID
			if rebuild {
				scope = ""
			}
			for _, t := range models.DataTests(x, scope) {
				res.Tests++
				if err := runDataTest(ctx, tx, t); err != nil {
					return err
				}
			}
			if req.RunID != "" {
				if _, err := tx.ExecContext(ctx, models.Done(x, req.RunID).SQL); err != nil {
					return fmt.Errorf("removing the changes rebuilt for: %w", err)
				}
			}
			for _, t := range models.Tables() {
				n, err := countRows(ctx, tx, d.ident(t))
				if err != nil {
					return err
				}
				res.Rows[t.Name] = n
			}
			return nil
		})
	})
	if err != nil {
		return warehouse.ModelsResult{}, fmt.Errorf("building the models: %w", err)
	}
	return res, nil
}

// runDataTest fails with an error wrapping warehouse.ErrDataTest that names
// the test and the keys it found.
func runDataTest(ctx context.Context, tx *sql.Tx, t models.DataTest) error {
	rows, err := tx.QueryContext(ctx, t.SQL)
	if err != nil {
		return fmt.Errorf("data test %q: %w", t.Name, err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k sql.NullString
		if err := rows.Scan(&k); err != nil {
			return fmt.Errorf("data test %q: %w", t.Name, err)
		}
		keys = append(keys, cmp.Or(k.String, "NULL"))
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("data test %q: %w", t.Name, err)
	}
	if len(keys) > 0 {
		return fmt.Errorf("%w: %q, e.g. %s", warehouse.ErrDataTest, t.Name, strings.Join(keys, ", "))
	}
	return nil
}

// logChanges records in the changes table, for the models step, the users
// and objects of the lake rows of target that cond selects, with the span
// of their events' timestamps.
func (d *Warehouse) logChanges(ctx context.Context, tx *sql.Tx, target, runID, cond string) error {
	q := fmt.Sprintf(`INSERT INTO %s (run_id, user_id, source_object, first_event, last_event)
SELECT %s, user_id, source_object, min(list_min(list_transform(events, lambda x: x.event.timestamp))),
	max(list_max(list_transform(events, lambda x: x.event.timestamp)))
FROM %s WHERE %s GROUP BY user_id, source_object`, d.ident(models.ChangesSchema()), quoteString(runID), target, cond)
	if _, err := tx.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("recording the changes for the models: %w", err)
	}
	return nil
}

// RebuildModelsSQL creates the derived tables in the default schemas and
// fills them from the warehouse tables there, as a rebuild by BuildModels
// does, without its data tests: the bench's reference runs it, so that DuckDB's
// own SQL derives what the pipeline derives.
func RebuildModelsSQL(gap time.Duration) []string {
	d := &Warehouse{lake: warehouse.DefaultLakeDataset, dw: warehouse.DefaultDWDataset}
	var out []string
	for _, t := range models.Tables() {
		out = append(out, CreateTableSQL(d.schemaOf(t), t))
	}
	for _, s := range models.Rebuild(dialect{d}, gap) {
		out = append(out, s.SQL)
	}
	return out
}
