package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/clickstream-platform/clickstream/app"
	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/config"
	"github.com/clickstream-platform/clickstream/harness"
	"github.com/clickstream-platform/clickstream/sampledata"
	"github.com/clickstream-platform/clickstream/workflows"
)

// The three triggers (the Temporal UI's raw JSON input, a Temporal Schedule,
// a backfill) against the real dev server and DuckDB.

// contentDigests checksums the tables without the lineage columns: which
// copy of a duplicated session a table keeps (its source object and line)
// depends on the order its days were merged, its content does not.
func contentDigests(e *harness.Env) map[string]string {
	return e.Digests("run_id", "source_object", "source_line")
}

// sourceDays are the dt= days of the generated source, in order.
func sourceDays(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir("data/source")
	if err != nil {
		t.Fatal(err)
	}
	var days []string
	for _, e := range entries {
		if d, ok := strings.CutPrefix(e.Name(), "dt="); ok {
			days = append(days, d)
		}
	}
	return days
}

// TestBackfill: a three-day backfill, one day of which a run loaded before,
// ends with the same tables as one replace run over the three days; running
// the backfill again skips the days it completed, --rerun loads them again,
// and neither changes a row.
func TestBackfill(t *testing.T) {
	e, sum := e2eEnv(t, sampledata.Options{Files: 9, Sessions: 1500, Days: 3, Seed: 5, InvalidRate: 0.05, DuplicateRate: 0.1})
	days := sourceDays(t)
	if len(days) != 3 {
		t.Fatalf("generated days %v, want 3", days)
	}
	var one workflows.PipelineResult
	starterJSON(t, e, &one, "run", "--dev", "--json", "--mode", "merge", "--from", days[1])

	var bf workflows.BackfillResult
	starterJSON(t, e, &bf, "backfill", "--dev", "--json", "--from", days[0], "--to", days[2], "--parallel", "2")
	if len(bf.Days) != 3 {
		t.Fatalf("backfill days = %+v, want 3", bf.Days)
	}
	if bf.Accounting != sum.Expected {
		t.Errorf("backfill accounting = %+v\n generator = %+v", bf.Accounting, sum.Expected)
	}
	for i, d := range bf.Days {
		if d.Day != days[i] || d.Status != workflows.DayLoaded || d.Objects != 3 || d.WorkflowID != workflows.DayWorkflowID(bf.WorkflowID, d.Day) {
			t.Errorf("day %d = %+v, want %s loaded from 3 objects", i, d, days[i])
		}
	}
	for _, table := range clickstream.Tables() {
		if n := bf.Days[1].RowsAdded[table.Name]; n != 0 {
			t.Errorf("%s: the day loaded before added %d rows, want 0", table.Name, n)
		}
		if got, want := bf.RowsAdded[table.Name]+one.RowsAdded[table.Name], sum.Distinct().Rows()[table.Name]; got != want {
			t.Errorf("%s: run and backfill added %d rows, want the %d distinct rows", table.Name, got, want)
		}
	}
	backfilled := contentDigests(e)
	if *updateHistories {
		r := newHistoryRecorder(t, e.Client)
		r.save("backfill.json", bf.WorkflowID, r.latest(bf.WorkflowID))
		r.save("backfill_day.json", bf.Days[0].WorkflowID, r.latest(bf.Days[0].WorkflowID))
		r.writeIndex()
	}

	var again workflows.BackfillResult
	starterJSON(t, e, &again, "backfill", "--dev", "--json", "--from", days[0], "--to", days[2])
	for _, d := range again.Days {
		if d.Status != workflows.DayAlreadyDone {
			t.Errorf("backfill again: day %s is %s, want %s", d.Day, d.Status, workflows.DayAlreadyDone)
		}
	}
	var rerun workflows.BackfillResult
	starterJSON(t, e, &rerun, "backfill", "--dev", "--json", "--rerun", "--from", days[0], "--to", days[2])
	for _, d := range rerun.Days {
		if d.Status != workflows.DayLoaded {
			t.Errorf("backfill --rerun: day %s is %s, want %s", d.Day, d.Status, workflows.DayLoaded)
		}
	}
	for table, n := range rerun.RowsAdded {
		if n != 0 {
			t.Errorf("backfill --rerun added %d rows to %s, want 0", n, table)
		}
	}
	if got := contentDigests(e); !maps.Equal(got, backfilled) {
		t.Errorf("running the backfill again changed the tables:\n%v\n%v", got, backfilled)
	}

	var replace workflows.PipelineResult
	starterJSON(t, e, &replace, "run", "--dev", "--json", "--mode", "replace")
	if replace.Accounting != sum.Expected {
		t.Errorf("replace accounting = %+v", replace.Accounting)
	}
	if got := contentDigests(e); !maps.Equal(got, backfilled) {
		t.Errorf("one replace run over the three days gives other tables than the backfill:\nreplace  %v\nbackfill %v", got, backfilled)
	}
}

// TestScheduleTrigger: a schedule's run triggered by hand loads the dt=
// folder of the day before its scheduled time, and only it, in merge mode;
// the schedule commands pause, unpause, describe, list and delete it.
func TestScheduleTrigger(t *testing.T) {
	today := time.Now().UTC()
	e, _ := e2eEnv(t, sampledata.Options{Files: 6, Sessions: 900, Days: 3, Seed: 8, Start: today.AddDate(0, 0, -2)})
	e.StartWorker()
	name := fmt.Sprintf("e2e-%d-%d", os.Getpid(), queues.Add(1))
	// One day of lookback: the run then reads the day before, and only it.
	starterJSON(t, e, nil, "schedule", "create", name, "--cron", "0 0 1 1 *", "--lookback-days", "1", "--note", "from the test")
	t.Cleanup(func() { starterJSON(t, e, nil, "schedule", "delete", name) })

	starterJSON(t, e, nil, "schedule", "pause", name, "--note", "paused by the test")
	var desc struct {
		Input         *workflows.PipelineInput `json:"input"`
		Paused        bool                     `json:"paused"`
		Note          string                   `json:"note"`
		Overlap       string                   `json:"overlap"`
		CatchupWindow string                   `json:"catchup_window"`
		Actions       int                      `json:"actions"`
		Recent        []struct {
			WorkflowID string `json:"workflow_id"`
		} `json:"recent"`
	}
	starterJSON(t, e, &desc, "schedule", "describe", name, "--json")
	if !desc.Paused || desc.Note != "paused by the test" || desc.Overlap != "skip" || desc.CatchupWindow != "24h0m0s" ||
		desc.Input == nil || desc.Input.Mode != "merge" || !desc.Input.OnlyNew || desc.Input.Scheduled == nil || desc.Input.Scheduled.OffsetDays != -1 {
		t.Fatalf("describe after pause = %+v", desc)
	}
	starterJSON(t, e, nil, "schedule", "unpause", name)

	before := time.Now().UTC()
	var res workflows.PipelineResult
	starterJSON(t, e, &res, "schedule", "trigger", name, "--wait", "--json")
	after := time.Now().UTC()
	if want := []string{clickstream.DayOf(before, -1), clickstream.DayOf(after, -1)}; !slices.Contains(want, res.From) || res.To != res.From {
		t.Fatalf("the triggered run read %s to %s, want the day before the trigger, %s", res.From, res.To, want[0])
	}
	if !strings.HasPrefix(res.WorkflowID, "clickstream-scheduled-"+name+"-") || res.Mode != "merge" {
		t.Errorf("triggered run %s in mode %s", res.WorkflowID, res.Mode)
	}
	dir := filepath.Join("data", "source", "dt="+res.From)
	files, err := os.ReadDir(dir)
	if err != nil || len(files) == 0 || res.Objects != len(files) {
		t.Fatalf("the run read %d objects, %s holds %d (%v)", res.Objects, dir, len(files), err)
	}
	var outside []map[string]any
	starterJSON(t, e, &outside, "query", "--json", fmt.Sprintf(
		"SELECT count(*) FILTER (WHERE source_object NOT LIKE '%%/dt=%s/%%') AS outside, count(*) AS n FROM clickstream_dw.sessions", res.From))
	if len(outside) != 1 || fmt.Sprint(outside[0]["outside"]) != "0" || fmt.Sprint(outside[0]["n"]) == "0" {
		t.Errorf("sessions by partition: %v, want rows from dt=%s only", outside, res.From)
	}
	if res.RowsAdded[clickstream.SessionsTable] == 0 {
		t.Errorf("the scheduled run added no sessions: %+v", res.RowsAdded)
	}

	// The same day again, as a replace run over it, gives the same tables.
	scheduled := contentDigests(e)
	starterJSON(t, e, nil, "run", "--dev", "--json", "--mode", "replace", "--from", res.From)
	if got := contentDigests(e); !maps.Equal(got, scheduled) {
		t.Errorf("the scheduled run's tables differ from a replace run of dt=%s:\n%v\n%v", res.From, scheduled, got)
	}

	var list []struct {
		ID     string `json:"id"`
		Paused bool   `json:"paused"`
	}
	starterJSON(t, e, &list, "schedule", "list", "--json")
	if !slices.ContainsFunc(list, func(e struct {
		ID     string `json:"id"`
		Paused bool   `json:"paused"`
	}) bool {
		return e.ID == name && !e.Paused
	}) {
		t.Errorf("schedule list = %+v, want %s active", list, name)
	}
	starterJSON(t, e, &desc, "schedule", "describe", name, "--json")
	if desc.Actions != 1 || len(desc.Recent) != 1 || desc.Recent[0].WorkflowID != res.WorkflowID {
		t.Errorf("describe after the trigger = %+v", desc)
	}
}

// TestUIInputs starts the workflows as the Temporal UI does, with raw JSON
// input: `{}` runs the pipeline with the workers' configuration, the
// documented inputs run a day and a backfill; the runs carry their source,
// mode and days as memo and search attributes and answer the progress query.
func TestUIInputs(t *testing.T) {
	e, sum := e2eEnv(t, sampledata.Options{Files: 3, Sessions: 300, Days: 3, Seed: 3})
	e.StartWorker()
	c, queue := e.Client, e.Vars["CLICKSTREAM_TEMPORAL_TASK_QUEUE"]
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := func(id, workflow, input string) client.WorkflowRun {
		t.Helper()
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue}, workflow, json.RawMessage(input))
		if err != nil {
			t.Fatal(err)
		}
		return run
	}
	prefix := fmt.Sprintf("ui-%d-%d", os.Getpid(), queues.Add(1))

	var res workflows.PipelineResult
	if err := start(prefix+"-all", "PipelineWorkflow", `{}`).Get(ctx, &res); err != nil {
		t.Fatal(err)
	}
	if res.Accounting != sum.Expected || res.Mode != "replace" || res.Source != "data/source" {
		t.Errorf("{} ran %s of %s: %+v", res.Mode, res.Source, res.Accounting)
	}
	v, err := c.QueryWorkflow(ctx, prefix+"-all", "", workflows.ProgressQuery)
	if err != nil {
		t.Fatal(err)
	}
	var p workflows.Progress
	if err := v.Get(&p); err != nil || p.Phase != "done" || p.ObjectsDone != 3 {
		t.Errorf("progress after the run = %+v (%v)", p, err)
	}

	day := sourceDays(t)[1]
	var dayRes workflows.PipelineResult
	if err := start(prefix+"-day", "PipelineWorkflow", fmt.Sprintf(`{"mode": "merge", "from": %q}`, day)).Get(ctx, &dayRes); err != nil {
		t.Fatal(err)
	}
	if dayRes.From != day || dayRes.To != day || dayRes.Objects != 1 {
		t.Errorf("a day's run read %d objects of %s to %s, want 1 of %s", dayRes.Objects, dayRes.From, dayRes.To, day)
	}
	d, err := c.DescribeWorkflowExecution(ctx, prefix+"-day", "")
	if err != nil {
		t.Fatal(err)
	}
	var status struct {
		Memo map[string]any `json:"memo"`
	}
	starterJSON(t, e, &status, "status", prefix+"-day", "--json")
	memo := status.Memo
	if memo["mode"] != "merge" || memo["from"] != day || memo["to"] != day || memo["source"] != "data/source" {
		t.Errorf("memo = %v", memo)
	}
	sa := d.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()
	for _, k := range workflows.SearchAttributes() {
		if _, ok := sa[k.GetName()]; !ok {
			t.Errorf("search attribute %s not set: %v", k.GetName(), sa)
		}
	}
	// Visibility is eventually consistent: the run is found by its
	// attributes once the server has indexed it. (The runs covering a day,
	// as README shows: on the dev server's SQLite an equality or <= on a
	// Datetime attribute misses equal values.)
	next, _ := clickstream.ParseDay(day)
	query := fmt.Sprintf("ClickstreamMode = 'merge' AND ClickstreamFrom < '%s' AND ClickstreamTo >= '%sT00:00:00Z' AND WorkflowId = '%s-day'",
		next.AddDate(0, 0, 1).Format(time.RFC3339), day, prefix)
	for {
		l, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: config.Default().Temporal.Namespace, Query: query})
		if err != nil {
			t.Fatalf("listing with %q: %v", query, err)
		}
		if len(l.GetExecutions()) == 1 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no run found with %q", query)
		case <-time.After(100 * time.Millisecond):
		}
	}

	var bf workflows.BackfillResult
	input := fmt.Sprintf(`{"from": %q, "to": %q}`, sourceDays(t)[0], sourceDays(t)[2])
	if err := start(prefix+"-backfill", "BackfillWorkflow", input).Get(ctx, &bf); err != nil {
		t.Fatal(err)
	}
	if len(bf.Days) != 3 || bf.Accounting != sum.Expected {
		t.Errorf("backfill from the UI: %d days, %+v", len(bf.Days), bf.Accounting)
	}

	var rec map[string]any
	if err := start(prefix+"-recreate", "RecreateTablesWorkflow", `{}`).Get(ctx, &rec); err != nil {
		t.Fatal(err)
	}

	// A bad input fails at once, naming what is wrong.
	err = start(prefix+"-bad", "BackfillWorkflow", `{"from": "2024-02-01", "to": "2024-01-30"}`).Get(ctx, nil)
	if err == nil || !strings.Contains(err.Error(), "after") || !strings.Contains(app.RootCause(err), "ConfigError") {
		t.Errorf("backfill with from after to: %v", err)
	}
	d, err = c.DescribeWorkflowExecution(ctx, prefix+"-bad", "")
	if err != nil || d.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_FAILED {
		t.Errorf("the bad backfill is %v (%v), want failed", d.GetWorkflowExecutionInfo().GetStatus(), err)
	}
}
