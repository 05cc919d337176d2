package sampledata

import (
	"strconv"
	"unicode/utf8"
)

// JSON is written by appending bytes: encoding/json with maps would be ten
// times slower, and the generator needs exact control over key order,
// whitespace and the deliberately broken values.

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. With ascii, non-ASCII runes are
// written as \uXXXX escapes (surrogate pairs above the BMP), as Python's
// json.dumps does by default.
func appendString[T ~string | ~[]byte](dst []byte, s T, ascii bool) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf && !ascii {
			i++
			continue
		}
		dst = append(dst, s[start:i]...)
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
			i++
		case c == '\n':
			dst = append(dst, '\\', 'n')
			i++
		case c == '\t':
			dst = append(dst, '\\', 't')
			i++
		case c < 0x20:
			dst = appendU(dst, rune(c))
			i++
		default: // non-ASCII with ascii set
			r, size := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
			if r >= 0x10000 {
				r -= 0x10000
				dst = appendU(dst, 0xD800+(r>>10))
				dst = appendU(dst, 0xDC00+(r&0x3FF))
			} else {
				dst = appendU(dst, r)
			}
			i += size
		}
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

func appendU(dst []byte, r rune) []byte {
	return append(dst, '\\', 'u', hexDigits[r>>12&0xF], hexDigits[r>>8&0xF], hexDigits[r>>4&0xF], hexDigits[r&0xF])
}

// appendBytesString appends b, known to need no escaping, as a JSON string.
func appendBytesString(dst, b []byte) []byte {
	dst = append(dst, '"')
	dst = append(dst, b...)
	return append(dst, '"')
}

// appendCents appends an amount given in cents as a JSON number: "59.9" and
// "60" in the shortest form, "59.90" and "60.00" with fixed.
func appendCents(dst []byte, cents int64, fixed bool) []byte {
	if cents < 0 {
		dst = append(dst, '-')
		cents = -cents
	}
	dst = strconv.AppendInt(dst, cents/100, 10)
	c := cents % 100
	switch {
	case fixed:
		dst = append(dst, '.', byte('0'+c/10), byte('0'+c%10))
	case c == 0:
	case c%10 == 0:
		dst = append(dst, '.', byte('0'+c/10))
	default:
		dst = append(dst, '.', byte('0'+c/10), byte('0'+c%10))
	}
	return dst
}

// appendHex appends the low n hex digits of v.
func appendHex(dst []byte, v uint64, n int) []byte {
	for i := n - 1; i >= 0; i-- {
		dst = append(dst, hexDigits[v>>(4*uint(i))&0xF])
	}
	return dst
}

// appendPad appends v in decimal, zero-padded to width digits.
func appendPad(dst []byte, v, width int) []byte {
	var b [20]byte
	i := len(b)
	for v > 0 || i > len(b)-width {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, b[i:]...)
}

// mix64 is splitmix64's finalizer: a bijection on uint64, so distinct inputs
// give distinct ids.
func mix64(z uint64) uint64 {
	z ^= z >> 30
	z *= 0xbf58476d1ce4e5b9
	z ^= z >> 27
	z *= 0x94d049bb133111eb
	z ^= z >> 31
	return z
}
