package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/cxgate/cxgate/gateway/config"
	"github.com/cxgate/cxgate/gateway/dev"
	"github.com/cxgate/cxgate/internal/logging"
	"github.com/cxgate/cxgate/internal/testutil"
)

// harness is the dev system (local tokenizer, sandboxes, example scopes)
// served over real loopback HTTP.
type harness struct {
	env  *dev.Env
	srv  *httptest.Server
	logs *syncBuffer
}

type syncBuffer = testutil.SyncBuffer

// start runs the dev system with opts (a debug JSON logger into h.logs
// unless opts has one) and serves it on loopback until the test ends.
// Without opts.Limits the rates are unlimited, so that tests sending many
// requests test what they mean to rather than the example's rate limit.
func start(t *testing.T, opts dev.Options) *harness {
	t.Helper()
	h := &harness{logs: &syncBuffer{}}
	if opts.Limits == nil {
		opts.Limits = &config.Limits{}
	}
	if opts.Logger == nil {
		log, err := logging.New(h.logs, logging.Options{Level: "debug", Format: "json"})
		if err != nil {
			t.Fatal(err)
		}
		opts.Logger = log
	}
	if opts.AuditDir == "" && opts.Auditor == nil {
		opts.AuditDir = t.TempDir()
	}
	env, err := dev.Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("dev.Start: %v", err)
	}
	h.env = env
	h.srv = httptest.NewServer(env.Handler)
	t.Cleanup(func() {
		h.srv.Close()
		if err := env.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return h
}

// withLimits is dev.Options with rate limits (the example's other limits kept).
func withLimits(perExpert, perClient float64) dev.Options {
	return dev.Options{Limits: &config.Limits{PerExpert: perExpert, PerClient: perClient}}
}

// expert returns a ready-made expert's token and, for those that come
// through the trusted proxy, the X-Forwarded-For header.
func (h *harness) expert(t *testing.T, name string) dev.Expert {
	t.Helper()
	x, ok := h.env.Expert(name)
	if !ok {
		t.Fatalf("no expert %s", name)
	}
	return x
}

type result struct {
	status int
	header http.Header
	body   []byte
}

// req is one request: a bearer token (or none), a body (or none) and
// extra headers as "Name: value".
type req struct {
	method, path string
	token        string
	body         string
	headers      []string
	noCT         bool // send the body without a Content-Type
}

func (h *harness) do(t *testing.T, r req) result {
	t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr, err := http.NewRequest(r.method, h.srv.URL+r.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	if r.body != "" && !r.noCT {
		hr.Header.Set("Content-Type", "application/json")
	}
	for _, kv := range r.headers {
		k, v, _ := strings.Cut(kv, ":")
		hr.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	return send(t, hr)
}

func send(t *testing.T, hr *http.Request) result {
	t.Helper()
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatalf("%s %s: %v", hr.Method, hr.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return result{status: resp.StatusCode, header: resp.Header, body: b}
}

// run posts an operation as a ready-made expert.
func (h *harness) run(t *testing.T, who, client, inquiry, op, body string, headers ...string) result {
	t.Helper()
	x := h.expert(t, who)
	if x.ForwardedFor != "" {
		headers = append(headers, "X-Forwarded-For: "+x.ForwardedFor)
	}
	return h.do(t, req{method: "POST", path: "/v1/clients/" + client + "/inquiries/" + inquiry + "/operations/" + op,
		token: x.Token, body: body, headers: headers})
}

// problem is the problem+json body.
type problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	Code      string `json:"code"`
	RequestID string `json:"request_id"`
	Params    []struct {
		Name    string `json:"name"`
		Message string `json:"message"`
	} `json:"params"`
}

// wantProblem checks the whole problem+json shape and returns it.
func wantProblem(t *testing.T, r result, status int, code string) problem {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	mt, _, err := mime.ParseMediaType(r.header.Get("Content-Type"))
	if err != nil || mt != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json", r.header.Get("Content-Type"))
	}
	var p problem
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("problem body %s: %v", r.body, err)
	}
	if p.Status != status || p.Code != code {
		t.Fatalf("problem status/code %d/%q, want %d/%q: %s", p.Status, p.Code, status, code, r.body)
	}
	if p.Title == "" || p.Type == "" {
		t.Fatalf("problem without title or type: %s", r.body)
	}
	if p.RequestID == "" || p.RequestID != r.header.Get("X-Request-Id") {
		t.Fatalf("problem request_id %q, X-Request-Id header %q", p.RequestID, r.header.Get("X-Request-Id"))
	}
	return p
}

// decode decodes a JSON answer after checking its status and media type.
func decode(t *testing.T, r result, v any) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if mt, _, _ := mime.ParseMediaType(r.header.Get("Content-Type")); mt != "application/json" {
		t.Fatalf("Content-Type %q", r.header.Get("Content-Type"))
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("answer %s: %v", r.body, err)
	}
}

// discard is a logger for tests that do not read logs.
func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// auditRecords reads the audit file as JSON objects.
func auditRecords(t *testing.T, h *harness) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(h.env.AuditPath)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// auditRecord is the audit record of a request, or nil.
func auditRecord(t *testing.T, h *harness, requestID string) map[string]any {
	t.Helper()
	for _, rec := range auditRecords(t, h) {
		if rec["request_id"] == requestID {
			return rec
		}
	}
	return nil
}
