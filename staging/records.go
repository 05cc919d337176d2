package staging

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/clickstream-platform/clickstream/blob"
	"github.com/clickstream-platform/clickstream/clickstream"
)

// Area is the staging area of runs: the store of their staged rows and
// records, and the store of their dead letter.
type Area struct {
	Staging, DeadLetter blob.Store
}

// Manifest is the record of a finished batch, kept in the staging store:
// what was read, what it counted, and which files hold the result. A
// manifest's existence is the checkpoint that lets a repeated batch skip its
// work.
type Manifest struct {
	RunID   string             `json:"run_id"`
	BatchID string             `json:"batch_id"`
	Source  string             `json:"source"`
	Objects []ObjectManifest   `json:"objects"`
	Counts  clickstream.Counts `json:"counts"`
	// Files are the staged files by table name, as full names.
	Files map[string][]string `json:"files"`
	// DeadLetter are the batch's dead-letter files, as full names.
	DeadLetter []string `json:"deadletter"`
	// StorageRetries counts the requests that reading the batch's objects
	// and writing its staged and dead-letter files sent again after a
	// transient failure of the store (see blob.Retrier), in the parts that
	// were committed: a flaky store shows here although the batch succeeded.
	StorageRetries int64 `json:"storage_retries,omitempty"`
	// Rejects counts the batch's rejections by code, for the quality gates'
	// messages.
	Rejects clickstream.Rejects `json:"rejects,omitzero"`
}

// ObjectManifest is one input object of a batch.
type ObjectManifest struct {
	blob.Object
	// URI is the object's full name: the source_object of its rows.
	URI string `json:"uri"`
	// Range is the part of the object the batch read; nil: all of it.
	Range  *Range             `json:"range,omitempty"`
	Parts  int                `json:"parts"`
	Counts clickstream.Counts `json:"counts"`
}

// Range is the bytes [Offset, End) of an object, whole lines, after Line
// lines.
type Range struct {
	Offset int64 `json:"offset"`
	End    int64 `json:"end"`
	Line   int64 `json:"line"`
}

// Read returns the input the manifest says its batch read: the objects it
// counts (an object read in ranges counts once, with its first range) and
// their bytes.
func (m Manifest) Read() (objects int, bytes int64) {
	for _, o := range m.Objects {
		switch r := o.Range; {
		case r == nil:
			objects++
			bytes += o.Size
		default:
			if r.Offset == 0 {
				objects++
			}
			bytes += r.End - r.Offset
		}
	}
	return objects, bytes
}

// ReadManifest reads the manifest name. A batch not finished yet has none:
// the error wraps blob.ErrNotExist.
func (a Area) ReadManifest(ctx context.Context, name string) (Manifest, error) {
	var m Manifest
	err := readJSON(ctx, a.Staging, name, &m)
	return m, err
}

// WriteManifest writes a finished batch's manifest as name.
func (a Area) WriteManifest(ctx context.Context, name string, m Manifest) error {
	return writeJSON(ctx, a.Staging, name, m, " ")
}

// WriteSummary writes a run's summary, v, and returns its name.
func (a Area) WriteSummary(ctx context.Context, runID string, v any) (string, error) {
	name := SummaryName(runID)
	return name, writeJSON(ctx, a.Staging, name, v, "  ")
}

// loadRecord is what LoadRecordName holds.
type loadRecord struct {
	Rows int64 `json:"rows"`
}

// KeepLoadCount returns the row count table had when run runID's load of it
// first got to write: the one an earlier attempt kept, or else before, which
// it keeps. Called before the write commits, it lets a retried load whose
// earlier attempt committed report what the run changed, rather than the
// nothing its own write changed. A run loads each table once, so nothing
// else of the run writes the table in between.
func (a Area) KeepLoadCount(ctx context.Context, runID, table string, before int64) (int64, error) {
	name := LoadRecordName(runID, table)
	var kept loadRecord
	err := readJSON(ctx, a.Staging, name, &kept)
	if err == nil {
		return kept.Rows, nil
	}
	if !errors.Is(err, blob.ErrNotExist) {
		return 0, err
	}
	if err := writeJSON(ctx, a.Staging, name, loadRecord{Rows: before}, ""); err != nil {
		return 0, err
	}
	return before, nil
}

// readJSON decodes the JSON object name of store into v.
func readJSON(ctx context.Context, store blob.Store, name string, v any) error {
	rc, err := store.Open(ctx, name)
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := json.NewDecoder(rc).Decode(v); err != nil {
		return fmt.Errorf("reading %s: %w", blob.Join(store.URI(), name), err)
	}
	return nil
}

// writeJSON writes v as the JSON object name of store, indented by indent
// unless it is empty, replacing any object of that name whole.
func writeJSON(ctx context.Context, store blob.Store, name string, v any, indent string) error {
	b, err := json.Marshal(v)
	if indent != "" {
		b, err = json.MarshalIndent(v, "", indent)
	}
	if err != nil {
		return fmt.Errorf("encoding %s: %w", name, err)
	}
	w, err := store.Create(ctx, name)
	if err != nil {
		return fmt.Errorf("writing %s: %w", blob.Join(store.URI(), name), err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		w.Abort()
		return fmt.Errorf("writing %s: %w", blob.Join(store.URI(), name), err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", blob.Join(store.URI(), name), err)
	}
	return nil
}
