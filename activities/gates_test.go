package activities_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/clickstream-platform/clickstream/activities"
	"github.com/clickstream-platform/clickstream/blob"
	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/pipeline"
	"github.com/clickstream-platform/clickstream/staging"
	"github.com/clickstream-platform/clickstream/warehouse"
)

// volumes is a warehouse whose recent runs had the given volumes.
type volumes struct {
	warehouse.Warehouse
	past []int64
}

func (v volumes) RecentVolumes(context.Context, string, int, int) ([]int64, error) {
	return v.past, nil
}

func runGates(t *testing.T, a *activities.Activities, in activities.GatesInput) (activities.GatesResult, error) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	v, err := env.ExecuteActivity(a.Gates, in)
	var res activities.GatesResult
	if err == nil {
		err = v.Get(&res)
	}
	return res, err
}

// TestGates: each gate fails a run with a QualityError that names the
// figure, the threshold, the key and the most frequent reasons; a run
// within them passes; a low volume warns, or fails when told to; a day
// whose folder holds no input fails, unless empty days are allowed.
func TestGates(t *testing.T) {
	dir := t.TempDir()
	src, _ := blob.NewLocal(filepath.Join(dir, "src"))
	st, _ := blob.NewLocal(filepath.Join(dir, "staging"))
	if err := os.MkdirAll(filepath.Join(dir, "src", "dt=2024-01-30"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "src", "dt=2024-01-30", "a.jsonl"), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	area := staging.Area{Staging: st, DeadLetter: st}
	// 100 non-blank lines, 33 rejected; 200 events, 10 rejected.
	m := staging.Manifest{Counts: clickstream.Counts{Lines: 105, Blank: 5, SessionsValid: 67, SessionsRejected: 33, EventsSeen: 200, Pageviews: 190, EventsRejected: 10},
		Rejects: clickstream.Rejects{
			Lines: map[string]clickstream.RejectCount{
				clickstream.CodeInvalidJSON:  {Count: 20, Example: "invalid JSON: unexpected end"},
				clickstream.CodeMissingField: {Count: 10, Example: "user_id is missing"},
				clickstream.CodeWrongType:    {Count: 2, Example: "device_type must be a string"},
				clickstream.CodeEmptyField:   {Count: 1, Example: "session_id is an empty string"},
			},
			Events: map[string]clickstream.RejectCount{clickstream.CodeBadTimestamp: {Count: 10, Example: "timestamp \"x\" is invalid"}},
		}}
	if err := area.WriteManifest(context.Background(), "run/manifests/b.json", m); err != nil {
		t.Fatal(err)
	}
	q := pipeline.Quality{MaxRejectedLines: 0.10, MaxRejectedEvents: 0.10, MinVolumeRatio: 0.2}
	base := activities.GatesInput{RunID: "run", Source: "src", Manifests: []string{"run/manifests/b.json"}, Quality: q, VolumeSource: "src"}
	newActs := func(past ...int64) *activities.Activities {
		return &activities.Activities{Staging: st, DeadLetter: st, Warehouse: volumes{past: past},
			OpenSource: func(context.Context, string) (blob.Store, error) { return src, nil }}
	}
	quality := func(err error) string {
		var app *temporal.ApplicationError
		if !errors.As(err, &app) || app.Type() != activities.ErrQuality || !app.NonRetryable() {
			t.Fatalf("err = %v, want a non-retryable QualityError", err)
		}
		return app.Error()
	}

	_, err := runGates(t, newActs(), base)
	msg := quality(err)
	for _, want := range []string{"33% of the non-blank lines rejected (33 of 100)", "quality.max_rejected_lines 10%",
		`invalid_json ×20 (e.g. "invalid JSON: unexpected end")`, "missing_field ×10", "wrong_type ×2", "--max-rejected-lines"} {
		if !strings.Contains(msg, want) {
			t.Errorf("gate message %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "empty_field") {
		t.Errorf("gate message %q names more than the three most frequent reasons", msg)
	}

	in := base
	in.Quality.MaxRejectedLines = 0.4
	in.Quality.MaxRejectedEvents = 0.04
	_, err = runGates(t, newActs(), in)
	if msg := quality(err); !strings.Contains(msg, "5% of the events of valid sessions rejected (10 of 200)") || !strings.Contains(msg, "bad_timestamp ×10") {
		t.Errorf("event gate message %q", msg)
	}

	in.Quality.MaxRejectedEvents = 0.1
	res, err := runGates(t, newActs(300, 1000, 350), in) // median 350: 67 is below 20% of it
	if err != nil || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "67 valid lines") || !strings.Contains(res.Warnings[0], "median of the last 3") {
		t.Errorf("low volume: %+v, %v; want one warning", res, err)
	}
	if res, err := runGates(t, newActs(300), in); err != nil || len(res.Warnings) != 0 {
		t.Errorf("volume within the ratio: %+v, %v; want no warning", res, err)
	}
	in.Quality.FailOnLowVolume = true
	if _, err := runGates(t, newActs(1000), in); !strings.Contains(quality(err), "quality.fail_on_low_volume") {
		t.Errorf("failing on low volume: %v", err)
	}

	in.Quality.FailOnLowVolume = false
	in.RequireDay = "2024-01-31"
	if _, err := runGates(t, newActs(), in); !strings.Contains(quality(err), "no input for 2024-01-31") {
		t.Errorf("empty day: %v", err)
	}
	in.RequireDay = "2024-01-30"
	if _, err := runGates(t, newActs(), in); err != nil {
		t.Errorf("a day with input: %v", err)
	}
	in.RequireDay, in.Quality.AllowEmptyDays = "2024-01-31", true
	if _, err := runGates(t, newActs(), in); err != nil {
		t.Errorf("an empty day allowed: %v", err)
	}
}

// TestAlert: the alert is a JSON POST with the run's facts, a text a Slack
// webhook shows and a link to the run; an answer other than 2xx is an error
// that does not name the secret URL; without a webhook nothing is sent.
func TestAlert(t *testing.T) {
	var (
		mu     sync.Mutex
		bodies []map[string]any
		status = http.StatusInternalServerError
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		json.Unmarshal(b, &m)
		mu.Lock()
		bodies = append(bodies, m)
		code := status
		mu.Unlock()
		if r.Header.Get("Content-Type") != "application/json" {
			code = http.StatusBadRequest
		}
		w.WriteHeader(code)
	}))
	defer srv.Close()
	secret := srv.URL + "/hook/T000/SECRET-TOKEN"
	a := &activities.Activities{AlertWebhook: secret, TemporalUIURL: "http://ui:8233/", Namespace: "default"}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	in := activities.AlertInput{RunID: "r1", WorkflowID: "clickstream-x", Status: "failed", ErrorType: activities.ErrQuality,
		Error: "33% of the non-blank lines rejected", Source: "data/source", Accounting: clickstream.Counts{Lines: 9}, Objects: 2}
	_, err := env.ExecuteActivity(a.Alert, in)
	if err == nil || !strings.Contains(err.Error(), "500") || strings.Contains(err.Error(), "SECRET-TOKEN") {
		t.Fatalf("err = %v, want the 500 without the URL", err)
	}
	mu.Lock()
	status = http.StatusOK
	mu.Unlock()
	if _, err := env.ExecuteActivity(a.Alert, in); err != nil {
		t.Fatal(err)
	}
	got := bodies[len(bodies)-1]
	text, _ := got["text"].(string)
	if got["status"] != "failed" || got["workflow_id"] != "clickstream-x" || got["error_type"] != activities.ErrQuality ||
		got["link"] != "http://ui:8233/namespaces/default/workflows/clickstream-x" ||
		!strings.Contains(text, "clickstream run clickstream-x failed") || !strings.Contains(text, "33% of the non-blank lines rejected") {
		t.Errorf("alert body %v", got)
	}
	if counts, _ := got["counts"].(map[string]any); counts["lines"] != float64(9) {
		t.Errorf("alert counts %v, want the run's accounting", got["counts"])
	}
	n := len(bodies)
	quiet := &activities.Activities{}
	env.RegisterActivity(quiet)
	if _, err := env.ExecuteActivity(quiet.Alert, in); err != nil || len(bodies) != n {
		t.Errorf("without a webhook: %v, %d posts", err, len(bodies)-n)
	}
}
