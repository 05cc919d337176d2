package resilience

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fsouza/fake-gcs-server/fakestorage"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/clickstream-platform/clickstream/harness"
	"github.com/clickstream-platform/clickstream/pipeline"
	"github.com/clickstream-platform/clickstream/sampledata"
	"github.com/clickstream-platform/clickstream/workflows"
)

// TestNoRowsOrSecretsInHistoryOrLogs runs a pipeline whose worker has a
// secret in its environment, then searches every workflow history of the run
// (payloads decoded) and the worker's log for the secret and for row content:
// session ids, user ids and user agents of the input. Workflows pass
// references and counters only; rows stay in files.
func TestNoRowsOrSecretsInHistoryOrLogs(t *testing.T) {
	e := NewEnv(t)
	e.Generate(sampledata.Options{Files: 4, Sessions: 400, Seed: 8, InvalidRate: 0.1, DuplicateRate: 0.1})
	const secret = "canary-7f3c9e1d-secret"
	e.StartWorker("CLICKSTREAM_TEST_CANARY="+secret, "AWS_SECRET_ACCESS_KEY="+secret, "DATABASE_PASSWORD="+secret)
	run := e.StartPipeline("hygiene", workflows.PipelineInput{Settings: pipeline.Settings{BatchObjects: 2, Overrides: acceptAll}})
	if _, err := e.Wait(run, 2*time.Minute); err != nil {
		t.Fatal(err)
	}

	needles := rowValues(t, e.Vars["CLICKSTREAM_SOURCE_URI"], 200)
	needles = append(needles, secret)
	haystacks := map[string]string{"worker log": e.WorkerLog()}
	for id, text := range e.histories(t) {
		haystacks["history of "+id] = text
	}
	if len(haystacks) < 3 {
		t.Fatalf("only %d histories and logs to search", len(haystacks))
	}
	// The search sees into payloads: the manifests' names travel in them.
	decoded := false
	for _, text := range haystacks {
		decoded = decoded || strings.Contains(text, "/manifests/")
	}
	if !decoded {
		t.Fatal("no manifest reference in any history: payloads were not decoded, the search proves nothing")
	}
	for where, text := range haystacks {
		for _, n := range needles {
			if strings.Contains(text, n) {
				t.Errorf("%s contains %q", where, n)
			}
		}
	}
}

// rowValues returns up to n distinctive values of the input rows: session
// ids, user ids and user agents.
func rowValues(t *testing.T, dir string, n int) []string {
	t.Helper()
	var out []string
	seen := map[string]bool{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || len(out) >= n {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() && len(out) < n {
			var row map[string]any
			if json.Unmarshal(sc.Bytes(), &row) != nil {
				continue
			}
			for _, k := range []string{"session_id", "user_id", "user_agent"} {
				if v, ok := row[k].(string); ok && len(v) >= 8 && !seen[v] {
					seen[v] = true
					out = append(out, v)
				}
			}
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 50 {
		t.Fatalf("only %d row values to look for", len(out))
	}
	return out
}

// histories returns the text of every workflow history in the env, with
// payloads decoded, by workflow id.
func (e *Env) histories(t *testing.T) map[string]string {
	t.Helper()
	ctx := context.Background()
	resp, err := e.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, ex := range resp.GetExecutions() {
		id, runID := ex.GetExecution().GetWorkflowId(), ex.GetExecution().GetRunId()
		var b strings.Builder
		events, err := harness.History(ctx, e.Client, id, runID)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range events {
			js, err := protojson.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			b.Write(js)
			var v any
			if err := json.Unmarshal(js, &v); err != nil {
				t.Fatal(err)
			}
			decodePayloads(v, &b)
		}
		out[id+"/"+runID] = b.String()
	}
	return out
}

// decodePayloads appends the decoded "data" of every payload in v to b.
func decodePayloads(v any, b *strings.Builder) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if s, ok := val.(string); ok && k == "data" {
				if raw, err := base64.StdEncoding.DecodeString(s); err == nil {
					b.Write(raw)
					b.WriteByte('\n')
				}
				continue
			}
			decodePayloads(val, b)
		}
	case []any:
		for _, val := range x {
			decodePayloads(val, b)
		}
	}
}

// TestObjectNamesCannotEscapeTheirRoot: objects named to climb out of the
// source prefix ("sessions/../../x.jsonl") are refused, failing the run with
// a ConfigError that names the object, and nothing is written outside the
// staging and dead-letter roots: staged and dead-letter names derive from the
// run, batch, object index and part, never from input names.
func TestObjectNamesCannotEscapeTheirRoot(t *testing.T) {
	e := NewEnv(t)
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{Scheme: "http", Host: "127.0.0.1", PublicHost: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: "raw"})
	line := []byte(`{"session_id":"s","user_id":"u","device_type":"d"}` + "\n")
	for _, name := range []string{"sessions/a.jsonl", "sessions/../../escape.jsonl"} {
		srv.CreateObject(fakestorage.Object{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "raw", Name: name}, Content: line})
	}
	u, _ := url.Parse(srv.URL())
	e.Vars["CLICKSTREAM_SOURCE_URI"] = "gs://raw/sessions"
	e.StartWorker("STORAGE_EMULATOR_HOST=" + u.Host)
	before := listFiles(t, e.Dir)
	start := time.Now()
	_, err = e.Wait(e.StartPipeline("escape", workflows.PipelineInput{}), 2*time.Minute)
	if err == nil || !strings.Contains(err.Error(), "../../escape.jsonl") || !strings.Contains(err.Error(), "ConfigError") {
		t.Fatalf("err = %v, want a ConfigError naming the object", err)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("refusing took %s", took)
	}
	for f := range listFiles(t, e.Dir) {
		if before[f] {
			continue
		}
		if !strings.HasPrefix(f, "staging/") && !strings.HasPrefix(f, "deadletter/") && !strings.HasPrefix(f, "temporal.db") &&
			f != "worker.log" && !strings.HasPrefix(f, "warehouse.duckdb") && !strings.HasPrefix(f, "temporal-server.log") {
			t.Errorf("the run wrote %s outside its roots", f)
		}
	}
}

func listFiles(t *testing.T, root string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			out[filepath.ToSlash(rel)] = true
		}
		return nil
	})
	return out
}
