package config

import "fmt"

// KeyError reports a bad value, naming its key and, when known, the layer
// that set it (a file name, an environment variable, a flag).
type KeyError struct {
	Key    string
	Source string // Optional: "clickstream.yaml", "CLICKSTREAM_SOURCE_URI", "--source"; "" for the default.
	Err    error
}

func (e *KeyError) Error() string {
	if e.Source == "" {
		return e.Key + ": " + e.Err.Error()
	}
	return fmt.Sprintf("%s: %v (set by %s)", e.Key, e.Err, e.Source)
}

func (e *KeyError) Unwrap() error { return e.Err }

// UnknownKeyError reports a key in a configuration file that is not declared.
type UnknownKeyError struct {
	File       string
	Key        string
	Suggestion string // Optional: the declared key it was probably meant to be.
}

func (e *UnknownKeyError) Error() string {
	msg := fmt.Sprintf("%s: unknown key %q", e.File, e.Key)
	if e.Suggestion != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", e.Suggestion)
	}
	return msg
}
