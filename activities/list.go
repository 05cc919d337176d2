package activities

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/clickstream-platform/clickstream/blob"
	"github.com/clickstream-platform/clickstream/clickstream"
)

// ListInput asks for one page of the source.
type ListInput struct {
	Source   string `json:"source"`
	Token    string `json:"token,omitempty"` // "" for the first page
	PageSize int    `json:"page_size"`
	// From and To (YYYY-MM-DD), when set, list only the source's
	// dt=YYYY-MM-DD/ folders of those days, both included, day after day.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// OnlyNew leaves out the objects the ledger holds at the generation
	// listed.
	OnlyNew bool `json:"only_new,omitempty"`
}

// ListResult is one page of input objects.
type ListResult struct {
	// Objects are the page's input objects (clickstream.IsInputName), in
	// listing order.
	Objects []blob.Object `json:"objects"`
	// Skipped counts the page's other objects (markers, checksums, ...).
	Skipped int `json:"skipped"`
	// Unchanged counts the input objects left out by OnlyNew.
	Unchanged int `json:"unchanged,omitempty"`
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
	prefix, token, next := "", in.Token, func(t string) string { return t }
	if in.From != "" || in.To != "" {
		if prefix, token, next, err = dayPage(in); err != nil {
			return ListResult{}, classify(configError("%v", err))
		}
	}
	page, err := src.List(ctx, prefix, token, in.PageSize)
	if err != nil {
		return ListResult{}, classify(fmt.Errorf("listing %s: %w", in.Source, err))
	}
	res := ListResult{Next: next(page.Next), Objects: make([]blob.Object, 0, len(page.Objects))}
	for _, o := range page.Objects {
		if clickstream.IsInputName(o.Name) {
			res.Objects = append(res.Objects, o)
		} else {
			res.Skipped++
		}
	}
	if in.OnlyNew && len(res.Objects) > 0 {
		if res.Objects, res.Unchanged, err = a.onlyNew(ctx, src, res.Objects); err != nil {
			return ListResult{}, classify(fmt.Errorf("listing %s: %w", in.Source, err))
		}
	}
	return res, nil
}

// onlyNew returns the objects the ledger does not hold at the generation
// listed, and how many it left out.
func (a *Activities) onlyNew(ctx context.Context, src blob.Store, objs []blob.Object) ([]blob.Object, int, error) {
	uris := make([]string, len(objs))
	for i, o := range objs {
		uris[i] = blob.Join(src.URI(), o.Name)
	}
	loaded, err := a.Warehouse.LoadedObjects(ctx, uris)
	if err != nil {
		return nil, 0, err
	}
	out := objs[:0:0]
	for i, o := range objs {
		if gen, ok := loaded[uris[i]]; ok && gen == o.Generation {
			continue
		}
		out = append(out, o)
	}
	return out, len(objs) - len(out), nil
}

// dayPage is the listing of a day range: the days' dt= folders one after
// the other, a page never spanning two. Its token is the day and that day's
// own listing token, separated by a space; a day whose listing ends hands
// on to the next day's first page, so an empty day is one empty page.
func dayPage(in ListInput) (prefix, token string, next func(string) string, err error) {
	days, err := clickstream.Days(in.From, in.To)
	if err != nil {
		return "", "", nil, err
	}
	day := days[0]
	if in.Token != "" {
		var ok bool
		day, token, ok = strings.Cut(in.Token, " ")
		if !ok || !slices.Contains(days, day) {
			return "", "", nil, fmt.Errorf("page token %q is not one of days %s to %s", in.Token, in.From, in.To)
		}
	}
	i := slices.Index(days, day)
	next = func(t string) string {
		switch {
		case t != "":
			return day + " " + t
		case i+1 < len(days):
			return days[i+1] + " "
		}
		return ""
	}
	return clickstream.PartitionPrefix(day), token, next, nil
}
