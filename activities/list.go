package activities

import (
	"context"
	"fmt"

	"github.com/clickstream-platform/clickstream/blob"
	"github.com/clickstream-platform/clickstream/clickstream"
)

// ListInput asks for one page of the source.
type ListInput struct {
	Source   string `json:"source"`
	Token    string `json:"token,omitempty"` // "" for the first page
	PageSize int    `json:"page_size"`
}

// ListResult is one page of input objects.
type ListResult struct {
	// Objects are the page's input objects (clickstream.IsInputName), in
	// listing order.
	Objects []blob.Object `json:"objects"`
	// Skipped counts the page's other objects (markers, checksums, ...).
	Skipped int `json:"skipped"`
	// Next is the next page's token; "" when the listing is done.
	Next string `json:"next,omitempty"`
}

// List is the extract step: it lists one page of the source. The page
// token is the workflow's state; the whole listing never is.
func (a *Activities) List(ctx context.Context, in ListInput) (ListResult, error) {
	stop := keepAlive(ctx)
	defer stop()
	src, err := a.OpenSource(ctx, in.Source)
	if err != nil {
		return ListResult{}, classify(configError("source %s: %v", in.Source, err))
	}
	page, err := src.List(ctx, "", in.Token, in.PageSize)
	if err != nil {
		return ListResult{}, classify(fmt.Errorf("listing %s: %w", in.Source, err))
	}
	res := ListResult{Next: page.Next, Objects: make([]blob.Object, 0, len(page.Objects))}
	for _, o := range page.Objects {
		if clickstream.IsInputName(o.Name) {
			res.Objects = append(res.Objects, o)
		} else {
			res.Skipped++
		}
	}
	return res, nil
}
