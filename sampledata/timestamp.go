package sampledata

import "time"

// Timestamp forms, all accepted by SPEC.md.
const (
	tsZulu   = iota // 2024-01-30T10:00:00Z, 2024-01-30T10:00:00.123Z
	tsOffset        // 2024-01-30T12:00:00+02:00, 2024-01-30T04:30:00.5-05:30
	tsBQ            // 2024-01-30 10:00:00 UTC, 2024-01-30 10:00:00.5 UTC
)

// tsForm is how one timestamp is written.
type tsForm struct {
	kind   uint8
	digits uint8 // fractional digits: 0 to 9 (RFC 3339), 0 to 6 (BigQuery)
	off    int16 // minutes east of UTC, for tsOffset
}

// tsStyle is a client's habit: its usual form, and whether it varies.
type tsStyle struct {
	form       tsForm
	randDigits bool // a fresh digit count per event
	mixed      bool // some events in another form altogether
}

var pow10 = [...]int32{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000}

// appendTimestamp writes the instant sec.nsec (Unix, UTC) in form f.
// Fractional digits beyond f.digits are truncated, so the written instant can be
// earlier than sec.nsec but never by a whole second.
func appendTimestamp(dst []byte, sec int64, nsec int32, f tsForm) []byte {
	local := sec
	if f.kind == tsOffset {
		local += int64(f.off) * 60
	}
	t := time.Unix(local, 0).UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	dst = append(dst, '"')
	dst = appendPad(dst, y, 4)
	dst = append(dst, '-')
	dst = appendPad(dst, int(mo), 2)
	dst = append(dst, '-')
	dst = appendPad(dst, d, 2)
	if f.kind == tsBQ {
		dst = append(dst, ' ')
	} else {
		dst = append(dst, 'T')
	}
	dst = appendPad(dst, h, 2)
	dst = append(dst, ':')
	dst = appendPad(dst, mi, 2)
	dst = append(dst, ':')
	dst = appendPad(dst, s, 2)
	if f.digits > 0 {
		dst = append(dst, '.')
		dst = appendPad(dst, int(nsec/pow10[9-f.digits]), int(f.digits))
	}
	switch f.kind {
	case tsZulu:
		dst = append(dst, 'Z')
	case tsOffset:
		off := int(f.off)
		sign := byte('+')
		if off < 0 {
			sign, off = '-', -off
		}
		dst = append(dst, sign)
		dst = appendPad(dst, off/60, 2)
		dst = append(dst, ':')
		dst = appendPad(dst, off%60, 2)
	case tsBQ:
		dst = append(dst, " UTC"...)
	}
	return append(dst, '"')
}
