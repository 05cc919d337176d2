//go:build !unix

package clickstream_test

import "time"

// cpuTime is not measured here: the benchmark then reports no cpu-MB/s.
func cpuTime() time.Duration { return 0 }
