package clickstream

import "errors"

// ErrAccounting is returned when SPEC.md's accounting identities do not hold.
var ErrAccounting = errors.New("accounting does not add up")

// ErrCorruptObject marks an object whose bytes cannot be decoded (a damaged
// gzip stream, say): reading it again will not help.
var ErrCorruptObject = errors.New("corrupt object")
