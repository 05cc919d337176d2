package config

import (
	"errors"
	"fmt"
	"strings"
)

// Limits of transform.max_line_bytes.
const (
	minLineBytes = KiB
	maxLineBytes = GiB
)

// Validate checks every value; each error is a *KeyError naming its key, and
// all of them are reported at once.
func (c Config) Validate() error {
	var errs []error
	check := func(key string, err error) {
		if err != nil {
			errs = append(errs, &KeyError{Key: key, Err: err})
		}
	}
	check("source.uri", validateURI(c.Source.URI))
	check("staging.uri", validateURI(c.Staging.URI))
	if n := c.Transform.MaxLineBytes; n < minLineBytes || n > maxLineBytes {
		check("transform.max_line_bytes", fmt.Errorf("must be between %v and %v, got %v", minLineBytes, maxLineBytes, n))
	}
	return errors.Join(errs...)
}

// validateURI accepts a local path or gs://bucket[/prefix].
func validateURI(uri string) error {
	if uri == "" {
		return errors.New("must not be empty")
	}
	scheme, rest, ok := strings.Cut(uri, "://")
	if !ok {
		return nil // a local path
	}
	if scheme != "gs" {
		return fmt.Errorf("unsupported scheme %q in %q: want a local path or gs://bucket[/prefix]", scheme, uri)
	}
	bucket, _, _ := strings.Cut(rest, "/")
	if bucket == "" {
		return fmt.Errorf("%q has no bucket: want gs://bucket[/prefix]", uri)
	}
	return validateBucket(bucket)
}

// validateBucket checks the shape of a Cloud Storage bucket name: 3 to 222
// characters of a-z, 0-9, '-', '_' and '.', starting and ending with a letter
// or digit. It catches typos early; the service has the last word.
func validateBucket(name string) error {
	alnum := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
	ok := len(name) >= 3 && len(name) <= 222 && alnum(name[0]) && alnum(name[len(name)-1])
	for i := 0; ok && i < len(name); i++ {
		ok = alnum(name[i]) || strings.IndexByte("-_.", name[i]) >= 0
	}
	if !ok {
		return fmt.Errorf("invalid bucket name %q: want 3 to 222 lower-case letters, digits, '-', '_' or '.', starting and ending with a letter or digit", name)
	}
	return nil
}
