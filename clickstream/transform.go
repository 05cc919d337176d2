package clickstream

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"
)

// DefaultMaxLineBytes is the longest line read when Options.MaxLineBytes is zero.
const DefaultMaxLineBytes = 16 << 20

// flushAt is how much output a table's buffer holds before it is written out.
const flushAt = 256 << 10

// Options configures a Transformer.
type Options struct {
	// RunID is written to every row's run_id column and every dead-letter
	// record. Required.
	RunID string
	// MaxLineBytes is the longest line read; a longer line is dead-lettered
	// with its first TooLongPrefix bytes. Optional: default DefaultMaxLineBytes.
	MaxLineBytes int
	// MaxLineSetBy says what sets MaxLineBytes, as the reason of a longer
	// line's dead-letter record names it (its code is CodeLineTooLong
	// either way). Optional: default "transform.max_line_bytes", the
	// configuration key.
	MaxLineSetBy string
	// Format is the format of the staged rows: NDJSON or Parquet. The dead
	// letter is NDJSON either way. Optional: default NDJSON.
	Format Format
	// ParquetCompression is the codec of Parquet pages: "snappy", "zstd" or
	// "none". Optional: default DefaultParquetCompression ("snappy").
	ParquetCompression string
	// Input is the shape of the input lines: SessionsInput or GA4Input.
	// Optional: default SessionsInput.
	Input InputFormat
}

// Outputs are where one object's staged rows and dead-letter records go.
// Every writer is required, but GA4Events, which only GA4 input writes to
// (and requires). With NDJSON they may be shared between calls
// and objects. With Parquet each call of Transform or TransformPart writes
// one complete Parquet file to each table output that gets at least one row
// (and nothing to the others), so table outputs must not be shared between
// calls: give every call, every part, its own.
type Outputs struct {
	Visits, Sessions, Pageviews, Addtocarts, Purchases io.Writer
	DeadLetter                                         io.Writer
	GA4Events                                          io.Writer
}

// DeadLetter is one rejected line or event, as written to the dead letter.
type DeadLetter struct {
	RunID        string `json:"run_id"`
	SourceObject string `json:"source_object"`
	Line         int64  `json:"line"`                  // 1-based
	EventIndex   *int   `json:"event_index,omitempty"` // 0-based index in "events"; absent for a rejected line
	Code         string `json:"code"`
	Reason       string `json:"reason"`
	// Raw is the original text: the whole line, or the event's JSON. Bytes that
	// are not valid UTF-8 appear as U+FFFD; RawBase64 then holds the exact bytes.
	Raw       string `json:"raw"`
	RawBase64 string `json:"raw_base64,omitempty"`
	// Truncated says Raw holds only the first TooLongPrefix bytes of a line of
	// LineBytes bytes.
	Truncated bool  `json:"truncated,omitempty"`
	LineBytes int64 `json:"line_bytes,omitempty"`
}

// Transformer turns session JSONL into staged rows. It reuses its buffers from
// line to line and object to object; it is not safe for concurrent use.
type Transformer struct {
	opts  Options
	p     parser
	v     validator
	w     *rowWriter
	pq    *pqWriter   // nil unless the format is Parquet
	ga4   *ga4        // nil unless the input is GA4's
	lr    *lineReader // shared by the ObjectReaders, which are read one at a time
	bufs  [nOut][]byte
	outs  [nOut]io.Writer
	runID []byte // the run id as a JSON string
	obj   []byte // the object name as a JSON string
	// rejects counts the rejections since the last TakeRejects.
	rejects Rejects
	// part says a part is begun and not yet ended.
	part bool
}

const (
	outVisits = iota
	outSessions
	outPageviews
	outAddtocarts
	outPurchases
	outDeadLetter
	outGA4Events
	nOut
)

// NewTransformer returns a Transformer for opts.
func NewTransformer(opts Options) (*Transformer, error) {
	if opts.RunID == "" {
		return nil, errors.New("transformer: RunID is required")
	}
	if opts.MaxLineBytes == 0 {
		opts.MaxLineBytes = DefaultMaxLineBytes
	}
	if opts.MaxLineBytes < 1 {
		return nil, fmt.Errorf("transformer: MaxLineBytes must be positive, got %d", opts.MaxLineBytes)
	}
	if opts.MaxLineSetBy == "" {
		opts.MaxLineSetBy = "transform.max_line_bytes"
	}
	if opts.Format == "" {
		opts.Format = NDJSON
	}
	if _, err := ParseFormat(string(opts.Format)); err != nil {
		return nil, fmt.Errorf("transformer: %w", err)
	}
	if _, err := parquetCodec(opts.ParquetCompression); err != nil {
		return nil, fmt.Errorf("transformer: %w", err)
	}
	if opts.Input == "" {
		opts.Input = SessionsInput
	}
	if _, err := ParseInputFormat(string(opts.Input)); err != nil {
		return nil, fmt.Errorf("transformer: %w", err)
	}
	t := &Transformer{opts: opts, lr: newLineReader(opts.MaxLineBytes)}
	t.v.p = &t.p
	t.w = newRowWriter(&t.p, &t.v)
	if opts.Input == GA4Input {
		t.ga4 = newGA4(&t.p, &t.v, t.w)
	}
	if opts.Format == Parquet {
		pq, err := newPQWriter(t.w, opts.ParquetCompression, defaultPQLimits)
		if err != nil {
			return nil, fmt.Errorf("transformer: %w", err)
		}
		t.pq = pq
	}
	t.runID = appendJSONString(nil, []byte(opts.RunID))
	return t, nil
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Cursor is a position in an object at a line boundary: the checkpoint from
// which a transform can resume.
type Cursor struct {
	Line   int64 `json:"line"`   // lines read so far; the next line is Line+1
	Offset int64 `json:"offset"` // bytes of uncompressed content read so far
}

// ObjectReader reads the lines of one object from a cursor on. Get one from
// Transformer.Open; transform it, in one or more parts, with TransformPart.
type ObjectReader struct {
	name string
	src  *readErrs
	gz   *gzip.Reader
	lr   *lineReader
	cur  Cursor
	done bool
}

// Cursor returns where the next part starts.
func (o *ObjectReader) Cursor() Cursor { return o.cur }

// Done reports whether the whole object has been read.
func (o *ObjectReader) Done() bool { return o.done }

// Close releases the decompressor, if any; it does not close the source.
func (o *ObjectReader) Close() error {
	if o.gz != nil {
		return o.gz.Close()
	}
	return nil
}

// Open prepares to read object from r, which must deliver the object from
// its first byte, plain or gzip-compressed (recognised by its magic bytes,
// whatever its name). With a non-zero cursor, the content before it is
// skipped without being parsed; the cursor must come from an earlier read of
// the same object.
func (t *Transformer) Open(r io.Reader, object string, from Cursor) (*ObjectReader, error) {
	o := &ObjectReader{name: object, src: &readErrs{r: r}, lr: t.lr, cur: from}
	br := bufio.NewReaderSize(o.src, 64<<10)
	var in io.Reader = br
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, t.readError(object, 0, o.src, err)
		}
		o.gz, in = gz, gz
	} else if err != nil && !errors.Is(err, io.EOF) {
		return nil, t.readError(object, 0, o.src, err)
	}
	if from.Offset > 0 {
		n, err := io.CopyN(io.Discard, in, from.Offset)
		if err != nil {
			o.Close()
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("transform %s: %w: it has %d bytes, fewer than the checkpoint's %d: it changed since",
					object, ErrCorruptObject, n, from.Offset)
			}
			return nil, t.readError(object, from.Line+1, o.src, err)
		}
	}
	o.lr.reset(in)
	return o, nil
}

// OpenAt prepares to read a range of a plain (uncompressed) object from r,
// which delivers the object's content from byte from.Offset on, where from
// is a line boundary: Line lines precede it. Several workers can so read the
// ranges of one large object at once, each numbering its lines from the
// right place. The range ends where r does.
func (t *Transformer) OpenAt(r io.Reader, object string, from Cursor) *ObjectReader {
	o := &ObjectReader{name: object, src: &readErrs{r: r}, lr: t.lr, cur: from}
	o.lr.reset(o.src)
	return o
}

// TakeRejects returns the rejections counted since it was last called, and
// starts counting again: a caller that commits a part's output takes them
// with it.
func (t *Transformer) TakeRejects() Rejects {
	r := t.rejects
	t.rejects = Rejects{}
	return r
}

// Transform reads one whole object from r (see Open) and writes its rows and
// rejects to out (with Parquet, one file per table output that gets rows; see
// Outputs). It returns the object's counts. An error means the object
// could not be read to its end or an output failed; errors.Is(err,
// ErrCorruptObject) tells a damaged object (which no retry will mend) from an
// I/O failure.
func (t *Transformer) Transform(ctx context.Context, r io.Reader, object string, out Outputs) (Counts, error) {
	o, err := t.Open(r, object, Cursor{})
	if err != nil {
		return Counts{}, err
	}
	defer o.Close()
	return t.TransformPart(ctx, o, out, math.MaxInt64)
}

// TransformPart transforms the lines of o from its cursor on, until at least
// maxBytes of content have been read or the object ends, and writes their
// rows and rejects to out. Every part ends at a line boundary, so
// o.Cursor() afterwards is a checkpoint to resume from. With Parquet, each
// call writes one complete file to each table output that gets rows and
// nothing to the others, so every part needs outputs of its own.
func (t *Transformer) TransformPart(ctx context.Context, o *ObjectReader, out Outputs, maxBytes int64) (Counts, error) {
	if o.done {
		return Counts{}, nil
	}
	if err := t.BeginPart(out); err != nil {
		return Counts{}, fmt.Errorf("transform %s: %w", o.name, err)
	}
	c, err := t.ReadPart(ctx, o, maxBytes)
	if err != nil {
		t.part = false
		return c, err
	}
	return c, t.EndPart()
}

// BeginPart starts a part written to out, which ReadPart then fills from one
// object or several in turn, and EndPart completes. A part that spans many
// small objects keeps the staged files per table few: one per part, not one
// per object. Outputs are as for TransformPart.
func (t *Transformer) BeginPart(out Outputs) error {
	if t.part {
		return errors.New("a part is already begun")
	}
	t.outs = [nOut]io.Writer{out.Visits, out.Sessions, out.Pageviews, out.Addtocarts, out.Purchases, out.DeadLetter, out.GA4Events}
	for i, w := range t.outs {
		if w == nil && (i != outGA4Events || t.ga4 != nil) {
			return fmt.Errorf("output %d is nil", i)
		}
	}
	if t.pq != nil {
		t.pq.start(&t.outs, "", t.opts.RunID)
	}
	t.part = true
	return nil
}

// ReadPart transforms the lines of o from its cursor on into the part begun,
// until at least maxBytes of content have been read or the object ends. It
// returns o's counts for the lines read. After an error the part is lost:
// abandon its outputs.
func (t *Transformer) ReadPart(ctx context.Context, o *ObjectReader, maxBytes int64) (Counts, error) {
	var c Counts
	if !t.part {
		return c, fmt.Errorf("transform %s: no part begun", o.name)
	}
	if o.done {
		return c, nil
	}
	if t.ga4 != nil {
		c.Format = GA4Input
	}
	t.obj = appendJSONString(t.obj[:0], []byte(o.name))
	t.w.setSource(o.name, t.opts.RunID)
	if t.pq != nil {
		t.pq.object = o.name
	}
	lr := o.lr
	start := o.cur.Offset
	base := o.cur.Offset - lr.consumed // lr counts from where Open left it
	for o.cur.Offset-start < maxBytes {
		ln, err := lr.next()
		if errors.Is(err, io.EOF) {
			o.done = true
			break
		}
		if err != nil {
			t.part = false
			return c, errors.Join(t.readError(o.name, o.cur.Line+1, o.src, err), t.flush(true))
		}
		lineNo := o.cur.Line + 1
		if lineNo == 1 {
			ln.text = bytes.TrimPrefix(ln.text, utf8BOM)
		}
		if t.ga4 != nil {
			t.ga4Line(ln, lineNo, &c)
		} else {
			t.line(ln, lineNo, &c)
		}
		o.cur = Cursor{Line: lineNo, Offset: base + lr.consumed}
		if lineNo%1024 == 0 {
			if err := ctx.Err(); err != nil {
				t.part = false
				return c, err
			}
		}
		if err := t.flush(false); err != nil {
			t.part = false
			return c, fmt.Errorf("transform %s: writing output: %w", o.name, err)
		}
	}
	return c, nil
}

// EndPart writes out what the part holds and completes its files.
func (t *Transformer) EndPart() error {
	if !t.part {
		return errors.New("transform: no part begun")
	}
	t.part = false
	if err := t.flush(true); err != nil {
		return fmt.Errorf("transform: writing output: %w", err)
	}
	return nil
}

// readErrs remembers the underlying reader's error, so a failure of the
// source can be told from damaged content found by the gzip reader.
type readErrs struct {
	r   io.Reader
	err error
}

func (r *readErrs) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		r.err = err
	}
	return n, err
}

func (t *Transformer) readError(object string, lineNo int64, src *readErrs, err error) error {
	where := "header"
	if lineNo > 0 {
		where = "line " + strconv.FormatInt(lineNo, 10)
	}
	if src.err != nil && errors.Is(err, src.err) {
		return fmt.Errorf("transform %s: reading %s: %w", object, where, err)
	}
	return fmt.Errorf("transform %s: %w at %s: %v", object, ErrCorruptObject, where, err)
}

// flush writes out what the buffers hold, all of it at the end of a call
// (completing the Parquet files), or only what has grown large enough.
func (t *Transformer) flush(all bool) error {
	if t.pq != nil {
		var err error
		if all {
			err = t.pq.finish()
		} else {
			err = t.pq.lineDone()
		}
		if err != nil {
			return err
		}
	}
	for i := range t.bufs {
		if len(t.bufs[i]) == 0 || (!all && len(t.bufs[i]) < flushAt) {
			continue
		}
		if _, err := t.outs[i].Write(t.bufs[i]); err != nil {
			return err
		}
		t.bufs[i] = t.bufs[i][:0]
	}
	return nil
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

// line applies SPEC.md to one line and writes its rows or rejects.
func (t *Transformer) line(ln line, lineNo int64, c *Counts) {
	c.Lines++
	if ln.tooLong {
		c.SessionsRejected++
		t.lineTooLong(ln, lineNo)
		return
	}
	text := ln.text
	if isBlank(text) {
		c.Blank++
		return
	}
	if err := t.p.parse(text); err != nil {
		c.SessionsRejected++
		t.deadLetter(lineNo, -1, CodeInvalidJSON, "invalid JSON: "+err.Error(), text, 0)
		return
	}
	s, r := t.v.session(0)
	if r != nil {
		c.SessionsRejected++
		t.deadLetter(lineNo, -1, r.Code, r.Reason, text, 0)
		return
	}
	c.SessionsValid++
	t.w.sessionKey(&s)
	if t.pq != nil {
		t.pq.beginSession()
	}
	t.v.events = t.v.events[:0]
	t.v.items = t.v.items[:0]
	if s.events != none {
		nodes := t.p.nodes
		idx := 0
		for el := s.events + 1; el < nodes[s.events].sub; el, idx = nodes[el].sub, idx+1 {
			c.EventsSeen++
			if r := t.v.event(el); r != nil {
				c.EventsRejected++
				t.deadLetter(lineNo, idx, r.Code, r.Reason, t.p.raw(el), 0)
				continue
			}
			e := &t.v.events[len(t.v.events)-1]
			var out int
			switch e.typ {
			case PageView:
				c.Pageviews++
				out = outPageviews
			case AddItemToCart:
				c.Addtocarts++
				out = outAddtocarts
			case Purchase:
				c.Purchases++
				out = outPurchases
			}
			if t.pq != nil {
				t.pq.event(e, lineNo)
				continue
			}
			t.bufs[out] = t.w.eventRow(t.bufs[out], e, lineNo)
		}
	}
	if t.pq != nil {
		t.pq.visit(&s, lineNo)
		t.pq.session(&s, lineNo)
		return
	}
	t.bufs[outVisits] = t.w.visitRow(t.bufs[outVisits], &s, lineNo)
	t.bufs[outSessions] = t.w.sessionRow(t.bufs[outSessions], &s, lineNo)
}

// lineTooLong dead-letters a line longer than the maximum, with its start.
func (t *Transformer) lineTooLong(ln line, lineNo int64) {
	t.deadLetter(lineNo, -1, CodeLineTooLong,
		fmt.Sprintf("line is %d bytes, longer than the maximum of %d (%s); only its first %d bytes are kept here",
			ln.size, t.opts.MaxLineBytes, t.opts.MaxLineSetBy, len(ln.text)),
		ln.text, ln.size)
}

// deadLetter appends one DeadLetter record; eventIndex < 0 means the whole line.
// lineBytes > 0 marks raw as the truncated start of a line that long.
func (t *Transformer) deadLetter(lineNo int64, eventIndex int, code, reason string, raw []byte, lineBytes int64) {
	t.rejects.record(eventIndex >= 0, code, reason)
	raw = bytes.TrimSuffix(raw, []byte{'\r'})
	if lineBytes > 0 { // the cut may have split a UTF-8 sequence: drop its start
		for i := 0; i < utf8.UTFMax-1 && len(raw) > 0; i++ {
			if r, size := utf8.DecodeLastRune(raw); r != utf8.RuneError || size > 1 {
				break
			}
			raw = raw[:len(raw)-1]
		}
	}
	b := t.bufs[outDeadLetter]
	b = append(b, `{"run_id":`...)
	b = append(b, t.runID...)
	b = append(b, `,"source_object":`...)
	b = append(b, t.obj...)
	b = append(b, `,"line":`...)
	b = strconv.AppendInt(b, lineNo, 10)
	if eventIndex >= 0 {
		b = append(b, `,"event_index":`...)
		b = strconv.AppendInt(b, int64(eventIndex), 10)
	}
	b = append(b, `,"code":"`...)
	b = append(b, code...)
	b = append(b, `","reason":`...)
	b = appendRawText(b, []byte(reason))
	b = append(b, `,"raw":`...)
	b = appendRawText(b, raw)
	if !utf8.Valid(raw) {
		b = append(b, `,"raw_base64":"`...)
		b = base64.StdEncoding.AppendEncode(b, raw)
		b = append(b, '"')
	}
	if lineBytes > 0 {
		b = append(b, `,"truncated":true,"line_bytes":`...)
		b = strconv.AppendInt(b, lineBytes, 10)
	}
	t.bufs[outDeadLetter] = append(b, '}', '\n')
}
