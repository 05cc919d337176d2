package clickstream

import (
	"fmt"
	"io"
	"unsafe"

	"github.com/parquet-go/parquet-go"
)

// The Parquet writer fills the rows of parquet_rows.go from the validated
// tape and hands them to parquet-go in batches.
//
// The strings of a batch live in one arena: each is an unsafe string over the
// arena's bytes, which are reused once the batch has been written. That is
// safe because parquet-go copies what it is given (values into its column
// buffers, dictionary keys into its own allocator) and keeps no string of
// ours past GenericWriter.Write; TestParquetRoundTrip writes many batches
// through the same arena and would see any value that was kept.

// pqLimits bound the memory of the Parquet writer.
type pqLimits struct {
	// batchRows and batchBytes bound a batch: after any line that takes a
	// table to batchRows rows, or the arena to batchBytes, every table's rows
	// are written to parquet-go and the arena is reused.
	batchRows, batchBytes int
	// rowGroupBytes bounds a row group, which parquet-go holds in memory
	// (compressed, but for its current pages) until it is complete.
	rowGroupBytes int64
	// dictBytes bounds a column's dictionary in a row group; past it the
	// column falls back to plain encoding.
	dictBytes int64
}

// A row group of 1 MiB a table rather than 4 keeps the column buffers of a
// transform (five tables) near 5 MiB instead of 20: in a worker running
// four transforms at once that was 60 of its 110 MB of live heap, which
// the garbage collector lets grow to twice that. Measured on 200 MB: the
// worker's peak RSS while transforming 244-350 MB to 199-287 MB; staged
// bytes +1.4%, DuckDB's read of them and the load unchanged, the
// transform to Parquet 0-4% slower (within this machine's noise).
var defaultPQLimits = pqLimits{batchRows: 1024, batchBytes: 1 << 20, rowGroupBytes: 1 << 20, dictBytes: 1 << 20}

// pqTable buffers the rows of one table and writes them to one file per call.
//
// Each file gets a new parquet-go writer: GenericWriter.Reset (v0.32.0)
// clears the column paths the writer shares with the footer of the file it
// completed, so a reset writer writes footers whose column chunks have empty
// path_in_schema. A writer costs little beside a part's rows.
type pqTable[T any] struct {
	name string
	opts []parquet.WriterOption
	w    *parquet.GenericWriter[T] // nil until the call's first rows are written
	rows []T
	out  io.Writer
	rg   int64 // w.Size() when the current row group started

	batchRows int
	rgBytes   int64
}

func newPQTable[T any](name string, lim pqLimits, opts []parquet.WriterOption) pqTable[T] {
	var zero T
	// The schema is T's, named after the table.
	schema := parquet.NewSchema(name, parquet.SchemaOf(zero))
	opts = append(opts[:len(opts):len(opts)], schema)
	// No page bounds (column index) or column chunk min/max: the staged
	// files are read whole, once, by a load, which filters on nothing;
	// computing them was a tenth of the transform (with page statistics
	// off as well, see newPQWriter).
	for _, path := range schema.Columns() {
		opts = append(opts, parquet.SkipPageBounds(path...))
	}
	return pqTable[T]{
		name:      name,
		opts:      opts,
		rows:      make([]T, 0, lim.batchRows),
		batchRows: lim.batchRows,
		rgBytes:   lim.rowGroupBytes,
	}
}

// start prepares for a call writing to out; nothing is written to out
// unless a row arrives.
func (t *pqTable[T]) start(out io.Writer) {
	clear(t.rows)
	t.rows = t.rows[:0]
	t.out = out
	t.w = nil
}

// add appends a zero row and returns it to be filled.
func (t *pqTable[T]) add() *T {
	var zero T
	t.rows = append(t.rows, zero)
	return &t.rows[len(t.rows)-1]
}

func (t *pqTable[T]) full() bool { return len(t.rows) >= t.batchRows }

// write hands the buffered rows to parquet-go.
func (t *pqTable[T]) write() error {
	if len(t.rows) == 0 {
		return nil
	}
	if t.w == nil {
		t.w = parquet.NewGenericWriter[T](t.out, t.opts...)
		t.rg = 0
	}
	if _, err := t.w.Write(t.rows); err != nil {
		return fmt.Errorf("%s: %w", t.name, err)
	}
	clear(t.rows) // drop the references into the arena
	t.rows = t.rows[:0]
	if size := t.w.Size(); size-t.rg >= t.rgBytes {
		if err := t.w.Flush(); err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
		t.rg = t.w.Size()
	}
	return nil
}

// close writes the rest of the file, footer included, if one was started.
func (t *pqTable[T]) close() error {
	if t.w == nil {
		return nil
	}
	w := t.w
	t.w = nil
	if err := w.Close(); err != nil {
		return fmt.Errorf("%s: %w", t.name, err)
	}
	return nil
}

// pqWriter writes the Parquet rows of the lines of one call.
type pqWriter struct {
	p  *parser
	v  *validator
	rw *rowWriter // for the session key and the event ids

	visits     pqTable[pqVisit]
	sessions   pqTable[pqSession]
	pageviews  pqTable[pqPageview]
	addtocarts pqTable[pqAddtocart]
	purchases  pqTable[pqPurchase]
	ga4        pqTable[pqGA4Event] // GA4 input only
	tables     [6]pqFile           // the six above

	arena   []byte
	items   []pqItem       // the items of the batch's purchases and visits
	events  []pqVisitEvent // the events of the batch's visits
	members []byte         // scratch for an event's canonical members

	key           string // the current session's key, in the arena
	object, runID string
	arenaBytes    int
	emptyItems    []pqItem
}

func newPQWriter(rw *rowWriter, codec string, lim pqLimits) (*pqWriter, error) {
	c, err := parquetCodec(codec)
	if err != nil {
		return nil, err
	}
	opts := []parquet.WriterOption{
		parquet.Compression(c),
		// Version 1 data pages are what every reader handles.
		parquet.DataPageVersion(1),
		parquet.DictionaryMaxBytes(lim.dictBytes),
		// Page statistics serve readers that skip pages; a load reads
		// every page (7% of the transform's time).
		parquet.DataPageStatistics(false),
	}
	w := &pqWriter{
		p: rw.p, v: rw.v, rw: rw,
		visits:     newPQTable[pqVisit](VisitsTable, lim, opts),
		sessions:   newPQTable[pqSession](SessionsTable, lim, opts),
		pageviews:  newPQTable[pqPageview](PageviewsTable, lim, opts),
		addtocarts: newPQTable[pqAddtocart](AddtocartsTable, lim, opts),
		purchases:  newPQTable[pqPurchase](PurchasesTable, lim, opts),
		ga4:        newPQTable[pqGA4Event](GA4EventsTable, lim, opts),
		arena:      make([]byte, 0, lim.batchBytes+64<<10),
		items:      make([]pqItem, 0, 256),
		events:     make([]pqVisitEvent, 0, 256),
		arenaBytes: lim.batchBytes,
		emptyItems: []pqItem{},
	}
	w.tables = [6]pqFile{&w.visits, &w.sessions, &w.pageviews, &w.addtocarts, &w.purchases, &w.ga4}
	return w, nil
}

// pqFile is a pqTable of any row type.
type pqFile interface {
	full() bool
	write() error
	close() error
}

// start prepares for a call writing the tables to outs (indexed by
// outVisits..outPurchases, and outGA4Events, nil for session input).
func (w *pqWriter) start(outs *[nOut]io.Writer, object, runID string) {
	w.visits.start(outs[outVisits])
	w.sessions.start(outs[outSessions])
	w.pageviews.start(outs[outPageviews])
	w.addtocarts.start(outs[outAddtocarts])
	w.purchases.start(outs[outPurchases])
	w.ga4.start(outs[outGA4Events])
	w.reuse()
	w.object, w.runID = object, runID
}

// reuse empties the arena and the pools once no row refers to them.
func (w *pqWriter) reuse() {
	w.arena = w.arena[:0]
	clear(w.items)
	w.items = w.items[:0]
	clear(w.events)
	w.events = w.events[:0]
}

// lineDone writes the batch if it is full. It is called between lines only,
// as the rows of a line in progress use the arena.
func (w *pqWriter) lineDone() error {
	full := len(w.arena) >= w.arenaBytes
	for _, t := range w.tables {
		full = full || t.full()
	}
	if !full {
		return nil
	}
	return w.writeBatch()
}

func (w *pqWriter) writeBatch() error {
	for _, t := range w.tables {
		if err := t.write(); err != nil {
			return err
		}
	}
	w.reuse()
	return nil
}

// finish writes the batch and completes the file of every table that got rows.
func (w *pqWriter) finish() error {
	if err := w.writeBatch(); err != nil {
		return err
	}
	for _, t := range w.tables {
		if err := t.close(); err != nil {
			return err
		}
	}
	return nil
}

// bytes copies b into the arena and returns it as a string valid until the
// arena is reused.
func (w *pqWriter) bytes(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	start := len(w.arena)
	w.arena = append(w.arena, b...)
	return unsafe.String(&w.arena[start], len(b))
}

// str returns the unescaped value of string node n, in the arena.
func (w *pqWriter) str(n int32) string {
	start := len(w.arena)
	w.arena = w.p.appendUnescaped(w.arena, n)
	if len(w.arena) == start {
		return ""
	}
	return unsafe.String(&w.arena[start], len(w.arena)-start)
}

// optStr points *col at *store holding string node n, or leaves it nil for none.
func (w *pqWriter) optStr(col **string, store *string, n int32) {
	if n != none {
		*store = w.str(n)
		*col = store
	}
}

func optFloat(col **float64, store *float64, x number) {
	if x.set {
		*store = x.f
		*col = store
	}
}

func optInt(col **int64, store *int64, x number) {
	if x.set {
		*store = x.i
		*col = store
	}
}

// beginSession takes the session key computed by rw.sessionKey.
func (w *pqWriter) beginSession() {
	w.key = w.bytes(w.rw.key[:])
}

// eventID returns e's event_id, in the arena.
func (w *pqWriter) eventID(e *event) string {
	if !e.idSet {
		w.members = w.rw.eventMembers(w.members[:0], e)
		w.rw.hashEvent(e.typ, w.members)
		copy(e.id[:], w.rw.sum)
	}
	start := len(w.arena)
	w.arena = e.appendID(w.arena)
	return unsafe.String(&w.arena[start], len(w.arena)-start)
}

// itemsOf appends the items of d to the pool and returns them; nil when d
// had no items array.
func (w *pqWriter) itemsOf(d *details) []pqItem {
	if d.items == none {
		return nil
	}
	if d.itemFrom == d.itemTo {
		return w.emptyItems
	}
	from := len(w.items)
	for _, it := range w.v.items[d.itemFrom:d.itemTo] {
		w.items = append(w.items, pqItem{})
		r := &w.items[len(w.items)-1]
		optInt(&r.Quantity, &r.quantity, it.quantity)
		optFloat(&r.Price, &r.price, it.price)
		w.optStr(&r.Category, &r.category, it.category)
		w.optStr(&r.ProductName, &r.productName, it.productName)
		w.optStr(&r.ProductID, &r.productID, it.productID)
	}
	return w.items[from:len(w.items):len(w.items)]
}

// event adds the row of a valid event to its table.
func (w *pqWriter) event(e *event, line int64) {
	d := &e.d
	switch e.typ {
	case PageView:
		r := w.pageviews.add()
		r.SessionKey = w.key
		r.Timestamp = e.ts
		r.PageURL = w.str(d.str[dPageURL])
		w.optStr(&r.ReferrerURL, &r.referrer, d.str[dReferrerURL])
		r.EventID = w.eventID(e)
		r.SourceObject, r.SourceLine, r.RunID = w.object, line, w.runID
	case AddItemToCart:
		r := w.addtocarts.add()
		r.SessionKey = w.key
		r.Timestamp = e.ts
		r.ProductID = w.str(d.str[dProductID])
		w.optStr(&r.ProductName, &r.productName, d.str[dProductName])
		w.optStr(&r.Category, &r.category, d.str[dCategory])
		r.Quantity = d.quantity.i
		r.Price = d.price.f
		r.EventID = w.eventID(e)
		r.SourceObject, r.SourceLine, r.RunID = w.object, line, w.runID
	case Purchase:
		r := w.purchases.add()
		r.SessionKey = w.key
		r.Timestamp = e.ts
		r.OrderID = w.str(d.str[dOrderID])
		w.optStr(&r.Currency, &r.currency, d.str[dCurrency])
		r.Amount = d.amount.f
		r.Items = w.itemsOf(d)
		r.EventID = w.eventID(e)
		r.SourceObject, r.SourceLine, r.RunID = w.object, line, w.runID
	}
}

// visit adds the lake row of s: its valid events (w.v.events), each with the
// detail fields it had and its event_id (set when its row was added).
func (w *pqWriter) visit(s *session, line int64) {
	from := len(w.events)
	for i := range w.v.events {
		e := &w.v.events[i]
		w.events = append(w.events, pqVisitEvent{})
		ve := &w.events[len(w.events)-1]
		ev := &ve.event
		ve.Event = ev
		start := len(w.arena)
		w.arena = e.appendID(w.arena)
		ve.eventID = unsafe.String(&w.arena[start], len(w.arena)-start)
		ve.EventID = &ve.eventID
		ev.typ = e.typ.String()
		ev.EventType = &ev.typ
		ev.ts = e.ts
		ev.Timestamp = &ev.ts
		d, pd := &e.d, &ev.details
		ev.Details = pd
		w.optStr(&pd.PageURL, &pd.str[dPageURL], d.str[dPageURL])
		w.optStr(&pd.ReferrerURL, &pd.str[dReferrerURL], d.str[dReferrerURL])
		w.optStr(&pd.ProductID, &pd.str[dProductID], d.str[dProductID])
		w.optStr(&pd.ProductName, &pd.str[dProductName], d.str[dProductName])
		w.optStr(&pd.Category, &pd.str[dCategory], d.str[dCategory])
		optFloat(&pd.Price, &pd.price, d.price)
		optInt(&pd.Quantity, &pd.quantity, d.quantity)
		w.optStr(&pd.OrderID, &pd.str[dOrderID], d.str[dOrderID])
		optFloat(&pd.Amount, &pd.amount, d.amount)
		w.optStr(&pd.Currency, &pd.str[dCurrency], d.str[dCurrency])
		pd.Items = w.itemsOf(d)
	}
	r := w.visits.add()
	r.SessionID = w.str(s.id)
	r.UserID = w.str(s.user)
	r.DeviceType = w.str(s.device)
	w.optStr(&r.Geolocation, &r.geo, s.geo)
	w.optStr(&r.UserAgent, &r.agent, s.agent)
	r.Events = w.events[from:len(w.events):len(w.events)]
	r.SessionKey = w.key
	r.SourceObject, r.SourceLine, r.RunID = w.object, line, w.runID
}

// session adds the sessions row of s.
func (w *pqWriter) session(s *session, line int64) {
	r := w.sessions.add()
	r.SessionKey = w.key
	r.SessionID = w.str(s.id)
	r.UserID = w.str(s.user)
	w.optStr(&r.UserAgent, &r.agent, s.agent)
	w.optStr(&r.Geolocation, &r.geo, s.geo)
	r.DeviceType = w.str(s.device)
	r.SourceObject, r.SourceLine, r.RunID = w.object, line, w.runID
}
