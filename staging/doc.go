// Package staging is a run's staging area: where its batches stage their
// rows between the transform and the load, and the records that let a run
// resume where it stopped. It is plain Go (no Temporal): the activities call
// it, and so does `starter transform` on local folders.
//
// A run with id R writes, in the staging store:
//
//	R/<table>/<part>.parquet (or .ndjson)  staged rows of one part of one object, per table
//	R/manifests/<batch>.json               a finished batch's Manifest: its objects, counts and files
//	R/loads/<table>.json                   the row count a table had when the run first loaded it
//	R/summary.json                         the run's summary, once it reconciled
//	R/export/a<attempt>/                   a bq:// source exported by an attempt; the run reads the successful one's
//
// and, in the dead-letter store, R/<part>.ndjson: the part's rejected lines
// and events. A part is named <batch>-<object index>-<part index>, so a
// part written again (a retried or resumed transform) replaces its own files
// instead of adding to them; the files of a part are visible only once the
// part is committed, and a part that gets no rows for a table has no file
// for it.
//
// A batch's manifest is written last: its existence says the batch is done,
// and a run that meets it again reads it back instead of transforming the
// batch again. Within a batch, [Area.Transform] reports a [Checkpoint] after
// every part; a transform started from the last one goes on exactly there.
package staging
