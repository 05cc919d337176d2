package blob

import "io/fs"

// notExistError is a missing object or root. It matches both ErrNotExist and
// fs.ErrNotExist, so callers holding either sentinel can branch on it.
type notExistError struct {
	what string // e.g. `object "a.jsonl" in data/source`, `folder data/source`
}

func (e *notExistError) Error() string { return e.what + " does not exist" }

func (e *notExistError) Is(target error) bool {
	return target == ErrNotExist || target == fs.ErrNotExist
}
