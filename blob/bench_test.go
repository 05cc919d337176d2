package blob

import (
	"fmt"
	"testing"
)

// BenchmarkListLocal lists 10,000 files in pages of 1000; one op is the
// whole listing.
func BenchmarkListLocal(b *testing.B) {
	layouts := []struct {
		name string
		file func(i int) string
	}{
		{"flat", func(i int) string { return fmt.Sprintf("part-%05d.jsonl", i) }},
		{"100x100", func(i int) string { return fmt.Sprintf("dt=2024-%03d/part-%03d.jsonl", i/100, i%100) }},
	}
	for _, layout := range layouts {
		b.Run(layout.name, func(b *testing.B) {
			l := newTestLocal(b)
			names := make([]string, 10000)
			for i := range names {
				names[i] = layout.file(i)
			}
			writeFiles(b, l, names...)
			for b.Loop() {
				if n := len(listAll(b, l, "", 1000)); n != len(names) {
					b.Fatalf("listed %d", n)
				}
			}
		})
	}
}
