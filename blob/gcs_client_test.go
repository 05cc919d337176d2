package blob

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// With STORAGE_EMULATOR_HOST set, as a URL or as host:port, NewGCSClient
// talks to the emulator without credentials.
func TestNewGCSClientEmulator(t *testing.T) {
	srv := newListeningFakeGCS(t)
	for _, host := range []string{srv.URL(), strings.TrimPrefix(srv.URL(), "http://")} {
		t.Run(host, func(t *testing.T) {
			t.Setenv("STORAGE_EMULATOR_HOST", host)
			ctx := context.Background()
			c, err := NewGCSClient(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			s, err := (&Opener{GCS: c}).Open(ctx, "gs://"+testBucket+"/emulated/")
			if err != nil {
				t.Fatal(err)
			}
			if got, want := s.URI(), "gs://"+testBucket+"/emulated"; got != want {
				t.Errorf("URI() = %q, want %q", got, want)
			}
			content := gzipped(t, []byte(`{"session_id":"s1"}`+"\n"))
			writeObject(t, s, "dt=2024-01-30/a.jsonl.gz", content)
			putObject(t, c, "emulated/encoded.jsonl", content, "gzip")
			objs := listNames(t, s, "")
			if len(objs) != 2 || objs[0].Name != "dt=2024-01-30/a.jsonl.gz" || objs[1].Name != "encoded.jsonl" {
				t.Fatalf("listed %+v", objs)
			}
			for _, o := range objs {
				equalBytes(t, o.Name, readObject(t, s, o.Name), content)
			}
		})
	}
}

func TestOpener(t *testing.T) {
	srv := newFakeGCS(t)
	client := clientOver(t, srv, nil)
	tests := []struct {
		name        string
		uri         string
		noClient    bool
		wantURI     string // of the store
		wantGCS     bool
		errIs       error
		errContains []string
	}{
		{name: "local", uri: "data/source/", wantURI: "data/source"},
		{name: "file URI", uri: "file:///srv/data", wantURI: "/srv/data"},
		{name: "local without a client", uri: "data", noClient: true, wantURI: "data"},
		{name: "bucket", uri: "gs://my-bucket", wantURI: "gs://my-bucket", wantGCS: true},
		{name: "bucket slash", uri: "gs://my-bucket/", wantURI: "gs://my-bucket", wantGCS: true},
		{name: "prefix", uri: "gs://my.bucket_1/raw/clickstream/", wantURI: "gs://my.bucket_1/raw/clickstream", wantGCS: true},
		{name: "upper-case scheme", uri: "GS://my-bucket/p", wantURI: "gs://my-bucket/p", wantGCS: true},
		{name: "hive prefix", uri: "gs://my-bucket/dt=2024-01-30", wantURI: "gs://my-bucket/dt=2024-01-30", wantGCS: true},
		{name: "no client", uri: "gs://my-bucket/p", noClient: true, errContains: []string{`"gs://my-bucket/p"`, "gs:// needs a GCS client"}},
		{name: "no bucket", uri: "gs://", errContains: []string{"invalid bucket name"}},
		{name: "empty bucket", uri: "gs:///p", errContains: []string{"invalid bucket name"}},
		{name: "upper-case bucket", uri: "gs://My-Bucket", errContains: []string{`invalid bucket name "My-Bucket"`}},
		{name: "short bucket", uri: "gs://ab", errContains: []string{"invalid bucket name"}},
		{name: "bucket starting with a dash", uri: "gs://-ab", errContains: []string{"invalid bucket name"}},
		{name: "empty element", uri: "gs://my-bucket/a//b", errIs: ErrInvalidName},
		{name: "dot-dot", uri: "gs://my-bucket/../b", errIs: ErrInvalidName},
		{name: "unknown scheme", uri: "s3://b/k", errContains: []string{"unsupported scheme", "gs://bucket[/prefix]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := &Opener{GCS: client}
			if tt.noClient {
				o = &Opener{}
			}
			s, err := o.Open(context.Background(), tt.uri)
			if tt.errIs != nil || tt.errContains != nil {
				var is []error
				if tt.errIs != nil {
					is = append(is, tt.errIs)
				}
				checkErr(t, err, is, tt.errContains...)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, isGCS := s.(*GCS); isGCS != tt.wantGCS {
				t.Errorf("Open(%q) = %T", tt.uri, s)
			}
			if s.URI() != tt.wantURI {
				t.Errorf("URI() = %q, want %q", s.URI(), tt.wantURI)
			}
		})
	}

	if _, err := NewGCS(nil, "gs://my-bucket"); err == nil || !strings.Contains(err.Error(), "needs a GCS client") {
		t.Errorf("NewGCS(nil) = %v", err)
	}
	_, err := Open("gs://my-bucket/p")
	if err == nil || !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), "blob.Opener") {
		t.Errorf("Open(gs://) = %v, want an error saying to use an Opener", err)
	}
}

// Join gives the full names of a GCS store's objects.
func TestGCSJoin(t *testing.T) {
	srv := newFakeGCS(t)
	client := clientOver(t, srv, nil)
	for uri, want := range map[string]string{
		"gs://my-bucket":     "gs://my-bucket/dt=1/a.jsonl",
		"gs://my-bucket/":    "gs://my-bucket/dt=1/a.jsonl",
		"gs://my-bucket/p/q": "gs://my-bucket/p/q/dt=1/a.jsonl",
	} {
		s, err := NewGCS(client, uri)
		if err != nil {
			t.Fatal(err)
		}
		if got := Join(s.URI(), "dt=1/a.jsonl"); got != want {
			t.Errorf("Join(%q) = %q, want %q", s.URI(), got, want)
		}
	}
}
