package activities

import (
	"context"
	"fmt"
	"strings"

	"go.temporal.io/sdk/activity"

	"github.com/clickstream-platform/clickstream/blob"
	"github.com/clickstream-platform/clickstream/location"
	"github.com/clickstream-platform/clickstream/staging"
	"github.com/clickstream-platform/clickstream/warehouse"
	"github.com/clickstream-platform/clickstream/warehouse/bigquery"
)

// ExportInput asks to export a bq:// source into the run's staging folder.
type ExportInput struct {
	RunID  string `json:"run_id"`
	Source string `json:"source"` // bq://project.dataset.table[?from=&to=]
}

// ExportResult is where the export went: a source the run then lists.
type ExportResult struct {
	URI   string `json:"uri"`
	Files int64  `json:"files"`
	Rows  int64  `json:"rows"`
	// Slice is the rows the run then loads: those read from the export's
	// folder, which no other run writes.
	Slice warehouse.Slice `json:"slice"`
}

// Exporter writes a BigQuery table to Cloud Storage as session JSONL; the
// BigQuery warehouse is one.
type Exporter interface {
	Extract(ctx context.Context, req bigquery.ExtractRequest) (bigquery.ExtractResult, error)
}

// GA4Exporter writes days of a GA4 property's BigQuery export to Cloud
// Storage as JSON; the BigQuery warehouse is one.
type GA4Exporter interface {
	ExportGA4(ctx context.Context, req bigquery.GA4ExportRequest) (bigquery.ExtractResult, error)
}

// Export is the extract step for a BigQuery source: it exports the table,
// e.g. the lake's visits, to staging/<run>/export/a<attempt>/, which the run
// then transforms like any other input. Each attempt runs an export job of
// its own into a folder of its own (see bigquery.ExtractRequest.Attempt):
// a retry after a transient failure runs again instead of re-attaching to
// the failed job, and the run reads the successful attempt's folder alone.
// Its first use: rebuilding the warehouse from the lake.
func (a *Activities) Export(ctx context.Context, in ExportInput) (ExportResult, error) {
	src, err := location.Parse(in.Source)
	if err == nil && src.Scheme != location.BigQuery {
		err = fmt.Errorf("%q is not a bq://project.dataset.table", in.Source)
	}
	if err != nil {
		return ExportResult{}, classify(configError("source: %v", err))
	}
	dest := staging.ExportFolder(a.Staging.URI(), in.RunID)
	if src.Table.GA4() {
		return a.exportGA4(ctx, in, src.Table, dest)
	}
	ex, ok := a.Warehouse.(Exporter)
	if !ok {
		return ExportResult{}, classify(configError("source %s: a bq:// source needs warehouse.kind bigquery", in.Source))
	}
	where, err := bigquery.ExtractDaysWhere(src.Table.From, src.Table.To)
	if err != nil {
		return ExportResult{}, classify(configError("source %s: %v", in.Source, err))
	}
	if location.SchemeOf(dest) != location.GCS {
		return ExportResult{}, classify(configError("source %s: exporting needs a gs:// staging.uri, got %s", in.Source, a.Staging.URI()))
	}
	stop := keepAlive(ctx)
	defer stop()
	res, err := ex.Extract(ctx, bigquery.ExtractRequest{Table: src.Table.ID(), Where: where, DestinationURI: dest + "/", JobID: in.RunID,
		Attempt: activity.GetInfo(ctx).Attempt})
	if err != nil {
		return ExportResult{}, classify(fmt.Errorf("exporting %s: %w", src.Table.ID(), err))
	}
	dest = strings.TrimSuffix(res.URI, "/")
	return ExportResult{URI: dest, Files: res.Files, Rows: res.Rows, Slice: warehouse.Slice{Prefixes: []string{blob.Join(dest, "")}}}, nil
}

// exportGA4 exports the days of a GA4 property's export that t names
// (events_* with from, to, limit, intraday) to dest, as JSON the GA4
// transform reads.
func (a *Activities) exportGA4(ctx context.Context, in ExportInput, t location.Table, dest string) (ExportResult, error) {
	ex, ok := a.Warehouse.(GA4Exporter)
	if !ok {
		return ExportResult{}, classify(configError("source %s: a bq:// source needs warehouse.kind bigquery", in.Source))
	}
	if location.SchemeOf(dest) != location.GCS {
		return ExportResult{}, classify(configError("source %s: exporting needs a gs:// staging.uri, got %s", in.Source, a.Staging.URI()))
	}
	stop := keepAlive(ctx)
	defer stop()
	res, err := ex.ExportGA4(ctx, bigquery.GA4ExportRequest{Tables: t.ID(), From: t.From, To: t.To, Limit: t.Limit,
		Intraday: t.Intraday, DestinationURI: dest + "/", JobID: in.RunID, Attempt: activity.GetInfo(ctx).Attempt})
	if err != nil {
		return ExportResult{}, classify(fmt.Errorf("exporting %s: %w", t.ID(), err))
	}
	dest = strings.TrimSuffix(res.URI, "/")
	return ExportResult{URI: dest, Files: res.Files, Rows: res.Rows, Slice: warehouse.Slice{Prefixes: []string{blob.Join(dest, "")}}}, nil
}
