package activities_test

import (
	"context"
	"io"
	"reflect"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"

	"github.com/clickstream-platform/clickstream/activities"
	"github.com/clickstream-platform/clickstream/blob"
	"github.com/clickstream-platform/clickstream/staging"
)

// slowSource holds the opening of one object back until released.
type slowSource struct {
	blob.Store
	name    string
	opening chan struct{} // closed when the slow object is being opened
	release chan struct{}
	once    sync.Once
}

func (s *slowSource) OpenGeneration(ctx context.Context, name string, gen int64) (io.ReadCloser, error) {
	if name == s.name {
		s.once.Do(func() { close(s.opening) })
		select {
		case <-s.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return s.Store.OpenGeneration(ctx, name, gen)
}

// TestTransformHeartbeatsItsCheckpointWhileAPartIsSlow: a part slower than
// the heartbeat timeout must not make the transform look lost, and the
// heartbeats sent meanwhile must carry the checkpoint it resumed from: a
// heartbeat without it would erase it, and the next retry would start over.
func TestTransformHeartbeatsItsCheckpointWhileAPartIsSlow(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a heartbeat interval")
	}
	f := newFixture(t, input(t), t.TempDir())
	f.src.failName, f.src.failAt = f.objects[2].Name, 40<<10
	_, resumeFrom, err := f.run(t, nil)
	if err == nil || resumeFrom == nil || resumeFrom.Object != 2 {
		t.Fatalf("the first attempt: err %v, checkpoint %+v; want a failure inside object 2 after a checkpoint", err, resumeFrom)
	}
	f.src.failName = ""

	slow := &slowSource{Store: f.src, name: f.objects[2].Name, opening: make(chan struct{}), release: make(chan struct{})}
	f.a.OpenSource = func(context.Context, string) (blob.Store, error) { return slow, nil }
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(f.a)
	env.SetHeartbeatDetails(*resumeFrom)
	var mu sync.Mutex
	var whileSlow []staging.Checkpoint
	slowNow := false
	env.SetOnActivityHeartbeatListener(func(_ *activity.Info, d converter.EncodedValues) {
		var cp staging.Checkpoint
		if err := d.Get(&cp); err != nil {
			t.Error(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if slowNow {
			whileSlow = append(whileSlow, cp)
		}
	})
	go func() {
		<-slow.opening
		mu.Lock()
		slowNow = true
		mu.Unlock()
		time.Sleep(activities.HeartbeatInterval + time.Second) // the slow part
		mu.Lock()
		slowNow = false
		mu.Unlock()
		close(slow.release)
	}()
	v, err := env.ExecuteActivity(f.a.Transform, activities.TransformInput{RunID: "run-1", BatchID: "00000-abc", Source: "src", Objects: f.objects})
	if err != nil {
		t.Fatal(err)
	}
	var res activities.TransformResult
	if err := v.Get(&res); err != nil || res.Objects != len(f.objects) {
		t.Fatalf("result %+v, %v", res, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(whileSlow) == 0 {
		t.Fatalf("no heartbeat in %s of a slow part", activities.HeartbeatInterval+time.Second)
	}
	for _, cp := range whileSlow {
		if !reflect.DeepEqual(cp, *resumeFrom) {
			t.Errorf("heartbeat during the slow part carries %+v, want the checkpoint resumed from %+v", cp, *resumeFrom)
		}
	}
}
