package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/harness"
	"github.com/clickstream-platform/clickstream/sampledata"
)

// TestBench runs `bench --size 2MB --pairs 1 --json` as a process (so that
// the reference runs as `bench reference`, and the worker built beside it
// is the one it runs) against a dev server of the test's, and checks its
// figures: both sides measured, the ratio theirs, the pipeline's steps, the
// accounting the generator's, and, on clean input without duplicates, the
// reference's tables holding as many rows as the pipeline's.
func TestBench(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: needs the Temporal dev server")
	}
	if runtime.GOOS != "linux" {
		t.Skip("peak RSS is read from /proc")
	}
	e := harness.NewEnv(t, harness.EnvOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	binDir := t.TempDir()
	bins, err := harness.Build(ctx, binDir, "bench", "worker")
	if err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(t.TempDir(), "bench")
	cmd := e.Command(ctx, bins[0], "--size", "2MB", "--pairs", "1", "--json",
		"--invalid-rate", "0", "--duplicate-rate", "0", "--data", dataDir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("bench: %v\n%s", err, stderr.String())
	}
	var rep benchReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("decoding %s: %v", stdout.String(), err)
	}
	if rep.Setup.Worker != bins[1] {
		t.Errorf("bench ran the worker %s, want the one beside it", rep.Setup.Worker)
	}
	if rep.Setup.Server != "existing" || rep.Setup.Temporal != e.Server.Address() {
		t.Errorf("bench used server %s (%s), want the test's at %s", rep.Setup.Temporal, rep.Setup.Server, e.Server.Address())
	}
	ref, pipe := rep.Reference.Median, rep.Pipeline.Median
	if len(rep.Reference.Runs) != 1 || len(rep.Pipeline.Runs) != 1 {
		t.Fatalf("%d reference and %d pipeline runs, want 1 each", len(rep.Reference.Runs), len(rep.Pipeline.Runs))
	}
	if ref.WallS <= 0 || pipe.WallS <= 0 {
		t.Fatalf("median walls: reference %v s, pipeline %v s", ref.WallS, pipe.WallS)
	}
	if want := pipe.WallS / ref.WallS; math.Abs(rep.Ratio-want) > 1e-9*want {
		t.Errorf("ratio %v, want %v / %v = %v", rep.Ratio, pipe.WallS, ref.WallS, want)
	}
	if ref.MBPerS <= 0 || pipe.MBPerS <= 0 || ref.EventsPS <= 0 || pipe.EventsPS <= 0 {
		t.Errorf("MB/s %v and %v, events/s %v and %v: want all > 0", ref.MBPerS, pipe.MBPerS, ref.EventsPS, pipe.EventsPS)
	}
	if ref.PeakRSSMB <= 0 || pipe.PeakRSSMB <= 0 {
		t.Errorf("peak RSS: reference %v MB, pipeline %v MB", ref.PeakRSSMB, pipe.PeakRSSMB)
	}
	// The step peaks are samples within the run's, so at most its peak.
	if pipe.TransformRSSMB <= 0 || pipe.LoadRSSMB <= 0 || pipe.TransformRSSMB > pipe.PeakRSSMB || pipe.LoadRSSMB > pipe.PeakRSSMB {
		t.Errorf("peak RSS: transform %v MB, load %v MB, run %v MB", pipe.TransformRSSMB, pipe.LoadRSSMB, pipe.PeakRSSMB)
	}
	run := rep.Pipeline.Runs[0]
	s := run.Steps
	if s == nil {
		t.Fatal("the pipeline run has no steps")
	}
	if s.List <= 0 || s.Transform <= 0 || s.Load <= 0 || s.Transforms < 1 || s.Loads != len(clickstream.TablesFor(clickstream.SessionsInput)) {
		t.Errorf("steps %+v: want list, transform and load > 0, a transform, a load per table", *s)
	}
	if s.Orchestration < 0 || s.Orchestration >= run.WallS || s.Workflow > run.WallS {
		t.Errorf("orchestration %v s, workflow %v s, wall %v s", s.Orchestration, s.Workflow, run.WallS)
	}
	if math.Abs(s.OrchestrationShare-s.Orchestration/run.WallS) > 1e-9 {
		t.Errorf("orchestration share %v, want %v / %v", s.OrchestrationShare, s.Orchestration, run.WallS)
	}

	// The generator's own accounting for the options the bench recorded.
	opts := rep.Data.Options.sampledata()
	sum, err := sampledata.WriteObjects(opts, func(string) (io.WriteCloser, error) { return discardCloser{}, nil })
	if err != nil {
		t.Fatal(err)
	}
	if run.Accounting == nil || run.Accounting.EventsSeen != sum.Expected.EventsSeen || *run.Accounting != sum.Expected {
		t.Errorf("pipeline accounting %+v, generator %+v", run.Accounting, sum.Expected)
	}
	if rep.Data.Expected != sum.Expected || rep.Data.Bytes != sum.Bytes {
		t.Errorf("data: %+v, %d bytes; generator %+v, %d bytes", rep.Data.Expected, rep.Data.Bytes, sum.Expected, sum.Bytes)
	}
	for _, table := range clickstream.TablesFor(clickstream.SessionsInput) {
		r, p := rep.Reference.Runs[0].Rows[table.Name], run.Rows[table.Name]
		if r == 0 || r != p {
			t.Errorf("%s: reference %d rows, pipeline %d", table.Name, r, p)
		}
	}
	for _, c := range rep.Checks {
		if !c.OK {
			t.Errorf("check %s failed: %s", c.Name, c.Says)
		}
	}
	if len(rep.Targets) != 5 {
		t.Errorf("targets %+v, want ratio, populated, load/floor, orchestration and peak RSS", rep.Targets)
	}
	// A second run replaced the same data in the populated warehouse, and
	// the floor wrote the fresh run's tables.
	if len(rep.Populated.Runs) != 1 || len(rep.Floor) != 1 {
		t.Fatalf("%d populated runs and %d floors, want 1 each", len(rep.Populated.Runs), len(rep.Floor))
	}
	if f := rep.Floor[0]; f.Seconds <= 0 || f.Seconds < f.CheckpointSeconds {
		t.Errorf("floor %+v", f)
	}
	if want := s.Load / rep.Floor[0].Seconds; math.Abs(rep.LoadFloorRatio-want) > 1e-9*want {
		t.Errorf("load/floor %v, want %v", rep.LoadFloorRatio, want)
	}
	// The floor also wrote the fresh run's staged Parquet files (its rows
	// are checked above, with the other checks).
	if st := rep.Floor[0].Staged; st == nil || st.Seconds <= 0 || len(st.Tables) != len(clickstream.TablesFor(clickstream.SessionsInput)) {
		t.Errorf("staged floor %+v, want every table written", st)
	} else if want := s.Load / st.Seconds; math.Abs(rep.LoadStagedRatio-want) > 1e-9*want {
		t.Errorf("load/staged floor %v, want %v", rep.LoadStagedRatio, want)
	}
	if want := rep.Populated.Runs[0].WallS / run.WallS; math.Abs(rep.PopulatedRatio-want) > 1e-9*want {
		t.Errorf("populated/fresh %v, want %v", rep.PopulatedRatio, want)
	}
	if ref.ModelsS <= 0 || ref.ModelsS >= ref.WallS {
		t.Errorf("the reference's models took %v s of %v s", ref.ModelsS, ref.WallS)
	}
	if _, err := os.Stat(filepath.Join(dataDir, benchManifestName)); err != nil {
		t.Errorf("no manifest beside the data set: %v", err)
	}
}

// TestBenchFlagErrors: bad flags fail at once, naming the flag.
func TestBenchFlagErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name        string
		args        []string
		errContains string
	}{
		{"size not a size", []string{"--size", "lots"}, `--size: invalid size "lots"`},
		{"size unit", []string{"--size", "5XB"}, `unknown unit "XB"`},
		{"size too small", []string{"--size", "10kB"}, "--size must be at least 100.0 kB"},
		{"no pairs", []string{"--pairs", "0"}, "--pairs must be at least 1, got 0"},
		{"negative objects", []string{"--objects", "-2"}, "--objects must be at least 1"},
		{"sessions per object without objects", []string{"--sessions-per-object", "10"}, "--sessions-per-object needs --objects"},
		{"sessions per object and size", []string{"--objects", "5", "--sessions-per-object", "10", "--size", "1MB"}, "give one"},
		{"no days", []string{"--days", "0"}, "--days must be at least 1"},
		{"bad rate", []string{"--invalid-rate", "2"}, "invalid-rate: must be between 0 and 1"},
		{"pairs not a number", []string{"--pairs", "x"}, `invalid argument "x" for "--pairs"`},
		{"unwritable data", []string{"--size", "200kB", "--data", filepath.Join(file, "bench")}, "--data " + filepath.Join(file, "bench")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := newRootCmd()
			cmd.SetOut(io.Discard)
			cmd.SetErr(io.Discard)
			cmd.SetArgs(tc.args)
			err := cmd.ExecuteContext(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.errContains) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.errContains)
			}
		})
	}
}
