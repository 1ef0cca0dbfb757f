package hostile

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxgate/cxgate/connectors/sandbox"
	"github.com/cxgate/cxgate/gateway/app"
	"github.com/cxgate/cxgate/gateway/config"
	"github.com/cxgate/cxgate/gateway/dev"
	"github.com/cxgate/cxgate/internal/testutil"
	"github.com/cxgate/cxgate/pii"
)

// The server limits of the shared gateway. The rates are off (0) so that
// hundreds of hostile requests are judged on their content, not throttled;
// the timeouts are short so the slow-client tests finish quickly but long
// enough that no honest request here comes near them.
var testLimits = config.Limits{
	MaxBody:      1 << 20,
	ReadTimeout:  3 * time.Second,
	WriteTimeout: 6 * time.Second,
	IdleTimeout:  6 * time.Second,
}

// gw is one running gateway: the dev system behind app.HTTPServer on a
// loopback port.
type gw struct {
	env    *dev.Env
	srv    *http.Server
	addr   string // host:port
	base   string // http://host:port
	client *http.Client
	logs   *syncBuffer
	secret []string // seeded personal data: never in an answer to a hostile request
}

var shared struct {
	once sync.Once
	g    *gw
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.g != nil {
		shared.g.close()
	}
	os.Exit(code)
}

// gateway returns the package's shared gateway, starting it on first use.
// Tests do not run in parallel: each one compares the sandboxes' request
// logs before and after what it sends.
func gateway(t *testing.T) *gw {
	t.Helper()
	shared.once.Do(func() { shared.g, shared.err = start(testLimits, nil) })
	if shared.err != nil {
		t.Fatalf("start the gateway: %v", shared.err)
	}
	return shared.g
}

// start runs a gateway with the given server limits; connState, when set,
// watches its connections.
func start(limits config.Limits, connState func(net.Conn, http.ConnState)) (*gw, error) {
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	env, err := dev.Start(context.Background(), dev.Options{Logger: log, Limits: &limits})
	if err != nil {
		return nil, err
	}
	srv, err := app.HTTPServer(env.App.Config, env.Handler, log)
	if err != nil {
		env.Close()
		return nil, err
	}
	srv.ConnState = connState
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		env.Close()
		return nil, err
	}
	go func() { _ = srv.Serve(ln) }()
	secret, err := seededPII()
	if err != nil {
		srv.Close()
		env.Close()
		return nil, err
	}
	g := &gw{
		env: env, srv: srv, addr: ln.Addr().String(), base: "http://" + ln.Addr().String(), logs: logs, secret: secret,
		client: &http.Client{
			Timeout:       20 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	return g, nil
}

func (g *gw) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = g.srv.Shutdown(ctx)
	g.client.CloseIdleConnections()
	_ = g.env.Close()
}

// expert returns a ready-made expert of the dev system.
func (g *gw) expert(t *testing.T, name string) dev.Expert {
	t.Helper()
	x, ok := g.env.Expert(name)
	if !ok {
		t.Fatalf("no dev expert %s", name)
	}
	return x
}

// answer is one HTTP answer.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// problem is an RFC 9457 problem as the gateway writes it.
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

// req describes a request; the zero value is a GET without credentials.
type req struct {
	method string
	path   string // sent as written, with no cleaning or re-encoding
	expert *dev.Expert
	header http.Header
	body   []byte
}

// as sets the expert's assertion (and X-Forwarded-For) on r.
func (r req) as(x dev.Expert) req { r.expert = &x; return r }

func (r req) with(k, v string) req {
	h := r.header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Add(k, v)
	r.header = h
	return r
}

// op is a POST to an operation with a JSON body.
func op(client, inquiry, operation, body string) req {
	return req{method: http.MethodPost, path: "/v1/clients/" + client + "/inquiries/" + inquiry + "/operations/" + operation,
		header: http.Header{"Content-Type": {"application/json"}}, body: []byte(body)}
}

// send writes r on a fresh connection exactly as given (the request line
// holds r.path byte for byte) and reads the answer.
func (g *gw) send(t *testing.T, r req) answer {
	t.Helper()
	return g.sendRaw(t, r, nil)
}

// sendRaw is send with the bytes after the header block given as they are
// (a chunked body); r.body is then ignored and no Content-Length is set.
func (g *gw) sendRaw(t *testing.T, r req, raw []byte) answer {
	t.Helper()
	conn, err := net.DialTimeout("tcp", g.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	method := r.method
	if method == "" {
		method = http.MethodGet
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", method, r.path, g.addr)
	if r.expert != nil {
		fmt.Fprintf(&b, "Authorization: Bearer %s\r\n", r.expert.Token)
		if r.expert.ForwardedFor != "" {
			fmt.Fprintf(&b, "X-Forwarded-For: %s\r\n", r.expert.ForwardedFor)
		}
	}
	keys := make([]string, 0, len(r.header))
	for k := range r.header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range r.header[k] {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	if raw != nil {
		b.WriteString("\r\n")
		b.Write(raw)
	} else {
		if r.body != nil || method == http.MethodPost {
			fmt.Fprintf(&b, "Content-Length: %d\r\n", len(r.body))
		}
		b.WriteString("\r\n")
		b.Write(r.body)
	}
	// The server may answer and close before it has read everything (an
	// oversized header): write and read at once, and judge by the answer.
	werr := make(chan error, 1)
	go func() { _, err := conn.Write(b.Bytes()); werr <- err }()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read answer to %s %.80q: %v (write: %v)", method, r.path, err, <-werr)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read answer body: %v", err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: body}
}

// wantProblem checks that a is the problem code with its status, as
// problem+json, tied to its request id, and that it carries no seeded
// personal data and none of the extra strings given (the token or value
// the attack sent).
func (g *gw) wantProblem(t *testing.T, a answer, status int, code string, notIn ...string) problem {
	t.Helper()
	var p problem
	if a.status != status {
		t.Errorf("status %d, want %d (%s); body %.300s", a.status, status, code, a.body)
	}
	if ct := a.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json; body %.300s", ct, a.body)
		return p
	}
	if err := json.Unmarshal(a.body, &p); err != nil {
		t.Errorf("problem body is not JSON: %v: %.300s", err, a.body)
		return p
	}
	if p.Code != code || p.Status != status || p.Title == "" {
		t.Errorf("problem %s/%d %q, want %s/%d; detail %q", p.Code, p.Status, p.Title, code, status, p.Detail)
	}
	if id := a.header.Get("X-Request-Id"); p.RequestID == "" || p.RequestID != id {
		t.Errorf("problem request_id %q, header X-Request-Id %q", p.RequestID, id)
	}
	if loc := a.header.Get("Location"); loc != "" {
		t.Errorf("a problem redirects to %q", loc)
	}
	g.noLeak(t, a.body, notIn...)
	return p
}

// noLeak fails when body holds seeded personal data or one of the extra
// strings (ignored when shorter than 6 bytes: they could occur by chance).
func (g *gw) noLeak(t *testing.T, body []byte, extra ...string) {
	t.Helper()
	for _, s := range g.secret {
		if bytes.Contains(bytes.ToLower(body), []byte(strings.ToLower(s))) {
			t.Errorf("the answer holds seeded personal data %q: %.300s", s, body)
		}
	}
	for _, s := range extra {
		if len(s) >= 6 && bytes.Contains(body, []byte(s)) {
			t.Errorf("the answer repeats what the attack sent (%.60q): %.300s", s, body)
		}
	}
}

// upstream counts the API requests (not token requests) the three
// sandboxes have received.
func (g *gw) upstream() int {
	n := 0
	for _, rs := range [][]sandbox.Request{g.env.Sandboxes.Salesforce.Requests(), g.env.Sandboxes.Zendesk.Requests(), g.env.Sandboxes.Shopify.Requests()} {
		for _, r := range rs {
			if !isTokenRequest(r) {
				n++
			}
		}
	}
	return n
}

func isTokenRequest(r sandbox.Request) bool {
	p := strings.ToLower(r.Path)
	return strings.Contains(p, "oauth") || strings.HasSuffix(p, "/token") || strings.HasSuffix(p, "/tokens") || strings.Contains(p, "access_token")
}

// clearUpstream forgets what the sandboxes recorded.
func (g *gw) clearUpstream() {
	g.env.Sandboxes.Salesforce.ClearRequests()
	g.env.Sandboxes.Zendesk.ClearRequests()
	g.env.Sandboxes.Shopify.ClearRequests()
}

// noUpstream runs f and fails if any API request reached a sandbox meanwhile.
func (g *gw) noUpstream(t *testing.T, f func()) {
	t.Helper()
	before := g.upstream()
	f()
	if after := g.upstream(); after != before {
		t.Errorf("%d request(s) reached a sandbox", after-before)
	}
}

// token mints a token as the gateway would for client (the same key the
// gateway detokenizes with).
func (g *gw) token(t *testing.T, client string, typ pii.Type, value string) string {
	t.Helper()
	toks, err := g.env.Tokenizer.Tokenize(context.Background(), client, []pii.Item{{Type: typ, Value: value}})
	if err != nil {
		t.Fatal(err)
	}
	return toks[0]
}

// seededPII collects the personal data the sandboxes hold (emails, phone
// numbers, street lines, postcodes) from their seed files, so answers can
// be searched for it.
func seededPII() ([]string, error) {
	keys := regexp.MustCompile(`(?i)^(e?mail|contactemail|phone|mobilephone|contactphone|address1|address2|zip|mailingstreet|billingstreet|shippingstreet|mailingpostalcode|billingpostalcode|last_name|lastname)$`)
	seen := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if s, ok := e.(string); ok && keys.MatchString(k) && len(s) >= 6 {
					seen[s] = true
					continue
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	for _, name := range []string{"salesforce", "zendesk", "shopify"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "connectors", "sandbox", name, "seed.json"))
		if err != nil {
			return nil, err
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			return nil, fmt.Errorf("%s seed: %w", name, err)
		}
		walk(v)
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	if len(out) < 10 {
		return nil, fmt.Errorf("only %d seeded values found; the seed layout changed", len(out))
	}
	return out, nil
}

type syncBuffer = testutil.SyncBuffer
