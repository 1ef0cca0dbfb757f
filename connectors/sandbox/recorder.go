package sandbox

import (
	"io"
	"net/http"
	"net/url"
	"sync"
)

// Request is one API request a sandbox received, kept so tests can assert
// what a connector asked for (the SELECT list, the GraphQL selection, the
// search query) and what it wrote.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	Body   []byte // at most MaxRecordedBody bytes
}

// MaxRecordedBody bounds the body kept per recorded request.
const MaxRecordedBody = 64 << 10

// Recorder keeps the most recent requests. The zero value keeps up to 1000.
type Recorder struct {
	mu   sync.Mutex
	max  int
	reqs []Request
}

// Record stores r and returns its body so the handler can still read it.
func (rec *Recorder) Record(r *http.Request) []byte {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(io.LimitReader(r.Body, MaxRecordedBody))
		r.Body.Close()
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	max := rec.max
	if max == 0 {
		max = 1000
	}
	if len(rec.reqs) >= max {
		rec.reqs = rec.reqs[1:]
	}
	rec.reqs = append(rec.reqs, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Body: body})
	return body
}

// Requests returns a copy of the recorded requests, oldest first.
func (rec *Recorder) Requests() []Request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]Request(nil), rec.reqs...)
}

// Clear forgets the recorded requests.
func (rec *Recorder) Clear() {
	rec.mu.Lock()
	rec.reqs = nil
	rec.mu.Unlock()
}
