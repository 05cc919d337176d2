package warehousetest

import (
	"strings"
	"time"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/pipeline"
	"github.com/clickstream-platform/clickstream/warehouse"
)

// SampleRun is a run over a date range with every field set.
func SampleRun(id string) warehouse.RunRecord {
	start := time.Date(2024, 2, 1, 10, 0, 0, 0, time.UTC)
	rows, added := map[string]int64{}, map[string]int64{}
	for i, t := range clickstream.Tables() {
		rows[t.Name], added[t.Name] = int64(1000+i), int64(-i) // replace can shrink a table
	}
	return warehouse.RunRecord{Tally: pipeline.Tally{Objects: 12, Bytes: 34567, Skipped: 1, Batches: 6, StorageRetries: 3, Accounting: clickstream.Counts{Lines: 100, Blank: 2, SessionsValid: 90, SessionsRejected: 8,
		EventsSeen: 300, Pageviews: 200, Addtocarts: 60, Purchases: 30, EventsRejected: 10}}, RunID: id, WorkflowID: "clickstream-merge-abc", Source: "bq://p.clickstream_lake.visits?from=2024-01-30&to=2024-02-01", Mode: "merge", From: "2024-01-30", To: "2024-02-01", Started: start, TransformDone: start.Add(90*time.Second + 250*time.Millisecond), LoadDone: start.Add(2 * time.Minute), ModelsDone: start.Add(2*time.Minute + 3*time.Second), Finished: start.Add(2*time.Minute + 5*time.Second + 123456*time.Microsecond), Executions: 2, Rows: rows, RowsAdded: added}
}

// RunRow is the row of a record as DuckDB's Query gives it, by column:
// nil for NULL, DATE as YYYY-MM-DD, TIMESTAMP as time.Time in UTC. It is
// written apart from the warehouse's own mapping so that each checks the
// other.
func RunRow(r warehouse.RunRecord) map[string]any {
	orNil := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	at := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t.UTC()
	}
	ms := func(from, to time.Time) any {
		if from.IsZero() || to.IsZero() {
			return nil
		}
		return to.Sub(from).Milliseconds()
	}
	status := r.Status
	if status == "" {
		status = warehouse.RunSucceeded
	}
	c := r.Accounting
	row := map[string]any{
		"run_id": r.RunID, "workflow_id": r.WorkflowID, "source": r.Source, "mode": r.Mode,
		"from_date": orNil(r.From), "to_date": orNil(r.To), "status": status,
		"started_at": at(r.Started), "transform_done_at": at(r.TransformDone), "load_done_at": at(r.LoadDone),
		"finished_at": at(r.Finished), "duration_ms": ms(r.Started, r.Finished),
		"transform_ms": ms(r.Started, r.TransformDone), "load_ms": ms(r.TransformDone, r.LoadDone),
		"objects": int64(r.Objects), "bytes": r.Bytes, "skipped": int64(r.Skipped), "batches": int64(r.Batches),
		"executions": r.Executions, "storage_retries": r.StorageRetries,
		"lines": c.Lines, "blank": c.Blank, "sessions_valid": c.SessionsValid, "sessions_rejected": c.SessionsRejected,
		"events_seen": c.EventsSeen, "pageviews": c.Pageviews, "addtocarts": c.Addtocarts, "purchases": c.Purchases,
		"events_rejected": c.EventsRejected, "unchanged": int64(r.Unchanged),
		"error_type": orNil(r.ErrorType), "error_message": orNil(r.Error), "warnings": orNil(strings.Join(r.Warnings, "\n")),
		"models_done_at": at(r.ModelsDone), "models_ms": ms(r.LoadDone, r.ModelsDone),
		"format":       orNil(string(c.Format)),
		"events_valid": nil, "events_other": nil, "events_mapping_rejected": nil, "addtocart_rows": nil,
	}
	if c.Format == clickstream.GA4Input {
		row["events_valid"], row["events_other"] = c.EventsValid, c.EventsOther
		row["events_mapping_rejected"], row["addtocart_rows"] = c.EventsMappingRejected, c.AddtocartRows
	}
	for _, t := range clickstream.Tables() {
		row[t.Name+"_added"], row[t.Name+"_rows"] = nil, nil
		if n, ok := r.RowsAdded[t.Name]; ok {
			row[t.Name+"_added"] = n
		}
		if n, ok := r.Rows[t.Name]; ok {
			row[t.Name+"_rows"] = n
		}
		row[t.Name+"_bytes_processed"] = nil
		if n, ok := r.BytesProcessed[t.Name]; ok {
			row[t.Name+"_bytes_processed"] = n
		}
	}
	return row
}
