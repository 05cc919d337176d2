package main

import (
	"strings"
	"testing"

	"github.com/clickstream-platform/clickstream/workflows"
)

// TestProgressBarDoneBeyondListed: a run checkpointed by a worker from before
// the listing counts were carried across continue-as-new reports fewer bytes
// listed than done; the bar is full, not a panic.
func TestProgressBarDoneBeyondListed(t *testing.T) {
	for _, p := range []workflows.Progress{
		{ListingDone: true, BytesListed: 100, BytesDone: 600},
		{ListingDone: false, BytesListed: 100, BytesDone: 600},
		{ListingDone: true},
	} {
		bar := progressBar(p)
		if len(bar) != 26 || !strings.HasPrefix(bar, "[") || !strings.HasSuffix(bar, "]") {
			t.Errorf("progressBar(%+v) = %q", p, bar)
		}
	}
}
