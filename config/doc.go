// Package config is the one typed configuration of the clickstream platform.
//
// A value is resolved in layers, each overriding the one before:
//
//  1. the default declared in the key table (keys.go);
//  2. a YAML file: the file given with --config, else ./clickstream.yaml if
//     it exists. An explicitly given file that does not exist is an error;
//  3. the environment variable CLICKSTREAM_ followed by the key upper-cased
//     with "." replaced by "_", e.g. CLICKSTREAM_TRANSFORM_MAX_LINE_BYTES.
//     An empty variable counts as unset;
//  4. command-line flags that the user actually set.
//
// A key in the file that is not in the table is an error naming the key and
// the file, and Load validates the result: every error names the key at
// fault, and the layer that set it when that was not the default.
//
// Adding a key is one row in the table in keys.go plus the field that holds
// it in Config; a test fails when the two disagree. The table drives the
// defaults, the environment variables, unknown-key detection and the
// documentation (Keys, Markdown).
//
// Callers hand each constructor only the values it needs, never the whole
// Config. The package keeps no global state: every Load uses its own viper.
package config
