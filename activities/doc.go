// Package activities holds the pipeline's steps as Temporal activities:
// list a page of the source (extract), transform a batch of objects into
// staged files, load a table, recreate the tables, reconcile the counts.
//
// Activities are methods on Activities, whose fields are their dependencies;
// each is thin and calls the clickstream, blob and warehouse packages. Every
// input and result is one struct, so fields can be added without breaking
// running workflows. Errors retrying cannot fix are non-retryable application
// errors whose type is one of the Err* constants; everything else is
// returned as is, for Temporal to retry with backoff.
package activities
