package activities

import (
	"context"

	"github.com/clickstream-platform/clickstream/blob"
	"github.com/clickstream-platform/clickstream/pipeline"
	"github.com/clickstream-platform/clickstream/staging"
	"github.com/clickstream-platform/clickstream/warehouse"
)

// Activities are the pipeline's steps; its fields are their dependencies.
type Activities struct {
	// OpenSource opens the store a run reads from; runs may name their own
	// source, so it is opened per call. Required.
	OpenSource func(ctx context.Context, uri string) (blob.Store, error)
	// Staging holds staged files and manifests, DeadLetter the rejects.
	// Required.
	Staging, DeadLetter blob.Store
	// Warehouse is where the tables live. Required.
	Warehouse warehouse.Warehouse
	// Defaults are what a run's zero-valued input means (the days apart).
	// Required.
	Defaults pipeline.Settings
	// MaxLineBytes is the longest line the transform reads. Optional:
	// default clickstream.DefaultMaxLineBytes.
	MaxLineBytes int
	// MaxLineSetBy says what sets MaxLineBytes, in the dead-letter reason
	// of a longer line (clickstream.Options). Optional: default the
	// configuration key transform.max_line_bytes.
	MaxLineSetBy string
	// PartBytes is the input read between two checkpoints of a transform.
	// Optional: default staging.DefaultPartBytes.
	PartBytes int64
	// Quality are the quality gates' thresholds a run does not set itself.
	// Optional: default the zero Quality, which lets nothing be rejected.
	Quality pipeline.Quality
	// AlertWebhook is the URL alerts are posted to (alerts.webhook_url), a
	// secret. Optional: default none, no alerts.
	AlertWebhook string
	// TemporalUIURL and Namespace make the alerts' links to the runs.
	// Optional: default no link.
	TemporalUIURL, Namespace string
	// SearchAttributes says the Temporal namespace has the clickstream
	// search attributes (the worker registers them at start, where it may);
	// runs then set them. Optional: default false, memo only.
	SearchAttributes bool
}

// area is the runs' staging area.
func (a *Activities) area() staging.Area {
	return staging.Area{Staging: a.Staging, DeadLetter: a.DeadLetter}
}
