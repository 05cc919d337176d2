package activities

import (
	"bufio"
	"context"
	"fmt"

	"github.com/clickstream-platform/clickstream/blob"
	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/staging"
)

// SplitInput asks for the ranges of one large object.
type SplitInput struct {
	Source string      `json:"source"`
	Object blob.Object `json:"object"`
	// RangeBytes is about how large each range is.
	RangeBytes int64 `json:"range_bytes"`
}

// SplitResult is an object's ranges, in order, covering it whole; one range
// when it is gzip-compressed (a gzip stream can only be read from its
// start) or no larger than RangeBytes.
type SplitResult struct {
	Ranges     []staging.Range `json:"ranges"`
	Compressed bool            `json:"compressed,omitempty"`
}

// Split cuts a large plain object into line-aligned ranges that batches
// transform side by side, numbering their lines as one reader would: it
// reads the object once, counting newlines (clickstream.Split), which costs
// a fraction of a transform.
func (a *Activities) Split(ctx context.Context, in SplitInput) (SplitResult, error) {
	stop := keepAlive(ctx)
	defer stop()
	if in.RangeBytes <= 0 {
		return SplitResult{}, classify(configError("split: range_bytes must be positive, got %d", in.RangeBytes))
	}
	src, err := a.OpenSource(ctx, in.Source)
	if err != nil {
		return SplitResult{}, classify(configError("source %s: %v", in.Source, err))
	}
	uri := blob.Join(src.URI(), in.Object.Name)
	rc, err := src.OpenGeneration(ctx, in.Object.Name, in.Object.Generation)
	if err != nil {
		return SplitResult{}, classify(fmt.Errorf("opening %s: %w", uri, err))
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 64<<10)
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		return SplitResult{Compressed: true, Ranges: []staging.Range{{End: in.Object.Size}}}, nil
	}
	cuts, size, err := clickstream.Split(br, in.RangeBytes)
	if err != nil {
		return SplitResult{}, classify(fmt.Errorf("reading %s: %w", uri, err))
	}
	if size != in.Object.Size {
		return SplitResult{}, classify(fmt.Errorf("reading %s: %w: %d bytes, listed with %d", uri, blob.ErrChanged, size, in.Object.Size))
	}
	res := SplitResult{Ranges: make([]staging.Range, len(cuts))}
	for i, c := range cuts {
		end := size
		if i+1 < len(cuts) {
			end = cuts[i+1].Offset
		}
		res.Ranges[i] = staging.Range{Offset: c.Offset, End: end, Line: c.Line}
	}
	return res, nil
}
