package main

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/config"
	"github.com/clickstream-platform/clickstream/sampledata"
)

// benchManifestName is the data set's manifest, beside its objects. Its
// leading underscore makes it a marker, not input, for the pipeline.
const benchManifestName = "_bench.json"

// benchManifestVersion changes when the manifest's meaning does.
const benchManifestVersion = 2 // 2: Distinct counts the lake's rows (every valid line)

// benchObjectBytes is the size the bench aims its objects at by default,
// uncompressed; it makes at least benchMinFiles of them.
const (
	benchObjectBytes = 64_000_000
	benchMinFiles    = 8
)

// benchGenOptions are the generator's options as the manifest records them.
type benchGenOptions struct {
	Files         int     `json:"files"`
	Sessions      int     `json:"sessions"`
	Days          int     `json:"days"`
	Start         string  `json:"start"` // YYYY-MM-DD
	Seed          uint64  `json:"seed"`
	Gzip          bool    `json:"gzip"`
	InvalidRate   float64 `json:"invalid_rate"`
	DuplicateRate float64 `json:"duplicate_rate"`
}

func (o benchGenOptions) sampledata() sampledata.Options {
	start, _ := time.Parse(time.DateOnly, o.Start) // checked by the flags; zero means the default
	return sampledata.Options{Files: o.Files, Sessions: o.Sessions, Days: o.Days, Start: start, Seed: o.Seed,
		Gzip: o.Gzip, InvalidRate: o.InvalidRate, DuplicateRate: o.DuplicateRate}
}

// benchManifest describes a generated data set: what it was made with and
// what the generator says it holds.
type benchManifest struct {
	Version int `json:"version"`
	// Size is the --size asked for, in bytes of JSONL before compression.
	Size    int64           `json:"size"`
	Options benchGenOptions `json:"options"`
	// Bytes is what the objects take on disk (compressed with gzip);
	// UncompressedBytes the JSONL they hold.
	Bytes             int64               `json:"bytes"`
	UncompressedBytes int64               `json:"uncompressed_bytes"`
	Expected          clickstream.Counts  `json:"expected"`
	Distinct          sampledata.Distinct `json:"distinct"`
	Objects           []benchObject       `json:"objects"`
}

type benchObject struct {
	Name  string `json:"name"`
	Bytes int64  `json:"bytes"`
}

// benchData is a data set ready for the bench.
type benchData struct {
	Dir      string // absolute
	Manifest benchManifest
	Reused   bool
}

// Files returns the absolute paths of the data set's objects.
func (d benchData) Files() []string {
	files := make([]string, len(d.Manifest.Objects))
	for i, o := range d.Manifest.Objects {
		files[i] = filepath.Join(d.Dir, filepath.FromSlash(o.Name))
	}
	return files
}

// Inputs are what the reference reads: one glob of the objects when it
// matches exactly them (a list of thousands of small objects would not fit
// a command line), else their paths.
func (d benchData) Inputs() []string {
	pattern := filepath.Join(d.Dir, "dt=*", "*.jsonl*")
	matches, err := filepath.Glob(pattern)
	files := d.Files()
	if err == nil && len(matches) == len(files) {
		slices.Sort(matches)
		sorted := slices.Sorted(slices.Values(files))
		if slices.Equal(matches, sorted) {
			return []string{pattern}
		}
	}
	return files
}

// benchDataSpec is the data set the flags ask for.
type benchDataSpec struct {
	Size  int64 // bytes of JSONL before compression
	Files int   // 0: one per benchObjectBytes, at least benchMinFiles
	Gen   benchGenOptions
}

// options completes spec into the generator's options: the number of
// sessions that makes about Size bytes of JSONL, measured on a sample of the
// same options, and the number of files.
func (spec benchDataSpec) options() (benchGenOptions, error) {
	o := spec.Gen
	if spec.Files > 0 {
		o.Files = spec.Files
	} else {
		o.Files = max(benchMinFiles, int((spec.Size+benchObjectBytes-1)/benchObjectBytes))
	}
	if o.Sessions > 0 { // --sessions-per-object
		return o, nil
	}
	sample := o
	sample.Gzip = false
	sample.Files = 4
	sample.Sessions = 20_000
	if err := sample.sampledata().Validate(); err != nil {
		return o, fmt.Errorf("invalid flags: %w", err)
	}
	sum, err := sampledata.WriteObjects(sample.sampledata(), func(string) (io.WriteCloser, error) { return discardCloser{}, nil })
	if err != nil {
		return o, fmt.Errorf("sampling the generator: %w", err)
	}
	perSession := float64(sum.Bytes) / float64(sample.Sessions)
	o.Sessions = max(1, int(math.Round(float64(spec.Size)/perSession)))
	return o, nil
}

type discardCloser struct{}

func (discardCloser) Write(p []byte) (int, error) { return len(p), nil }
func (discardCloser) Close() error                { return nil }

// prepareBenchData makes sure dir holds the data set spec asks for: it
// reuses the one there when its manifest records the same options and its
// objects are intact, and generates it otherwise. It refuses a folder
// holding input it did not write, since the pipeline would read that too.
func prepareBenchData(dir string, spec benchDataSpec, log io.Writer) (benchData, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return benchData{}, fmt.Errorf("--data %s: %w", dir, err)
	}
	opts, err := spec.options()
	if err != nil {
		return benchData{}, err
	}
	d := benchData{Dir: abs}
	old, err := readBenchManifest(abs)
	if err == nil && old.Version == benchManifestVersion && old.Size == spec.Size && old.Options == opts {
		err := checkBenchObjects(abs, old)
		if err == nil {
			d.Manifest, d.Reused = old, true
			return d, nil
		}
		fmt.Fprintf(log, "bench: %s: %v; generating it again\n", dir, err)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(log, "bench: %s: %v; generating the data set again\n", dir, err)
	}
	if err := ensureWritableDir(abs); err != nil {
		return d, fmt.Errorf("--data %s: %w", dir, err)
	}
	ours := map[string]bool{}
	for _, name := range opts.sampledata().ObjectNames() {
		ours[name] = true
	}
	for _, o := range old.Objects {
		ours[o.Name] = true
	}
	others, err := foreignInputs(abs, ours)
	if err != nil {
		return d, fmt.Errorf("--data %s: %w", dir, err)
	}
	if len(others) > 0 {
		return d, fmt.Errorf("--data %s holds %d input files the bench did not write (such as %s), which the pipeline would read too: name an empty or new folder",
			dir, len(others), others[0])
	}
	// Objects of an older data set that the new one does not overwrite.
	if err := os.Remove(filepath.Join(abs, benchManifestName)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return d, fmt.Errorf("--data %s: %w", dir, err)
	}
	for name := range ours {
		if err := os.Remove(filepath.Join(abs, filepath.FromSlash(name))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return d, fmt.Errorf("--data %s: %w", dir, err)
		}
	}
	gz := ""
	if opts.Gzip {
		gz = ", gzipped"
	}
	if spec.Size > 0 {
		fmt.Fprintf(log, "bench: generating %d sessions in %d objects (about %s of JSONL%s) into %s\n",
			opts.Sessions, opts.Files, config.ByteSize(spec.Size).Decimal(), gz, dir)
	} else {
		fmt.Fprintf(log, "bench: generating %d sessions in %d objects (%d each%s) into %s\n",
			opts.Sessions, opts.Files, opts.Sessions/opts.Files, gz, dir)
	}
	start := time.Now()
	sum, err := sampledata.Generate(abs, opts.sampledata())
	if err != nil {
		return d, fmt.Errorf("generating the data set in %s: %w", dir, err)
	}
	m := benchManifest{Version: benchManifestVersion, Size: spec.Size, Options: opts, Bytes: sum.Bytes,
		UncompressedBytes: sum.Bytes, Expected: sum.Expected,
		Distinct: sum.Distinct()}
	for _, o := range sum.Objects {
		m.Objects = append(m.Objects, benchObject{Name: o.Name, Bytes: o.Bytes})
	}
	if opts.Gzip {
		if m.UncompressedBytes, err = uncompressedBytes(abs, m.Objects); err != nil {
			return d, err
		}
	}
	if err := writeBenchManifest(abs, m); err != nil {
		return d, fmt.Errorf("--data %s: %w", dir, err)
	}
	fmt.Fprintf(log, "bench: generated %s (%s of JSONL) in %.1f s\n", config.ByteSize(m.Bytes).Decimal(), config.ByteSize(m.UncompressedBytes).Decimal(), time.Since(start).Seconds())
	d.Manifest = m
	return d, nil
}

// ensureWritableDir creates dir and checks that files can be created in it,
// so that an unusable --data fails before anything is generated.
func ensureWritableDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".bench-probe-*")
	if err != nil {
		return fmt.Errorf("cannot write there: %w", err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// foreignInputs lists the input files under dir whose names are not in ours.
func foreignInputs(dir string, ours map[string]bool) ([]string, error) {
	var others []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if clickstream.IsInputName(rel) && !ours[rel] {
			others = append(others, rel)
		}
		return nil
	})
	return others, err
}

func readBenchManifest(dir string) (benchManifest, error) {
	var m benchManifest
	b, err := os.ReadFile(filepath.Join(dir, benchManifestName))
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("reading %s: %w", benchManifestName, err)
	}
	return m, nil
}

// writeBenchManifest writes the manifest last and atomically: a data set
// whose generation was interrupted has none, and is generated again.
func writeBenchManifest(dir string, m benchManifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, "."+benchManifestName+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, benchManifestName))
}

// checkBenchObjects reports an object of m that is missing or whose size
// differs from the manifest's.
func checkBenchObjects(dir string, m benchManifest) error {
	if len(m.Objects) != m.Options.Files {
		return fmt.Errorf("the manifest lists %d objects, want %d", len(m.Objects), m.Options.Files)
	}
	for _, o := range m.Objects {
		st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(o.Name)))
		if err != nil {
			return err
		}
		if st.Size() != o.Bytes {
			return fmt.Errorf("%s has %d bytes, the manifest says %d", o.Name, st.Size(), o.Bytes)
		}
	}
	return nil
}

// uncompressedBytes is the JSONL the gzipped objects hold.
func uncompressedBytes(dir string, objects []benchObject) (int64, error) {
	var total int64
	for _, o := range objects {
		n, err := func() (int64, error) {
			f, err := os.Open(filepath.Join(dir, filepath.FromSlash(o.Name)))
			if err != nil {
				return 0, err
			}
			defer f.Close()
			zr, err := gzip.NewReader(f)
			if err != nil {
				return 0, err
			}
			return io.Copy(io.Discard, zr)
		}()
		if err != nil {
			return 0, fmt.Errorf("measuring %s: %w", o.Name, err)
		}
		total += n
	}
	return total, nil
}

// benchSizeLabel spells a size for a folder name: 200MB, 2GB, 64MiB, or
// bytes.
func benchSizeLabel(n int64) string {
	for _, u := range []struct {
		size int64
		name string
	}{{1e12, "TB"}, {1e9, "GB"}, {1e6, "MB"}, {1e3, "kB"}, {1 << 40, "TiB"}, {1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}} {
		if n >= u.size && n%u.size == 0 {
			return fmt.Sprintf("%d%s", n/u.size, u.name)
		}
	}
	return fmt.Sprint(n)
}

// defaultBenchDir is where a data set of that shape lives unless --data says.
func defaultBenchDir(spec benchDataSpec) string {
	name := benchSizeLabel(spec.Size)
	if spec.Gen.Sessions > 0 {
		name = fmt.Sprintf("objects-%d-x-%d", spec.Files, spec.Gen.Sessions/spec.Files)
	}
	if spec.Gen.Days != 3 {
		name += fmt.Sprintf("-%ddays", spec.Gen.Days)
	}
	if spec.Gen.Gzip {
		name += "-gzip"
	}
	return filepath.Join("data", "bench", name)
}

// scaledBenchDir is the folder of the 4× data set of --scaling.
func scaledBenchDir(dir string, spec benchDataSpec, explicit bool) string {
	if !explicit {
		return defaultBenchDir(spec)
	}
	return strings.TrimRight(dir, string(filepath.Separator)) + "-x4"
}
