package config

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestKeysMatchConfig keeps the key table and the Config struct in step:
// every key has a field and every field a key.
func TestKeysMatchConfig(t *testing.T) {
	var fields []string
	if err := walkFields(reflect.ValueOf(Config{}), "", func(key string, _ reflect.Value) {
		fields = append(fields, key)
	}); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, k := range Keys() {
		names = append(names, k.Name)
	}
	slices.Sort(fields)
	slices.Sort(names)
	if !slices.Equal(fields, names) {
		t.Errorf("Config fields %q, key table %q: add the missing row to keys.go or field to Config", fields, names)
	}
	if i := slices.IndexFunc(Keys(), func(k Key) bool { return k.Doc == "" }); i >= 0 {
		t.Errorf("key %q has no Doc", Keys()[i].Name)
	}
}

func TestDefaultIsValid(t *testing.T) {
	d := Default()
	if err := d.Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
	want := Config{
		Source:     Source{URI: "data/source", Format: "sessions"},
		Staging:    Staging{URI: "data/staging"},
		DeadLetter: DeadLetter{URI: "data/deadletter"},
		Warehouse: Warehouse{Kind: "duckdb", DuckDB: DuckDB{Path: "data/warehouse.duckdb"}, BigQuery: BigQuery{Location: "US", MaxBytesBilled: TiB},
			LakeDataset: "clickstream_lake", DWDataset: "clickstream_dw"},
		Temporal: Temporal{Address: "127.0.0.1:7233", Namespace: "default", TaskQueue: "clickstream",
			DevDBFile: "data/temporal.db", DevUIPort: 8233},
		Pipeline:  Pipeline{Mode: "replace", BatchObjects: 256, BatchBytes: 64 * MiB, Window: 4, PageSize: 1000, PagesPerRun: 20, StagingFormat: "parquet"},
		Transform: Transform{PartBytes: 64 * MiB, MaxLineBytes: 16 * MiB},
		Quality:   Quality{MaxRejectedLines: 0.10, MaxRejectedEvents: 0.10, MinVolumeRatio: 0.2},
		Models:    Models{SessionGap: 30 * time.Minute},
		Alerts:    Alerts{TemporalUIURL: "http://127.0.0.1:8233"},
		Metrics:   Metrics{Address: "127.0.0.1:9464"},
		Log:       Log{Level: "info", Format: "text"},
	}
	if d != want {
		t.Errorf("Default() = %+v, want %+v", d, want)
	}
}

func TestKeysEnv(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range Keys() {
		if seen[k.Env] {
			t.Errorf("two keys share %s", k.Env)
		}
		seen[k.Env] = true
	}
	if got := envName("transform.max_line_bytes"); got != "CLICKSTREAM_TRANSFORM_MAX_LINE_BYTES" {
		t.Errorf("envName = %q", got)
	}
}

func TestMarkdown(t *testing.T) {
	md := Markdown()
	for _, want := range []string{
		"| key | env | default | meaning |\n| --- | --- | --- | --- |\n",
		"| `transform.max_line_bytes` | `CLICKSTREAM_TRANSFORM_MAX_LINE_BYTES` | `16MiB` | Longest input line read;",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown() lacks %q:\n%s", want, md)
		}
	}
	if got, want := strings.Count(md, "\n"), len(Keys())+2; got != want {
		t.Errorf("Markdown() has %d lines, want %d", got, want)
	}
}

func TestClosestKey(t *testing.T) {
	tests := []struct {
		input string
		want  string
	}{
		{"source.url", "source.uri"},
		{"sources.uri", "source.uri"},
		{"transform.max_line_byte", "transform.max_line_bytes"},
		{"max_line_bytes", "transform.max_line_bytes"},
		{"uri", ""}, // under two sections: no single guess
		{"completely.different", ""},
	}
	for _, tt := range tests {
		if got := closestKey(tt.input); got != tt.want {
			t.Errorf("closestKey(%q) = %q, want %q", tt.input, got, tt.want)
		}
	}
}
