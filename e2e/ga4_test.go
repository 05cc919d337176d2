package e2e

import (
	"fmt"
	"maps"
	"testing"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/sampledata"
	"github.com/clickstream-platform/clickstream/workflows"
)

// TestGA4EndToEnd runs the pipeline on generated GA4 export rows, in both
// staging formats: the run's accounting is the generator's, ga4_events
// holds every valid line and the star tables the distinct mapped rows, the
// dw tables are derived from the lake as for session input (a merge run
// changes nothing), and the GA4 figures are on record in pipeline_runs.
func TestGA4EndToEnd(t *testing.T) {
	for _, format := range []string{"parquet", "ndjson"} {
		t.Run(format, func(t *testing.T) {
			e, sum := e2eEnv(t, sampledata.Options{Format: clickstream.GA4Input, Files: 4, Sessions: 300, Days: 2, Seed: 5,
				InvalidRate: 0.03, DuplicateRate: 0.05})
			e.Vars["CLICKSTREAM_PIPELINE_STAGING_FORMAT"] = format
			e.Vars["CLICKSTREAM_PIPELINE_BATCH_OBJECTS"] = "2"
			want := sum.Distinct().Rows()
			if want[clickstream.GA4EventsTable] == 0 || want[clickstream.AddtocartsTable] == 0 || want[clickstream.PurchasesTable] == 0 {
				t.Fatalf("generated data lacks rows: %v", want)
			}

			var first workflows.PipelineResult
			starterJSON(t, e, &first, "run", "--dev", "--json", "--format", "ga4")
			if first.Accounting != sum.Expected {
				t.Fatalf("accounting = %+v\n generator = %+v", first.Accounting, sum.Expected)
			}
			for table, n := range want {
				if first.Rows[table] != n || first.RowsAdded[table] != n {
					t.Errorf("%s: %d rows (+%d), want %d", table, first.Rows[table], first.RowsAdded[table], n)
				}
			}

			var merge workflows.PipelineResult
			starterJSON(t, e, &merge, "run", "--dev", "--json", "--format", "ga4", "--mode", "merge")
			for table, n := range want {
				if merge.Rows[table] != n || merge.RowsAdded[table] != 0 {
					t.Errorf("merge changed %s: %d rows (+%d), want %d (+0)", table, merge.Rows[table], merge.RowsAdded[table], n)
				}
			}

			var rows []map[string]any
			starterJSON(t, e, &rows, "query", "--json", `SELECT
				(SELECT count(*) FROM clickstream_lake.ga4_events WHERE json_extract(params, '$.ga_session_id') IS NULL) AS no_session_param,
				(SELECT count(*) FROM clickstream_lake.ga4_events g JOIN clickstream_dw.pageview_events p USING (event_id)
					WHERE p.page_url <> json_extract_string(g.params, '$.page_location')) AS wrong_page_url,
				(SELECT count(DISTINCT session_key) FROM clickstream_lake.ga4_events) AS ga4_sessions,
				(SELECT count(*) FROM clickstream_dw.pipeline_runs WHERE format = 'ga4' AND events_valid = `+
				fmt.Sprint(sum.Expected.EventsValid)+` AND addtocart_rows = `+fmt.Sprint(sum.Expected.AddtocartRows)+`) AS runs_on_record`)
			if len(rows) != 1 {
				t.Fatalf("query gave %v", rows)
			}
			r := rows[0]
			if fmt.Sprint(r["no_session_param"]) != "0" || fmt.Sprint(r["wrong_page_url"]) != "0" ||
				fmt.Sprint(r["ga4_sessions"]) != fmt.Sprint(want[clickstream.SessionsTable]) || fmt.Sprint(r["runs_on_record"]) != "2" {
				t.Errorf("ga4_events checks: %v (want 0, 0, %d sessions, 2 runs)", r, want[clickstream.SessionsTable])
			}
			// The derived tables work on GA4 data unchanged: built by each
			// run, equal to a rebuild from scratch, the reports adding up.
			if m := first.Models; m == nil || m.Rows["user_sessions"] == 0 || m.Rows["report_daily_events"] == 0 {
				t.Fatalf("first run's models %+v, want user sessions and reports", first.Models)
			}
			built := e.ModelDigests()
			starterJSON(t, e, nil, "models", "rebuild", "--dev")
			if rebuilt := e.ModelDigests(); !maps.Equal(built, rebuilt) {
				t.Errorf("derived tables after two runs %v, rebuilt from scratch %v", built, rebuilt)
			}
			var daily []struct{ Pageviews, Addtocarts, Purchases int64 }
			starterJSON(t, e, &daily, "report", "daily_events", "--format", "json")
			var pv, ac, pu int64
			for _, d := range daily {
				pv, ac, pu = pv+d.Pageviews, ac+d.Addtocarts, pu+d.Purchases
			}
			if pv != want[clickstream.PageviewsTable] || ac != want[clickstream.AddtocartsTable] || pu != want[clickstream.PurchasesTable] {
				t.Errorf("report_daily_events sums %d, %d, %d; want the event tables' %v", pv, ac, pu, want)
			}
		})
	}
}
