package sampledata

import (
	"bufio"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/clickstream-platform/clickstream/clickstream"
)

// GA4 input: one event per line in the shape of GA4's BigQuery export
// (events_YYYYMMDD), written as BigQuery's EXPORT DATA writes JSON: every
// column of the export's schema present, nulls included, INT64 values as
// decimal strings. The event mix follows the public obfuscated sample of the
// Google Merchandise Store: mostly page_view, user_engagement, scroll and
// view_item, a few add_to_cart, begin_checkout and purchase.

// ga4Counts is what one generated GA4 line counts, as SPEC.md's GA4
// accounting classifies it.
type ga4Counts struct {
	valid, rejected                                 bool
	pageview, addtocart, purchase, other, mapFailed bool
	cartRows                                        int64
	session                                         bool // gives a sessions row
}

func (c ga4Counts) into(k *clickstream.Counts) {
	k.Lines++
	if c.rejected {
		k.EventsRejected++
		return
	}
	k.EventsValid++
	if c.session {
		k.SessionsValid++
	}
	switch {
	case c.mapFailed:
		k.EventsMappingRejected++
	case c.pageview:
		k.Pageviews++
	case c.addtocart:
		k.Addtocarts++
		k.AddtocartRows += c.cartRows
	case c.purchase:
		k.Purchases++
	default:
		k.EventsOther++
	}
}

// ga4User is a browser of the pool: its pseudo id, device and place.
type ga4User struct {
	pseudo          string
	device, browser int
	country         int
	firstTouch      int64 // microseconds
	index           int
	signedIn        bool
	visited         bool
}

var ga4Devices = [...]struct{ category, os, osVersion string }{
	{"desktop", "Windows", "Windows 10"},
	{"desktop", "Macintosh", "Macintosh Intel 10.15"},
	{"mobile", "Android", "Android 13"},
	{"mobile", "iOS", "iOS 17.2"},
	{"tablet", "iOS", "iOS 16.7"},
}

var ga4Browsers = [...]struct{ name, version string }{
	{"Chrome", "120.0.6099.144"}, {"Safari", "17.2"}, {"Firefox", "121.0"}, {"Edge", "120.0.2210.91"},
}

var ga4Countries = [...]struct{ continent, subContinent, country, region, city string }{
	{"Americas", "Northern America", "United States", "California", "Mountain View"},
	{"Americas", "Northern America", "United States", "New York", "New York"},
	{"Americas", "Northern America", "Canada", "Ontario", "Toronto"},
	{"Americas", "South America", "Brazil", "State of São Paulo", "São Paulo"},
	{"Europe", "Western Europe", "Germany", "Bavaria", "München"},
	{"Europe", "Northern Europe", "United Kingdom", "England", "London"},
	{"Asia", "Eastern Asia", "Japan", "Tokyo", "Tokyo"},
	{"Asia", "Southern Asia", "India", "Karnataka", "Bengaluru"},
}

var ga4Sources = [...]struct{ name, medium, source string }{
	{"(direct)", "(none)", "(direct)"}, {"(organic)", "organic", "google"},
	{"(referral)", "referral", "shop.googlemerchandisestore.com"}, {"<Other>", "<Other>", "<Other>"},
}

// ga4Browse are the events that follow a page view, with their weights out
// of 100: the obfuscated sample's mix of engagement events.
var ga4Browse = [...]struct {
	name   string
	weight int
}{
	{"user_engagement", 30}, {"scroll", 20}, {"view_item", 25}, {"view_promotion", 10},
	{"select_item", 5}, {"view_search_results", 5}, {"select_promotion", 5},
}

const ga4Host = "https://shop.googlemerchandisestore.com"

// ga4Gen generates GA4 lines; it shares the session generator's RNG
// discipline: everything derives from Options through rng and counters.
type ga4Gen struct {
	o        Options
	rng      *rand.Rand
	users    []ga4User
	seq      uint64 // sessions started
	txs      uint64 // purchases
	line     []byte
	recent   [][]byte // the last valid lines, for duplicates
	recentC  []ga4Counts
	next     int
	distinct struct{ sessions, pageviews, addtocartRows, purchases int64 }
	// the session being written
	pending []pendingLine
	used    map[[2]int64]bool // (user, ga_session_id) pairs given out
}

// pendingLine is a generated line and what it counts.
type pendingLine struct {
	text []byte
	c    ga4Counts
}

func newGA4Gen(o Options) *ga4Gen {
	day := mix64(uint64(o.firstDay().Unix()))
	g := &ga4Gen{o: o, rng: rand.New(rand.NewPCG(o.Seed, day^0x676134)), used: map[[2]int64]bool{}} // "ga4"
	n := max(o.Sessions/3, 10)
	salt := mix64(o.Seed ^ day)
	for i := range n {
		id := mix64(salt + uint64(i))
		g.users = append(g.users, ga4User{
			pseudo:   strconv.FormatUint(id%10_000_000_000, 10) + "." + strconv.FormatUint((id>>34)%10_000_000_000, 10),
			device:   g.rng.IntN(len(ga4Devices)),
			browser:  g.rng.IntN(len(ga4Browsers)),
			country:  g.rng.IntN(len(ga4Countries)),
			signedIn: g.rng.IntN(10) == 0,
			index:    i,
		})
	}
	return g
}

// writeObject writes n GA4 sessions (their events, invalid lines,
// duplicates and blank lines) for the day starting at Unix second day.
func (g *ga4Gen) writeObject(w *bufio.Writer, day int64, n int) (clickstream.Counts, error) {
	c := clickstream.Counts{Format: clickstream.GA4Input}
	inv, dup := g.o.InvalidRate, g.o.DuplicateRate
	for range n {
		g.session(day)
		for _, pl := range g.pending {
			if inv > 0 && g.rng.Float64() < inv/4 {
				if err := emitLine(w, blanks[g.rng.IntN(len(blanks))]); err != nil {
					return c, err
				}
				c.Lines++
				c.Blank++
			}
			u := g.rng.Float64()
			switch {
			case u < inv:
				bad := g.invalidLine(pl.text)
				if err := emitLine(w, bad); err != nil {
					return c, err
				}
				ga4Counts{rejected: true}.into(&c)
			case u < inv+dup && len(g.recent) > 0:
				k := g.rng.IntN(len(g.recent))
				if err := emitLine(w, g.recent[k]); err != nil {
					return c, err
				}
				g.recentC[k].into(&c)
			}
			if err := emitLine(w, pl.text); err != nil {
				return c, err
			}
			pl.c.into(&c)
			g.keep(pl)
		}
	}
	return c, nil
}

func emitLine(w *bufio.Writer, line []byte) error {
	if _, err := w.Write(line); err != nil {
		return err
	}
	return w.WriteByte('\n')
}

// keep remembers a valid line for duplicates: the last 32.
func (g *ga4Gen) keep(pl pendingLine) {
	if len(g.recent) < 32 {
		g.recent = append(g.recent, append([]byte(nil), pl.text...))
		g.recentC = append(g.recentC, pl.c)
		return
	}
	g.recent[g.next] = append(g.recent[g.next][:0], pl.text...)
	g.recentC[g.next] = pl.c
	g.next = (g.next + 1) % 32
}

// invalidLine returns a line SPEC.md rejects whole, made from a valid one:
// one of the line rules broken.
func (g *ga4Gen) invalidLine(valid []byte) []byte {
	switch g.rng.IntN(5) {
	case 0: // not JSON: cut short
		return append([]byte(nil), valid[:len(valid)/2]...)
	case 1: // no ga_session_id param
		return replaceOnce(valid, `"key":"ga_session_id"`, `"key":"ga_session_number"`)
	case 2: // user_pseudo_id null
		return replaceOnce(valid, `"user_pseudo_id":"`, `"user_pseudo_id":null,"user_pseudo_id_was":"`)
	case 3: // event_timestamp not an integer
		return replaceOnce(valid, `"event_timestamp":"`, `"event_timestamp":"t`)
	}
	return []byte(`[` + string(valid) + `]`) // not an object
}

func replaceOnce(b []byte, old, repl string) []byte {
	s := string(b)
	i := indexOf(s, old)
	if i < 0 {
		panic("sampledata: " + old + " not in a generated GA4 line")
	}
	return []byte(s[:i] + repl + s[i+len(old):])
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// ga4Event is an event of the session being generated.
type ga4Event struct {
	name     string
	ts       int64 // microseconds
	page     string
	referrer string
	items    []ga4Item
	tx       string
	revenue  int64 // cents
	mapFail  bool  // break the star-schema mapping
	engaged  int64
	percent  int64
	newVisit bool
}

type ga4Item struct {
	p   int // index in products
	qty int
}

// session generates one GA4 session into g.pending.
func (g *ga4Gen) session(day int64) {
	g.pending = g.pending[:0]
	u := &g.users[g.rng.IntN(len(g.users))]
	g.seq++
	start := day*1_000_000 + g.rng.Int64N(20*3600*1_000_000)
	// ga_session_id is the session's start in Unix seconds, as GA4 sets
	// it; a user's two sessions never share one, or they would be one
	// session_key.
	sid := start / 1_000_000
	for g.used[[2]int64{int64(u.index), sid}] {
		sid++
	}
	g.used[[2]int64{int64(u.index), sid}] = true
	ts := start
	var evs []ga4Event
	step := func() int64 { ts += 1_000 + g.rng.Int64N(40_000_000); return ts }
	if !u.visited {
		u.visited = true
		u.firstTouch = ts
		evs = append(evs, ga4Event{name: "first_visit", ts: ts, page: ga4Host + "/", newVisit: true})
	}
	evs = append(evs, ga4Event{name: "session_start", ts: ts, page: ga4Host + "/"})
	inv := g.o.InvalidRate
	prev := ""
	var cart []ga4Item
	for p := range 1 + g.rng.IntN(6) {
		prod := g.rng.IntN(len(products))
		page := ga4Host + "/"
		if p > 0 || g.rng.IntN(2) == 0 {
			page = ga4Host + "/product/" + products[prod].id
		}
		evs = append(evs, ga4Event{name: "page_view", ts: step(), page: page, referrer: prev, mapFail: g.rng.Float64() < inv})
		prev = page
		for range g.rng.IntN(3) {
			r := g.rng.IntN(100)
			for _, b := range ga4Browse {
				if r -= b.weight; r < 0 {
					e := ga4Event{name: b.name, ts: step(), page: page, engaged: 1 + g.rng.Int64N(60_000), percent: 90}
					if b.name == "view_item" || b.name == "select_item" {
						e.items = []ga4Item{{prod, 1}}
					}
					evs = append(evs, e)
					break
				}
			}
		}
		if g.rng.IntN(8) == 0 {
			var items []ga4Item
			for range 1 + g.rng.IntN(3) {
				items = append(items, ga4Item{g.rng.IntN(len(products)), 1 + g.rng.IntN(3)})
			}
			cart = append(cart, items...)
			evs = append(evs, ga4Event{name: "add_to_cart", ts: step(), page: page, items: items, mapFail: g.rng.Float64() < inv})
		}
	}
	if len(cart) > 0 && g.rng.IntN(3) == 0 {
		evs = append(evs, ga4Event{name: "begin_checkout", ts: step(), page: ga4Host + "/checkout", items: cart})
		if g.rng.IntN(2) == 0 {
			evs = append(evs, ga4Event{name: "add_shipping_info", ts: step(), page: ga4Host + "/checkout", items: cart})
			evs = append(evs, ga4Event{name: "add_payment_info", ts: step(), page: ga4Host + "/checkout", items: cart})
			g.txs++
			var rev int64
			for _, it := range cart {
				rev += products[it.p].cents * int64(it.qty)
			}
			evs = append(evs, ga4Event{name: "purchase", ts: step(), page: ga4Host + "/checkout/confirmation", items: cart,
				tx: strconv.FormatUint(100000+g.txs, 10) + "-" + strconv.FormatUint(g.o.Seed%1000, 10), revenue: rev,
				mapFail: g.rng.Float64() < inv})
		}
	}
	g.distinct.sessions++
	for i := range evs {
		e := &evs[i]
		c := ga4Counts{valid: true, session: true}
		switch e.name {
		case "page_view":
			c.pageview = true
		case "add_to_cart":
			c.addtocart, c.cartRows = true, int64(len(e.items))
		case "purchase":
			c.purchase = true
		default:
			c.other = true
		}
		if e.mapFail {
			c.mapFailed = true
		} else {
			switch {
			case c.pageview:
				g.distinct.pageviews++
			case c.addtocart:
				g.distinct.addtocartRows += c.cartRows
			case c.purchase:
				g.distinct.purchases++
			}
		}
		g.line = g.appendEvent(g.line[:0], u, sid, i+1, e)
		g.pending = append(g.pending, pendingLine{text: append([]byte(nil), g.line...), c: c})
	}
}

// appendEvent appends the event as the export's JSON writes it.
func (g *ga4Gen) appendEvent(dst []byte, u *ga4User, sid int64, number int, e *ga4Event) []byte {
	dev, br, geo := ga4Devices[u.device], ga4Browsers[u.browser], ga4Countries[u.country]
	str := func(dst []byte, s string) []byte {
		if s == "" {
			return append(dst, "null"...)
		}
		return appendString(dst, s, false)
	}
	i64 := func(dst []byte, v int64) []byte { return strconv.AppendQuote(dst, strconv.FormatInt(v, 10)) }
	dst = append(dst, `{"event_date":"`...)
	dst = append(dst, time.UnixMicro(e.ts).UTC().Format("20060102")...)
	dst = i64(append(dst, `","event_timestamp":`...), e.ts)
	dst = str(append(dst, `,"event_name":`...), e.name)
	dst = append(dst, `,"event_params":[`...)
	param := func(dst []byte, key string, kind byte, s string, n int64) []byte {
		if dst[len(dst)-1] != '[' {
			dst = append(dst, ',')
		}
		dst = str(append(dst, `{"key":`...), key)
		dst = append(dst, `,"value":{"string_value":`...)
		if kind == 's' {
			dst = str(dst, s)
		} else {
			dst = append(dst, "null"...)
		}
		dst = append(dst, `,"int_value":`...)
		if kind == 'i' {
			dst = i64(dst, n)
		} else {
			dst = append(dst, "null"...)
		}
		dst = append(dst, `,"float_value":null,"double_value":`...)
		if kind == 'd' {
			dst = appendCents(dst, n, false)
		} else {
			dst = append(dst, "null"...)
		}
		return append(dst, "}}"...)
	}
	dst = param(dst, "ga_session_id", 'i', "", sid)
	dst = param(dst, "ga_session_number", 'i', "", int64(1+g.seq%7))
	dst = param(dst, "engaged_session_event", 'i', "", 1)
	if !(e.name == "page_view" && e.mapFail) {
		dst = param(dst, "page_location", 's', e.page, 0)
	}
	dst = param(dst, "page_title", 's', "Google Merchandise Store", 0)
	if e.referrer != "" {
		dst = param(dst, "page_referrer", 's', e.referrer, 0)
	}
	switch e.name {
	case "user_engagement":
		dst = param(dst, "engagement_time_msec", 'i', "", e.engaged)
	case "scroll":
		dst = param(dst, "percent_scrolled", 'i', "", e.percent)
	case "purchase":
		dst = param(dst, "currency", 's', "USD", 0)
		dst = param(dst, "value", 'd', "", e.revenue)
		if !e.mapFail {
			dst = param(dst, "transaction_id", 's', e.tx, 0)
		}
	case "add_to_cart", "begin_checkout":
		dst = param(dst, "currency", 's', "USD", 0)
	}
	dst = append(dst, `],"event_previous_timestamp":null,"event_value_in_usd":`...)
	if e.name == "purchase" {
		dst = appendCents(dst, e.revenue, false)
	} else {
		dst = append(dst, "null"...)
	}
	dst = i64(append(dst, `,"event_bundle_sequence_id":`...), int64(number))
	dst = append(dst, `,"event_server_timestamp_offset":null`...)
	if u.signedIn {
		dst = str(append(dst, `,"user_id":`...), "cust-"+u.pseudo[:6])
	} else {
		dst = append(dst, `,"user_id":null`...)
	}
	dst = str(append(dst, `,"user_pseudo_id":`...), u.pseudo)
	dst = append(dst, `,"privacy_info":{"analytics_storage":null,"ads_storage":null,"uses_transient_token":"No"}`...)
	dst = append(dst, `,"user_properties":[]`...)
	dst = i64(append(dst, `,"user_first_touch_timestamp":`...), u.firstTouch)
	dst = append(dst, `,"user_ltv":{"revenue":0,"currency":"USD"}`...)
	dst = str(append(dst, `,"device":{"category":`...), dev.category)
	dst = append(dst, `,"mobile_brand_name":"<Other>","mobile_model_name":"<Other>","mobile_marketing_name":"<Other>","mobile_os_hardware_model":null`...)
	dst = str(append(dst, `,"operating_system":`...), dev.os)
	dst = str(append(dst, `,"operating_system_version":`...), dev.osVersion)
	dst = append(dst, `,"vendor_id":null,"advertising_id":null,"language":"en-us","is_limited_ad_tracking":"No","time_zone_offset_seconds":null`...)
	dst = str(append(dst, `,"browser":null,"browser_version":null,"web_info":{"browser":`...), br.name)
	dst = str(append(dst, `,"browser_version":`...), br.version)
	dst = append(dst, `,"hostname":"shop.googlemerchandisestore.com"}}`...)
	dst = str(append(dst, `,"geo":{"continent":`...), geo.continent)
	dst = str(append(dst, `,"sub_continent":`...), geo.subContinent)
	dst = str(append(dst, `,"country":`...), geo.country)
	dst = str(append(dst, `,"region":`...), geo.region)
	dst = str(append(dst, `,"city":`...), geo.city)
	dst = append(dst, `,"metro":"(not set)"},"app_info":null`...)
	src := ga4Sources[int(mix64(uint64(sid))%uint64(len(ga4Sources)))]
	dst = str(append(dst, `,"traffic_source":{"name":`...), src.name)
	dst = str(append(dst, `,"medium":`...), src.medium)
	dst = str(append(dst, `,"source":`...), src.source)
	dst = append(dst, `},"stream_id":"2100450278","platform":"WEB","event_dimensions":null,"ecommerce":`...)
	if e.name == "purchase" {
		var qty int64
		for _, it := range e.items {
			qty += int64(it.qty)
		}
		dst = i64(append(dst, `{"total_item_quantity":`...), qty)
		dst = appendCents(append(dst, `,"purchase_revenue_in_usd":`...), e.revenue, false)
		dst = appendCents(append(dst, `,"purchase_revenue":`...), e.revenue, false)
		dst = append(dst, `,"refund_value_in_usd":null,"refund_value":null,"shipping_value_in_usd":null,"shipping_value":null,"tax_value_in_usd":null,"tax_value":null`...)
		dst = i64(append(dst, `,"unique_items":`...), int64(len(e.items)))
		// A broken purchase has its id in neither place.
		if e.mapFail {
			dst = append(dst, `,"transaction_id":null}`...)
		} else {
			dst = str(append(dst, `,"transaction_id":`...), e.tx)
			dst = append(dst, '}')
		}
	} else {
		dst = append(dst, `{"total_item_quantity":null,"purchase_revenue_in_usd":null,"purchase_revenue":null,"refund_value_in_usd":null,"refund_value":null,"shipping_value_in_usd":null,"shipping_value":null,"tax_value_in_usd":null,"tax_value":null,"unique_items":null,"transaction_id":null}`...)
	}
	dst = append(dst, `,"items":[`...)
	for i, it := range e.items {
		p := products[it.p]
		if i > 0 {
			dst = append(dst, ',')
		}
		if e.name == "add_to_cart" && e.mapFail && i == 0 {
			dst = append(dst, `{"item_id":null`...)
		} else {
			dst = str(append(dst, `{"item_id":`...), p.id)
		}
		dst = str(append(dst, `,"item_name":`...), p.name)
		dst = append(dst, `,"item_brand":"Google","item_variant":"(not set)"`...)
		dst = str(append(dst, `,"item_category":`...), p.category)
		dst = append(dst, `,"item_category2":"(not set)","item_category3":"(not set)","item_category4":"(not set)","item_category5":"(not set)"`...)
		dst = appendCents(append(dst, `,"price_in_usd":`...), p.cents, false)
		dst = appendCents(append(dst, `,"price":`...), p.cents, false)
		dst = i64(append(dst, `,"quantity":`...), int64(it.qty))
		dst = append(dst, `,"item_revenue_in_usd":null,"item_revenue":null,"item_refund_in_usd":null,"item_refund":null,"coupon":"(not set)","affiliation":"Google Merchandise Store","location_id":null,"item_list_id":"(not set)","item_list_name":"(not set)","item_list_index":"(not set)","promotion_id":"(not set)","promotion_name":"(not set)","creative_name":"(not set)","creative_slot":"(not set)"}`...)
	}
	return append(dst, "]}"...)
}
