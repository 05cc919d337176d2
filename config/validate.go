package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/clickstream-platform/clickstream/location"
)

// Limits of transform.max_line_bytes.
const (
	minLineBytes = KiB
	maxLineBytes = GiB
)

// minBytesBilled is the least BigQuery bills a query (10 MiB): a smaller
// warehouse.bigquery.max_bytes_billed would refuse every query.
const minBytesBilled = 10 * MiB

// Validate checks every value; each error is a *KeyError naming its key, and
// all of them are reported at once.
func (c Config) Validate() error {
	var errs []error
	check := func(key string, err error) {
		if err != nil {
			errs = append(errs, &KeyError{Key: key, Err: err})
		}
	}
	check("source.uri", validateSource(c.Source.URI))
	check("staging.uri", validateURI(c.Staging.URI))
	check("deadletter.uri", validateURI(c.DeadLetter.URI))
	switch c.Warehouse.Kind {
	case "duckdb":
		if c.Warehouse.DuckDB.Path == "" {
			check("warehouse.duckdb.path", errors.New("must not be empty when warehouse.kind is duckdb"))
		}
	case "bigquery":
		if c.Warehouse.BigQuery.Project == "" {
			check("warehouse.bigquery.project", errors.New("must be set when warehouse.kind is bigquery"))
		}
		if c.Warehouse.BigQuery.Location == "" {
			check("warehouse.bigquery.location", errors.New("must be set when warehouse.kind is bigquery"))
		}
		if n := c.Warehouse.BigQuery.MaxBytesBilled; n != 0 && n < minBytesBilled {
			check("warehouse.bigquery.max_bytes_billed", fmt.Errorf("must be 0 (no limit) or at least %v, the least BigQuery bills a query, got %v", minBytesBilled, n))
		}
		if location.SchemeOf(c.Staging.URI) != location.GCS {
			check("staging.uri", fmt.Errorf("must be gs://bucket/prefix when warehouse.kind is bigquery (its load jobs read the staged files from Cloud Storage), got %q", c.Staging.URI))
		}
	default:
		check("warehouse.kind", fmt.Errorf("must be duckdb or bigquery, got %q", c.Warehouse.Kind))
	}
	if location.SchemeOf(c.Source.URI) == location.BigQuery && c.Warehouse.Kind != "bigquery" {
		check("source.uri", fmt.Errorf("a bq:// source is exported by BigQuery: it needs warehouse.kind bigquery, got %q", c.Warehouse.Kind))
	}
	check("warehouse.lake_dataset", validateDataset(c.Warehouse.LakeDataset))
	check("warehouse.dw_dataset", validateDataset(c.Warehouse.DWDataset))
	if c.Warehouse.LakeDataset == c.Warehouse.DWDataset && c.Warehouse.LakeDataset != "" {
		check("warehouse.dw_dataset", fmt.Errorf("must differ from warehouse.lake_dataset, both are %q", c.Warehouse.DWDataset))
	}
	if _, port, err := net.SplitHostPort(c.Temporal.Address); err != nil || port == "" {
		check("temporal.address", fmt.Errorf("want host:port, got %q", c.Temporal.Address))
	}
	if c.Temporal.Namespace == "" {
		check("temporal.namespace", errors.New("must not be empty"))
	}
	if c.Temporal.TaskQueue == "" {
		check("temporal.task_queue", errors.New("must not be empty"))
	}
	if t := c.Temporal.TLS; (t.CertFile == "") != (t.KeyFile == "") {
		check("temporal.tls.cert_file", errors.New("temporal.tls.cert_file and temporal.tls.key_file go together"))
	}
	if c.Temporal.DevDBFile == "" {
		check("temporal.dev_db_file", errors.New("must not be empty"))
	}
	if p := c.Temporal.DevUIPort; p < 1 || p > 65535 {
		check("temporal.dev_ui_port", fmt.Errorf("must be a port between 1 and 65535, got %d", p))
	}
	if c.Pipeline.Mode != "replace" && c.Pipeline.Mode != "merge" {
		check("pipeline.mode", fmt.Errorf("must be replace or merge, got %q", c.Pipeline.Mode))
	}
	if f := c.Source.Format; f != "sessions" && f != "ga4" {
		check("source.format", fmt.Errorf("must be sessions or ga4, got %q", f))
	}
	if f := c.Pipeline.StagingFormat; f != "parquet" && f != "ndjson" {
		check("pipeline.staging_format", fmt.Errorf("must be parquet or ndjson, got %q", f))
	}
	checkRange := func(key string, v, lo, hi int) {
		if v < lo || v > hi {
			check(key, fmt.Errorf("must be between %d and %d, got %d", lo, hi, v))
		}
	}
	checkRange("pipeline.batch_objects", c.Pipeline.BatchObjects, 1, 10_000)
	checkRange("pipeline.window", c.Pipeline.Window, 1, 1000)
	checkRange("pipeline.page_size", c.Pipeline.PageSize, 1, 10_000)
	checkRange("pipeline.pages_per_run", c.Pipeline.PagesPerRun, 1, 10_000)
	if n := c.Pipeline.BatchBytes; n < 1 {
		check("pipeline.batch_bytes", fmt.Errorf("must be positive, got %v", n))
	}
	if n := c.Transform.PartBytes; n < MiB {
		check("transform.part_bytes", fmt.Errorf("must be at least 1MiB, got %v", n))
	}
	if n := c.Transform.MaxLineBytes; n < minLineBytes || n > maxLineBytes {
		check("transform.max_line_bytes", fmt.Errorf("must be between %v and %v, got %v", minLineBytes, maxLineBytes, n))
	}
	check("metrics.address", validateMetricsAddress(c.Metrics.Address))
	if _, ok := logLevels[c.Log.Level]; !ok {
		check("log.level", fmt.Errorf("must be debug, info, warn or error, got %q", c.Log.Level))
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		check("log.format", fmt.Errorf("must be text or json, got %q", c.Log.Format))
	}
	for _, q := range []struct {
		key string
		v   float64
	}{{"quality.max_rejected_lines", c.Quality.MaxRejectedLines}, {"quality.max_rejected_events", c.Quality.MaxRejectedEvents},
		{"quality.min_volume_ratio", c.Quality.MinVolumeRatio}} {
		if q.v < 0 || q.v > 1 {
			check(q.key, fmt.Errorf("must be a share between 0 and 1, got %g", q.v))
		}
	}
	if g := c.Models.SessionGap; g < time.Second || g > 24*time.Hour {
		check("models.session_gap", fmt.Errorf("must be between 1s and 24h, got %v", g))
	}
	if u := string(c.Alerts.WebhookURL); u != "" {
		// The URL is a secret: the error names the key, not the value.
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			check("alerts.webhook_url", errors.New("must be an http:// or https:// URL (its value is a secret and not shown)"))
		}
	}
	if u := c.Alerts.TemporalUIURL; u != "" {
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			check("alerts.temporal_ui_url", fmt.Errorf("want an http:// or https:// URL, got %q", u))
		}
	}
	return errors.Join(errs...)
}

// validateMetricsAddress accepts MetricsOff or host:port with a port number
// from 0 (any free port) to 65535; an empty host means every interface.
func validateMetricsAddress(addr string) error {
	if addr == MetricsOff {
		return nil
	}
	_, port, err := net.SplitHostPort(addr)
	if err == nil {
		_, err = strconv.ParseUint(port, 10, 16)
	}
	if err != nil {
		return fmt.Errorf("want host:port (port 0 for any free port) or %s, got %q", MetricsOff, addr)
	}
	return nil
}

// validateDataset accepts a BigQuery dataset name, which is also a valid
// DuckDB schema name: letters, digits and underscores, at most 1024.
func validateDataset(name string) error {
	ok := name != "" && len(name) <= 1024
	for i := 0; ok && i < len(name); i++ {
		c := name[i]
		ok = c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	if !ok {
		return fmt.Errorf("want letters, digits and underscores, got %q", name)
	}
	return nil
}

// validateSource accepts a local folder, gs://bucket[/prefix], or a
// BigQuery table to rebuild from:
// bq://project.dataset.table[?from=YYYY-MM-DD&to=YYYY-MM-DD].
func validateSource(uri string) error {
	if uri == "" {
		return errors.New("must not be empty")
	}
	_, err := location.Parse(uri)
	return err
}

// validateURI accepts a local folder or gs://bucket[/prefix]: a place to
// write files to.
func validateURI(uri string) error {
	if uri == "" {
		return errors.New("must not be empty")
	}
	l, err := location.Parse(uri)
	if err == nil && l.Scheme == location.BigQuery {
		err = fmt.Errorf("%q is a BigQuery table: want a local folder or gs://bucket[/prefix]", uri)
	}
	return err
}
