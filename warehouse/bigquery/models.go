package bigquery

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/models"
	"github.com/clickstream-platform/clickstream/warehouse"
)

// dialect spells the models' SQL in GoogleSQL.
type dialect struct{ b *Warehouse }

var _ models.Dialect = dialect{}

func (x dialect) FailedRuns() string {
	return warehouse.FailedRunsSQL(x.Table(warehouse.RunsTable), x.String)
}
func (x dialect) Table(name string) string {
	if t, ok := models.Lookup(name); ok {
		return x.b.sqlName(t)
	}
	t, _ := warehouse.LookupTable(name)
	return x.b.sqlName(t)
}
func (dialect) String(s string) string { return bqString(s) }
func (dialect) Float() string          { return "FLOAT64" }
func (dialect) FirstBy(v string, last bool, order ...string) string {
	dir := ""
	if last {
		dir = " DESC"
	}
	return fmt.Sprintf("ARRAY_AGG(%s IGNORE NULLS ORDER BY %s LIMIT 1)[SAFE_OFFSET(0)]", v, strings.Join(order, dir+", ")+dir)
}
func (dialect) Decimal() string           { return "NUMERIC" }
func (dialect) SHA256Hex(e string) string { return "TO_HEX(SHA256(" + e + "))" }
func (dialect) RFC3339Micro(e string) string {
	return "FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%E6SZ', " + e + ", 'UTC')"
}
func (dialect) MicrosBetween(from, to string) string {
	return "TIMESTAMP_DIFF(" + to + ", " + from + ", MICROSECOND)"
}
func (dialect) AddMicros(e string, n int64) string {
	return "TIMESTAMP_ADD(" + e + ", INTERVAL " + strconv.FormatInt(n, 10) + " MICROSECOND)"
}
func (dialect) Struct(kv ...string) string {
	parts := make([]string, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		parts = append(parts, kv[i+1]+" AS "+bqIdent(kv[i]))
	}
	return "STRUCT(" + strings.Join(parts, ", ") + ")"
}

// EmptyRevenue is an empty array typed as user_sessions.revenue, so that
// COALESCE finds one type for it and the aggregated revenue.
func (dialect) EmptyRevenue() string {
	t, _ := models.Lookup(models.UserSessions)
	for _, f := range t.Fields {
		if f.Name == "revenue" {
			parts := make([]string, len(f.Fields))
			for i, sub := range f.Fields {
				parts[i] = bqIdent(sub.Name) + " " + sqlType(sub.Type)
			}
			return "ARRAY<STRUCT<" + strings.Join(parts, ", ") + ">>[]"
		}
	}
	panic("models: user_sessions has no revenue") // the schema is a constant
}
func (dialect) Days(from, to string) string {
	return "UNNEST(GENERATE_DATE_ARRAY(" + from + ", " + to + ")) AS d"
}

// TempTable is a temporary table of the build's script: it lives until the
// script ends, so each is created once.
func (dialect) TempTable(name, query string) string {
	return "CREATE TEMP TABLE " + name + " AS\n" + query
}

// SetBound sets the script variable name (the script declares
// models.Bounds() first).
func (dialect) SetBound(name, query string) string { return "SET " + name + " = (" + query + ")" }
func (dialect) Bound(name string) string           { return name }

// sqlType spells a scalar column type in GoogleSQL.
func sqlType(t clickstream.FieldType) string {
	switch t {
	case clickstream.Integer:
		return "INT64"
	case clickstream.Float:
		return "FLOAT64"
	}
	return string(t)
}

// modelTables are the tables a build uses besides clickstream.Tables():
// the derived ones and the changes the lake's loads record.
func modelTables() []clickstream.Table { return append(models.Tables(), models.ChangesSchema()) }

// keysVar is the script variable a data test's keys are gathered in.
const keysVar = "clickstream_keys"

// BuildModels builds the derived tables (package models) with one
// multi-statement query: BEGIN TRANSACTION, the build's statements, the
// data tests, the removal of the changes built for (models.Done, for a
// run), COMMIT TRANSACTION; a failure anywhere rolls it all back, so a
// failed build, a data test's included, leaves the tables as they were and
// the changes pending.
//
// A run's build first reads, in one query, the changes pending
// (models.PendingCount) and whether to rebuild (models.RebuildInstead):
// with no change it runs nothing more (nothing to rebuild or test); never
// built, it rebuilds (models.Rebuild), since an incremental build would
// derive from the changed users' events only, and so it does when the
// changes name most objects; otherwise it builds incrementally (models.Incremental), with the
// bounds its statements filter the partitioning columns by as script
// variables (see [Warehouse], Models). req.Rebuild rebuilds.
//
// Each data test (models.DataTests: a rebuild's over every day, an
// incremental build's over the days, users and objects it changed) gathers
// its keys, at most five, in a variable and ASSERTs there are none: a test
// that finds keys raises an error whose message names it and its keys
// (ERROR, evaluated only then), which BuildModels returns wrapping
// warehouse.ErrDataTest. The script is a job of id
// clickstream_<run>_models_build_a<attempt>_<hash>, the hash covering the
// script, retried on contention as a load's write is (build-r2, ...); then
// a query reads the derived tables' row counts (COUNT(*), free).
// BytesProcessed is what the script's job processed.
func (b *Warehouse) BuildModels(ctx context.Context, req warehouse.ModelsRequest) (warehouse.ModelsResult, error) {
	res, err := b.buildModels(ctx, req)
	if err != nil {
		return warehouse.ModelsResult{}, fmt.Errorf("building the models: %w", err)
	}
	return res, nil
}

func (b *Warehouse) buildModels(ctx context.Context, req warehouse.ModelsRequest) (warehouse.ModelsResult, error) {
	res := warehouse.ModelsResult{Rows: map[string]int64{}}
	if req.RunID == "" && !req.Rebuild {
		return res, errors.New("a run id is required unless rebuilding")
	}
	gap := cmp.Or(req.Gap, models.DefaultGap)
	x := dialect{b}
	if err := b.ensureModelTables(ctx); err != nil {
		return res, err
	}
	rebuild := req.Rebuild
	if !rebuild {
		var err error
		var unbuilt bool
		if res.Changes, unbuilt, err = b.pendingChanges(ctx, x, req.RunID); err != nil {
			return res, err
		}
		if res.Changes == 0 && !unbuilt {
			return res, b.countModels(ctx, res.Rows)
		}
		rebuild = unbuilt
	}
	res.Rebuilt = rebuild
	script, tests := modelsScript(x, req.RunID, rebuild, gap)
	res.Tests = len(tests)
	run := req.RunID
	if run == "" {
		run = "rebuild_" + uniqueID() // a rebuild of no run: a job of its own each call
	}
	prefix := "clickstream_" + sanitizeID(run, true, maxRunIDBytes) + "_models"
	hash := digest(b.project, b.lake, b.dw, run, strconv.Itoa(int(req.Attempt)), script)
	err := b.retryContention(ctx, func(try int) error {
		step := "build"
		if try > 1 {
			step = fmt.Sprintf("build-r%d", try)
		}
		job, err := b.runQuery(ctx, fmt.Sprintf("%s_%s_a%d_%s", prefix, step, req.Attempt, hash), script)
		if err != nil {
			return err
		}
		res.BytesProcessed += bytesProcessed(job)
		return nil
	})
	if err != nil {
		if dt := dataTestError(err, tests); dt != nil {
			return res, dt
		}
		return res, err
	}
	return res, b.countModels(ctx, res.Rows)
}

// ensureModelTables creates the tables a build reads and writes where
// missing, and checks those there (see EnsureTables).
func (b *Warehouse) ensureModelTables(ctx context.Context) error {
	if err := b.ensureDatasets(ctx, b.lake, b.dw); err != nil {
		return err
	}
	for _, t := range append(clickstream.Tables(), modelTables()...) {
		if err := b.ensureTable(ctx, t); err != nil {
			return err
		}
	}
	return b.ensureRunsTable(ctx)
}

// pendingChanges reads, in one query, the changes a run's build would
// rebuild for and whether to rebuild instead (models.RebuildInstead).
func (b *Warehouse) pendingChanges(ctx context.Context, x dialect, runID string) (int64, bool, error) {
	type row struct {
		Changes int64 `bigquery:"changes"`
		Rebuild bool  `bigquery:"rebuild"`
	}
	var r row
	sql := fmt.Sprintf("SELECT (%s) AS changes, (%s) AS rebuild", models.PendingCount(x, runID), models.RebuildInstead(x, runID))
	if err := readRows(ctx, b, sql, nil, func(got row) { r = got }); err != nil {
		return 0, false, fmt.Errorf("reading the changes pending: %w", err)
	}
	return r.Changes, r.Rebuild, nil
}

// countModels reads the derived tables' row counts into rows.
func (b *Warehouse) countModels(ctx context.Context, rows map[string]int64) error {
	var parts []string
	for _, t := range models.Tables() {
		parts = append(parts, fmt.Sprintf("SELECT %s AS table_name, COUNT(*) AS row_count FROM %s", bqString(t.Name), b.sqlName(t)))
	}
	type row struct {
		Table string `bigquery:"table_name"`
		Rows  int64  `bigquery:"row_count"`
	}
	err := readRows(ctx, b, strings.Join(parts, "\nUNION ALL\n"), nil, func(r row) { rows[r.Table] = r.Rows })
	if err != nil {
		return fmt.Errorf("counting the derived tables' rows: %w", err)
	}
	return nil
}

// modelsScript is the build's script and the data tests it runs: the
// DECLAREs of its variables, then one transaction of the build's
// statements, each after a comment saying what it does, the data tests and,
// for a run, the removal of its changes.
func modelsScript(x dialect, runID string, rebuild bool, gap time.Duration) (string, []models.DataTest) {
	var b strings.Builder
	stmts := models.Rebuild(x, gap)
	scope := ""
	if !rebuild {
		stmts = models.Incremental(x, runID, gap)
		scope = runID
		fmt.Fprintf(&b, "DECLARE %s TIMESTAMP;\n", strings.Join(models.Bounds(), ", "))
	}
	tests := models.DataTests(x, scope)
	fmt.Fprintf(&b, "DECLARE %s STRING;\n", keysVar)
	b.WriteString("BEGIN TRANSACTION;\n")
	for _, s := range stmts {
		fmt.Fprintf(&b, "-- %s\n%s;\n", s.What, s.SQL)
	}
	for _, t := range tests {
		b.WriteString(assertSQL(t))
	}
	if runID != "" {
		done := models.Done(x, runID)
		fmt.Fprintf(&b, "-- %s\n%s;\n", done.What, done.SQL)
	}
	b.WriteString("COMMIT TRANSACTION;")
	return b.String(), tests
}

// assertSQL runs a data test in the script: its keys, at most five, are
// gathered in keysVar, and the ASSERT that there are none fails, with
// BigQuery's ERROR, evaluated only when there are, by an error whose
// message names the test and gives its keys (an ASSERT's own description
// must be a literal, which could not hold them).
func assertSQL(t models.DataTest) string {
	return fmt.Sprintf("-- data test: %s\nSET %s = (SELECT STRING_AGG(COALESCE(k, 'NULL'), ', ') FROM (\n%s\n) AS t);\n"+
		"ASSERT IF(%s IS NULL, TRUE, ERROR(CONCAT(%s, %s, '}'))) AS %s;\n",
		t.Name, keysVar, t.SQL, keysVar, bqString(dataTestMarker(t.Name)+", e.g. {"), keysVar, bqString(dataTestMarker(t.Name)))
}

// dataTestMarker is what the error of a failed data test says.
func dataTestMarker(name string) string { return "data test [" + name + "] failed" }

var dataTestKeysRE = regexp.MustCompile(`failed, e\.g\. \{([^}]*)\}`)

// dataTestError is, when err says one of tests failed, an error wrapping
// warehouse.ErrDataTest that names the test and its keys; nil otherwise.
func dataTestError(err error, tests []models.DataTest) error {
	message := err.Error() // the job's error result and its other errors
	for _, t := range tests {
		if !strings.Contains(message, dataTestMarker(t.Name)) {
			continue
		}
		keys := "keys not given"
		if m := dataTestKeysRE.FindStringSubmatch(message); m != nil {
			keys = m[1]
		}
		return fmt.Errorf("%w: %q, e.g. %s (BigQuery: %s)", warehouse.ErrDataTest, t.Name, keys, message)
	}
	return nil
}
