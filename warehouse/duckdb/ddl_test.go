package duckdb_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/warehouse"
	"github.com/clickstream-platform/clickstream/warehouse/duckdb"
)

func TestDuckDBType(t *testing.T) {
	tests := []struct {
		name  string
		field clickstream.Field
		want  string
	}{
		{"string", clickstream.Field{Type: clickstream.String}, "VARCHAR"},
		{"required string", clickstream.Field{Type: clickstream.String, Mode: clickstream.Required}, "VARCHAR"},
		{"integer", clickstream.Field{Type: clickstream.Integer, Mode: clickstream.Nullable}, "BIGINT"},
		{"float", clickstream.Field{Type: clickstream.Float}, "DOUBLE"},
		{"timestamp", clickstream.Field{Type: clickstream.Timestamp}, "TIMESTAMPTZ"},
		{"repeated string", clickstream.Field{Type: clickstream.String, Mode: clickstream.Repeated}, "VARCHAR[]"},
		{
			name: "record",
			field: clickstream.Field{Type: clickstream.Record, Fields: []clickstream.Field{
				{Name: "a", Type: clickstream.Integer}, {Name: "timestamp", Type: clickstream.Timestamp, Mode: clickstream.Required},
			}},
			want: `STRUCT("a" BIGINT, "timestamp" TIMESTAMPTZ)`,
		},
		{
			name: "repeated record in a record",
			field: clickstream.Field{Type: clickstream.Record, Mode: clickstream.Repeated, Fields: []clickstream.Field{
				{Name: "say \"hi\"", Type: clickstream.String},
				{Name: "items", Type: clickstream.Record, Mode: clickstream.Repeated, Fields: []clickstream.Field{{Name: "q", Type: clickstream.Float}}},
			}},
			want: `STRUCT("say ""hi""" VARCHAR, "items" STRUCT("q" DOUBLE)[])[]`,
		},
		{"unknown type passed through", clickstream.Field{Type: "BOOLEAN"}, "BOOLEAN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := duckdb.Type(tc.field); got != tc.want {
				t.Errorf("Type = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestCreateTableSQL(t *testing.T) {
	tbl, _ := clickstream.LookupTable(clickstream.PageviewsTable)
	got := duckdb.CreateTableSQL("my dw", tbl)
	for _, want := range []string{
		`CREATE TABLE IF NOT EXISTS "my dw"."pageview_events" (`,
		`"timestamp" TIMESTAMPTZ NOT NULL,`,
		`"referrer_url" VARCHAR,`,
		`"run_id" VARCHAR NOT NULL` + "\n);",
		`COMMENT ON TABLE "my dw"."pageview_events" IS 'clickstream warehouse table pageview_events: one row per event_id. In BigQuery partitioned by MONTH(timestamp) and clustered by session_key; DuckDB has no partitioning or clustering.';`,
		`COMMENT ON COLUMN "my dw"."pageview_events"."event_id" IS 'Lowercase hex SHA-256 of the event''s canonical form (see clickstream.EventID).';`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("CreateTableSQL lacks %s\ngot:\n%s", want, got)
		}
	}
}

// The audit table's DDL, derived from warehouse.RunsTableSchema().
func TestRunsTableDDL(t *testing.T) {
	s := warehouse.RunsTableSchema()
	ddl := duckdb.CreateTableSQL("clickstream_dw", s)
	for _, want := range []string{
		`CREATE TABLE IF NOT EXISTS "clickstream_dw"."pipeline_runs" (`,
		`"run_id" VARCHAR NOT NULL,`, `"from_date" DATE,`, `"finished_at" TIMESTAMPTZ NOT NULL,`,
		`"duration_ms" BIGINT,`, `"purchase_events_rows" BIGINT,`, `"purchase_events_bytes_processed" BIGINT,`, `"ga4_events_bytes_processed" BIGINT` + "\n);",
		`COMMENT ON TABLE "clickstream_dw"."pipeline_runs" IS 'clickstream audit table pipeline_runs: one row per run_id`,
	} {
		if !strings.Contains(ddl, want) {
			t.Errorf("DDL does not say %s:\n%s", want, ddl)
		}
	}
}

// duckdbName spells a column's type as DuckDB's catalog shows it, written
// apart from duckdb.Type so that each checks the other.
func duckdbName(f clickstream.Field) string {
	names := map[clickstream.FieldType]string{
		clickstream.String: "VARCHAR", clickstream.Integer: "BIGINT",
		clickstream.Float: "DOUBLE", clickstream.Timestamp: "TIMESTAMP WITH TIME ZONE",
		"DATE": "DATE", clickstream.JSON: "JSON",
	}
	s := names[f.Type]
	if f.Type == clickstream.Record {
		var subs []string
		for _, sub := range f.Fields {
			subs = append(subs, fmt.Sprintf(`"%s" %s`, sub.Name, duckdbName(sub)))
		}
		s = "STRUCT(" + strings.Join(subs, ", ") + ")"
	}
	if f.Mode == clickstream.Repeated {
		s += "[]"
	}
	return s
}

// TestCreatedColumns checks that the created tables have the columns of
// clickstream.Tables() and of the audit table: names, order, types,
// nullability, descriptions.
func TestCreatedColumns(t *testing.T) {
	d := openTemp(t)
	ctx := context.Background()
	if err := d.EnsureTables(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tbl := range append(clickstream.Tables(), warehouse.RunsTableSchema()) {
		t.Run(tbl.Name, func(t *testing.T) {
			schema := "clickstream_dw"
			if tbl.Dataset == clickstream.Lake {
				schema = "clickstream_lake"
			}
			rows := query(t, d, fmt.Sprintf(`SELECT column_name, data_type, is_nullable, comment
				FROM duckdb_columns() WHERE schema_name = '%s' AND table_name = '%s' ORDER BY column_index`, schema, tbl.Name))
			if len(rows) != len(tbl.Fields) {
				t.Fatalf("%d columns, want %d: %v", len(rows), len(tbl.Fields), rows)
			}
			for i, f := range tbl.Fields {
				// DuckDB quotes STRUCT field names only where needed: ask it
				// to spell the expected type.
				want := query(t, d, fmt.Sprintf("SELECT typeof(NULL::%s)", duckdbName(f)))[0][0]
				var comment any
				if f.Description != "" {
					comment = f.Description
				}
				got := fmt.Sprint(rows[i])
				if exp := fmt.Sprint([]any{f.Name, want, f.Mode != clickstream.Required, comment}); got != exp {
					t.Errorf("column %d = %s, want %s", i+1, got, exp)
				}
			}
			comment := query(t, d, fmt.Sprintf(`SELECT comment FROM duckdb_tables() WHERE schema_name = '%s' AND table_name = '%s'`, schema, tbl.Name))
			if want := "one row per " + strings.Join(tbl.KeyColumns(), ", "); !strings.Contains(fmt.Sprint(comment), want) {
				t.Errorf("table comment %v lacks %q", comment, want)
			}
		})
	}
}

func TestDatasetNames(t *testing.T) {
	d, err := duckdb.Open(duckdb.Options{Path: t.TempDir() + "/w.duckdb", LakeDataset: "lake", DWDataset: "dw"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.EnsureTables(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(query(t, d, `SELECT schema_name, table_name FROM duckdb_tables() ORDER BY ALL`))
	// The five tables, the audit table and the derived tables in the dw
	// dataset, the ledger, the models' changes and ga4_events in the lake's.
	if want := "[[dw addtocart_events] [dw pageview_events] [dw pipeline_runs] [dw purchase_events] [dw report_daily_events] [dw report_funnel_daily] " +
		"[dw report_revenue_daily] [dw report_sessions_per_object] [dw report_top_users] [dw sessions] [dw user_sessions] [lake ga4_events] [lake loaded_objects] [lake model_changes] [lake visits]]"; got != want {
		t.Errorf("tables %s, want %s", got, want)
	}
	if got := d.TableName(clickstream.VisitsTable); got != "lake.visits" {
		t.Errorf("TableName = %s", got)
	}
}

func TestOpenOptions(t *testing.T) {
	tests := []struct {
		name        string
		opts        duckdb.Options
		errContains string
	}{
		{"no path", duckdb.Options{}, "Path is required"},
		{"question mark", duckdb.Options{Path: t.TempDir() + "/a?b.duckdb"}, "must not contain '?'"},
		{"read-only missing file", duckdb.Options{Path: t.TempDir() + "/none.duckdb", ReadOnly: true}, "no such file"},
		{"percent sign", duckdb.Options{Path: t.TempDir() + "/50%/d.duckdb"}, `invalid URL escape "%/d"`},
		{"parent folders created", duckdb.Options{Path: t.TempDir() + "/a b/#c/%41/d.duckdb"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := duckdb.Open(tc.opts)
			if tc.errContains == "" {
				if err != nil {
					t.Fatal(err)
				}
				defer d.Close()
				if err := d.EnsureTables(context.Background()); err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.errContains) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.errContains)
			}
		})
	}
}
