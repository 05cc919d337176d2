// Package app wires the configuration to the pipeline: the stores, the
// warehouse, the activities, a Temporal client and worker, and the embedded
// dev server. The worker's main and the starter's --dev mode both use it, so
// a run behaves the same whichever process hosts the worker.
package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/clickstream-platform/clickstream/activities"
	"github.com/clickstream-platform/clickstream/config"
	"github.com/clickstream-platform/clickstream/devserver"
	"github.com/clickstream-platform/clickstream/pipeline"
	"github.com/clickstream-platform/clickstream/warehouse"
	"github.com/clickstream-platform/clickstream/warehouse/bigquery"
	"github.com/clickstream-platform/clickstream/warehouse/duckdb"
	"github.com/clickstream-platform/clickstream/workflows"
)

// OpenWarehouse opens the configured warehouse; the DuckDB warehouse reads
// staged files in buckets through stores.
func OpenWarehouse(ctx context.Context, cfg config.Config, stores *Stores) (warehouse.Warehouse, error) {
	switch cfg.Warehouse.Kind {
	case "duckdb":
		return duckdb.Open(duckdb.Options{
			Path: cfg.Warehouse.DuckDB.Path, MemoryLimit: cfg.Warehouse.DuckDB.MemoryLimit,
			LakeDataset: cfg.Warehouse.LakeDataset, DWDataset: cfg.Warehouse.DWDataset,
			Fetch: stores.OpenFile,
		})
	case "bigquery":
		return bigquery.Open(ctx, bigquery.Options{
			Project: cfg.Warehouse.BigQuery.Project, Location: cfg.Warehouse.BigQuery.Location,
			LakeDataset: cfg.Warehouse.LakeDataset, DWDataset: cfg.Warehouse.DWDataset,
			MaxBytesBilled: int64(cfg.Warehouse.BigQuery.MaxBytesBilled),
		})
	}
	return nil, fmt.Errorf("warehouse.kind %q is not supported", cfg.Warehouse.Kind)
}

// NewActivities builds the activities and their dependencies from cfg. The
// caller closes the warehouse and the stores.
func NewActivities(ctx context.Context, cfg config.Config, wh warehouse.Warehouse, stores *Stores) (*activities.Activities, error) {
	staging, err := stores.Open(ctx, cfg.Staging.URI)
	if err != nil {
		return nil, fmt.Errorf("staging.uri: %w", err)
	}
	dead, err := stores.Open(ctx, cfg.DeadLetter.URI)
	if err != nil {
		return nil, fmt.Errorf("deadletter.uri: %w", err)
	}
	maxLine, setBy := lineLimit(cfg)
	return &activities.Activities{
		OpenSource: stores.Open,
		Staging:    staging,
		DeadLetter: dead,
		Warehouse:  wh,
		Defaults: pipeline.Settings{
			Source: cfg.Source.URI, Mode: cfg.Pipeline.Mode,
			BatchObjects: cfg.Pipeline.BatchObjects, BatchBytes: int64(cfg.Pipeline.BatchBytes),
			Window: cfg.Pipeline.Window, PageSize: cfg.Pipeline.PageSize, PagesPerRun: cfg.Pipeline.PagesPerRun,
			StagingFormat: cfg.Pipeline.StagingFormat, Format: cfg.Source.Format,
		},
		Quality: pipeline.Quality{
			MaxRejectedLines: cfg.Quality.MaxRejectedLines, MaxRejectedEvents: cfg.Quality.MaxRejectedEvents,
			AllowEmptyDays: cfg.Quality.AllowEmptyDays, MinVolumeRatio: cfg.Quality.MinVolumeRatio, FailOnLowVolume: cfg.Quality.FailOnLowVolume,
		},
		AlertWebhook: string(cfg.Alerts.WebhookURL), TemporalUIURL: cfg.Alerts.TemporalUIURL, Namespace: cfg.Temporal.Namespace,
		MaxLineBytes: maxLine,
		MaxLineSetBy: setBy,
		SessionGap:   cfg.Models.SessionGap,
		PartBytes:    int64(cfg.Transform.PartBytes),
	}, nil
}

// lineLimit is the longest line the transform reads, and what sets it when
// not transform.max_line_bytes: with BigQuery, whose loads take rows up to
// a size, the longest line whose rows they take (bigquery.MaxLineBytes), so
// that a longer line is dead-lettered, saying why, rather than failing the
// load of every row with it.
func lineLimit(cfg config.Config) (int, string) {
	n := int(cfg.Transform.MaxLineBytes)
	if cfg.Warehouse.Kind == "bigquery" && n > bigquery.MaxLineBytes {
		return bigquery.MaxLineBytes, fmt.Sprintf("the longest line whose rows BigQuery loads, warehouse.kind being bigquery; transform.max_line_bytes is %v",
			cfg.Transform.MaxLineBytes)
	}
	return n, ""
}

// Register registers every workflow and activity of the pipeline on r.
func Register(r worker.Registry, a *activities.Activities) {
	r.RegisterWorkflow(workflows.PipelineWorkflow)
	r.RegisterWorkflow(workflows.BatchWorkflow)
	r.RegisterWorkflow(workflows.RecreateTablesWorkflow)
	r.RegisterWorkflow(workflows.BackfillWorkflow)
	r.RegisterWorkflow(workflows.RebuildModelsWorkflow)
	r.RegisterActivity(a)
}

// Dial connects to the configured Temporal frontend, with TLS and an API
// key when configured. metrics, when not nil, receives the SDK's metrics and
// those of the activities of workers built on the client (see ServeMetrics).
func Dial(ctx context.Context, cfg config.Config, logger *slog.Logger, metrics client.MetricsHandler) (client.Client, error) {
	opts, err := ClientOptions(cfg, logger)
	if err != nil {
		return nil, err
	}
	opts.MetricsHandler = metrics
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connecting to Temporal at %s (temporal.address): %w", cfg.Temporal.Address, err)
	}
	return c, nil
}

// ClientOptions are the Temporal client options of cfg.
func ClientOptions(cfg config.Config, logger *slog.Logger) (client.Options, error) {
	opts := client.Options{
		HostPort:  cfg.Temporal.Address,
		Namespace: cfg.Temporal.Namespace,
		Logger:    tlog.NewStructuredLogger(logger),
	}
	t := cfg.Temporal.TLS
	if t.Enabled() || cfg.Temporal.APIKey != "" {
		tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName}
		if t.CAFile != "" {
			pem, err := os.ReadFile(t.CAFile)
			if err != nil {
				return opts, fmt.Errorf("temporal.tls.ca_file: %w", err)
			}
			tc.RootCAs = x509.NewCertPool()
			if !tc.RootCAs.AppendCertsFromPEM(pem) {
				return opts, fmt.Errorf("temporal.tls.ca_file: no PEM certificate in %s", t.CAFile)
			}
		}
		if t.CertFile != "" {
			cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
			if err != nil {
				return opts, fmt.Errorf("temporal.tls.cert_file and key_file: %w", err)
			}
			tc.Certificates = []tls.Certificate{cert}
		}
		opts.ConnectionOptions.TLS = tc
	}
	if cfg.Temporal.APIKey != "" {
		opts.Credentials = client.NewAPIKeyStaticCredentials(string(cfg.Temporal.APIKey))
	}
	return opts, nil
}

// Worker is a Temporal worker running the pipeline, with the warehouse and
// stores it owns.
type Worker struct {
	worker.Worker
	// SearchAttributesErr, if not nil, says why the runs of this worker set
	// no search attributes (EnsureSearchAttributes); the caller warns.
	SearchAttributesErr error
	wh                  warehouse.Warehouse
	stores              *Stores
}

// NewWorker builds a worker for cfg's task queue on c.
func NewWorker(ctx context.Context, c client.Client, cfg config.Config) (*Worker, error) {
	stores := &Stores{}
	wh, err := OpenWarehouse(ctx, cfg, stores)
	if err != nil {
		return nil, err
	}
	a, err := NewActivities(ctx, cfg, wh, stores)
	if err != nil {
		wh.Close()
		return nil, err
	}
	saErr := EnsureSearchAttributes(ctx, c, cfg.Temporal.Namespace)
	a.SearchAttributes = saErr == nil
	w := worker.New(c, cfg.Temporal.TaskQueue, worker.Options{})
	Register(w, a)
	return &Worker{Worker: w, wh: wh, stores: stores, SearchAttributesErr: saErr}, nil
}

// Close stops the worker, if it runs, and closes the warehouse and stores.
func (w *Worker) Close() error {
	w.Stop()
	return errors.Join(w.wh.Close(), w.stores.Close())
}

// StartDevServer starts the embedded Temporal dev server of cfg (address,
// UI port, database file), telling the user on log what happens.
func StartDevServer(ctx context.Context, cfg config.Config, log io.Writer) (*devserver.Server, error) {
	return devserver.Start(ctx, devserver.Options{
		Address:   cfg.Temporal.Address,
		UIPort:    cfg.Temporal.DevUIPort,
		DBFile:    cfg.Temporal.DevDBFile,
		Namespace: cfg.Temporal.Namespace,
		Log:       log,
	})
}
