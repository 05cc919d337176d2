package clickstream

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// The line parser is a strict RFC 8259 parser that builds no maps: it records
// every value of a line as a node on a flat tape that is reused from line to
// line, so a line costs no allocation once the tape has grown to the widest
// line seen. Validation then walks the tape by index.

type kind uint8

const (
	kindNull kind = iota
	kindFalse
	kindTrue
	kindNumber
	kindString
	kindArray
	kindObject
)

func (k kind) String() string {
	switch k {
	case kindNull:
		return "null"
	case kindFalse, kindTrue:
		return "boolean"
	case kindNumber:
		return "number"
	case kindString:
		return "string"
	case kindArray:
		return "array"
	case kindObject:
		return "object"
	}
	return "unknown"
}

// node is one JSON value. For a string, [start,end) is the text between the
// quotes; for anything else it is the value's whole text. sub is the index
// one past the node's subtree, so siblings are found without recursion:
// children of a container at i are i+1, nodes[i+1].sub, ... up to nodes[i].sub.
type node struct {
	start, end int32
	sub        int32
	kind       kind
	esc        bool // a string containing escape sequences
}

// maxDepth bounds nesting so a hostile line cannot exhaust the stack.
const maxDepth = 256

type syntaxError struct {
	off int
	msg string
}

func (e *syntaxError) Error() string { return fmt.Sprintf("%s at byte %d", e.msg, e.off+1) }

type parser struct {
	buf   []byte
	nodes []node
}

// parse reads exactly one JSON value, surrounded by optional whitespace, from b.
func (p *parser) parse(b []byte) error {
	p.buf = b
	p.nodes = p.nodes[:0]
	i := skipWS(b, 0)
	i, err := p.value(i, 0)
	if err != nil {
		return err
	}
	i = skipWS(b, i)
	if i != len(b) {
		return &syntaxError{i, fmt.Sprintf("unexpected %s after the JSON value", describeByte(b[i]))}
	}
	return nil
}

func describeByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return strconv.QuoteRune(rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

func (p *parser) unexpected(i int, want string) error {
	if i >= len(p.buf) {
		return &syntaxError{i, "unexpected end of line, expecting " + want}
	}
	return &syntaxError{i, fmt.Sprintf("unexpected %s, expecting %s", describeByte(p.buf[i]), want)}
}

func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

func (p *parser) push(n node) int {
	p.nodes = append(p.nodes, n)
	return len(p.nodes) - 1
}

// leaf pushes a value without children: its subtree ends right after it.
func (p *parser) leaf(start, end int, k kind, esc bool) int {
	idx := len(p.nodes)
	p.nodes = append(p.nodes, node{start: int32(start), end: int32(end), sub: int32(idx + 1), kind: k, esc: esc})
	return idx
}

func (p *parser) value(i, depth int) (int, error) {
	b := p.buf
	if i >= len(b) {
		return i, p.unexpected(i, "a value")
	}
	switch c := b[i]; {
	case c == '{':
		return p.object(i, depth)
	case c == '[':
		return p.array(i, depth)
	case c == '"':
		return p.str(i)
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number(i)
	case c == 't':
		return p.literal(i, "true", kindTrue)
	case c == 'f':
		return p.literal(i, "false", kindFalse)
	case c == 'n':
		return p.literal(i, "null", kindNull)
	}
	return i, p.unexpected(i, "a value")
}

func (p *parser) literal(i int, lit string, k kind) (int, error) {
	if len(p.buf)-i < len(lit) || string(p.buf[i:i+len(lit)]) != lit {
		return i, p.unexpected(i, "a value")
	}
	p.leaf(i, i+len(lit), k, false)
	return i + len(lit), nil
}

func (p *parser) object(i, depth int) (int, error) {
	if depth >= maxDepth {
		return i, &syntaxError{i, fmt.Sprintf("nested deeper than %d levels", maxDepth)}
	}
	b := p.buf
	idx := p.push(node{start: int32(i), kind: kindObject})
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		i++
	} else {
		for {
			if i >= len(b) || b[i] != '"' {
				return i, p.unexpected(i, "a string key")
			}
			var err error
			if i, err = p.str(i); err != nil {
				return i, err
			}
			i = skipWS(b, i)
			if i >= len(b) || b[i] != ':' {
				return i, p.unexpected(i, "':'")
			}
			i = skipWS(b, i+1)
			if i, err = p.value(i, depth+1); err != nil {
				return i, err
			}
			i = skipWS(b, i)
			if i < len(b) && b[i] == ',' {
				i = skipWS(b, i+1)
				continue
			}
			if i < len(b) && b[i] == '}' {
				i++
				break
			}
			return i, p.unexpected(i, "',' or '}'")
		}
	}
	p.nodes[idx].end = int32(i)
	p.nodes[idx].sub = int32(len(p.nodes))
	return i, nil
}

func (p *parser) array(i, depth int) (int, error) {
	if depth >= maxDepth {
		return i, &syntaxError{i, fmt.Sprintf("nested deeper than %d levels", maxDepth)}
	}
	b := p.buf
	idx := p.push(node{start: int32(i), kind: kindArray})
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		i++
	} else {
		for {
			var err error
			if i, err = p.value(i, depth+1); err != nil {
				return i, err
			}
			i = skipWS(b, i)
			if i < len(b) && b[i] == ',' {
				i = skipWS(b, i+1)
				continue
			}
			if i < len(b) && b[i] == ']' {
				i++
				break
			}
			return i, p.unexpected(i, "',' or ']'")
		}
	}
	p.nodes[idx].end = int32(i)
	p.nodes[idx].sub = int32(len(p.nodes))
	return i, nil
}

// plain marks the bytes that stand for themselves inside a JSON string.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// skipPlain returns the index of the first byte of b from i on that does not
// stand for itself inside a JSON string, or len(b). It tests eight bytes at a
// time: a byte below 0x20, '"', '\\' or one with its high bit set flags the
// word. A borrow can flag a byte above a flagged one, never below it, so the
// lowest flagged byte is the first that is not plain.
func skipPlain(b []byte, i int) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		q := x ^ ('"' * ones)
		bs := x ^ ('\\' * ones)
		m := (((x - 0x20*ones) &^ x) | ((q - ones) &^ q) | ((bs - ones) &^ bs) | x) & highs
		if m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for i < len(b) && plain[b[i]] {
		i++
	}
	return i
}

func (p *parser) str(i int) (int, error) {
	b := p.buf
	start := i + 1
	esc := false
	i = start
	for {
		i = skipPlain(b, i)
		if i >= len(b) {
			return i, &syntaxError{start - 1, "unterminated string"}
		}
		switch c := b[i]; {
		case c == '"':
			p.leaf(start, i, kindString, esc)
			return i + 1, nil
		case c == '\\':
			esc = true
			if i+1 >= len(b) {
				return i, &syntaxError{i, "unterminated escape sequence"}
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					return i, &syntaxError{i, `invalid \u escape, expecting four hex digits`}
				}
				i += 6
			default:
				return i, &syntaxError{i, fmt.Sprintf("invalid escape sequence \\%c", b[i+1])}
			}
		case c < 0x20:
			return i, &syntaxError{i, fmt.Sprintf("control character 0x%02x inside a string (must be escaped)", c)}
		default: // c >= 0x80
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size <= 1 {
				return i, &syntaxError{i, "invalid UTF-8 inside a string"}
			}
			i += size
		}
	}
}

func (p *parser) number(i int) (int, error) {
	b := p.buf
	start := i
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return i, p.unexpected(i, "a digit")
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return i, p.unexpected(i, "a digit after the decimal point")
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return i, p.unexpected(i, "a digit in the exponent")
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	p.leaf(start, i, kindNumber, false)
	return i, nil
}

// text returns the raw bytes of node n (for strings, still escaped).
func (p *parser) text(n int32) []byte {
	nd := &p.nodes[n]
	return p.buf[nd.start:nd.end]
}

// raw returns the whole source text of node n, quotes included for strings.
func (p *parser) raw(n int32) []byte {
	nd := &p.nodes[n]
	if nd.kind == kindString {
		return p.buf[nd.start-1 : nd.end+1]
	}
	return p.buf[nd.start:nd.end]
}

// appendUnescaped appends the decoded value of a string node to dst. A lone
// UTF-16 surrogate escape decodes to U+FFFD, as encoding/json does.
func (p *parser) appendUnescaped(dst []byte, n int32) []byte {
	nd := &p.nodes[n]
	s := p.buf[nd.start:nd.end]
	if !nd.esc {
		return append(dst, s...)
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			dst = append(dst, c)
			i++
			continue
		}
		switch s[i+1] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := rune(hex4(s[i+2:]))
			i += 6
			if utf16.IsSurrogate(r) {
				if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
					if r2 := utf16.DecodeRune(r, rune(hex4(s[i+2:]))); r2 != utf8.RuneError {
						dst = utf8.AppendRune(dst, r2)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default: // '"', '\\', '/'
			dst = append(dst, s[i+1])
		}
		i += 2
	}
	return dst
}

func hex4(s []byte) uint16 {
	var v uint16
	for _, c := range s[:4] {
		v <<= 4
		switch {
		case c <= '9':
			v |= uint16(c - '0')
		case c >= 'a':
			v |= uint16(c - 'a' + 10)
		default:
			v |= uint16(c - 'A' + 10)
		}
	}
	return v
}

// synth appends a string node that is not in the line: text, the content of
// a JSON string (escaped when esc), goes after the parsed value in p.buf,
// which must be the caller's own buffer (a copy of the line), since it
// grows. The node belongs to no container; the rows read it as any other
// string node. GA4 input's mapping makes session_id and user_agent so.
func (p *parser) synth(text []byte, esc bool) int32 {
	start := len(p.buf)
	p.buf = append(p.buf, text...)
	return int32(p.leaf(start, len(p.buf), kindString, esc))
}
