package config

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/go-viper/mapstructure/v2"
)

// ByteSize is a number of bytes. In a file, an environment variable or a flag
// it is a whole number of bytes (16777216) or a whole number with a unit
// ("16MiB", "512KiB", "100MB", "64kB"); units are case-insensitive, decimal
// (kB, MB, GB, TB) or binary (KiB, MiB, GiB, TiB).
//
// *ByteSize implements pflag.Value, so a command can declare a size flag with
// FlagSet.Var.
type ByteSize int64

// Sizes in bytes.
const (
	KiB ByteSize = 1 << (10 * (iota + 1))
	MiB
	GiB
	TiB
)

var byteUnits = map[string]int64{
	"":    1,
	"b":   1,
	"kb":  1e3,
	"mb":  1e6,
	"gb":  1e9,
	"tb":  1e12,
	"kib": 1 << 10,
	"mib": 1 << 20,
	"gib": 1 << 30,
	"tib": 1 << 40,
}

// ParseByteSize parses a size such as "16MiB", "100MB", "64kB" or "1024".
func ParseByteSize(s string) (ByteSize, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("invalid size %q: want a whole number of bytes, optionally with a unit such as MiB", s)
	}
	unit := strings.TrimSpace(t[i:])
	mult, ok := byteUnits[strings.ToLower(unit)]
	if !ok {
		return 0, fmt.Errorf("invalid size %q: unknown unit %q (want B, kB, MB, GB, TB, KiB, MiB, GiB or TiB)", s, unit)
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	if err != nil || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("invalid size %q: too large", s)
	}
	return ByteSize(n * mult), nil
}

// String prints the size in the largest binary unit that divides it exactly
// ("16MiB"), else in bytes ("1000"). A size that is not negative parses back
// to itself.
func (b ByteSize) String() string {
	for _, u := range []struct {
		size ByteSize
		name string
	}{{TiB, "TiB"}, {GiB, "GiB"}, {MiB, "MiB"}, {KiB, "KiB"}} {
		if b != 0 && b%u.size == 0 {
			return strconv.FormatInt(int64(b/u.size), 10) + u.name
		}
	}
	return strconv.FormatInt(int64(b), 10)
}

// Decimal prints the size for people, in the largest decimal unit with one
// decimal place: "512 B", "743.7 kB", "2.9 MB". Unlike String, it rounds.
func (b ByteSize) Decimal() string {
	const unit = 1000
	if b < unit {
		return fmt.Sprintf("%d B", int64(b))
	}
	v, i := float64(b)/unit, 0
	for v >= unit && i < 4 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %cB", v, "kMGTP"[i])
}

// MarshalText prints the size as String does.
func (b ByteSize) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// MarshalYAML prints "16MiB" for a whole binary unit, else a plain integer,
// which reads better than the quoted "64000" that MarshalText would give.
func (b ByteSize) MarshalYAML() (any, error) {
	s := b.String()
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	return s, nil
}

// UnmarshalText parses the size as ParseByteSize does.
func (b *ByteSize) UnmarshalText(text []byte) error { return b.Set(string(text)) }

// Set parses the size as ParseByteSize does; it makes *ByteSize a pflag.Value.
func (b *ByteSize) Set(s string) error {
	n, err := ParseByteSize(s)
	if err != nil {
		return err
	}
	*b = n
	return nil
}

// Type names the flag type in help output; it makes *ByteSize a pflag.Value.
func (b *ByteSize) Type() string { return "size" }

// byteSizeHook decodes strings, integers and whole floats into a ByteSize;
// YAML gives integers and floats, the environment and flags give strings.
func byteSizeHook(_ reflect.Type, to reflect.Type, data any) (any, error) {
	if to != reflect.TypeFor[ByteSize]() {
		return data, nil
	}
	v := reflect.ValueOf(data)
	switch {
	case v.Kind() == reflect.String:
		return ParseByteSize(v.String())
	case v.CanInt():
		return ByteSize(v.Int()), nil
	case v.CanUint():
		if v.Uint() > math.MaxInt64 {
			return nil, fmt.Errorf("invalid size %d: too large", v.Uint())
		}
		return ByteSize(v.Uint()), nil
	case v.CanFloat():
		f := v.Float()
		if f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
			return nil, fmt.Errorf("invalid size %v: want a whole number of bytes", f)
		}
		return ByteSize(f), nil
	}
	return nil, fmt.Errorf("invalid size of type %T: want a number of bytes or a string such as \"16MiB\"", data)
}

var _ mapstructure.DecodeHookFuncType = byteSizeHook
