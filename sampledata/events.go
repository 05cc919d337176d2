package sampledata

import (
	"strconv"
)

// Event types.
const (
	evPageView = iota
	evAddToCart
	evPurchase
)

var eventTypes = [...]string{"page_view", "add_item_to_cart", "purchase"}

type cartItem struct {
	prod  int
	price int64 // cents of the session's currency
	qty   int
}

// event is one event of a session's story, before it is written.
type event struct {
	kind uint8
	sec  int64
	nsec int32
	ts   tsForm
	seq  int // > 0: an unknown "seq" field beside "event"

	source   bool // an unknown "source" field in the event
	url, ref []byte
	refNull  bool
	title    bool // an unknown "page_title" field

	prod    int
	price   int64
	qty     int
	variant bool // an unknown "variant" field

	order    uint64
	items    []cartItem
	amount   int64
	currency string
	payment  string // an unknown field when not empty
}

const host = "https://shop.example.com"

// maxGap bounds the seconds between two events, so that a session of 20 events
// ends less than five hours after it starts.
const maxGap = 900

// renderEvents simulates the session's visit and writes its events value (a
// JSON array) into g.evs. With faulty, InvalidRate of the events are broken.
// Events are at least one second apart, so no two events of a session are equal.
func (g *generator) renderEvents(h *head, day int64, cross, faulty bool) evCounts {
	var c evCounts
	r := g.rng
	st := &h.st
	g.evs = append(g.evs[:0], '[')
	if h.events != present {
		g.evs = g.evs[:0]
		return c
	}
	n := 0
	if r.IntN(100) >= 3 { // else zero events: "events": []
		u := r.Float64()
		n = 1 + int(19*u*u)
	}
	var sec int64
	switch {
	case cross:
		sec = day + 86400 - 1 - int64(r.IntN(60))
		n = max(n, 3)
	case r.IntN(20) == 0:
		sec = day + 86400 - 1 - int64(r.IntN(1200))
	default:
		sec = day + int64(r.IntN(86400))
	}
	cur := countries[h.country]
	wrapperSeq := r.IntN(20) == 0
	source := r.IntN(20) == 0
	g.cart = g.cart[:0]
	viewing := -1 // the product on screen
	var e event
	for i := 0; i < n; i++ {
		if i > 0 {
			gap := 1 + int64(r.ExpFloat64()*45)
			if cross && i == 1 {
				gap = day + 86400 - sec + int64(r.IntN(120))
			}
			sec += min(gap, maxGap)
		}
		e = event{sec: sec, nsec: r.Int32N(1e9), ts: g.tsForm(&st.ts), source: source}
		if wrapperSeq {
			e.seq = i + 1
		}
		p := r.IntN(100)
		switch {
		case i > 0 && viewing >= 0 && p < 35:
			e.kind = evAddToCart
			e.prod = viewing
			e.price = convert(products[viewing].cents, cur)
			e.qty = 1
			if q := r.IntN(10); q >= 8 {
				e.qty = q - 6
			}
			e.variant = (products[viewing].category == "shoes" || products[viewing].category == "apparel") && r.IntN(3) == 0
			g.addToCart(e.prod, e.price, e.qty)
		case i > 0 && len(g.cart) > 0 && p < 60:
			e.kind = evPurchase
			g.orders++
			e.order = mix64(g.orders ^ g.salt)
			e.items = g.cart
			for _, it := range g.cart {
				e.amount += it.price * int64(it.qty)
			}
			e.currency = cur.currency
			if r.IntN(5) < 2 {
				e.payment = payments[r.IntN(len(payments))]
			}
			viewing = -1
		default:
			e.kind = evPageView
			viewing = g.nextPage(i == 0, len(g.cart) > 0)
			if st.absURL {
				g.url = append(append(g.url[:0], host...), g.path...)
				e.url = g.url
			} else {
				e.url = g.path
			}
			e.title = r.IntN(20) == 0
			switch {
			case i == 0 && r.IntN(10) < 4, r.IntN(10) == 0:
				e.refNull = true
			case i == 0:
				g.ref = append(g.ref[:0], externalReferrers[r.IntN(len(externalReferrers))]...)
				e.ref = g.ref
			default:
				g.ref = append(append(g.ref[:0], host...), g.prev...)
				e.ref = g.ref
			}
		}
		var f fault
		if faulty && g.o.InvalidRate > 0 && r.Float64() < g.o.InvalidRate {
			f = g.eventFault(&e)
		}
		if i > 0 {
			g.evs = append(g.evs, st.comma...)
		}
		g.evs = g.appendElement(g.evs, st, &e, &f)
		switch {
		case f.level != lvNone:
			c.rejected++
		case e.kind == evPageView:
			c.pageviews++
		case e.kind == evAddToCart:
			c.addtocarts++
		default:
			c.purchases++
		}
		c.seen++
		if e.kind == evPurchase {
			g.cart = g.cart[:0]
		}
	}
	g.evs = append(g.evs, ']')
	return c
}

var payments = [...]string{"card", "paypal", "pix", "boleto", "apple_pay", "klarna"}

// convert turns US cents into cents of the country's currency.
func convert(cents int64, c country) int64 {
	v := cents * c.milli / 1000
	if c.integral {
		v = (v + 50) / 100 * 100
	}
	return v
}

func (g *generator) addToCart(prod int, price int64, qty int) {
	for i := range g.cart {
		if g.cart[i].prod == prod {
			g.cart[i].qty += qty
			return
		}
	}
	g.cart = append(g.cart, cartItem{prod: prod, price: price, qty: qty})
}

// nextPage moves to another page: g.prev gets the old path, g.path the new
// one. It returns the product shown, or -1.
func (g *generator) nextPage(landing, cartFull bool) int {
	r := g.rng
	g.prev, g.path = g.path, g.prev[:0]
	p := r.IntN(100)
	if landing {
		p = [...]int{0, 50, 75, 90}[r.IntN(4)] + r.IntN(10)
	}
	switch {
	case p < 45:
		prod := r.IntN(len(products))
		g.path = append(g.path, "/product/"...)
		g.path = append(g.path, products[prod].id...)
		if r.IntN(8) == 0 {
			g.path = append(g.path, "?ref=search"...)
		}
		return prod
	case p < 60:
		g.path = append(g.path, "/category/"...)
		g.path = append(g.path, categories[r.IntN(len(categories))]...)
	case p < 70:
		g.path = append(g.path, "/search?q="...)
		g.path = append(g.path, searchTerms[r.IntN(len(searchTerms))]...)
	case p < 80 && cartFull:
		g.path = append(g.path, "/checkout"...)
	default:
		g.path = append(g.path, staticPages[r.IntN(len(staticPages))]...)
	}
	return -1
}

func (g *generator) tsForm(ts *tsStyle) tsForm {
	r := g.rng
	f := ts.form
	if ts.mixed && r.IntN(3) == 0 {
		f = tsForm{kind: uint8(r.IntN(3)), digits: uint8(r.IntN(7))}
		if f.kind == tsOffset {
			f.off = int16(offsets[r.IntN(len(offsets))])
		}
		return f
	}
	if ts.randDigits {
		if f.kind == tsBQ {
			f.digits = uint8(1 + r.IntN(6))
		} else {
			f.digits = uint8(1 + r.IntN(9))
		}
	}
	return f
}

// eventFault picks a rule that rejects e, and computes its value if needed.
func (g *generator) eventFault(e *event) fault {
	r := g.rng
	var s *faultSpec
	if r.IntN(2) == 0 {
		s = &eventFaults[r.IntN(len(eventFaults))]
	} else {
		switch e.kind {
		case evPageView:
			s = &pageViewFaults[r.IntN(len(pageViewFaults))]
		case evAddToCart:
			s = &addToCartFaults[r.IntN(len(addToCartFaults))]
		default:
			s = &purchaseFaults[r.IntN(len(purchaseFaults))]
		}
	}
	f := fault{level: s.level, key: s.key, omit: s.omit, rename: s.rename}
	if s.level == lvItem {
		f.item = r.IntN(len(e.items))
	}
	raw := g.scratch[:0]
	switch s.dyn {
	case dynNone:
		raw = append(raw, s.raw...)
	case dynPriceString:
		raw = append(appendCents(append(raw, '"'), e.price, false), '"')
	case dynAmountString:
		raw = append(appendCents(append(raw, '"'), e.amount, true), '"')
	case dynItemPriceString:
		raw = append(appendCents(append(raw, '"'), e.items[f.item].price, false), '"')
	case dynEpoch:
		raw = strconv.AppendInt(raw, e.sec, 10)
	case dynEpochMillis:
		raw = strconv.AppendInt(raw, e.sec*1000+int64(e.nsec/1e6), 10)
	case dynUpperType:
		raw = append(raw, '"')
		for _, c := range []byte(eventTypes[e.kind]) {
			if c >= 'a' && c <= 'z' {
				c -= 'a' - 'A'
			}
			raw = append(raw, c)
		}
		raw = append(raw, '"')
	case dynSpacedType:
		raw = append(append(append(raw, '"'), eventTypes[e.kind]...), ' ', '"')
	}
	g.scratch = raw
	f.raw = raw
	return f
}
