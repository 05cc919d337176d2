package blob

import (
	"fmt"
	"path/filepath"
	"strings"
)

// validateName returns an error wrapping ErrInvalidName unless name is a
// relative slash path that stays below the root: no empty, "." or ".."
// elements, no leading "/", no backslash (a separator on Windows), no NUL.
func validateName(name string) error {
	reason := ""
	switch {
	case name == "":
		reason = "empty"
	case strings.HasPrefix(name, "/"):
		reason = "absolute"
	case strings.ContainsRune(name, '\\'):
		reason = "contains a backslash"
	case strings.ContainsRune(name, 0):
		reason = "contains a NUL byte"
	default:
		for elem := range strings.SplitSeq(name, "/") {
			switch elem {
			case "":
				reason = "has an empty path element"
			case ".", "..":
				reason = fmt.Sprintf("has a %q path element", elem)
			}
			if reason != "" {
				break
			}
		}
	}
	// On Windows this also rejects drive letters, ':' and reserved names (NUL, COM1).
	if reason == "" && !filepath.IsLocal(filepath.FromSlash(name)) {
		reason = "is not a local path on this system"
	}
	if reason != "" {
		return fmt.Errorf("%w %q: %s", ErrInvalidName, name, reason)
	}
	return nil
}
