package clickstream

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strconv"
	"unicode/utf8"
)

// Staged rows are NDJSON, one object per line, members in the column order of
// Tables(), every column present (null when absent). Strings are written in
// one canonical JSON spelling: only '"', '\\' and control characters are
// escaped (as \n, \r, \t, \b, \f or \u00XX); everything else, non-ASCII
// included, is written as UTF-8. FLOATs are written in the shortest form that
// reads back to the same float64 (strconv 'g', -1), INTEGERs in decimal,
// TIMESTAMPs as UTC with six fraction digits (2024-01-30T10:00:00.000000Z).

// SessionKey returns SPEC.md's session_key: the lowercase hex SHA-256 of
// session_id + ":" + user_id + ":" + device_type.
func SessionKey(sessionID, userID, deviceType string) string {
	sum := sha256.Sum256([]byte(sessionID + ":" + userID + ":" + deviceType))
	return hex.EncodeToString(sum[:])
}

// canonicalPrefix starts an event's canonical form: its type and a newline.
var canonicalPrefix = [...][]byte{
	PageView:      []byte("page_view\n"),
	AddItemToCart: []byte("add_item_to_cart\n"),
	Purchase:      []byte("purchase\n"),
}

// rowWriter appends rows for one line of input. It keeps its scratch space
// between lines, so writing a row allocates nothing once warmed up.
type rowWriter struct {
	p       *parser
	v       *validator
	lineage []byte // ,"source_object":"...","source_line": (the line number follows)
	runID   []byte // ,"run_id":"..."}
	h       hash.Hash
	sum     []byte
	str     []byte // scratch for unescaped strings
	key     [64]byte
}

func newRowWriter(p *parser, v *validator) *rowWriter {
	return &rowWriter{p: p, v: v, h: sha256.New()}
}

// setSource prepares the lineage columns shared by every row of an object.
func (w *rowWriter) setSource(object, runID string) {
	w.lineage = append(w.lineage[:0], `,"`+ColSourceObject+`":`...)
	w.lineage = appendJSONString(w.lineage, []byte(object))
	w.lineage = append(w.lineage, `,"`+ColSourceLine+`":`...)
	w.runID = append(w.runID[:0], `,"`+ColRunID+`":`...)
	w.runID = appendJSONString(w.runID, []byte(runID))
	w.runID = append(w.runID, '}', '\n')
}

func (w *rowWriter) endRow(dst []byte, line int64) []byte {
	dst = append(dst, w.lineage...)
	dst = strconv.AppendInt(dst, line, 10)
	return append(dst, w.runID...)
}

// sessionKey computes the session key of s into w.key.
func (w *rowWriter) sessionKey(s *session) {
	b := w.str[:0]
	b = w.p.appendUnescaped(b, s.id)
	b = append(b, ':')
	b = w.p.appendUnescaped(b, s.user)
	b = append(b, ':')
	b = w.p.appendUnescaped(b, s.device)
	w.str = b
	sum := sha256.Sum256(b)
	hex.Encode(w.key[:], sum[:])
}

// str appends string node n, or null for none.
func (w *rowWriter) strOrNull(dst []byte, n int32) []byte {
	if n == none {
		return append(dst, "null"...)
	}
	nd := &w.p.nodes[n]
	if !nd.esc {
		// Unescaped source text is already in canonical form: the parser let
		// through no quote, backslash, control character or invalid UTF-8.
		dst = append(dst, '"')
		dst = append(dst, w.p.buf[nd.start:nd.end]...)
		return append(dst, '"')
	}
	w.str = w.p.appendUnescaped(w.str[:0], n)
	return appendJSONString(dst, w.str)
}

func appendFloat(dst []byte, x number) []byte {
	if !x.set {
		return append(dst, "null"...)
	}
	return strconv.AppendFloat(dst, x.f, 'g', -1, 64)
}

func appendInt(dst []byte, x number) []byte {
	if !x.set {
		return append(dst, "null"...)
	}
	return strconv.AppendInt(dst, x.i, 10)
}

func (w *rowWriter) sessionRow(dst []byte, s *session, line int64) []byte {
	dst = append(dst, `{"session_key":"`...)
	dst = append(dst, w.key[:]...)
	dst = append(dst, `","session_id":`...)
	dst = w.strOrNull(dst, s.id)
	dst = append(dst, `,"user_id":`...)
	dst = w.strOrNull(dst, s.user)
	dst = append(dst, `,"user_agent":`...)
	dst = w.strOrNull(dst, s.agent)
	dst = append(dst, `,"geolocation":`...)
	dst = w.strOrNull(dst, s.geo)
	dst = append(dst, `,"device_type":`...)
	dst = w.strOrNull(dst, s.device)
	return w.endRow(dst, line)
}

// items appends the items of d as a JSON array in the items RECORD's column order.
func (w *rowWriter) items(dst []byte, d *details) []byte {
	dst = append(dst, '[')
	for i, it := range w.v.items[d.itemFrom:d.itemTo] {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"quantity":`...)
		dst = appendInt(dst, it.quantity)
		dst = append(dst, `,"price":`...)
		dst = appendFloat(dst, it.price)
		dst = append(dst, `,"category":`...)
		dst = w.strOrNull(dst, it.category)
		dst = append(dst, `,"product_name":`...)
		dst = w.strOrNull(dst, it.productName)
		dst = append(dst, `,"product_id":`...)
		dst = w.strOrNull(dst, it.productID)
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

// eventRow appends the row of e to dst, computing its event_id on the way.
func (w *rowWriter) eventRow(dst []byte, e *event, line int64) []byte {
	dst = append(dst, '{')
	start := len(dst)
	dst = w.eventMembers(dst, e)
	if !e.idSet {
		w.hashEvent(e.typ, dst[start:])
		copy(e.id[:], w.sum)
	}
	dst = append(dst, `,"event_id":"`...)
	dst = e.appendID(dst)
	dst = append(dst, '"')
	return w.endRow(dst, line)
}

// hashEvent sets w.sum to the SHA-256 of the canonical form of an event of
// type typ whose row members (see eventMembers) are members.
func (w *rowWriter) hashEvent(typ EventType, members []byte) {
	w.h.Reset()
	w.h.Write(canonicalPrefix[typ])
	w.h.Write(members)
	w.sum = w.h.Sum(w.sum[:0])
}

// eventMembers appends the members of e's row that its event_id covers: from
// "session_key" to the last detail column, without braces or commas around.
func (w *rowWriter) eventMembers(dst []byte, e *event) []byte {
	dst = append(dst, `"session_key":"`...)
	dst = append(dst, w.key[:]...)
	dst = append(dst, `","timestamp":"`...)
	dst = e.appendTimestamp(dst)
	dst = append(dst, '"')
	d := &e.d
	switch e.typ {
	case PageView:
		dst = append(dst, `,"page_url":`...)
		dst = w.strOrNull(dst, d.str[dPageURL])
		dst = append(dst, `,"referrer_url":`...)
		dst = w.strOrNull(dst, d.str[dReferrerURL])
	case AddItemToCart:
		dst = append(dst, `,"product_id":`...)
		dst = w.strOrNull(dst, d.str[dProductID])
		dst = append(dst, `,"product_name":`...)
		dst = w.strOrNull(dst, d.str[dProductName])
		dst = append(dst, `,"category":`...)
		dst = w.strOrNull(dst, d.str[dCategory])
		dst = append(dst, `,"quantity":`...)
		dst = appendInt(dst, d.quantity)
		dst = append(dst, `,"price":`...)
		dst = appendFloat(dst, d.price)
	case Purchase:
		dst = append(dst, `,"order_id":`...)
		dst = w.strOrNull(dst, d.str[dOrderID])
		dst = append(dst, `,"currency":`...)
		dst = w.strOrNull(dst, d.str[dCurrency])
		dst = append(dst, `,"amount":`...)
		dst = appendFloat(dst, d.amount)
		dst = append(dst, `,"items":`...)
		dst = w.items(dst, d)
	}
	return dst
}

// visitRow appends the lake row: the session as it arrived, with only its
// valid events, each carrying the detail fields it had (nulls left out) and
// its event_id, so that the warehouse's event rows can be derived again from
// the lake alone. The events' rows must have been written first (eventRow
// computes their ids).
func (w *rowWriter) visitRow(dst []byte, s *session, line int64) []byte {
	dst = append(dst, `{"session_id":`...)
	dst = w.strOrNull(dst, s.id)
	dst = append(dst, `,"user_id":`...)
	dst = w.strOrNull(dst, s.user)
	dst = append(dst, `,"device_type":`...)
	dst = w.strOrNull(dst, s.device)
	dst = append(dst, `,"geolocation":`...)
	dst = w.strOrNull(dst, s.geo)
	dst = append(dst, `,"user_agent":`...)
	dst = w.strOrNull(dst, s.agent)
	dst = append(dst, `,"events":[`...)
	for i := range w.v.events {
		e := &w.v.events[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"event":{"event_type":"`...)
		dst = append(dst, e.typ.String()...)
		dst = append(dst, `","timestamp":"`...)
		dst = e.appendTimestamp(dst)
		dst = append(dst, `","details":{`...)
		first := true
		sep := func() {
			if !first {
				dst = append(dst, ',')
			}
			first = false
		}
		d := &e.d
		for f, n := range d.str[:dOrderID] { // page_url .. category, in column order
			if n != none {
				sep()
				dst = appendMemberName(dst, detailStringNames[f])
				dst = w.strOrNull(dst, n)
			}
		}
		if d.price.set {
			sep()
			dst = appendFloat(append(dst, `"price":`...), d.price)
		}
		if d.quantity.set {
			sep()
			dst = appendInt(append(dst, `"quantity":`...), d.quantity)
		}
		if n := d.str[dOrderID]; n != none {
			sep()
			dst = w.strOrNull(append(dst, `"order_id":`...), n)
		}
		if d.amount.set {
			sep()
			dst = appendFloat(append(dst, `"amount":`...), d.amount)
		}
		if n := d.str[dCurrency]; n != none {
			sep()
			dst = w.strOrNull(append(dst, `"currency":`...), n)
		}
		if d.items != none {
			sep()
			dst = w.items(append(dst, `"items":`...), d)
		}
		dst = append(dst, `}},"event_id":"`...)
		dst = e.appendID(dst)
		dst = append(dst, `"}`...)
	}
	dst = append(dst, `],"session_key":"`...)
	dst = append(dst, w.key[:]...)
	dst = append(dst, '"')
	return w.endRow(dst, line)
}

func appendMemberName(dst []byte, name string) []byte {
	dst = append(dst, '"')
	dst = append(dst, name...)
	return append(dst, '"', ':')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string in the canonical spelling
// described at the top of this file. s must be valid UTF-8.
func appendJSONString(dst, s []byte) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendRawText appends bytes that may not be valid UTF-8 (a dead-lettered
// line) as a JSON string, each invalid byte as U+FFFD. Callers keep the exact
// bytes elsewhere when this is lossy.
func appendRawText(dst, s []byte) []byte {
	if utf8.Valid(s) {
		return appendJSONString(dst, s)
	}
	fixed := make([]byte, 0, len(s)+8)
	for len(s) > 0 {
		r, size := utf8.DecodeRune(s)
		if r == utf8.RuneError && size == 1 {
			fixed = utf8.AppendRune(fixed, utf8.RuneError)
		} else {
			fixed = append(fixed, s[:size]...)
		}
		s = s[size:]
	}
	return appendJSONString(dst, fixed)
}
