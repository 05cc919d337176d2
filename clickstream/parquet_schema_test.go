package clickstream_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/clickstream-platform/clickstream/clickstream"
)

// TestParquetSchema checks the schema of every staged Parquet file against
// Tables(): names and order, required and optional, LIST for REPEATED, and
// the physical and logical type of every leaf.
func TestParquetSchema(t *testing.T) {
	golden, err := os.ReadFile(filepath.Join("testdata", "golden", "input.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := clickstream.NewTransformer(clickstream.Options{RunID: "r", Format: clickstream.Parquet})
	if err != nil {
		t.Fatal(err)
	}
	var got recorders
	if _, err := tr.Transform(context.Background(), bytes.NewReader(golden), "obj", got.outputs()); err != nil {
		t.Fatal(err)
	}
	for i, name := range tableOutputs {
		tbl := mustTable(t, name)
		f, err := parquet.OpenFile(bytes.NewReader(got[i].Bytes()), int64(got[i].Len()))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if f.Schema().Name() != name {
			t.Errorf("%s: schema named %q", name, f.Schema().Name())
		}
		checkFields(t, name, f.Schema().Fields(), tbl.Fields)
	}
}

func logicalType(n parquet.Node) string {
	if lt := n.Type().LogicalType(); lt != nil {
		return lt.String()
	}
	return ""
}

func checkFields(t *testing.T, path string, got []parquet.Field, want []clickstream.Field) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d Parquet fields, %d columns", path, len(got), len(want))
		return
	}
	for i, w := range want {
		g := got[i]
		p := path + "." + w.Name
		if g.Name() != w.Name {
			t.Errorf("%s: Parquet field %d is %q, want %q", path, i, g.Name(), w.Name)
			continue
		}
		if w.Mode == clickstream.Repeated {
			// The standard 3-level list: <name> (LIST) { repeated group list { required group element {...} } }
			if g.Leaf() || g.Repeated() || logicalType(g) != "LIST" || len(g.Fields()) != 1 {
				t.Errorf("%s: %v, want a LIST", p, g)
				continue
			}
			list := g.Fields()[0]
			if list.Name() != "list" || !list.Repeated() || list.Leaf() || len(list.Fields()) != 1 {
				t.Errorf("%s: LIST holds %v, want one repeated group named list", p, list)
				continue
			}
			el := list.Fields()[0]
			if el.Name() != "element" || !el.Required() || el.Leaf() {
				t.Errorf("%s: list holds %v, want a required group named element", p, el)
				continue
			}
			checkFields(t, p, el.Fields(), w.Fields)
			continue
		}
		switch w.Mode {
		case clickstream.Required:
			if !g.Required() {
				t.Errorf("%s is not required", p)
			}
		case clickstream.Nullable:
			if !g.Optional() {
				t.Errorf("%s is not optional", p)
			}
		}
		lt := logicalType(g)
		switch w.Type {
		case clickstream.Record:
			if g.Leaf() || lt != "" {
				t.Errorf("%s: %v, want a plain group", p, g)
				continue
			}
			checkFields(t, p, g.Fields(), w.Fields)
			continue
		case clickstream.String:
			if g.Type().Kind() != parquet.ByteArray || lt != "STRING" {
				t.Errorf("%s: %v %s, want BYTE_ARRAY (STRING)", p, g.Type().Kind(), lt)
			}
		case clickstream.Integer:
			if g.Type().Kind() != parquet.Int64 || (lt != "" && lt != "INT(64,true)") {
				t.Errorf("%s: %v %s, want INT64", p, g.Type().Kind(), lt)
			}
		case clickstream.Float:
			if g.Type().Kind() != parquet.Double || lt != "" {
				t.Errorf("%s: %v %s, want DOUBLE", p, g.Type().Kind(), lt)
			}
		case clickstream.Timestamp:
			if g.Type().Kind() != parquet.Int64 || lt != "TIMESTAMP(isAdjustedToUTC=true,unit=MICROS)" {
				t.Errorf("%s: %v %s, want INT64 TIMESTAMP(isAdjustedToUTC=true,unit=MICROS)", p, g.Type().Kind(), lt)
			}
		default:
			t.Errorf("%s: no check for %s", p, w.Type)
		}
		if !g.Leaf() {
			t.Errorf("%s is a group, want a leaf", p)
		}
	}
}
