package sampledata

import (
	"math"
	"strconv"
	"unicode/utf8"
)

// How an optional value appears.
const (
	present = iota
	isNull
	missing
)

// Unknown session fields, which SPEC.md says are ignored.
const (
	xAppVersion = 1 << iota
	xIngest
	xABTests
)

// head is everything of a session line but its events.
type head struct {
	id      [36]byte // UUID-shaped; the first 16 hex digits are unique in a run
	user    [14]byte // "u-" and 12 hex digits
	device  uint8
	country uint8
	geo     uint8 // present, isNull, missing
	agent   uint8 // index into agentsFor(device)
	ua      uint8
	events  uint8
	extras  uint8
	appVer  uint8
	batch   int32
	st      style
}

func (g *generator) newHead() head {
	r := g.rng
	var h head
	g.seq++
	a, b := mix64(g.seq+g.salt), r.Uint64()
	id := appendHex(h.id[:0], a>>32, 8)
	id = append(id, '-')
	id = appendHex(id, a>>16, 4)
	id = append(id, '-')
	id = appendHex(id, a, 4)
	id = append(id, '-')
	id = appendHex(id, b>>48, 4)
	id = append(id, '-')
	appendHex(id, b, 12)

	// Users repeat: a skewed pick from a pool, each with a home country, a
	// usual device and browser derived from the user's number.
	u := r.Float64()
	idx := uint64(u * math.Sqrt(u) * float64(g.users))
	uh := mix64(idx*0x9e3779b97f4a7c15 ^ g.salt)
	appendHex(append(h.user[:0], 'u', '-'), mix64(idx+g.salt), 12)
	switch p := uh % 100; {
	case p < 55:
		h.device = 0
	case p < 90:
		h.device = 1
	default:
		h.device = 2
	}
	h.country = uint8(uh >> 8 % uint64(len(countries)))
	if r.IntN(10) == 0 { // another device, another browser
		h.device = uint8(r.IntN(len(devices)))
		h.agent = uint8(r.IntN(len(agentsFor(int(h.device)))))
	} else {
		h.agent = uint8(uh >> 16 % uint64(len(agentsFor(int(h.device)))))
	}
	switch p := r.IntN(100); {
	case p < 5: // travelling, or a VPN
		h.country = uint8(r.IntN(len(countries)))
	case p < 13:
		h.geo = isNull
	case p < 20:
		h.geo = missing
	}
	switch p := r.IntN(100); {
	case p < 7:
		h.ua = isNull
	case p < 10:
		h.ua = missing
	}
	switch p := r.IntN(100); {
	case p < 2:
		h.events = isNull
	case p < 4:
		h.events = missing
	}
	if r.IntN(10) == 0 {
		h.extras |= xAppVersion
		h.appVer = uint8(r.IntN(len(appVersions)))
	}
	if r.IntN(30) == 0 {
		h.extras |= xIngest
		h.batch = r.Int32N(5000)
	}
	if r.IntN(25) == 0 {
		h.extras |= xABTests
	}
	h.st = g.newStyle()
	return h
}

func (g *generator) newStyle() style {
	r := g.rng
	st := style{colon: ":", comma: ","}
	switch r.IntN(10) {
	case 4, 5, 6, 7:
		st.colon, st.comma = ": ", ", "
	case 8:
		st.colon = ": "
	case 9:
		st.comma = ", "
	}
	switch p := r.IntN(100); {
	case p < 10:
		st.order = orderSorted
	case p < 13:
		st.order = orderShuffled
	}
	st.ascii = r.IntN(100) < 15
	st.absURL = r.IntN(100) < 30
	st.fixedCents = r.IntN(100) < 30
	st.floatQty = r.IntN(100) < 2
	if r.IntN(100) == 0 {
		st.lead = " "
	}
	if r.IntN(50) == 0 {
		st.trail = [...]string{" ", "\t", "  "}[r.IntN(3)]
	}
	ts := &st.ts
	switch p := r.IntN(100); {
	case p < 35:
	case p < 55:
		ts.form.digits = 3
	case p < 65:
		ts.randDigits = true
	case p < 72:
		ts.form.digits = 6
	case p < 82:
		ts.form.kind = tsOffset
		ts.form.off = int16(offsets[r.IntN(len(offsets))])
		ts.form.digits = uint8(3 * r.IntN(2))
	case p < 91:
		ts.form.kind = tsBQ
	default:
		ts.form.kind = tsBQ
		ts.randDigits = true
	}
	ts.mixed = r.IntN(10) == 0
	return st
}

// changeHead makes a near duplicate: another user_agent or geolocation.
func (g *generator) changeHead(h *head) {
	if g.rng.IntN(2) == 0 {
		if h.ua != present {
			h.ua = present
		} else if n := len(agentsFor(int(h.device))); n > 1 && g.rng.IntN(3) > 0 {
			h.agent = uint8((int(h.agent) + 1 + g.rng.IntN(n-1)) % n)
		} else {
			h.ua = isNull
		}
		return
	}
	if h.geo != present {
		h.geo = present
		return
	}
	if c := countries[h.country].code; g.rng.IntN(3) > 0 {
		for countries[h.country].code == c {
			h.country = uint8(g.rng.IntN(len(countries)))
		}
		return
	}
	h.geo = isNull
}

// appendSession writes the session line for h with the events value evs
// (written as is), breaking the field f names, if any.
func (g *generator) appendSession(dst []byte, h *head, evs []byte, f *fault) []byte {
	st := &h.st
	var l fieldList
	l.add(kSessionID)
	l.add(kUserID)
	l.add(kDevice)
	for _, o := range [...]struct {
		k    uint8
		pres uint8
	}{{kGeo, h.geo}, {kUA, h.ua}, {kEvents, h.events}} {
		if o.pres != missing || f.hits(lvSession, o.k) {
			l.add(o.k)
		}
	}
	if h.extras&xAppVersion != 0 {
		l.add(kAppVersion)
	}
	if h.extras&xIngest != 0 {
		l.add(kIngest)
	}
	if h.extras&xABTests != 0 {
		l.add(kABTests)
	}
	l.arrange(g, st.order)

	dst = append(dst, st.lead...)
	dst = append(dst, '{')
	first := true
	for _, k := range l.keys() {
		var faulty bool
		if dst, faulty = appendMember(dst, st, f, lvSession, k, &first); faulty {
			continue
		}
		switch k {
		case kSessionID:
			dst = appendBytesString(dst, h.id[:])
		case kUserID:
			dst = appendBytesString(dst, h.user[:])
		case kDevice:
			dst = appendString(dst, devices[h.device], false)
		case kGeo:
			if h.geo == isNull {
				dst = append(dst, "null"...)
			} else {
				dst = appendString(dst, countries[h.country].code, false)
			}
		case kUA:
			if h.ua == isNull {
				dst = append(dst, "null"...)
			} else {
				dst = appendString(dst, agentsFor(int(h.device))[h.agent], st.ascii)
			}
		case kEvents:
			if h.events == isNull {
				dst = append(dst, "null"...)
			} else {
				dst = append(dst, evs...)
			}
		case kAppVersion:
			dst = appendString(dst, appVersions[h.appVer], false)
		case kIngest:
			dst = append(dst, '{')
			dst = append(dst, `"source"`...)
			dst = append(dst, st.colon...)
			dst = append(dst, `"web"`...)
			dst = append(dst, st.comma...)
			dst = append(dst, `"batch"`...)
			dst = append(dst, st.colon...)
			dst = strconv.AppendInt(dst, int64(h.batch), 10)
			dst = append(dst, '}')
		case kABTests:
			dst = append(dst, `["checkout_v2"`...)
			dst = append(dst, st.comma...)
			dst = append(dst, `"free_shipping_banner"]`...)
		}
	}
	dst = append(dst, '}')
	return append(dst, st.trail...)
}

// invalidLine makes a session line SPEC.md rejects in g.line.
func (g *generator) invalidLine(day int64) {
	h := g.newHead()
	g.renderEvents(&h, day, false, true)
	var none fault
	if g.rng.IntN(5) < 3 {
		s := &sessionFaults[g.rng.IntN(len(sessionFaults))]
		f := fault{level: s.level, key: s.key, omit: s.omit, raw: []byte(s.raw)}
		g.line = g.appendSession(g.line[:0], &h, g.evs, &f)
		return
	}
	// A whole-line fault, most of them made from a valid line.
	g.tmp = g.appendSession(g.tmp[:0], &h, g.evs, &none)
	valid := g.tmp
	lead, closing := len(h.st.lead), len(valid)-len(h.st.trail)-1 // valid[closing] == '}'
	line := g.line[:0]
	switch g.rng.IntN(nLineFaults) {
	case lineTruncated:
		// Keep at least "{", never the closing brace, and whole runes only.
		cut := lead + 1 + g.rng.IntN(closing-lead)
		for cut > lead+1 && !utf8.RuneStart(valid[cut]) {
			cut--
		}
		line = append(line, valid[:cut]...)
	case lineTrailingComma:
		line = append(line, valid[:closing]...)
		line = append(line, h.st.comma...)
		line = append(line, valid[closing:]...)
	case lineExtraBrace:
		line = append(line, valid[:closing+1]...)
		line = append(line, '}')
		line = append(line, valid[closing+1:]...)
	case linePythonRepr:
		line = append(line, "{'session_id': '"...)
		line = append(line, h.id[:]...)
		line = append(line, "', 'user_id': '"...)
		line = append(line, h.user[:]...)
		line = append(line, "', 'device_type': '"...)
		line = append(line, devices[h.device]...)
		line = append(line, "', 'geolocation': None, 'events': []}"...)
	case lineHTML:
		line = append(line, htmlLines[g.rng.IntN(len(htmlLines))]...)
	case lineArray:
		line = append(line, '[')
		line = append(line, valid...)
		line = append(line, ']')
	case lineStringEncoded:
		line = appendString(line, string(valid), false)
	case lineNumber:
		line = strconv.AppendInt(line, day, 10)
	case lineNull:
		line = append(line, "null"...)
	case lineTrue:
		line = append(line, "true"...)
	}
	g.line = line
}

var htmlLines = [...]string{
	"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>",
	"ERROR 2024/01/30 10:00:00 upstream timed out (110: Connection timed out)",
	"session_id=3f2a9c1e&user_id=u-1a2b3c&device_type=mobile",
}
