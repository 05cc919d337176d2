package staging

import (
	"context"
	"fmt"
	"io"

	"github.com/clickstream-platform/clickstream/blob"
	"github.com/clickstream-platform/clickstream/clickstream"
)

// DefaultPartBytes is the input read between two checkpoints by default.
const DefaultPartBytes = 64 << 20

// Batch is input objects to transform into a run's staging area.
type Batch struct {
	// RunID and BatchID name the batch's files. Required.
	RunID, BatchID string
	// Source is the store the objects are read from; its URI joined with an
	// object's name is the source_object of the object's rows. Required.
	Source  blob.Store
	Objects []blob.Object
	// Range, when set, is the part of the batch's one object to read.
	// Optional: default the whole of every object.
	Range *Range
	// Format is the staged rows' format. Optional: default NDJSON.
	Format clickstream.Format
	// Input is the shape of the objects' lines. Optional: default
	// clickstream.SessionsInput.
	Input clickstream.InputFormat
	// MaxLineBytes is the longest line read. Optional: default
	// clickstream.DefaultMaxLineBytes.
	MaxLineBytes int
	// MaxLineSetBy says what sets MaxLineBytes (clickstream.Options).
	// Optional: default the configuration key transform.max_line_bytes.
	MaxLineSetBy string
	// PartBytes is the input read between two checkpoints. Optional:
	// default DefaultPartBytes.
	PartBytes int64
}

// Checkpoint is how far a batch's transform got: objects before Object are
// done, and Object is done up to Cursor in Parts parts. Manifest holds
// everything committed so far, so a transform started from it goes on
// exactly there.
type Checkpoint struct {
	Object   int                `json:"object"`
	Parts    int                `json:"parts"`
	Cursor   clickstream.Cursor `json:"cursor"`
	Manifest Manifest           `json:"manifest"`
}

// Transform transforms b into staged files per table and dead-letter files,
// a part of about b.PartBytes of input at a time, starting from cp (the zero
// Checkpoint: from the beginning). After every part it calls checkpoint,
// when not nil, with the checkpoint to resume from; an error it returns
// stops the transform. It returns the batch's manifest, which the caller
// writes (WriteManifest) once it is sure of it.
//
// Every object is read at the version listed (blob.Object.Generation): an
// object changed since fails the batch (an error wrapping blob.ErrChanged)
// rather than mixing versions. An object's counts must add up
// (clickstream.ErrAccounting otherwise); a damaged object is an error
// wrapping clickstream.ErrCorruptObject.
func (a Area) Transform(ctx context.Context, b Batch, cp Checkpoint, checkpoint func(Checkpoint) error) (Manifest, error) {
	tr, err := clickstream.NewTransformer(clickstream.Options{RunID: b.RunID, MaxLineBytes: b.MaxLineBytes, MaxLineSetBy: b.MaxLineSetBy,
		Format: b.Format, Input: b.Input})
	if err != nil {
		return Manifest{}, err
	}
	if b.Format == "" {
		b.Format = clickstream.NDJSON
	}
	if b.PartBytes <= 0 {
		b.PartBytes = DefaultPartBytes
	}
	if cp.Manifest.Files == nil {
		cp.Manifest = Manifest{RunID: b.RunID, BatchID: b.BatchID, Source: b.Source.URI(), Files: map[string][]string{}}
	}
	for cp.Object < len(b.Objects) {
		if err := a.transformObject(ctx, tr, b, &cp, checkpoint); err != nil {
			return Manifest{}, err
		}
	}
	return cp.Manifest, nil
}

// transformObject transforms b.Objects[cp.Object] from cp's cursor to its
// end, a part at a time, and moves cp on to the next object. The checkpoint
// of its last part is already the next object's start, so that a transform
// resumed from it does not open the object again.
func (a Area) transformObject(ctx context.Context, tr *clickstream.Transformer, b Batch, cp *Checkpoint, checkpoint func(Checkpoint) error) error {
	obj := b.Objects[cp.Object]
	m := &cp.Manifest
	if len(m.Objects) == cp.Object { // not begun before
		m.Objects = append(m.Objects, ObjectManifest{Object: obj, URI: blob.Join(b.Source.URI(), obj.Name), Range: b.Range})
		if r := b.Range; r != nil {
			cp.Cursor = clickstream.Cursor{Line: r.Line, Offset: r.Offset}
		}
	}
	om := &m.Objects[cp.Object]
	next := func() { cp.Object, cp.Parts, cp.Cursor = cp.Object+1, 0, clickstream.Cursor{} }
	if r := b.Range; r != nil && cp.Cursor.Offset >= r.End {
		next() // a checkpoint that did not move on after the range's last part
		return nil
	}
	// A range is read from where it (or its checkpoint) starts, to its end.
	var rc io.ReadCloser
	var err error
	if b.Range != nil {
		rc, err = blob.OpenGenerationAt(ctx, b.Source, obj.Name, obj.Generation, cp.Cursor.Offset)
	} else {
		rc, err = b.Source.OpenGeneration(ctx, obj.Name, obj.Generation)
	}
	if err != nil {
		return fmt.Errorf("opening %s: %w", om.URI, err)
	}
	defer rc.Close()
	// The reader's retries are counted with each part, and those of the
	// open and of the end of the object after the last.
	var counted int64
	countReads := func() {
		n := blob.Retries(rc)
		m.StorageRetries += n - counted
		counted = n
	}
	var or *clickstream.ObjectReader
	if r := b.Range; r != nil {
		or = tr.OpenAt(io.LimitReader(rc, r.End-cp.Cursor.Offset), om.URI, cp.Cursor)
	} else if or, err = tr.Open(rc, om.URI, cp.Cursor); err != nil {
		return err
	}
	defer or.Close()
	tr.TakeRejects() // counted with the parts committed only
	for !or.Done() {
		part := a.NewPart(ctx, b.RunID, PartID(b.BatchID, cp.Object, cp.Parts), b.Format)
		c, err := tr.TransformPart(ctx, or, part.Outputs(), b.PartBytes)
		if err == nil {
			err = part.Commit(m)
		}
		if err != nil {
			part.Abort()
			return err
		}
		om.Counts.Add(c)
		m.Counts.Add(c)
		m.Rejects.Add(tr.TakeRejects())
		m.StorageRetries += part.Retries()
		countReads()
		om.Parts++
		cp.Parts++
		cp.Cursor = or.Cursor()
		if or.Done() {
			if err := om.Counts.Check(); err != nil {
				return fmt.Errorf("object %s: %w", om.URI, err)
			}
			next()
		}
		if checkpoint != nil {
			if err := checkpoint(*cp); err != nil {
				return err
			}
		}
	}
	return nil
}
