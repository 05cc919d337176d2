package clickstream

import (
	"path"
	"strings"
)

// IsInputName reports whether an object named name (a slash path) is session
// input: *.jsonl, *.json or *.ndjson, optionally followed by .gz. Objects whose
// base name starts with "_" or "." are markers and checksums of the tools that
// write them (_SUCCESS, .part-0.crc) and are never input. Whether the content
// is compressed is decided by its magic bytes, not by the name.
func IsInputName(name string) bool {
	base := path.Base(name)
	if strings.HasPrefix(base, "_") || strings.HasPrefix(base, ".") {
		return false
	}
	base = strings.TrimSuffix(base, ".gz")
	for _, ext := range []string{".jsonl", ".json", ".ndjson"} {
		if strings.HasSuffix(base, ext) && len(base) > len(ext) {
			return true
		}
	}
	return false
}
