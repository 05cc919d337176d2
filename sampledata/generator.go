package sampledata

import (
	"bufio"
	"math/rand/v2"

	"github.com/clickstream-platform/clickstream/clickstream"
)

// generator holds the state of one run: the RNG, the id counters, reusable
// buffers and the sessions kept for duplicates. All output derives from Options
// through g.rng and the counters, in a fixed order.
type generator struct {
	o     Options
	rng   *rand.Rand
	salt  uint64
	users int

	seq    uint64 // sessions started, for unique session ids
	orders uint64 // purchases, for unique order ids

	line, tmp, evs, scratch []byte
	url, ref                []byte
	path, prev              []byte // current and previous page path
	cart                    []cartItem

	recent  ring      // the last sessions, for duplicates close in time
	history reservoir // a uniform sample of all sessions so far

	distinct evCounts
	sessions int64 // distinct sessions
}

// evCounts is the event accounting of one valid session.
type evCounts struct {
	seen, pageviews, addtocarts, purchases, rejected int64
}

func (c *evCounts) add(o evCounts) {
	c.seen += o.seen
	c.pageviews += o.pageviews
	c.addtocarts += o.addtocarts
	c.purchases += o.purchases
	c.rejected += o.rejected
}

func (c evCounts) into(k *clickstream.Counts) {
	k.EventsSeen += c.seen
	k.Pageviews += c.pageviews
	k.Addtocarts += c.addtocarts
	k.Purchases += c.purchases
	k.EventsRejected += c.rejected
}

func newGenerator(o Options) *generator {
	users := o.Sessions / 3
	if users < 10 {
		users = 10
	}
	// The first day takes part in the ids, so that runs with the same seed
	// for other days can be added to the same source without sharing ids.
	day := mix64(uint64(o.firstDay().Unix()))
	return &generator{
		o:       o,
		rng:     rand.New(rand.NewPCG(o.Seed, day^0x636c69636b73)), // "clicks"
		salt:    mix64(o.Seed ^ day),
		users:   users,
		recent:  ring{slots: make([]kept, 0, 32)},
		history: reservoir{slots: make([]kept, 0, 128)},
	}
}

// writeObject writes n session lines (and, with InvalidRate, a few blank lines)
// for the day starting at Unix second day.
func (g *generator) writeObject(w *bufio.Writer, day int64, n int) (clickstream.Counts, error) {
	var c clickstream.Counts
	inv, dup := g.o.InvalidRate, g.o.DuplicateRate
	// One fresh session per file, from its middle on, starts just before
	// midnight and ends after it, so that every day (and a month end) is
	// crossed even in small runs.
	needCross := true
	for i := 0; i < n; i++ {
		if inv > 0 && g.rng.Float64() < inv/4 {
			if err := g.emit(w, blanks[g.rng.IntN(len(blanks))]); err != nil {
				return c, err
			}
			c.Lines++
			c.Blank++
		}
		u := g.rng.Float64()
		switch {
		case u < inv:
			g.invalidLine(day)
			c.SessionsRejected++
		case u < inv+dup && g.recent.len() > 0:
			ec := g.duplicateLine()
			c.SessionsValid++
			ec.into(&c)
		default:
			cross := needCross && i >= n/2
			if cross {
				needCross = false
			}
			ec := g.freshLine(day, cross)
			c.SessionsValid++
			ec.into(&c)
		}
		c.Lines++
		if err := g.emit(w, g.line); err != nil {
			return c, err
		}
	}
	return c, nil
}

var blanks = [...][]byte{[]byte(""), []byte(" "), []byte("\t"), []byte("  \t "), []byte("    ")}

func (g *generator) emit(w *bufio.Writer, line []byte) error {
	if _, err := w.Write(line); err != nil {
		return err
	}
	return w.WriteByte('\n')
}

// freshLine makes a new valid session in g.line and remembers it for duplicates.
func (g *generator) freshLine(day int64, cross bool) evCounts {
	h := g.newHead()
	if cross {
		h.events = present
	}
	ec := g.renderEvents(&h, day, cross, true)
	var none fault
	g.line = g.appendSession(g.line[:0], &h, g.evs, &none)
	g.sessions++
	g.distinct.add(ec)
	g.recent.keep(h, g.line, g.evs, ec)
	g.history.offer(g.rng, h, g.line, g.evs, ec)
	return ec
}

// duplicateLine repeats an earlier valid session in g.line: half the time byte
// for byte, otherwise with another user_agent or geolocation.
func (g *generator) duplicateLine() evCounts {
	var k *kept
	if g.history.len() > 0 && g.rng.IntN(2) == 0 {
		k = g.history.pick(g.rng)
	} else {
		k = g.recent.pick(g.rng)
	}
	if g.rng.IntN(2) == 0 {
		g.line = append(g.line[:0], k.line...)
		return k.counts
	}
	h := k.head
	g.changeHead(&h)
	var none fault
	g.line = g.appendSession(g.line[:0], &h, k.evs, &none)
	return k.counts
}

// kept is a session remembered for duplicates.
type kept struct {
	head      head
	line, evs []byte
	counts    evCounts
}

func (k *kept) set(h head, line, evs []byte, c evCounts) {
	k.head, k.counts = h, c
	k.line = append(k.line[:0], line...)
	k.evs = append(k.evs[:0], evs...)
}

// ring keeps the last cap(slots) sessions.
type ring struct {
	slots []kept
	next  int
}

func (r *ring) len() int { return len(r.slots) }

func (r *ring) keep(h head, line, evs []byte, c evCounts) {
	if len(r.slots) < cap(r.slots) {
		r.slots = r.slots[:len(r.slots)+1]
	}
	r.slots[r.next].set(h, line, evs, c)
	r.next = (r.next + 1) % cap(r.slots)
}

func (r *ring) pick(rng *rand.Rand) *kept { return &r.slots[rng.IntN(len(r.slots))] }

// reservoir keeps a uniform sample of every session offered (algorithm R).
type reservoir struct {
	slots []kept
	seen  int
}

func (r *reservoir) len() int { return len(r.slots) }

func (r *reservoir) offer(rng *rand.Rand, h head, line, evs []byte, c evCounts) {
	r.seen++
	if len(r.slots) < cap(r.slots) {
		r.slots = r.slots[:len(r.slots)+1]
		r.slots[len(r.slots)-1].set(h, line, evs, c)
		return
	}
	if j := rng.IntN(r.seen); j < len(r.slots) {
		r.slots[j].set(h, line, evs, c)
	}
}

func (r *reservoir) pick(rng *rand.Rand) *kept { return &r.slots[rng.IntN(len(r.slots))] }
