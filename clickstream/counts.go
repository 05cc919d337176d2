package clickstream

import "fmt"

// Counts is SPEC.md's accounting for one source object or, summed, for a run.
// Its JSON form is the contract of `starter transform --json` and of the run summaries.
//
// For session input every line is blank, a valid session or a rejected one,
// and every event of a valid session is staged or rejected. For GA4 input
// (Format GA4Input) a line is one event: blank, valid (EventsValid) or
// rejected (EventsRejected); a valid event is a page view, an add to cart, a
// purchase, another event (EventsOther) or one whose star-schema mapping was
// rejected (EventsMappingRejected); SessionsValid counts the valid events
// that have a star-schema session (a visits and a sessions row each: all
// but those without a device.category), and AddtocartRows the add-to-cart
// rows, one per item. SessionsRejected and EventsSeen stay 0.
type Counts struct {
	Lines            int64 `json:"lines"`
	Blank            int64 `json:"blank"`
	SessionsValid    int64 `json:"sessions_valid"`
	SessionsRejected int64 `json:"sessions_rejected"`
	EventsSeen       int64 `json:"events_seen"`
	Pageviews        int64 `json:"pageviews"`
	Addtocarts       int64 `json:"addtocarts"`
	Purchases        int64 `json:"purchases"`
	EventsRejected   int64 `json:"events_rejected"`

	// Format is the input format counted: "" for session input, GA4Input
	// for GA4 input, whose figures follow.
	Format                InputFormat `json:"format,omitempty"`
	EventsValid           int64       `json:"events_valid,omitempty"`
	EventsOther           int64       `json:"events_other,omitempty"`
	EventsMappingRejected int64       `json:"events_mapping_rejected,omitempty"`
	AddtocartRows         int64       `json:"addtocart_rows,omitempty"`
}

// Add adds o to c field by field; c takes o's Format if it has none.
func (c *Counts) Add(o Counts) {
	c.Lines += o.Lines
	c.Blank += o.Blank
	c.SessionsValid += o.SessionsValid
	c.SessionsRejected += o.SessionsRejected
	c.EventsSeen += o.EventsSeen
	c.Pageviews += o.Pageviews
	c.Addtocarts += o.Addtocarts
	c.Purchases += o.Purchases
	c.EventsRejected += o.EventsRejected
	if c.Format == "" {
		c.Format = o.Format
	}
	c.EventsValid += o.EventsValid
	c.EventsOther += o.EventsOther
	c.EventsMappingRejected += o.EventsMappingRejected
	c.AddtocartRows += o.AddtocartRows
}

// Check reports whether the identities of SPEC.md's accounting for the
// counts' format hold. Session input: every line is blank, a valid session
// or a rejected one, and every event of a valid session is in exactly one
// event table or rejected. GA4 input: every line is blank, a valid event or
// a rejected one; every valid event is a page view, an add to cart, a
// purchase, another event or a rejected mapping; every mapped event has a
// session, and every add to cart a row at least.
func (c Counts) Check() error {
	if c.Format == GA4Input {
		return c.checkGA4()
	}
	if got := c.Blank + c.SessionsValid + c.SessionsRejected; got != c.Lines {
		return fmt.Errorf("%w: lines=%d but blank+sessions_valid+sessions_rejected=%d (%d+%d+%d)",
			ErrAccounting, c.Lines, got, c.Blank, c.SessionsValid, c.SessionsRejected)
	}
	if got := c.Pageviews + c.Addtocarts + c.Purchases + c.EventsRejected; got != c.EventsSeen {
		return fmt.Errorf("%w: events_seen=%d but pageviews+addtocarts+purchases+events_rejected=%d (%d+%d+%d+%d)",
			ErrAccounting, c.EventsSeen, got, c.Pageviews, c.Addtocarts, c.Purchases, c.EventsRejected)
	}
	return nil
}

func (c Counts) checkGA4() error {
	if got := c.Blank + c.EventsValid + c.EventsRejected; got != c.Lines {
		return fmt.Errorf("%w: lines=%d but blank+events_valid+events_rejected=%d (%d+%d+%d)",
			ErrAccounting, c.Lines, got, c.Blank, c.EventsValid, c.EventsRejected)
	}
	mapped := c.Pageviews + c.Addtocarts + c.Purchases
	if got := mapped + c.EventsOther + c.EventsMappingRejected; got != c.EventsValid {
		return fmt.Errorf("%w: events_valid=%d but pageviews+addtocarts+purchases+events_other+events_mapping_rejected=%d (%d+%d+%d+%d+%d)",
			ErrAccounting, c.EventsValid, got, c.Pageviews, c.Addtocarts, c.Purchases, c.EventsOther, c.EventsMappingRejected)
	}
	if c.SessionsValid < mapped+c.EventsOther || c.SessionsValid > c.EventsValid {
		return fmt.Errorf("%w: sessions_valid=%d, want between pageviews+addtocarts+purchases+events_other=%d and events_valid=%d",
			ErrAccounting, c.SessionsValid, mapped+c.EventsOther, c.EventsValid)
	}
	if c.AddtocartRows < c.Addtocarts {
		return fmt.Errorf("%w: addtocart_rows=%d, fewer than the addtocarts=%d that give them",
			ErrAccounting, c.AddtocartRows, c.Addtocarts)
	}
	if c.SessionsRejected != 0 || c.EventsSeen != 0 {
		return fmt.Errorf("%w: GA4 input counts no sessions_rejected or events_seen, got %d and %d",
			ErrAccounting, c.SessionsRejected, c.EventsSeen)
	}
	return nil
}

// TableRows is how many staged rows of table the counts stand for: one per
// valid session (per GA4 event with a session) in visits and sessions, one
// per event in its event table (per item in addtocart_events for GA4
// input), one per valid GA4 event in ga4_events.
func (c Counts) TableRows(table string) int64 {
	switch table {
	case VisitsTable, SessionsTable:
		return c.SessionsValid
	case PageviewsTable:
		return c.Pageviews
	case AddtocartsTable:
		if c.Format == GA4Input {
			return c.AddtocartRows
		}
		return c.Addtocarts
	case PurchasesTable:
		return c.Purchases
	case GA4EventsTable:
		return c.EventsValid
	}
	return 0
}

// RejectedLines is how many non-blank lines were rejected whole, of how
// many: rejected sessions, or rejected GA4 events.
func (c Counts) RejectedLines() (n, of int64) {
	if c.Format == GA4Input {
		return c.EventsRejected, c.Lines - c.Blank
	}
	return c.SessionsRejected, c.Lines - c.Blank
}

// RejectedEvents is how many events of valid lines were rejected alone, of
// how many: the events of valid sessions, or the valid GA4 events whose
// star-schema mapping was rejected (they stay in ga4_events).
func (c Counts) RejectedEvents() (n, of int64) {
	if c.Format == GA4Input {
		return c.EventsMappingRejected, c.EventsValid
	}
	return c.EventsRejected, c.EventsSeen
}

// DeadLetters is how many dead-letter records the counts stand for: one per
// rejected line and one per rejected event.
func (c Counts) DeadLetters() int64 {
	lines, _ := c.RejectedLines()
	events, _ := c.RejectedEvents()
	return lines + events
}
