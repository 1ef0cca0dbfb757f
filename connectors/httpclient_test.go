package connectors

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-resty/resty/v2"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"3", 3 * time.Second, true},
		{" 2.0 ", 2 * time.Second, true},
		{"0.25", 250 * time.Millisecond, true},
		{"-1", 0, false},
		{"NaN", 0, false},
		{"soon", 0, false},
		{"Fri, 04 Dec 2026 10:00:30 GMT", 30 * time.Second, true},
		{"Fri, 04 Dec 2026 09:00:00 GMT", 0, true},
		{"99999999", 7 * 24 * time.Hour, true},
	}
	for _, c := range cases {
		got, ok := ParseRetryAfter(c.in, now)
		if got != c.want || ok != c.ok {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// flaky answers with the given statuses in turn, then 200.
func flaky(t *testing.T, statuses []int, header http.Header) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i < len(statuses) {
			for k, v := range header {
				w.Header()[k] = v
			}
			w.WriteHeader(statuses[i])
			w.Write([]byte(`{"error":"nope"}`))
			return
		}
		w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func fastOpts() HTTPOptions {
	return HTTPOptions{RetryWait: time.Millisecond, RetryMaxWait: 20 * time.Millisecond, RetryBudget: time.Second}
}

func TestHTTPClientRetries(t *testing.T) {
	cases := []struct {
		name      string
		method    string
		mark      bool
		statuses  []int
		header    http.Header
		wantCalls int32
		wantCode  int
	}{
		{"GET retried on 503", http.MethodGet, false, []int{503, 502}, nil, 3, 200},
		{"GET gives up after max retries", http.MethodGet, false, []int{500, 500, 500, 500}, nil, 3, 500},
		{"POST not retried", http.MethodPost, false, []int{503}, nil, 1, 503},
		{"PATCH not retried", http.MethodPatch, false, []int{503}, nil, 1, 503},
		{"marked POST retried", http.MethodPost, true, []int{503}, nil, 2, 200},
		{"404 not retried", http.MethodGet, false, []int{404}, nil, 1, 404},
		{"400 not retried", http.MethodGet, false, []int{400}, nil, 1, 400},
		{"429 with short Retry-After retried", http.MethodGet, false, []int{429}, http.Header{"Retry-After": {"0.01"}}, 2, 200},
		{"429 with long Retry-After handed back", http.MethodGet, false, []int{429}, http.Header{"Retry-After": {"30"}}, 1, 429},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, n := flaky(t, c.statuses, c.header)
			cl := NewHTTPClient(ConnectionConfig{BaseURL: srv.URL}, Deps{}, fastOpts())
			ctx := context.Background()
			if c.mark {
				ctx = MarkIdempotent(ctx)
			}
			resp, err := cl.R().SetContext(ctx).Execute(c.method, "/x")
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode() != c.wantCode || n.Load() != c.wantCalls {
				t.Fatalf("status %d after %d calls; want %d after %d", resp.StatusCode(), n.Load(), c.wantCode, c.wantCalls)
			}
		})
	}
}

func TestHTTPClientRetryBudget(t *testing.T) {
	srv, n := flaky(t, []int{503, 503, 503, 503}, http.Header{"Retry-After": {"0.05"}})
	o := fastOpts()
	o.RetryMaxWait = time.Second
	o.RetryBudget = 70 * time.Millisecond // room for one 50ms wait, not two
	o.MaxRetries = 5
	cl := NewHTTPClient(ConnectionConfig{BaseURL: srv.URL}, Deps{}, o)
	resp, err := cl.R().Get("/x")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode() != 503 || n.Load() != 2 {
		t.Fatalf("status %d after %d calls; want 503 after 2 (budget)", resp.StatusCode(), n.Load())
	}
}

func TestHTTPClientNoRetryPastDeadline(t *testing.T) {
	srv, n := flaky(t, []int{503, 503}, http.Header{"Retry-After": {"0.5"}})
	o := fastOpts()
	o.RetryMaxWait = time.Second
	cl := NewHTTPClient(ConnectionConfig{BaseURL: srv.URL}, Deps{}, o)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	resp, err := cl.R().SetContext(ctx).Get("/x")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode() != 503 || n.Load() != 1 {
		t.Fatalf("status %d after %d calls; want 503 after 1", resp.StatusCode(), n.Load())
	}
}

func TestHTTPClientThrottleHook(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Write([]byte(`{"errors":[{"extensions":{"code":"THROTTLED"}}]}`))
			return
		}
		w.Write([]byte(`{"data":{}}`))
	}))
	defer srv.Close()
	o := fastOpts()
	o.Throttle = func(r *resty.Response) (time.Duration, bool) {
		return 5 * time.Millisecond, bytes.Contains(r.Body(), []byte("THROTTLED"))
	}
	cl := NewHTTPClient(ConnectionConfig{BaseURL: srv.URL}, Deps{}, o)
	resp, err := cl.R().SetContext(MarkIdempotent(context.Background())).Post("/graphql")
	if err != nil {
		t.Fatal(err)
	}
	if n.Load() != 2 || !strings.Contains(resp.String(), "data") {
		t.Fatalf("%d calls, body %q", n.Load(), resp.String())
	}
}

func TestHTTPClientBodyLimitAndGzip(t *testing.T) {
	big := bytes.Repeat([]byte("a"), 2048)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big":
			w.Write(big)
		case "/gzbomb": // small on the wire, big once inflated
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			zw.Write(bytes.Repeat([]byte("b"), 1<<20))
			zw.Close()
		case "/gz":
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			zw.Write([]byte(`{"ok":true}`))
			zw.Close()
		}
	}))
	defer srv.Close()
	o := fastOpts()
	o.MaxBodyBytes = 1024
	cl := NewHTTPClient(ConnectionConfig{BaseURL: srv.URL}, Deps{}, o)
	for _, p := range []string{"/big", "/gzbomb"} {
		_, err := cl.R().Get(p)
		err = TransportError("get", err)
		if !errors.Is(err, ErrUpstream) {
			t.Errorf("%s: err = %v, want ErrUpstream", p, err)
		}
	}
	resp, err := cl.R().Get("/gz")
	if err != nil || resp.String() != `{"ok":true}` {
		t.Fatalf("gzip: %q, %v", resp.String(), err)
	}
}

func TestHTTPClientDoesNotFollowRedirects(t *testing.T) {
	var other atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { other.Add(1) }))
	defer target.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/steal", http.StatusFound)
	}))
	defer srv.Close()
	cl := NewHTTPClient(ConnectionConfig{BaseURL: srv.URL}, Deps{}, fastOpts())
	resp, err := cl.R().SetAuthToken("s3cr3t").Get("/x")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode() != http.StatusFound || other.Load() != 0 {
		t.Fatalf("status %d, redirect target hit %d times", resp.StatusCode(), other.Load())
	}
}

func TestHTTPClientCancelDuringBackoff(t *testing.T) {
	srv, _ := flaky(t, []int{503, 503, 503}, nil)
	o := fastOpts()
	o.RetryWait, o.RetryMaxWait = 2*time.Second, 2*time.Second
	o.RetryBudget = time.Minute
	cl := NewHTTPClient(ConnectionConfig{BaseURL: srv.URL}, Deps{}, o)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	start := time.Now()
	_, err := cl.R().SetContext(ctx).Get("/x")
	if !errors.Is(TransportError("get", err), context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > time.Second { // the backoff is 1-2s: cancellation must cut it
		t.Fatalf("returned after %v", d)
	}
}

func TestTransportErrorHidesURL(t *testing.T) {
	cl := NewHTTPClient(ConnectionConfig{BaseURL: "http://127.0.0.1:1"}, Deps{}, HTTPOptions{MaxRetries: -1})
	_, err := cl.R().SetQueryParam("q", "SELECT Id FROM Contact WHERE Email = 'maya@example.com'").Get("/x")
	if err == nil {
		t.Fatal("expected a connection error")
	}
	got := TransportError("salesforce query", err)
	if !errors.Is(got, ErrUnavailable) || strings.Contains(got.Error(), "example.com") || strings.Contains(got.Error(), "127.0.0.1") {
		t.Fatalf("TransportError = %q", got)
	}
}

func TestDecodeJSON(t *testing.T) {
	var v map[string]any
	for _, body := range []string{"", `{"a":`, `[1]`, "<html>secret page</html>"} {
		err := DecodeJSON("op", []byte(body), &v)
		if !errors.Is(err, ErrUpstream) || (body != "" && strings.Contains(err.Error(), "secret")) {
			t.Errorf("DecodeJSON(%q) = %v", body, err)
		}
	}
	if err := DecodeJSON("op", []byte(`{"a":1}`), &v); err != nil || v["a"] != 1.0 {
		t.Fatal(err)
	}
}
