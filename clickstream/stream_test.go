package clickstream_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/clickstream-platform/clickstream/clickstream"
)

func gzipped(t testing.TB, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestLineSplitting(t *testing.T) {
	valid := sessionWith(pageView)
	tests := []struct {
		name  string
		input string
		want  clickstream.Counts
	}{
		{"empty object", "", clickstream.Counts{}},
		{"one line without newline", valid, clickstream.Counts{Lines: 1, SessionsValid: 1, EventsSeen: 1, Pageviews: 1}},
		{"trailing newline is not a line", valid + "\n", clickstream.Counts{Lines: 1, SessionsValid: 1, EventsSeen: 1, Pageviews: 1}},
		{"CRLF", valid + "\r\n" + valid + "\r\n", clickstream.Counts{Lines: 2, SessionsValid: 2, EventsSeen: 2, Pageviews: 2}},
		{"only newlines", "\n\n\n", clickstream.Counts{Lines: 3, Blank: 3}},
		{"byte order mark", "\xEF\xBB\xBF" + valid + "\n", clickstream.Counts{Lines: 1, SessionsValid: 1, EventsSeen: 1, Pageviews: 1}},
		{"BOM only at the start", valid + "\n\xEF\xBB\xBF" + valid + "\n", clickstream.Counts{Lines: 2, SessionsValid: 1, SessionsRejected: 1, EventsSeen: 1, Pageviews: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range []struct {
				name string
				r    io.Reader
			}{
				{"plain", strings.NewReader(tt.input)},
				{"one byte at a time", iotest.OneByteReader(strings.NewReader(tt.input))},
				{"gzip", bytes.NewReader(gzipped(t, tt.input))},
			} {
				res := transformOpts(t, r.r, clickstream.Options{})
				if res.err != nil {
					t.Fatalf("%s: %v", r.name, res.err)
				}
				if res.counts != tt.want {
					t.Errorf("%s: counts = %+v, want %+v", r.name, res.counts, tt.want)
				}
			}
		})
	}
}

// TestLineNumbersAcrossReads feeds random line lengths through readers that
// return short reads, with a small maximum, and checks every line arrives with
// its number and the over-long ones are dead-lettered with their prefix.
func TestLineNumbersAcrossReads(t *testing.T) {
	const max = 2048
	rng := rand.New(rand.NewPCG(1, 2))
	var in strings.Builder
	var wantLong []int64
	lines := int64(0)
	for i := 0; i < 400; i++ {
		lines++
		n := rng.IntN(3 * max)
		if n > max {
			in.WriteString(strings.Repeat("x", n))
			wantLong = append(wantLong, lines)
		} else {
			in.WriteString(strings.Repeat(" ", n)) // blank
		}
		in.WriteByte('\n')
	}
	for _, r := range []io.Reader{
		strings.NewReader(in.String()),
		iotest.HalfReader(strings.NewReader(in.String())),
		iotest.DataErrReader(strings.NewReader(in.String())),
	} {
		res := transformOpts(t, r, clickstream.Options{MaxLineBytes: max})
		if res.err != nil {
			t.Fatal(res.err)
		}
		if res.counts.Lines != lines || res.counts.SessionsRejected != int64(len(wantLong)) || res.counts.Check() != nil {
			t.Fatalf("counts = %+v, want %d lines, %d too long", res.counts, lines, len(wantLong))
		}
		for i, d := range res.dead {
			if d.Line != wantLong[i] || d.Code != clickstream.CodeLineTooLong || !d.Truncated || d.LineBytes <= max || !strings.HasPrefix(d.Raw, "xxxx") {
				t.Fatalf("dead letter %d = %+v, want line %d too long", i, d, wantLong[i])
			}
		}
	}
}

func TestGzipDetectedByMagicBytes(t *testing.T) {
	input := sessionWith(pageView, addToCart, purchase) + "\n"
	plain := transformOpts(t, strings.NewReader(input), clickstream.Options{})
	// Two gzip members back to back, as `cat a.gz b.gz` makes: both are read.
	twice := append(gzipped(t, input), gzipped(t, input)...)
	zipped := transformOpts(t, bytes.NewReader(twice), clickstream.Options{})
	if zipped.err != nil {
		t.Fatal(zipped.err)
	}
	want := plain.counts
	want.Add(plain.counts)
	if zipped.counts != want {
		t.Fatalf("gzip counts = %+v, want twice %+v", zipped.counts, plain.counts)
	}
}

func TestCorruptGzip(t *testing.T) {
	z := gzipped(t, strings.Repeat(sessionWith(pageView)+"\n", 1000))
	truncated := z[:len(z)/2]
	flipped := bytes.Clone(z)
	flipped[len(flipped)/2] ^= 0xFF
	for name, data := range map[string][]byte{"truncated": truncated, "flipped byte": flipped, "bad header": z[:5]} {
		t.Run(name, func(t *testing.T) {
			res := transformOpts(t, bytes.NewReader(data), clickstream.Options{})
			if !errors.Is(res.err, clickstream.ErrCorruptObject) {
				t.Fatalf("err = %v, want ErrCorruptObject", res.err)
			}
			if !strings.Contains(res.err.Error(), "part-0.jsonl") {
				t.Errorf("error %q does not name the object", res.err)
			}
			if err := res.counts.Check(); err != nil {
				t.Errorf("counts of the lines read so far do not add up: %v", err)
			}
		})
	}
}

func TestSourceReadErrorIsNotCorruption(t *testing.T) {
	boom := errors.New("connection reset")
	r := io.MultiReader(strings.NewReader(sessionWith(pageView)+"\n"), iotest.ErrReader(boom))
	res := transformOpts(t, r, clickstream.Options{})
	if !errors.Is(res.err, boom) || errors.Is(res.err, clickstream.ErrCorruptObject) {
		t.Fatalf("err = %v, want the source's error and not ErrCorruptObject", res.err)
	}
}

// TestReadErrorMidLine: a source failing in the middle of a line fails the
// read there; the text since the last newline is a line cut short, never a
// line of its own (which would be dead-lettered, or committed with a part).
func TestReadErrorMidLine(t *testing.T) {
	boom := errors.New("connection reset")
	full := sessionWith(pageView) + "\n"
	r := io.MultiReader(strings.NewReader(full+full[:len(full)/2]), iotest.ErrReader(boom))
	res := transformOpts(t, r, clickstream.Options{})
	if !errors.Is(res.err, boom) {
		t.Fatalf("err = %v, want the source's error", res.err)
	}
	if res.counts.Lines != 1 || len(res.dead) != 0 {
		t.Fatalf("%d lines counted and %d dead-lettered, want the whole line only and no reject", res.counts.Lines, len(res.dead))
	}
}

// hugeLine streams a session line whose user_agent is n bytes long, without
// ever holding it in memory.
func hugeLine(n int64) io.Reader {
	head := `{"session_id":"big","user_id":"u","device_type":"d","user_agent":"`
	return io.MultiReader(strings.NewReader(head), io.LimitReader(repeatByte('a'), n), strings.NewReader("\"}\n"))
}

type repeatByte byte

func (r repeatByte) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// TestHundredMiBLine: a 100 MiB line is dead-lettered with its first bytes,
// the lines around it are processed, and the memory allocated stays bounded by
// the maximum line length, not by the line.
func TestHundredMiBLine(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 100 MiB")
	}
	const lineBytes = 100 << 20
	valid := sessionWith(pageView) + "\n"
	r := io.MultiReader(strings.NewReader(valid), hugeLine(lineBytes), strings.NewReader(valid))

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res := transformOpts(t, r, clickstream.Options{}) // default maximum: 16 MiB
	runtime.ReadMemStats(&after)

	if res.err != nil {
		t.Fatal(res.err)
	}
	want := clickstream.Counts{Lines: 3, SessionsValid: 2, SessionsRejected: 1, EventsSeen: 2, Pageviews: 2}
	if res.counts != want {
		t.Fatalf("counts = %+v, want %+v", res.counts, want)
	}
	d := res.dead[0]
	if d.Line != 2 || d.Code != clickstream.CodeLineTooLong || !d.Truncated || d.LineBytes != lineBytes+int64(len(`{"session_id":"big","user_id":"u","device_type":"d","user_agent":""}`)) {
		t.Fatalf("dead letter = line %d code %s truncated %v bytes %d", d.Line, d.Code, d.Truncated, d.LineBytes)
	}
	if len(d.Raw) != clickstream.TooLongPrefix || !strings.HasPrefix(d.Raw, `{"session_id":"big"`) {
		t.Fatalf("raw holds %d bytes starting %q, want the first %d", len(d.Raw), d.Raw[:20], clickstream.TooLongPrefix)
	}
	// The line reader may grow to the maximum line length plus one read chunk,
	// doubling on the way (about twice the maximum in all); reading the line
	// whole would take 100 MiB or more.
	allocated := after.TotalAlloc - before.TotalAlloc
	limit := uint64(5 * clickstream.DefaultMaxLineBytes / 2)
	t.Logf("allocated %d MiB for a %d MiB line", allocated>>20, lineBytes>>20)
	if allocated > limit {
		t.Fatalf("allocated %d MiB, want at most %d MiB", allocated>>20, limit>>20)
	}
}

// TestLineTooLongSaysWhatSetsTheLimit: a line over MaxLineBytes is
// dead-lettered, code line_too_long, with a reason naming what sets the
// limit: the configuration key by default, MaxLineSetBy when given.
func TestLineTooLongSaysWhatSetsTheLimit(t *testing.T) {
	in := strings.Repeat("x", 2000) + "\n"
	for _, tt := range []struct{ setBy, want string }{
		{"", "longer than the maximum of 1024 (transform.max_line_bytes)"},
		{"BigQuery's row limit", "longer than the maximum of 1024 (BigQuery's row limit)"},
	} {
		res := transformOpts(t, strings.NewReader(in), clickstream.Options{MaxLineBytes: 1024, MaxLineSetBy: tt.setBy})
		if res.err != nil {
			t.Fatal(res.err)
		}
		if len(res.dead) != 1 || res.dead[0].Code != clickstream.CodeLineTooLong || !strings.Contains(res.dead[0].Reason, tt.want) {
			t.Errorf("MaxLineSetBy %q: dead letter %+v, want one line_too_long record saying %q", tt.setBy, res.dead, tt.want)
		}
	}
}
