package harness

import (
	"os"
	"runtime"
	"testing"
	"time"
)

func TestRSSPeakIn(t *testing.T) {
	t0 := time.Date(2024, 1, 30, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	s := RSSSamples{{at(0), 10}, {at(50), 300}, {at(100), 20}, {at(150), 40}, {at(200), 500}}
	for _, c := range []struct {
		from, to time.Time
		want     int64
	}{
		{time.Time{}, time.Time{}, 500},
		{at(100), at(120), 40},  // 100 inside, 150 the first after
		{at(110), at(140), 40},  // none inside: the one before (20) and after (40)
		{at(60), at(140), 300},  // 50 the last before
		{at(40), at(60), 300},   // 0 before, 50 inside, 100 after
		{at(210), at(260), 500}, // after the last sample: the last one
		{time.Time{}, at(20), 300},
	} {
		if got := s.PeakIn(c.from, c.to); got != c.want {
			t.Errorf("PeakIn(%v, %v) = %d, want %d", c.from.Sub(t0), c.to.Sub(t0), got, c.want)
		}
	}
	if got := (RSSSamples{}).PeakIn(at(0), at(10)); got != 0 {
		t.Errorf("no samples: %d", got)
	}
}

// TestSampleRSS reads this process's own memory: the samples and the peak
// are positive, and the peak so far is at least the largest sample.
func TestSampleRSS(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("resident memory is read from /proc")
	}
	stop := SampleRSS(os.Getpid(), time.Millisecond)
	samples := stop()
	if len(samples) < 2 || samples.Peak() <= 0 {
		t.Fatalf("samples %v", samples)
	}
	peak, err := PeakRSS(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	own, err := OwnPeakRSS()
	if err != nil {
		t.Fatal(err)
	}
	if peak < samples.Peak() || own < samples.Peak() {
		t.Errorf("VmHWM %d (own %d), below the largest VmRSS sample %d", peak, own, samples.Peak())
	}
	if _, err := PeakRSS(-1); err == nil {
		t.Error("PeakRSS of no process: no error")
	}
}
