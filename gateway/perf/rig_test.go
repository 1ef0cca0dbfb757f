package perf

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/connectors/builtin"
	"github.com/cxgate/cxgate/connectors/sandbox"
	sfsandbox "github.com/cxgate/cxgate/connectors/sandbox/salesforce"
	shopsandbox "github.com/cxgate/cxgate/connectors/sandbox/shopify"
	zdsandbox "github.com/cxgate/cxgate/connectors/sandbox/zendesk"
	"github.com/cxgate/cxgate/examples"
	"github.com/cxgate/cxgate/gateway/app"
	"github.com/cxgate/cxgate/gateway/audit"
	"github.com/cxgate/cxgate/gateway/authn"
	"github.com/cxgate/cxgate/gateway/config"
	"github.com/cxgate/cxgate/gateway/pipeline"
	"github.com/cxgate/cxgate/internal/logging"
	"github.com/cxgate/cxgate/pii"
	"github.com/cxgate/cxgate/scopes"
	"github.com/cxgate/cxgate/vaultclient"
	"github.com/cxgate/cxgate/vaultclient/vaulttest"
)

// The benchmarks and the round-trip test run the gateway as `cxgate serve`
// assembles it (app.Build on the example config and scopes, an audit file,
// JSON logs), not through gateway/dev, because they need what dev fixes:
// sandboxes without their vendor-like limits (a benchmark measures the
// gateway, not Shopify's cost bucket), no client-side connection limit, an
// extra scope (testdata/perf-retail.yaml) and a tokenizer of their choice.

// sandboxes are the three fake CRMs on loopback, limits lifted.
type sandboxes struct {
	sf    *sfsandbox.Server
	zd    *zdsandbox.Server
	sh    *shopsandbox.Server
	urls  map[string]string                 // by connector type
	creds map[string]connectors.Credentials // by connector type
}

// The benchmark customer: the seed has three orders of hers, and
// startSandboxes adds seven, so a search of her orders fills a page of ten.
const benchCustomer = "maya.okafor@example.com"

func startSandboxes(tb testing.TB) *sandboxes {
	tb.Helper()
	sf, err := sfsandbox.New(sfsandbox.Options{DailyLimit: 1 << 30})
	if err != nil {
		tb.Fatal(err)
	}
	zd, err := zdsandbox.New(zdsandbox.Options{RateLimit: -1})
	if err != nil {
		tb.Fatal(err)
	}
	sh, err := shopsandbox.New(shopsandbox.Options{BucketSize: 1e12, RestoreRate: 1e12})
	if err != nil {
		tb.Fatal(err)
	}
	for i := range 7 {
		var o shopsandbox.Order
		js := fmt.Sprintf(`{"email":%q,"customer":{"id":7301234560001},"financial_status":"paid",
			"line_items":[{"title":"Tea Towel","sku":"TT-0%d","quantity":1,"price":"12.00"}],
			"shipping_address":{"first_name":"Maya","last_name":"Okafor","name":"Maya Okafor","address1":"%d Harbor Lane",
			"city":"Portland","province":"Oregon","province_code":"OR","zip":"9720%d","country":"United States",
			"country_code":"US","phone":"+1503555011%d"}}`, benchCustomer, i, 50+i, i, i)
		if err := json.Unmarshal([]byte(js), &o); err != nil {
			tb.Fatal(err)
		}
		if _, err := sh.AddOrder(o); err != nil {
			tb.Fatal(err)
		}
	}
	s := &sandboxes{sf: sf, zd: zd, sh: sh, urls: map[string]string{}, creds: map[string]connectors.Credentials{
		"salesforce": sf.Credentials(), "zendesk": zd.Credentials(), "shopify": sh.Credentials(),
	}}
	for typ, h := range map[string]interface {
		http.Handler
		SetBaseURL(string)
	}{"salesforce": sf, "zendesk": zd, "shopify": sh} {
		srv := httptest.NewServer(h)
		tb.Cleanup(srv.Close)
		h.SetBaseURL(srv.URL)
		s.urls[typ] = srv.URL
	}
	return s
}

// lastShopifyRequest is the last API request the Shopify sandbox got.
func (s *sandboxes) lastShopifyRequest(tb testing.TB) sandbox.Request {
	tb.Helper()
	reqs := s.sh.Requests()
	if len(reqs) == 0 {
		tb.Fatal("the Shopify sandbox got no request")
	}
	return reqs[len(reqs)-1]
}

// memorySecrets hands each connection its sandbox's credentials, by
// credential reference.
type memorySecrets map[string]connectors.Credentials

var _ connectors.SecretSource = memorySecrets{}

func (m memorySecrets) Credentials(_ context.Context, ref connectors.CredentialRef, _ bool) (connectors.Credentials, error) {
	c, ok := m[ref.String()]
	if !ok {
		return nil, fmt.Errorf("%w: no credentials for %s", connectors.ErrUnavailable, ref)
	}
	out := connectors.Credentials{}
	for k, v := range c {
		out[k] = v
	}
	return out, nil
}

// gatewayRig is one gateway served over loopback.
type gatewayRig struct {
	url    string
	tok    pipeline.Tokenizer
	signer *authn.Signer
}

func startGateway(tb testing.TB, sb *sandboxes, tok pipeline.Tokenizer) *gatewayRig {
	tb.Helper()
	ctx := context.Background()
	reg, err := builtin.Registry()
	if err != nil {
		tb.Fatal(err)
	}
	data, err := examples.FS.ReadFile("cxgate.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	cfg, d := config.Parse("examples/cxgate.yaml", data, reg)
	if cfg == nil {
		tb.Fatalf("example config: %s", d)
	}
	secrets := memorySecrets{}
	for i := range cfg.Connections {
		c := &cfg.Connections[i]
		secrets[c.Credentials.String()] = sb.creds[c.Type]
		c.BaseURL = sb.urls[c.Type]
		c.RateLimit = 1e6 // the connectors' client-side limit out of the way
	}
	cfg.Tokenizer = config.Tokenizer{Kind: config.TokenizerLocal}
	cfg.Limits.PerExpert, cfg.Limits.PerClient = 0, 0 // one expert sends everything

	keys, err := authn.GenerateDevKeys(authn.AlgEdDSA)
	if err != nil {
		tb.Fatal(err)
	}
	signer, err := keys.Signer(cfg.Identity.Issuer, cfg.Identity.Audience, time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	var files []scopes.File
	entries, err := examples.FS.ReadDir("scopes")
	if err != nil {
		tb.Fatal(err)
	}
	for _, en := range entries {
		b, err := examples.FS.ReadFile("scopes/" + en.Name())
		if err != nil {
			tb.Fatal(err)
		}
		files = append(files, scopes.File{Name: "examples/scopes/" + en.Name(), Data: b})
	}
	perf, err := os.ReadFile(filepath.Join("testdata", "perf-retail.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	files = append(files, scopes.File{Name: "testdata/perf-retail.yaml", Data: perf})

	sink, err := audit.OpenFile(audit.FileOptions{Path: filepath.Join(tb.TempDir(), "audit.jsonl"), Fsync: audit.FsyncInterval})
	if err != nil {
		tb.Fatal(err)
	}
	log, err := logging.New(io.Discard, logging.Options{Format: "json"})
	if err != nil {
		tb.Fatal(err)
	}
	a, err := app.Build(ctx, app.Options{
		Config: cfg, Registry: reg, Logger: log, Tokenizer: tok, Secrets: secrets,
		IdentityKeys: keys.JWKS, ScopeFiles: files, Auditor: sink,
	})
	if err != nil {
		tb.Fatal(app.DiagLines(err), err)
	}
	srv, err := app.HTTPServer(cfg, a.Server, log)
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		_ = a.Close()
		_ = sink.Close()
	})
	return &gatewayRig{url: "http://" + ln.Addr().String(), tok: tok, signer: signer}
}

// expert is the assertion of a tier 2 expert with MFA in GB, onboarded for
// Acme and the benchmark client: allowed every benchmark case.
func (g *gatewayRig) expert(tb testing.TB) string {
	tb.Helper()
	tok, err := g.signer.Sign(authn.Principal{Subject: "bench-expert", Tier: 2, MFA: true, AMR: []string{"pwd", "mfa"},
		Country: "GB", Clients: []string{"acme-retail", "perf-retail"}})
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// token mints the token of an email for a client, as the filter's
// tokenize mode would hand it to the expert.
func (g *gatewayRig) token(tb testing.TB, client, email string) string {
	tb.Helper()
	toks, err := g.tok.Tokenize(context.Background(), client, []pii.Item{{Type: pii.Email, Value: email}})
	if err != nil {
		tb.Fatal(err)
	}
	return toks[0]
}

// vaultCounter counts the requests that reach Vault through it, by kind.
type vaultCounter struct {
	proxy                          http.Handler
	encrypt, decrypt, hmac, others atomic.Int64
	mu                             sync.Mutex
	otherPaths                     []string
}

func (c *vaultCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch p := r.URL.Path; {
	case strings.Contains(p, "/encrypt/"):
		c.encrypt.Add(1)
	case strings.Contains(p, "/decrypt/"):
		c.decrypt.Add(1)
	case strings.Contains(p, "/hmac/"):
		c.hmac.Add(1)
	default:
		c.others.Add(1)
		c.mu.Lock()
		c.otherPaths = append(c.otherPaths, r.Method+" "+p)
		c.mu.Unlock()
	}
	c.proxy.ServeHTTP(w, r)
}

// counts are the round trips so far by kind (tokenize, detokenize, hmac,
// other).
func (c *vaultCounter) counts() map[string]int64 {
	return map[string]int64{"tokenize": c.encrypt.Load(), "detokenize": c.decrypt.Load(), "hmac": c.hmac.Load(), "other": c.others.Load()}
}

func (c *vaultCounter) total() int64 {
	return c.encrypt.Load() + c.decrypt.Load() + c.hmac.Load() + c.others.Load()
}

// startVault runs a real Vault dev server with transit and every client's
// key, and returns a client that reaches it through a counting proxy and
// one that reaches it directly.
func startVault(tb testing.TB) (counted *vaultclient.Client, counter *vaultCounter, direct *vaultclient.Client) {
	tb.Helper()
	ctx := context.Background()
	srv := vaulttest.Start(tb)
	if err := srv.EnableTransit(ctx, "transit"); err != nil {
		tb.Fatal(err)
	}
	target, err := url.Parse(srv.Addr)
	if err != nil {
		tb.Fatal(err)
	}
	counter = &vaultCounter{proxy: httputil.NewSingleHostReverseProxy(target)}
	front := httptest.NewServer(counter)
	tb.Cleanup(front.Close)
	root := srv.RootToken
	open := func(addr string) *vaultclient.Client {
		c, err := vaultclient.New(ctx, vaultclient.Config{
			Address: addr, TransitMount: "transit", Timeout: 5 * time.Second,
			Auth: vaultclient.AuthConfig{Method: vaultclient.AuthToken, TokenEnv: "PERF_VAULT_TOKEN"},
			Getenv: func(k string) string {
				if k == "PERF_VAULT_TOKEN" {
					return root
				}
				return ""
			},
		})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { _ = c.Close() })
		return c
	}
	counted, direct = open(front.URL), open(srv.Addr)
	if _, err := counted.InitKeys(ctx, []string{"acme-retail", "globex-saas", "initech-service", "perf-retail"}); err != nil {
		tb.Fatal(err)
	}
	return counted, counter, direct
}

// post sends a JSON body and returns the status and the body read whole.
func post(client *http.Client, url, auth string, header http.Header, body []byte) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(string(body)))
	if err != nil {
		return 0, nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}
