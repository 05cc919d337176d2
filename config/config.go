package config

import (
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
)

// Config is the whole configuration. Hand each constructor only the values
// it needs.
type Config struct {
	Source     Source     `mapstructure:"source"`
	Staging    Staging    `mapstructure:"staging"`
	DeadLetter DeadLetter `mapstructure:"deadletter"`
	Warehouse  Warehouse  `mapstructure:"warehouse"`
	Temporal   Temporal   `mapstructure:"temporal"`
	Pipeline   Pipeline   `mapstructure:"pipeline"`
	Transform  Transform  `mapstructure:"transform"`
	Quality    Quality    `mapstructure:"quality"`
	Models     Models     `mapstructure:"models"`
	Alerts     Alerts     `mapstructure:"alerts"`
	Metrics    Metrics    `mapstructure:"metrics"`
	Log        Log        `mapstructure:"log"`
}

// DeadLetter is where rejected lines and events go.
type DeadLetter struct {
	URI string `mapstructure:"uri"`
}

// Warehouse selects and configures the warehouse.
type Warehouse struct {
	Kind        string   `mapstructure:"kind"`
	DuckDB      DuckDB   `mapstructure:"duckdb"`
	BigQuery    BigQuery `mapstructure:"bigquery"`
	LakeDataset string   `mapstructure:"lake_dataset"`
	DWDataset   string   `mapstructure:"dw_dataset"`
}

// DuckDB configures the embedded warehouse.
type DuckDB struct {
	Path        string `mapstructure:"path"`
	MemoryLimit string `mapstructure:"memory_limit"`
}

// BigQuery configures the BigQuery warehouse.
type BigQuery struct {
	Project        string   `mapstructure:"project"`
	Location       string   `mapstructure:"location"`
	MaxBytesBilled ByteSize `mapstructure:"max_bytes_billed"`
}

// Temporal says how to reach Temporal, and how to run the embedded dev server.
type Temporal struct {
	Address   string `mapstructure:"address"`
	Namespace string `mapstructure:"namespace"`
	TaskQueue string `mapstructure:"task_queue"`
	TLS       TLS    `mapstructure:"tls"`
	APIKey    Secret `mapstructure:"api_key"`
	DevDBFile string `mapstructure:"dev_db_file"`
	DevUIPort int    `mapstructure:"dev_ui_port"`
}

// TLS configures the Temporal client's TLS; any field set turns it on.
type TLS struct {
	CAFile     string `mapstructure:"ca_file"`
	CertFile   string `mapstructure:"cert_file"`
	KeyFile    string `mapstructure:"key_file"`
	ServerName string `mapstructure:"server_name"`
}

// Enabled reports whether any TLS setting is present.
func (t TLS) Enabled() bool { return t != TLS{} }

// Secret is a string that prints as "***" (when set), so that printing a
// Config (starter config, logs) never shows it.
type Secret string

// String hides the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "***"
}

// MarshalYAML hides the value in printed configuration.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// GoString hides the value from %#v too.
func (s Secret) GoString() string { return `config.Secret("` + s.String() + `")` }

// Pipeline holds the defaults of a run.
type Pipeline struct {
	Mode         string   `mapstructure:"mode"`
	BatchObjects int      `mapstructure:"batch_objects"`
	BatchBytes   ByteSize `mapstructure:"batch_bytes"`
	Window       int      `mapstructure:"window"`
	PageSize     int      `mapstructure:"page_size"`
	PagesPerRun  int      `mapstructure:"pages_per_run"`
	// StagingFormat is a clickstream.Format.
	StagingFormat string `mapstructure:"staging_format"`
}

// Source is where input objects are read from.
type Source struct {
	URI string `mapstructure:"uri"`
	// Format is a clickstream.InputFormat.
	Format string `mapstructure:"format"`
}

// Staging is where staged per-table files are written.
type Staging struct {
	URI string `mapstructure:"uri"`
}

// Transform tunes the streaming transform.
type Transform struct {
	PartBytes    ByteSize `mapstructure:"part_bytes"`
	MaxLineBytes ByteSize `mapstructure:"max_line_bytes"`
}

// Quality holds the quality gates' defaults.
type Quality struct {
	MaxRejectedLines  float64 `mapstructure:"max_rejected_lines"`
	MaxRejectedEvents float64 `mapstructure:"max_rejected_events"`
	AllowEmptyDays    bool    `mapstructure:"allow_empty_days"`
	MinVolumeRatio    float64 `mapstructure:"min_volume_ratio"`
	FailOnLowVolume   bool    `mapstructure:"fail_on_low_volume"`
}

// Models configures the derived tables.
type Models struct {
	SessionGap time.Duration `mapstructure:"session_gap"`
}

// Alerts says where alerts go.
type Alerts struct {
	WebhookURL    Secret `mapstructure:"webhook_url"`
	TemporalUIURL string `mapstructure:"temporal_ui_url"`
}

// MetricsOff is the metrics.address that turns the metrics endpoint off.
const MetricsOff = "off"

// Metrics configures the worker's Prometheus endpoint.
type Metrics struct {
	// Address is host:port, host:0 for a free port, or MetricsOff.
	Address string `mapstructure:"address"`
}

// Log configures the worker's structured log.
type Log struct {
	Level  string `mapstructure:"level"`  // debug, info, warn or error
	Format string `mapstructure:"format"` // text or json
}

// logLevels are the values of log.level.
var logLevels = map[string]slog.Level{
	"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError,
}

// SlogLevel is Level as a slog.Level; info when Level is not valid.
func (l Log) SlogLevel() slog.Level {
	return logLevels[l.Level] // LevelInfo is the zero Level
}

// Default returns the configuration made of the defaults in the key table.
func Default() Config {
	values := make(map[string]any, len(keys))
	for _, k := range keys {
		values[k.Name] = k.Default
	}
	cfg, err := decode(values)
	if err != nil {
		panic("config: the key table's defaults do not decode: " + err.Error()) // keys_test.go keeps this unreachable
	}
	return cfg
}

// MarshalYAML renders c in the shape of the configuration file, so that
// printing a Config gives a file that Load reads back to the same Config.
func (c Config) MarshalYAML() (any, error) {
	out := map[string]any{}
	if err := walkFields(reflect.ValueOf(c), "", func(key string, v reflect.Value) {
		setNested(out, key, v.Interface())
	}); err != nil {
		return nil, err
	}
	return out, nil
}

// decode turns flat values by key ("transform.max_line_bytes": "16MiB") into
// a Config. Each key is decoded on its own first, so that an error names it.
func decode(values map[string]any) (Config, error) {
	var errs []error
	for _, k := range keys {
		one := map[string]any{}
		setNested(one, k.Name, values[k.Name])
		if err := decodeMap(one, &Config{}); err != nil {
			errs = append(errs, &KeyError{Key: k.Name, Err: decodeCause(err)})
		}
	}
	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	all := map[string]any{}
	for k, v := range values {
		setNested(all, k, v)
	}
	var cfg Config
	if err := decodeMap(all, &cfg); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

func decodeMap(in map[string]any, out *Config) error {
	d, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		DecodeHook:       mapstructure.ComposeDecodeHookFunc(byteSizeHook, mapstructure.StringToTimeDurationHookFunc()),
		WeaklyTypedInput: true, // as viper does: `uri: 2024` is the string "2024"
		ErrorUnused:      true, // a table key without a field
		Result:           out,
	})
	if err != nil {
		return err
	}
	return d.Decode(in)
}

// decodeCause strips mapstructure's field-name wrapping; KeyError names the key.
func decodeCause(err error) error {
	for {
		var de *mapstructure.DecodeError
		if !errors.As(err, &de) {
			return err
		}
		err = de.Unwrap()
	}
}

// setNested sets m["a"]["b"] = v for key "a.b".
func setNested(m map[string]any, key string, v any) {
	parts := strings.Split(key, ".")
	for _, p := range parts[:len(parts)-1] {
		sub, ok := m[p].(map[string]any)
		if !ok {
			sub = map[string]any{}
			m[p] = sub
		}
		m = sub
	}
	m[parts[len(parts)-1]] = v
}

// walkFields calls fn for every leaf field of the struct v with its dotted
// key, built from the mapstructure tags.
func walkFields(v reflect.Value, prefix string, fn func(key string, v reflect.Value)) error {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("mapstructure")
		if tag == "" {
			return fmt.Errorf("field %s.%s has no mapstructure tag", t.Name(), f.Name)
		}
		key := prefix + tag
		if f.Type.Kind() == reflect.Struct {
			if err := walkFields(v.Field(i), key+".", fn); err != nil {
				return err
			}
			continue
		}
		fn(key, v.Field(i))
	}
	return nil
}
