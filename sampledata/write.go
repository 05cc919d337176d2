package sampledata

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/clickstream-platform/clickstream/clickstream"
)

// Object is one generated object and what SPEC.md's accounting must report for it.
type Object struct {
	// Name is the slash path under the output root:
	// "dt=2024-01-30/sessions-00000.jsonl", with ".gz" when gzipped.
	Name string
	// Bytes is the size written, compressed when gzipped.
	Bytes int64
	// Expected is the exact accounting of the object.
	Expected clickstream.Counts
}

// Summary describes a whole generated run.
type Summary struct {
	Objects []Object
	// Expected is the sum of the objects' Expected.
	Expected clickstream.Counts
	// The rows each dw table holds after dedup: one per distinct session_key
	// among valid sessions, one per distinct valid event. Duplicated sessions
	// count once.
	DistinctSessions, DistinctPageviews, DistinctAddtocarts, DistinctPurchases int64
	// Bytes is the sum of the objects' Bytes.
	Bytes int64
}

// Distinct is the rows each dw table holds after dedup (Summary's Distinct
// figures), as JSON reports carry them.
type Distinct struct {
	// Visits are the valid session lines: the lake keeps every copy.
	Visits     int64 `json:"visits"`
	Sessions   int64 `json:"sessions"`
	Pageviews  int64 `json:"pageviews"`
	Addtocarts int64 `json:"addtocarts"`
	Purchases  int64 `json:"purchases"`
	// GA4Events are the valid GA4 lines (GA4 input only): the lake keeps
	// every copy.
	GA4Events int64 `json:"ga4_events,omitempty"`
}

// Distinct returns the summary's distinct rows.
func (s Summary) Distinct() Distinct {
	return Distinct{s.Expected.SessionsValid, s.DistinctSessions, s.DistinctPageviews, s.DistinctAddtocarts, s.DistinctPurchases,
		s.Expected.EventsValid}
}

// Rows returns the rows each table holds after dedup, by table name: the
// lake's visits hold every valid line, the others one row per key.
func (d Distinct) Rows() map[string]int64 {
	rows := map[string]int64{
		clickstream.VisitsTable: d.Visits, clickstream.SessionsTable: d.Sessions,
		clickstream.PageviewsTable: d.Pageviews, clickstream.AddtocartsTable: d.Addtocarts,
		clickstream.PurchasesTable: d.Purchases,
	}
	if d.GA4Events > 0 {
		rows[clickstream.GA4EventsTable] = d.GA4Events
	}
	return rows
}

// WriteObjects generates every object: for each object name, in order, it calls
// create, streams the object to the writer it returns and closes it.
func WriteObjects(opts Options, create func(name string) (io.WriteCloser, error)) (Summary, error) {
	if err := opts.Validate(); err != nil {
		return Summary{}, err
	}
	o := opts.withDefaults()
	var g objectWriter
	if o.Format == clickstream.GA4Input {
		g = newGA4Gen(o)
	} else {
		g = newGenerator(o)
	}
	var (
		sum Summary
		bw  = bufio.NewWriterSize(nil, 256<<10)
		gz  *gzip.Writer
	)
	for i := 0; i < o.Files; i++ {
		day := o.fileDay(i)
		name := o.objectName(day, i)
		n := o.Sessions / o.Files
		if i < o.Sessions%o.Files {
			n++
		}
		obj, err := writeObject(g, create, name, day.Unix(), n, bw, &gz)
		if err != nil {
			return sum, fmt.Errorf("writing %s: %w", name, err)
		}
		sum.Objects = append(sum.Objects, obj)
		sum.Expected.Add(obj.Expected)
		sum.Bytes += obj.Bytes
	}
	g.distinctInto(&sum)
	return sum, nil
}

// ObjectNames returns the names WriteObjects creates for o, in order.
func (o Options) ObjectNames() []string {
	o = o.withDefaults()
	names := make([]string, 0, max(o.Files, 0))
	for i := 0; i < o.Files; i++ {
		names = append(names, o.objectName(o.fileDay(i), i))
	}
	return names
}

// fileDay is the day of file i: the files are spread in order over the days.
func (o Options) fileDay(i int) time.Time {
	return o.firstDay().AddDate(0, 0, int(int64(i)*int64(o.Days)/int64(o.Files)))
}

func (o Options) objectName(day time.Time, i int) string {
	kind := "sessions"
	if o.Format == clickstream.GA4Input {
		kind = "events"
	}
	name := fmt.Sprintf("dt=%s/%s-%05d.jsonl", day.Format(time.DateOnly), kind, i)
	if o.Gzip {
		name += ".gz"
	}
	return name
}

// objectWriter writes one object's lines in one input format and knows the
// distinct rows of what it wrote.
type objectWriter interface {
	writeObject(w *bufio.Writer, day int64, n int) (clickstream.Counts, error)
	distinctInto(s *Summary)
	gzip() bool
}

func (g *generator) distinctInto(s *Summary) {
	s.DistinctSessions = g.sessions
	s.DistinctPageviews = g.distinct.pageviews
	s.DistinctAddtocarts = g.distinct.addtocarts
	s.DistinctPurchases = g.distinct.purchases
}

func (g *generator) gzip() bool { return g.o.Gzip }

func (g *ga4Gen) distinctInto(s *Summary) {
	s.DistinctSessions = g.distinct.sessions
	s.DistinctPageviews = g.distinct.pageviews
	s.DistinctAddtocarts = g.distinct.addtocartRows
	s.DistinctPurchases = g.distinct.purchases
}

func (g *ga4Gen) gzip() bool { return g.o.Gzip }

func writeObject(g objectWriter, create func(string) (io.WriteCloser, error), name string,
	day int64, n int, bw *bufio.Writer, gz **gzip.Writer) (Object, error) {
	obj := Object{Name: name}
	wc, err := create(name)
	if err != nil {
		return obj, fmt.Errorf("creating: %w", err)
	}
	cw := &countingWriter{w: wc}
	var zw *gzip.Writer
	if g.gzip() {
		if *gz == nil {
			*gz, _ = gzip.NewWriterLevel(cw, gzip.BestSpeed) // the level is valid
		} else {
			(*gz).Reset(cw)
		}
		zw = *gz
		bw.Reset(zw)
	} else {
		bw.Reset(cw)
	}
	obj.Expected, err = g.writeObject(bw, day, n)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil && zw != nil {
		err = zw.Close()
	}
	if cerr := wc.Close(); err == nil {
		err = cerr
	}
	obj.Bytes = cw.n
	return obj, err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Generate writes the objects as files under dir, creating the dt= folders.
func Generate(dir string, opts Options) (Summary, error) {
	return WriteObjects(opts, func(name string) (io.WriteCloser, error) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		return os.Create(p)
	})
}
