// Package sampledata generates realistic clickstream session JSONL, as
// SPEC.md's "Input" section describes, together with the exact accounting a
// correct pipeline must report for it.
//
// The contract:
//
//   - Deterministic: the same Options give byte-identical objects (one PCG
//     stream seeded from Options.Seed and the first day; no clock, no map
//     iteration). Another Seed or Start gives other data with other session
//     ids, so such runs can be added to the same source.
//   - Layout: Options.Files objects named "dt=YYYY-MM-DD/sessions-NNNNN.jsonl"
//     (".jsonl.gz" with Gzip), the files spread in order over Options.Days
//     days (a day gets no file when Days > Files). Each line ends with "\n".
//   - Sessions: Options.Sessions session lines in all, split evenly over the
//     files. A line is, by draw, invalid (InvalidRate), a duplicate of an
//     earlier valid session (DuplicateRate) or a fresh valid session. With
//     InvalidRate > 0 about InvalidRate/4 blank lines (spaces and tabs, or
//     empty) come on top. Events happen on the file's day (UTC) or, for
//     sessions started shortly before midnight, up to five hours after it.
//     The first fresh session in the second half of each file is made to
//     cross midnight, so that small runs cross days and month ends too.
//   - Values: a pool of users that come back, devices, country codes, user
//     agents, pages and referrers, a product catalogue with non-ASCII names,
//     carts and purchases of the cart in the country's currency. Optional
//     session fields are sometimes null or missing; events are 1 to 20 per
//     session, sometimes none ("events": [], null or missing). Timestamps come
//     in RFC 3339 with Z or an offset and 0 to 9 fractional digits, and in
//     BigQuery's "2024-01-30 10:00:00.5 UTC" form. Serialization varies per
//     line: spacing, key order, \u escapes, unknown extra fields.
//   - Invalid data: each invalid line breaks exactly one of SPEC.md's session
//     rules (not JSON, not an object, a bad session_id/user_id/device_type,
//     geolocation, user_agent or events); each invalid event breaks one event
//     rule. Cases SPEC.md leaves open are never produced: duplicate keys,
//     invalid UTF-8, numbers beyond float64, leap seconds, years beyond
//     0001-9999, null or missing optional event fields other than a null
//     referrer_url, purchases without items.
//   - Duplicates: half are byte-identical copies of an earlier valid session,
//     half change its user_agent or geolocation but keep its session_id,
//     user_id, device_type and events byte for byte.
//   - Accounting: Object.Expected counts every line and every event of every
//     valid session exactly as SPEC.md classifies it, duplicates included.
//     Summary's Distinct figures are the rows after dedup: duplicates count
//     once, and no two events of a session are equal (they are at least a
//     second apart).
//   - Bounded memory: objects are streamed; only the last 32 and a sample of
//     128 earlier sessions are kept, for duplicates.
package sampledata
