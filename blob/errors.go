package blob

import (
	"errors"
	"io/fs"
	"syscall"
)

// notExistError is a missing object or root. It matches both ErrNotExist and
// fs.ErrNotExist, so callers holding either sentinel can branch on it.
type notExistError struct {
	what string // e.g. `object "a.jsonl" in data/source`, `folder data/source`
}

func (e *notExistError) Error() string { return e.what + " does not exist" }

func (e *notExistError) Is(target error) bool {
	return target == ErrNotExist || target == fs.ErrNotExist
}

// refusedError is a local path the file system refuses to this process for
// good: access denied (EACCES, EPERM), a read-only file system (EROFS), or a
// file where a folder must be (ENOTDIR). It matches ErrPermission, so that
// callers fail at once instead of retrying what no retry mends.
type refusedError struct {
	what string // e.g. "folder data/staging is not usable by this process", "not a folder"
	err  error  // Optional: the file system's error.
}

func (e *refusedError) Error() string {
	if e.err == nil {
		return e.what
	}
	return e.what + ": " + e.err.Error()
}

func (e *refusedError) Is(target error) bool { return target == ErrPermission }

func (e *refusedError) Unwrap() error { return e.err }

// refused returns err as a refusedError naming folder when the file system
// refused for good, and unchanged otherwise (a full disk may be mended).
func refused(folder string, err error) error {
	if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) || errors.Is(err, syscall.ENOTDIR) {
		return &refusedError{what: "folder " + folder + " is not usable by this process", err: err}
	}
	return err
}
