package blob

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
)

// loseAnswer passes uploads to the server and then breaks off their answer
// after the headers, with err; with drop set it drops the upload instead,
// answering 200 with a body that breaks off the same way.
type loseAnswer struct {
	next http.RoundTripper
	err  error
	drop bool
}

func (l loseAnswer) RoundTrip(r *http.Request) (*http.Response, error) {
	if !strings.HasPrefix(r.URL.Path, "/upload/") {
		return l.next.RoundTrip(r)
	}
	if l.drop {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
		return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Header: http.Header{"Content-Type": {"application/json"}},
			Body: &cutBody{rc: io.NopCloser(strings.NewReader("")), err: l.err}, Request: r}, nil
	}
	res, err := l.next.RoundTrip(r)
	if err == nil {
		res.Body = &cutBody{rc: res.Body, err: l.err}
	}
	return res, err
}

// An upload whose answer breaks off after the service stored the object is
// an error the client does not retry; Close finds the object holds what it
// wrote and succeeds. An upload that never got there still fails.
func TestGCSCreateAnswerLost(t *testing.T) {
	reset := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	tests := []struct {
		name    string
		lose    loseAnswer
		before  []byte // the object before, if any
		wantErr bool
	}{
		{name: "reset", lose: loseAnswer{err: reset}},
		{name: "unexpected EOF", lose: loseAnswer{err: io.ErrUnexpectedEOF}},
		{name: "reset, replacing", lose: loseAnswer{err: reset}, before: []byte("old\n")},
		{name: "never stored", lose: loseAnswer{err: reset, drop: true}, wantErr: true},
		{name: "never stored, replacing", lose: loseAnswer{err: reset, drop: true}, before: []byte("old\n"), wantErr: true},
	}
	content := []byte("{\"a\":1}\n")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeGCS(t)
			plain := newTestGCS(t, clientOver(t, srv, nil), "gs://"+testBucket)
			if tt.before != nil {
				writeObject(t, plain, "x", tt.before)
			}
			tt.lose.next = srv.HTTPClient().Transport
			client := clientOver(t, srv, tt.lose)
			s := newTestGCS(t, client, "gs://"+testBucket)
			w, err := s.Create(context.Background(), "x")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Write(content); err != nil {
				t.Fatal(err)
			}
			err = w.Close()
			if tt.wantErr {
				if err == nil {
					t.Fatal("Close succeeded, but nothing was stored")
				}
				if tt.before != nil {
					equalBytes(t, "the object", readObject(t, plain, "x"), tt.before)
				} else if _, err := plain.Open(context.Background(), "x"); !errors.Is(err, ErrNotExist) {
					t.Errorf("after the failed write: %v, want no object", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Close: %v", err)
			}
			equalBytes(t, "the object", readObject(t, plain, "x"), content)
		})
	}
}
