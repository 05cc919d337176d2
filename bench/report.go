package main

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/config"
	"github.com/clickstream-platform/clickstream/sampledata"
)

// The targets the bench reports each figure against.
const (
	targetRatio         = 0.8  // pipeline wall into a fresh warehouse / reference wall, at most
	targetPopulated     = 1.1  // pipeline wall replacing into a populated warehouse / into a fresh one, at most
	targetLoadFloor     = 1.3  // the load step / the engine's floor, at most
	targetOrchestration = 0.05 // share of the pipeline's wall time, at most
	targetPeakRSSMB     = 300  // the worker's peak resident memory while transforming, MB, at most
	targetScaling       = 4.2  // time at 4× the input over time at 1×, at most
)

// benchReport is the contract of `bench --json`.
type benchReport struct {
	Data      benchDataReport `json:"data"`
	Setup     benchSetup      `json:"setup"`
	Reference benchSide       `json:"reference"`
	// Pipeline is the runs into a fresh warehouse (its tables emptied
	// before each), Populated the runs replacing the same data in a
	// warehouse that holds it.
	Pipeline  benchSide `json:"pipeline"`
	Populated benchSide `json:"populated"`
	// Floor is DuckDB writing the fresh runs' tables from memory, once a
	// pair.
	Floor []floorResult `json:"floor"`
	// Ratio is median(pipeline wall_s) / median(reference wall_s);
	// PopulatedRatio median(populated wall_s) / median(pipeline wall_s);
	// LoadFloorRatio median(pipeline load_s) / median(floor_s).
	Ratio          float64 `json:"ratio"`
	PopulatedRatio float64 `json:"populated_ratio"`
	LoadFloorRatio float64 `json:"load_floor_ratio"`
	// LoadStagedRatio is median(pipeline load_s) / median(the staged
	// floors' floor_s): the load against DuckDB writing the same staged
	// files with no dedup or checks. Not a target; 0 without Parquet.
	LoadStagedRatio float64       `json:"load_staged_floor_ratio,omitempty"`
	Targets         []benchTarget `json:"targets"`
	Checks          []benchCheck  `json:"checks"`
	Scaling         *benchScaling `json:"scaling,omitempty"`
}

type benchDataReport struct {
	Dir    string `json:"dir"`
	Reused bool   `json:"reused"`
	// Size is --size; Bytes what the objects take on disk (gzipped with
	// --gzip) and UncompressedBytes the JSONL they hold, which MB/s count.
	Size              int64               `json:"size"`
	Bytes             int64               `json:"bytes"`
	UncompressedBytes int64               `json:"uncompressed_bytes"`
	Options           benchGenOptions     `json:"options"`
	Expected          clickstream.Counts  `json:"expected"`
	Distinct          sampledata.Distinct `json:"distinct"`
}

func newBenchDataReport(d benchData) benchDataReport {
	m := d.Manifest
	size := m.Size
	if size == 0 { // --sessions-per-object: the shape was given, not a size
		size = m.UncompressedBytes
	}
	return benchDataReport{Dir: d.Dir, Reused: d.Reused, Size: size, Bytes: m.Bytes, UncompressedBytes: m.UncompressedBytes,
		Options: m.Options, Expected: m.Expected, Distinct: m.Distinct}
}

type benchSetup struct {
	Pairs     int     `json:"pairs"`
	CPUs      int     `json:"cpus"`
	OS        string  `json:"os"`
	Temporal  string  `json:"temporal"` // the frontend's address
	Server    string  `json:"server"`   // "embedded" (started by the bench) or "existing"
	Worker    string  `json:"worker"`   // the worker binary
	TaskQueue string  `json:"task_queue"`
	DuckDB    string  `json:"duckdb"` // the reference's DuckDB version
	Threads   int64   `json:"duckdb_threads"`
	WarmUpS   float64 `json:"warm_up_s"`
	// StagingFormat is the staged files' format of the pipeline runs.
	StagingFormat string `json:"staging_format"`
}

// benchRun is one run's figures. MB/s count the input's JSONL bytes
// (before compression), events/s the events_seen of the accounting.
type benchRun struct {
	Pair      int     `json:"pair"`
	WallS     float64 `json:"wall_s"`
	MBPerS    float64 `json:"mb_s"`
	EventsPS  float64 `json:"events_s"`
	PeakRSSMB float64 `json:"peak_rss_mb"`
	// The pipeline's: the worker's largest VmRSS sample while Transform
	// activities ran (first start to last end), and while Loads ran.
	TransformRSSMB float64 `json:"transform_peak_rss_mb,omitempty"`
	LoadRSSMB      float64 `json:"load_peak_rss_mb,omitempty"`
	// The reference's: its whole process life, and closing its database
	// after the commit (neither counts in wall_s).
	ProcessS float64 `json:"process_s,omitempty"`
	CloseS   float64 `json:"close_s,omitempty"`
	// The reference's: deriving the models' tables, part of wall_s.
	ModelsS float64 `json:"models_s,omitempty"`
	// The pipeline's: VmHWM of the worker at the run's end (the worker's
	// peak since it started, warm-up and earlier runs included).
	VmHWMMB    float64             `json:"vm_hwm_mb,omitempty"`
	Steps      *benchSteps         `json:"steps,omitempty"`
	WorkflowID string              `json:"workflow_id,omitempty"`
	Batches    int                 `json:"batches,omitempty"`
	Accounting *clickstream.Counts `json:"accounting,omitempty"`
	Rows       map[string]int64    `json:"rows"`
}

// benchSide is the runs of the reference or of the pipeline and their
// medians, field by field.
type benchSide struct {
	Runs   []benchRun `json:"runs"`
	Median benchRun   `json:"median"`
}

type benchTarget struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Target float64 `json:"target"` // the value must be at most this
	Met    bool    `json:"met"`
	Says   string  `json:"says"`
}

type benchCheck struct {
	Name string `json:"name"`
	OK   bool   `json:"ok"`
	Says string `json:"says"`
}

type benchScaling struct {
	Size       int64      `json:"size"` // 4 × --size
	Dir        string     `json:"dir"`
	Runs       []benchRun `json:"runs"`
	MedianS    float64    `json:"median_wall_s"`
	BaseS      float64    `json:"base_median_wall_s"`
	InputRatio float64    `json:"input_ratio"` // JSONL bytes at 4× over at 1×
	Ratio      float64    `json:"ratio"`       // MedianS / BaseS
	// Expected is the generator's accounting of the 4× data set.
	Expected clickstream.Counts `json:"expected"`
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// medianOf returns the median of f over runs.
func medianOf(runs []benchRun, f func(benchRun) float64) float64 {
	xs := make([]float64, len(runs))
	for i, r := range runs {
		xs[i] = f(r)
	}
	return median(xs)
}

// medianRun is the runs' median, field by field (rows and accounting of
// the first run, which all runs share).
func medianRun(runs []benchRun) benchRun {
	if len(runs) == 0 {
		return benchRun{}
	}
	m := benchRun{
		WallS:          medianOf(runs, func(r benchRun) float64 { return r.WallS }),
		MBPerS:         medianOf(runs, func(r benchRun) float64 { return r.MBPerS }),
		EventsPS:       medianOf(runs, func(r benchRun) float64 { return r.EventsPS }),
		PeakRSSMB:      medianOf(runs, func(r benchRun) float64 { return r.PeakRSSMB }),
		ProcessS:       medianOf(runs, func(r benchRun) float64 { return r.ProcessS }),
		CloseS:         medianOf(runs, func(r benchRun) float64 { return r.CloseS }),
		ModelsS:        medianOf(runs, func(r benchRun) float64 { return r.ModelsS }),
		VmHWMMB:        medianOf(runs, func(r benchRun) float64 { return r.VmHWMMB }),
		TransformRSSMB: medianOf(runs, func(r benchRun) float64 { return r.TransformRSSMB }),
		LoadRSSMB:      medianOf(runs, func(r benchRun) float64 { return r.LoadRSSMB }),
		Batches:        runs[0].Batches, Accounting: runs[0].Accounting, Rows: runs[0].Rows,
	}
	if runs[0].Steps != nil {
		st := func(f func(s *benchSteps) float64) float64 {
			return medianOf(runs, func(r benchRun) float64 { return f(r.Steps) })
		}
		m.Steps = &benchSteps{
			Workflow:           st(func(s *benchSteps) float64 { return s.Workflow }),
			Plan:               st(func(s *benchSteps) float64 { return s.Plan }),
			List:               st(func(s *benchSteps) float64 { return s.List }),
			Transform:          st(func(s *benchSteps) float64 { return s.Transform }),
			Load:               st(func(s *benchSteps) float64 { return s.Load }),
			Models:             st(func(s *benchSteps) float64 { return s.Models }),
			Reconcile:          st(func(s *benchSteps) float64 { return s.Reconcile }),
			Activities:         st(func(s *benchSteps) float64 { return s.Activities }),
			Orchestration:      st(func(s *benchSteps) float64 { return s.Orchestration }),
			OrchestrationShare: st(func(s *benchSteps) float64 { return s.OrchestrationShare }),
			Executions:         runs[0].Steps.Executions,
			Transforms:         runs[0].Steps.Transforms,
			Loads:              runs[0].Steps.Loads,
		}
	}
	return m
}

// finish computes the medians, the ratio, the targets and the checks.
func (r *benchReport) finish() {
	r.Reference.Median = medianRun(r.Reference.Runs)
	r.Pipeline.Median = medianRun(r.Pipeline.Runs)
	r.Populated.Median = medianRun(r.Populated.Runs)
	if r.Reference.Median.WallS > 0 {
		r.Ratio = r.Pipeline.Median.WallS / r.Reference.Median.WallS
	}
	if r.Pipeline.Median.WallS > 0 {
		r.PopulatedRatio = r.Populated.Median.WallS / r.Pipeline.Median.WallS
	}
	floors := make([]float64, len(r.Floor))
	for i, f := range r.Floor {
		floors[i] = f.Seconds
	}
	floor := median(floors)
	if s := r.Pipeline.Median.Steps; s != nil && floor > 0 {
		r.LoadFloorRatio = s.Load / floor
	}
	var stagedFloors []float64
	for _, f := range r.Floor {
		if f.Staged != nil {
			stagedFloors = append(stagedFloors, f.Staged.Seconds)
		}
	}
	if s := r.Pipeline.Median.Steps; s != nil && len(stagedFloors) > 0 {
		r.LoadStagedRatio = s.Load / median(stagedFloors)
	}
	peak := 0.0
	for _, run := range r.Pipeline.Runs {
		peak = max(peak, run.TransformRSSMB)
	}
	share := 0.0
	if s := r.Pipeline.Median.Steps; s != nil {
		share = s.OrchestrationShare
	}
	load := 0.0
	if s := r.Pipeline.Median.Steps; s != nil {
		load = s.Load
	}
	r.Targets = []benchTarget{
		newTarget("ratio", r.Ratio, targetRatio,
			fmt.Sprintf("median pipeline wall into a fresh warehouse %.2f s / median reference wall %.2f s", r.Pipeline.Median.WallS, r.Reference.Median.WallS)),
		newTarget("populated_ratio", r.PopulatedRatio, targetPopulated,
			fmt.Sprintf("median wall of a replace into the populated warehouse %.2f s / into a fresh one %.2f s", r.Populated.Median.WallS, r.Pipeline.Median.WallS)),
		newTarget("load_floor_ratio", r.LoadFloorRatio, targetLoadFloor,
			fmt.Sprintf("median load step into a fresh warehouse %.2f s / median floor %.2f s (DuckDB writing the same five tables from memory)", load, floor)),
		newTarget("orchestration_share", share, targetOrchestration,
			"median share of the pipeline's wall time during which no activity executed"),
		newTarget("transform_peak_rss_mb", peak, targetPeakRSSMB,
			"the worker's largest VmRSS sample (every 50 ms) while its Transform activities ran, over the pipeline runs, MB"),
	}
	if s := r.Scaling; s != nil {
		r.Targets = append(r.Targets, newTarget("scaling", s.Ratio, targetScaling,
			fmt.Sprintf("median pipeline wall at %s / at %s (input ×%.2f)", benchSizeLabel(s.Size), benchSizeLabel(r.Data.Size), s.InputRatio)))
	}
	r.Checks = r.checks()
}

func newTarget(name string, v, target float64, says string) benchTarget {
	return benchTarget{Name: name, Value: v, Target: target, Met: v <= target, Says: says}
}

// checks compares what the two sides produced: the pipeline's accounting
// with the generator's, its rows with the generator's distinct rows, and
// (without invalid input, which the reference does not reject) the
// reference's rows with the pipeline's staged rows, which are all valid
// sessions and events before dedup, as the reference's are.
func (r *benchReport) checks() []benchCheck {
	var out []benchCheck
	want := r.Data.Expected
	distinct := r.Data.Distinct.Rows()
	staged := map[string]int64{clickstream.VisitsTable: want.SessionsValid, clickstream.SessionsTable: want.SessionsValid,
		clickstream.PageviewsTable: want.Pageviews, clickstream.AddtocartsTable: want.Addtocarts, clickstream.PurchasesTable: want.Purchases}
	out = append(out, compareAccounting("pipeline_accounting", r.Pipeline.Runs, want))
	if s := r.Scaling; s != nil {
		out = append(out, compareAccounting("scaling_accounting", s.Runs, s.Expected))
	}
	out = append(out, compareAccounting("populated_accounting", r.Populated.Runs, want))
	out = append(out, compareRows("pipeline_rows", "pipeline", "distinct rows of the generator", r.Pipeline.Runs, distinct))
	out = append(out, compareRows("populated_rows", "populated", "distinct rows of the generator", r.Populated.Runs, distinct))
	floorOK := benchCheck{"floor_rows", true, "every floor wrote the pipeline's rows"}
	for i, f := range r.Floor {
		for _, t := range clickstream.TablesFor(clickstream.SessionsInput) {
			if i < len(r.Pipeline.Runs) && f.Rows[t.Name] != r.Pipeline.Runs[i].Rows[t.Name] {
				floorOK = benchCheck{"floor_rows", false, fmt.Sprintf("floor %d: %s has %d rows, the pipeline's %d", i+1, t.Name, f.Rows[t.Name], r.Pipeline.Runs[i].Rows[t.Name])}
			}
		}
	}
	out = append(out, floorOK)
	stagedOK := benchCheck{"staged_floor_rows", true, "every staged floor wrote the staged rows (valid sessions and events, before dedup)"}
	for i, f := range r.Floor {
		if f.Staged == nil {
			continue
		}
		for _, t := range clickstream.TablesFor(clickstream.SessionsInput) {
			if f.Staged.Rows[t.Name] != staged[t.Name] {
				stagedOK = benchCheck{"staged_floor_rows", false, fmt.Sprintf("staged floor %d: %s has %d rows, the staged %d", i+1, t.Name, f.Staged.Rows[t.Name], staged[t.Name])}
			}
		}
	}
	out = append(out, stagedOK)
	if r.Data.Options.InvalidRate == 0 {
		out = append(out, compareRows("reference_rows", "reference", "pipeline's staged rows (valid sessions and events, before dedup)", r.Reference.Runs, staged))
	}
	return out
}

func compareAccounting(name string, runs []benchRun, want clickstream.Counts) benchCheck {
	for _, run := range runs {
		if run.Accounting == nil || *run.Accounting != want {
			return benchCheck{name, false, fmt.Sprintf("pipeline run %d: accounting %+v, the generator's %+v", run.Pair, run.Accounting, want)}
		}
	}
	return benchCheck{name, true, "every pipeline run's accounting equals the generator's"}
}

func compareRows(name, side, what string, runs []benchRun, want map[string]int64) benchCheck {
	for _, run := range runs {
		for _, t := range clickstream.TablesFor(clickstream.SessionsInput) { // the bench reads session input
			if run.Rows[t.Name] != want[t.Name] {
				return benchCheck{name, false, fmt.Sprintf("%s run %d: %s has %d rows, the %s %d",
					side, run.Pair, t.Name, run.Rows[t.Name], what, want[t.Name])}
			}
		}
	}
	return benchCheck{name, true, fmt.Sprintf("every %s run's tables hold the %s", side, what)}
}

// print writes the report as tables for a person.
func (r *benchReport) print(w io.Writer) error {
	d := r.Data
	gz := ""
	if d.Options.Gzip {
		gz = fmt.Sprintf(" (%s gzipped)", config.ByteSize(d.Bytes).Decimal())
	}
	fmt.Fprintf(w, "Data: %s, %d objects, %s of JSONL%s, %d sessions, %d events\n",
		d.Dir, d.Options.Files, config.ByteSize(d.UncompressedBytes).Decimal(), gz, d.Expected.SessionsValid+d.Expected.SessionsRejected, d.Expected.EventsSeen)
	fmt.Fprintf(w, "Setup: %d CPUs, DuckDB %s with %d threads, worker %s, Temporal %s (%s), staged %s\n\n",
		r.Setup.CPUs, r.Setup.DuckDB, r.Setup.Threads, r.Setup.Worker, r.Setup.Temporal, r.Setup.Server, r.Setup.StagingFormat)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "run\twall s\tMB/s\tevents/s\tpeak RSS MB\tlist s\ttransform s\tRSS MB\tload s\tRSS MB\tmodels s\torchestration s\t%\t")
	row := func(label string, run benchRun) {
		fmt.Fprintf(tw, "%s\t%.2f\t%.1f\t%.0f\t%.0f\t", label, run.WallS, run.MBPerS, run.EventsPS, run.PeakRSSMB)
		if s := run.Steps; s != nil {
			fmt.Fprintf(tw, "%.3f\t%.2f\t%.0f\t%.2f\t%.0f\t%.2f\t%.2f\t%.1f\t\n", s.List, s.Transform, run.TransformRSSMB, s.Load, run.LoadRSSMB,
				s.Models, s.Orchestration, 100*s.OrchestrationShare)
		} else if run.ModelsS > 0 {
			fmt.Fprintf(tw, "\t\t\t\t\t%.2f\t\t\t\n", run.ModelsS)
		} else {
			fmt.Fprint(tw, "\t\t\t\t\t\t\t\t\n")
		}
	}
	for i := range r.Reference.Runs {
		row(fmt.Sprintf("reference %d", r.Reference.Runs[i].Pair), r.Reference.Runs[i])
		if i < len(r.Pipeline.Runs) {
			row(fmt.Sprintf("pipeline %d", r.Pipeline.Runs[i].Pair), r.Pipeline.Runs[i])
		}
		if i < len(r.Populated.Runs) {
			row(fmt.Sprintf("populated %d", r.Populated.Runs[i].Pair), r.Populated.Runs[i])
		}
	}
	row("median reference", r.Reference.Median)
	row("median pipeline", r.Pipeline.Median)
	if len(r.Populated.Runs) > 0 {
		row("median populated", r.Populated.Median)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for i, f := range r.Floor {
		fmt.Fprintf(w, "Floor %d: DuckDB writes the five tables from memory in %.2f s (", i+1, f.Seconds)
		for _, t := range clickstream.TablesFor(clickstream.SessionsInput) {
			fmt.Fprintf(w, "%s %.2f, ", t.Name, f.Tables[t.Name])
		}
		fmt.Fprintf(w, "checkpoint %.2f)\n", f.CheckpointSeconds)
		if st := f.Staged; st != nil {
			fmt.Fprintf(w, "  and from the run's staged Parquet files (read_parquet, every copy) in %.2f s (", st.Seconds)
			for _, t := range clickstream.TablesFor(clickstream.SessionsInput) {
				fmt.Fprintf(w, "%s %.2f, ", t.Name, st.Tables[t.Name])
			}
			fmt.Fprintf(w, "checkpoint %.2f)\n", st.Seconds-sumValues(st.Tables))
		}
	}
	if s := r.Scaling; s != nil {
		fmt.Fprintf(w, "\nScaling: the pipeline's median wall at %s (%s) is %.2f s over %d runs, at %s %.2f s: x%.2f for x%.2f input\n",
			benchSizeLabel(s.Size), s.Dir, s.MedianS, len(s.Runs), benchSizeLabel(d.Size), s.BaseS, s.Ratio, s.InputRatio)
	}
	fmt.Fprintf(w, "\nRatio pipeline/reference: %.2f; populated/fresh: %.2f; load/floor: %.2f", r.Ratio, r.PopulatedRatio, r.LoadFloorRatio)
	if r.LoadStagedRatio > 0 {
		fmt.Fprintf(w, "; load/staged floor: %.2f", r.LoadStagedRatio)
	}
	fmt.Fprint(w, "\n\nTargets:\n")
	for _, t := range r.Targets {
		met := "met"
		if !t.Met {
			met = "NOT met"
		}
		fmt.Fprintf(w, "  %-20s %8.3f  <= %-6g %-8s %s\n", t.Name, t.Value, t.Target, met, t.Says)
	}
	fmt.Fprintln(w, "\nChecks:")
	for _, c := range r.Checks {
		ok := "ok"
		if !c.OK {
			ok = "FAILED"
		}
		fmt.Fprintf(w, "  %-20s %-6s %s\n", c.Name, ok, c.Says)
	}
	return nil
}

func sumValues(m map[string]float64) float64 {
	var sum float64
	for _, v := range m {
		sum += v
	}
	return sum
}
