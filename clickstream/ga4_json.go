package clickstream

import (
	"bytes"
	"math"
	"strconv"
	"unsafe"
)

// The GA4 event's canonical form, which its event_id hashes, and the JSON
// columns of ga4_events.

// ga4CanonicalPrefix starts the text a GA4 event_id hashes.
var ga4CanonicalPrefix = []byte("ga4_event\n")

// canonMember is a member of an object being written in canonical form.
type canonMember struct {
	key, val int32
	esc      bool  // the key has escapes: its bytes are ga4.ckeys[ko:ke]
	ko, ke   int32 // when esc
}

// canonical writes the line's event in canonical form into g.canon and sets
// its event_id. A key twice in one object (the form would be ambiguous)
// or a number beyond FLOAT64 rejects the line.
func (g *ga4) canonical() *Reject {
	g.members = g.members[:0]
	g.ckeys = g.ckeys[:0]
	var r *Reject
	if g.canon, r = g.canonValue(g.canon[:0], 0); r != nil {
		return r
	}
	g.setID()
	return nil
}

// canonValue appends the canonical form of the value at n: objects with
// their members sorted by key (bytewise, unescaped) and null members left
// out; arrays in order, nulls kept; strings in the canonical spelling of
// staged rows, except a decimal integer in canonical form (no sign but
// '-', no leading zero), which is written as the number, since BigQuery
// writes INT64 values as strings in JSON; numbers canonically (see
// appendCanonNumber); true, false and null as themselves.
func (g *ga4) canonValue(dst []byte, n int32) ([]byte, *Reject) {
	nodes := g.p.nodes
	switch nd := nodes[n]; nd.kind {
	case kindObject:
		return g.canonObject(dst, n)
	case kindArray:
		dst = append(dst, '[')
		for el := n + 1; el < nd.sub; el = nodes[el].sub {
			if el > n+1 {
				dst = append(dst, ',')
			}
			var r *Reject
			if dst, r = g.canonValue(dst, el); r != nil {
				return dst, r
			}
		}
		return append(dst, ']'), nil
	case kindString:
		if text := g.p.text(n); !nd.esc && isCanonicalInt(text) {
			return append(dst, text...), nil
		}
		return g.w.strOrNull(dst, n), nil
	case kindNumber:
		out, ok := appendCanonNumber(dst, g.p.text(n))
		if !ok {
			return dst, reject(CodeOutOfRange, "the number %s is out of the FLOAT range", quoteSnippet(g.p.text(n)))
		}
		return out, nil
	}
	return append(dst, g.p.text(n)...), nil
}

func (g *ga4) canonObject(dst []byte, obj int32) ([]byte, *Reject) {
	nodes := g.p.nodes
	base := len(g.members)
	for k := obj + 1; k < nodes[obj].sub; k = nodes[k+1].sub {
		m := canonMember{key: k, val: k + 1, esc: nodes[k].esc}
		if m.esc {
			m.ko = int32(len(g.ckeys))
			g.ckeys = g.p.appendUnescaped(g.ckeys, k)
			m.ke = int32(len(g.ckeys))
		}
		g.members = append(g.members, m)
	}
	ms := g.members[base:]
	// Insertion sort: objects have tens of members at most, and it
	// allocates nothing.
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && bytes.Compare(g.canonKey(&ms[j-1]), g.canonKey(&ms[j])) > 0; j-- {
			ms[j-1], ms[j] = ms[j], ms[j-1]
		}
	}
	for i := 1; i < len(ms); i++ {
		if bytes.Equal(g.canonKey(&ms[i-1]), g.canonKey(&ms[i])) {
			return dst, reject(CodeDuplicateKey, "field %s appears more than once in an object", quoteSnippet(g.p.raw(ms[i].key)))
		}
	}
	dst = append(dst, '{')
	first := true
	for i := base; i < base+len(ms); i++ {
		m := g.members[i] // nested objects append to g.members: index it afresh
		if nodes[m.val].kind == kindNull {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = appendJSONString(dst, g.canonKey(&m))
		dst = append(dst, ':')
		var r *Reject
		if dst, r = g.canonValue(dst, m.val); r != nil {
			return dst, r
		}
	}
	g.members = g.members[:base]
	return append(dst, '}'), nil
}

func (g *ga4) canonKey(m *canonMember) []byte {
	if m.esc {
		return g.ckeys[m.ko:m.ke]
	}
	return g.p.text(m.key)
}

// isCanonicalInt reports whether b is an INT64 in canonical decimal: an
// optional '-', then 0 or digits without a leading zero, in range ("-0"
// is not canonical).
func isCanonicalInt(b []byte) bool {
	d := b
	if len(d) > 0 && d[0] == '-' {
		d = d[1:]
	}
	if len(d) == 0 || len(d) > 19 || (d[0] == '0' && (len(d) > 1 || len(b) > 1)) {
		return false
	}
	for _, c := range d {
		if c < '0' || c > '9' {
			return false
		}
	}
	_, err := strconv.ParseInt(unsafe.String(unsafe.SliceData(b), len(b)), 10, 64) // not retained
	return err == nil
}

// appendCanonNumber appends the JSON number text in canonical form: an
// integral value within INT64 in decimal, any other in the shortest form
// that reads back to the same FLOAT64. It reports false for a number
// beyond FLOAT64.
func appendCanonNumber(dst, text []byte) ([]byte, bool) {
	s := unsafe.String(unsafe.SliceData(text), len(text)) // not retained
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return strconv.AppendInt(dst, i, 10), true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return dst, false
	}
	if f == math.Trunc(f) && f >= -(1<<63) && f < 1<<63 {
		return strconv.AppendInt(dst, int64(f), 10), true
	}
	return strconv.AppendFloat(dst, f, 'g', -1, 64), true
}

// appendJSON appends the value at n as exported: its structure, member
// order and nulls kept, strings in the canonical spelling, numbers in
// canonical form (canonical() has checked every number of the line).
func (g *ga4) appendJSON(dst []byte, n int32) []byte {
	nodes := g.p.nodes
	switch nd := nodes[n]; nd.kind {
	case kindObject:
		dst = append(dst, '{')
		for k := n + 1; k < nd.sub; k = nodes[k+1].sub {
			if k > n+1 {
				dst = append(dst, ',')
			}
			dst = append(g.w.strOrNull(dst, k), ':')
			dst = g.appendJSON(dst, k+1)
		}
		return append(dst, '}')
	case kindArray:
		dst = append(dst, '[')
		for el := n + 1; el < nd.sub; el = nodes[el].sub {
			if el > n+1 {
				dst = append(dst, ',')
			}
			dst = g.appendJSON(dst, el)
		}
		return append(dst, ']')
	case kindString:
		return g.w.strOrNull(dst, n)
	case kindNumber:
		out, _ := appendCanonNumber(dst, g.p.text(n))
		return out
	}
	return append(dst, g.p.text(n)...)
}

// appendParams appends params as one JSON object: each key with its set
// value (a string, an integer, a float), or null when none is set.
func (g *ga4) appendParams(dst []byte, params []ga4Param) []byte {
	dst = append(dst, '{')
	for i := range params {
		pr := &params[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(appendJSONString(dst, g.keyOf(pr)), ':')
		switch pr.kind {
		case valString:
			dst = g.w.strOrNull(dst, pr.stringNode)
		case valInt:
			dst = strconv.AppendInt(dst, pr.num.i, 10)
		case valFloat:
			dst = appendFloat(dst, pr.num)
		default:
			dst = append(dst, "null"...)
		}
	}
	return append(dst, '}')
}
