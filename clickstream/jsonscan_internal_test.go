package clickstream

import (
	"math/rand/v2"
	"testing"
)

// TestSkipPlain holds the word-at-a-time scan to the byte table: random
// strings mixing plain bytes with every kind that ends the scan.
func TestSkipPlain(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	stops := []byte{'"', '\\', 0x00, 0x1f, 0x0a, 0x80, 0xc3, 0xff}
	b := make([]byte, 40)
	for n := 0; n < 200000; n++ {
		b = b[:rng.IntN(40)]
		for i := range b {
			b[i] = byte(0x20 + rng.IntN(0x60))
			if rng.IntN(30) == 0 {
				b[i] = stops[rng.IntN(len(stops))]
			}
		}
		from := 0
		if len(b) > 0 {
			from = rng.IntN(len(b) + 1)
		}
		want := from
		for want < len(b) && plain[b[want]] {
			want++
		}
		if got := skipPlain(b, from); got != want {
			t.Fatalf("skipPlain(%q, %d) = %d, want %d", b, from, got, want)
		}
	}
}
