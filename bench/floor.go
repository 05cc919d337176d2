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
}

// newFloorCmd is the engine's floor for the load, in a process of its own
// like the reference: the tables a pipeline run loaded, copied into memory
// (not timed), then written by DuckDB into a fresh file (timed).
func newFloorCmd() *cobra.Command {
	var from, db string
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
			return json.NewEncoder(cmd.OutOrStdout()).Encode(res)
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "DuckDB warehouse whose tables to copy (read only)")
	cmd.Flags().StringVar(&db, "db", "", "DuckDB file to create (must not exist)")
	return cmd
}

// runFloorSQL copies the five tables of the warehouse file from into memory,
// then times writing them into the fresh file db.
func runFloorSQL(ctx context.Context, from, db string) (floorResult, error) {
	res := floorResult{Tables: map[string]float64{}, Rows: map[string]int64{}}
	if _, err := os.Stat(db); err == nil {
		return res, fmt.Errorf("--db %s exists: the floor writes a fresh database", db)
	}
	conn, err := duckdb.NewConnector(db, nil)
	if err != nil {
		return res, fmt.Errorf("opening %s: %w", db, err)
	}
	sdb := sql.OpenDB(conn)
	defer sdb.Close()
	c, err := sdb.Conn(ctx)
	if err != nil {
		return res, err
	}
	defer c.Close()
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

// runFloor runs `exe floor` on the warehouse file from.
func runFloor(ctx context.Context, exe, from, db string) (floorResult, error) {
	var res floorResult
	cmd := exec.CommandContext(ctx, exe, "floor", "--from", from, "--db", db)
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
