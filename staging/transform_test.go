package staging_test

import (
	"context"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/clickstream-platform/clickstream/blob"
	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/sampledata"
	"github.com/clickstream-platform/clickstream/staging"
)

// newArea returns a staging area in a fresh folder, and the folder.
func newArea(t *testing.T) (staging.Area, string) {
	t.Helper()
	dir := t.TempDir()
	st, err := blob.NewLocal(filepath.Join(dir, "staging"))
	if err != nil {
		t.Fatal(err)
	}
	dl, err := blob.NewLocal(filepath.Join(dir, "deadletter"))
	if err != nil {
		t.Fatal(err)
	}
	return staging.Area{Staging: st, DeadLetter: dl}, dir
}

// source generates input with rejects and duplicates and lists it.
func source(t *testing.T) (blob.Store, []blob.Object) {
	t.Helper()
	src, objs, _ := sourceOf(t, sampledata.Options{Files: 3, Sessions: 300, Seed: 7, InvalidRate: 0.1, DuplicateRate: 0.1})
	return src, objs
}

// sourceOf generates the input opts say and lists it.
func sourceOf(t *testing.T, opts sampledata.Options) (blob.Store, []blob.Object, sampledata.Summary) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "src")
	sum, err := sampledata.Generate(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	src, err := blob.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	page, err := src.List(context.Background(), "", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	return src, page.Objects, sum
}

// files reads every file under dir, by slash path relative to it.
func files(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var errStop = errors.New("stopped by the test")

// TestTransformResumesAtEveryCheckpoint stops a batch's transform after each
// of its parts in turn, then starts it again from the checkpoint it reported
// last: every file, and the manifest, equal an uninterrupted transform's.
func TestTransformResumesAtEveryCheckpoint(t *testing.T) {
	src, objs := source(t)
	for _, format := range []clickstream.Format{clickstream.NDJSON, clickstream.Parquet} {
		t.Run(string(format), func(t *testing.T) {
			batch := staging.Batch{RunID: "run-1", BatchID: "00000-abc", Source: src, Objects: objs, Format: format, PartBytes: 32 << 10}
			clean, cleanDir := newArea(t)
			var parts int
			want, err := clean.Transform(context.Background(), batch, staging.Checkpoint{}, func(staging.Checkpoint) error { parts++; return nil })
			if err != nil {
				t.Fatal(err)
			}
			if parts < 2*len(objs) {
				t.Fatalf("%d parts for %d objects: the test wants several parts an object", parts, len(objs))
			}
			wantFiles := files(t, cleanDir)
			for stopAt := 1; stopAt < parts; stopAt++ {
				area, dir := newArea(t)
				var last staging.Checkpoint
				n := 0
				_, err := area.Transform(context.Background(), batch, staging.Checkpoint{}, func(cp staging.Checkpoint) error {
					last, n = cp, n+1
					if n == stopAt {
						return errStop
					}
					return nil
				})
				if !errors.Is(err, errStop) {
					t.Fatalf("stop after part %d: err = %v", stopAt, err)
				}
				got, err := area.Transform(context.Background(), batch, last, nil)
				if err != nil {
					t.Fatalf("resumed after part %d: %v", stopAt, err)
				}
				if !manifestsEqual(got, want, dir, cleanDir) {
					t.Fatalf("resumed after part %d: the manifest differs from an uninterrupted run's", stopAt)
				}
				if gotFiles := files(t, dir); !maps.Equal(gotFiles, wantFiles) {
					t.Fatalf("resumed after part %d: files %v differ from an uninterrupted run's %v",
						stopAt, slices.Sorted(maps.Keys(gotFiles)), slices.Sorted(maps.Keys(wantFiles)))
				}
			}
		})
	}
}

// manifestsEqual compares two manifests whose files live under the folders
// dirA and dirB.
func manifestsEqual(a, b staging.Manifest, dirA, dirB string) bool {
	rel := func(m staging.Manifest, dir string) staging.Manifest {
		trim := func(names []string) []string {
			out := make([]string, len(names))
			for i, n := range names {
				out[i] = strings.TrimPrefix(n, dir)
			}
			return out
		}
		files := map[string][]string{}
		for t, names := range m.Files {
			files[t] = trim(names)
		}
		m.Files, m.DeadLetter = files, trim(m.DeadLetter)
		return m
	}
	return reflect.DeepEqual(rel(a, dirA), rel(b, dirB))
}

// failingStore fails the read of one object after a number of bytes, once,
// as a dropped connection would.
type failingStore struct {
	blob.Store
	name   string
	after  int64
	failed bool
}

func (f *failingStore) OpenGeneration(ctx context.Context, name string, gen int64) (io.ReadCloser, error) {
	rc, err := f.Store.OpenGeneration(ctx, name, gen)
	if err != nil || name != f.name || f.failed {
		return rc, err
	}
	f.failed = true
	return struct {
		io.Reader
		io.Closer
	}{io.MultiReader(io.LimitReader(rc, f.after), failingReader{}), rc}, nil
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("connection reset by peer") }

// TestTransformFailedPartLeavesNoTrace: a read that fails in the middle of a
// part leaves none of that part's files, and the transform started again
// from the last checkpoint gives what an uninterrupted one gives.
func TestTransformFailedPartLeavesNoTrace(t *testing.T) {
	src, objs := source(t)
	batch := staging.Batch{RunID: "run-1", BatchID: "b", Objects: objs, PartBytes: 8 << 10}
	clean, cleanDir := newArea(t)
	batch.Source = src
	want, err := clean.Transform(context.Background(), batch, staging.Checkpoint{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	area, dir := newArea(t)
	batch.Source = &failingStore{Store: src, name: objs[1].Name, after: 20 << 10}
	var last staging.Checkpoint
	_, err = area.Transform(context.Background(), batch, staging.Checkpoint{}, func(cp staging.Checkpoint) error { last = cp; return nil })
	if err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("err = %v, want the read's failure", err)
	}
	if last.Object != 1 || last.Parts == 0 {
		t.Fatalf("last checkpoint at object %d part %d, want inside object 1", last.Object, last.Parts)
	}
	partial := files(t, dir)
	for name := range partial {
		if strings.Contains(name, staging.PartID("b", 1, last.Parts)) {
			t.Errorf("%s of the failed part is visible", name)
		}
	}
	got, err := area.Transform(context.Background(), batch, last, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !manifestsEqual(got, want, dir, cleanDir) {
		t.Error("the manifest differs from an uninterrupted transform's")
	}
	if !maps.Equal(files(t, dir), files(t, cleanDir)) {
		t.Error("the files differ from an uninterrupted transform's")
	}
}

// TestSmallObjectsShareParts: a part reads on from one object into the next,
// so many small objects make one staged file per table and part, not per
// object; each object's counts still add up and are its own.
func TestSmallObjectsShareParts(t *testing.T) {
	src, objs, sum := sourceOf(t, sampledata.Options{Files: 40, Sessions: 400, Days: 2, Seed: 3, InvalidRate: 0.1, DuplicateRate: 0.1})
	for _, format := range []clickstream.Format{clickstream.NDJSON, clickstream.Parquet} {
		t.Run(string(format), func(t *testing.T) {
			area, _ := newArea(t)
			batch := staging.Batch{RunID: "run-1", BatchID: "b", Source: src, Objects: objs, Format: format, PartBytes: sum.Bytes / 3}
			var parts int
			m, err := area.Transform(context.Background(), batch, staging.Checkpoint{}, func(staging.Checkpoint) error { parts++; return nil })
			if err != nil {
				t.Fatal(err)
			}
			if parts < 3 || parts > 4 {
				t.Fatalf("%d parts for %d bytes in parts of %d, want 3 or 4", parts, sum.Bytes, batch.PartBytes)
			}
			for table, names := range m.Files {
				if len(names) > parts {
					t.Errorf("%s: %d staged files for %d parts", table, len(names), parts)
				}
			}
			if len(m.Objects) != len(objs) {
				t.Fatalf("%d objects in the manifest, want %d", len(m.Objects), len(objs))
			}
			var total clickstream.Counts
			for i, om := range m.Objects {
				if om.Name != objs[i].Name || om.Parts < 1 {
					t.Fatalf("object %d: %s in %d parts, want %s in at least one", i, om.Name, om.Parts, objs[i].Name)
				}
				if want := sum.Objects[i].Expected; om.Counts.Lines != want.Lines || om.Counts.EventsSeen != want.EventsSeen {
					t.Errorf("%s: %d lines and %d events, want %d and %d", om.Name, om.Counts.Lines, om.Counts.EventsSeen, want.Lines, want.EventsSeen)
				}
				total.Add(om.Counts)
			}
			if total != m.Counts || m.Counts.Lines != sum.Expected.Lines {
				t.Errorf("objects' counts sum to %+v, batch %+v, generated %d lines", total, m.Counts, sum.Expected.Lines)
			}
		})
	}
}
