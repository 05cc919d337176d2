package resilience

import (
	"testing"
	"time"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/pipeline"
	"github.com/clickstream-platform/clickstream/sampledata"
	"github.com/clickstream-platform/clickstream/workflows"
)

// TestHarness runs one pipeline with a worker process and checks what the
// other tests rely on: the result, the digests and the batch log events.
func TestHarness(t *testing.T) {
	e := NewEnv(t)
	sum := e.Generate(sampledata.Options{Files: 6, Sessions: 600, Seed: 1, InvalidRate: 0.05, DuplicateRate: 0.1})
	e.StartWorker()
	res, err := e.Wait(e.StartPipeline("smoke", workflows.PipelineInput{Settings: pipeline.Settings{BatchObjects: 2}}), 2*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if res.Accounting != sum.Expected || res.Rows["sessions"] != sum.DistinctSessions {
		t.Fatalf("result %+v, generator %+v", res, sum)
	}
	events := e.BatchEvents()
	if len(events) != 3 {
		t.Fatalf("batch events %v, want 3 batches", events)
	}
	for id, ev := range events {
		if ev["batch transform started"] != 1 || ev["batch transformed"] != 1 {
			t.Errorf("batch %s: %v", id, ev)
		}
	}
	if d := e.Digests("run_id"); len(d) != len(clickstream.Tables()) {
		t.Errorf("digests %v", d)
	}
}
