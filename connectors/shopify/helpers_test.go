package shopify

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxgate/cxgate/connectors"
	sbshopify "github.com/cxgate/cxgate/connectors/sandbox/shopify"
	"github.com/cxgate/cxgate/scopes/fieldpath"
)

// secrets is a SecretSource for tests: stale answers for cached reads
// when set, current ones when fresh is asked.
type secrets struct {
	mu    sync.Mutex
	creds connectors.Credentials
	stale connectors.Credentials
	fresh int
}

func (s *secrets) Credentials(_ context.Context, _ connectors.CredentialRef, fresh bool) (connectors.Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if fresh {
		s.fresh++
		return s.creds, nil
	}
	if s.stale != nil {
		return s.stale, nil
	}
	return s.creds, nil
}

// fakeClock is a settable clock shared by the sandbox and the connector.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// exchange is one request the sandbox answered.
type exchange struct {
	path   string
	status int
	body   string
}

// tap records every exchange with the sandbox, responses included.
type tap struct {
	next http.Handler
	mu   sync.Mutex
	seen []exchange
}

func (t *tap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	t.next.ServeHTTP(rec, r)
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
	t.mu.Lock()
	body := rec.Body.String()
	if len(body) > 4096 {
		body = body[:4096]
	}
	t.seen = append(t.seen, exchange{path: r.URL.Path, status: rec.Code, body: body})
	t.mu.Unlock()
}

func (t *tap) count(pred func(exchange) bool) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, e := range t.seen {
		if pred(e) {
			n++
		}
	}
	return n
}

func isToken(e exchange) bool { return e.path == "/admin/oauth/access_token" }
func isAPI(e exchange) bool   { return strings.HasPrefix(e.path, "/admin/api/") }
func isThrottled(e exchange) bool {
	return isAPI(e) && strings.Contains(e.body, `"THROTTLED"`)
}

type rig struct {
	t       testing.TB
	sb      *sbshopify.Server
	tap     *tap
	conn    *Connector
	secrets *secrets
	logs    *bytes.Buffer
	logMu   *sync.Mutex
	cfg     connectors.ConnectionConfig
}

type rigOptions struct {
	sandbox sbshopify.Options
	cfg     func(*connectors.ConnectionConfig)
	clock   *fakeClock
}

func newRig(t testing.TB, o rigOptions) *rig {
	t.Helper()
	if o.clock != nil {
		o.sandbox.Now = o.clock.Now
	}
	sb, err := sbshopify.New(o.sandbox)
	if err != nil {
		t.Fatal(err)
	}
	tp := &tap{next: sb}
	srv := httptest.NewServer(tp)
	t.Cleanup(srv.Close)
	sb.SetBaseURL(srv.URL)
	cfg := connectors.ConnectionConfig{
		Name: "acme-shopify", Type: Type, BaseURL: srv.URL,
		Credentials: connectors.CredentialRef{Env: "ACME_SHOPIFY"},
	}
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	sec := &secrets{creds: sb.Credentials()}
	if cfg.Auth == AuthStaticToken {
		sec.creds = sb.StaticCredentials()
	}
	logs := &bytes.Buffer{}
	mu := &sync.Mutex{}
	deps := connectors.Deps{
		Secrets:    sec,
		HTTPClient: srv.Client(),
		Logger:     slog.New(slog.NewTextHandler(lockedWriter{mu, logs}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	conn, err := Open(context.Background(), cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	c := conn.(*Connector)
	if o.clock != nil {
		c.now = o.clock.Now
		c.tokens.Now = o.clock.Now
	}
	t.Cleanup(func() { c.Close() })
	return &rig{t: t, sb: sb, tap: tp, conn: c, secrets: sec, logs: logs, logMu: mu, cfg: cfg}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (r *rig) logText() string {
	r.logMu.Lock()
	defer r.logMu.Unlock()
	return r.logs.String()
}

func fields(ss ...string) []fieldpath.Path {
	out := make([]fieldpath.Path, len(ss))
	for i, s := range ss {
		out[i] = fieldpath.MustParse(s)
	}
	return out
}

func crit(kv ...string) []connectors.Criterion {
	var out []connectors.Criterion
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, connectors.Criterion{Key: kv[i], Value: kv[i+1]})
	}
	return out
}

// gqlRequest is a recorded GraphQL request body.
type gqlRequest struct {
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables"`
}

// graphQLRequests returns the GraphQL documents the sandbox received.
func (r *rig) graphQLRequests() []gqlRequest {
	var out []gqlRequest
	for _, req := range r.sb.Requests() {
		if !strings.HasSuffix(req.Path, "/graphql.json") {
			continue
		}
		var g gqlRequest
		if err := json.Unmarshal(req.Body, &g); err != nil {
			r.t.Fatalf("recorded body: %v", err)
		}
		out = append(out, g)
	}
	return out
}

// norm gives records one shape for comparison (numbers as float64).
func norm(t testing.TB, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
