package sampledata

// A fault breaks one place of a line so that SPEC.md rejects it: the whole line
// for a session fault, the one event for an event fault. Each table entry below
// is a rejection by one rule of SPEC.md's Validation section, and nothing else
// in the line depends on it. Ambiguous cases the SPEC leaves open (duplicate
// keys, invalid UTF-8, huge numbers, leap seconds, nulls in optional fields of
// events, empty items) are never produced.

// Where a fault applies.
const (
	lvNone    = iota
	lvSession // a session field
	lvElement // an element of events: the whole element, or its "event" key
	lvBody    // a field of the object under "event"
	lvDetails // a field of details
	lvItem    // an item of a purchase: the whole item or one of its fields
)

// Computed replacement values.
const (
	dynNone        = iota
	dynPriceString // the event's price as a string: "59.9"
	dynAmountString
	dynItemPriceString
	dynEpoch       // the timestamp as a number of seconds
	dynEpochMillis // the timestamp as a number of milliseconds
	dynUpperType   // "PAGE_VIEW"
	dynSpacedType  // "page_view "
)

type faultSpec struct {
	level, key uint8
	omit       bool
	raw        string // the value written instead; need not be JSON
	rename     string // the key written instead
	dyn        uint8
}

// fault is a faultSpec placed in one line; raw may point into the generator's scratch.
type fault struct {
	level, key uint8
	omit       bool
	raw        []byte
	rename     string
	item       int
}

func (f *fault) hits(level, key uint8) bool { return f.level == level && f.key == key }

var eventFaults = [...]faultSpec{
	// not an object with an object under "event"
	{level: lvElement, key: keyWhole, raw: `"page_view"`},
	{level: lvElement, key: keyWhole, raw: `42`},
	{level: lvElement, key: keyWhole, raw: `null`},
	{level: lvElement, key: keyWhole, raw: `[]`},
	{level: lvElement, key: keyWhole, raw: `true`},
	{level: lvElement, key: keyWhole, raw: `"{\"event\": {\"event_type\": \"page_view\"}}"`},
	{level: lvElement, key: kEvent, rename: "Event"},
	{level: lvElement, key: kEvent, rename: "evt"},
	{level: lvElement, key: kEvent, omit: true},
	{level: lvElement, key: kEvent, raw: `null`},
	{level: lvElement, key: kEvent, raw: `"page_view"`},
	{level: lvElement, key: kEvent, raw: `[]`},
	// event_type
	{level: lvBody, key: kEventType, raw: `"click"`},
	{level: lvBody, key: kEventType, dyn: dynUpperType},
	{level: lvBody, key: kEventType, dyn: dynSpacedType},
	{level: lvBody, key: kEventType, raw: `"page-view"`},
	{level: lvBody, key: kEventType, raw: `"add_to_cart"`},
	{level: lvBody, key: kEventType, raw: `""`},
	{level: lvBody, key: kEventType, raw: `null`},
	{level: lvBody, key: kEventType, raw: `3`},
	{level: lvBody, key: kEventType, omit: true},
	// timestamp
	{level: lvBody, key: kTimestamp, omit: true},
	{level: lvBody, key: kTimestamp, raw: `null`},
	{level: lvBody, key: kTimestamp, dyn: dynEpoch},
	{level: lvBody, key: kTimestamp, dyn: dynEpochMillis},
	{level: lvBody, key: kTimestamp, raw: `"yesterday"`},
	{level: lvBody, key: kTimestamp, raw: `"2024-13-01T00:00:00Z"`},
	{level: lvBody, key: kTimestamp, raw: `"2024-02-30 10:00:00 UTC"`},
	{level: lvBody, key: kTimestamp, raw: `""`},
	{level: lvBody, key: kTimestamp, raw: `"30/01/2024 10:00:00"`},
	{level: lvBody, key: kTimestamp, raw: `"2024-01-30T10:61:00Z"`},
	{level: lvBody, key: kTimestamp, raw: `{"seconds": 1706608800}`},
	// details
	{level: lvBody, key: kDetails, omit: true},
	{level: lvBody, key: kDetails, raw: `null`},
	{level: lvBody, key: kDetails, raw: `"page_url=/home"`},
	{level: lvBody, key: kDetails, raw: `[]`},
	{level: lvBody, key: kDetails, raw: `0`},
}

var pageViewFaults = [...]faultSpec{
	{level: lvDetails, key: kPageURL, omit: true},
	{level: lvDetails, key: kPageURL, raw: `""`},
	{level: lvDetails, key: kPageURL, raw: `404`},
	{level: lvDetails, key: kPageURL, raw: `null`},
	{level: lvDetails, key: kPageURL, raw: `{"path": "/home"}`},
	{level: lvDetails, key: kPageURL, raw: `["/home"]`},
	{level: lvDetails, key: kReferrer, raw: `5`},
	{level: lvDetails, key: kReferrer, raw: `true`},
	{level: lvDetails, key: kReferrer, raw: `{"url": "https://www.google.com/"}`},
}

var addToCartFaults = [...]faultSpec{
	{level: lvDetails, key: kProductID, omit: true},
	{level: lvDetails, key: kProductID, raw: `""`},
	{level: lvDetails, key: kProductID, raw: `1001`},
	{level: lvDetails, key: kProductID, raw: `null`},
	{level: lvDetails, key: kPrice, dyn: dynPriceString},
	{level: lvDetails, key: kPrice, raw: `null`},
	{level: lvDetails, key: kPrice, omit: true},
	{level: lvDetails, key: kPrice, raw: `true`},
	{level: lvDetails, key: kQuantity, raw: `1.5`},
	{level: lvDetails, key: kQuantity, raw: `2.5`},
	{level: lvDetails, key: kQuantity, raw: `"1"`},
	{level: lvDetails, key: kQuantity, omit: true},
	{level: lvDetails, key: kQuantity, raw: `null`},
	{level: lvDetails, key: kQuantity, raw: `true`},
	{level: lvDetails, key: kProductName, raw: `12`},
	{level: lvDetails, key: kCategory, raw: `true`},
	{level: lvDetails, key: kCategory, raw: `["shoes"]`},
}

var purchaseFaults = [...]faultSpec{
	{level: lvDetails, key: kOrderID, omit: true},
	{level: lvDetails, key: kOrderID, raw: `""`},
	{level: lvDetails, key: kOrderID, raw: `12345`},
	{level: lvDetails, key: kOrderID, raw: `null`},
	{level: lvDetails, key: kAmount, dyn: dynAmountString},
	{level: lvDetails, key: kAmount, omit: true},
	{level: lvDetails, key: kAmount, raw: `null`},
	{level: lvDetails, key: kCurrency, raw: `7`},
	{level: lvDetails, key: kCurrency, raw: `true`},
	{level: lvDetails, key: kItems, omit: true},
	{level: lvDetails, key: kItems, raw: `null`},
	{level: lvDetails, key: kItems, raw: `"P1001,P1002"`},
	{level: lvDetails, key: kItems, raw: `{"product_id": "P1001", "price": 59.9, "quantity": 1}`},
	{level: lvItem, key: keyWhole, raw: `"P1001"`},
	{level: lvItem, key: keyWhole, raw: `null`},
	{level: lvItem, key: kProductID, omit: true},
	{level: lvItem, key: kProductID, raw: `""`},
	{level: lvItem, key: kProductID, raw: `7`},
	{level: lvItem, key: kQuantity, raw: `2.5`},
	{level: lvItem, key: kQuantity, raw: `"1"`},
	{level: lvItem, key: kQuantity, omit: true},
	{level: lvItem, key: kPrice, dyn: dynItemPriceString},
	{level: lvItem, key: kPrice, omit: true},
	{level: lvItem, key: kPrice, raw: `null`},
	{level: lvItem, key: kProductName, raw: `3`},
	{level: lvItem, key: kCategory, raw: `false`},
}

var sessionFaults = [...]faultSpec{
	{level: lvSession, key: kSessionID, omit: true},
	{level: lvSession, key: kSessionID, raw: `null`},
	{level: lvSession, key: kSessionID, raw: `12345`},
	{level: lvSession, key: kSessionID, raw: `""`},
	{level: lvSession, key: kSessionID, raw: `true`},
	{level: lvSession, key: kUserID, omit: true},
	{level: lvSession, key: kUserID, raw: `null`},
	{level: lvSession, key: kUserID, raw: `4821`},
	{level: lvSession, key: kUserID, raw: `""`},
	{level: lvSession, key: kUserID, raw: `{"id": "u-4821"}`},
	{level: lvSession, key: kDevice, omit: true},
	{level: lvSession, key: kDevice, raw: `null`},
	{level: lvSession, key: kDevice, raw: `0`},
	{level: lvSession, key: kDevice, raw: `""`},
	{level: lvSession, key: kDevice, raw: `["mobile"]`},
	{level: lvSession, key: kGeo, raw: `55`},
	{level: lvSession, key: kGeo, raw: `{"country": "BR", "city": "São Paulo"}`},
	{level: lvSession, key: kGeo, raw: `[-23.55, -46.63]`},
	{level: lvSession, key: kGeo, raw: `true`},
	{level: lvSession, key: kUA, raw: `0`},
	{level: lvSession, key: kUA, raw: `{"browser": "Chrome", "version": 120}`},
	{level: lvSession, key: kUA, raw: `false`},
	{level: lvSession, key: kEvents, raw: `"[]"`},
	{level: lvSession, key: kEvents, raw: `"page_view"`},
	{level: lvSession, key: kEvents, raw: `{"event": {"event_type": "page_view", "timestamp": "2024-01-30T10:00:00Z", "details": {"page_url": "/home"}}}`},
	{level: lvSession, key: kEvents, raw: `3`},
	{level: lvSession, key: kEvents, raw: `true`},
	// not JSON at all
	{level: lvSession, key: kGeo, raw: `NaN`},
	{level: lvSession, key: kUA, raw: `undefined`},
	{level: lvSession, key: kSessionID, raw: `'s-1'`},
}

// Whole-line faults: the line is not JSON, or JSON but not an object.
const (
	lineTruncated = iota
	lineTrailingComma
	lineExtraBrace
	linePythonRepr
	lineHTML
	lineArray
	lineStringEncoded
	lineNumber
	lineNull
	lineTrue
	nLineFaults
)
