package clickstream

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strconv"
	"unsafe"
)

// GA4 input: one Google Analytics 4 event per line, as GA4's BigQuery
// export has it (SPEC.md, "Input: GA4 BigQuery export"). A line is checked
// (ga4.validate), hashed in canonical form (ga4.canonical, ga4_json.go),
// then mapped into the star schema (ga4.mapEvent): the mapped session and
// events are handed to the same row writers as session input's, so the
// star tables' rows, the lake's visits row included, are written by one
// piece of code whatever the input.

// CodeAmbiguousValue rejects a GA4 line with a param (or user property)
// whose value has more than one of string_value, int_value, float_value
// and double_value set: which one is "the set value" is not known.
const CodeAmbiguousValue = "ambiguous_value"

// GA4 event names the star schema maps; every other name is kept in
// ga4_events only.
const (
	ga4PageView  = "page_view"
	ga4AddToCart = "add_to_cart"
	ga4Purchase  = "purchase"
)

// Kinds of a param's value.
const (
	valNone uint8 = iota
	valString
	valInt
	valFloat
)

// ga4Param is one element of event_params or user_properties.
type ga4Param struct {
	key        int32 // the key's string node
	keyEsc     bool  // the key has escapes: its bytes are keyBuf[ko:ke]
	ko, ke     int32
	kind       uint8
	val        int32 // the value's node, none for valNone
	num        number
	stringNode int32 // for valString: the string node (== val)
}

// ga4Event is a valid GA4 line's fields, by tape node (none when absent or
// null) or parsed value.
type ga4Event struct {
	ts                           int64
	date                         int32 // days since the epoch
	hasDate                      bool
	name, upid, userID, platform int32
	category, country            int32
	browser, browserVersion      int32
	ecommerce, items             int32
	sessionID                    int64
	params, props                []ga4Param
	nameText                     []byte // event_name, unescaped
}

// ga4 holds the state of GA4 lines: the line's copy (the parser reads it,
// and synthesized strings follow it), the fields of the current line, and
// the canonical form's scratch.
type ga4 struct {
	p      *parser
	v      *validator
	w      *rowWriter
	buf    []byte
	ev     ga4Event
	keyBuf []byte
	// canonical form (ga4_json.go)
	canon   []byte
	members []canonMember
	ckeys   []byte
	h       hash.Hash
	id      [sha256.Size]byte // the event's event_id
	idHex   [2 * sha256.Size]byte
	scratch []byte
}

func newGA4(p *parser, v *validator, w *rowWriter) *ga4 {
	return &ga4{p: p, v: v, w: w, h: sha256.New()}
}

// parse copies line into the ga4's buffer and parses it there.
func (g *ga4) parse(line []byte) error {
	g.buf = append(g.buf[:0], line...)
	return g.p.parse(g.buf)
}

// validate checks the line's event against SPEC.md's GA4 rules and fills
// g.ev: a reject rejects the whole line.
func (g *ga4) validate() *Reject {
	p, v := g.p, g.v
	if k := p.nodes[0].kind; k != kindObject {
		return reject(CodeNotObject, "a GA4 line must be a JSON object (one event), got %s", k)
	}
	var date, ts, name, params, userID, upid, props, device, geo, platform, ecom, items int32 = none, none, none, none, none, none, none, none, none, none, none, none
	if r := v.members(0, func(key []byte, val int32) *Reject {
		switch string(key) {
		case "event_date":
			return setOnce(&date, val, "event_date")
		case "event_timestamp":
			return setOnce(&ts, val, "event_timestamp")
		case "event_name":
			return setOnce(&name, val, "event_name")
		case "event_params":
			return setOnce(&params, val, "event_params")
		case "user_id":
			return setOnce(&userID, val, "user_id")
		case "user_pseudo_id":
			return setOnce(&upid, val, "user_pseudo_id")
		case "user_properties":
			return setOnce(&props, val, "user_properties")
		case "device":
			return setOnce(&device, val, "device")
		case "geo":
			return setOnce(&geo, val, "geo")
		case "platform":
			return setOnce(&platform, val, "platform")
		case "ecommerce":
			return setOnce(&ecom, val, "ecommerce")
		case "items":
			return setOnce(&items, val, "items")
		}
		return nil
	}); r != nil {
		return r
	}
	e := &g.ev
	*e = ga4Event{params: e.params[:0], props: e.props[:0], nameText: e.nameText[:0]}
	g.keyBuf = g.keyBuf[:0]
	if r := v.requiredString(name, "event_name"); r != nil {
		return r
	}
	e.name = name
	e.nameText = p.appendUnescaped(e.nameText, name)
	if r := v.requiredString(upid, "user_pseudo_id"); r != nil {
		return r
	}
	e.upid = upid
	if ts == none || p.nodes[ts].kind == kindNull {
		return reject(CodeMissingField, "event_timestamp is missing")
	}
	n, r := g.int64Of(ts, "event_timestamp")
	if r != nil {
		return r
	}
	if n.i < minMicros || n.i > maxMicros {
		return reject(CodeOutOfRange, "event_timestamp %d is out of the TIMESTAMP range (microseconds from 0001-01-01 to 9999-12-31)", n.i)
	}
	e.ts = n.i
	if r := g.eventDate(date); r != nil {
		return r
	}
	if e.userID, r = v.optionalString(userID, "user_id"); r != nil {
		return r
	}
	if e.platform, r = v.optionalString(platform, "platform"); r != nil {
		return r
	}
	if r := g.device(device); r != nil {
		return r
	}
	geoObj, r := g.optionalObject(geo, "geo")
	if r != nil {
		return r
	}
	e.country = none
	if geoObj != none {
		if e.country, r = g.field(geoObj, "geo", "country"); r != nil {
			return r
		}
	}
	if e.ecommerce, r = g.optionalObject(ecom, "ecommerce"); r != nil {
		return r
	}
	e.items = none
	if items != none {
		switch k := p.nodes[items].kind; k {
		case kindArray:
			e.items = items
		case kindNull:
		default:
			return reject(CodeWrongType, "items must be an array, got %s", k)
		}
	}
	if e.params, r = g.paramList(params, "event_params", e.params); r != nil {
		return r
	}
	if e.props, r = g.paramList(props, "user_properties", e.props); r != nil {
		return r
	}
	sid := g.param(e.params, "ga_session_id")
	switch {
	case sid == nil:
		return reject(CodeMissingField, "the event has no ga_session_id param: it belongs to no session")
	case sid.kind == valNone:
		return reject(CodeMissingField, "the ga_session_id param has no value")
	case sid.kind != valInt:
		return reject(CodeWrongType, "the ga_session_id param must be an int_value, got %s", quoteSnippet(p.raw(sid.val)))
	}
	e.sessionID = sid.num.i
	return nil
}

// eventDate reads event_date: YYYYMMDD as GA4 writes it (or YYYY-MM-DD),
// optional.
func (g *ga4) eventDate(n int32) *Reject {
	s, r := g.v.optionalString(n, "event_date")
	if r != nil || s == none {
		return r
	}
	b := g.p.appendUnescaped(g.scratch[:0], s)
	g.scratch = b
	if len(b) == 10 && b[4] == '-' && b[7] == '-' {
		b = append(append(append(b[:0:0], b[:4]...), b[5:7]...), b[8:10]...)
	}
	y, ok1 := digits(b[:min(4, len(b))])
	m, ok2 := 0, false
	d, ok3 := 0, false
	if len(b) == 8 {
		m, ok2 = digits(b[4:6])
		d, ok3 = digits(b[6:8])
	}
	if !ok1 || !ok2 || !ok3 || y < 1 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return reject(CodeBadTimestamp, "event_date %s is not a date: want YYYYMMDD, e.g. \"20240130\"", quoteSnippet(g.p.raw(s)))
	}
	g.ev.date = int32(daysFromCivil(y, m, d))
	g.ev.hasDate = true
	return nil
}

// device reads device.category and device.web_info's browser and version.
func (g *ga4) device(n int32) *Reject {
	e := &g.ev
	e.category, e.browser, e.browserVersion = none, none, none
	dev, r := g.optionalObject(n, "device")
	if r != nil || dev == none {
		return r
	}
	if e.category, r = g.field(dev, "device", "category"); r != nil {
		return r
	}
	var web int32 = none
	if r := g.v.members(dev, func(key []byte, val int32) *Reject {
		if string(key) == "web_info" {
			return setOnce(&web, val, "device.web_info")
		}
		return nil
	}); r != nil {
		return r
	}
	if web, r = g.optionalObject(web, "device.web_info"); r != nil || web == none {
		return r
	}
	if e.browser, r = g.field(web, "device.web_info", "browser"); r != nil {
		return r
	}
	e.browserVersion, r = g.field(web, "device.web_info", "browser_version")
	return r
}

// optionalObject returns n if it is an object, none if absent or null.
func (g *ga4) optionalObject(n int32, name string) (int32, *Reject) {
	if n == none {
		return none, nil
	}
	switch k := g.p.nodes[n].kind; k {
	case kindObject:
		return n, nil
	case kindNull:
		return none, nil
	default:
		return none, reject(CodeWrongType, "%s must be an object or null, got %s", name, k)
	}
}

// field returns the string member name of the object obj (at path), none
// when absent or null.
func (g *ga4) field(obj int32, path, name string) (int32, *Reject) {
	var n int32 = none
	if r := g.v.members(obj, func(key []byte, val int32) *Reject {
		if string(key) == name {
			return setOnce(&n, val, path+"."+name)
		}
		return nil
	}); r != nil {
		return none, r
	}
	return g.v.optionalString(n, path+"."+name)
}

// int64Of reads an INTEGER: a JSON number with an integral value, or a
// decimal string (BigQuery writes INT64 as strings in JSON). null is unset.
func (g *ga4) int64Of(n int32, name string) (number, *Reject) {
	if n == none {
		return number{}, nil
	}
	nd := &g.p.nodes[n]
	if nd.kind != kindString {
		return g.v.optionalNumber(n, name, true)
	}
	text := g.p.text(n)
	if nd.esc {
		g.scratch = g.p.appendUnescaped(g.scratch[:0], n)
		text = g.scratch
	}
	i, err := strconv.ParseInt(unsafe.String(unsafe.SliceData(text), len(text)), 10, 64) // not retained
	if err != nil {
		return number{}, reject(CodeWrongType, "%s must be an integer (a number or a decimal string), got %s", name, quoteSnippet(g.p.raw(n)))
	}
	return number{i: i, f: float64(i), set: true}, nil
}

// paramList reads event_params or user_properties (field) at arr into
// params: an array of {key, value} objects, or null. Keys must be strings
// and distinct; a value has at most one of its four fields set.
func (g *ga4) paramList(arr int32, field string, params []ga4Param) ([]ga4Param, *Reject) {
	if arr == none {
		return params, nil
	}
	p := g.p
	switch k := p.nodes[arr].kind; k {
	case kindArray:
	case kindNull:
		return params, nil
	default:
		return params, reject(CodeWrongType, "%s must be an array of {key, value} objects, got %s", field, k)
	}
	nodes := p.nodes
	idx := 0
	for el := arr + 1; el < nodes[arr].sub; el, idx = nodes[el].sub, idx+1 {
		if k := nodes[el].kind; k != kindObject {
			return params, reject(CodeWrongType, "%s[%d] must be a {key, value} object, got %s", field, idx, k)
		}
		var key, val int32 = none, none
		if r := g.v.members(el, func(k []byte, v int32) *Reject {
			switch string(k) {
			case "key":
				return setOnce(&key, v, "key")
			case "value":
				return setOnce(&val, v, "value")
			}
			return nil
		}); r != nil {
			r.Reason = field + "[" + strconv.Itoa(idx) + "]: " + r.Reason
			return params, r
		}
		if key == none || nodes[key].kind == kindNull {
			return params, reject(CodeMissingField, "%s[%d].key is missing", field, idx)
		}
		if k := nodes[key].kind; k != kindString {
			return params, reject(CodeWrongType, "%s[%d].key must be a string, got %s %s", field, idx, k, quoteSnippet(p.raw(key)))
		}
		pr := ga4Param{key: key, val: none, stringNode: none}
		if nodes[key].esc {
			pr.keyEsc, pr.ko = true, int32(len(g.keyBuf))
			g.keyBuf = p.appendUnescaped(g.keyBuf, key)
			pr.ke = int32(len(g.keyBuf))
		}
		if r := g.paramValue(&pr, val); r != nil {
			r.Reason = field + " " + strconv.Quote(string(g.keyOf(&pr))) + ": " + r.Reason
			return params, r
		}
		for i := range params {
			if string(g.keyOf(&params[i])) == string(g.keyOf(&pr)) {
				return params, reject(CodeDuplicateKey, "%s has the key %s more than once", field, quoteSnippet(p.raw(key)))
			}
		}
		params = append(params, pr)
	}
	return params, nil
}

// paramValue reads a param's value object at val into pr: whichever of
// string_value, int_value, float_value and double_value is set.
func (g *ga4) paramValue(pr *ga4Param, val int32) *Reject {
	if val == none || g.p.nodes[val].kind == kindNull {
		return nil
	}
	if k := g.p.nodes[val].kind; k != kindObject {
		return reject(CodeWrongType, "value must be an object, got %s", k)
	}
	var sv, iv, fv, dv int32 = none, none, none, none
	if r := g.v.members(val, func(key []byte, n int32) *Reject {
		switch string(key) {
		case "string_value":
			return setOnce(&sv, n, "string_value")
		case "int_value":
			return setOnce(&iv, n, "int_value")
		case "float_value":
			return setOnce(&fv, n, "float_value")
		case "double_value":
			return setOnce(&dv, n, "double_value")
		}
		return nil
	}); r != nil {
		return r
	}
	set := 0
	s, r := g.v.optionalString(sv, "string_value")
	if r != nil {
		return r
	}
	if s != none {
		set++
		pr.kind, pr.val, pr.stringNode = valString, s, s
	}
	i, r := g.int64Of(iv, "int_value")
	if r != nil {
		return r
	}
	if i.set {
		set++
		pr.kind, pr.val, pr.num = valInt, iv, i
	}
	for _, f := range [...]struct {
		n    int32
		name string
	}{{fv, "float_value"}, {dv, "double_value"}} {
		x, r := g.v.optionalNumber(f.n, f.name, false)
		if r != nil {
			return r
		}
		if x.set {
			set++
			pr.kind, pr.val, pr.num = valFloat, f.n, x
		}
	}
	if set > 1 {
		return reject(CodeAmbiguousValue, "value has %d of string_value, int_value, float_value and double_value set, want one", set)
	}
	return nil
}

// keyOf returns a param's key, unescaped.
func (g *ga4) keyOf(pr *ga4Param) []byte {
	if pr.keyEsc {
		return g.keyBuf[pr.ko:pr.ke]
	}
	return g.p.text(pr.key)
}

// param returns the param named name, or nil.
func (g *ga4) param(params []ga4Param, name string) *ga4Param {
	for i := range params {
		if string(g.keyOf(&params[i])) == name {
			return &params[i]
		}
	}
	return nil
}

// mapped is what a valid GA4 event gives the star schema.
type mapped uint8

const (
	mappedOther mapped = iota // events_other: ga4_events only
	mappedPageView
	mappedAddToCart
	mappedPurchase
)

// session returns the star schema's session of the event, if it has one:
// session_id the ga_session_id in decimal, user_id the user_pseudo_id,
// device_type device.category, geolocation geo.country, user_agent
// browser + "/" + browser_version (the browser alone without a version;
// none without a browser). Synthesized strings follow the line in the
// parser's buffer.
func (g *ga4) session() (session, bool) {
	e := &g.ev
	s := session{id: none, user: e.upid, device: e.category, geo: e.country, agent: none, events: none}
	if e.category == none || g.p.nodes[e.category].start == g.p.nodes[e.category].end {
		return s, false
	}
	g.scratch = strconv.AppendInt(g.scratch[:0], e.sessionID, 10)
	s.id = g.p.synth(g.scratch, false)
	if b := e.browser; b != none && g.p.nodes[b].start != g.p.nodes[b].end {
		nodes := g.p.nodes
		esc := nodes[b].esc
		g.scratch = append(g.scratch[:0], g.p.text(b)...)
		if vn := e.browserVersion; vn != none && nodes[vn].start != nodes[vn].end {
			esc = esc || nodes[vn].esc
			g.scratch = append(append(g.scratch, '/'), g.p.text(vn)...)
		}
		s.agent = g.p.synth(g.scratch, esc)
	}
	return s, true
}

// mapEvent maps the event into v.events (and their items into v.items),
// their event_ids set: one page view, one add to cart per item, one
// purchase, or none. A reject rejects the mapping alone: the event stays in
// ga4_events. Without a session nothing can be mapped.
func (g *ga4) mapEvent(hasSession bool) (mapped, *Reject) {
	e := &g.ev
	g.v.events = g.v.events[:0]
	g.v.items = g.v.items[:0]
	if !hasSession {
		return mappedOther, reject(CodeMissingField, "device.category is missing or empty: the event has no star-schema session (session_key needs a device_type)")
	}
	switch string(e.nameText) {
	case ga4PageView:
		return mappedPageView, g.mapPageView()
	case ga4AddToCart:
		return mappedAddToCart, g.mapAddToCart()
	case ga4Purchase:
		return mappedPurchase, g.mapPurchase()
	}
	return mappedOther, nil
}

// newEvent appends an event of type typ at the event's time, its detail
// fields unset, and returns it.
func (g *ga4) newEvent(typ EventType) *event {
	ev := event{typ: typ, ts: g.ev.ts, node: 0, idSet: true}
	for i := range ev.d.str {
		ev.d.str[i] = none
	}
	ev.d.items = none
	ev.d.itemFrom, ev.d.itemTo = len(g.v.items), len(g.v.items)
	g.v.events = append(g.v.events, ev)
	return &g.v.events[len(g.v.events)-1]
}

// stringParam returns the string node of param name: none when the param
// is absent or has no value, a reject when its value is not a string.
func (g *ga4) stringParam(typ, name string) (int32, *Reject) {
	pr := g.param(g.ev.params, name)
	if pr == nil || pr.kind == valNone {
		return none, nil
	}
	if pr.kind != valString {
		return none, reject(CodeWrongType, "%s: the %s param must be a string_value, got %s", typ, name, quoteSnippet(g.p.raw(pr.val)))
	}
	return pr.stringNode, nil
}

func (g *ga4) empty(n int32) bool { return g.p.nodes[n].start == g.p.nodes[n].end }

func (g *ga4) mapPageView() *Reject {
	url, r := g.stringParam(ga4PageView, "page_location")
	if r != nil {
		return r
	}
	if url == none || g.empty(url) {
		return reject(CodeMissingField, "page_view: the page_location param is missing or empty, and it is the page_url")
	}
	ref, r := g.stringParam(ga4PageView, "page_referrer")
	if r != nil {
		return r
	}
	ev := g.newEvent(PageView)
	ev.d.str[dPageURL], ev.d.str[dReferrerURL] = url, ref
	ev.id = g.id
	return nil
}

func (g *ga4) mapAddToCart() *Reject {
	if g.ev.items == none || g.p.nodes[g.ev.items].sub == g.ev.items+1 {
		return reject(CodeMissingField, "add_to_cart: items is missing or empty: an add to cart gives one row per item")
	}
	if r := g.itemList(ga4AddToCart, true); r != nil {
		return r
	}
	for i, it := range g.v.items {
		ev := g.newEvent(AddItemToCart)
		ev.d.str[dProductID], ev.d.str[dProductName], ev.d.str[dCategory] = it.productID, it.productName, it.category
		ev.d.price, ev.d.quantity = it.price, it.quantity
		ev.id = itemEventID(&g.idHex, i)
	}
	return nil
}

// itemEventID is the event_id of the add-to-cart row of item i (0-based)
// of the event whose event_id is idHex: SHA-256 of idHex + ":item:" + i.
func itemEventID(idHex *[2 * sha256.Size]byte, i int) [sha256.Size]byte {
	var b [2*sha256.Size + 32]byte
	s := append(append(b[:0], idHex[:]...), ":item:"...)
	return sha256.Sum256(strconv.AppendInt(s, int64(i), 10))
}

func (g *ga4) mapPurchase() *Reject {
	e := &g.ev
	order, amount := int32(none), number{}
	if e.ecommerce != none {
		var tx, rev int32 = none, none
		if r := g.v.members(e.ecommerce, func(key []byte, val int32) *Reject {
			switch string(key) {
			case "transaction_id":
				return setOnce(&tx, val, "ecommerce.transaction_id")
			case "purchase_revenue":
				return setOnce(&rev, val, "ecommerce.purchase_revenue")
			}
			return nil
		}); r != nil {
			return r
		}
		var r *Reject
		if order, r = g.v.optionalString(tx, "purchase: ecommerce.transaction_id"); r != nil {
			return r
		}
		if amount, r = g.v.optionalNumber(rev, "purchase: ecommerce.purchase_revenue", false); r != nil {
			return r
		}
	}
	if order == none || g.empty(order) {
		var r *Reject
		if order, r = g.stringParam(ga4Purchase, "transaction_id"); r != nil {
			return r
		}
	}
	if order == none || g.empty(order) {
		return reject(CodeMissingField, "purchase: no order id: ecommerce.transaction_id and the transaction_id param are both missing or empty")
	}
	if !amount.set {
		if pr := g.param(e.params, "value"); pr != nil && pr.kind != valNone {
			if pr.kind == valString {
				return reject(CodeWrongType, "purchase: the value param must be a number, got %s", quoteSnippet(g.p.raw(pr.val)))
			}
			amount = pr.num
		}
	}
	if !amount.set {
		return reject(CodeMissingField, "purchase: no amount: ecommerce.purchase_revenue and the value param are both missing")
	}
	currency, r := g.stringParam(ga4Purchase, "currency")
	if r != nil {
		return r
	}
	if e.items != none {
		if r := g.itemList(ga4Purchase, false); r != nil {
			return r
		}
	}
	ev := g.newEvent(Purchase)
	ev.d.str[dOrderID], ev.d.str[dCurrency] = order, currency
	ev.d.amount = amount
	// A purchase row always has a list of items: without GA4 items it is
	// empty, which the lake row must say too (d.items set, no elements).
	ev.d.items, ev.d.itemFrom, ev.d.itemTo = 0, 0, len(g.v.items)
	if e.items != none {
		ev.d.items = e.items
	}
	ev.id = g.id
	return nil
}

// itemList maps the event's items into v.items: item_id (required, a
// non-empty string), item_name, item_category, price and quantity (an
// INTEGER, number or decimal string); an add to cart's rows also need the
// price and quantity.
func (g *ga4) itemList(typ string, cart bool) *Reject {
	p := g.p
	nodes := p.nodes
	arr := g.ev.items
	idx := 0
	for el := arr + 1; el < nodes[arr].sub; el, idx = nodes[el].sub, idx+1 {
		if k := nodes[el].kind; k != kindObject {
			return reject(CodeWrongType, "%s: items[%d] must be an object, got %s", typ, idx, k)
		}
		var id, name, cat, price, qty int32 = none, none, none, none, none
		if r := g.v.members(el, func(key []byte, val int32) *Reject {
			switch string(key) {
			case "item_id":
				return setOnce(&id, val, "item_id")
			case "item_name":
				return setOnce(&name, val, "item_name")
			case "item_category":
				return setOnce(&cat, val, "item_category")
			case "price":
				return setOnce(&price, val, "price")
			case "quantity":
				return setOnce(&qty, val, "quantity")
			}
			return nil
		}); r != nil {
			r.Reason = typ + ": items[" + strconv.Itoa(idx) + "]: " + r.Reason
			return r
		}
		var it item
		var r *Reject
		where := func(r *Reject) *Reject {
			r.Reason = typ + ": items[" + strconv.Itoa(idx) + "]." + r.Reason
			return r
		}
		if it.productID, r = g.v.optionalString(id, "item_id"); r != nil {
			return where(r)
		}
		if it.productID == none || g.empty(it.productID) {
			return reject(CodeMissingField, "%s: items[%d].item_id is missing or empty, and it is the product_id", typ, idx)
		}
		if it.productName, r = g.v.optionalString(name, "item_name"); r != nil {
			return where(r)
		}
		if it.category, r = g.v.optionalString(cat, "item_category"); r != nil {
			return where(r)
		}
		if it.price, r = g.v.optionalNumber(price, "price", false); r != nil {
			return where(r)
		}
		if it.quantity, r = g.int64Of(qty, "quantity"); r != nil {
			return where(r)
		}
		switch {
		case cart && !it.price.set:
			return reject(CodeMissingField, "%s: items[%d].price is missing or null, and an add-to-cart row needs one", typ, idx)
		case cart && !it.quantity.set:
			return reject(CodeMissingField, "%s: items[%d].quantity is missing or null, and an add-to-cart row needs one", typ, idx)
		}
		g.v.items = append(g.v.items, it)
	}
	return nil
}

// setID sets the event's event_id from its canonical form (g.canon).
func (g *ga4) setID() {
	g.h.Reset()
	g.h.Write(ga4CanonicalPrefix)
	g.h.Write(g.canon)
	g.h.Sum(g.id[:0])
	hex.Encode(g.idHex[:], g.id[:])
}
