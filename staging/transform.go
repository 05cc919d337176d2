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
// Checkpoint: from the beginning). A part reads on from one object into the
// next, so that many small objects make few staged files: one per part and
// table, not one per object. After every part it calls checkpoint, when not
// nil, with the checkpoint to resume from; an error it returns stops the
// transform. It returns the batch's manifest, which the caller writes
// (WriteManifest) once it is sure of it.
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
	var r objectReader
	defer r.close()
	for cp.Object < len(b.Objects) {
		if err := a.transformPart(ctx, tr, b, &cp, &r); err != nil {
			return Manifest{}, err
		}
		if checkpoint != nil {
			if err := checkpoint(cp); err != nil {
				return Manifest{}, err
			}
		}
	}
	return cp.Manifest, nil
}

// objectReader is the object a batch's transform is reading, kept open from
// one part to the next.
type objectReader struct {
	rc      io.ReadCloser
	or      *clickstream.ObjectReader
	counted int64 // the reader's retries counted so far
}

// retries returns the reader's retries since it last said.
func (r *objectReader) retries() int64 {
	n := blob.Retries(r.rc)
	d := n - r.counted
	r.counted = n
	return d
}

func (r *objectReader) close() {
	if r.or != nil {
		r.or.Close()
	}
	if r.rc != nil {
		r.rc.Close()
	}
	*r = objectReader{}
}

// touched is what a part read of one object.
type touched struct {
	object int
	counts clickstream.Counts
	done   bool
}

// transformPart transforms one part, from cp's object and cursor on, reading
// on into the next objects until about b.PartBytes of input are read or the
// batch ends; it commits the part and moves cp past it. r is the object
// being read, if open. An object read to its end is closed, and the cursor
// moves on to the next object's start, so that a transform resumed there
// does not open the object again.
func (a Area) transformPart(ctx context.Context, tr *clickstream.Transformer, b Batch, cp *Checkpoint, r *objectReader) error {
	m := &cp.Manifest
	part := a.NewPart(ctx, b.RunID, PartID(b.BatchID, cp.Object, cp.Parts), b.Format)
	if err := tr.BeginPart(part.Outputs()); err != nil {
		return err
	}
	tr.TakeRejects() // counted with the parts committed only
	var (
		read    int64
		retries int64
		objs    []touched
	)
	for read < b.PartBytes && cp.Object < len(b.Objects) {
		if r.or == nil {
			open, err := a.openObject(ctx, tr, b, cp, r)
			if err == nil && open {
				retries += r.retries()
			}
			if err != nil {
				tr.EndPart()
				part.Abort()
				return err
			}
			if !open { // a range checkpointed at its end
				cp.Object, cp.Parts, cp.Cursor = cp.Object+1, 0, clickstream.Cursor{}
				continue
			}
		}
		from := r.or.Cursor().Offset
		c, err := tr.ReadPart(ctx, r.or, b.PartBytes-read)
		retries += r.retries()
		if err != nil {
			part.Abort()
			return err
		}
		read += r.or.Cursor().Offset - from
		t := touched{object: cp.Object, counts: c, done: r.or.Done()}
		objs = append(objs, t)
		if !t.done {
			cp.Cursor = r.or.Cursor()
			break
		}
		r.close()
		cp.Object, cp.Parts, cp.Cursor = cp.Object+1, 0, clickstream.Cursor{}
	}
	err := tr.EndPart()
	if err == nil {
		err = part.Commit(m)
	}
	if err != nil {
		part.Abort()
		return err
	}
	for _, t := range objs {
		om := &m.Objects[t.object]
		om.Counts.Add(t.counts)
		m.Counts.Add(t.counts)
		om.Parts++
		if t.done {
			if err := om.Counts.Check(); err != nil {
				return fmt.Errorf("object %s: %w", om.URI, err)
			}
		}
	}
	if len(objs) > 0 && !objs[len(objs)-1].done {
		cp.Parts++ // parts that read of the object the next part goes on with
	}
	m.Rejects.Add(tr.TakeRejects())
	m.StorageRetries += part.Retries() + retries
	return nil
}

// openObject opens b.Objects[cp.Object] at cp's cursor into r, recording the
// object in the manifest when it is begun. It returns false, opening
// nothing, for a range already read to its end.
func (a Area) openObject(ctx context.Context, tr *clickstream.Transformer, b Batch, cp *Checkpoint, r *objectReader) (bool, error) {
	obj := b.Objects[cp.Object]
	m := &cp.Manifest
	if len(m.Objects) == cp.Object { // not begun before
		m.Objects = append(m.Objects, ObjectManifest{Object: obj, URI: blob.Join(b.Source.URI(), obj.Name), Range: b.Range})
		if rg := b.Range; rg != nil {
			cp.Cursor = clickstream.Cursor{Line: rg.Line, Offset: rg.Offset}
		}
	}
	om := &m.Objects[cp.Object]
	if rg := b.Range; rg != nil && cp.Cursor.Offset >= rg.End {
		return false, nil // a checkpoint that did not move on after the range's last part
	}
	// A range is read from where it (or its checkpoint) starts, to its end.
	var err error
	if b.Range != nil {
		r.rc, err = blob.OpenGenerationAt(ctx, b.Source, obj.Name, obj.Generation, cp.Cursor.Offset)
	} else {
		r.rc, err = b.Source.OpenGeneration(ctx, obj.Name, obj.Generation)
	}
	if err != nil {
		r.rc = nil
		return false, fmt.Errorf("opening %s: %w", om.URI, err)
	}
	if rg := b.Range; rg != nil {
		r.or = tr.OpenAt(io.LimitReader(r.rc, rg.End-cp.Cursor.Offset), om.URI, cp.Cursor)
	} else if r.or, err = tr.Open(r.rc, om.URI, cp.Cursor); err != nil {
		r.retries()
		r.close()
		return false, err
	}
	return true, nil
}
