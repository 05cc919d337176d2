package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/clickstream-platform/clickstream/activities"
	"github.com/clickstream-platform/clickstream/app"
	"github.com/clickstream-platform/clickstream/workflows"
)

func newModelsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "models",
		Short: "Manage the derived tables (user_sessions, report_*)",
		Long: `Every run builds the derived tables for what it changed, after its load. 'models rebuild'
builds all of them again from the warehouse tables.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	var dev bool
	rebuild := &cobra.Command{
		Use:   "rebuild",
		Short: "Build every derived table again (RebuildModelsWorkflow)",
		Long: `Rebuild starts RebuildModelsWorkflow and waits: user_sessions and the report_* tables are
emptied and built again from sessions and the event tables, with the workers'
models.session_gap, and the data tests run on all of them; in one transaction, so
readers see the old tables or the new. Run it after changing models.session_gap
(restart the workers first, so that they read it).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, nil)
			if err != nil {
				return err
			}
			return withTemporal(cmd, cfg, dev, func(ctx context.Context, c client.Client, _ string) error {
				run, _, err := startOrAttach(ctx, c, client.StartWorkflowOptions{ID: "clickstream-rebuild-models", TaskQueue: cfg.Temporal.TaskQueue},
					workflows.RebuildModelsWorkflow, workflows.RebuildModelsInput{})
				if err != nil {
					return err
				}
				var res activities.ModelsResult
				if err := run.Get(ctx, &res); err != nil {
					return fmt.Errorf("rebuilding the derived tables failed: %s", app.RootCause(err))
				}
				var parts []string
				for _, name := range slices.Sorted(maps.Keys(res.Rows)) {
					parts = append(parts, fmt.Sprintf("%s %d", name, res.Rows[name]))
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Rebuilt the derived tables with a session gap of %s in %s, %d data tests passed: %s rows.\n",
					res.Gap, res.Duration.Round(time.Millisecond), res.Tests, strings.Join(parts, ", "))
				return nil
			})
		},
	}
	rebuild.Flags().BoolVar(&dev, "dev", false, "start the embedded Temporal dev server if needed and run a worker in this process")
	cmd.AddCommand(rebuild)
	return cmd
}
