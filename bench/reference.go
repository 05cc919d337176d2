package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/spf13/cobra"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/harness"
	"github.com/clickstream-platform/clickstream/models"
	"github.com/clickstream-platform/clickstream/warehouse"
	whduckdb "github.com/clickstream-platform/clickstream/warehouse/duckdb"
)

// referenceResult is what `bench reference` prints: one JSON object.
type referenceResult struct {
	// SQLSeconds is from opening the fresh database to the commit of the
	// transaction that created the five tables and the derived ones.
	SQLSeconds float64 `json:"sql_s"`
	// ModelsSeconds is the part of SQLSeconds deriving the models' tables.
	ModelsSeconds float64 `json:"models_s"`
	// CloseSeconds is closing the database after the commit (its checkpoint).
	CloseSeconds float64          `json:"close_s"`
	Rows         map[string]int64 `json:"rows"`
	// PeakRSSBytes is the process's VmHWM at its end; 0 where /proc is not.
	PeakRSSBytes int64  `json:"peak_rss_bytes"`
	Threads      int64  `json:"threads"`
	DuckDB       string `json:"duckdb"`
}

// newReferenceCmd is the bench's reference, in a process of its own so
// that its time and memory are its own: DuckDB's SQL doing the bare
// transform of the files into the five tables.
func newReferenceCmd() *cobra.Command {
	var db string
	var gap time.Duration
	cmd := &cobra.Command{
		Use:    "reference --db FILE INPUT...",
		Short:  "DuckDB's own SQL transform of the inputs, for the bench",
		Hidden: true,
		Args:   cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			if db == "" {
				return errors.New("--db is required")
			}
			res, err := runReferenceSQL(cmd.Context(), db, files, gap)
			if err != nil {
				return err
			}
			return json.NewEncoder(cmd.OutOrStdout()).Encode(res)
		},
	}
	cmd.Flags().StringVar(&db, "db", "", "DuckDB file to create (must not exist)")
	cmd.Flags().DurationVar(&gap, "session-gap", models.DefaultGap, "inactivity that ends a user session (models.session_gap)")
	return cmd
}

// runReferenceSQL creates db and fills its five tables from files.
func runReferenceSQL(ctx context.Context, db string, files []string, gap time.Duration) (referenceResult, error) {
	var res referenceResult
	if _, err := os.Stat(db); err == nil {
		return res, fmt.Errorf("--db %s exists: the reference starts from a fresh database", db)
	}
	start := time.Now()
	conn, err := duckdb.NewConnector(db, nil)
	if err != nil {
		return res, fmt.Errorf("opening %s: %w", db, err)
	}
	sdb := sql.OpenDB(conn)
	closed := false
	defer func() {
		if !closed {
			sdb.Close()
		}
	}()
	c, err := sdb.Conn(ctx)
	if err != nil {
		return res, fmt.Errorf("connecting to %s: %w", db, err)
	}
	defer c.Close()
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("beginning: %w", err)
	}
	for _, stmt := range referenceSQL(files) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			tx.Rollback()
			return res, fmt.Errorf("running %s: %w", firstLine(stmt), err)
		}
	}
	// The pipeline derives user sessions and reports too: so does the
	// reference, with the same SQL (a rebuild, without the data tests).
	models := time.Now()
	for _, stmt := range whduckdb.RebuildModelsSQL(gap) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			tx.Rollback()
			return res, fmt.Errorf("running %s: %w", firstLine(stmt), err)
		}
	}
	res.ModelsSeconds = time.Since(models).Seconds()
	if err := tx.Commit(); err != nil {
		return res, fmt.Errorf("committing: %w", err)
	}
	res.SQLSeconds = time.Since(start).Seconds()

	res.Rows = map[string]int64{}
	for _, t := range clickstream.TablesFor(clickstream.SessionsInput) { // the reference reads session input

		var n int64
		if err := c.QueryRowContext(ctx, "SELECT count(*) FROM "+referenceTable(t)).Scan(&n); err != nil {
			return res, fmt.Errorf("counting %s: %w", t.Name, err)
		}
		res.Rows[t.Name] = n
	}
	if err := c.QueryRowContext(ctx, "SELECT current_setting('threads'), version()").Scan(&res.Threads, &res.DuckDB); err != nil {
		return res, fmt.Errorf("reading the settings: %w", err)
	}
	c.Close()
	closing := time.Now()
	closed = true
	if err := sdb.Close(); err != nil {
		return res, fmt.Errorf("closing %s: %w", db, err)
	}
	res.CloseSeconds = time.Since(closing).Seconds()
	res.PeakRSSBytes, _ = harness.OwnPeakRSS()
	return res, nil
}

func referenceTable(t clickstream.Table) string {
	if t.Dataset == clickstream.Lake {
		return warehouse.DefaultLakeDataset + "." + t.Name
	}
	return warehouse.DefaultDWDataset + "." + t.Name
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}

// referenceColumns is the input's shape for read_json: every field a
// session or event of SPEC.md may have, typed as the tables type them.
const referenceColumns = `{
	session_id: 'VARCHAR', user_id: 'VARCHAR', device_type: 'VARCHAR', geolocation: 'VARCHAR', user_agent: 'VARCHAR',
	events: 'STRUCT(event STRUCT(event_type VARCHAR, "timestamp" TIMESTAMPTZ, details STRUCT(
		page_url VARCHAR, referrer_url VARCHAR, product_id VARCHAR, product_name VARCHAR, category VARCHAR,
		price DOUBLE, quantity BIGINT, order_id VARCHAR, amount DOUBLE, currency VARCHAR,
		items STRUCT(quantity BIGINT, price DOUBLE, category VARCHAR, product_name VARCHAR, product_id VARCHAR)[])))[]'
}`

// referenceSQL is the bare transform in DuckDB's SQL, run in one
// transaction: read_json of the files (newline-delimited, gzip recognised by
// DuckDB) into the lake's visits, with the session key; sessions from it;
// and each event table by unnesting events. No validation (a line DuckDB
// cannot read is skipped), no dedup. The lineage is the file name, a NULL
// source_line (read_json has no line number; numbering the rows would cost a
// sort the pipeline does not pay) and a constant run id; event_id hashes the
// session key, type, timestamp and the table's detail columns.
func referenceSQL(files []string) []string {
	quoted := make([]string, len(files))
	for i, f := range files {
		quoted[i] = "'" + strings.ReplaceAll(f, "'", "''") + "'"
	}
	lake, dw := warehouse.DefaultLakeDataset, warehouse.DefaultDWDataset
	events := func(table, eventType, cols, hashed string) string {
		return fmt.Sprintf(`CREATE TABLE %s.%s AS
SELECT session_key, e.event."timestamp" AS "timestamp", %s,
	sha256(concat_ws('|', session_key, '%s', e.event."timestamp", %s)) AS event_id,
	source_object, source_line, run_id
FROM (SELECT session_key, source_object, source_line, run_id, unnest(events) AS e FROM %s.visits)
WHERE e.event.event_type = '%s'`, dw, table, cols, eventType, hashed, lake, eventType)
	}
	return []string{
		"SET TimeZone = 'UTC'",
		"CREATE SCHEMA " + lake,
		"CREATE SCHEMA " + dw,
		fmt.Sprintf(`CREATE TABLE %s.visits AS
SELECT session_id, user_id, device_type, geolocation, user_agent, events,
	sha256(session_id || ':' || user_id || ':' || device_type) AS session_key,
	filename AS source_object, NULL::BIGINT AS source_line, 'reference' AS run_id
FROM read_json([%s], format = 'newline_delimited', filename = true, hive_partitioning = false,
	ignore_errors = true, columns = %s)`, lake, strings.Join(quoted, ", "), referenceColumns),
		fmt.Sprintf(`CREATE TABLE %s.sessions AS
SELECT session_key, session_id, user_id, user_agent, geolocation, device_type, source_object, source_line, run_id
FROM %s.visits`, dw, lake),
		events(clickstream.PageviewsTable, "page_view",
			`e.event.details.page_url AS page_url, e.event.details.referrer_url AS referrer_url`,
			`page_url, referrer_url`),
		events(clickstream.AddtocartsTable, "add_item_to_cart",
			`e.event.details.product_id AS product_id, e.event.details.product_name AS product_name,
	e.event.details.category AS category, e.event.details.quantity AS quantity, e.event.details.price AS price`,
			`product_id, product_name, category, quantity, price`),
		events(clickstream.PurchasesTable, "purchase",
			`e.event.details.order_id AS order_id, e.event.details.currency AS currency,
	e.event.details.amount AS amount, e.event.details.items AS items`,
			`order_id, currency, amount, items::VARCHAR`),
	}
}

// referenceRun is one run of the reference, measured from outside too.
type referenceRun struct {
	referenceResult
	// ProcessSeconds is the child's whole life, start to exit.
	ProcessSeconds float64
	// SampledRSSBytes is the most of its VmRSS sampled every 50 ms.
	SampledRSSBytes int64
}

// runReference runs `exe reference` on files into a fresh db.
func runReference(ctx context.Context, exe, db string, files []string, gap time.Duration) (referenceRun, error) {
	var run referenceRun
	cmd := exec.CommandContext(ctx, exe, append([]string{"reference", "--db", db, "--session-gap", gap.String(), "--"}, files...)...)
	cmd.Env = os.Environ()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return run, fmt.Errorf("starting the reference (%s reference): %w", exe, err)
	}
	stop := harness.SampleRSS(cmd.Process.Pid, rssEvery)
	err := cmd.Wait()
	run.ProcessSeconds = time.Since(start).Seconds()
	run.SampledRSSBytes = stop().Peak()
	os.Remove(db)
	os.Remove(db + ".wal")
	if err != nil {
		return run, fmt.Errorf("the reference failed: %w\n%s", err, strings.TrimSpace(stderr.String()))
	}
	if err := json.Unmarshal(stdout.Bytes(), &run.referenceResult); err != nil {
		return run, fmt.Errorf("reading the reference's result %q: %w", stdout.String(), err)
	}
	if run.PeakRSSBytes == 0 {
		run.PeakRSSBytes = run.SampledRSSBytes
	}
	return run, nil
}
