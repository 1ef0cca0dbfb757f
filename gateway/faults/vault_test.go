package faults

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
	"golang.org/x/time/rate"

	"github.com/cxgate/cxgate/gateway/config"
	"github.com/cxgate/cxgate/gateway/dev"
	"github.com/cxgate/cxgate/vaultclient"
	"github.com/cxgate/cxgate/vaultclient/vaulttest"
)

var exampleClients = []string{"acme-retail", "globex-saas", "initech-service"}

// ownVault starts a Vault dev server for one scenario (it will be broken on
// purpose) with transit at transit/, stopped when the test ends.
func ownVault(t *testing.T) *vaulttest.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 9*time.Minute) // a first build of the binary
	defer cancel()
	srv, err := vaulttest.NewServer(ctx, vaulttest.Options{Progress: os.Stderr})
	if err != nil {
		t.Fatalf("vaulttest: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("vaulttest: %v", err)
		}
	})
	if err := srv.EnableTransit(ctx, "transit"); err != nil {
		t.Fatal(err)
	}
	return srv
}

// vaultClient is a cxgate Vault client with token auth, closed when the
// test ends.
func vaultClient(t *testing.T, srv *vaulttest.Server, token, mount string, timeout time.Duration) *vaultclient.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := vaultclient.New(ctx, vaultclient.Config{
		Address: srv.Addr, TransitMount: mount, Timeout: timeout,
		Auth: vaultclient.AuthConfig{Method: vaultclient.AuthToken, TokenEnv: "CXGATE_FAULTS_VAULT_TOKEN"},
		Getenv: func(k string) string {
			if k == "CXGATE_FAULTS_VAULT_TOKEN" {
				return token
			}
			return ""
		},
	})
	if err != nil {
		t.Fatalf("vaultclient: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func initKeys(t *testing.T, c *vaultclient.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.InitKeys(ctx, exampleClients); err != nil {
		t.Fatalf("InitKeys: %v", err)
	}
}

// vaultSystem is a dev system whose tokenizer is a root-token client of srv.
func vaultSystem(t *testing.T, srv *vaulttest.Server, timeout time.Duration) *fixture {
	t.Helper()
	vc := vaultClient(t, srv, srv.RootToken, "transit", timeout)
	initKeys(t, vc)
	return startSystem(t, dev.Options{Tokenizer: vc, Configure: liftRateLimits})
}

// liftRateLimits raises the connections' client-side limits above the
// vendors' defaults: the Vault scenarios send every call in bursts, and
// they are about Vault, not about rate limits (TestCRMRateLimit covers
// those). At the defaults a fast run can outpace the limiter and get 429s.
func liftRateLimits(c *config.Config) {
	for i := range c.Connections {
		c.Connections[i].RateLimit = 100
	}
}

// expectAll sends every call, in parallel (a Vault that does not answer
// costs each call the client's timeout), and checks that calls needing
// any of caps get withheld ("tokenizer_unavailable", or the code given)
// and every other call succeeds.
func expectAll(t *testing.T, f *fixture, withheld string, caps ...string) {
	t.Helper()
	var wg sync.WaitGroup
	for _, c := range f.calls() {
		want := "ok"
		if c.needsAny(caps...) {
			want = withheld
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := f.do(c); r.code() != want {
				t.Errorf("%s: got %v, want %s", c.name, r, want)
			}
		}()
	}
	wg.Wait()
}

var allCaps = []string{"encrypt", "decrypt", "hmac"}

// TestVaultKilledMidLoad: Vault's process is killed while experts send
// requests concurrently. Every request that needs protection answers
// tokenizer_unavailable from then on (never a raw value); requests whose
// scope needs no Vault (keep, mask, scrub, the filter in mask mode, the
// inquiry list) keep working. Vault comes back empty (a dev server keeps
// everything in memory): once transit and the keys are set up again, the
// same gateway serves again without a restart. Tokens minted before are
// gone with the old keys: they answer invalid_params.
func TestVaultKilledMidLoad(t *testing.T) {
	checkGoroutines(t)
	srv := ownVault(t)
	vc := vaultClient(t, srv, srv.RootToken, "transit", time.Second)
	initKeys(t, vc)
	// The load is paced below the connections' client-side limits (raised
	// here above the vendors' defaults): this scenario is about Vault, not
	// about rate limits, which TestCRMRateLimit covers.
	f := startSystem(t, dev.Options{Tokenizer: vc, Configure: liftRateLimits})
	expectAll(t, f, "")
	pace := rate.NewLimiter(40, 4)

	const (
		up = iota
		stopping
		down
	)
	var phase atomic.Int32
	type key struct {
		call, code string
		phase      int32
	}
	var mu sync.Mutex
	seen := map[key]int{}
	calls := f.calls()
	names := make([]string, 0, len(calls))
	for n := range calls {
		names = append(names, n)
	}
	sort.Strings(names)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if pace.Wait(context.Background()) != nil {
					return
				}
				c := calls[names[i%len(names)]]
				before := phase.Load()
				r := f.do(c)
				after := phase.Load()
				code := r.code()
				switch {
				case code == "ok":
				case code == "tokenizer_unavailable" && c.vault():
				default:
					t.Errorf("%s under load: %v", c.name, r)
				}
				if before == after {
					mu.Lock()
					seen[key{c.name, code, before}]++
					mu.Unlock()
				}
			}
		}()
	}
	// counted reports whether every call has answered want at least n
	// times in phase p (want "": ok, or tokenizer_unavailable for the
	// calls that need Vault while it is down).
	counted := func(p int32, n int) bool {
		mu.Lock()
		defer mu.Unlock()
		for _, name := range names {
			want := "ok"
			if p == down && calls[name].vault() {
				want = "tokenizer_unavailable"
			}
			if seen[key{name, want, p}] < n {
				return false
			}
		}
		return true
	}
	eventually(t, "load with Vault up", 30*time.Second, func() bool { return counted(up, 3) })
	phase.Store(stopping) // requests across the kill count for no phase
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	phase.Store(down)
	eventually(t, "load with Vault down", 30*time.Second, func() bool { return counted(down, 3) })
	f.wantReady(503, "not ready")
	close(stop)
	wg.Wait()
	mu.Lock()
	total := map[int32]int{}
	for k, n := range seen {
		total[k.phase] += n
		if k.phase == up && k.code != "ok" {
			t.Errorf("%s answered %s %d times while Vault was up", k.call, k.code, n)
		}
	}
	mu.Unlock()
	t.Logf("load: %d answers with Vault up, %d with Vault killed (6 workers, 40 requests/s)", total[up], total[down])
	if t.Failed() {
		return
	}

	// Vault comes back empty.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if err := srv.EnableTransit(ctx, "transit"); err != nil {
		t.Fatal(err)
	}
	// No keys yet: everything that needs protection is still withheld,
	// and readiness says which keys are missing (advisory: degraded).
	expectAll(t, f, "tokenizer_unavailable", allCaps...)
	if r := f.ready(); r.code != 200 || r.Status != "degraded" || !strings.Contains(r.Checks["vault keys"], "missing (run cxgate vault init): cxgate-") || r.Checks["vault"] != "ok" {
		t.Errorf("/readyz with Vault back but no keys: %d %q %v; want 200 degraded, vault ok, vault keys naming the missing keys", r.code, r.Status, r.Checks)
	}
	tok, ok := f.env.Tokenizer.(*vaultclient.Client)
	if !ok {
		t.Fatal("the system's tokenizer is not the Vault client")
	}
	initKeys(t, tok)
	// The keys are new: tokens minted before decrypt no more.
	expectAll(t, f, "invalid_params", "decrypt")
	f.mintTokens()
	expectAll(t, f, "")
	f.wantReady(200, "ready")
}

// TestVaultSealed: a sealed Vault withholds every answer that needs
// protection (tokenizer_unavailable); unsealed, the same gateway serves
// again, and tokens minted before still work (the keys are kept).
func TestVaultSealed(t *testing.T) {
	checkGoroutines(t)
	srv := ownVault(t)
	f := vaultSystem(t, srv, time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := srv.Seal(ctx); err != nil {
		t.Fatal(err)
	}
	expectAll(t, f, "tokenizer_unavailable", allCaps...)
	f.wantReady(503, "not ready")
	if err := srv.Unseal(ctx); err != nil {
		t.Fatal(err)
	}
	expectAll(t, f, "")
	f.wantReady(200, "ready")
}

// TestVaultSlow: Vault accepts connections but does not answer (its
// process is stopped): past the client's timeout every answer that needs
// protection is withheld; resumed, the gateway serves again with the same
// tokens.
func TestVaultSlow(t *testing.T) {
	checkGoroutines(t)
	srv := ownVault(t)
	f := vaultSystem(t, srv, 500*time.Millisecond)
	if err := srv.Pause(); err != nil {
		t.Fatal(err)
	}
	paused := true
	defer func() {
		if paused {
			_ = srv.Resume()
		}
	}()
	expectAll(t, f, "tokenizer_unavailable", allCaps...)
	f.wantReady(503, "not ready")
	if err := srv.Resume(); err != nil {
		t.Fatal(err)
	}
	paused = false
	eventually(t, "answers with Vault resumed", 30*time.Second, func() bool {
		return f.run("acme.get_shipping_address").code() == "ok"
	})
	expectAll(t, f, "")
	f.wantReady(200, "ready")
}

// runtimePolicy is examples/vault/cxgate-runtime.hcl for a transit mount,
// without the paths of the capabilities in drop.
func runtimePolicy(t *testing.T, mount string, drop ...string) string {
	t.Helper()
	b, err := os.ReadFile("../../examples/vault/cxgate-runtime.hcl")
	if err != nil {
		t.Fatal(err)
	}
	hcl := strings.ReplaceAll(string(b), `path "transit/`, `path "`+mount+`/`)
	for _, d := range drop {
		block := fmt.Sprintf("path \"%s/%s/cxgate-*\" {\n  capabilities = [\"update\"]\n}\n", mount, d)
		if !strings.Contains(hcl, block) {
			t.Fatalf("the runtime policy has no %s block", d)
		}
		hcl = strings.Replace(hcl, block, "", 1)
	}
	return hcl
}

// TestVaultPermissionDenied: the gateway's Vault token loses a capability
// (an operator narrows its policy). Every answer that needs it is withheld
// with tokenizer_unavailable, the others work; once the policy is fixed
// the same gateway, with the same token, serves again.
func TestVaultPermissionDenied(t *testing.T) {
	srv := vaulttest.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	mount := fmt.Sprintf("transit-denied-%d", time.Now().UnixNano())
	if err := srv.EnableTransit(ctx, mount); err != nil {
		t.Fatal(err)
	}
	root := vaultClient(t, srv, srv.RootToken, mount, 5*time.Second)
	initKeys(t, root)
	_ = root.Close()

	// From here on every Vault call goes through clients this test closes,
	// so the goroutine count can come back to where it is now.
	checkGoroutines(t)
	admin, err := srv.Client()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeIdle(admin) })
	policy := "cxgate-faults-" + mount
	put := func(hcl string) {
		t.Helper()
		if err := admin.Sys().PutPolicyWithContext(ctx, policy, hcl); err != nil {
			t.Fatal(err)
		}
	}
	put(runtimePolicy(t, mount))
	sec, err := admin.Logical().WriteWithContext(ctx, "auth/token/create", map[string]any{
		"policies": []string{policy}, "no_default_policy": true, "ttl": "1h",
	})
	if err != nil {
		t.Fatal(err)
	}
	vc := vaultClient(t, srv, sec.Auth.ClientToken, mount, 2*time.Second)
	f := startSystem(t, dev.Options{Tokenizer: vc, Configure: liftRateLimits})
	expectAll(t, f, "")
	for _, c := range []string{"decrypt", "encrypt", "hmac"} {
		t.Run("without "+c, func(t *testing.T) {
			put(runtimePolicy(t, mount, c))
			f.t = t
			expectAll(t, f, "tokenizer_unavailable", c)
			// Vault answers and the login holds, so the replica stays ready;
			// the advisory "vault keys" check names what the login lost.
			r := f.ready()
			want := "not usable by this login (the policy lacks update on): " + mount + "/" + c + "/cxgate-"
			if r.code != 200 || r.Status != "degraded" || r.Checks["vault"] != "ok" || !strings.Contains(r.Checks["vault keys"], want) {
				t.Errorf("/readyz without %s: %d %q %v; want 200 degraded, vault ok, vault keys containing %q", c, r.code, r.Status, r.Checks, want)
			}
			put(runtimePolicy(t, mount))
			expectAll(t, f, "")
			f.wantReady(200, "ready")
		})
	}
	f.t = t
}

// closeIdle drops a Vault API client's idle connections (the api package
// has no Close).
func closeIdle(c *api.Client) {
	if hc := c.CloneConfig().HttpClient; hc != nil {
		hc.CloseIdleConnections()
	}
}
