package clickstream

import (
	"fmt"

	"github.com/klauspost/compress/s2"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/compress/snappy"
)

// Format is the file format of the staged rows (the dead letter is always NDJSON).
type Format string

const (
	// NDJSON stages one canonical JSON object per row (see "Staged rows" in
	// the package documentation).
	NDJSON Format = "ndjson"
	// Parquet stages one Parquet file per table and call (see "Parquet" in
	// the package documentation).
	Parquet Format = "parquet"
)

// ParseFormat returns the Format named s: "ndjson" or "parquet". An empty s
// is an error too: callers apply their own default.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case NDJSON, Parquet:
		return f, nil
	}
	return "", fmt.Errorf("unknown staged format %q: want %q or %q", s, NDJSON, Parquet)
}

// Ext returns the staged files' extension with the dot: ".ndjson" or ".parquet".
func (f Format) Ext() string {
	if f == Parquet {
		return ".parquet"
	}
	return ".ndjson"
}

// DefaultParquetCompression is the codec of Parquet pages when
// Options.ParquetCompression is empty.
const DefaultParquetCompression = "snappy"

// parquetCodec returns the codec named name ("" meaning the default).
func parquetCodec(name string) (compress.Codec, error) {
	switch name {
	case "", DefaultParquetCompression:
		return &fastSnappy{}, nil
	case "none":
		return &parquet.Uncompressed, nil
	case "zstd":
		return &parquet.Zstd, nil
	}
	return nil, fmt.Errorf("unknown Parquet compression %q: want \"snappy\", \"zstd\" or \"none\"", name)
}

// fastSnappy is parquet's SNAPPY codec with the fast encoder of
// klauspost/compress (parquet-go's default uses the slower "better" one);
// its blocks are plain snappy, which every reader decodes.
type fastSnappy struct{ snappy.Codec }

func (*fastSnappy) Encode(dst, src []byte) ([]byte, error) { return s2.EncodeSnappy(dst, src), nil }
