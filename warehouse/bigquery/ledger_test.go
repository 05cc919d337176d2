package bigquery_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	bqapi "google.golang.org/api/bigquery/v2"

	"github.com/clickstream-platform/clickstream/warehouse"
	"github.com/clickstream-platform/clickstream/warehouse/bigquery"
)

// arrayParam returns the values of the ARRAY<STRING> parameter name of
// params, failing the test if there is none of that type.
func arrayParam(t *testing.T, params []*bqapi.QueryParameter, name string) []string {
	t.Helper()
	for _, p := range params {
		if p.Name != name {
			continue
		}
		if p.ParameterType.Type != "ARRAY" || p.ParameterType.ArrayType.Type != "STRING" {
			t.Fatalf("parameter %s is %+v, want ARRAY<STRING>", name, p.ParameterType)
		}
		var vals []string
		for _, v := range p.ParameterValue.ArrayValues {
			vals = append(vals, v.Value)
		}
		return vals
	}
	t.Fatalf("no parameter %s", name)
	return nil
}

func TestBigQueryLoadedObjects(t *testing.T) {
	ctx := context.Background()
	uris := []string{"gs://src/dt=2024-01-30/a.jsonl", "gs://src/dt=2024-01-30/it's.jsonl", "gs://src/new.jsonl"}

	t.Run("the ledger holds some", func(t *testing.T) {
		f := newFakeBigQuery(t)
		b := openFake(t, f, bigquery.Options{Location: "EU"})
		if err := b.EnsureTables(ctx); err != nil {
			t.Fatal(err)
		}
		f.answer = func(string) ([]string, [][]any) {
			return []string{"uri", "generation"}, [][]any{{uris[0], int64(1706608800000001)}, {uris[1], int64(7)}}
		}
		got, err := b.LoadedObjects(ctx, uris)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string]int64{uris[0]: 1706608800000001, uris[1]: 7}; !maps.Equal(got, want) {
			t.Errorf("LoadedObjects: %v, want %v", got, want)
		}
		q := f.OnlyQuery(t)
		want := "SELECT `source_object` AS uri, `generation` AS generation FROM `test-proj`.`clickstream_lake`.`loaded_objects` WHERE `source_object` IN UNNEST(@uris)"
		if q.Query != want || q.Location != "EU" {
			t.Errorf("query %q in %s, want %q in EU", q.Query, q.Location, want)
		}
		if got := arrayParam(t, q.QueryParameters, "uris"); !slices.Equal(got, uris) || len(q.QueryParameters) != 1 {
			t.Errorf("parameters %+v, want only @uris = %v", q.QueryParameters, uris)
		}
		if strings.Contains(q.Query, "gs://") {
			t.Errorf("the query names objects in its text: %s", q.Query)
		}
	})

	t.Run("no ledger", func(t *testing.T) {
		f := newFakeBigQuery(t)
		b := openFake(t, f, bigquery.Options{})
		got, err := b.LoadedObjects(ctx, uris)
		if err != nil || len(got) != 0 {
			t.Errorf("LoadedObjects without a ledger: %v, %v; want nothing", got, err)
		}
		if n := len(f.Requests(routeJobsInsert)); n != 0 {
			t.Errorf("%d queries, want none", n)
		}
	})

	t.Run("no uris", func(t *testing.T) {
		f := newFakeBigQuery(t)
		b := openFake(t, f, bigquery.Options{})
		if got, err := b.LoadedObjects(ctx, nil); err != nil || len(got) != 0 {
			t.Errorf("LoadedObjects(nil): %v, %v", got, err)
		}
		if n := len(f.Requests()); n != 0 {
			t.Errorf("%d requests, want none", n)
		}
	})

	t.Run("the ledger's schema", func(t *testing.T) {
		f := newFakeBigQuery(t)
		b := openFake(t, f, bigquery.Options{})
		if err := b.EnsureTables(ctx); err != nil {
			t.Fatal(err)
		}
		led := f.Table("clickstream_lake", warehouse.LedgerTable)
		if led == nil {
			t.Fatal("EnsureTables created no ledger in the lake dataset")
		}
		checkFields(t, warehouse.LedgerTable, led.Schema.Fields, warehouse.LedgerSchema().Fields)
		if led.TimePartitioning != nil || led.Clustering != nil {
			t.Errorf("the ledger is partitioned (%+v) or clustered (%+v), want neither", led.TimePartitioning, led.Clustering)
		}
	})
}
