package sampledata

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"
)

// memStore keeps generated objects in memory, in creation order.
type memStore struct {
	names []string
	data  map[string]*memObject
}

type memObject struct {
	bytes.Buffer
	closed bool
}

func (o *memObject) Close() error { o.closed = true; return nil }

func (m *memStore) create(name string) (io.WriteCloser, error) {
	if m.data == nil {
		m.data = map[string]*memObject{}
	}
	o := &memObject{}
	m.names = append(m.names, name)
	m.data[name] = o
	return o, nil
}

// generate runs WriteObjects into memory and fails the test on error.
func generate(t testing.TB, opts Options) (Summary, *memStore) {
	t.Helper()
	var m memStore
	sum, err := WriteObjects(opts, m.create)
	if err != nil {
		t.Fatalf("WriteObjects(%+v): %v", opts, err)
	}
	for _, name := range m.names {
		if !m.data[name].closed {
			t.Errorf("object %s was not closed", name)
		}
	}
	return sum, &m
}

// content returns an object's uncompressed bytes.
func (m *memStore) content(t testing.TB, name string) []byte {
	t.Helper()
	b := m.data[name].Bytes()
	if !strings.HasSuffix(name, ".gz") {
		return b
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out
}

// lines splits content into lines, checking that it ends with a newline.
func lines(t testing.TB, name string, content []byte) []string {
	t.Helper()
	if len(content) == 0 {
		return nil
	}
	if content[len(content)-1] != '\n' {
		t.Fatalf("%s does not end with a newline", name)
	}
	return strings.Split(string(content[:len(content)-1]), "\n")
}
