// Package clickstream is the data contract of SPEC.md in Go: it reads session
// JSONL, validates every line and event, derives session_key and event_id,
// writes the staged rows of the five tables and the dead letter, and counts
// everything so that nothing is lost unnoticed. It knows nothing of Temporal,
// buckets or warehouses.
//
// # Streaming
//
// [Transformer.Transform] reads one object (plain or gzip, told apart by the
// magic bytes) line by line. Memory is bounded by the longest line allowed
// ([Options.MaxLineBytes]), never by the size of the object: a longer line is
// skipped, not buffered, and dead-lettered with its first [TooLongPrefix] bytes.
//
// # Keys
//
// session_key is the lowercase hex SHA-256 of session_id + ":" + user_id +
// ":" + device_type (see [SessionKey]).
//
// event_id is the lowercase hex SHA-256 of the event's canonical form
//
//	event_type + "\n" + MEMBERS
//
// where event_type is page_view, add_item_to_cart or purchase, and MEMBERS is
// the text of the event's staged row from the "session_key" member up to, not
// including, the comma before "event_id": the session_key, the UTC timestamp
// and the event type's detail columns in the table's column order, every column
// present (null when absent), each value written canonically (see "Staged
// rows"). For a page view:
//
//	page_view
//	"session_key":"9f86…","timestamp":"2024-01-30T10:00:00.000000Z","page_url":"/home","referrer_url":null
//
// Two events therefore get the same id exactly when they belong to the same
// session and agree on type, instant (to the microsecond) and every stored
// detail, however their JSON was spelled: escapes, key order, number format,
// time zone and unknown extra fields make no difference. The id is computed
// over the very bytes of the staged row, so the documented form and the
// stored row cannot drift apart.
//
// # Staged rows
//
// Staged rows are NDJSON, one object per line, members in the column order
// of [Tables], every column present. Strings are written in one canonical
// spelling: only '"', '\\' and control characters are escaped (as \n, \r, \t,
// \b, \f or \u00XX), everything else is UTF-8. FLOATs are written in the
// shortest form that reads back to the same float64, INTEGERs in decimal,
// TIMESTAMPs as UTC with six fraction digits (2024-01-30T10:00:00.000000Z).
// The lake table keeps, for each valid event, only the detail fields it had.
//
// # Parquet
//
// With [Options.Format] set to [Parquet], the staged rows are Parquet
// instead: each call of [Transformer.Transform] or [Transformer.TransformPart]
// writes one complete file to each table output that gets at least one row
// and nothing at all to the others, so outputs are not shared between calls.
// The rows are those of the NDJSON staging, value for value (event_id is
// still the hash of the canonical NDJSON members), in a schema derived from
// [Tables]: columns in table order under the same names, REQUIRED columns
// required and NULLABLE ones optional, STRING as BYTE_ARRAY (STRING),
// INTEGER as INT64, FLOAT as DOUBLE, TIMESTAMP as INT64
// TIMESTAMP(isAdjustedToUTC=true, MICROS), a RECORD as a group and a
// REPEATED RECORD as the standard three-level LIST. Where the NDJSON lake
// row leaves out an absent detail field, the Parquet row holds null; an
// absent details.items is a null list, an empty one an empty list. Pages are
// version 1, compressed with [Options.ParquetCompression], encoded PLAIN or
// RLE_DICTIONARY. The dead letter stays NDJSON.
//
// # GA4 input
//
// With [Options.Input] set to [GA4Input], a line is one event of Google
// Analytics 4's BigQuery export (SPEC.md, "Input: GA4 BigQuery export").
// A valid line gives a row of ga4_events and, mapped into the star schema,
// the rows session input would give for a session of that one event: a
// visits row (the lake copy every warehouse table is derived again from), a
// sessions row, and a page view, one add-to-cart row per item or a purchase.
// An event without device.category has no session_key, hence no star-schema
// rows: its mapping is rejected, the event kept in ga4_events.
//
// A GA4 event_id is the lowercase hex SHA-256 of "ga4_event\n" followed by
// the whole event in canonical JSON: object members sorted by key (bytewise,
// unescaped), null members left out, arrays in order, strings in the staged
// rows' spelling, a decimal-integer string written as the number (BigQuery
// writes INT64 as strings), numbers as staged FLOATs and INTEGERs are. Exact
// duplicates of an export therefore share an id however they were spelled.
// The add-to-cart row of item i (0-based) has the SHA-256 of that id's hex,
// ":item:" and i in decimal. ga4_events' params and user_properties are
// objects of each key and its set value (null when none is set); a value
// with two of its four fields set rejects the line, since which one is "the
// set value" is unknown.
//
// # Dead letter
//
// Every rejected line or event is one JSON object of [DeadLetter]: source
// object, 1-based line, 0-based event index for an event, a stable code, a
// reason in words, and the original text.
package clickstream
