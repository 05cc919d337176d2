package clickstream_test

import (
	"testing"

	"github.com/clickstream-platform/clickstream/clickstream"
)

func TestIsInputName(t *testing.T) {
	tests := map[string]bool{
		"a.jsonl": true, "dt=2024-01-30/a.jsonl": true, "a.json": true, "a.ndjson": true,
		"a.jsonl.gz": true, "x/y/z/a.ndjson.gz": true,
		"a.txt": false, "a.gz": false, "a.jsonl.bak": false, ".jsonl": false, "a.JSONL": false,
		"_SUCCESS": false, "dt=1/_tmp.jsonl": false, ".a.jsonl.crc": false, ".hidden.jsonl": false,
	}
	for name, want := range tests {
		if got := clickstream.IsInputName(name); got != want {
			t.Errorf("IsInputName(%q) = %v, want %v", name, got, want)
		}
	}
}
