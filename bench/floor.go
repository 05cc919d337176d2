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
	"path/filepath"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/spf13/cobra"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/warehouse"
)

// floorResult is what `bench floor` prints: one JSON object.
type floorResult struct {
	// Seconds is writing the five tables from memory into the fresh
	// database and checkpointing it: the least any load of those rows
	// into DuckDB's storage can take.
	Seconds float64 `json:"floor_s"`
	// Tables is each table's CREATE TABLE AS, in seconds.
	Tables map[string]float64 `json:"tables_s"`
	// CheckpointSeconds is the final checkpoint's part of Seconds.
	CheckpointSeconds float64          `json:"checkpoint_s"`
	Rows              map[string]int64 `json:"rows"`
	// Staged is DuckDB's own CREATE TABLE AS over the run's staged
	// Parquet files, nil when they are not Parquet.
	Staged *stagedFloor `json:"staged,omitempty"`
}

// stagedFloor is the least a load from the staged files can take: each
// table written by DuckDB from the run's staged Parquet files as they are
// (read_parquet, every copy, no dedup, no checks) into a fresh file, then
// a checkpoint.
type stagedFloor struct {
	Seconds float64            `json:"floor_s"`
	Tables  map[string]float64 `json:"tables_s"`
	Rows    map[string]int64   `json:"rows"`
}

// newFloorCmd is the engine's floor for the load, in a process of its own
// like the reference: the tables a pipeline run loaded, copied into memory
// (not timed), then written by DuckDB into a fresh file (timed).
func newFloorCmd() *cobra.Command {
	var from, db, staged string
	cmd := &cobra.Command{
		Use:    "floor --from WAREHOUSE --db FILE",
		Short:  "DuckDB writing a warehouse's five tables from memory, for the bench",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from == "" || db == "" {
				return errors.New("--from and --db are required")
			}
			res, err := runFloorSQL(cmd.Context(), from, db)
			if err != nil {
				return err
			}
			if staged != "" {
				if res.Staged, err = runStagedFloorSQL(cmd.Context(), staged, db+".staged"); err != nil {
					return err
				}
			}
			return json.NewEncoder(cmd.OutOrStdout()).Encode(res)
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "DuckDB warehouse whose tables to copy (read only)")
	cmd.Flags().StringVar(&db, "db", "", "DuckDB file to create (must not exist)")
	cmd.Flags().StringVar(&staged, "staged", "", "a run's staging folder: also time DuckDB writing its staged Parquet files into FILE.staged")
	return cmd
}

// runFloorSQL copies the five tables of the warehouse file from into memory,
// then times writing them into the fresh file db.
func runFloorSQL(ctx context.Context, from, db string) (floorResult, error) {
	res := floorResult{Tables: map[string]float64{}, Rows: map[string]int64{}}
	c, closeDB, err := openFresh(ctx, db)
	if err != nil {
		return res, err
	}
	defer closeDB()
	tables := clickstream.TablesFor(clickstream.SessionsInput)
	setup := []string{
		"SET TimeZone = 'UTC'",
		"ATTACH '" + strings.ReplaceAll(from, "'", "''") + "' AS src (READ_ONLY)",
		"ATTACH ':memory:' AS mem",
		"CREATE SCHEMA " + warehouse.DefaultLakeDataset,
		"CREATE SCHEMA " + warehouse.DefaultDWDataset,
	}
	for _, t := range tables {
		setup = append(setup, fmt.Sprintf("CREATE TABLE mem.%s AS SELECT * FROM src.%s", t.Name, referenceTable(t)))
	}
	setup = append(setup, "DETACH src")
	for _, stmt := range setup {
		if _, err := c.ExecContext(ctx, stmt); err != nil {
			return res, fmt.Errorf("running %s: %w", firstLine(stmt), err)
		}
	}
	start := time.Now()
	for _, t := range tables {
		began := time.Now()
		stmt := fmt.Sprintf("CREATE TABLE %s AS SELECT * FROM mem.%s", referenceTable(t), t.Name)
		if _, err := c.ExecContext(ctx, stmt); err != nil {
			return res, fmt.Errorf("running %s: %w", stmt, err)
		}
		res.Tables[t.Name] = time.Since(began).Seconds()
	}
	began := time.Now()
	if _, err := c.ExecContext(ctx, "CHECKPOINT"); err != nil {
		return res, fmt.Errorf("checkpointing: %w", err)
	}
	res.CheckpointSeconds = time.Since(began).Seconds()
	res.Seconds = time.Since(start).Seconds()
	for _, t := range tables {
		var n int64
		if err := c.QueryRowContext(ctx, "SELECT count(*) FROM "+referenceTable(t)).Scan(&n); err != nil {
			return res, fmt.Errorf("counting %s: %w", t.Name, err)
		}
		res.Rows[t.Name] = n
	}
	return res, nil
}

// runStagedFloorSQL times DuckDB writing each table from the Parquet files
// a run staged under dir (dir/<table>/*.parquet) into the fresh file db, as
// the load reads them (no insertion order kept), then checkpointing it.
// It returns nil if the run staged no Parquet.
func runStagedFloorSQL(ctx context.Context, dir, db string) (*stagedFloor, error) {
	tables := clickstream.TablesFor(clickstream.SessionsInput)
	files := make(map[string][]string)
	for _, t := range tables {
		m, err := filepath.Glob(filepath.Join(dir, t.Name, "*"+clickstream.Parquet.Ext()))
		if err != nil {
			return nil, err
		}
		files[t.Name] = m
	}
	if len(files[clickstream.VisitsTable]) == 0 {
		return nil, nil
	}
	defer os.Remove(db)
	defer os.Remove(db + ".wal")
	c, closeDB, err := openFresh(ctx, db)
	if err != nil {
		return nil, err
	}
	defer closeDB()
	for _, stmt := range []string{
		"SET TimeZone = 'UTC'",
		"SET preserve_insertion_order = false",
		"CREATE SCHEMA " + warehouse.DefaultLakeDataset,
		"CREATE SCHEMA " + warehouse.DefaultDWDataset,
	} {
		if _, err := c.ExecContext(ctx, stmt); err != nil {
			return nil, fmt.Errorf("running %s: %w", stmt, err)
		}
	}
	res := &stagedFloor{Tables: map[string]float64{}, Rows: map[string]int64{}}
	start := time.Now()
	for _, t := range tables {
		if len(files[t.Name]) == 0 {
			continue
		}
		list := make([]string, len(files[t.Name]))
		for i, f := range files[t.Name] {
			list[i] = "'" + strings.ReplaceAll(f, "'", "''") + "'"
		}
		began := time.Now()
		stmt := fmt.Sprintf("CREATE TABLE %s AS SELECT * FROM read_parquet([%s])", referenceTable(t), strings.Join(list, ", "))
		if _, err := c.ExecContext(ctx, stmt); err != nil {
			return nil, fmt.Errorf("writing %s from its staged files: %w", t.Name, err)
		}
		res.Tables[t.Name] = time.Since(began).Seconds()
	}
	if _, err := c.ExecContext(ctx, "CHECKPOINT"); err != nil {
		return nil, fmt.Errorf("checkpointing: %w", err)
	}
	res.Seconds = time.Since(start).Seconds()
	for t := range res.Tables {
		var n int64
		tt, _ := clickstream.LookupTable(t)
		if err := c.QueryRowContext(ctx, "SELECT count(*) FROM "+referenceTable(tt)).Scan(&n); err != nil {
			return nil, fmt.Errorf("counting %s: %w", t, err)
		}
		res.Rows[t] = n
	}
	return res, nil
}

// openFresh creates the DuckDB file db, which must not exist, and returns a
// connection to it and what closes both.
func openFresh(ctx context.Context, db string) (*sql.Conn, func(), error) {
	if _, err := os.Stat(db); err == nil {
		return nil, nil, fmt.Errorf("%s exists: the floor writes a fresh database", db)
	}
	conn, err := duckdb.NewConnector(db, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("opening %s: %w", db, err)
	}
	sdb := sql.OpenDB(conn)
	c, err := sdb.Conn(ctx)
	if err != nil {
		sdb.Close()
		return nil, nil, err
	}
	return c, func() { c.Close(); sdb.Close() }, nil
}

// runFloor runs `exe floor` on the warehouse file from and, if staged is
// not empty, the staged files under it.
func runFloor(ctx context.Context, exe, from, db, staged string) (floorResult, error) {
	var res floorResult
	args := []string{"floor", "--from", from, "--db", db}
	if staged != "" {
		args = append(args, "--staged", staged)
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = os.Environ()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	os.Remove(db)
	os.Remove(db + ".wal")
	if err != nil {
		return res, fmt.Errorf("the floor failed: %w\n%s", err, strings.TrimSpace(stderr.String()))
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return res, fmt.Errorf("reading the floor's result %q: %w", stdout.String(), err)
	}
	return res, nil
}
