package blob

import (
	"context"
	"fmt"
	"strings"

	"cloud.google.com/go/storage"
	"google.golang.org/api/iterator"
)

// List returns up to max objects (DefaultPageSize when max <= 0) whose names
// start with prefix, in lexical byte order of their names, from the page that
// token names ("" for the first). The token is the service's own page token,
// valid with the same prefix only; Next is empty on the last page. Folder
// placeholders (names ending in "/") are not objects and are skipped; every
// other object is listed, even one whose name Open refuses ("a//b"), so that
// nothing below the root goes unnoticed. A missing bucket is an error
// wrapping ErrNotExist, refused access one wrapping ErrPermission.
//
// Every page but the last is full: placeholders skipped are made up for by
// reading further.
func (s *GCS) List(ctx context.Context, prefix, token string, max int) (Page, error) {
	if max <= 0 {
		max = DefaultPageSize
	}
	q := &storage.Query{Prefix: s.key(prefix)}
	if err := q.SetAttrSelection([]string{"Name", "Size", "Updated", "Generation"}); err != nil {
		return Page{}, fmt.Errorf("listing %s: %w", s.uri, err)
	}
	page := Page{Objects: make([]Object, 0, min(max, DefaultPageSize))}
	for {
		var attrs []*storage.ObjectAttrs
		next, err := iterator.NewPager(s.bucket.Objects(ctx, q), max-len(page.Objects), token).NextPage(&attrs)
		if err != nil {
			return Page{}, s.apiError("listing", s.uri, readRole, err)
		}
		for _, a := range attrs {
			if strings.HasSuffix(a.Name, "/") || !strings.HasPrefix(a.Name, s.root) {
				continue
			}
			page.Objects = append(page.Objects, Object{
				Name:       a.Name[len(s.root):],
				Size:       a.Size,
				Updated:    a.Updated,
				Generation: a.Generation,
			})
		}
		token = next
		if token == "" || len(page.Objects) == max {
			page.Next = token
			return page, nil
		}
	}
}
