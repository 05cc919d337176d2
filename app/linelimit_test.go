package app_test

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/testsuite"

	"github.com/clickstream-platform/clickstream/activities"
	"github.com/clickstream-platform/clickstream/app"
	"github.com/clickstream-platform/clickstream/blob"
	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/config"
	"github.com/clickstream-platform/clickstream/warehouse/bigquery"
)

// TestBigQueryLineLimit: with BigQuery the transform reads no line longer
// than bigquery.MaxLineBytes, whatever transform.max_line_bytes allows: a
// longer line is dead-lettered (line_too_long) with a reason naming
// BigQuery's limit, the lines around it load, and every line is counted.
// With DuckDB the key alone sets the limit.
func TestBigQueryLineLimit(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Staging.URI, cfg.DeadLetter.URI = filepath.Join(dir, "staging"), filepath.Join(dir, "deadletter")
	cfg.Transform.MaxLineBytes = 64 * config.MiB
	stores := &app.Stores{}
	defer stores.Close()

	a, err := app.NewActivities(ctx, cfg, nil, stores)
	if err != nil {
		t.Fatal(err)
	}
	if a.MaxLineBytes != 64<<20 || a.MaxLineSetBy != "" {
		t.Errorf("duckdb: longest line %d set by %q, want transform.max_line_bytes' 64MiB", a.MaxLineBytes, a.MaxLineSetBy)
	}

	cfg.Warehouse.Kind = "bigquery"
	a, err = app.NewActivities(ctx, cfg, nil, stores)
	if err != nil {
		t.Fatal(err)
	}
	if a.MaxLineBytes != bigquery.MaxLineBytes {
		t.Fatalf("bigquery: longest line %d, want bigquery.MaxLineBytes", a.MaxLineBytes)
	}
	src := filepath.Join(dir, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	session := `{"session_id":"s1","user_id":"u1","device_type":"mobile","events":[]}`
	huge := `{"session_id":"s2","user_id":"u1","device_type":"mobile","user_agent":"` + strings.Repeat("x", bigquery.MaxLineBytes) + `"}`
	if err := os.WriteFile(filepath.Join(src, "a.jsonl"), []byte(session+"\n"+huge+"\n"+session+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	a.OpenSource = stores.Open
	store, err := stores.Open(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	page, err := store.List(ctx, "", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	objs := page.Objects
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	v, err := env.ExecuteActivity(a.Transform, activities.TransformInput{RunID: "run-1", BatchID: "b0", Source: src, Objects: objs})
	if err != nil {
		t.Fatal(err)
	}
	var res activities.TransformResult
	if err := v.Get(&res); err != nil {
		t.Fatal(err)
	}
	if c := res.Counts; c.Lines != 3 || c.SessionsValid != 2 || c.SessionsRejected != 1 || c.Check() != nil {
		t.Errorf("counts %+v, want 3 lines: 2 valid, the long one rejected", c)
	}
	dead := readDead(t, ctx, a.DeadLetter)
	if len(dead) != 1 || dead[0].Line != 2 || dead[0].Code != clickstream.CodeLineTooLong ||
		!strings.Contains(dead[0].Reason, "the longest line whose rows BigQuery loads") || !strings.Contains(dead[0].Reason, "transform.max_line_bytes is 64MiB") {
		t.Errorf("dead letter %+v, want line 2, line_too_long, naming BigQuery's limit", dead)
	}
}

// readDead reads every dead-letter record in store.
func readDead(t *testing.T, ctx context.Context, store blob.Store) []clickstream.DeadLetter {
	t.Helper()
	page, err := store.List(ctx, "", "", 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []clickstream.DeadLetter
	for _, o := range page.Objects {
		rc, err := store.Open(ctx, o.Name)
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			if line == "" {
				continue
			}
			var d clickstream.DeadLetter
			if err := json.Unmarshal([]byte(line), &d); err != nil {
				t.Fatal(err)
			}
			out = append(out, d)
		}
	}
	return out
}
