package clickstream

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"unsafe"
)

// Reject codes: a stable, short name for each rule of SPEC.md's validation,
// written to the dead letter beside the reason so rejects can be counted by
// rule. The reason says the same in words a person can act on.
const (
	CodeInvalidJSON      = "invalid_json"
	CodeNotObject        = "not_object"
	CodeDuplicateKey     = "duplicate_key"
	CodeMissingField     = "missing_field"
	CodeWrongType        = "wrong_type"
	CodeEmptyField       = "empty_field"
	CodeUnknownEventType = "unknown_event_type"
	CodeBadTimestamp     = "bad_timestamp"
	CodeNotIntegral      = "not_integral"
	CodeOutOfRange       = "out_of_range"
	CodeLineTooLong      = "line_too_long"
)

// Reject says why a line or an event was rejected.
type Reject struct {
	Code   string
	Reason string
}

func reject(code, format string, args ...any) *Reject {
	return &Reject{Code: code, Reason: fmt.Sprintf(format, args...)}
}

// EventType is one of the three event types SPEC.md accepts.
type EventType uint8

const (
	PageView EventType = iota + 1
	AddItemToCart
	Purchase
)

func (e EventType) String() string {
	switch e {
	case PageView:
		return "page_view"
	case AddItemToCart:
		return "add_item_to_cart"
	case Purchase:
		return "purchase"
	}
	return "unknown"
}

const none int32 = -1 // a field absent or null

// session holds the tape indexes of a session's fields.
type session struct {
	id, user, device, geo, agent int32
	events                       int32 // an array node, or none
}

// String fields of details, by index into details.str.
const (
	dPageURL = iota
	dReferrerURL
	dProductID
	dProductName
	dCategory
	dOrderID
	dCurrency
	nDetailStrings
)

var detailStringNames = [nDetailStrings]string{"page_url", "referrer_url", "product_id", "product_name", "category", "order_id", "currency"}

// qualifiedDetailNames are the names used in reasons, built once so the hot
// path does not concatenate.
var qualifiedDetailNames = func() (q [nDetailStrings]string) {
	for i, n := range detailStringNames {
		q[i] = "details." + n
	}
	return q
}()

type number struct {
	f   float64
	i   int64
	set bool
}

type details struct {
	str              [nDetailStrings]int32
	price, amount    number
	quantity         number
	items            int32 // an array node, or none
	itemFrom, itemTo int   // the event's items in validator.items
}

type item struct {
	productID, productName, category int32
	price, quantity                  number
}

type event struct {
	typ  EventType
	ts   int64
	node int32 // the element of the events array
	d    details
	// id is the event's event_id, set once its row is written: the lake
	// row, written after, carries it too. With idSet it is given before
	// (GA4 input's ids hash the GA4 event, not the staged row).
	id    [sha256.Size]byte
	idSet bool
	// The event's id and timestamp as written, kept once written: the
	// lake row writes them again.
	idHex  [2 * sha256.Size]byte
	hexSet bool
	tsText [32]byte
	tsLen  uint8
}

// appendID appends the event's id in lowercase hex; e.id must be set.
func (e *event) appendID(dst []byte) []byte {
	if !e.hexSet {
		hex.Encode(e.idHex[:], e.id[:])
		e.hexSet = true
	}
	return append(dst, e.idHex[:]...)
}

// appendTimestamp appends the event's time as AppendTimestamp writes it.
func (e *event) appendTimestamp(dst []byte) []byte {
	if e.tsLen == 0 {
		text := AppendTimestamp(e.tsText[:0], e.ts)
		if len(text) > len(e.tsText) { // never in TIMESTAMP's range
			return append(dst, text...)
		}
		e.tsLen = uint8(len(text))
	}
	return append(dst, e.tsText[:e.tsLen]...)
}

// validator applies SPEC.md's validation to the tape of one line.
type validator struct {
	p      *parser
	events []event
	items  []item
	key    []byte // scratch for unescaped keys
}

// member iterates over the members of the object at obj, calling fn with the
// key's unescaped bytes and the value's index; fn's result stops the walk.
func (v *validator) members(obj int32, fn func(key []byte, val int32) *Reject) *Reject {
	nodes := v.p.nodes
	end := nodes[obj].sub
	for k := obj + 1; k < end; {
		val := k + 1
		key := v.p.text(k)
		if nodes[k].esc {
			v.key = v.p.appendUnescaped(v.key[:0], k)
			key = v.key
		}
		if r := fn(key, val); r != nil {
			return r
		}
		k = nodes[val].sub
	}
	return nil
}

func setOnce(slot *int32, val int32, name string) *Reject {
	if *slot != none {
		return reject(CodeDuplicateKey, "field %q appears more than once", name)
	}
	*slot = val
	return nil
}

func (v *validator) session(root int32) (session, *Reject) {
	s := session{none, none, none, none, none, none}
	if k := v.p.nodes[root].kind; k != kindObject {
		return s, reject(CodeNotObject, "a line must be a JSON object, got %s", k)
	}
	var geoSeen, agentSeen, eventsSeen int32 = none, none, none
	r := v.members(root, func(key []byte, val int32) *Reject {
		switch string(key) {
		case "session_id":
			return setOnce(&s.id, val, "session_id")
		case "user_id":
			return setOnce(&s.user, val, "user_id")
		case "device_type":
			return setOnce(&s.device, val, "device_type")
		case "geolocation":
			return setOnce(&geoSeen, val, "geolocation")
		case "user_agent":
			return setOnce(&agentSeen, val, "user_agent")
		case "events":
			return setOnce(&eventsSeen, val, "events")
		}
		return nil
	})
	if r != nil {
		return s, r
	}
	for _, f := range [...]struct {
		n    int32
		name string
	}{{s.id, "session_id"}, {s.user, "user_id"}, {s.device, "device_type"}} {
		if r := v.requiredString(f.n, f.name); r != nil {
			return s, r
		}
	}
	if s.geo, r = v.optionalString(geoSeen, "geolocation"); r != nil {
		return s, r
	}
	if s.agent, r = v.optionalString(agentSeen, "user_agent"); r != nil {
		return s, r
	}
	if eventsSeen != none {
		switch k := v.p.nodes[eventsSeen].kind; k {
		case kindArray:
			s.events = eventsSeen
		case kindNull:
		default:
			return s, reject(CodeWrongType, "events must be an array or null, got %s", k)
		}
	}
	return s, nil
}

func (v *validator) requiredString(n int32, name string) *Reject {
	if n == none {
		return reject(CodeMissingField, "%s is missing", name)
	}
	nd := &v.p.nodes[n]
	switch nd.kind {
	case kindString:
		if nd.start == nd.end {
			return reject(CodeEmptyField, "%s is an empty string", name)
		}
		return nil
	case kindNull:
		return reject(CodeMissingField, "%s is null", name)
	}
	return reject(CodeWrongType, "%s must be a string, got %s %s", name, nd.kind, quoteSnippet(v.p.raw(n)))
}

// optionalString accepts a string or null; it returns none for null or absent.
func (v *validator) optionalString(n int32, name string) (int32, *Reject) {
	if n == none {
		return none, nil
	}
	switch k := v.p.nodes[n].kind; k {
	case kindString:
		return n, nil
	case kindNull:
		return none, nil
	default:
		return none, reject(CodeWrongType, "%s must be a string or null, got %s %s", name, k, quoteSnippet(v.p.raw(n)))
	}
}

// optionalNumber accepts a number or null; integral also demands an integer value.
func (v *validator) optionalNumber(n int32, name string, integral bool) (number, *Reject) {
	if n == none {
		return number{}, nil
	}
	nd := &v.p.nodes[n]
	switch nd.kind {
	case kindNumber:
	case kindNull:
		return number{}, nil
	default:
		what := "a number"
		if integral {
			what = "an integer"
		}
		return number{}, reject(CodeWrongType, "%s must be %s, got %s %s", name, what, nd.kind, quoteSnippet(v.p.raw(n)))
	}
	text := v.p.text(n)
	s := unsafe.String(unsafe.SliceData(text), len(text)) // not retained
	if integral {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return number{i: i, f: float64(i), set: true}, nil
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f != math.Trunc(f) {
			if err == nil {
				return number{}, reject(CodeNotIntegral, "%s must be an integer, got %s", name, quoteSnippet(text))
			}
			return number{}, reject(CodeOutOfRange, "%s %s is out of range", name, quoteSnippet(text))
		}
		if f < -(1<<63) || f >= 1<<63 {
			return number{}, reject(CodeOutOfRange, "%s %s is out of the INTEGER range", name, quoteSnippet(text))
		}
		return number{i: int64(f), f: f, set: true}, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return number{}, reject(CodeOutOfRange, "%s %s is out of the FLOAT range", name, quoteSnippet(text))
	}
	return number{f: f, set: true}, nil
}

// event validates the element at el of a session's events array and, when it
// is valid, appends it to v.events.
func (v *validator) event(el int32) *Reject {
	nodes := v.p.nodes
	if k := nodes[el].kind; k != kindObject {
		return reject(CodeNotObject, "an event must be an object with an object under \"event\", got %s", k)
	}
	var ev int32 = none
	if r := v.members(el, func(key []byte, val int32) *Reject {
		if string(key) == "event" {
			return setOnce(&ev, val, "event")
		}
		return nil
	}); r != nil {
		return r
	}
	if ev == none {
		return reject(CodeMissingField, "an event must be an object with an object under \"event\", and \"event\" is missing")
	}
	if k := nodes[ev].kind; k != kindObject {
		return reject(CodeNotObject, "an event must be an object with an object under \"event\", got \"event\": %s", k)
	}
	var typ, ts, det int32 = none, none, none
	if r := v.members(ev, func(key []byte, val int32) *Reject {
		switch string(key) {
		case "event_type":
			return setOnce(&typ, val, "event_type")
		case "timestamp":
			return setOnce(&ts, val, "timestamp")
		case "details":
			return setOnce(&det, val, "details")
		}
		return nil
	}); r != nil {
		return r
	}
	e := event{node: el}
	if typ == none {
		return reject(CodeMissingField, "event_type is missing")
	}
	if k := nodes[typ].kind; k != kindString {
		return reject(CodeWrongType, "event_type must be a string, got %s %s", k, quoteSnippet(v.p.raw(typ)))
	}
	switch string(v.p.text(typ)) {
	case "page_view":
		e.typ = PageView
	case "add_item_to_cart":
		e.typ = AddItemToCart
	case "purchase":
		e.typ = Purchase
	default:
		return reject(CodeUnknownEventType, "event_type %s is not one of page_view, add_item_to_cart, purchase", quoteSnippet(v.p.raw(typ)))
	}
	if ts == none || nodes[ts].kind == kindNull {
		return reject(CodeMissingField, "timestamp is missing")
	}
	if k := nodes[ts].kind; k != kindString {
		return reject(CodeWrongType, "timestamp must be a string, got %s %s", k, quoteSnippet(v.p.raw(ts)))
	}
	tsText := v.p.text(ts)
	if nodes[ts].esc {
		v.key = v.p.appendUnescaped(v.key[:0], ts)
		tsText = v.key
	}
	micros, err := ParseTimestamp(tsText)
	if err != nil {
		return reject(CodeBadTimestamp, "timestamp %s is invalid: %v", quoteSnippet(v.p.raw(ts)), err)
	}
	e.ts = micros
	if det == none {
		return reject(CodeMissingField, "details is missing")
	}
	if k := nodes[det].kind; k != kindObject {
		return reject(CodeWrongType, "details must be an object, got %s", k)
	}
	if r := v.details(det, e.typ, &e.d); r != nil {
		return r
	}
	v.events = append(v.events, e)
	return nil
}

func (v *validator) details(det int32, typ EventType, d *details) *Reject {
	var seen [nDetailStrings]int32
	var price, amount, quantity, items int32 = none, none, none, none
	for i := range seen {
		seen[i] = none
	}
	if r := v.members(det, func(key []byte, val int32) *Reject {
		for i, name := range detailStringNames {
			if string(key) == name {
				return setOnce(&seen[i], val, qualifiedDetailNames[i])
			}
		}
		switch string(key) {
		case "price":
			return setOnce(&price, val, "details.price")
		case "amount":
			return setOnce(&amount, val, "details.amount")
		case "quantity":
			return setOnce(&quantity, val, "details.quantity")
		case "items":
			return setOnce(&items, val, "details.items")
		}
		return nil
	}); r != nil {
		return r
	}
	var r *Reject
	for i, n := range seen {
		if d.str[i], r = v.optionalString(n, qualifiedDetailNames[i]); r != nil {
			return r
		}
	}
	if d.price, r = v.optionalNumber(price, "details.price", false); r != nil {
		return r
	}
	if d.amount, r = v.optionalNumber(amount, "details.amount", false); r != nil {
		return r
	}
	if d.quantity, r = v.optionalNumber(quantity, "details.quantity", true); r != nil {
		return r
	}
	d.items = none
	d.itemFrom = len(v.items)
	if items != none {
		switch k := v.p.nodes[items].kind; k {
		case kindArray:
			d.items = items
			if r := v.itemList(items, typ); r != nil {
				return r
			}
		case kindNull:
		default:
			return reject(CodeWrongType, "details.items must be an array of objects, got %s", k)
		}
	}
	d.itemTo = len(v.items)

	need := func(field int, name string) *Reject {
		n := d.str[field]
		if n == none {
			return reject(CodeMissingField, "%s: details.%s must be a non-empty string, and it is missing or null", typ, name)
		}
		if v.p.nodes[n].start == v.p.nodes[n].end {
			return reject(CodeEmptyField, "%s: details.%s must be a non-empty string, got \"\"", typ, name)
		}
		return nil
	}
	switch typ {
	case PageView:
		return need(dPageURL, "page_url")
	case AddItemToCart:
		if r := need(dProductID, "product_id"); r != nil {
			return r
		}
		if !d.price.set {
			return reject(CodeMissingField, "add_item_to_cart: details.price must be a number, and it is missing or null")
		}
		if !d.quantity.set {
			return reject(CodeMissingField, "add_item_to_cart: details.quantity must be an integer, and it is missing or null")
		}
	case Purchase:
		if r := need(dOrderID, "order_id"); r != nil {
			return r
		}
		if !d.amount.set {
			return reject(CodeMissingField, "purchase: details.amount must be a number, and it is missing or null")
		}
		if d.items == none {
			return reject(CodeMissingField, "purchase: details.items must be an array of objects, and it is missing or null")
		}
	}
	return nil
}

// itemList validates the items array. Every event checks the types of the
// fields it carries; a purchase also demands product_id, price and quantity.
func (v *validator) itemList(arr int32, typ EventType) *Reject {
	nodes := v.p.nodes
	end := nodes[arr].sub
	idx := 0
	for el := arr + 1; el < end; el, idx = nodes[el].sub, idx+1 {
		if k := nodes[el].kind; k != kindObject {
			return reject(CodeWrongType, "details.items[%d] must be an object, got %s", idx, k)
		}
		var pid, pname, cat, price, qty int32 = none, none, none, none, none
		if r := v.members(el, func(key []byte, val int32) *Reject {
			switch string(key) {
			case "product_id":
				return setOnce(&pid, val, "product_id")
			case "product_name":
				return setOnce(&pname, val, "product_name")
			case "category":
				return setOnce(&cat, val, "category")
			case "price":
				return setOnce(&price, val, "price")
			case "quantity":
				return setOnce(&qty, val, "quantity")
			}
			return nil
		}); r != nil {
			r.Reason = fmt.Sprintf("details.items[%d]: %s", idx, r.Reason)
			return r
		}
		it, r := v.item(pid, pname, cat, price, qty, typ == Purchase)
		if r != nil {
			r.Reason = fmt.Sprintf("%s: details.items[%d].%s", typ, idx, r.Reason)
			return r
		}
		v.items = append(v.items, it)
	}
	return nil
}

func (v *validator) item(pid, pname, cat, price, qty int32, required bool) (item, *Reject) {
	var it item
	var r *Reject
	if it.productID, r = v.optionalString(pid, "product_id"); r != nil {
		return it, r
	}
	if it.productName, r = v.optionalString(pname, "product_name"); r != nil {
		return it, r
	}
	if it.category, r = v.optionalString(cat, "category"); r != nil {
		return it, r
	}
	if it.price, r = v.optionalNumber(price, "price", false); r != nil {
		return it, r
	}
	if it.quantity, r = v.optionalNumber(qty, "quantity", true); r != nil {
		return it, r
	}
	if !required {
		return it, nil
	}
	switch {
	case it.productID == none:
		return it, reject(CodeMissingField, "product_id must be a non-empty string, and it is missing or null")
	case v.p.nodes[it.productID].start == v.p.nodes[it.productID].end:
		return it, reject(CodeEmptyField, "product_id must be a non-empty string, got \"\"")
	case !it.price.set:
		return it, reject(CodeMissingField, "price must be a number, and it is missing or null")
	case !it.quantity.set:
		return it, reject(CodeMissingField, "quantity must be an integer, and it is missing or null")
	}
	return it, nil
}

// quoteSnippet quotes the start of a value for a reason, so a reason stays
// readable whatever the size of the value it points at.
func quoteSnippet(b []byte) string {
	const max = 60
	if len(b) > max {
		cut := max
		for cut > 0 && b[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
			cut--
		}
		return string(b[:cut]) + "…"
	}
	return string(b)
}
