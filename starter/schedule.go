package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/clickstream-platform/clickstream/app"
	"github.com/clickstream-platform/clickstream/config"
	"github.com/clickstream-platform/clickstream/pipeline"
	"github.com/clickstream-platform/clickstream/workflows"
)

// overlapPolicies are the --overlap values, in the order help lists them.
var overlapPolicies = []struct {
	name   string
	policy enumspb.ScheduleOverlapPolicy
}{
	{"skip", enumspb.SCHEDULE_OVERLAP_POLICY_SKIP},
	{"buffer-one", enumspb.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE},
	{"buffer-all", enumspb.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL},
	{"cancel-other", enumspb.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER},
	{"terminate-other", enumspb.SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER},
	{"allow-all", enumspb.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL},
}

func parseOverlap(s string) (enumspb.ScheduleOverlapPolicy, error) {
	var names []string
	for _, o := range overlapPolicies {
		if o.name == s {
			return o.policy, nil
		}
		names = append(names, o.name)
	}
	return 0, fmt.Errorf("--overlap %q: want one of %s", s, strings.Join(names, ", "))
}

func overlapName(p enumspb.ScheduleOverlapPolicy) string {
	for _, o := range overlapPolicies {
		if o.policy == p {
			return o.name
		}
	}
	return "skip" // unspecified is the server's default, skip
}

func newScheduleCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schedule",
		Short: "Create and operate Temporal Schedules of the pipeline",
		Long: `A schedule starts PipelineWorkflow in merge mode on a cron or interval spec. Each run
processes the dt=YYYY-MM-DD/ folders of its own scheduled time (by default the day before
it, in UTC): a run that starts late, is caught up after an outage or is triggered by hand
still loads the day it was scheduled for, and merge makes a repeated day change nothing.

The schedules live in Temporal: they fire whether or not this command runs, as long as
a worker polls the task queue. They show in the Temporal UI under Schedules.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newScheduleCreateCmd(), newScheduleListCmd(), newScheduleDescribeCmd(),
		newSchedulePauseCmd(true), newSchedulePauseCmd(false), newScheduleTriggerCmd(), newScheduleDeleteCmd())
	return cmd
}

type scheduleCreateFlags struct {
	cron, timeZone, overlap, note string
	every, catchup, jitter        time.Duration
	offsetDays, days, lookback    int
	paused                        bool
}

func newScheduleCreateCmd() *cobra.Command {
	var fl scheduleCreateFlags
	cmd := &cobra.Command{
		Use:   "create NAME (--cron EXPR | --every DURATION)",
		Short: "Create a schedule",
		Long: `Create makes a schedule named NAME (its Temporal schedule id). Its runs are
PipelineWorkflow in merge mode with the id clickstream-scheduled-NAME-<scheduled time>.

Each run lists the dt= folders of --lookback-days days (default 3) ending --offset-days
from the UTC day of its scheduled time (default -1: yesterday), and loads the objects the
ledger does not hold at their generation: yesterday's files, a file that arrived late in
a folder of two days before, a file rewritten since. With --days N instead, each run
reads its N days whole (in merge mode). The overlap policy says
what happens when a run is due while the previous one still runs (default skip); the
catch-up window how late a run missed during an outage may still start (default 24h).`,
		Example: `  starter schedule create nightly --cron "0 2 * * *"
  starter schedule create hourly-today --every 1h --offset-days 0
  starter schedule create nightly --cron "30 3 * * *" --time-zone Europe/Paris --catchup-window 72h`,
		Args: exactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (fl.cron == "") == (fl.every == 0) {
				return errors.New("give exactly one of --cron EXPR (e.g. \"0 2 * * *\") or --every DURATION (e.g. 24h)")
			}
			if fl.every < 0 {
				return fmt.Errorf("--every must be positive, got %s", fl.every)
			}
			onlyNew, days := true, fl.lookback
			if cmd.Flags().Changed("days") {
				if cmd.Flags().Changed("lookback-days") {
					return errors.New("give --lookback-days (new objects of those days) or --days (those days whole), not both")
				}
				onlyNew, days = false, fl.days
			}
			if days < 1 {
				return fmt.Errorf("--lookback-days and --days must be at least 1, got %d", days)
			}
			overlap, err := parseOverlap(fl.overlap)
			if err != nil {
				return err
			}
			if fl.catchup < 10*time.Second {
				return fmt.Errorf("--catchup-window must be at least 10s (Temporal's minimum), got %s", fl.catchup)
			}
			if fl.timeZone != "" {
				if _, err := time.LoadLocation(fl.timeZone); err != nil {
					return fmt.Errorf("--time-zone: %w", err)
				}
			}
			cfg, err := loadConfig(cmd, map[string]string{"source": "source.uri"})
			if err != nil {
				return err
			}
			spec := client.ScheduleSpec{TimeZoneName: fl.timeZone, Jitter: fl.jitter}
			if fl.cron != "" {
				spec.CronExpressions = []string{fl.cron}
			} else {
				spec.Intervals = []client.ScheduleIntervalSpec{{Every: fl.every}}
			}
			name := args[0]
			return withClient(cmd, cfg, func(ctx context.Context, c client.Client) error {
				_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
					ID:   name,
					Spec: spec,
					Action: &client.ScheduleWorkflowAction{
						ID:        "clickstream-scheduled-" + name,
						Workflow:  workflows.PipelineWorkflow,
						TaskQueue: cfg.Temporal.TaskQueue,
						Args: []any{workflows.PipelineInput{Settings: pipeline.Settings{Source: cfg.Source.URI, Mode: "merge", OnlyNew: onlyNew},
							Scheduled: &workflows.ScheduledDays{OffsetDays: fl.offsetDays, Days: days}}},
					},
					Overlap:       overlap,
					CatchupWindow: fl.catchup,
					Paused:        fl.paused,
					Note:          fl.note,
				})
				if err != nil {
					var exists *serviceerror.AlreadyExists
					if errors.As(err, &exists) || strings.Contains(err.Error(), "already") {
						return fmt.Errorf("schedule %s already exists: 'starter schedule describe %s' shows it; delete it first to change it", name, name)
					}
					return fmt.Errorf("creating schedule %s: %w", name, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Created schedule %s: %s, reading %s, overlap %s, catch-up window %s.\n",
					name, describeSpec(&spec), daysDescription(fl.offsetDays, days, onlyNew), fl.overlap, fl.catchup)
				fmt.Fprintf(cmd.OutOrStdout(), "Show it: starter schedule describe %s; run it now: starter schedule trigger %s --wait\n", name, name)
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&fl.cron, "cron", "", `cron expression, e.g. "0 2 * * *" (at 02:00 every day)`)
	f.DurationVar(&fl.every, "every", 0, "interval, e.g. 24h or 1h")
	f.StringVar(&fl.timeZone, "time-zone", "", "time zone of the cron expression (default UTC), e.g. Europe/Paris")
	f.DurationVar(&fl.jitter, "jitter", 0, "start each run up to this much later at random")
	f.IntVar(&fl.offsetDays, "offset-days", -1, "the last day read, relative to the scheduled day: -1 yesterday, 0 the same day")
	f.IntVar(&fl.lookback, "lookback-days", 3, "how many days each run lists, ending at --offset-days, loading the objects not loaded yet")
	f.IntVar(&fl.days, "days", 1, "instead of --lookback-days: how many days each run reads whole")
	f.String("source", "", "folder or gs://bucket/prefix holding the dt= folders (config source.uri)")
	names := make([]string, len(overlapPolicies))
	for i, o := range overlapPolicies {
		names[i] = o.name
	}
	f.StringVar(&fl.overlap, "overlap", "skip", "when a run is due while one still runs: "+strings.Join(names, ", "))
	f.DurationVar(&fl.catchup, "catchup-window", 24*time.Hour, "how late a run missed during an outage may still start")
	f.BoolVar(&fl.paused, "paused", false, "create the schedule paused")
	f.StringVar(&fl.note, "note", "", "a note shown with the schedule")
	return cmd
}

func daysDescription(offset, days int, onlyNew bool) string {
	last := fmt.Sprintf("the scheduled day %+d", offset)
	switch offset {
	case -1:
		last = "the day before the scheduled day"
	case 0:
		last = "the scheduled day"
	}
	folders := "the dt= folder of " + last
	if days > 1 {
		folders = fmt.Sprintf("the dt= folders of %d days ending with %s", days, last)
	}
	if onlyNew {
		return "the objects not loaded yet in " + folders
	}
	return folders
}

func describeSpec(s *client.ScheduleSpec) string {
	var parts []string
	for _, c := range s.CronExpressions {
		parts = append(parts, fmt.Sprintf("cron %q", c))
	}
	for _, i := range s.Intervals {
		parts = append(parts, "every "+i.Every.String())
	}
	if len(s.CronExpressions) == 0 {
		for _, c := range s.Calendars {
			parts = append(parts, "calendar "+calendarSpec(c))
		}
	}
	if s.TimeZoneName != "" {
		parts = append(parts, "in "+s.TimeZoneName)
	}
	if len(parts) == 0 {
		return "no spec"
	}
	return strings.Join(parts, ", ")
}

// calendarSpec writes a calendar spec (what the server keeps of a cron
// expression) as cron fields: "minute hour day-of-month month day-of-week",
// with the seconds first when they are not 0.
func calendarSpec(c client.ScheduleCalendarSpec) string {
	field := func(rs []client.ScheduleRange, lo, hi int) string {
		var out []string
		for _, r := range rs {
			end, step := max(r.End, r.Start), max(r.Step, 1)
			switch {
			case r.Start == lo && end >= hi && step == 1:
				out = append(out, "*")
			case end == r.Start:
				out = append(out, fmt.Sprint(r.Start))
			case step == 1:
				out = append(out, fmt.Sprintf("%d-%d", r.Start, end))
			default:
				out = append(out, fmt.Sprintf("%d-%d/%d", r.Start, end, step))
			}
		}
		if len(out) == 0 {
			return "*"
		}
		return strings.Join(out, ",")
	}
	spec := fmt.Sprintf("%q", strings.Join([]string{field(c.Minute, 0, 59), field(c.Hour, 0, 23),
		field(c.DayOfMonth, 1, 31), field(c.Month, 1, 12), field(c.DayOfWeek, 0, 6)}, " "))
	if sec := field(c.Second, 0, 59); sec != "0" {
		spec = "second " + sec + " " + spec
	}
	return spec
}

func newScheduleListCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the schedules of the namespace",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, nil)
			if err != nil {
				return err
			}
			return withClient(cmd, cfg, func(ctx context.Context, c client.Client) error {
				it, err := c.ScheduleClient().List(ctx, client.ScheduleListOptions{PageSize: 100})
				if err != nil {
					return fmt.Errorf("listing schedules: %w", err)
				}
				type entry struct {
					ID       string    `json:"id"`
					Workflow string    `json:"workflow"`
					Spec     string    `json:"spec"`
					Paused   bool      `json:"paused"`
					Note     string    `json:"note,omitempty"`
					Next     time.Time `json:"next,omitzero"`
				}
				var entries []entry
				for it.HasNext() {
					e, err := it.Next()
					if err != nil {
						return fmt.Errorf("listing schedules: %w", err)
					}
					en := entry{ID: e.ID, Workflow: e.WorkflowType.Name, Paused: e.Paused, Note: e.Note}
					if e.Spec != nil {
						en.Spec = describeSpec(e.Spec)
					}
					if len(e.NextActionTimes) > 0 {
						en.Next = e.NextActionTimes[0]
					}
					entries = append(entries, en)
				}
				slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.ID, b.ID) })
				out := cmd.OutOrStdout()
				if asJSON {
					return json.NewEncoder(out).Encode(entries)
				}
				if len(entries) == 0 {
					fmt.Fprintln(out, "No schedules. Create one: starter schedule create nightly --cron \"0 2 * * *\"")
					return nil
				}
				fmt.Fprintf(out, "%-24s %-18s %-7s %-22s %s\n", "ID", "WORKFLOW", "STATE", "NEXT RUN (UTC)", "SPEC")
				for _, e := range entries {
					state, next := "active", "-"
					if e.Paused {
						state = "paused"
					} else if !e.Next.IsZero() {
						next = e.Next.UTC().Format(time.DateTime)
					}
					fmt.Fprintf(out, "%-24s %-18s %-7s %-22s %s\n", e.ID, e.Workflow, state, next, e.Spec)
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the schedules as JSON")
	return cmd
}

// scheduleJSON is `schedule describe --json`.
type scheduleJSON struct {
	ID             string                   `json:"id"`
	Spec           string                   `json:"spec"`
	Input          *workflows.PipelineInput `json:"input,omitempty"`
	Paused         bool                     `json:"paused"`
	Note           string                   `json:"note,omitempty"`
	Overlap        string                   `json:"overlap"`
	CatchupWindow  string                   `json:"catchup_window"` // a Go duration, e.g. 24h0m0s
	Actions        int                      `json:"actions"`
	SkippedOverlap int                      `json:"skipped_overlap"`
	MissedCatchup  int                      `json:"missed_catchup_window"`
	Running        []string                 `json:"running"`
	Recent         []scheduledRun           `json:"recent"`
	Next           []time.Time              `json:"next"`
}

// scheduledRun is a run a schedule started.
type scheduledRun struct {
	Scheduled  time.Time `json:"scheduled"`
	Started    time.Time `json:"started"`
	WorkflowID string    `json:"workflow_id"`
	RunID      string    `json:"run_id"`
}

func newScheduleDescribeCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "describe NAME",
		Short: "Show a schedule: spec, policies, state, recent and next runs",
		Args:  exactArgs(1, "NAME"),
		RunE: onSchedule(func(ctx context.Context, cmd *cobra.Command, c client.Client, name string) error {
			d, err := describeSchedule(ctx, c, name)
			if err != nil {
				return err
			}
			s := scheduleDescription(name, d)
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(s)
			}
			printSchedule(out, s)
			return nil
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the schedule as JSON")
	return cmd
}

func describeSchedule(ctx context.Context, c client.Client, name string) (*client.ScheduleDescription, error) {
	d, err := c.ScheduleClient().GetHandle(ctx, name).Describe(ctx)
	if err != nil {
		return nil, scheduleError(name, "describing", err)
	}
	return d, nil
}

func scheduleError(name, doing string, err error) error {
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return fmt.Errorf("no schedule %s: 'starter schedule list' shows the schedules", name)
	}
	return fmt.Errorf("%s schedule %s: %w", doing, name, err)
}

func scheduleDescription(name string, d *client.ScheduleDescription) scheduleJSON {
	s := scheduleJSON{ID: name, Actions: d.Info.NumActions, SkippedOverlap: d.Info.NumActionsSkippedOverlap,
		MissedCatchup: d.Info.NumActionsMissedCatchupWindow, Next: d.Info.NextActionTimes, Running: []string{}}
	for _, r := range d.Info.RecentActions {
		run := scheduledRun{Scheduled: r.ScheduleTime.UTC(), Started: r.ActualTime.UTC()}
		if w := r.StartWorkflowResult; w != nil {
			run.WorkflowID, run.RunID = w.WorkflowID, w.FirstExecutionRunID
		}
		s.Recent = append(s.Recent, run)
	}
	if d.Schedule.Spec != nil {
		s.Spec = describeSpec(d.Schedule.Spec)
	}
	if p := d.Schedule.Policy; p != nil {
		s.Overlap, s.CatchupWindow = overlapName(p.Overlap), p.CatchupWindow.String()
	}
	if st := d.Schedule.State; st != nil {
		s.Paused, s.Note = st.Paused, st.Note
	}
	for _, r := range d.Info.RunningWorkflows {
		s.Running = append(s.Running, r.WorkflowID)
	}
	if a, ok := d.Schedule.Action.(*client.ScheduleWorkflowAction); ok && len(a.Args) == 1 {
		var in workflows.PipelineInput
		if p, ok := a.Args[0].(*commonpb.Payload); ok && converter.GetDefaultDataConverter().FromPayload(p, &in) == nil {
			s.Input = &in
		}
	}
	return s
}

func printSchedule(w io.Writer, s scheduleJSON) {
	state := "active"
	if s.Paused {
		state = "paused"
	}
	fmt.Fprintf(w, "Schedule %s (%s)\n", s.ID, state)
	fmt.Fprintf(w, "  spec            %s (times in UTC unless a time zone is named)\n", s.Spec)
	if s.Input != nil {
		src := s.Input.Source
		if src == "" {
			src = "the workers' source.uri"
		}
		if sd := s.Input.Scheduled; sd != nil {
			fmt.Fprintf(w, "  reads           %s under %s, mode %s\n", daysDescription(sd.OffsetDays, max(sd.Days, 1), s.Input.OnlyNew), src, s.Input.Mode)
		} else {
			fmt.Fprintf(w, "  reads           %s, mode %s\n", src, s.Input.Mode)
		}
	}
	fmt.Fprintf(w, "  overlap         %s\n  catch-up window %s\n", s.Overlap, s.CatchupWindow)
	if s.Note != "" {
		fmt.Fprintf(w, "  note            %s\n", s.Note)
	}
	fmt.Fprintf(w, "  runs started    %d (skipped for overlap %d, missed the catch-up window %d)\n", s.Actions, s.SkippedOverlap, s.MissedCatchup)
	for _, id := range s.Running {
		fmt.Fprintf(w, "  running         %s\n", id)
	}
	for _, r := range s.Recent {
		fmt.Fprintf(w, "  recent          scheduled %s, started %s: %s\n", r.Scheduled.Format(time.RFC3339), r.Started.Format(time.RFC3339), r.WorkflowID)
	}
	if !s.Paused {
		for _, t := range s.Next[:min(len(s.Next), 3)] {
			fmt.Fprintf(w, "  next            %s\n", t.UTC().Format(time.RFC3339))
		}
	}
}

func newSchedulePauseCmd(pause bool) *cobra.Command {
	use, short, done := "pause NAME", "Pause a schedule: no runs start until it is unpaused", "Paused"
	if !pause {
		use, short, done = "unpause NAME", "Unpause a schedule", "Unpaused"
	}
	var note string
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  exactArgs(1, "NAME"),
		RunE: onSchedule(func(ctx context.Context, cmd *cobra.Command, c client.Client, name string) error {
			h := c.ScheduleClient().GetHandle(ctx, name)
			var err error
			if pause {
				err = h.Pause(ctx, client.SchedulePauseOptions{Note: note})
			} else {
				err = h.Unpause(ctx, client.ScheduleUnpauseOptions{Note: note})
			}
			if err != nil {
				return scheduleError(name, strings.ToLower(done[:len(done)-1])+"ing", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s schedule %s.\n", done, name)
			return nil
		}),
	}
	cmd.Flags().StringVar(&note, "note", "", "why (shown with the schedule)")
	return cmd
}

func newScheduleTriggerCmd() *cobra.Command {
	var wait, asJSON bool
	var overlap string
	cmd := &cobra.Command{
		Use:   "trigger NAME",
		Short: "Start a schedule's run now",
		Long: `Trigger starts the schedule's action now, as if it were due: the run reads the dt= folders
of today's scheduled time (by default yesterday's folder). The schedule's overlap policy
applies unless --overlap says otherwise: with skip, nothing starts while a run of the
schedule still runs. --wait waits for the run and prints its result.`,
		Args: exactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var policy enumspb.ScheduleOverlapPolicy
			if overlap != "" {
				var err error
				if policy, err = parseOverlap(overlap); err != nil {
					return err
				}
			}
			cfg, err := loadConfig(cmd, nil)
			if err != nil {
				return err
			}
			name := args[0]
			return withClient(cmd, cfg, func(ctx context.Context, c client.Client) error {
				before, err := describeSchedule(ctx, c, name)
				if err != nil {
					return err
				}
				if err := c.ScheduleClient().GetHandle(ctx, name).Trigger(ctx, client.ScheduleTriggerOptions{Overlap: policy}); err != nil {
					return scheduleError(name, "triggering", err)
				}
				if !wait {
					fmt.Fprintf(cmd.OutOrStdout(), "Triggered schedule %s; 'starter schedule describe %s' shows the run.\n", name, name)
					return nil
				}
				id, runID, err := triggeredRun(ctx, c, name, before.Info)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "Schedule %s started %s.\n", name, id)
				stop := watchProgress(ctx, c, id, cmd.ErrOrStderr())
				var res workflows.PipelineResult
				err = c.GetWorkflow(ctx, id, runID).Get(ctx, &res)
				stop()
				if err != nil {
					if ctx.Err() != nil {
						return fmt.Errorf("stopped waiting for %s; the run goes on ('starter status %s')", id, id)
					}
					return fmt.Errorf("run %s failed: %s", id, app.RootCause(err))
				}
				if asJSON {
					enc := json.NewEncoder(cmd.OutOrStdout())
					enc.SetIndent("", "  ")
					return enc.Encode(res)
				}
				printRunResult(cmd.OutOrStdout(), cfg, res, "")
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&wait, "wait", false, "wait for the run and print its result")
	cmd.Flags().BoolVar(&asJSON, "json", false, "with --wait: print the result as JSON")
	cmd.Flags().StringVar(&overlap, "overlap", "", "overlap policy for this run (default the schedule's)")
	return cmd
}

// triggeredRun waits until the schedule has acted on a trigger, and returns
// the run it started; an error if it skipped it instead (its overlap policy
// with a run still going).
func triggeredRun(ctx context.Context, c client.Client, name string, before client.ScheduleInfo) (id, runID string, err error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		d, err := describeSchedule(ctx, c, name)
		if err != nil {
			return "", "", err
		}
		if d.Info.NumActions > before.NumActions && len(d.Info.RecentActions) > 0 {
			r := d.Info.RecentActions[len(d.Info.RecentActions)-1].StartWorkflowResult
			if r != nil {
				return r.WorkflowID, r.FirstExecutionRunID, nil
			}
		}
		if d.Info.NumActionsSkippedOverlap > before.NumActionsSkippedOverlap {
			return "", "", fmt.Errorf("schedule %s skipped the trigger: a run it started still runs (%s) and its overlap policy is skip; use --overlap allow-all to run anyway",
				name, strings.Join(runningIDs(d.Info), ", "))
		}
		select {
		case <-ctx.Done():
			return "", "", fmt.Errorf("schedule %s has not acted on the trigger after a minute: is the Temporal server healthy?", name)
		case <-tick.C:
		}
	}
}

func runningIDs(info client.ScheduleInfo) []string {
	var ids []string
	for _, r := range info.RunningWorkflows {
		ids = append(ids, r.WorkflowID)
	}
	return ids
}

func newScheduleDeleteCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a schedule (its runs, running or done, are not touched)",
		Args:  exactArgs(1, "NAME"),
		RunE: onSchedule(func(ctx context.Context, cmd *cobra.Command, c client.Client, name string) error {
			if err := c.ScheduleClient().GetHandle(ctx, name).Delete(ctx); err != nil {
				return scheduleError(name, "deleting", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Deleted schedule %s.\n", name)
			return nil
		}),
	}
}

// exactArgs is cobra.ExactArgs with a message naming what is missing.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return fmt.Errorf("%s takes %s, got %d arguments\nRun '%s --help' for usage", cmd.CommandPath(), what, len(args), cmd.CommandPath())
		}
		return nil
	}
}

// onSchedule is the RunE of a command on the schedule named by its one
// argument.
func onSchedule(fn func(ctx context.Context, cmd *cobra.Command, c client.Client, name string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		cfg, err := loadConfig(cmd, nil)
		if err != nil {
			return err
		}
		return withClient(cmd, cfg, func(ctx context.Context, c client.Client) error {
			return fn(ctx, cmd, c, args[0])
		})
	}
}

// withClient runs fn with a client of cfg's Temporal server; no dev server
// is started and no worker runs here.
func withClient(cmd *cobra.Command, cfg config.Config, fn func(ctx context.Context, c client.Client) error) error {
	return withTemporal(cmd, cfg, false, func(ctx context.Context, c client.Client, _ string) error {
		return fn(ctx, c)
	})
}
