package bigquery

import (
	"context"
	"fmt"

	bq "cloud.google.com/go/bigquery"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/warehouse"
)

// LoadedObjects returns the generation at which the ledger
// (warehouse.LedgerTable, in the lake dataset) holds each of uris it holds,
// from one query whose only parameter is @uris, ARRAY<STRING>. A missing
// ledger (or lake dataset) holds nothing; no uris sends no request.
func (b *Warehouse) LoadedObjects(ctx context.Context, uris []string) (map[string]int64, error) {
	out := make(map[string]int64, len(uris))
	if len(uris) == 0 {
		return out, nil
	}
	led := warehouse.LedgerSchema()
	name := b.TableName(led.Name)
	switch _, err := b.table(led).Metadata(ctx); {
	case isNotFound(err):
		return out, nil
	case err != nil:
		return nil, fmt.Errorf("reading %s: %w", name, b.classify(err))
	}
	obj := bqIdent(clickstream.ColSourceObject)
	type row struct {
		URI        string `bigquery:"uri"`
		Generation int64  `bigquery:"generation"`
	}
	sql := fmt.Sprintf("SELECT %s AS uri, `generation` AS generation FROM %s WHERE %s IN UNNEST(@uris)", obj, b.sqlName(led), obj)
	err := readRows(ctx, b, sql, []bq.QueryParameter{{Name: "uris", Value: uris}}, func(r row) { out[r.URI] = r.Generation })
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return out, nil
}
