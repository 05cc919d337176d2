package clickstream

import (
	"fmt"
	"strconv"
)

// Timestamps are held as microseconds since the Unix epoch, UTC: the
// precision of BigQuery's TIMESTAMP. Parsing and formatting are hand-written
// because they run once per event and the time package allocates and
// accepts forms SPEC.md does not.

const (
	// minMicros and maxMicros are BigQuery's TIMESTAMP range:
	// 0001-01-01 00:00:00 to 9999-12-31 23:59:59.999999 UTC.
	minMicros = -62135596800 * 1e6
	maxMicros = 253402300799*1e6 + 999999
)

const timestampForms = "want RFC 3339 like 2024-01-30T10:00:00Z or 2024-01-30T10:00:00.123+02:00, or BigQuery text like 2024-01-30 10:00:00 UTC"

// ParseTimestamp parses the timestamp forms SPEC.md accepts: RFC 3339 with
// any offset (T or t separator, Z, z or ±hh:mm) and BigQuery's text form
// "YYYY-MM-DD hh:mm:ss[.f] UTC". Fractions finer than a microsecond are
// truncated, not rounded, so a timestamp never moves into the next second,
// day or partition. The error says what is wrong in words.
func ParseTimestamp(s []byte) (int64, error) {
	if len(s) < 19 {
		return 0, fmt.Errorf("too short: %s", timestampForms)
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	hour, ok4 := digits(s[11:13])
	minute, ok5 := digits(s[14:16])
	sec, ok6 := digits(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':' {
		return 0, fmt.Errorf("not a timestamp: %s", timestampForms)
	}
	bigQueryText := s[10] == ' '
	if !bigQueryText && s[10] != 'T' && s[10] != 't' {
		return 0, fmt.Errorf("date and time must be separated by 'T' or a space: %s", timestampForms)
	}
	i := 19
	var frac int64
	if i < len(s) && s[i] == '.' {
		i++
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if n < 6 {
				frac = frac*10 + int64(s[i]-'0')
			}
			n++
			i++
		}
		if n == 0 {
			return 0, fmt.Errorf("no digits after the decimal point: %s", timestampForms)
		}
		for ; n < 6; n++ {
			frac *= 10
		}
	}
	var offset int64 // seconds east of UTC
	rest := s[i:]
	switch {
	case bigQueryText:
		if string(rest) != " UTC" {
			return 0, fmt.Errorf("text form must end in \" UTC\": %s", timestampForms)
		}
	case len(rest) == 1 && (rest[0] == 'Z' || rest[0] == 'z'):
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, okh := digits(rest[1:3])
		om, okm := digits(rest[4:6])
		if !okh || !okm || oh > 23 || om > 59 {
			return 0, fmt.Errorf("invalid UTC offset %q", rest)
		}
		offset = int64(oh*3600 + om*60)
		if rest[0] == '-' {
			offset = -offset
		}
	case len(rest) == 0:
		return 0, fmt.Errorf("missing time zone (Z or ±hh:mm): %s", timestampForms)
	default:
		return 0, fmt.Errorf("invalid time zone %q: %s", rest, timestampForms)
	}
	switch {
	case month < 1 || month > 12:
		return 0, fmt.Errorf("month %02d out of range", month)
	case day < 1 || day > daysIn(year, month):
		return 0, fmt.Errorf("day %02d out of range for %04d-%02d", day, year, month)
	case hour > 23:
		return 0, fmt.Errorf("hour %02d out of range", hour)
	case minute > 59:
		return 0, fmt.Errorf("minute %02d out of range", minute)
	case sec > 59:
		return 0, fmt.Errorf("second %02d out of range (leap seconds are not supported)", sec)
	}
	secs := daysFromCivil(year, month, day)*86400 + int64(hour*3600+minute*60+sec) - offset
	micros := secs*1e6 + frac
	if micros < minMicros || micros > maxMicros {
		return 0, fmt.Errorf("outside the supported range 0001-01-01 to 9999-12-31 UTC")
	}
	return micros, nil
}

func digits(b []byte) (int, bool) {
	v := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil and civilFromDays are Howard Hinnant's algorithms for the
// proleptic Gregorian calendar; they avoid the time package on the hot path.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

func civilFromDays(z int64) (y, m, d int) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	m = int(mp + 3)
	if m > 12 {
		m -= 12
	}
	y = int(yoe + era*400)
	if m <= 2 {
		y++
	}
	return y, m, d
}

// AppendTimestamp appends micros as the canonical UTC form used in staged rows
// and in event_id: 2024-01-30T10:00:00.000000Z (always six fraction digits).
// It runs several times per event, so it writes the fixed-width fields
// digit by digit rather than through strconv.
func AppendTimestamp(dst []byte, micros int64) []byte {
	secs := micros / 1e6
	frac := micros % 1e6
	if frac < 0 {
		frac += 1e6
		secs--
	}
	days := secs / 86400
	sod := secs % 86400
	if sod < 0 {
		sod += 86400
		days--
	}
	dst = appendDate(dst, days)
	h, mi, s := int(sod/3600), int(sod/60%60), int(sod%60)
	f := int(frac)
	return append(dst, 'T', byte('0'+h/10), byte('0'+h%10), ':', byte('0'+mi/10), byte('0'+mi%10),
		':', byte('0'+s/10), byte('0'+s%10), '.',
		byte('0'+f/100000), byte('0'+f/10000%10), byte('0'+f/1000%10),
		byte('0'+f/100%10), byte('0'+f/10%10), byte('0'+f%10), 'Z')
}

// appendDate appends days since the epoch as YYYY-MM-DD.
func appendDate(dst []byte, days int64) []byte {
	y, m, d := civilFromDays(days)
	if y < 0 || y > 9999 { // outside BigQuery's range: strconv's spelling
		dst = appendPad(dst, int64(y), 4)
		dst = append(dst, '-')
		dst = appendPad(dst, int64(m), 2)
		dst = append(dst, '-')
		return appendPad(dst, int64(d), 2)
	}
	return append(dst, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10),
		'-', byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d/10), byte('0'+d%10))
}

func appendPad(dst []byte, v int64, width int) []byte {
	var buf [20]byte
	s := strconv.AppendInt(buf[:0], v, 10)
	for n := len(s); n < width; n++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}
