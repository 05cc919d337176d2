package activities_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/clickstream-platform/clickstream/activities"
	"github.com/clickstream-platform/clickstream/blob"
)

// TestListDays: a date-range listing walks the dt= folders of the days in
// order, in pages, skipping other days and folders that only look alike;
// an empty day is an empty page; every object of the range is listed once.
func TestListDays(t *testing.T) {
	root := t.TempDir()
	for _, name := range []string{
		"dt=2024-01-29/a.jsonl",                          // before the range
		"dt=2024-01-30/a.jsonl", "dt=2024-01-30/b.jsonl", // in it
		"dt=2024-01-30/c.jsonl", "dt=2024-01-30/_SUCCESS",
		"dt=2024-01-30x/a.jsonl", // not a day folder
		"dt=2024-02-01/a.jsonl",  // 2024-01-31 has no folder
		"dt=2024-02-02/a.jsonl",  // after the range
		"other/a.jsonl",
	} {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("{}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a := &activities.Activities{OpenSource: func(_ context.Context, uri string) (blob.Store, error) { return blob.NewLocal(uri) }}
	in := activities.ListInput{Source: root, PageSize: 2, From: "2024-01-30", To: "2024-02-01"}
	var got []string
	var pages []int
	skipped := 0
	for i := 0; ; i++ {
		if i > 10 {
			t.Fatal("the listing does not end")
		}
		res, err := a.List(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range res.Objects {
			got = append(got, o.Name)
		}
		pages = append(pages, len(res.Objects))
		skipped += res.Skipped
		if res.Next == "" {
			break
		}
		in.Token = res.Next
	}
	want := []string{"dt=2024-01-30/a.jsonl", "dt=2024-01-30/b.jsonl", "dt=2024-01-30/c.jsonl", "dt=2024-02-01/a.jsonl"}
	if !slices.Equal(got, want) {
		t.Errorf("listed %v, want %v", got, want)
	}
	if skipped != 1 {
		t.Errorf("skipped %d, want 1 (_SUCCESS)", skipped)
	}
	// 2024-01-30: _SUCCESS and a, then b and c; 2024-01-31: empty;
	// 2024-02-01: one.
	if !slices.Equal(pages, []int{1, 2, 0, 1}) {
		t.Errorf("pages of %v objects, want [1 2 0 1]", pages)
	}

	for _, tt := range []struct {
		in   activities.ListInput
		want string
	}{
		{activities.ListInput{Source: root, From: "2024-02-01", To: "2024-01-30"}, "from 2024-02-01 is after to 2024-01-30"},
		{activities.ListInput{Source: root, From: "2024-01-30", To: "2024-02-01", Token: "2024-03-01 x"}, `page token "2024-03-01 x" is not one of days`},
		{activities.ListInput{Source: root, From: "2024-01-30", To: "2024-02-01", Token: "garbage"}, `page token "garbage"`},
	} {
		_, err := a.List(context.Background(), tt.in)
		var app *temporal.ApplicationError
		if !errors.As(err, &app) || app.Type() != activities.ErrConfig || !app.NonRetryable() || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("List(%+v) = %v, want a non-retryable ConfigError saying %q", tt.in, err, tt.want)
		}
	}
}
