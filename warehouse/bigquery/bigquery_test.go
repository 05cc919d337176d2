package bigquery_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"
	"testing"

	bq "cloud.google.com/go/bigquery"
	bqapi "google.golang.org/api/bigquery/v2"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/models"
	"github.com/clickstream-platform/clickstream/warehouse"
	"github.com/clickstream-platform/clickstream/warehouse/bigquery"
)

// checkFields checks fields as a request carried them against want, the
// clickstream fields: names, types, modes and descriptions in order, and
// the sub-fields of every RECORD.
func checkFields(t *testing.T, where string, got []*bqapi.TableFieldSchema, want []clickstream.Field) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d fields, want %d", where, len(got), len(want))
		return
	}
	for i, w := range want {
		g := got[i]
		mode := g.Mode
		if mode == "" {
			mode = "NULLABLE"
		}
		if g.Name != w.Name || g.Type != string(w.Type) || mode != string(w.Mode) || g.Description != w.Description {
			t.Errorf("%s: field %d is %s %s %s %q, want %s %s %s %q", where, i+1,
				g.Name, g.Type, mode, g.Description, w.Name, w.Type, w.Mode, w.Description)
			continue
		}
		checkFields(t, where+"."+w.Name, g.Fields, w.Fields)
	}
}

// field returns the field at path (names separated by dots) of fields.
func field(t *testing.T, fields []*bqapi.TableFieldSchema, path string) *bqapi.TableFieldSchema {
	t.Helper()
	name, rest, nested := strings.Cut(path, ".")
	for _, f := range fields {
		if f.Name == name {
			if nested {
				return field(t, f.Fields, rest)
			}
			return f
		}
	}
	t.Fatalf("no field %s", path)
	return nil
}

func TestBigQuerySchema(t *testing.T) {
	for _, tbl := range clickstream.Tables() {
		s := bigquery.Schema(tbl)
		var walk func(where string, s bq.Schema, want []clickstream.Field)
		walk = func(where string, s bq.Schema, want []clickstream.Field) {
			if len(s) != len(want) {
				t.Fatalf("%s: %d fields, want %d", where, len(s), len(want))
			}
			for i, w := range want {
				f := s[i]
				if f.Name != w.Name || string(f.Type) != string(w.Type) || f.Description != w.Description ||
					f.Required != (w.Mode == clickstream.Required) || f.Repeated != (w.Mode == clickstream.Repeated) {
					t.Errorf("%s: field %d is %+v, want %+v", where, i+1, *f, w)
				}
				walk(where+"."+w.Name, f.Schema, w.Fields)
			}
		}
		walk(tbl.Name, s, tbl.Fields)
	}
	// The nested columns, spelled out.
	visits, _ := clickstream.LookupTable(clickstream.VisitsTable)
	events := bigquery.Schema(visits)[5]
	if events.Name != "events" || events.Type != bq.RecordFieldType || !events.Repeated || events.Required {
		t.Errorf("visits.events is %+v, want a REPEATED RECORD", *events)
	}
	items := events.Schema[0].Schema[2].Schema[10]
	if items.Name != "items" || items.Type != bq.RecordFieldType || !items.Repeated || len(items.Schema) != 5 {
		t.Errorf("visits.events.event.details.items is %+v, want a REPEATED RECORD of 5 fields", *items)
	}
	purchases, _ := clickstream.LookupTable(clickstream.PurchasesTable)
	items = bigquery.Schema(purchases)[5]
	var names []string
	for _, f := range items.Schema {
		names = append(names, f.Name)
	}
	if items.Name != "items" || !items.Repeated || items.Type != bq.RecordFieldType ||
		!slices.Equal(names, []string{"quantity", "price", "category", "product_name", "product_id"}) {
		t.Errorf("purchase_events.items is %+v with %v, want a REPEATED RECORD (quantity, price, category, product_name, product_id)", *items, names)
	}
}

func TestBigQueryEnsureTablesCreates(t *testing.T) {
	for _, tt := range []struct {
		name         string
		opts         bigquery.Options
		location     string
		lake, dwName string
	}{
		{"defaults", bigquery.Options{}, "US", "clickstream_lake", "clickstream_dw"},
		{"EU and other datasets", bigquery.Options{Location: "EU", LakeDataset: "lk", DWDataset: "w"}, "EU", "lk", "w"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeBigQuery(t)
			b := openFake(t, f, tt.opts)
			if err := b.EnsureTables(context.Background()); err != nil {
				t.Fatal(err)
			}
			var datasets []string
			for _, r := range f.Requests(routeDatasetsInsert) {
				var ds bqapi.Dataset
				r.decode(t, &ds)
				datasets = append(datasets, ds.DatasetReference.DatasetId)
				if ds.Location != tt.location {
					t.Errorf("dataset %s created in %q, want %q", ds.DatasetReference.DatasetId, ds.Location, tt.location)
				}
			}
			if !slices.Equal(datasets, []string{tt.lake, tt.dwName}) {
				t.Errorf("datasets created: %v, want %v", datasets, []string{tt.lake, tt.dwName})
			}

			// The clickstream tables, the ledger, the derived tables and
			// the changes for them, then the audit table.
			inserts := f.Requests(routeTablesInsert)
			managed := managedTables()
			if len(inserts) != len(managed)+1 {
				t.Fatalf("%d tables created, want %d", len(inserts), len(managed)+1)
			}
			checkRunsTableCreated(t, inserts[len(inserts)-1], tt.dwName)
			for i, want := range managed {
				r := inserts[i]
				ds := tt.dwName
				if want.Dataset == clickstream.Lake {
					ds = tt.lake
				}
				if wantPath := fmt.Sprintf("/projects/%s/datasets/%s/tables", fakeProject, ds); r.Path != wantPath {
					t.Errorf("%s created at %s, want %s", want.Name, r.Path, wantPath)
				}
				var tbl bqapi.Table
				r.decode(t, &tbl)
				if tbl.TableReference.TableId != want.Name {
					t.Errorf("table %d is %s, want %s", i, tbl.TableReference.TableId, want.Name)
				}
				checkFields(t, want.Name, tbl.Schema.Fields, want.Fields)
				checkPartitioning(t, want, tbl.TimePartitioning)
				var clustering []string
				if tbl.Clustering != nil {
					clustering = tbl.Clustering.Fields
				}
				if !slices.Equal(clustering, want.Clustering) {
					t.Errorf("%s clustered by %v, want %v", want.Name, clustering, want.Clustering)
				}
				if strings.Contains(string(r.Body), "autodetect") {
					t.Errorf("%s: the request mentions autodetect: %s", want.Name, r.Body)
				}
			}
			visits := inserts[0]
			var tbl bqapi.Table
			visits.decode(t, &tbl)
			for path, mode := range map[string]string{"events": "REPEATED", "events.event": "", "events.event.details": "",
				"events.event.details.items": "REPEATED", "session_id": "REQUIRED", "geolocation": ""} {
				if f := field(t, tbl.Schema.Fields, path); f.Mode != mode {
					t.Errorf("visits.%s has mode %q, want %q", path, f.Mode, mode)
				}
			}

			before := len(f.Requests())
			if err := b.EnsureTables(context.Background()); err != nil {
				t.Fatal(err)
			}
			for _, r := range f.Requests()[before:] {
				if r.Method != "GET" {
					t.Errorf("EnsureTables on existing tables sent %s %s", r.Method, r.Path)
				}
			}
		})
	}
}

// managedTables are the tables EnsureTables creates and RecreateTables
// recreates, in order, the audit table aside.
func managedTables() []clickstream.Table {
	return append(append(clickstream.Tables(), warehouse.LedgerSchema()), append(models.Tables(), models.ChangesSchema())...)
}

func checkPartitioning(t *testing.T, want clickstream.Table, got *bqapi.TimePartitioning) {
	t.Helper()
	switch {
	case want.Partitioning == nil && got != nil:
		t.Errorf("%s partitioned by %+v, want none", want.Name, *got)
	case want.Partitioning != nil && (got == nil || got.Type != "MONTH" || got.Field != want.Partitioning.Field):
		t.Errorf("%s partitioned by %+v, want MONTH on %s", want.Name, got, want.Partitioning.Field)
	}
}

func TestBigQueryEnsureTablesReportsDifferences(t *testing.T) {
	f := newFakeBigQuery(t)
	b := openFake(t, f, bigquery.Options{})
	ctx := context.Background()
	if err := b.EnsureTables(ctx); err != nil {
		t.Fatal(err)
	}
	f.Table("clickstream_dw", "sessions").Clustering = &bqapi.Clustering{Fields: []string{"session_id"}}
	pv := f.Table("clickstream_dw", "pageview_events")
	pv.TimePartitioning = nil
	pv.Schema.Fields[2].Type = "INTEGER"
	f.Table("clickstream_dw", "purchase_events").Schema.Fields[5].Fields[0].Type = "STRING"
	visits := f.Table("clickstream_lake", "visits")
	visits.Schema.Fields = visits.Schema.Fields[:len(visits.Schema.Fields)-1]
	// Standard SQL type names, as DDL writes them, are no difference.
	add := f.Table("clickstream_dw", "addtocart_events")
	add.Schema.Fields[5].Type, add.Schema.Fields[6].Type = "INT64", "FLOAT64"

	before := len(f.Requests())
	err := b.EnsureTables(ctx)
	if !errors.Is(err, warehouse.ErrSchema) {
		t.Fatalf("EnsureTables: %v, want ErrSchema", err)
	}
	for _, want := range []string{
		"table test-proj.clickstream_dw.sessions differs from the schema (clustering is (session_id), want (session_id, user_id)); run recreate",
		"table test-proj.clickstream_dw.pageview_events differs from the schema (column 3 is page_url INTEGER REQUIRED, want page_url STRING REQUIRED; partitioning is none, want MONTH on timestamp)",
		"field 1 of items is quantity STRING NULLABLE, want quantity INTEGER NULLABLE",
		"column 10 missing, want run_id STRING REQUIRED",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q\ndoes not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "addtocart_events") {
		t.Errorf("error %q names addtocart_events, whose types only are spelled differently", err)
	}
	for _, r := range f.Requests()[before:] {
		if r.Method != "GET" {
			t.Errorf("EnsureTables on differing tables sent %s %s", r.Method, r.Path)
		}
	}
}

func TestBigQueryEnsureTablesDatasetElsewhere(t *testing.T) {
	f := newFakeBigQuery(t)
	f.datasets["clickstream_lake"] = &bqapi.Dataset{DatasetReference: &bqapi.DatasetReference{DatasetId: "clickstream_lake"}, Location: "EU"}
	b := openFake(t, f, bigquery.Options{})
	err := b.EnsureTables(context.Background())
	if !errors.Is(err, warehouse.ErrSchema) || !strings.Contains(err.Error(), "dataset test-proj.clickstream_lake is in EU, but the warehouse's location is US") {
		t.Errorf("EnsureTables: %v, want ErrSchema saying where the dataset is", err)
	}
}

func TestBigQueryRecreateTables(t *testing.T) {
	f := newFakeBigQuery(t)
	b := openFake(t, f, bigquery.Options{})
	ctx := context.Background()
	if err := b.EnsureTables(ctx); err != nil {
		t.Fatal(err)
	}
	delete(f.tables, "clickstream_dw.sessions") // a missing table is fine
	f.Table("clickstream_dw", "pageview_events").Clustering = nil

	before := len(f.Requests(routeTablesDelete, routeTablesInsert))
	if err := b.RecreateTables(ctx); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range f.Requests(routeTablesDelete, routeTablesInsert)[before:] {
		table := path.Base(r.Path)
		if r.Method == http.MethodPost {
			var tbl bqapi.Table
			r.decode(t, &tbl)
			table = tbl.TableReference.TableId
		}
		got = append(got, fmt.Sprintf("%s %s %d", r.Method, table, r.Status))
	}
	// The five tables, the ledger, the derived tables and the changes, each
	// deleted and created; never the audit table.
	var want []string
	for _, tbl := range managedTables() {
		del := "DELETE " + tbl.Name + " 204"
		if tbl.Name == clickstream.SessionsTable {
			del = "DELETE " + tbl.Name + " 404"
		}
		want = append(want, del, "POST "+tbl.Name+" 200")
	}
	if !slices.Equal(got, want) {
		t.Errorf("RecreateTables sent %v, want %v", got, want)
	}
	if err := b.EnsureTables(ctx); err != nil {
		t.Errorf("EnsureTables after RecreateTables: %v", err)
	}
}

func TestBigQueryCounts(t *testing.T) {
	f := newFakeBigQuery(t)
	b := openFake(t, f, bigquery.Options{Location: "EU"})
	want := map[string]int64{"visits": 10, "sessions": 9, "pageview_events": 30, "addtocart_events": 7, "purchase_events": 2, "ga4_events": 40}
	f.answer = func(sql string) ([]string, [][]any) {
		var rows [][]any
		for _, tbl := range clickstream.Tables() {
			rows = append(rows, []any{tbl.Name, want[tbl.Name]})
		}
		return []string{"table_name", "row_count"}, rows
	}
	got, err := b.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Counts: %v, want %v", got, want)
	}
	q := f.OnlyQuery(t)
	if q.Location != "EU" {
		t.Errorf("the query ran in %q, want EU", q.Location)
	}
	parts := strings.Split(q.Query, "\nUNION ALL\n")
	if len(parts) != len(clickstream.Tables()) {
		t.Fatalf("query %q: %d parts, want one per table", q.Query, len(parts))
	}
	for i, tbl := range clickstream.Tables() {
		ds := "clickstream_dw"
		if tbl.Dataset == clickstream.Lake {
			ds = "clickstream_lake"
		}
		want := fmt.Sprintf("SELECT '%s' AS table_name, COUNT(*) AS row_count FROM `test-proj`.`%s`.`%s`", tbl.Name, ds, tbl.Name)
		if tbl.Name == clickstream.GA4EventsTable { // missing until a GA4 run loads it: counted from the metadata
			want = "SELECT 'ga4_events' AS table_name, COALESCE(SUM(row_count), 0) AS row_count FROM `test-proj`.`clickstream_lake`.`__TABLES__` WHERE table_id = 'ga4_events'"
		}
		if parts[i] != want {
			t.Errorf("part %d of the query is %q, want %q", i, parts[i], want)
		}
	}

	f.answer = func(string) ([]string, [][]any) {
		return []string{"table_name", "row_count"}, [][]any{{"visits", int64(1)}}
	}
	if _, err := b.Counts(context.Background()); err == nil || !strings.Contains(err.Error(), "no count for test-proj.clickstream_dw.sessions") {
		t.Errorf("Counts of a partial answer: %v, want an error naming the table missing", err)
	}
}

func TestOpenBigQueryOptions(t *testing.T) {
	for _, tt := range []struct {
		name        string
		opts        bigquery.Options
		errContains string
	}{
		{"no project", bigquery.Options{}, "Project is required"},
		{"bad dataset", bigquery.Options{Project: "p", DWDataset: "clickstream-dw"}, `dataset "clickstream-dw"`},
		{"bad project", bigquery.Options{Project: "p`x"}, "not a project id"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := bigquery.Open(context.Background(), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.errContains) {
				t.Errorf("OpenBigQuery: %v, want an error containing %q", err, tt.errContains)
			}
		})
	}
}
