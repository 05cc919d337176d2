package harness

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// procStatusBytes reads a "kB" field of /proc/<pid>/status (pid "self" for
// this process), e.g. VmRSS or VmHWM, in bytes. It fails where there is no
// /proc.
func procStatusBytes(pid, field string) (int64, error) {
	b, err := os.ReadFile(filepath.Join("/proc", pid, "status"))
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%s/status: %s: %w", pid, field, err)
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("/proc/%s/status has no %s", pid, field)
}

// PeakRSS is the most resident memory process pid has held so far (VmHWM),
// in bytes. Linux only: elsewhere it fails.
func PeakRSS(pid int) (int64, error) { return procStatusBytes(strconv.Itoa(pid), "VmHWM") }

// OwnPeakRSS is PeakRSS of this process.
func OwnPeakRSS() (int64, error) { return procStatusBytes("self", "VmHWM") }

// RSSSample is one reading of a process's resident memory (VmRSS).
type RSSSample struct {
	At    time.Time
	Bytes int64
}

// RSSSamples are a process's VmRSS readings, in time order.
type RSSSamples []RSSSample

// Peak returns the largest sample, 0 if none.
func (s RSSSamples) Peak() int64 { return s.PeakIn(time.Time{}, time.Time{}) }

// PeakIn returns the largest sample taken in [from, to], counting also the
// last sample before from and the first after to: a window shorter than the
// sampling interval still has a figure, never below what the process held.
// Zero bounds are open; 0 means no samples.
func (s RSSSamples) PeakIn(from, to time.Time) int64 {
	lo, hi := 0, len(s)
	if !from.IsZero() {
		for lo+1 < len(s) && !s[lo+1].At.After(from) {
			lo++
		}
	}
	if !to.IsZero() {
		for hi = lo; hi < len(s) && !s[hi].At.After(to); hi++ {
		}
		hi = min(hi+1, len(s))
	}
	var peak int64
	for _, x := range s[lo:hi] {
		peak = max(peak, x.Bytes)
	}
	return peak
}

// SampleRSS samples pid's VmRSS every interval until stop is called, which
// returns the samples. Where there is no /proc there are none.
func SampleRSS(pid int, every time.Duration) (stop func() RSSSamples) {
	id := strconv.Itoa(pid)
	var samples RSSSamples
	sample := func() {
		if n, err := procStatusBytes(id, "VmRSS"); err == nil {
			samples = append(samples, RSSSample{time.Now(), n})
		}
	}
	sample()
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				sample()
			}
		}
	}()
	return func() RSSSamples {
		close(done)
		<-finished
		sample() // a last look, if it still runs
		return samples
	}
}
