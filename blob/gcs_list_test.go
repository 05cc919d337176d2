package blob

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"
)

// gcsListNames are the objects below the root "root/" of TestGCSList.
var gcsListNames = []string{
	"a-b", "a.jsonl", "a/b", "a=b",
	"dt=2024-01-3/x.jsonl",
	"dt=2024-01-30/a.jsonl", "dt=2024-01-30/b-c.jsonl", "dt=2024-01-30/part=1/z.json",
	"dt=2024-01-31/ä.jsonl", "dt=2024-01-31/日本.jsonl",
	"z/é/ü.ndjson.gz",
}

func TestGCSList(t *testing.T) {
	var objects []fakestorage.Object
	add := func(key string) {
		objects = append(objects, fakestorage.Object{
			ObjectAttrs: fakestorage.ObjectAttrs{BucketName: testBucket, Name: key},
			Content:     []byte(key),
		})
	}
	for _, name := range gcsListNames {
		add("root/" + name)
	}
	// Outside the root, and folder placeholders inside it.
	for _, key := range []string{"root", "root-x", "roo/t", "other/a.jsonl", "root/", "root/dt=2024-01-30/", "root/z/é/"} {
		add(key)
	}
	srv := newFakeGCS(t, objects...)
	s := newTestGCS(t, clientOver(t, srv, nil), "gs://"+testBucket+"/root/")
	if got, want := s.URI(), "gs://"+testBucket+"/root"; got != want {
		t.Fatalf("URI() = %q, want %q", got, want)
	}

	tests := []struct {
		prefix string
		want   []string
	}{
		{prefix: "", want: gcsListNames},
		{prefix: "dt=2024-01-3", want: gcsListNames[4:10]},
		{prefix: "dt=2024-01-30/", want: gcsListNames[5:8]},
		{prefix: "dt=2024-01-31/日", want: gcsListNames[9:10]},
		{prefix: "a", want: gcsListNames[:4]},
		{prefix: "z/é/", want: gcsListNames[10:]},
		{prefix: "nothing", want: nil},
	}
	for _, tt := range tests {
		for _, max := range []int{1, 3, 1000, 0} {
			got := listGCSPages(t, s, tt.prefix, max)
			if !slices.Equal(got, tt.want) {
				t.Errorf("List(%q) in pages of %d = %q, want %q", tt.prefix, max, got, tt.want)
			}
		}
	}
	if !slices.IsSorted(gcsListNames) {
		t.Fatal("gcsListNames must be in lexical order")
	}

	page, err := s.List(context.Background(), "a.jsonl", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Objects) != 1 {
		t.Fatalf("List(a.jsonl) = %+v", page)
	}
	o := page.Objects[0]
	if o.Size != int64(len("root/a.jsonl")) || o.Generation == 0 || o.Updated.IsZero() {
		t.Errorf("List(a.jsonl) = %+v, want its size, generation and time", o)
	}
}

// listGCSPages follows List's tokens to the end, passing each through JSON
// as a workflow's state would, and checks that every page but the last is
// full.
func listGCSPages(t *testing.T, s *GCS, prefix string, max int) []string {
	t.Helper()
	size := max
	if size <= 0 {
		size = DefaultPageSize
	}
	var names []string
	var state struct {
		Token string `json:"token"`
	}
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("List does not end")
		}
		page, err := s.List(context.Background(), prefix, state.Token, max)
		if err != nil {
			t.Fatalf("List(%q, %q, %d): %v", prefix, state.Token, max, err)
		}
		for _, o := range page.Objects {
			names = append(names, o.Name)
		}
		if page.Next == "" {
			return names
		}
		if len(page.Objects) != size {
			t.Fatalf("List(%q, %q, %d): a page of %d with a successor", prefix, state.Token, max, len(page.Objects))
		}
		b, err := json.Marshal(struct {
			Token string `json:"token"`
		}{page.Next})
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &state); err != nil {
			t.Fatal(err)
		}
	}
}

// A listing of the whole bucket, in pages up to bigger than GCS's own
// (1000), which the client's pager fills with several requests. (The fake
// does not cap its pages, so here one request answers each.)
func TestGCSListWholeBucketLargePages(t *testing.T) {
	var objects []fakestorage.Object
	var want []string
	for i := range 1500 {
		key := fmt.Sprintf("k%04d", i)
		want = append(want, key)
		objects = append(objects, fakestorage.Object{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: testBucket, Name: key}})
	}
	srv := newFakeGCS(t, objects...)
	s := newTestGCS(t, clientOver(t, srv, nil), "gs://"+testBucket)
	for _, max := range []int{1000, 1200, 5000} {
		if got := listGCSPages(t, s, "", max); !slices.Equal(got, want) {
			t.Errorf("pages of %d: got %d names, want %d", max, len(got), len(want))
		}
	}
}

func TestGCSListMissingBucket(t *testing.T) {
	srv := newFakeGCS(t)
	s := newTestGCS(t, clientOver(t, srv, nil), "gs://no-such-bucket/p")
	_, err := s.List(context.Background(), "", "", 10)
	checkErr(t, err, []error{ErrNotExist}, "bucket no-such-bucket does not exist")
}

// statusTransport answers every request whose method is in methods (all
// when empty) with status and a JSON error, and sends the others to next.
type statusTransport struct {
	status  int
	methods []string
	next    http.RoundTripper
}

func (st statusTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if len(st.methods) > 0 && !slices.Contains(st.methods, r.Method) {
		return st.next.RoundTrip(r)
	}
	if r.Body != nil {
		r.Body.Close()
	}
	body := `{"error":{"code":` + strconv.Itoa(st.status) + `,"message":"caller does not have storage.objects access to the Google Cloud Storage bucket"}}`
	return &http.Response{
		StatusCode: st.status,
		Status:     http.StatusText(st.status),
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       nopCloser{strings.NewReader(body)},
		Request:    r,
	}, nil
}

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }

func TestGCSPermissionDenied(t *testing.T) {
	srv := newFakeGCS(t)
	ctx := context.Background()
	denied := newTestGCS(t, clientOver(t, srv, statusTransport{status: http.StatusForbidden, next: srv.HTTPClient().Transport}), "gs://"+testBucket+"/p")
	_, err := denied.List(ctx, "", "", 10)
	checkErr(t, err, []error{ErrPermission}, "bucket "+testBucket, "roles/storage.objectViewer")
	_, err = denied.Open(ctx, "a")
	checkErr(t, err, []error{ErrPermission}, "bucket "+testBucket, "roles/storage.objectViewer")
	_, err = denied.Create(ctx, "a")
	checkErr(t, err, []error{ErrPermission}, "bucket "+testBucket, "roles/storage.objectAdmin")
	err = denied.Delete(ctx, "a")
	checkErr(t, err, []error{ErrPermission}, "bucket "+testBucket, "roles/storage.objectAdmin")

	// Reading allowed, writing refused: the upload fails.
	readOnly := newTestGCS(t, clientOver(t, srv, statusTransport{status: http.StatusForbidden, methods: []string{"POST", "PUT"}, next: srv.HTTPClient().Transport}), "gs://"+testBucket+"/p")
	w, err := readOnly.Create(ctx, "a.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("{}\n"))
	checkErr(t, w.Close(), []error{ErrPermission}, "roles/storage.objectAdmin")

	unauthenticated := newTestGCS(t, clientOver(t, srv, statusTransport{status: http.StatusUnauthorized, next: srv.HTTPClient().Transport}), "gs://"+testBucket)
	_, err = unauthenticated.List(ctx, "", "", 10)
	checkErr(t, err, []error{ErrPermission}, "Application Default Credentials")
}
