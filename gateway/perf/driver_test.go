package perf

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// testServer answers by path: /ok 200, /teapot 418, /hangup closes the
// connection without an answer, /wait blocks until release is closed, and
// records the Idempotency-Key of every request.
type testServer struct {
	mu      sync.Mutex
	keys    []string
	release chan struct{}
}

func (s *testServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.keys = append(s.keys, r.Header.Get("Idempotency-Key"))
	s.mu.Unlock()
	switch r.URL.Path {
	case "/ok":
		_, _ = w.Write([]byte("ok"))
	case "/teapot":
		w.WriteHeader(http.StatusTeapot)
	case "/hangup":
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	case "/wait":
		select {
		case <-s.release:
		case <-r.Context().Done():
		}
	}
}

func newTestServer(t *testing.T) (*testServer, string) {
	s := &testServer{release: make(chan struct{})}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		select {
		case <-s.release:
		default:
			close(s.release)
		}
	})
	return s, srv.URL
}

func cycle(reqs ...Request) Source {
	return func(i int64) Request { return reqs[i%int64(len(reqs))] }
}

func TestRun(t *testing.T) {
	s, base := newTestServer(t)
	ok := Request{Name: "ok", Method: http.MethodGet, Path: "/ok", Want: 200}
	write := Request{Name: "write", Method: http.MethodPost, Path: "/ok", Body: []byte(`{}`), Want: 200, Idempotent: true}
	teapot := Request{Name: "teapot", Method: http.MethodGet, Path: "/teapot", Want: 200}
	hangup := Request{Name: "hangup", Method: http.MethodGet, Path: "/hangup", Want: 200}
	res, err := Run(context.Background(), Config{BaseURL: base, Rate: 400, Duration: 500 * time.Millisecond,
		Source: cycle(ok, write, teapot, hangup)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 200 || res.Dropped != 0 {
		t.Fatalf("sent %d, dropped %d; the schedule holds 200", res.Sent, res.Dropped)
	}
	if res.Completed != 150 || res.ByStatus[200] != 100 || res.ByStatus[418] != 50 {
		t.Errorf("completed %d, statuses %v", res.Completed, res.ByStatus)
	}
	if got := res.Unexpected["teapot: got 418, want 200"]; got != 50 || len(res.Unexpected) != 1 {
		t.Errorf("unexpected %v", res.Unexpected)
	}
	if got := res.Failed["hangup: transport"]; got != 50 || len(res.Failed) != 1 {
		t.Errorf("failed %v", res.Failed)
	}
	if res.Errors() != 100 {
		t.Errorf("errors %d, want 100", res.Errors())
	}
	if res.Latency.Count() != 150 || res.ByName["ok"].Count() != 50 || res.ByName["hangup"].Count() != 0 {
		t.Errorf("latency counts: all %d, ok %d, hangup %d", res.Latency.Count(), res.ByName["ok"].Count(), res.ByName["hangup"].Count())
	}
	keys := map[string]bool{}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range s.keys {
		if k != "" {
			keys[k] = true
		}
	}
	if len(keys) != 50 {
		t.Errorf("%d distinct Idempotency-Keys; each of the 50 writes needs its own", len(keys))
	}
	for _, want := range []string{"sent 200", "teapot: got 418, want 200 (50)", "hangup: transport (50)", "statuses: 200×100 418×50"} {
		if !strings.Contains(res.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, res)
		}
	}
	if !strings.Contains(res.Table(), "teapot") {
		t.Errorf("table lacks a request name:\n%s", res.Table())
	}
}

// A stalled server shows up as latency measured from each request's due
// time, and requests due while the in-flight bound is reached are dropped,
// not delayed: the schedule does not wait for responses.
func TestRunOpenLoop(t *testing.T) {
	s, base := newTestServer(t)
	wait := Request{Name: "wait", Method: http.MethodGet, Path: "/wait", Want: 200}
	stall := 300 * time.Millisecond
	go func() {
		time.Sleep(stall)
		close(s.release)
	}()
	res, err := Run(context.Background(), Config{BaseURL: base, Rate: 100, Duration: 200 * time.Millisecond,
		Source: cycle(wait), MaxInFlight: 5})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent+res.Dropped != 20 {
		t.Errorf("sent %d + dropped %d, want the 20 scheduled", res.Sent, res.Dropped)
	}
	if res.Sent != 5 || res.Dropped != 15 {
		t.Errorf("sent %d, dropped %d: 5 fit in flight while the server stalls", res.Sent, res.Dropped)
	}
	if res.Completed != 5 || res.Errors() != 15 {
		t.Errorf("completed %d, errors %d", res.Completed, res.Errors())
	}
	// The first request was due at the start and answered after the stall.
	if res.Latency.Max() < stall {
		t.Errorf("max latency %s, but the server stalled for %s", res.Latency.Max(), stall)
	}
}

func TestRunTimeoutAndCancel(t *testing.T) {
	_, base := newTestServer(t)
	wait := Request{Name: "wait", Method: http.MethodGet, Path: "/wait", Want: 200}
	t.Run("timeout", func(t *testing.T) {
		res, err := Run(context.Background(), Config{BaseURL: base, Rate: 50, Duration: 100 * time.Millisecond,
			Source: cycle(wait), Timeout: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if res.Failed["wait: timeout"] != 5 {
			t.Errorf("failed %v, want 5 timeouts", res.Failed)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		res, err := Run(ctx, Config{BaseURL: base, Rate: 50, Duration: time.Hour, Source: cycle(wait)})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if res == nil || res.Sent == 0 || res.Sent > 50 {
			t.Fatalf("result %+v: want what was sent before the cancel", res)
		}
	})
}

func TestRunConfig(t *testing.T) {
	src := cycle(Request{Name: "x", Method: http.MethodGet, Path: "/", Want: 200})
	for _, c := range []struct {
		name string
		cfg  Config
	}{
		{"no rate", Config{BaseURL: "http://127.0.0.1:1", Duration: time.Second, Source: src}},
		{"no duration", Config{BaseURL: "http://127.0.0.1:1", Rate: 1, Source: src}},
		{"no source", Config{BaseURL: "http://127.0.0.1:1", Rate: 1, Duration: time.Second}},
		{"no base URL", Config{Rate: 1, Duration: time.Second, Source: src}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Run(context.Background(), c.cfg); err == nil {
				t.Error("Run accepted the config")
			}
		})
	}
}

func TestRunProgress(t *testing.T) {
	_, base := newTestServer(t)
	ok := Request{Name: "ok", Method: http.MethodGet, Path: "/ok", Want: 200}
	teapot := Request{Name: "teapot", Method: http.MethodGet, Path: "/teapot", Want: 200}
	var mu sync.Mutex
	var got []Interval
	res, err := Run(context.Background(), Config{BaseURL: base, Rate: 200, Duration: time.Second, Source: cycle(ok, teapot),
		Every: 200 * time.Millisecond, Progress: func(iv Interval) {
			mu.Lock()
			got = append(got, iv)
			mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) == 0 {
		t.Fatal("no progress report in a one-second run reporting every 200ms")
	}
	var sent, done, errs, lat int64
	for i, iv := range got {
		sent, done, errs, lat = sent+iv.Sent, done+iv.Completed, errs+iv.Errors, lat+int64(iv.Latency.Count())
		if iv.InFlight < 0 || (i > 0 && iv.Since <= got[i-1].Since) {
			t.Errorf("report %d: %+v", i, iv)
		}
	}
	// The reports cover the run up to the last tick, never more than it.
	if sent > res.Sent || done > res.Completed || errs > res.Errors() || lat > res.Completed || sent == 0 || errs == 0 {
		t.Errorf("reports add up to sent %d, done %d, errors %d, latencies %d; the run had %d, %d, %d",
			sent, done, errs, lat, res.Sent, res.Completed, res.Errors())
	}
}
