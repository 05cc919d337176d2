package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/clickstream-platform/clickstream/config"
	"github.com/clickstream-platform/clickstream/report"
	"github.com/clickstream-platform/clickstream/warehouse/duckdb"
)

func newReportCmd() *cobra.Command {
	var from, to, format, html string
	var limit int
	cmd := &cobra.Command{
		Use:   "report [NAME]",
		Short: "Print a report, or write the HTML report of charts",
		Long: `Report reads the derived tables of the embedded warehouse (warehouse.duckdb.path,
opened read-only), which every run builds after its load:

  ` + strings.Join(reportList(), "\n  ") + `

NAME prints one, as a table (default), CSV or JSON; --from and --to (YYYY-MM-DD, both
included) limit the dated ones. --html FILE writes one self-contained page (no scripts,
nothing fetched) of charts over the same days: events per day by type, the daily funnel,
revenue per currency, the top users and the distribution of user-session lengths.`,
		Example: `  starter report daily_events --from 2024-01-30 --to 2024-02-05
  starter report top_users --limit 10 --format csv
  starter report --html report.html`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := report.ParseRange(from, to)
			if err != nil {
				return err
			}
			if len(args) == 0 && html == "" {
				return fmt.Errorf("name a report (%s) or give --html FILE", strings.Join(report.Names(), ", "))
			}
			var rep report.Report
			if len(args) == 1 {
				var ok bool
				if rep, ok = report.Lookup(args[0]); !ok {
					return fmt.Errorf("no report %q: want one of %s", args[0], strings.Join(report.Names(), ", "))
				}
			}
			cfg, err := loadConfig(cmd, nil)
			if err != nil {
				return err
			}
			db, err := openReadOnly(cfg, "report")
			if err != nil {
				return err
			}
			defer db.Close()
			dw := cfg.Warehouse.DWDataset
			if len(args) == 1 {
				if err := report.Print(cmd.Context(), cmd.OutOrStdout(), db, dw, rep, r, format, limit); err != nil {
					return err
				}
			}
			if html == "" {
				return nil
			}
			page, err := report.Read(cmd.Context(), db, dw, r)
			if err != nil {
				return err
			}
			page.Generated = time.Now()
			b, err := page.HTML()
			if err != nil {
				return err
			}
			if err := os.WriteFile(html, b, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "Wrote %s (%d days, %d KiB): open it in a browser.\n", html, len(page.Days), (len(b)+1023)/1024)
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "first day, YYYY-MM-DD (default: the first with data)")
	cmd.Flags().StringVar(&to, "to", "", "last day, YYYY-MM-DD (default: the last with data)")
	cmd.Flags().StringVar(&format, "format", "table", "output of a named report: "+strings.Join(report.Formats, ", "))
	cmd.Flags().IntVar(&limit, "limit", 20, "rows of the ranked reports (top_users)")
	cmd.Flags().StringVar(&html, "html", "", "write the HTML report of charts to `FILE`")
	return cmd
}

func reportList() []string {
	var out []string
	for _, r := range report.Reports() {
		out = append(out, fmt.Sprintf("%-20s %s", strings.TrimPrefix(r.Name, "report_"), r.Doc))
	}
	return out
}

// openReadOnly opens the embedded warehouse for reading, saying what to do
// when it cannot.
func openReadOnly(cfg config.Config, what string) (*duckdb.Warehouse, error) {
	if cfg.Warehouse.Kind != "duckdb" {
		return nil, fmt.Errorf("%s reads the embedded DuckDB warehouse; warehouse.kind is %s: query the tables in BigQuery (see the README's Derived tables)", what, cfg.Warehouse.Kind)
	}
	db, err := duckdb.Open(duckdb.Options{Path: cfg.Warehouse.DuckDB.Path, ReadOnly: true,
		LakeDataset: cfg.Warehouse.LakeDataset, DWDataset: cfg.Warehouse.DWDataset})
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s does not exist yet: run the pipeline first ('starter run --dev')", cfg.Warehouse.DuckDB.Path)
	}
	return db, err
}
