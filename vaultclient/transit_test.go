package vaultclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/cxgate/cxgate/pii"
)

// countingProxy sits between the client and Vault (real HTTP both ways) and
// counts the requests per path.
type countingProxy struct {
	mu    sync.Mutex
	calls map[string]int
}

func newCountingProxy(t *testing.T, target string) (*countingProxy, string) {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &countingProxy{calls: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.calls[r.Method+" "+r.URL.Path]++
		p.mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return p, srv.URL
}

func (p *countingProxy) reset() {
	p.mu.Lock()
	p.calls = map[string]int{}
	p.mu.Unlock()
}

func (p *countingProxy) snapshot() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int{}
	for k, v := range p.calls {
		out[k] = v
	}
	return out
}

func TestOneRoundTripPerCall(t *testing.T) {
	f := sharedFixture(t)
	client := unique("acme")
	f.initKeys(t, client)
	proxy, addr := newCountingProxy(t, f.srv.Addr)
	cfg := f.cfg
	cfg.Address = addr
	c := openClient(t, cfg)
	ctx := context.Background()

	items := make([]pii.Item, 250)
	for i := range items {
		items[i] = pii.Item{Type: pii.Email, Value: fmt.Sprintf("user%d@example.com", i)}
	}
	// Warm the key cache, then count only the data calls.
	if _, err := c.Tokenize(ctx, client, items[:1]); err != nil {
		t.Fatal(err)
	}
	if _, err := c.HMAC(ctx, client, items[:1]); err != nil {
		t.Fatal(err)
	}
	proxy.reset()
	toks, err := c.Tokenize(ctx, client, items)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Detokenize(ctx, client, toks); err != nil {
		t.Fatal(err)
	}
	if _, err := c.HMAC(ctx, client, items); err != nil {
		t.Fatal(err)
	}
	m := f.cfg.TransitMount
	want := map[string]int{
		"PUT /v1/" + m + "/encrypt/" + KeyName(client):  1,
		"PUT /v1/" + m + "/decrypt/" + KeyName(client):  1,
		"PUT /v1/" + m + "/hmac/" + HMACKeyName(client): 1,
	}
	got := proxy.snapshot()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("requests for 250 items each:\n got %v\nwant %v", got, want)
	}
}

func TestKeyFlagsCheckedBeforeUse(t *testing.T) {
	f := sharedFixture(t)
	ctx := context.Background()
	c := f.client(t)
	cases := []struct {
		name   string
		params map[string]any
	}{
		{"not derived", map[string]any{"type": "aes256-gcm96"}},
		{"derived but not convergent", map[string]any{"type": "aes256-gcm96", "derived": true}},
		{"wrong type", map[string]any{"type": "chacha20-poly1305", "derived": true, "convergent_encryption": true}},
		{"exportable", map[string]any{"type": "aes256-gcm96", "derived": true, "convergent_encryption": true, "exportable": true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			client := unique("bad")
			if _, err := f.srv.Write(ctx, f.cfg.TransitMount+"/keys/"+KeyName(client), tc.params); err != nil {
				t.Fatal(err)
			}
			out, err := c.Tokenize(ctx, client, []pii.Item{{Type: pii.Email, Value: "alice@example.com"}})
			if !errors.Is(err, ErrKeyFlags) || !errors.Is(err, pii.ErrUnavailable) || out != nil {
				t.Fatalf("Tokenize with a %s key = %v, %v; want ErrKeyFlags and no output", tc.name, out, err)
			}
			noLeak(t, err, "alice@example.com")
		})
	}
}

func TestMissingKey(t *testing.T) {
	f := sharedFixture(t)
	c := f.client(t)
	ctx := context.Background()
	client := unique("nokey")
	for name, call := range map[string]func() error{
		"tokenize": func() error {
			_, err := c.Tokenize(ctx, client, []pii.Item{{Type: pii.Email, Value: "a@example.com"}})
			return err
		},
		"detokenize": func() error {
			_, err := c.Detokenize(ctx, client, []string{"cxt_email_v1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})
			return err
		},
		"hmac": func() error {
			_, err := c.HMAC(ctx, client, []pii.Item{{Type: pii.Email, Value: "a@example.com"}})
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			err := call()
			if !errors.Is(err, ErrKeyMissing) || !errors.Is(err, pii.ErrUnavailable) {
				t.Errorf("want ErrKeyMissing, got %v", err)
			}
			if !strings.Contains(err.Error(), "cxgate vault init") {
				t.Errorf("the error should say what to do: %v", err)
			}
		})
	}
	// With the root token nothing was created behind our back either.
	if _, err := c.ReadKey(ctx, KeyName(client)); !errors.Is(err, ErrKeyMissing) {
		t.Errorf("a key appeared: %v", err)
	}
}

// The runtime policy in examples/vault grants exactly the gateway's calls:
// tokenize, detokenize, hash and KV reads work; key management and
// encrypting under a missing key (which would create it) are denied.
func TestRuntimePolicy(t *testing.T) {
	f := sharedFixture(t)
	ctx := context.Background()
	client := unique("acme")
	f.initKeys(t, client)
	pol := unique("cxgate-runtime-")
	if err := f.srv.WritePolicy(ctx, pol, f.policy(t, "cxgate-runtime.hcl")); err != nil {
		t.Fatal(err)
	}
	sec, err := f.srv.Write(ctx, "auth/token/create", map[string]any{"policies": []string{pol}, "no_default_policy": true, "ttl": "1h"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := f.cfg
	cfg.Getenv = func(string) string { return sec.Auth.ClientToken }
	c := openClient(t, cfg)

	items := []pii.Item{{Type: pii.Email, Value: "alice@example.com"}}
	toks, err := c.Tokenize(ctx, client, items)
	if err != nil {
		t.Fatalf("tokenize under the runtime policy: %v", err)
	}
	if _, err := c.Detokenize(ctx, client, toks); err != nil {
		t.Fatalf("detokenize under the runtime policy: %v", err)
	}
	if _, err := c.HMAC(ctx, client, items); err != nil {
		t.Fatalf("hmac under the runtime policy: %v", err)
	}
	kvPath := "cxgate/" + unique("conn")
	if _, err := f.srv.Write(ctx, "secret/data/"+kvPath, map[string]any{"data": map[string]any{"client_id": "id-1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadSecret(ctx, kvPath); err != nil {
		t.Fatalf("kv read under the runtime policy: %v", err)
	}
	if _, err := f.srv.Write(ctx, "secret/data/other/"+kvPath, map[string]any{"data": map[string]any{"k": "v"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadSecret(ctx, "other/"+kvPath); !errors.Is(err, ErrDenied) {
		t.Errorf("kv read outside cxgate/: want ErrDenied, got %v", err)
	}
	if _, err := c.InitKeys(ctx, []string{unique("new")}); !errors.Is(err, ErrDenied) {
		t.Errorf("key creation under the runtime policy: want ErrDenied, got %v", err)
	}
	if _, err := c.Rotate(ctx, []ClientKeyPolicy{{Client: client, Retention: 1, RotationPeriod: 1}}, RotateOptions{}); !errors.Is(err, ErrDenied) {
		t.Errorf("rotation under the runtime policy: want ErrDenied, got %v", err)
	}
	// Encrypting under a missing key would create one (upsert) given
	// "create"; the policy grants only "update".
	missing := KeyName(unique("missing"))
	_, err = c.call(ctx, "encrypt", http.MethodPut, f.cfg.TransitMount+"/encrypt/"+missing,
		map[string]any{"plaintext": "YQ==", "context": "RU1BSUw="})
	if !errors.Is(err, ErrDenied) {
		t.Errorf("upsert under the runtime policy: want ErrDenied, got %v", err)
	}
}
