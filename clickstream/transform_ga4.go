package clickstream

// ga4Line applies SPEC.md's GA4 rules to one line (one event) and writes
// its rows or rejects. A rejected line is dead-lettered whole; a valid
// event goes to ga4_events and, mapped, to the star tables: its session
// (a visits row, as the lake of session input holds, and a sessions row)
// and the page view, add-to-cart rows or purchase it gives. A rejected
// mapping is dead-lettered with event_index 0, the event kept in
// ga4_events and its session in visits and sessions.
func (t *Transformer) ga4Line(ln line, lineNo int64, c *Counts) {
	c.Lines++
	if ln.tooLong {
		c.EventsRejected++
		t.lineTooLong(ln, lineNo)
		return
	}
	if isBlank(ln.text) {
		c.Blank++
		return
	}
	g := t.ga4
	if err := g.parse(ln.text); err != nil {
		c.EventsRejected++
		t.deadLetter(lineNo, -1, CodeInvalidJSON, "invalid JSON: "+err.Error(), ln.text, 0)
		return
	}
	r := g.validate()
	if r == nil {
		r = g.canonical()
	}
	if r != nil {
		c.EventsRejected++
		t.deadLetter(lineNo, -1, r.Code, r.Reason, ln.text, 0)
		return
	}
	c.EventsValid++
	s, hasSession := g.session()
	if hasSession {
		c.SessionsValid++
		t.w.sessionKey(&s)
		if t.pq != nil {
			t.pq.beginSession()
		}
	}
	kind, r := g.mapEvent(hasSession)
	switch {
	case r != nil:
		c.EventsMappingRejected++
		t.v.events = t.v.events[:0]
		t.deadLetter(lineNo, 0, r.Code, r.Reason, ln.text, 0)
	case kind == mappedPageView:
		c.Pageviews++
	case kind == mappedAddToCart:
		c.Addtocarts++
		c.AddtocartRows += int64(len(t.v.events))
	case kind == mappedPurchase:
		c.Purchases++
	default:
		c.EventsOther++
	}
	for i := range t.v.events {
		e := &t.v.events[i]
		if t.pq != nil {
			t.pq.event(e, lineNo)
			continue
		}
		out := outPageviews
		switch e.typ {
		case AddItemToCart:
			out = outAddtocarts
		case Purchase:
			out = outPurchases
		}
		t.bufs[out] = t.w.eventRow(t.bufs[out], e, lineNo)
	}
	if t.pq != nil {
		if hasSession {
			t.pq.visit(&s, lineNo)
			t.pq.session(&s, lineNo)
		}
		t.pq.ga4Event(g, hasSession, lineNo)
		return
	}
	if hasSession {
		t.bufs[outVisits] = t.w.visitRow(t.bufs[outVisits], &s, lineNo)
		t.bufs[outSessions] = t.w.sessionRow(t.bufs[outSessions], &s, lineNo)
	}
	t.bufs[outGA4Events] = g.row(t.bufs[outGA4Events], hasSession, lineNo)
}
