package activities_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/clickstream-platform/clickstream/activities"
	"github.com/clickstream-platform/clickstream/blob"
	"github.com/clickstream-platform/clickstream/sampledata"
	"github.com/clickstream-platform/clickstream/staging"
)

// faultySource counts opens per object and can fail reading one object after
// a number of bytes, as a lost connection or a killed worker would.
type faultySource struct {
	blob.Store
	mu       sync.Mutex
	opens    map[string]int
	failName string
	failAt   int64
}

func (f *faultySource) OpenGeneration(ctx context.Context, name string, gen int64) (io.ReadCloser, error) {
	return f.open(ctx, name, func() (io.ReadCloser, error) { return f.Store.OpenGeneration(ctx, name, gen) })
}

func (f *faultySource) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	return f.open(ctx, name, func() (io.ReadCloser, error) { return f.Store.Open(ctx, name) })
}

func (f *faultySource) open(ctx context.Context, name string, open func() (io.ReadCloser, error)) (io.ReadCloser, error) {
	f.mu.Lock()
	f.opens[name]++
	fail := name == f.failName
	f.mu.Unlock()
	rc, err := open()
	if err != nil || !fail {
		return rc, err
	}
	return struct {
		io.Reader
		io.Closer
	}{io.MultiReader(io.LimitReader(rc, f.failAt), errReader{}), rc}, nil
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset by peer") }

type fixture struct {
	src     *faultySource
	objects []blob.Object
	a       *activities.Activities
	staging string
	format  string // TransformInput.Format
}

// input generates the objects the fixtures read; fixtures that compare their
// outputs must share it, since the rows name their source object.
func input(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "src")
	if _, err := sampledata.Generate(dir, sampledata.Options{Files: 5, Sessions: 600, Seed: 4, InvalidRate: 0.1, DuplicateRate: 0.1}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func newFixture(t *testing.T, srcDir, stagingDir string) *fixture {
	t.Helper()
	local, err := blob.NewLocal(srcDir)
	if err != nil {
		t.Fatal(err)
	}
	page, err := local.List(context.Background(), "", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	staging, err := blob.NewLocal(filepath.Join(stagingDir, "staging"))
	if err != nil {
		t.Fatal(err)
	}
	dead, err := blob.NewLocal(filepath.Join(stagingDir, "deadletter"))
	if err != nil {
		t.Fatal(err)
	}
	src := &faultySource{Store: local, opens: map[string]int{}}
	return &fixture{
		src: src, objects: page.Objects, staging: stagingDir,
		a: &activities.Activities{
			OpenSource: func(context.Context, string) (blob.Store, error) { return src, nil },
			Staging:    staging, DeadLetter: dead,
			PartBytes: 16 << 10, // several parts per object
		},
	}
}

// run executes the Transform activity once, with heartbeat details from a
// previous attempt if any, and returns its result and the last checkpoint it
// heartbeated.
func (f *fixture) run(t *testing.T, details *staging.Checkpoint) (activities.TransformResult, *staging.Checkpoint, error) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(f.a)
	if details != nil {
		env.SetHeartbeatDetails(*details)
	}
	var last *staging.Checkpoint
	env.SetOnActivityHeartbeatListener(func(_ *activity.Info, d converter.EncodedValues) {
		var cp staging.Checkpoint
		if err := d.Get(&cp); err != nil {
			t.Error(err)
		}
		last = &cp
	})
	in := activities.TransformInput{RunID: "run-1", BatchID: "00000-abc", Source: "src", Objects: f.objects, Format: f.format}
	v, err := env.ExecuteActivity(f.a.Transform, in)
	var res activities.TransformResult
	if err == nil {
		err = v.Get(&res)
	}
	return res, last, err
}

// outputs reads every file the run wrote, by path relative to the fixture's
// staging folder.
func outputs(t *testing.T, root string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// stagingFormats are the staged formats the transform tests run in: none
// (runs planned before the format existed: NDJSON) and both named ones.
var stagingFormats = []string{"", "ndjson", "parquet"}

func TestTransformResumesFromHeartbeat(t *testing.T) {
	src := input(t)
	for _, format := range stagingFormats {
		t.Run("format "+format, func(t *testing.T) { testTransformResumesFromHeartbeat(t, src, format) })
	}
}

func testTransformResumesFromHeartbeat(t *testing.T, src, format string) {
	clean := newFixture(t, src, t.TempDir())
	clean.format = format
	want, _, err := clean.run(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantFiles := outputs(t, clean.staging)

	tests := []struct {
		name   string
		object int   // the object whose read fails
		failAt int64 // after this many bytes
	}{
		{"between objects", 3, 0},
		{"inside an object", 2, 40 << 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, src, t.TempDir())
			f.format = format
			f.src.failName, f.src.failAt = f.objects[tt.object].Name, tt.failAt
			_, cp, err := f.run(t, nil)
			if err == nil {
				t.Fatal("the first attempt did not fail")
			}
			if cp == nil {
				t.Fatal("no checkpoint was heartbeated")
			}
			// A part reads on into the next object, so the failing object's
			// part began in the one before (or at its start): the checkpoint
			// is where that part began, never past the failing object's start.
			if tt.failAt == 0 && (cp.Object > tt.object || cp.Object < tt.object-1 ||
				(cp.Object == tt.object && (cp.Parts != 0 || cp.Cursor.Offset != 0))) {
				t.Fatalf("checkpoint at object %d part %d offset %d, want in object %d or at the start of object %d",
					cp.Object, cp.Parts, cp.Cursor.Offset, tt.object-1, tt.object)
			}
			if tt.failAt > 0 && (cp.Object != tt.object || cp.Cursor.Offset == 0 || cp.Cursor.Offset > tt.failAt) {
				t.Fatalf("checkpoint %+v, want inside object %d before byte %d", cp.Cursor, tt.object, tt.failAt)
			}

			// The retry: same activity, the last heartbeat's details, a
			// healthy source.
			f.src.failName = ""
			opensBefore := map[string]int{}
			for k, v := range f.src.opens {
				opensBefore[k] = v
			}
			got, _, err := f.run(t, cp)
			if err != nil {
				t.Fatal(err)
			}
			for i, o := range f.objects {
				reopened := f.src.opens[o.Name] - opensBefore[o.Name]
				switch {
				case i < cp.Object && reopened != 0:
					t.Errorf("object %d was finished before the failure but read again", i)
				case i >= cp.Object && reopened != 1:
					t.Errorf("object %d read %d times by the retry, want once", i, reopened)
				}
			}
			if got.Counts != want.Counts || got.Objects != want.Objects || got.Manifest != want.Manifest {
				t.Errorf("result %+v, want %+v", got, want)
			}
			gotFiles := outputs(t, f.staging)
			if len(gotFiles) != len(wantFiles) {
				t.Errorf("%d files, want %d", len(gotFiles), len(wantFiles))
			}
			for name, content := range wantFiles {
				if strings.HasSuffix(name, ".json") {
					continue // the manifest names the folders, which differ
				}
				if gotFiles[name] != content {
					t.Errorf("%s differs from the uninterrupted run's", name)
				}
			}
		})
	}
}

// TestTransformReusesFinishedBatch: a batch whose manifest exists is not
// transformed again (a re-executed child finds its checkpoint).
func TestTransformReusesFinishedBatch(t *testing.T) {
	f := newFixture(t, input(t), t.TempDir())
	first, _, err := f.run(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	opens := 0
	for _, n := range f.src.opens {
		opens += n
	}
	second, _, err := f.run(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	again := -opens
	for _, n := range f.src.opens {
		again += n
	}
	if again != 0 || !second.Reused || second.Counts != first.Counts {
		t.Errorf("second run opened %d objects, reused=%v, counts %+v vs %+v", again, second.Reused, second.Counts, first.Counts)
	}
}

func TestTransformCorruptObjectIsNotRetryable(t *testing.T) {
	f := newFixture(t, input(t), t.TempDir())
	bad := filepath.Join(t.TempDir(), "bad")
	if err := os.MkdirAll(bad, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, "x.jsonl.gz"), []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 1, 2}, 0o644); err != nil {
		t.Fatal(err)
	}
	local, _ := blob.NewLocal(bad)
	f.a.OpenSource = func(context.Context, string) (blob.Store, error) { return local, nil }
	page, _ := local.List(context.Background(), "", "", 0)
	f.objects = page.Objects
	_, _, err := f.run(t, nil)
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != activities.ErrDataContract || !appErr.NonRetryable() {
		t.Fatalf("err = %v, want a non-retryable DataContractError", err)
	}
	if !strings.Contains(err.Error(), "x.jsonl.gz") {
		t.Errorf("error %q does not name the object", err)
	}
}

func TestManifestListsEveryFile(t *testing.T) {
	src := input(t)
	for _, format := range stagingFormats {
		t.Run("format "+format, func(t *testing.T) { testManifestListsEveryFile(t, src, format) })
	}
}

func testManifestListsEveryFile(t *testing.T, src, format string) {
	f := newFixture(t, src, t.TempDir())
	f.format = format
	res, _, err := f.run(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	files := outputs(t, f.staging)
	var m staging.Manifest
	if err := jsonUnmarshal(files["staging/"+res.Manifest], &m); err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, fs := range m.Files {
		listed = append(listed, fs...)
	}
	listed = append(listed, m.DeadLetter...)
	var onDisk []string
	for name := range files {
		if !strings.HasSuffix(name, ".json") {
			onDisk = append(onDisk, filepath.Join(f.staging, name))
		}
	}
	sort.Strings(listed)
	sort.Strings(onDisk)
	if strings.Join(listed, "\n") != strings.Join(onDisk, "\n") {
		t.Errorf("manifest lists\n%s\nfiles on disk\n%s", strings.Join(listed, "\n"), strings.Join(onDisk, "\n"))
	}
	if err := m.Counts.Check(); err != nil || m.Counts != res.Counts {
		t.Errorf("manifest counts %+v (%v), result %+v", m.Counts, err, res.Counts)
	}
	// Every staged file is in the run's format, with its content; the dead
	// letter is NDJSON whatever the format.
	ext, magic := ".ndjson", "{"
	if format == "parquet" {
		ext, magic = ".parquet", "PAR1"
	}
	for table, names := range m.Files {
		if len(names) == 0 {
			t.Errorf("%s: no staged files", table)
		}
		for _, name := range names {
			rel, _ := filepath.Rel(f.staging, name)
			if content := files[filepath.ToSlash(rel)]; !strings.HasSuffix(name, ext) || !strings.HasPrefix(content, magic) {
				t.Errorf("%s: staged file %s starts %.4q, want a %s file", table, name, content, ext)
			}
		}
	}
	for _, name := range m.DeadLetter {
		if !strings.HasSuffix(name, ".ndjson") {
			t.Errorf("dead-letter file %s is not NDJSON", name)
		}
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
