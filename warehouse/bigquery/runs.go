package bigquery

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	bq "cloud.google.com/go/bigquery"
	"cloud.google.com/go/civil"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/warehouse"
)

// RecordRun inserts r into project.<dw>.pipeline_runs unless a row of
// r.RunID is there already: one MERGE ... WHEN NOT MATCHED THEN INSERT query
// job whose values are named query parameters, one per column. It first
// creates the dataset and the table if missing, or adds the columns the
// table lacks (see EnsureTables). The job id is
// clickstream_<run>_pipeline_runs_record_<hash>_<random>, the hash covering
// the record's Finished time and the random part drawn once per call: a
// retried insert of one call re-attaches to its job, while another call (a
// retried activity) runs a job of its own rather than re-attaching to a job
// that failed, which would give its error again. The MERGE keeps RecordRun
// idempotent whichever job runs.
func (b *Warehouse) RecordRun(ctx context.Context, r warehouse.RunRecord) error {
	name := b.TableName(warehouse.RunsTable)
	if r.Finished.IsZero() {
		r.Finished = time.Now()
	}
	vals, err := warehouse.RunValues(r)
	if err != nil {
		return fmt.Errorf("recording run %s in %s: %w", r.RunID, name, err)
	}
	params, err := runParameters(vals)
	if err != nil {
		return fmt.Errorf("recording run %s in %s: %w", r.RunID, name, err)
	}
	if err := b.ensureDatasets(ctx, b.dw); err != nil {
		return fmt.Errorf("recording run %s in %s: %w", r.RunID, name, err)
	}
	if err := b.ensureRunsTable(ctx); err != nil {
		return fmt.Errorf("recording run %s in %s: %w", r.RunID, name, err)
	}
	id := fmt.Sprintf("clickstream_%s_%s_record_%s_%s", sanitizeID(r.RunID, true, maxRunIDBytes), warehouse.RunsTable,
		digest(b.project, b.dw, r.RunID, strconv.FormatInt(r.Finished.UnixNano(), 10)), uniqueID())
	if _, err := b.runQuery(ctx, id, b.mergeRunSQL(), params...); err != nil {
		return fmt.Errorf("recording run %s in %s: %w", r.RunID, name, err)
	}
	return nil
}

// mergeRunSQL inserts the row of the parameters @<column> unless the table
// has its run_id.
func (b *Warehouse) mergeRunSQL() string {
	t := warehouse.RunsTableSchema()
	sel := make([]string, len(t.Fields))
	names := make([]string, len(t.Fields))
	vals := make([]string, len(t.Fields))
	for i, c := range t.Fields {
		sel[i] = "@" + c.Name + " AS " + bqIdent(c.Name)
		names[i] = bqIdent(c.Name)
		vals[i] = "s." + bqIdent(c.Name)
	}
	return fmt.Sprintf("MERGE %s AS t\nUSING (SELECT %s) AS s\nON t.%s = s.%s\nWHEN NOT MATCHED THEN INSERT (%s)\nVALUES (%s)",
		bqQualified(b.project, b.dw, t.Name), strings.Join(sel, ", "), bqIdent(t.Key), bqIdent(t.Key),
		strings.Join(names, ", "), strings.Join(vals, ", "))
}

// runParameters returns the query parameters of a record's values (as
// RunValues gives them), named after their columns, each typed as its
// column (a NULL as the Null type of the column's type, so BigQuery knows
// its type).
func runParameters(vals []any) ([]bq.QueryParameter, error) {
	cols := warehouse.RunsTableSchema().Fields
	params := make([]bq.QueryParameter, len(cols))
	for i, c := range cols {
		v := vals[i]
		var p any
		switch c.Type {
		case clickstream.String:
			s, _ := v.(string)
			p = bq.NullString{StringVal: s, Valid: v != nil}
			if c.Mode == clickstream.Required {
				p = s
			}
		case clickstream.Integer:
			n, _ := v.(int64)
			p = bq.NullInt64{Int64: n, Valid: v != nil}
			if c.Mode == clickstream.Required {
				p = n
			}
		case clickstream.Timestamp:
			t, _ := v.(time.Time)
			p = bq.NullTimestamp{Timestamp: t, Valid: v != nil}
			if c.Mode == clickstream.Required {
				p = t
			}
		case warehouse.DateType:
			var d civil.Date
			if s, ok := v.(string); ok {
				var err error
				if d, err = civil.ParseDate(s); err != nil {
					return nil, fmt.Errorf("%w: %s %q is not a date: %w", warehouse.ErrSchema, c.Name, s, err)
				}
			}
			p = bq.NullDate{Date: d, Valid: v != nil}
		default:
			return nil, fmt.Errorf("column %s: no query parameter of type %s", c.Name, c.Type)
		}
		params[i] = bq.QueryParameter{Name: c.Name, Value: p}
	}
	return params, nil
}

// ensureRunsTable creates warehouse.RunsTable if it is missing, or adds the
// columns of the schema it lacks (NULLABLE, at the end); other differences
// of its columns are an error wrapping warehouse.ErrSchema, since the table
// is never dropped.
func (b *Warehouse) ensureRunsTable(ctx context.Context) error {
	t := warehouse.RunsTableSchema()
	name := b.TableName(t.Name)
	tbl := b.table(t)
	md, err := tbl.Metadata(ctx)
	if isNotFound(err) {
		err = tbl.Create(ctx, tableMetadata(t))
		if err == nil {
			return nil
		}
		if !isDuplicate(err) {
			return fmt.Errorf("creating %s: %w", name, b.classify(err))
		}
		md, err = tbl.Metadata(ctx) // created meanwhile by someone else
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", name, b.classify(err))
	}
	if err := tableSettings(name, md); err != nil {
		return err
	}
	want := Schema(t)
	missing, err := warehouse.CompareRunsColumns(name, columnSpecs(md.Schema), columnSpecs(want))
	if err != nil {
		return err
	}
	if len(missing) == 0 {
		return nil
	}
	schema := append(bq.Schema{}, md.Schema...)
	for _, i := range missing {
		schema = append(schema, want[i])
	}
	if _, err := tbl.Update(ctx, bq.TableMetadataToUpdate{Schema: schema}, md.ETag); err != nil {
		return fmt.Errorf("adding columns to %s: %w", name, b.classify(err))
	}
	return nil
}

func columnSpecs(s bq.Schema) []warehouse.ColumnSpec {
	specs := make([]warehouse.ColumnSpec, len(s))
	for i, f := range s {
		specs[i] = warehouse.ColumnSpec{Name: f.Name, Spelled: fieldString(f), Nullable: !f.Required && !f.Repeated}
	}
	return specs
}

// RecentVolumes returns the sessions_valid of the last n successful runs of
// source over days days (0: over no date range), the newest first; one
// query job with the values as parameters. A missing audit table holds none.
func (b *Warehouse) RecentVolumes(ctx context.Context, source string, days, n int) ([]int64, error) {
	t := warehouse.RunsTableSchema()
	switch _, err := b.table(t).Metadata(ctx); {
	case isNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("reading the recent runs of %s: %w", source, b.classify(err))
	}
	type row struct {
		Valid int64 `bigquery:"sessions_valid"`
	}
	sql := fmt.Sprintf("SELECT `sessions_valid` FROM %s\nWHERE `source` = @source AND `status` = @status\n"+
		"AND COALESCE(DATE_DIFF(`to_date`, `from_date`, DAY) + 1, 0) = @days\nORDER BY `finished_at` DESC LIMIT @n", b.sqlName(t))
	var out []int64
	err := readRows(ctx, b, sql, []bq.QueryParameter{{Name: "source", Value: source}, {Name: "status", Value: warehouse.RunSucceeded},
		{Name: "days", Value: days}, {Name: "n", Value: n}}, func(r row) { out = append(out, r.Valid) })
	if err != nil {
		return nil, fmt.Errorf("reading the recent runs of %s: %w", source, err)
	}
	return out, nil
}
