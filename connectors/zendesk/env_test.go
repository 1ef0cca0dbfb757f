package zendesk

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/cxgate/cxgate/connectors"
	zdsandbox "github.com/cxgate/cxgate/connectors/sandbox/zendesk"
	"github.com/cxgate/cxgate/connectors/sandbox/zendesk/spectest"
	"github.com/cxgate/cxgate/internal/testutil"
	"github.com/cxgate/cxgate/scopes/fieldpath"
)

// env is a connector opened on a sandbox behind a loopback server. When
// CXGATE_SPECS_DIR is set every sandbox response is also validated against
// Zendesk's OpenAPI file.
type env struct {
	t       *testing.T
	sb      *zdsandbox.Server
	srv     *httptest.Server
	conn    *Connector
	secrets *testSecrets
	logs    *syncBuffer
	clk     *clock
}

type envOpts struct {
	sandbox zdsandbox.Options
	config  func(*connectors.ConnectionConfig)
	creds   func(sb *zdsandbox.Server) connectors.Credentials
}

func newEnv(t *testing.T, o envOpts) *env {
	t.Helper()
	clk := &clock{t: time.Date(2026, 12, 4, 10, 0, 30, 0, time.UTC)}
	if o.sandbox.Now == nil {
		o.sandbox.Now = clk.Now
	}
	if o.sandbox.RateLimit == 0 {
		o.sandbox.RateLimit = -1
	}
	sb, err := zdsandbox.New(o.sandbox)
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = sb
	if v := spectest.LoadIfSet(t); v != nil {
		h = v.Wrap(t, sb)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	sb.SetBaseURL(srv.URL)
	cfg := connectors.ConnectionConfig{Name: "globex-zendesk", Type: Type, BaseURL: srv.URL, Credentials: connectors.CredentialRef{Env: "GLOBEX_ZENDESK"}}
	if o.config != nil {
		o.config(&cfg)
	}
	creds := sb.Credentials()
	if o.creds != nil {
		creds = o.creds(sb)
	}
	e := &env{t: t, sb: sb, srv: srv, secrets: &testSecrets{current: creds}, logs: &syncBuffer{}, clk: clk}
	c, err := Open(context.Background(), cfg, connectors.Deps{
		Secrets:    e.secrets,
		Logger:     slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		HTTPClient: srv.Client(),
	})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	e.conn = c.(*Connector)
	e.conn.now = clk.Now
	t.Cleanup(func() { e.conn.Close() })
	return e
}

func (e *env) read(resource string, match map[string]string, fields ...string) (connectors.Record, error) {
	return e.conn.Read(context.Background(), connectors.Query{Resource: resource, Match: crits(match), Fields: fps(fields...)})
}

func (e *env) search(resource string, match map[string]string, limit int, fields ...string) ([]connectors.Record, error) {
	return e.conn.Search(context.Background(), connectors.Query{Resource: resource, Match: crits(match), Fields: fps(fields...), Limit: limit})
}

// apiRequests counts recorded requests that are not token requests.
func (e *env) apiRequests() int {
	n := 0
	for _, r := range e.sb.Requests() {
		if r.Path != "/oauth/tokens" {
			n++
		}
	}
	return n
}

func (e *env) tokenRequests() int {
	n := 0
	for _, r := range e.sb.Requests() {
		if r.Path == "/oauth/tokens" {
			n++
		}
	}
	return n
}

func crits(m map[string]string) []connectors.Criterion {
	var out []connectors.Criterion
	for _, k := range []string{"id", "email", "external_id", "requester_email", "ticket_id"} {
		if v, ok := m[k]; ok {
			out = append(out, connectors.Criterion{Key: k, Value: v})
		}
	}
	return out
}

func fps(ss ...string) []fieldpath.Path {
	out := make([]fieldpath.Path, len(ss))
	for i, s := range ss {
		out[i] = fieldpath.MustParse(s)
	}
	return out
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testSecrets stands in for Vault in these unit tests of the connector:
// current is what a cached read returns, fresh what a fresh read returns
// (nil: the same).
type testSecrets struct {
	mu      sync.Mutex
	current connectors.Credentials
	fresh   connectors.Credentials
	asked   int
	freshN  int
}

func (s *testSecrets) Credentials(_ context.Context, _ connectors.CredentialRef, fresh bool) (connectors.Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asked++
	if fresh {
		s.freshN++
		if s.fresh != nil {
			s.current = s.fresh
		}
	}
	out := connectors.Credentials{}
	for k, v := range s.current {
		out[k] = v
	}
	return out, nil
}

type syncBuffer = testutil.SyncBuffer
