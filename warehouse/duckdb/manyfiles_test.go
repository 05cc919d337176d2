package duckdb_test

import (
	"fmt"
	"testing"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/warehouse"
)

// TestManyFilesKeepFileOrder: a load of more files than are read in
// parallel (they are then read on one thread, in bounded memory) still
// keeps, of two copies equal in (source_object, source_line), the one in
// the file listed first, and loads every other file.
func TestManyFilesKeepFileOrder(t *testing.T) {
	dir := t.TempDir()
	pv := pageview("2024-01-30T10:00:00Z", "/home")
	x := transformLines(t, dir, "dt=2024-01-28/same.jsonl", session("s1", "X", pv))
	y := transformLines(t, dir, "dt=2024-01-28/same.jsonl", session("s1", "Y", pv))
	var others []map[string]string
	for i := range 40 {
		others = append(others, transformLines(t, dir, fmt.Sprintf("dt=2024-01-29/%02d.jsonl", i), session(fmt.Sprintf("o%02d", i), "O", pv)))
	}
	d := openTemp(t)
	for _, first := range []map[string]string{x, y} {
		second := y
		if first[clickstream.SessionsTable] == y[clickstream.SessionsTable] {
			second = x
		}
		// The copies apart, among the others: the first copy is not the
		// first file, nor next to the second.
		objs := append(append(append(append([]map[string]string{}, others[:10]...), first), others[10:30]...), second)
		objs = append(objs, others[30:]...)
		res := loadAll(t, d, warehouse.Replace, func(table string) []string {
			var f []string
			for _, o := range objs {
				f = append(f, o[table])
			}
			return f
		})
		if r := res[clickstream.SessionsTable]; r.Staged != 42 || r.After != 41 {
			t.Errorf("sessions: %+v, want 42 staged, 41 kept", r)
		}
		want := "X"
		if first[clickstream.SessionsTable] == y[clickstream.SessionsTable] {
			want = "Y"
		}
		for _, table := range []string{"clickstream_dw.sessions", "clickstream_lake.visits"} {
			rows := query(t, d, "SELECT user_agent FROM "+table+" WHERE session_id = 's1'")
			if len(rows) != 1 || rows[0][0] != want {
				t.Errorf("%s kept %v, want %s, the copy in the file listed first", table, rows, want)
			}
		}
	}
}
