// Command starter is the command line of the clickstream platform.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	// Ctrl-C, a closed terminal or a polite kill cancel the command's context,
	// so work in progress stops cleanly (temporary files removed) instead of
	// dying mid-write.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	if err := newRootCmd().ExecuteContext(ctx); err != nil {
		stop()
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "starter",
		Short:         "Run, test and operate the clickstream pipeline",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return fmt.Errorf("%w\nRun '%s --help' for usage", err, cmd.CommandPath())
	})
	root.PersistentFlags().String("config", "", "config file (default: ./clickstream.yaml if present)")
	root.AddCommand(newRunCmd(), newBackfillCmd(), newScheduleCmd(), newStatusCmd(), newRecreateCmd(), newQueryCmd(), newReportCmd(), newModelsCmd(), newGenCmd(), newTransformCmd(), newConfigCmd())
	return root
}
