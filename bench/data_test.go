package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func benchSpec(size int64, files int, gz bool) benchDataSpec {
	return benchDataSpec{Size: size, Files: files, Gen: benchGenOptions{Days: 3, Start: "2024-01-30", Seed: 1, Gzip: gz, DuplicateRate: 0.02}}
}

// TestPrepareBenchData: a data set is generated about the size asked for,
// in at least 8 objects, reused while its options hold, generated again
// (its old objects gone) when they change; a folder with input the bench
// did not write is refused.
func TestPrepareBenchData(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bench")
	spec := benchSpec(400_000, 0, false)
	d, err := prepareBenchData(dir, spec, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	m := d.Manifest
	if d.Reused || m.Options.Files != benchMinFiles || len(d.Files()) != benchMinFiles {
		t.Fatalf("reused %v, %d files (%d listed), want a new data set of %d", d.Reused, m.Options.Files, len(d.Files()), benchMinFiles)
	}
	if m.Bytes < 300_000 || m.Bytes > 500_000 || m.UncompressedBytes != m.Bytes {
		t.Errorf("%d bytes (%d uncompressed), want about 400000", m.Bytes, m.UncompressedBytes)
	}
	if m.Expected.EventsSeen == 0 || m.Distinct.Sessions == 0 {
		t.Errorf("manifest without accounting: %+v", m)
	}

	again, err := prepareBenchData(dir, spec, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Reused || again.Manifest.Options != m.Options {
		t.Fatalf("second prepare: reused %v, options %+v, want the first's %+v", again.Reused, again.Manifest.Options, m.Options)
	}

	// Another number of files: other object names, the old ones removed.
	nine, err := prepareBenchData(dir, benchSpec(400_000, 9, false), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if nine.Reused {
		t.Fatal("data set of other options reused")
	}
	if others, err := foreignInputs(dir, map[string]bool{}); err != nil || len(others) != 9 {
		t.Errorf("after regenerating with 9 files the folder holds %d inputs (%v), want 9", len(others), err)
	}

	// A damaged object is noticed.
	if err := os.WriteFile(nine.Files()[0], []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if d, err := prepareBenchData(dir, benchSpec(400_000, 9, false), io.Discard); err != nil || d.Reused {
		t.Errorf("damaged data set: reused %v, err %v; want it generated again", d.Reused, err)
	}

	// Input that is not the bench's.
	if err := os.WriteFile(filepath.Join(dir, "mine.jsonl"), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = prepareBenchData(dir, benchSpec(400_000, 8, false), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "mine.jsonl") {
		t.Errorf("err = %v, want a refusal naming mine.jsonl", err)
	}
}

// TestPrepareBenchDataGzip: --gzip holds the same sessions as without,
// measured before compression.
func TestPrepareBenchDataGzip(t *testing.T) {
	plain, err := prepareBenchData(filepath.Join(t.TempDir(), "plain"), benchSpec(300_000, 0, false), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	gz, err := prepareBenchData(filepath.Join(t.TempDir(), "gz"), benchSpec(300_000, 0, true), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	p, g := plain.Manifest, gz.Manifest
	if g.Options.Sessions != p.Options.Sessions || g.Expected != p.Expected {
		t.Errorf("gzip: %d sessions %+v, plain: %d %+v", g.Options.Sessions, g.Expected, p.Options.Sessions, p.Expected)
	}
	if g.UncompressedBytes != p.Bytes || g.Bytes >= g.UncompressedBytes {
		t.Errorf("gzip: %d bytes holding %d, plain %d", g.Bytes, g.UncompressedBytes, p.Bytes)
	}
	if !strings.HasSuffix(gz.Files()[0], ".jsonl.gz") {
		t.Errorf("gzip object %s", gz.Files()[0])
	}
}

func TestBenchSizeLabel(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{{200_000_000, "200MB"}, {2_000_000_000, "2GB"}, {64 << 20, "64MiB"}, {1500, "1500"}, {500_000, "500kB"}} {
		if got := benchSizeLabel(tc.n); got != tc.want {
			t.Errorf("benchSizeLabel(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
