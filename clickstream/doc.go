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
// # Dead letter
//
// Every rejected line or event is one JSON object of [DeadLetter]: source
// object, 1-based line, 0-based event index for an event, a stable code, a
// reason in words, and the original text.
package clickstream
