package gateway

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/cxgate/cxgate/internal/logging"
)

// newRequestID returns 16 random bytes in hex. Incoming request ids are not
// trusted (they could carry anything, including PII, into logs and audit).
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// tooLarge is the body of a request whose Content-Length is over the
// limit: every read fails at once with the limit.
type tooLarge struct{ err *http.MaxBytesError }

func (b tooLarge) Read([]byte) (int, error) { return 0, b.err }
func (b tooLarge) Close() error             { return nil }

// withBasics gives every request an id (X-Request-Id response header and
// log context), recovers panics as an internal problem, bounds the body,
// and writes one access log line with no request content in it.
func withBasics(log *slog.Logger, maxBody int64, route func(*http.Request) string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := newRequestID()
		ctx := logging.WithRequestID(r.Context(), id)
		r = r.WithContext(ctx)
		w.Header().Set("X-Request-Id", id)
		sw := &statusWriter{ResponseWriter: w}
		if r.ContentLength > maxBody {
			// Announced too large: not one byte is read. The handler still
			// runs, so the refusal is authenticated and audited like any
			// other (reading the body answers 413).
			r.Body = tooLarge{&http.MaxBytesError{Limit: maxBody}}
		} else {
			r.Body = http.MaxBytesReader(sw, r.Body, maxBody)
		}
		func() {
			defer func() {
				if v := recover(); v != nil {
					if v == http.ErrAbortHandler {
						panic(v)
					}
					log.ErrorContext(ctx, "panic in handler", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
					if sw.status == 0 {
						p := NewProblem(CodeInternal, "")
						p.RequestID = id
						WriteProblem(sw, p)
					}
				}
			}()
			next.ServeHTTP(sw, r)
		}()
		log.LogAttrs(ctx, slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("route", route(r)),
			slog.Int("status", sw.status), slog.Int("bytes", sw.bytes),
			slog.Float64("ms", float64(time.Since(start).Microseconds())/1000))
	})
}
