package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// DefaultFile is the file Load reads, when it exists in the working
// directory and LoadOptions.File is empty.
const DefaultFile = "clickstream.yaml"

// LoadOptions says where Load finds configuration besides the defaults.
type LoadOptions struct {
	// Optional: a YAML configuration file, which must exist.
	// Default: DefaultFile in the working directory if it exists, else none.
	File string
	// Optional: the command's flags. Default: none.
	Flags *pflag.FlagSet
	// Optional: flag name → key, e.g. {"source": "source.uri"}. Only a flag
	// the user set overrides the other layers. Every key must be declared,
	// and every flag defined in Flags. Default: none.
	FlagKeys map[string]string
	// Optional: the environment, as "NAME=value" strings; when a name repeats,
	// the last one counts. Default: os.Environ().
	Environ []string
}

// Load resolves the configuration from defaults, file, environment and flags,
// in that order of precedence (see the package documentation), and validates it.
func Load(opts LoadOptions) (Config, error) {
	v := viper.New()
	source := map[string]string{} // key → the layer that set it, for error messages

	file, err := readFile(v, opts.File)
	if err != nil {
		return Config{}, err
	}
	if file != "" {
		if err := checkFileKeys(v, file); err != nil {
			return Config{}, err
		}
		for _, k := range keys {
			if v.IsSet(k.Name) {
				source[k.Name] = file
			}
		}
	}
	for _, k := range keys {
		v.SetDefault(k.Name, k.Default)
	}

	// viper reads only the process environment, so Load applies the
	// environment it was given, then the flags, as overrides in that order.
	env := environ(opts.Environ)
	for _, k := range Keys() {
		if val := env[k.Env]; val != "" {
			v.Set(k.Name, val)
			source[k.Name] = k.Env
		}
	}
	if err := applyFlags(v, opts, source); err != nil {
		return Config{}, err
	}

	values := make(map[string]any, len(keys))
	for _, k := range keys {
		values[k.Name] = v.Get(k.Name)
	}
	cfg, err := decode(values)
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		return Config{}, withSources(err, source)
	}
	return cfg, nil
}

// readFile reads the configuration file into v and returns its name, or ""
// when there is none.
func readFile(v *viper.Viper, name string) (string, error) {
	if name == "" {
		name = DefaultFile
		if _, err := os.Stat(name); errors.Is(err, fs.ErrNotExist) {
			return "", nil
		}
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return "", fmt.Errorf("reading config file: %w", err)
	}
	v.SetConfigType("yaml")
	if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
		var pe viper.ConfigParseError
		if errors.As(err, &pe) {
			err = pe.Unwrap()
		}
		return "", fmt.Errorf("%s: invalid YAML: %w", name, err)
	}
	return name, nil
}

// checkFileKeys rejects every key in the file that is not declared.
func checkFileKeys(v *viper.Viper, file string) error {
	var errs []error
	for _, key := range slices.Sorted(slices.Values(v.AllKeys())) {
		switch {
		case isKey(key):
		case len(sectionKeys(key)) > 0:
			if v.Get(key) != nil { // an empty section is fine
				errs = append(errs, fmt.Errorf("%s: %q must be a mapping with the keys %s",
					file, key, strings.Join(sectionKeys(key), ", ")))
			}
		default:
			errs = append(errs, &UnknownKeyError{File: file, Key: key, Suggestion: closestKey(key)})
		}
	}
	return errors.Join(errs...)
}

// environ maps names to values; the last of repeated names wins, as in os/exec.
func environ(env []string) map[string]string {
	if env == nil {
		env = os.Environ()
	}
	m := make(map[string]string, len(env))
	for _, kv := range env {
		if name, val, ok := strings.Cut(kv, "="); ok {
			m[name] = val
		}
	}
	return m
}

// applyFlags overrides keys with the flags the user set.
func applyFlags(v *viper.Viper, opts LoadOptions, source map[string]string) error {
	for _, name := range slices.Sorted(maps.Keys(opts.FlagKeys)) {
		key := opts.FlagKeys[name]
		if !isKey(key) {
			return fmt.Errorf("flag --%s: unknown config key %q", name, key)
		}
		if opts.Flags == nil {
			continue
		}
		f := opts.Flags.Lookup(name)
		if f == nil {
			return fmt.Errorf("flag --%s for config key %q is not defined", name, key)
		}
		if f.Changed {
			v.Set(key, f.Value.String())
			source[key] = "--" + name
		}
	}
	return nil
}

// withSources completes each KeyError in err with the layer that set its key.
func withSources(err error, source map[string]string) error {
	list := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	}
	for _, e := range list {
		var ke *KeyError
		if errors.As(e, &ke) && ke.Source == "" {
			ke.Source = source[ke.Key]
		}
	}
	return err
}
