package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/connectors/builtin"
	"github.com/cxgate/cxgate/gateway/app"
	"github.com/cxgate/cxgate/gateway/authn"
	"github.com/cxgate/cxgate/gateway/config"
	"github.com/cxgate/cxgate/gateway/dev"
)

// deployment is a production-style config folder (cxgate.yaml, scope
// files, a JWKS keys file, file credentials) pointing at the dev sandboxes,
// the way `cxgate serve --config` reads one.
type deployment struct {
	dir, config, scopes, keys string
	signer                    *authn.Signer
}

func newDeployment(t *testing.T) *deployment {
	t.Helper()
	env, err := dev.Start(context.Background(), dev.Options{AuditDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Close() })
	d := &deployment{dir: t.TempDir()}
	d.scopes = filepath.Join(d.dir, "scopes")
	if err := os.Mkdir(d.scopes, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"acme-retail.yaml", "globex-saas.yaml", "initech-service.yaml"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "examples", "scopes", name))
		if err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(d.scopes, name), string(b))
	}
	keys, err := authn.GenerateDevKeys(authn.AlgES256)
	if err != nil {
		t.Fatal(err)
	}
	d.keys = filepath.Join(d.dir, "platform.jwks.json")
	write(t, d.keys, string(keys.JWKS))
	if d.signer, err = keys.Signer("https://experts.example.com", "cxgate", time.Hour); err != nil {
		t.Fatal(err)
	}
	creds := func(name string, c connectors.Credentials) string {
		b, _ := json.Marshal(c)
		p := filepath.Join(d.dir, name+".json")
		write(t, p, string(b))
		return p
	}
	sb := env.Sandboxes
	d.config = filepath.Join(d.dir, "cxgate.yaml")
	write(t, d.config, fmt.Sprintf(`listen: 127.0.0.1:0
scopes: ./scopes
identity:
  issuer: https://experts.example.com
  audience: cxgate
  keys_file: ./platform.jwks.json
tokenizer: local
connections:
  acme-shopify:
    type: shopify
    base_url: %s
    api_version: "2026-10"
    credentials: {file: %s}
  globex-zendesk:
    type: zendesk
    base_url: %s
    credentials: {file: %s}
  initech-salesforce:
    type: salesforce
    base_url: %s
    credentials: {file: %s}
audit:
  file: ./audit.jsonl
limits:
  per_expert: 0
  per_client: 0
`, sb.URLs["acme-shopify"], creds("shopify", sb.Shopify.Credentials()),
		sb.URLs["globex-zendesk"], creds("zendesk", sb.Zendesk.Credentials()),
		sb.URLs["initech-salesforce"], creds("salesforce", sb.Salesforce.Credentials())))
	return d
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (d *deployment) build(t *testing.T) *app.App {
	t.Helper()
	reg, err := builtin.Registry()
	if err != nil {
		t.Fatal(err)
	}
	cfg, diags, err := config.Load(d.config, reg)
	if err != nil || cfg == nil {
		t.Fatalf("config: %v %v", err, diags)
	}
	a, err := app.Build(context.Background(), app.Options{Config: cfg, Registry: reg})
	if err != nil {
		t.Fatalf("build: %v\n%s", err, app.DiagLines(err))
	}
	t.Cleanup(func() { _ = a.Close() })
	return a
}

func (d *deployment) token(t *testing.T, tier int, mfa bool) string {
	t.Helper()
	tok, err := d.signer.Sign(authn.Principal{Subject: "expert-1", Tier: tier, MFA: mfa, Country: "GB",
		Clients: []string{"acme-retail", "globex-saas", "initech-service"}})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// tokenOf signs a tier-1 assertion for acme-retail with keys other than
// the deployment's (an expert platform that rotated its keys).
func tokenOf(t *testing.T, keys *authn.DevKeys) string {
	t.Helper()
	s, err := keys.Signer("https://experts.example.com", "cxgate", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Sign(authn.Principal{Subject: "expert-2", Tier: 1, Clients: []string{"acme-retail"}})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	return do(t, "GET", url, token, "")
}

func do(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var diagLine = regexp.MustCompile(`(?m)^\S+\.yaml:\d+:\d+: error: .+ \[[a-z0-9-]+\]$`)

// TestReload: a scope set that does not load leaves the running one in
// force (requests are still served by it) and Reload returns every
// diagnostic; a good change takes effect at once; identity keys reload
// with the scopes, and a broken keys file keeps the old keys.
func TestReload(t *testing.T) {
	d := newDeployment(t)
	a := d.build(t)
	srv := httptest.NewServer(a.Server)
	defer srv.Close()
	tier1 := d.token(t, 1, false)
	order := srv.URL + "/v1/clients/acme-retail/inquiries/order_status/operations/get_order"
	inquiries := srv.URL + "/v1/clients/acme-retail/inquiries"
	if st, body := get(t, inquiries, tier1); st != 200 || !strings.Contains(body, `"order_status"`) {
		t.Fatalf("before: %d %s", st, body)
	}
	acme := filepath.Join(d.scopes, "acme-retail.yaml")
	good, err := os.ReadFile(acme)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("broken scope keeps the running set", func(t *testing.T) {
		broken := strings.Replace(string(good), "      min_tier: 1\n", "      min_tier: 1\n      min_teir: 2\n", 1)
		broken = strings.Replace(broken, "action: read", "action: delete", 1)
		write(t, acme, broken)
		defer write(t, acme, string(good))
		err := a.Reload()
		if err == nil {
			t.Fatal("a broken scope file reloaded")
		}
		lines := app.DiagLines(err)
		if got := len(diagLine.FindAllString(lines, -1)); got < 2 {
			t.Fatalf("want every diagnostic as FILE:LINE:COL: error: MESSAGE [code], got:\n%s", lines)
		}
		if !strings.Contains(lines, "acme-retail.yaml") {
			t.Fatalf("diagnostics do not name the file:\n%s", lines)
		}
		if st, body := get(t, inquiries, tier1); st != 200 || !strings.Contains(body, `"order_status"`) {
			t.Fatalf("after a bad reload: %d %s", st, body)
		}
		if st, body := do(t, "POST", order, tier1, `{"params":{"order_number":"#1001"}}`); st != 200 {
			t.Fatalf("after a bad reload: %d %s", st, body)
		}
		if _, m := get(t, srv.URL+"/metrics", ""); !strings.Contains(m, `cxgate_reloads_total{result="error"} 1`) {
			t.Fatalf("the failed reload is not counted")
		}
	})

	t.Run("good change takes effect", func(t *testing.T) {
		changed := strings.Replace(string(good), "    description: Where is my order?\n    access:\n      min_tier: 1\n",
			"    description: Where is my order?\n    access:\n      min_tier: 2\n", 1)
		if changed == string(good) {
			t.Fatal("the example scope changed shape; adjust the test")
		}
		write(t, acme, changed)
		defer write(t, acme, string(good))
		if err := a.Reload(); err != nil {
			t.Fatalf("reload: %v\n%s", err, app.DiagLines(err))
		}
		if _, body := get(t, inquiries, tier1); strings.Contains(body, `"order_status"`) {
			t.Fatalf("tier 1 still sees order_status: %s", body)
		}
		if st, body := do(t, "POST", order, tier1, `{"params":{"order_number":"#1001"}}`); st != 403 || !strings.Contains(body, `"tier_too_low"`) {
			t.Fatalf("after raising min_tier: %d %s", st, body)
		}
		if st, _ := do(t, "POST", order, d.token(t, 2, false), `{"params":{"order_number":"#1001"}}`); st != 200 {
			t.Fatalf("tier 2 after the change: %d", st)
		}
		// And back.
		write(t, acme, string(good))
		if err := a.Reload(); err != nil {
			t.Fatal(err)
		}
		if st, _ := do(t, "POST", order, tier1, `{"params":{"order_number":"#1001"}}`); st != 200 {
			t.Fatalf("after restoring: %d", st)
		}
	})

	t.Run("identity keys", func(t *testing.T) {
		oldKeys, err := os.ReadFile(d.keys)
		if err != nil {
			t.Fatal(err)
		}
		write(t, d.keys, "{not json")
		if err := a.Reload(); err == nil {
			t.Fatal("a broken keys file reloaded")
		}
		if st, _ := get(t, inquiries, tier1); st != 200 {
			t.Fatalf("old keys dropped by a bad reload: %d", st)
		}
		next, err := authn.GenerateDevKeys(authn.AlgEdDSA)
		if err != nil {
			t.Fatal(err)
		}
		write(t, d.keys, string(next.JWKS))
		if err := a.Reload(); err != nil {
			t.Fatal(err)
		}
		if st, _ := get(t, inquiries, tier1); st != 401 {
			t.Fatalf("a token of the removed key: %d, want 401", st)
		}
		if st, body := get(t, inquiries, tokenOf(t, next)); st != 200 {
			t.Fatalf("a token of the new key: %d %s", st, body)
		}
		write(t, d.keys, string(oldKeys))
		if err := a.Reload(); err != nil {
			t.Fatal(err)
		}
	})
}

// TestBuildRefusesBadScopes: a scope error stops Build with every
// diagnostic, and nothing stays open.
func TestBuildRefusesBadScopes(t *testing.T) {
	d := newDeployment(t)
	write(t, filepath.Join(d.scopes, "zz-bad.yaml"), "version: 1\nclient: acme-retail\nconnection: no-such-connection\ninquiries: {}\nextra: 1\n")
	reg, err := builtin.Registry()
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, err := config.Load(d.config, reg)
	if err != nil || cfg == nil {
		t.Fatal(err)
	}
	a, err := app.Build(context.Background(), app.Options{Config: cfg, Registry: reg})
	if err == nil {
		a.Close()
		t.Fatal("Build accepted a broken scope file")
	}
	var se *app.ScopeError
	if !errorsAs(err, &se) || !diagLine.MatchString(app.DiagLines(err)) || !strings.Contains(app.DiagLines(err), "zz-bad.yaml") {
		t.Fatalf("error %v\n%s", err, app.DiagLines(err))
	}
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// TestIdentityFromJWKSURL: with identity.jwks_url the gateway verifies
// expert assertions with the keys the platform publishes over HTTP, and a
// reload (SIGHUP) picks up the platform's new keys.
func TestIdentityFromJWKSURL(t *testing.T) {
	d := newDeployment(t)
	jwks, err := os.ReadFile(d.keys)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	platform := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_, _ = w.Write(jwks)
	}))
	defer platform.Close()
	cfgText, err := os.ReadFile(d.config)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(cfgText), "  keys_file: ./platform.jwks.json\n", "  jwks_url: "+platform.URL+"/.well-known/jwks.json\n", 1)
	if changed == string(cfgText) {
		t.Fatal("the deployment's identity section changed shape; adjust the test")
	}
	write(t, d.config, changed)
	if err := os.Remove(d.keys); err != nil {
		t.Fatal(err)
	}
	a := d.build(t)
	srv := httptest.NewServer(a.Server)
	defer srv.Close()
	inquiries := srv.URL + "/v1/clients/acme-retail/inquiries"
	if st, body := get(t, inquiries, d.token(t, 1, false)); st != 200 || !strings.Contains(body, `"order_status"`) {
		t.Fatalf("a token of a published key: %d %s", st, body)
	}

	next, err := authn.GenerateDevKeys(authn.AlgEdDSA)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	jwks = next.JWKS
	mu.Unlock()
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	if st, body := get(t, inquiries, tokenOf(t, next)); st != 200 {
		t.Fatalf("a token of the newly published key: %d %s", st, body)
	}
	if st, _ := get(t, inquiries, d.token(t, 1, false)); st != 401 {
		t.Fatalf("a token of a withdrawn key: %d, want 401", st)
	}
}
