// Command worker runs the clickstream pipeline's workflows and activities on
// a Temporal task queue. Run as many as needed, on as many machines, against
// the same Temporal cluster and task queue. With --dev it first starts the
// embedded Temporal dev server (with its Web UI) unless one already answers,
// and stops it on exit.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/clickstream-platform/clickstream/app"
	"github.com/clickstream-platform/clickstream/config"
	"github.com/clickstream-platform/clickstream/devserver"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run() error {
	flags := pflag.NewFlagSet("worker", pflag.ContinueOnError)
	flags.Usage = func() {
		fmt.Fprint(os.Stderr, `worker runs the clickstream pipeline's workflows and activities on a Temporal task queue.

Usage:
  worker [--dev] [--config FILE] [--address HOST:PORT] [--task-queue NAME]

Examples:
  go run ./worker --dev     # with the embedded Temporal dev server and Web UI
  go run ./worker           # against temporal.address (CLICKSTREAM_TEMPORAL_ADDRESS)

Flags:
`)
		flags.PrintDefaults()
	}
	file := flags.String("config", "", "config file (default: ./clickstream.yaml if present)")
	dev := flags.Bool("dev", false, "start the embedded Temporal dev server and Web UI if none answers at temporal.address")
	flags.String("task-queue", "", "task queue to poll (config temporal.task_queue)")
	flags.String("address", "", "Temporal frontend host:port (config temporal.address)")
	if err := flags.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("%w\nRun 'worker --help' for usage", err)
	}
	cfg, err := config.Load(config.LoadOptions{File: *file, Flags: flags,
		FlagKeys: map[string]string{"task-queue": "temporal.task_queue", "address": "temporal.address"}})
	if err != nil {
		return fmt.Errorf("loading config: %w", err)
	}
	logger := newLogger(cfg.Log)
	metrics, err := app.ServeMetrics(cfg.Metrics.Address, logger)
	if err != nil {
		return err
	}
	defer metrics.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()

	if *dev && !devserver.Answering(ctx, cfg.Temporal.Address, 2*time.Second) {
		srv, err := app.StartDevServer(ctx, cfg, os.Stderr)
		if err != nil {
			return err
		}
		defer srv.Stop()
		fmt.Fprintf(os.Stderr, "Temporal dev server at %s, Web UI at %s\n", srv.Address(), srv.UIURL())
	}
	c, err := app.Dial(ctx, cfg, logger, metrics.Handler())
	if err != nil {
		return err
	}
	defer c.Close()
	w, err := app.NewWorker(ctx, c, cfg)
	if err != nil {
		return err
	}
	defer w.Close()
	if w.SearchAttributesErr != nil {
		logger.Warn("runs will carry their source, mode and days as memo only", "error", w.SearchAttributesErr)
	}
	logger.Info("worker polling", "task_queue", cfg.Temporal.TaskQueue, "namespace", cfg.Temporal.Namespace,
		"warehouse", cfg.Warehouse.Kind, "source", cfg.Source.URI, "metrics", metrics.URL())
	interrupt := make(chan any)
	go func() {
		<-ctx.Done()
		close(interrupt)
	}()
	return w.Run(interrupt)
}

// newLogger writes records of cfg's level and up to standard error, in cfg's format.
func newLogger(cfg config.Log) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.SlogLevel()}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}
