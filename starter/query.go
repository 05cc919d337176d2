package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

func newQueryCmd() *cobra.Command {
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "query SQL",
		Short: "Query the embedded DuckDB warehouse (read-only)",
		Long: `Query runs one SQL statement against the embedded warehouse (warehouse.duckdb.path),
opened read-only, and prints the rows. The tables are <lake_dataset>.visits and
<dw_dataset>.sessions, pageview_events, addtocart_events and purchase_events; the
audit table <dw_dataset>.pipeline_runs holds one row per run (accounting, rows
added per table, timings). NULL prints as NULL, timestamps in UTC, dates as
YYYY-MM-DD.`,
		Example: `  starter query "SELECT count(*) FROM clickstream_dw.sessions"
  starter query "SELECT date_trunc('month', timestamp) m, count(*) FROM clickstream_dw.pageview_events GROUP BY 1" --json
  starter query "SELECT run_id, mode, finished_at, duration_ms, lines, sessions_added FROM clickstream_dw.pipeline_runs ORDER BY finished_at DESC LIMIT 10"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(cmd, nil)
			if err != nil {
				return err
			}
			db, err := openReadOnly(cfg, "query")
			if err != nil {
				return err
			}
			defer db.Close()
			cols, rows, err := db.Query(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if jsonOut {
				objs := make([]map[string]any, len(rows))
				for i, r := range rows {
					objs[i] = map[string]any{}
					for j, c := range cols {
						objs[i][c] = r[j]
					}
				}
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(objs)
			}
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			for i, c := range cols {
				if i > 0 {
					fmt.Fprint(tw, "\t")
				}
				fmt.Fprint(tw, c)
			}
			fmt.Fprintln(tw)
			for _, r := range rows {
				for i, v := range r {
					if i > 0 {
						fmt.Fprint(tw, "\t")
					}
					fmt.Fprint(tw, formatValue(v))
				}
				fmt.Fprintln(tw)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "(%d rows)\n", len(rows))
			return nil
		},
	}
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print the rows as a JSON array of objects")
	return cmd
}

// formatValue spells a value of a row for the table output: NULL as NULL,
// a timestamp as 2024-01-30 10:00:00.123456Z (UTC, as the warehouse keeps
// it), anything else as fmt prints it.
func formatValue(v any) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case time.Time:
		return v.UTC().Format("2006-01-02 15:04:05.999999Z07:00")
	}
	return fmt.Sprint(v)
}
