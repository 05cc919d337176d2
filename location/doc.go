// Package location parses the places the platform reads from and writes to,
// given as one string in configuration, a run's input or a command's flag:
// a local folder (a path, or file:///abs/path), a Cloud Storage prefix
// (gs://bucket/prefix), or a BigQuery table to export
// (bq://project.dataset.table?from=YYYY-MM-DD&to=YYYY-MM-DD). Every package
// that needs to know which one a string is, or its parts, asks here, so they
// all accept and refuse the same strings with the same words. Plain Go, no
// I/O: what a location names is checked when it is opened.
package location
