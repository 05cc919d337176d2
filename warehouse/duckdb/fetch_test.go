package duckdb_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/sampledata"
	"github.com/clickstream-platform/clickstream/warehouse"
	"github.com/clickstream-platform/clickstream/warehouse/duckdb"
	"github.com/clickstream-platform/clickstream/warehouse/warehousetest"
)

// TestLoadFetchesRemoteFiles: staged files named by URI (as in a gs://
// staging bucket) are fetched through duckdb.Options.Fetch and load exactly
// as the local files do.
func TestLoadFetchesRemoteFiles(t *testing.T) {
	s := warehousetest.StageSample(t, t.TempDir(), sampledata.Options{Files: 3, Sessions: 300, Seed: 5, InvalidRate: 0.05, DuplicateRate: 0.1}, "run-1")
	remote := map[string]string{} // URI -> local file standing for the bucket
	uris := func(table string) []string {
		var out []string
		for _, f := range s.Files[table] {
			u := "gs://stage/run-1/" + table + "/" + filepath.Base(f)
			remote[u] = f
			out = append(out, u)
		}
		return out
	}
	fetched := 0
	d, err := duckdb.Open(duckdb.Options{
		Path: filepath.Join(t.TempDir(), "w.duckdb"),
		Fetch: func(_ context.Context, uri string) (io.ReadCloser, error) {
			f, ok := remote[uri]
			if !ok {
				return nil, fs.ErrNotExist
			}
			fetched++
			return os.Open(f)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	loadAll(t, d, warehouse.Replace, uris)
	if got, want := counts(t, d), s.Distinct(); !equalCounts(got, want) {
		t.Fatalf("counts %v, want %v", got, want)
	}
	if fetched == 0 {
		t.Fatal("nothing was fetched")
	}

	_, err = d.Load(context.Background(), warehouse.LoadRequest{Table: clickstream.SessionsTable, Mode: warehouse.Merge,
		Files: []string{"gs://stage/run-1/sessions/missing.ndjson"}})
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "missing.ndjson") {
		t.Fatalf("err = %v, want a missing file named", err)
	}
	tmp, _ := filepath.Glob(filepath.Join(os.TempDir(), "clickstream-load-*"))
	if len(tmp) != 0 {
		t.Errorf("temporary copies left behind: %v", tmp)
	}
}

func equalCounts(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
