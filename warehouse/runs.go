package warehouse

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/pipeline"
)

// RunsTable is the audit table of runs, in the dw dataset: one row per
// recorded run (see [Warehouse.RecordRun]). RecreateTables never drops it.
const RunsTable = "pipeline_runs"

// RunsTableDescription is RunsTable's description (BigQuery) or comment
// (DuckDB).
const RunsTableDescription = "clickstream audit table pipeline_runs: one row per run_id, the summary of a run " +
	"whose checks passed (accounting, rows added, timings). Recreating the tables never drops it."

// Run statuses: a run whose reconcile passed, one that failed (a quality
// gate, an error no retry mended), one cancelled.
const (
	RunSucceeded = "succeeded"
	RunFailed    = "failed"
	RunCancelled = "cancelled"
)

// RunRecord is one run's summary: a row of [RunsTable].
type RunRecord struct {
	// RunID identifies the run: the table's key. Required.
	RunID      string
	WorkflowID string
	Source     string
	Mode       string
	// From and To are the first and last days (YYYY-MM-DD) of a run over a
	// date range. Optional: "" (NULL) when the run was not over one.
	From, To string
	// Status is the run's outcome. Optional: default RunSucceeded.
	Status string
	// ErrorType and Error say why a run failed or was cancelled: the
	// failure's type (QualityError, ConfigError, ...) and its message.
	// Optional: "" (NULL) for a run that succeeded.
	ErrorType, Error string
	// Warnings are what the run warned of (a low volume). Optional.
	Warnings []string
	// Started, TransformDone (every batch transformed), LoadDone (every
	// table loaded) and Finished are the run's milestones. A zero time is
	// unknown: NULL, and so is every duration derived from it. Finished is
	// optional: default the time RecordRun is called.
	Started, TransformDone, LoadDone, Finished time.Time
	// ModelsDone is when the derived tables were built, after LoadDone;
	// zero (NULL) for runs without a models step.
	ModelsDone time.Time
	// Tally is what the run read and counted.
	pipeline.Tally
	// Executions counts the run's workflow executions (continue-as-new).
	Executions int64
	// RowsAdded and Rows are, by table name, what each table of
	// clickstream.Tables() gained in the run and held after it. A table
	// missing from a map is NULL in its column.
	RowsAdded, Rows map[string]int64
	// BytesProcessed is, by table name, what the statements of the table's
	// load read where the warehouse says so (BigQuery); a table missing is
	// NULL.
	BytesProcessed map[string]int64
}

// runColumn is a column of RunsTable and how a record fills it.
type runColumn struct {
	clickstream.Field
	// value returns the column's value in r: nil (NULL), or a string
	// (STRING, and DATE as YYYY-MM-DD), an int64 (INTEGER) or a time.Time
	// (TIMESTAMP).
	value func(r *RunRecord) any
}

// DateType is clickstream.Date: BigQuery's DATE, a day, no time zone. DuckDB names it the
// same. Only RunsTable has such columns.
const DateType = clickstream.Date

// runColumns is the one definition of RunsTable's columns; its DuckDB DDL
// and BigQuery schema are derived from it (see [RunsTableSchema]). Columns
// added later must be NULLABLE: EnsureTables adds them to the table already
// there, whose rows have no value for them.
func runColumns() []runColumn {
	str := func(name, desc string, v func(r *RunRecord) string) runColumn {
		return runColumn{clickstream.Field{Name: name, Type: clickstream.String, Mode: clickstream.Required, Description: desc},
			func(r *RunRecord) any { return v(r) }}
	}
	date := func(name, desc string, v func(r *RunRecord) string) runColumn {
		return runColumn{clickstream.Field{Name: name, Type: DateType, Mode: clickstream.Nullable, Description: desc},
			func(r *RunRecord) any { return nullString(v(r)) }}
	}
	stamp := func(name, desc string, v func(r *RunRecord) time.Time) runColumn {
		return runColumn{clickstream.Field{Name: name, Type: clickstream.Timestamp, Mode: clickstream.Nullable, Description: desc},
			func(r *RunRecord) any { return nullTime(v(r)) }}
	}
	millis := func(name, desc string, from, to func(r *RunRecord) time.Time) runColumn {
		return runColumn{clickstream.Field{Name: name, Type: clickstream.Integer, Mode: clickstream.Nullable, Description: desc},
			func(r *RunRecord) any { return millisBetween(from(r), to(r)) }}
	}
	count := func(name, desc string, v func(r *RunRecord) int64) runColumn {
		return runColumn{clickstream.Field{Name: name, Type: clickstream.Integer, Mode: clickstream.Required, Description: desc},
			func(r *RunRecord) any { return v(r) }}
	}
	started := func(r *RunRecord) time.Time { return r.Started }
	transformed := func(r *RunRecord) time.Time { return r.TransformDone }
	loaded := func(r *RunRecord) time.Time { return r.LoadDone }
	finished := func(r *RunRecord) time.Time { return r.Finished }

	cols := []runColumn{
		str("run_id", "The run (one row per run_id); its staged files are under staging/<run_id>/.", func(r *RunRecord) string { return r.RunID }),
		str("workflow_id", "Temporal workflow id of the run.", func(r *RunRecord) string { return r.WorkflowID }),
		str("source", "Where the run read its input.", func(r *RunRecord) string { return r.Source }),
		str("mode", "Load mode: replace or merge.", func(r *RunRecord) string { return r.Mode }),
		date("from_date", "First day of the run's date range; NULL when it was not over one.", func(r *RunRecord) string { return r.From }),
		date("to_date", "Last day of the run's date range; NULL when it was not over one.", func(r *RunRecord) string { return r.To }),
		str("status", "Outcome of the run: succeeded, failed or cancelled.", func(r *RunRecord) string { return r.Status }),
		stamp("started_at", "When the run started; NULL if unknown.", started),
		stamp("transform_done_at", "When every batch was transformed; NULL if unknown.", transformed),
		stamp("load_done_at", "When every table was loaded; NULL if unknown.", loaded),
		{clickstream.Field{Name: "finished_at", Type: clickstream.Timestamp, Mode: clickstream.Required,
			Description: "When the run was recorded, its checks passed."}, func(r *RunRecord) any { return r.Finished }},
		millis("duration_ms", "finished_at - started_at, in milliseconds.", started, finished),
		millis("transform_ms", "transform_done_at - started_at (listing and transform), in milliseconds.", started, transformed),
		millis("load_ms", "load_done_at - transform_done_at, in milliseconds.", transformed, loaded),
		count("objects", "Input objects read.", func(r *RunRecord) int64 { return int64(r.Objects) }),
		count("bytes", "Input bytes read.", func(r *RunRecord) int64 { return r.Bytes }),
		count("skipped", "Objects listed but not read (markers such as _SUCCESS).", func(r *RunRecord) int64 { return int64(r.Skipped) }),
		count("batches", "Transform batches.", func(r *RunRecord) int64 { return int64(r.Batches) }),
		count("executions", "Workflow executions of the run (continue-as-new).", func(r *RunRecord) int64 { return r.Executions }),
		count("storage_retries", "Requests to the stores that had to be sent again.", func(r *RunRecord) int64 { return r.StorageRetries }),
		count("lines", "Input lines: blank + sessions_valid + sessions_rejected.", func(r *RunRecord) int64 { return r.Accounting.Lines }),
		count("blank", "Blank input lines, skipped.", func(r *RunRecord) int64 { return r.Accounting.Blank }),
		count("sessions_valid", "Valid sessions staged, duplicates included.", func(r *RunRecord) int64 { return r.Accounting.SessionsValid }),
		count("sessions_rejected", "Lines rejected to the dead letter.", func(r *RunRecord) int64 { return r.Accounting.SessionsRejected }),
		count("events_seen", "Events of valid sessions: pageviews + addtocarts + purchases + events_rejected.", func(r *RunRecord) int64 { return r.Accounting.EventsSeen }),
		count("pageviews", "page_view events staged.", func(r *RunRecord) int64 { return r.Accounting.Pageviews }),
		count("addtocarts", "add_item_to_cart events staged.", func(r *RunRecord) int64 { return r.Accounting.Addtocarts }),
		count("purchases", "purchase events staged.", func(r *RunRecord) int64 { return r.Accounting.Purchases }),
		count("events_rejected", "Events rejected to the dead letter.", func(r *RunRecord) int64 { return r.Accounting.EventsRejected }),
		// Added after the table existed: NULLABLE, so that EnsureTables can
		// add them to a table already there.
		{clickstream.Field{Name: "unchanged", Type: clickstream.Integer, Mode: clickstream.Nullable,
			Description: "Input objects listed but not read by a run of only new objects: loaded before at the same generation."},
			func(r *RunRecord) any { return int64(r.Unchanged) }},
		{clickstream.Field{Name: "error_type", Type: clickstream.String, Mode: clickstream.Nullable,
			Description: "Why a run failed or was cancelled: the failure's type (QualityError, ConfigError, SchemaError, ...); NULL when it succeeded."},
			func(r *RunRecord) any { return nullString(r.ErrorType) }},
		{clickstream.Field{Name: "error_message", Type: clickstream.String, Mode: clickstream.Nullable,
			Description: "The failure's message; NULL when the run succeeded."},
			func(r *RunRecord) any { return nullString(r.Error) }},
		{clickstream.Field{Name: "warnings", Type: clickstream.String, Mode: clickstream.Nullable,
			Description: "What the run warned of (a low volume), one warning a line; NULL when none."},
			func(r *RunRecord) any { return nullString(strings.Join(r.Warnings, "\n")) }},
		stamp("models_done_at", "When the derived tables (user_sessions, report_*) were built and tested; NULL for a run without a models step.",
			func(r *RunRecord) time.Time { return r.ModelsDone }),
		millis("models_ms", "models_done_at - load_done_at: the models step and its data tests, in milliseconds.", loaded,
			func(r *RunRecord) time.Time { return r.ModelsDone }),
		{clickstream.Field{Name: "format", Type: clickstream.String, Mode: clickstream.Nullable,
			Description: "Shape of the input lines: sessions or ga4; NULL in runs recorded before GA4 input, which read sessions."},
			func(r *RunRecord) any { return nullString(string(r.Accounting.Format)) }},
	}
	// GA4 input's counters: NULL for session input, which has none.
	for _, c := range []struct {
		name, desc string
		v          func(c *clickstream.Counts) int64
	}{
		{"events_valid", "GA4 input: valid event lines (pageviews + addtocarts + purchases + events_other + events_mapping_rejected).", func(c *clickstream.Counts) int64 { return c.EventsValid }},
		{"events_other", "GA4 input: valid events of other names (session_start, scroll, ...), in ga4_events only.", func(c *clickstream.Counts) int64 { return c.EventsOther }},
		{"events_mapping_rejected", "GA4 input: valid events whose star-schema mapping was rejected (kept in ga4_events, dead-lettered).", func(c *clickstream.Counts) int64 { return c.EventsMappingRejected }},
		{"addtocart_rows", "GA4 input: addtocart_events rows staged, one per item of the add_to_cart events.", func(c *clickstream.Counts) int64 { return c.AddtocartRows }},
	} {
		cols = append(cols, runColumn{clickstream.Field{Name: c.name, Type: clickstream.Integer, Mode: clickstream.Nullable, Description: c.desc},
			func(r *RunRecord) any {
				if r.Accounting.Format != clickstream.GA4Input {
					return nil
				}
				return c.v(&r.Accounting)
			}})
	}
	for _, t := range clickstream.Tables() {
		name := t.Name
		cols = append(cols,
			runColumn{clickstream.Field{Name: name + "_added", Type: clickstream.Integer, Mode: clickstream.Nullable,
				Description: fmt.Sprintf("Rows %s gained in the run (negative when a replace shrank it); NULL if not recorded.", name)},
				func(r *RunRecord) any { return nullCount(r.RowsAdded, name) }},
			runColumn{clickstream.Field{Name: name + "_rows", Type: clickstream.Integer, Mode: clickstream.Nullable,
				Description: fmt.Sprintf("Rows %s held after the run; NULL if not recorded.", name)},
				func(r *RunRecord) any { return nullCount(r.Rows, name) }},
		)
	}
	for _, t := range clickstream.Tables() {
		name := t.Name
		cols = append(cols, runColumn{clickstream.Field{Name: name + "_bytes_processed", Type: clickstream.Integer, Mode: clickstream.Nullable,
			Description: fmt.Sprintf("Bytes the statements of the load of %s processed (BigQuery bills by them); NULL where the warehouse does not say.", name)},
			func(r *RunRecord) any { return nullCount(r.BytesProcessed, name) }})
	}
	return cols
}

// RunsTableSchema returns the definition of [RunsTable]: a table of the dw
// dataset keyed by run_id, neither partitioned nor clustered. Its columns
// are the record's fields, a column per counter of clickstream.Counts, and
// <table>_added and <table>_rows for every table of clickstream.Tables().
func RunsTableSchema() clickstream.Table {
	cols := runColumns()
	fields := make([]clickstream.Field, len(cols))
	for i, c := range cols {
		fields[i] = c.Field
	}
	return clickstream.Table{Name: RunsTable, Dataset: clickstream.Warehouse, Key: "run_id", Fields: fields}
}

// LookupTable returns a clickstream table, RunsTable or LedgerTable, by
// name.
func LookupTable(name string) (clickstream.Table, bool) {
	switch name {
	case RunsTable:
		return RunsTableSchema(), true
	case LedgerTable:
		return LedgerSchema(), true
	}
	return clickstream.LookupTable(name)
}

// RunValues checks r, fills its defaults (Status, Finished), and returns
// the values of its columns in the order of RunsTableSchema().Fields: nil
// (NULL), or a string (STRING, and DATE as YYYY-MM-DD), an int64 (INTEGER)
// or a time.Time (TIMESTAMP). A date that is not YYYY-MM-DD is an error
// wrapping ErrSchema: it does not fit the table.
func RunValues(r RunRecord) ([]any, error) {
	if r.RunID == "" {
		return nil, errors.New("RunID is required: it is the table's key")
	}
	for _, d := range []struct{ name, day string }{{"From", r.From}, {"To", r.To}} {
		if d.day == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, d.day); err != nil {
			return nil, fmt.Errorf("%w: %s %q is not a date YYYY-MM-DD", ErrSchema, d.name, d.day)
		}
	}
	if r.Status == "" {
		r.Status = RunSucceeded
	}
	if r.Finished.IsZero() {
		r.Finished = time.Now()
	}
	cols := runColumns()
	vals := make([]any, len(cols))
	for i, c := range cols {
		vals[i] = c.value(&r)
	}
	return vals, nil
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

func nullCount(m map[string]int64, table string) any {
	if n, ok := m[table]; ok {
		return n
	}
	return nil
}

// millisBetween is to - from in whole milliseconds, nil if either is unknown.
func millisBetween(from, to time.Time) any {
	if from.IsZero() || to.IsZero() {
		return nil
	}
	return to.Sub(from).Milliseconds()
}

// ColumnSpec is a column of an existing table or of a schema, as
// [CompareRunsColumns] compares them.
type ColumnSpec struct {
	Name     string
	Spelled  string // name, type and mode, as errors show it
	Nullable bool
}

// CompareRunsColumns compares the columns of the audit table as it exists
// (have) with those of its schema (want) by name, not position, since
// columns added to a table come last. It returns the indexes of want's
// columns the table lacks and can be given (NULLABLE ones). Differences
// adding columns cannot mend (a column of another type or mode, a REQUIRED
// column missing) are an error wrapping ErrSchema that names table and
// lists them: the table keeps the history of runs, so it is never dropped
// and must be altered by hand. Columns the table has beyond want are left
// alone.
func CompareRunsColumns(table string, have, want []ColumnSpec) (missing []int, err error) {
	byName := make(map[string]string, len(have))
	for _, c := range have {
		byName[c.Name] = c.Spelled
	}
	var diffs []string
	for i, w := range want {
		h, ok := byName[w.Name]
		switch {
		case !ok && w.Nullable:
			missing = append(missing, i)
		case !ok:
			diffs = append(diffs, fmt.Sprintf("column %s missing", w.Spelled))
		case h != w.Spelled:
			diffs = append(diffs, fmt.Sprintf("column %s, want %s", h, w.Spelled))
		}
	}
	if len(diffs) > 0 {
		return nil, fmt.Errorf("%w: table %s differs from the schema (%s); it keeps the history of runs, so recreate "+
			"leaves it alone: alter it by hand", ErrSchema, table, strings.Join(diffs, "; "))
	}
	return missing, nil
}

// FailedRunsSQL is a query of the run_id of the runs of table (RunsTable, as
// the warehouse names it) that failed or were cancelled, quote spelling a
// string literal.
func FailedRunsSQL(table string, quote func(string) string) string {
	return fmt.Sprintf("SELECT run_id FROM %s WHERE status IN (%s, %s)", table, quote(RunFailed), quote(RunCancelled))
}
