package models_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clickstream-platform/clickstream/models"
)

// plain spells the dialect's parts as plain words, and records which
// bounds are set and read.
type plain struct {
	set  *[]string
	read *[]string
}

func (plain) Table(name string) string                            { return name }
func (plain) String(s string) string                              { return "'" + s + "'" }
func (plain) Float() string                                       { return "FLOAT" }
func (plain) Decimal() string                                     { return "DECIMAL" }
func (plain) FailedRuns() string                                  { return "FAILED" }
func (plain) FirstBy(v string, last bool, order ...string) string { return "FIRST(" + v + ")" }
func (plain) SHA256Hex(e string) string                           { return "H(" + e + ")" }
func (plain) RFC3339Micro(e string) string                        { return "R(" + e + ")" }
func (plain) MicrosBetween(from, to string) string                { return "M(" + from + ", " + to + ")" }
func (plain) AddMicros(e string, _ int64) string                  { return "A(" + e + ")" }
func (plain) Struct(kv ...string) string                          { return "S(" + strings.Join(kv, ", ") + ")" }
func (plain) EmptyRevenue() string                                { return "E" }
func (plain) Days(from, to string) string                         { return "D(" + from + ", " + to + ") AS d" }
func (plain) TempTable(name, query string) string                 { return "TEMP " + name + " AS " + query }
func (p plain) SetBound(name, query string) string {
	*p.set = append(*p.set, name)
	return "SET " + name + " = (" + query + ")"
}
func (p plain) Bound(name string) string {
	*p.read = append(*p.read, name)
	return name
}

// TestIncrementalBounds: every bound an incremental build or its data
// tests read is one of Bounds() and is set by a statement before the
// first that reads it; a rebuild and its tests read none.
func TestIncrementalBounds(t *testing.T) {
	var set, read []string
	d := plain{&set, &read}
	stmts := models.Incremental(d, "run", time.Minute)
	if !slices.Equal(set, models.Bounds()) {
		t.Errorf("bounds set %v, want %v", set, models.Bounds())
	}
	setAt := map[string]int{}
	for i, s := range stmts {
		for _, name := range models.Bounds() {
			if strings.HasPrefix(s.SQL, "SET "+name+" ") {
				setAt[name] = i
			}
		}
	}
	for i, s := range stmts {
		for _, name := range models.Bounds() {
			at, ok := setAt[name]
			if uses := strings.Contains(s.SQL, " "+name) && !strings.HasPrefix(s.SQL, "SET "+name+" "); uses && (!ok || at > i) {
				t.Errorf("statement %d (%s) reads %s before it is set", i, s.What, name)
			}
		}
	}
	read = nil
	models.DataTests(d, "run")
	for _, name := range read {
		if !slices.Contains(models.Bounds(), name) {
			t.Errorf("the data tests read %s, not a bound", name)
		}
	}
	if len(read) == 0 {
		t.Error("an incremental build's data tests are not bounded")
	}
	set, read = nil, nil
	models.Rebuild(d, time.Minute)
	models.DataTests(d, "")
	if len(set)+len(read) > 0 {
		t.Errorf("a rebuild sets %v and reads %v, want no bounds", set, read)
	}
}
