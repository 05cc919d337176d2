package clickstream_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/sampledata"
)

// The Parquet tests hold the Parquet staging to the NDJSON staging: the same
// input transformed both ways must give the same rows, column for column,
// nulls and empty lists included, in the same order.

// tableOutputs names the table outputs in the order of Outputs and recorders;
// the dead letter comes sixth.
var tableOutputs = []string{clickstream.VisitsTable, clickstream.SessionsTable, clickstream.PageviewsTable,
	clickstream.AddtocartsTable, clickstream.PurchasesTable}

// recorder is an output that remembers how often it was written to.
type recorder struct {
	bytes.Buffer
	writes int
}

func (r *recorder) Write(p []byte) (int, error) {
	r.writes++
	return r.Buffer.Write(p)
}

type recorders [6]recorder

func (r *recorders) outputs() clickstream.Outputs {
	return clickstream.Outputs{Visits: &r[0], Sessions: &r[1], Pageviews: &r[2], Addtocarts: &r[3], Purchases: &r[4], DeadLetter: &r[5]}
}

func mustTable(t testing.TB, name string) clickstream.Table {
	t.Helper()
	tbl, ok := clickstream.LookupTable(name)
	if !ok {
		t.Fatalf("no table %s", name)
	}
	return tbl
}

// ndjsonRows decodes staged NDJSON rows as encoding/json does (numbers kept
// as written), with every column of the table present: an absent member,
// as the lake table's event details have, becomes nil.
func ndjsonRows(t testing.TB, data []byte, tbl clickstream.Table) []any {
	t.Helper()
	var rows []any
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.UseNumber()
		var row map[string]any
		if err := dec.Decode(&row); err != nil {
			t.Fatalf("%s: row is not JSON: %v: %s", tbl.Name, err, sc.Bytes())
		}
		rows = append(rows, fillRecord(t, row, tbl.Fields))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

func fillRecord(t testing.TB, m map[string]any, fields []clickstream.Field) map[string]any {
	t.Helper()
	out := make(map[string]any, len(fields))
	for _, f := range fields {
		out[f.Name] = fillValue(t, m[f.Name], f)
	}
	if len(m) > len(fields) {
		t.Fatalf("NDJSON record has members that are no columns: %v", m)
	}
	return out
}

func fillValue(t testing.TB, v any, f clickstream.Field) any {
	if v == nil {
		return nil
	}
	if f.Mode == clickstream.Repeated {
		list := v.([]any)
		out := make([]any, len(list))
		for i, el := range list {
			out[i] = fillRecord(t, el.(map[string]any), f.Fields)
		}
		return out
	}
	if f.Type == clickstream.Record {
		return fillRecord(t, v.(map[string]any), f.Fields)
	}
	return v
}

// parquetRows reads a Parquet file with parquet-go's generic reader and
// writes each value as the NDJSON staging does: INTEGER and FLOAT as
// json.Number in the staged spelling, TIMESTAMP in the staged text form.
// It also checks that the file's top-level columns are the table's, in order.
func parquetRows(t testing.TB, data []byte, tbl clickstream.Table) []any {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("%s: not a complete Parquet file: %v", tbl.Name, err)
	}
	var names, want []string
	for _, c := range f.Schema().Fields() {
		names = append(names, c.Name())
	}
	for _, c := range tbl.Fields {
		want = append(want, c.Name)
	}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("%s: Parquet columns %v, want %v", tbl.Name, names, want)
	}
	// Every column chunk names its column (parquet-go's Writer.Reset once
	// broke that) and uses only the encodings every reader knows.
	leaves := f.Schema().Columns()
	for g, rg := range f.Metadata().RowGroups {
		for i, c := range rg.Columns {
			if !reflect.DeepEqual([]string(c.MetaData.PathInSchema), leaves[i]) {
				t.Fatalf("%s: row group %d column %d has path %q, want %q", tbl.Name, g, i, c.MetaData.PathInSchema, leaves[i])
			}
			for _, e := range c.MetaData.Encoding {
				if e != format.Plain && e != format.RLE && e != format.RLEDictionary {
					t.Fatalf("%s: column %v uses encoding %v", tbl.Name, leaves[i], e)
				}
			}
		}
	}
	r := parquet.NewReader(f)
	defer r.Close()
	var rows []any
	for {
		m := map[string]any{}
		if err := r.Read(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("%s: reading row %d: %v", tbl.Name, len(rows), err)
		}
		rows = append(rows, normRecord(t, m, tbl.Fields))
	}
	if int64(len(rows)) != f.NumRows() {
		t.Fatalf("%s: read %d rows, the footer says %d", tbl.Name, len(rows), f.NumRows())
	}
	return rows
}

func normRecord(t testing.TB, m map[string]any, fields []clickstream.Field) map[string]any {
	t.Helper()
	out := make(map[string]any, len(fields))
	for _, f := range fields {
		v, ok := m[f.Name]
		if !ok {
			t.Fatalf("Parquet record has no column %s: %v", f.Name, m)
		}
		out[f.Name] = normValue(t, v, f)
	}
	if len(m) != len(fields) {
		t.Fatalf("Parquet record has %d columns, want %d: %v", len(m), len(fields), m)
	}
	return out
}

func normValue(t testing.TB, v any, f clickstream.Field) any {
	t.Helper()
	if v == nil {
		return nil
	}
	if f.Mode == clickstream.Repeated {
		list, ok := v.([]any)
		if !ok {
			t.Fatalf("%s: %T is no list", f.Name, v)
		}
		out := make([]any, len(list))
		for i, el := range list {
			out[i] = normRecord(t, el.(map[string]any), f.Fields)
		}
		return out
	}
	switch f.Type {
	case clickstream.Record:
		return normRecord(t, v.(map[string]any), f.Fields)
	case clickstream.String:
		switch s := v.(type) {
		case string:
			return s
		case []byte:
			return string(s)
		}
	case clickstream.Integer:
		if i, ok := v.(int64); ok {
			return json.Number(strconv.FormatInt(i, 10))
		}
	case clickstream.Float:
		if x, ok := v.(float64); ok {
			return json.Number(strconv.FormatFloat(x, 'g', -1, 64))
		}
	case clickstream.Date:
		switch d := v.(type) {
		case int32:
			return time.Unix(int64(d)*86400, 0).UTC().Format(time.DateOnly)
		case time.Time:
			return d.UTC().Format(time.DateOnly)
		}
	case clickstream.JSON:
		// Parquet holds a JSON column's text: compare the values.
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case []byte:
			s = string(x)
		default: // parquet-go decodes the JSON logical type itself
			b, err := json.Marshal(x)
			if err != nil {
				t.Fatalf("%s: %v", f.Name, err)
			}
			s = string(b)
		}
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		var out any
		if err := dec.Decode(&out); err != nil {
			t.Fatalf("%s: Parquet JSON column holds %q: %v", f.Name, s, err)
		}
		return out
	case clickstream.Timestamp:
		switch ts := v.(type) {
		case int64:
			return string(clickstream.AppendTimestamp(nil, ts))
		case time.Time:
			return string(clickstream.AppendTimestamp(nil, ts.UnixMicro()))
		}
	}
	t.Fatalf("%s (%s): unexpected Parquet value %#v", f.Name, f.Type, v)
	return nil
}

// compareTable checks that a table's Parquet output holds the rows of its
// NDJSON output: no bytes at all when there are none.
func compareTable(t testing.TB, what string, tbl clickstream.Table, nd []byte, pq *recorder) {
	t.Helper()
	want := ndjsonRows(t, nd, tbl)
	if len(want) == 0 {
		if pq.writes != 0 || pq.Len() != 0 {
			t.Errorf("%s: %s got no rows, but its output was written %d times (%d bytes)", what, tbl.Name, pq.writes, pq.Len())
		}
		return
	}
	got := parquetRows(t, pq.Bytes(), tbl)
	if len(got) != len(want) {
		t.Fatalf("%s: %s has %d Parquet rows, %d NDJSON rows", what, tbl.Name, len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			g, _ := json.Marshal(got[i])
			w, _ := json.Marshal(want[i])
			t.Fatalf("%s: %s row %d differs\nparquet: %s\n ndjson: %s", what, tbl.Name, i, g, w)
		}
	}
}

// edgeCases are lines that walk through the odd corners of the row writers:
// escapes, surrogates, control characters, empty strings beside nulls,
// empty item lists beside absent ones, number spellings.
var edgeCases = strings.Join([]string{
	sessionWith(pageView, addToCart, purchase),
	`{"session_id":"s\ud83d\ude00","user_id":"\u0000","device_type":"d\"\\\/\b\f\n\r\t","geolocation":"\ud800","user_agent":""}`,
	`{"session_id":"s","user_id":"u","device_type":"d","events":[1,{"event":{}},{"event":{"event_type":"purchase","timestamp":"2024-01-30 10:00:00 UTC","details":{"order_id":"O","amount":1e3,"items":[{"product_id":"P","price":-0.0,"quantity":2E0}]}}}]}`,
	`{"session_id":"e","user_id":"u","device_type":"d","geolocation":"","events":[` +
		`{"event":{"event_type":"page_view","timestamp":"2024-02-29T23:59:59.999999-03:00","details":{"page_url":"/x","referrer_url":"","items":[]}}},` +
		`{"event":{"event_type":"purchase","timestamp":"2024-01-30T10:00:00Z","details":{"order_id":"O2","amount":0.1,"currency":"","items":[]}}},` +
		`{"event":{"event_type":"add_item_to_cart","timestamp":"0001-01-01T00:00:00Z","details":{"product_id":"P\u00e9","product_name":"","category":null,"price":1.7976931348623157e308,"quantity":-9007199254740993,"items":[{"price":1}]}}},` +
		`{"event":{"event_type":"purchase","timestamp":"9999-12-31T23:59:59.9999999Z","details":{"order_id":"O3","amount":5e-324,"items":[{"product_id":"P","price":1,"quantity":1,"category":"c","product_name":null},{"product_id":"Q","price":2.5,"quantity":3}]}}}]}`,
	"\xEF\xBB\xBF{}",
	`{"session_id":"n","user_id":"u","device_type":"d","events":null,"geolocation":null}`,
}, "\n")

func generatedObject(t testing.TB, opts sampledata.Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := sampledata.WriteObjects(opts, func(string) (io.WriteCloser, error) { return nopCloser{&b}, nil }); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
