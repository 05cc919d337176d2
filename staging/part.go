package staging

import (
	"context"
	"fmt"
	"io"

	"github.com/clickstream-platform/clickstream/blob"
	"github.com/clickstream-platform/clickstream/clickstream"
)

// Part is the files of one part of one object being written: one per table
// and one for the dead letter, each created only when its first byte
// arrives, so that an empty part leaves no empty files. Nothing of it is
// visible until Commit; Abort leaves no trace.
type Part struct {
	files [7]lazyFile
}

// partTables are the tables of a part's files, in clickstream.Outputs'
// order; "" is the dead letter.
var partTables = [7]string{
	clickstream.VisitsTable, clickstream.SessionsTable, clickstream.PageviewsTable,
	clickstream.AddtocartsTable, clickstream.PurchasesTable, "", clickstream.GA4EventsTable,
}

// NewPart starts part partID of run runID, its rows staged in format.
func (a Area) NewPart(ctx context.Context, runID, partID string, format clickstream.Format) *Part {
	p := &Part{}
	for i, table := range partTables {
		if table == "" {
			p.files[i] = lazyFile{ctx: ctx, store: a.DeadLetter, name: DeadLetterName(runID, partID)}
			continue
		}
		p.files[i] = lazyFile{ctx: ctx, store: a.Staging, name: PartName(runID, table, partID, format), table: table}
	}
	return p
}

// Outputs are the writers the transform writes the part to.
func (p *Part) Outputs() clickstream.Outputs {
	f := &p.files
	return clickstream.Outputs{Visits: &f[0], Sessions: &f[1], Pageviews: &f[2], Addtocarts: &f[3], Purchases: &f[4], DeadLetter: &f[5],
		GA4Events: &f[6]}
}

// Commit makes the part's files visible and records their full names in m.
func (p *Part) Commit(m *Manifest) error {
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

// Retries sums the requests the part's writers sent again (blob.Retries).
func (p *Part) Retries() int64 {
	var n int64
	for i := range p.files {
		if w := p.files[i].w; w != nil {
			n += blob.Retries(w)
		}
	}
	return n
}

// Abort discards every file of the part.
func (p *Part) Abort() {
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
