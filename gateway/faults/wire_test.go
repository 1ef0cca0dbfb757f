package faults

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
)

// wireFault is a misbehaviour on the wire that the sandboxes' own knobs do
// not offer: it rewrites a sandbox's real answer.
type wireFault int

const (
	wireNone wireFault = iota
	// wireGzip: a correct gzip body (Content-Encoding: gzip).
	wireGzip
	// wireGzipNotGzip: Content-Encoding: gzip over a body that is not gzip.
	wireGzipNotGzip
	// wireGzipChecksum: a gzip body whose CRC-32 does not match.
	wireGzipChecksum
	// wireGzipCut: a gzip stream cut in half (the HTTP framing is right).
	wireGzipCut
	// wireTruncated: Content-Length promises the whole body, half is sent,
	// then the connection is dropped.
	wireTruncated
)

// wire is the sandboxes' middleware (dev.Options.SandboxMiddleware): it
// applies a wire fault to a connection's next API answers.
type wire struct {
	mu     sync.Mutex
	fault  map[string]wireFault
	left   map[string]int // answers still to spoil; <0 = until cleared
	gzipOK map[string]bool
}

func newWire() *wire {
	return &wire{fault: map[string]wireFault{}, left: map[string]int{}, gzipOK: map[string]bool{}}
}

// set spoils the next n API answers of conn (n < 0: all, until set again).
func (w *wire) set(conn string, f wireFault, n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.fault[conn], w.left[conn] = f, n
}

// askedGzip reports whether an API request of conn offered gzip.
func (w *wire) askedGzip(conn string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.gzipOK[conn]
}

func (w *wire) take(conn string, r *http.Request) wireFault {
	w.mu.Lock()
	defer w.mu.Unlock()
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		w.gzipOK[conn] = true
	}
	f := w.fault[conn]
	if f == wireNone || w.left[conn] == 0 {
		return wireNone
	}
	if w.left[conn] > 0 {
		w.left[conn]--
	}
	return f
}

func (w *wire) middleware(conn string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, apiPrefix[conn]) {
			h.ServeHTTP(rw, r)
			return
		}
		f := w.take(conn, r)
		if f == wireNone {
			h.ServeHTTP(rw, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		for k, vs := range rec.Header() {
			if k != "Content-Length" {
				rw.Header()[k] = vs
			}
		}
		switch f {
		case wireGzip, wireGzipChecksum, wireGzipCut:
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			_, _ = zw.Write(body)
			_ = zw.Close()
			body = b.Bytes()
			switch f {
			case wireGzipChecksum:
				body[len(body)-8] ^= 0xff // the CRC-32 in the trailer
			case wireGzipCut:
				body = body[:len(body)/2]
			}
			rw.Header().Set("Content-Encoding", "gzip")
		case wireGzipNotGzip:
			rw.Header().Set("Content-Encoding", "gzip")
		case wireTruncated:
			rw.Header().Set("Content-Length", strconv.Itoa(len(body)))
			rw.WriteHeader(rec.Code)
			_, _ = rw.Write(body[:len(body)/2])
			if fl, ok := rw.(http.Flusher); ok {
				fl.Flush()
			}
			panic(http.ErrAbortHandler) // drop the connection mid-body
		}
		rw.Header().Set("Content-Length", strconv.Itoa(len(body)))
		rw.WriteHeader(rec.Code)
		_, _ = rw.Write(body)
	})
}
