package clickstream

import (
	"strconv"
	"unsafe"
)

// row appends the event's ga4_events row: its columns in the order of
// Tables(), the JSON columns as JSON values. hasSession says w.key holds
// its session_key.
func (g *ga4) row(dst []byte, hasSession bool, line int64) []byte {
	e, w := &g.ev, g.w
	dst = append(dst, `{"event_timestamp":"`...)
	dst = AppendTimestamp(dst, e.ts)
	dst = append(dst, `","event_date":`...)
	if e.hasDate {
		dst = append(appendDate(append(dst, '"'), int64(e.date)), '"')
	} else {
		dst = append(dst, "null"...)
	}
	dst = w.strOrNull(append(dst, `,"event_name":`...), e.name)
	dst = w.strOrNull(append(dst, `,"user_pseudo_id":`...), e.upid)
	dst = w.strOrNull(append(dst, `,"user_id":`...), e.userID)
	dst = append(dst, `,"session_key":`...)
	if hasSession {
		dst = append(append(append(dst, '"'), w.key[:]...), '"')
	} else {
		dst = append(dst, "null"...)
	}
	dst = strconv.AppendInt(append(dst, `,"ga_session_id":`...), e.sessionID, 10)
	dst = w.strOrNull(append(dst, `,"device_category":`...), e.category)
	dst = w.strOrNull(append(dst, `,"country":`...), e.country)
	dst = w.strOrNull(append(dst, `,"platform":`...), e.platform)
	dst = g.appendParams(append(dst, `,"params":`...), e.params)
	dst = g.appendParams(append(dst, `,"user_properties":`...), e.props)
	dst = g.jsonOrNull(append(dst, `,"ecommerce":`...), e.ecommerce)
	dst = g.jsonOrNull(append(dst, `,"items":`...), e.items)
	dst = append(dst, `,"event_id":"`...)
	dst = append(dst, g.idHex[:]...)
	dst = append(dst, '"')
	return w.endRow(dst, line)
}

func (g *ga4) jsonOrNull(dst []byte, n int32) []byte {
	if n == none {
		return append(dst, "null"...)
	}
	return g.appendJSON(dst, n)
}

// pqGA4Event is the Parquet row of ga4_events (see parquet_rows.go). The
// JSON columns hold their JSON text as plain STRING, which the loads cast:
// with parquet-go's JSON logical type instead, an items array did not read
// back (null) in the Parquet-against-NDJSON test.
type pqGA4Event struct {
	EventTimestamp int64   `parquet:"event_timestamp,timestamp(microsecond:utc)"`
	EventDate      *int32  `parquet:"event_date,date"`
	EventName      string  `parquet:"event_name,dict"`
	UserPseudoID   string  `parquet:"user_pseudo_id,plain"`
	UserID         *string `parquet:"user_id,optional,plain"`
	SessionKey     *string `parquet:"session_key,optional,plain"`
	GASessionID    int64   `parquet:"ga_session_id"`
	DeviceCategory *string `parquet:"device_category,optional,dict"`
	Country        *string `parquet:"country,optional,dict"`
	Platform       *string `parquet:"platform,optional,dict"`
	Params         string  `parquet:"params,plain"`
	UserProperties string  `parquet:"user_properties,plain"`
	Ecommerce      *string `parquet:"ecommerce,optional,plain"`
	Items          *string `parquet:"items,optional,plain"`
	EventID        string  `parquet:"event_id,plain"`
	SourceObject   string  `parquet:"source_object,dict"`
	SourceLine     int64   `parquet:"source_line"`
	RunID          string  `parquet:"run_id,dict"`

	date                                                      int32
	userID, sessionKey, category, country, platform, ecom, it string
}

// ga4Event adds the event's ga4_events row.
func (w *pqWriter) ga4Event(g *ga4, hasSession bool, line int64) {
	e := &g.ev
	r := w.ga4.add()
	r.EventTimestamp = e.ts
	if e.hasDate {
		r.date = e.date
		r.EventDate = &r.date
	}
	r.EventName = w.str(e.name)
	r.UserPseudoID = w.str(e.upid)
	w.optStr(&r.UserID, &r.userID, e.userID)
	if hasSession {
		r.sessionKey = w.key
		r.SessionKey = &r.sessionKey
	}
	r.GASessionID = e.sessionID
	w.optStr(&r.DeviceCategory, &r.category, e.category)
	w.optStr(&r.Country, &r.country, e.country)
	w.optStr(&r.Platform, &r.platform, e.platform)
	start := len(w.arena)
	w.arena = g.appendParams(w.arena, e.params)
	r.Params = unsafe.String(&w.arena[start], len(w.arena)-start)
	start = len(w.arena)
	w.arena = g.appendParams(w.arena, e.props)
	r.UserProperties = unsafe.String(&w.arena[start], len(w.arena)-start)
	for _, c := range [...]struct {
		col   **string
		store *string
		n     int32
	}{{&r.Ecommerce, &r.ecom, e.ecommerce}, {&r.Items, &r.it, e.items}} {
		if c.n != none {
			start = len(w.arena)
			w.arena = g.appendJSON(w.arena, c.n)
			*c.store = unsafe.String(&w.arena[start], len(w.arena)-start)
			*c.col = c.store
		}
	}
	r.EventID = w.bytes(g.idHex[:])
	r.SourceObject, r.SourceLine, r.RunID = w.object, line, w.runID
}
