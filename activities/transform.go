package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/clickstream-platform/clickstream/blob"
	"github.com/clickstream-platform/clickstream/clickstream"
)

// DefaultPartBytes is the input read between two checkpoints by default.
const DefaultPartBytes = 64 << 20

// TransformInput is one batch of input objects.
type TransformInput struct {
	RunID   string        `json:"run_id"`
	BatchID string        `json:"batch_id"`
	Source  string        `json:"source"`
	Objects []blob.Object `json:"objects"`
	// Range, when set, makes the batch one range of its one object (a large
	// plain object cut by Split, its ranges transformed side by side).
	Range *Range `json:"range,omitempty"`
	// SplitBytes and Window, when set, tell BatchWorkflow that its one
	// object, if larger than SplitBytes and not compressed, is to be cut into
	// ranges of about SplitBytes, Window of them transformed at once.
	SplitBytes int64 `json:"split_bytes,omitempty"`
	Window     int   `json:"window,omitempty"`
	// Format is the staged files' format (the run's Plan.StagingFormat);
	// empty: NDJSON, as in runs planned before it existed.
	Format string `json:"format,omitempty"`
}

// Range is the bytes [Offset, End) of an object, whole lines, after Line
// lines.
type Range struct {
	Offset int64 `json:"offset"`
	End    int64 `json:"end"`
	Line   int64 `json:"line"`
}

// TransformResult refers to the batch's manifest and sums it up.
type TransformResult struct {
	// Manifest is the manifest's name in the staging store.
	Manifest string `json:"manifest"`
	// Manifests, when set, are the manifests of a batch read in ranges, one
	// a range; Manifest is then the first.
	Manifests []string           `json:"manifests,omitempty"`
	Counts    clickstream.Counts `json:"counts"`
	Objects   int                `json:"objects"`
	Bytes     int64              `json:"bytes"`
	// Reused says the batch had been finished before: its manifest was read
	// back instead of transforming again.
	Reused bool `json:"reused,omitempty"`
	// StorageRetries is the manifest's StorageRetries.
	StorageRetries int64 `json:"storage_retries,omitempty"`
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

// TransformCheckpoint is the transform's heartbeat: objects before Object
// are done, and Object is done up to Cursor in Parts parts. Manifest holds
// everything finished so far, so a retry resumes exactly there.
type TransformCheckpoint struct {
	Object   int                `json:"object"`
	Parts    int                `json:"parts"`
	Cursor   clickstream.Cursor `json:"cursor"`
	Manifest Manifest           `json:"manifest"`
}

// ManifestName is where a batch's manifest is kept in the staging store.
func ManifestName(runID, batchID string) string {
	return path.Join(runID, "manifests", batchID+".json")
}

// Transform turns a batch of objects into staged files per table, dead-letter
// files and a manifest. It heartbeats a checkpoint after every part of every
// object (transform.part_bytes of input) and, when retried, resumes from the
// last one; every file is named after the run, batch, object and part, so a
// retried part replaces its own files instead of adding to them.
func (a *Activities) Transform(ctx context.Context, in TransformInput) (TransformResult, error) {
	start := time.Now()
	log := tlog.With(activity.GetLogger(ctx), "run_id", in.RunID, "batch", in.BatchID)
	name := ManifestName(in.RunID, in.BatchID)
	if m, err := a.readManifest(ctx, name); err == nil {
		res := summarize(name, m)
		res.Reused = true
		log.Info("batch already transformed", "manifest", name)
		return res, nil // counted by the attempt that wrote the manifest (see countBatch)
	} else if !errors.Is(err, blob.ErrNotExist) {
		return TransformResult{}, err
	}
	src, err := a.OpenSource(ctx, in.Source)
	if err != nil {
		return TransformResult{}, classify(configError("source %s: %v", in.Source, err))
	}
	format := clickstream.NDJSON
	if in.Format != "" {
		if format, err = clickstream.ParseFormat(in.Format); err != nil {
			return TransformResult{}, classify(configError("%v", err))
		}
	}
	tr, err := clickstream.NewTransformer(clickstream.Options{RunID: in.RunID, MaxLineBytes: a.MaxLineBytes, Format: format})
	if err != nil {
		return TransformResult{}, classify(configError("%v", err))
	}

	cp := TransformCheckpoint{Manifest: Manifest{RunID: in.RunID, BatchID: in.BatchID, Source: in.Source, Files: map[string][]string{}}}
	if activity.HasHeartbeatDetails(ctx) {
		if err := activity.GetHeartbeatDetails(ctx, &cp); err != nil {
			return TransformResult{}, fmt.Errorf("reading the transform's checkpoint: %w", err)
		}
		log.Info("batch transform resumed", "object", cp.Object, "parts", cp.Parts, "line", cp.Cursor.Line)
	} else {
		log.Info("batch transform started", "objects", len(in.Objects))
	}
	hb, err := startCheckpointer(ctx, cp)
	if err != nil {
		return TransformResult{}, err
	}
	defer hb.stop()
	for ; cp.Object < len(in.Objects); cp.Object, cp.Parts, cp.Cursor = cp.Object+1, 0, (clickstream.Cursor{}) {
		if err := a.transformObject(ctx, tr, format, src, in, &cp, hb); err != nil {
			return TransformResult{}, err
		}
	}
	if err := a.writeManifest(ctx, name, cp.Manifest); err != nil {
		return TransformResult{}, err
	}
	res := summarize(name, cp.Manifest)
	log.Info("batch transformed", "lines", res.Counts.Lines, "objects", res.Objects, "bytes", res.Bytes)
	countBatch(activity.GetMetricsHandler(ctx), res, time.Since(start))
	return res, nil
}

// The transform's metrics (see app.ServeMetrics). Each is emitted with the
// SDK's activity tags, and the table ones with table besides: one tag set
// per name, as Prometheus wants.
const (
	metricInputBytes       = "clickstream_input_bytes_total"
	metricInputObjects     = "clickstream_input_objects_total"
	metricInputLines       = "clickstream_input_lines_total"
	metricSessionsValid    = "clickstream_sessions_valid_total"
	metricSessionsRejected = "clickstream_sessions_rejected_total"
	metricEventsRejected   = "clickstream_events_rejected_total"
	metricRejects          = "clickstream_rejects_total" // dead-lettered records: rejected sessions and events
	metricRowsStaged       = "clickstream_rows_staged_total"
	metricTransformTime    = "clickstream_batch_transform_duration_seconds"
)

// countBatch emits a finished batch's counts, and how long the attempt that
// finished it took (a resumed transform: since it resumed). It runs once the
// manifest is written, in the attempt that wrote it, and never for a batch
// read back from its manifest (a retry after that point, or a run resumed),
// so that no batch is counted twice however often it is retried. The price:
// a worker that dies between the manifest and this call leaves its batch
// uncounted (as it loses every count not scraped yet).
func countBatch(h client.MetricsHandler, res TransformResult, took time.Duration) {
	c := res.Counts
	h.Counter(metricInputBytes).Inc(res.Bytes)
	h.Counter(metricInputObjects).Inc(int64(res.Objects))
	h.Counter(metricInputLines).Inc(c.Lines)
	h.Counter(metricSessionsValid).Inc(c.SessionsValid)
	h.Counter(metricSessionsRejected).Inc(c.SessionsRejected)
	h.Counter(metricEventsRejected).Inc(c.EventsRejected)
	h.Counter(metricRejects).Inc(c.SessionsRejected + c.EventsRejected)
	for _, t := range clickstream.Tables() {
		h.WithTags(map[string]string{"table": t.Name}).Counter(metricRowsStaged).Inc(c.TableRows(t.Name))
	}
	h.Timer(metricTransformTime).Record(took)
}

// transformObject transforms in.Objects[cp.Object] from cp's cursor to its
// end, a part at a time, heartbeating cp after each part.
func (a *Activities) transformObject(ctx context.Context, tr *clickstream.Transformer, format clickstream.Format, src blob.Store, in TransformInput,
	cp *TransformCheckpoint, hb *checkpointer) error {
	obj := in.Objects[cp.Object]
	m := &cp.Manifest
	if len(m.Objects) == cp.Object { // not begun before
		m.Objects = append(m.Objects, ObjectManifest{Object: obj, URI: blob.Join(src.URI(), obj.Name), Range: in.Range})
		if r := in.Range; r != nil {
			cp.Cursor = clickstream.Cursor{Line: r.Line, Offset: r.Offset}
		}
	}
	om := &m.Objects[cp.Object]
	if r := in.Range; r != nil && cp.Cursor.Offset >= r.End {
		return nil // a retry after the range's last part
	}
	// Read the very version that was listed: a changed object is new input
	// for a new run, never half of this one. A range is read from where it
	// (or its checkpoint) starts, to its end.
	var rc io.ReadCloser
	var err error
	if in.Range != nil {
		rc, err = blob.OpenGenerationAt(ctx, src, obj.Name, obj.Generation, cp.Cursor.Offset)
	} else {
		rc, err = src.OpenGeneration(ctx, obj.Name, obj.Generation)
	}
	if err != nil {
		return classify(fmt.Errorf("opening %s: %w", om.URI, err))
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
	if r := in.Range; r != nil {
		or = tr.OpenAt(io.LimitReader(rc, r.End-cp.Cursor.Offset), om.URI, cp.Cursor)
	} else if or, err = tr.Open(rc, om.URI, cp.Cursor); err != nil {
		return classify(err)
	}
	defer or.Close()
	partBytes := a.PartBytes
	if partBytes <= 0 {
		partBytes = DefaultPartBytes
	}
	for !or.Done() {
		out := a.newPartOutputs(ctx, in.RunID, fmt.Sprintf("%s-%05d-%05d", in.BatchID, cp.Object, cp.Parts), format)
		c, err := tr.TransformPart(ctx, or, out.outputs(), partBytes)
		if err == nil {
			err = out.commit(m)
		}
		if err != nil {
			out.abort()
			return classify(err)
		}
		om.Counts.Add(c)
		m.Counts.Add(c)
		m.StorageRetries += out.retries()
		countReads()
		om.Parts++
		cp.Parts++
		cp.Cursor = or.Cursor()
		if err := hb.record(*cp); err != nil {
			return err
		}
	}
	if err := om.Counts.Check(); err != nil {
		return classify(fmt.Errorf("object %s: %w", om.URI, err))
	}
	countReads()
	return nil
}

func summarize(name string, m Manifest) TransformResult {
	res := TransformResult{Manifest: name, Counts: m.Counts, StorageRetries: m.StorageRetries}
	for _, o := range m.Objects {
		switch r := o.Range; {
		case r == nil:
			res.Objects++
			res.Bytes += o.Size
		default:
			// An object read in ranges counts once, with its first range.
			if r.Offset == 0 {
				res.Objects++
			}
			res.Bytes += r.End - r.Offset
		}
	}
	return res
}

func (a *Activities) readManifest(ctx context.Context, name string) (Manifest, error) {
	var m Manifest
	rc, err := a.Staging.Open(ctx, name)
	if err != nil {
		return m, err
	}
	defer rc.Close()
	if err := json.NewDecoder(rc).Decode(&m); err != nil {
		return m, fmt.Errorf("reading manifest %s: %w", name, err)
	}
	return m, nil
}

func (a *Activities) writeManifest(ctx context.Context, name string, m Manifest) error {
	w, err := a.Staging.Create(ctx, name)
	if err != nil {
		return classify(fmt.Errorf("writing manifest %s: %w", name, err))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	if err := enc.Encode(m); err != nil {
		w.Abort()
		return fmt.Errorf("writing manifest %s: %w", name, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("writing manifest %s: %w", name, err)
	}
	return nil
}

// partOutputs are the files of one part: one per table and one for the dead
// letter, each created only when its first row arrives, so empty parts leave
// no empty files.
type partOutputs struct {
	files [6]lazyFile
}

var partTables = [6]string{
	clickstream.VisitsTable, clickstream.SessionsTable, clickstream.PageviewsTable,
	clickstream.AddtocartsTable, clickstream.PurchasesTable, "",
}

func (a *Activities) newPartOutputs(ctx context.Context, runID, part string, format clickstream.Format) *partOutputs {
	p := &partOutputs{}
	for i, table := range partTables {
		if table == "" {
			p.files[i] = lazyFile{ctx: ctx, store: a.DeadLetter, name: path.Join(runID, part+".ndjson")}
			continue
		}
		p.files[i] = lazyFile{ctx: ctx, store: a.Staging, name: path.Join(runID, table, part+format.Ext()), table: table}
	}
	return p
}

func (p *partOutputs) outputs() clickstream.Outputs {
	f := &p.files
	return clickstream.Outputs{Visits: &f[0], Sessions: &f[1], Pageviews: &f[2], Addtocarts: &f[3], Purchases: &f[4], DeadLetter: &f[5]}
}

// commit makes the part's files visible and records them in m.
func (p *partOutputs) commit(m *Manifest) error {
	for i := range p.files {
		f := &p.files[i]
		if f.w == nil {
			continue
		}
		if err := f.w.Close(); err != nil {
			return fmt.Errorf("writing %s: %w", f.name, err)
		}
		full := blob.Join(f.store.URI(), f.name)
		if f.table == "" {
			m.DeadLetter = append(m.DeadLetter, full)
		} else {
			m.Files[f.table] = append(m.Files[f.table], full)
		}
	}
	return nil
}

// retries sums the retries of the part's writers.
func (p *partOutputs) retries() int64 {
	var n int64
	for i := range p.files {
		if w := p.files[i].w; w != nil {
			n += blob.Retries(w)
		}
	}
	return n
}

func (p *partOutputs) abort() {
	for i := range p.files {
		if w := p.files[i].w; w != nil {
			w.Abort()
		}
	}
}

type lazyFile struct {
	ctx   context.Context
	store blob.Store
	name  string
	table string // "" for the dead letter
	w     blob.Writer
}

func (f *lazyFile) Write(b []byte) (int, error) {
	if f.w == nil {
		w, err := f.store.Create(f.ctx, f.name)
		if err != nil {
			return 0, err
		}
		f.w = w
	}
	return f.w.Write(b)
}

var _ io.Writer = (*lazyFile)(nil)
