package sampledata

// Every JSON key the generator writes, known to SPEC.md or not.
const (
	kSessionID = iota
	kUserID
	kDevice
	kGeo
	kUA
	kEvents
	kAppVersion // unknown session fields from here
	kIngest
	kABTests
	kEvent // the element's wrapper key
	kSeq   // unknown wrapper field
	kEventType
	kTimestamp
	kDetails
	kSource // unknown event field
	kPageURL
	kReferrer
	kPageTitle // unknown
	kProductID
	kProductName
	kCategory
	kPrice
	kQuantity
	kVariant // unknown
	kOrderID
	kAmount
	kCurrency
	kItems
	kPayment // unknown
	kSKU     // unknown item field
	nKeys

	keyWhole = 255 // a fault that replaces a whole element or item
)

var keyNames = [nKeys]string{
	kSessionID:   "session_id",
	kUserID:      "user_id",
	kDevice:      "device_type",
	kGeo:         "geolocation",
	kUA:          "user_agent",
	kEvents:      "events",
	kAppVersion:  "app_version",
	kIngest:      "ingest",
	kABTests:     "ab_tests",
	kEvent:       "event",
	kSeq:         "seq",
	kEventType:   "event_type",
	kTimestamp:   "timestamp",
	kDetails:     "details",
	kSource:      "source",
	kPageURL:     "page_url",
	kReferrer:    "referrer_url",
	kPageTitle:   "page_title",
	kProductID:   "product_id",
	kProductName: "product_name",
	kCategory:    "category",
	kPrice:       "price",
	kQuantity:    "quantity",
	kVariant:     "variant",
	kOrderID:     "order_id",
	kAmount:      "amount",
	kCurrency:    "currency",
	kItems:       "items",
	kPayment:     "payment_method",
	kSKU:         "sku",
}

// Key orders a serializer may use.
const (
	orderCanonical = iota // SPEC.md's example order, unknown fields last
	orderSorted           // alphabetical, as json.dumps(sort_keys=True) writes
	orderShuffled         // no order at all
)

// style is how one client serializes: it stays the same for a whole line.
type style struct {
	colon, comma string
	order        uint8
	ascii        bool // \uXXXX escapes for non-ASCII
	absURL       bool // page URLs with scheme and host
	fixedCents   bool // 59.90 rather than 59.9
	floatQty     bool // quantities written as 2.0 (integral, so valid)
	lead, trail  string
	ts           tsStyle
}

// fieldList is the keys of one object in the order they are written.
type fieldList struct {
	ids [12]uint8
	n   int
}

func (l *fieldList) add(k uint8) { l.ids[l.n] = k; l.n++ }

func (l *fieldList) has(k uint8) bool {
	for _, id := range l.ids[:l.n] {
		if id == k {
			return true
		}
	}
	return false
}

func (l *fieldList) keys() []uint8 { return l.ids[:l.n] }

// arrange puts the keys in the style's order; shuffling draws from g's RNG.
func (l *fieldList) arrange(g *generator, order uint8) {
	ids := l.ids[:l.n]
	switch order {
	case orderSorted:
		for i := 1; i < len(ids); i++ {
			for j := i; j > 0 && keyNames[ids[j]] < keyNames[ids[j-1]]; j-- {
				ids[j], ids[j-1] = ids[j-1], ids[j]
			}
		}
	case orderShuffled:
		for i := len(ids) - 1; i > 0; i-- {
			j := g.rng.IntN(i + 1)
			ids[i], ids[j] = ids[j], ids[i]
		}
	}
}

// appendKey writes the separator before every key but the first, the key, and the colon.
func appendKey(dst []byte, st *style, k uint8, first *bool) []byte {
	if !*first {
		dst = append(dst, st.comma...)
	}
	*first = false
	dst = append(dst, '"')
	dst = append(dst, keyNames[k]...)
	dst = append(dst, '"')
	return append(dst, st.colon...)
}

// appendMember starts member k of an object at level: its key, unless the
// fault f replaces the member (with its raw text) or removes it, in which
// case it reports faulty and the caller writes no value.
func appendMember(dst []byte, st *style, f *fault, level, k uint8, first *bool) ([]byte, bool) {
	if f.hits(level, k) {
		if !f.omit {
			dst = appendKey(dst, st, k, first)
			dst = append(dst, f.raw...)
		}
		return dst, true
	}
	return appendKey(dst, st, k, first), false
}
