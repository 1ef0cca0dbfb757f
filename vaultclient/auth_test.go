package vaultclient

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/cxgate/cxgate/internal/testutil"
	"github.com/cxgate/cxgate/pii"
)

// appRole sets up an AppRole with the runtime policy and returns a config
// that logs in with it through role_id/secret_id files.
func (f *fixture) appRole(t *testing.T, params map[string]any) (Config, string) {
	t.Helper()
	ctx := context.Background()
	pol := unique("cxgate-runtime-")
	if err := f.srv.WritePolicy(ctx, pol, f.policy(t, "cxgate-runtime.hcl")); err != nil {
		t.Fatal(err)
	}
	mount := unique("approle")
	p := map[string]any{"token_policies": []string{pol}, "token_no_default_policy": true}
	for k, v := range params {
		p[k] = v
	}
	roleID, secretID, err := f.srv.AppRole(ctx, mount, "cxgate", p)
	if err != nil {
		t.Fatal(err)
	}
	cfg := f.cfg
	cfg.Getenv = nil
	cfg.Auth = AuthConfig{
		Method:       AuthAppRole,
		RoleIDFile:   writeFile(t, "role_id", roleID+"\n"),
		SecretIDFile: writeFile(t, "secret_id", secretID+"\n"),
		Mount:        mount,
	}
	return cfg, secretID
}

func tokenizeOK(t *testing.T, c *Client, client string) {
	t.Helper()
	toks, err := c.Tokenize(context.Background(), client, []pii.Item{{Type: pii.Email, Value: "alice@example.com"}})
	if err != nil {
		t.Fatalf("tokenize: %v", err)
	}
	if _, err := c.Detokenize(context.Background(), client, toks); err != nil {
		t.Fatalf("detokenize: %v", err)
	}
}

func TestAppRoleLoginAndRenewal(t *testing.T) {
	f := sharedFixture(t)
	client := unique("acme")
	f.initKeys(t, client)
	// A short TTL far below the max: the watcher renews the same token.
	cfg, _ := f.appRole(t, map[string]any{"token_ttl": "2s", "token_max_ttl": "1h"})
	c := openClient(t, cfg)
	first := c.Auth()
	if first.Method != AuthAppRole || first.Accessor == "" || first.TTL <= 0 || !first.Renewable || first.Logins != 1 {
		t.Fatalf("after login: %+v", first)
	}
	tokenizeOK(t, c, client)
	waitFor(t, "two renewals", func() bool { return c.Auth().Renewals >= 2 })
	got := c.Auth()
	if got.Accessor != first.Accessor || got.Logins != 1 {
		t.Errorf("renewal should keep the token: before %+v, after %+v", first, got)
	}
	tokenizeOK(t, c, client)

	// Close gives the token back.
	ctx := context.Background()
	if _, err := f.srv.Write(ctx, "auth/token/lookup-accessor", map[string]any{"accessor": got.Accessor}); err != nil {
		t.Fatalf("the token should be alive before Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.Write(ctx, "auth/token/lookup-accessor", map[string]any{"accessor": got.Accessor}); err == nil {
		t.Error("the token outlived Close")
	}
}

func TestTokenExpiryAndRelogin(t *testing.T) {
	f := sharedFixture(t)
	client := unique("acme")
	f.initKeys(t, client)
	// The max TTL ends renewal quickly: the client must log in again.
	cfg, secretID := f.appRole(t, map[string]any{"token_ttl": "1s", "token_max_ttl": "2s"})
	var logs syncBuffer
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := openClient(t, cfg)
	first := c.Auth()
	tokens := []string{c.api.Token()}
	waitFor(t, "a re-login", func() bool {
		if tok := c.api.Token(); tok != tokens[len(tokens)-1] {
			tokens = append(tokens, tok)
		}
		return c.Auth().Logins >= 3
	})
	if got := c.Auth(); got.Accessor == first.Accessor {
		t.Errorf("re-login kept the old token: %+v", got)
	}
	tokenizeOK(t, c, client)
	out := logs.String()
	if !strings.Contains(out, "logging in again") {
		t.Errorf("re-logins should be logged:\n%s", out)
	}
	for _, s := range append(tokens, secretID) {
		if strings.Contains(out, s) {
			t.Errorf("the log shows a token or secret_id:\n%s", out)
		}
	}
}

type syncBuffer = testutil.SyncBuffer

func TestReloginAfterRevocation(t *testing.T) {
	f := sharedFixture(t)
	ctx := context.Background()
	client := unique("acme")
	f.initKeys(t, client)
	cfg, _ := f.appRole(t, map[string]any{"token_ttl": "1h"})
	c := openClient(t, cfg)
	tokenizeOK(t, c, client)
	before := c.Auth()
	// Someone revokes the token: the next call is refused, the client
	// logs in again at once and the call succeeds.
	if _, err := f.srv.Write(ctx, "auth/token/revoke-accessor", map[string]any{"accessor": before.Accessor}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(reloginGap) // the rate limit on on-demand logins
	tokenizeOK(t, c, client)
	after := c.Auth()
	if after.Logins != before.Logins+1 || after.Accessor == before.Accessor {
		t.Errorf("want one re-login with a new token: before %+v, after %+v", before, after)
	}
}

func TestTokenAuthSources(t *testing.T) {
	f := sharedFixture(t)
	client := unique("acme")
	f.initKeys(t, client)
	for _, tc := range []struct {
		name string
		auth AuthConfig
		env  map[string]string
	}{
		{"token_env", AuthConfig{Method: AuthToken, TokenEnv: "CXGATE_TEST_TOKEN"}, map[string]string{"CXGATE_TEST_TOKEN": f.srv.RootToken}},
		{"default VAULT_TOKEN", AuthConfig{Method: AuthToken}, map[string]string{"VAULT_TOKEN": f.srv.RootToken}},
		{"token_file", AuthConfig{Method: AuthToken, TokenFile: writeFile(t, "token", f.srv.RootToken+"\n")}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := f.cfg
			cfg.Auth = tc.auth
			cfg.Getenv = func(k string) string { return tc.env[k] }
			c := openClient(t, cfg)
			tokenizeOK(t, c, client)
		})
	}
}

func TestLoginFailures(t *testing.T) {
	f := sharedFixture(t)
	good, secretID := f.appRole(t, nil)
	wrongSecret := good
	wrongSecret.Auth.SecretIDFile = writeFile(t, "secret_id", "00000000-1111-2222-3333-444444444444")
	missingFile := good
	missingFile.Auth.RoleIDFile = "/nonexistent/role_id"
	badToken := f.cfg
	badToken.Getenv = func(string) string { return "hvs.not-a-real-token" }
	emptyToken := f.cfg
	emptyToken.Getenv = func(string) string { return "" }
	for _, tc := range []struct {
		name    string
		cfg     Config
		secrets []string
		says    string
	}{
		{"wrong secret_id", wrongSecret, []string{"00000000-1111-2222-3333-444444444444", secretID}, "HTTP 400"},
		{"missing role_id file", missingFile, []string{secretID}, "/nonexistent/role_id"},
		{"invalid token", badToken, []string{"hvs.not-a-real-token"}, "HTTP 403"},
		{"empty token variable", emptyToken, nil, "TEST_VAULT_TOKEN is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(context.Background(), tc.cfg)
			if c != nil || !errors.Is(err, ErrLogin) || !errors.Is(err, pii.ErrUnavailable) {
				t.Fatalf("want ErrLogin, got %v", err)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("error %q should mention %q", err, tc.says)
			}
			noLeak(t, err, tc.secrets...)
		})
	}
}

func TestInvalidConfig(t *testing.T) {
	_, err := New(context.Background(), Config{Address: "vault.example.com", Auth: AuthConfig{Method: "ldap"}})
	if !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("want ErrInvalidConfig, got %v", err)
	}
	for _, want := range []string{"vault.address", "vault.auth.method"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q should name %s", err, want)
		}
	}
}

// fakeKubernetes answers the TokenReview API the way a cluster does for
// the one service-account token it knows.
func fakeKubernetes(t *testing.T, jwtText, namespace, name, uid string) (host, caPEM string, reviews *atomic.Int64) {
	reviews = new(atomic.Int64)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/apis/authentication.k8s.io/v1/tokenreviews" {
			http.NotFound(w, r)
			return
		}
		var req struct {
			Spec struct {
				Token     string   `json:"token"`
				Audiences []string `json:"audiences"`
			} `json:"spec"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		reviews.Add(1)
		status := map[string]any{"authenticated": false}
		if req.Spec.Token == jwtText {
			status = map[string]any{
				"authenticated": true,
				"audiences":     req.Spec.Audiences,
				"user":          map[string]any{"username": "system:serviceaccount:" + namespace + ":" + name, "uid": uid},
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "status": status})
	}))
	t.Cleanup(srv.Close)
	caPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	return srv.URL, caPEM, reviews
}

func TestKubernetesAuth(t *testing.T) {
	f := sharedFixture(t)
	ctx := context.Background()
	client := unique("acme")
	f.initKeys(t, client)

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, nil)
	if err != nil {
		t.Fatal(err)
	}
	const ns, sa, uid = "cxgate", "cxgate-gateway", "5a0c9c4e-0000-4000-8000-000000000001"
	claims := map[string]any{
		"iss": "kubernetes/serviceaccount",
		"sub": "system:serviceaccount:" + ns + ":" + sa,
		"aud": []string{"vault"},
		"iat": time.Now().Unix(),
		"exp": time.Now().Add(time.Hour).Unix(),
		"kubernetes.io": map[string]any{
			"namespace":      ns,
			"serviceaccount": map[string]any{"name": sa, "uid": uid},
		},
	}
	jwtText, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	k8s, caPEM, reviews := fakeKubernetes(t, jwtText, ns, sa, uid)

	mount := unique("kubernetes")
	if err := f.srv.EnableAuth(ctx, mount, "kubernetes"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.Write(ctx, "auth/"+mount+"/config", map[string]any{
		"kubernetes_host": k8s, "kubernetes_ca_cert": caPEM, "disable_local_ca_jwt": true,
		"pem_keys": []string{pubPEM}, "issuer": "kubernetes/serviceaccount",
	}); err != nil {
		t.Fatal(err)
	}
	pol := unique("cxgate-runtime-")
	if err := f.srv.WritePolicy(ctx, pol, f.policy(t, "cxgate-runtime.hcl")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.Write(ctx, "auth/"+mount+"/role/cxgate", map[string]any{
		"bound_service_account_names":      []string{sa},
		"bound_service_account_namespaces": []string{ns},
		"token_policies":                   []string{pol},
		"token_ttl":                        "1h",
	}); err != nil {
		t.Fatal(err)
	}

	cfg := f.cfg
	cfg.Getenv = nil
	cfg.Auth = AuthConfig{Method: AuthKubernetes, Role: "cxgate", JWTFile: writeFile(t, "token", jwtText), Mount: mount}
	c := openClient(t, cfg)
	if a := c.Auth(); a.Method != AuthKubernetes || a.Accessor == "" || a.TTL <= 0 {
		t.Errorf("after kubernetes login: %+v", a)
	}
	if reviews.Load() == 0 {
		t.Error("Vault never asked the cluster to review the token")
	}
	tokenizeOK(t, c, client)

	// A token the cluster does not know is refused.
	other, err := jwt.Signed(signer).Claims(claims).Claims(map[string]any{"jti": "other"}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	bad := cfg
	bad.Auth.JWTFile = writeFile(t, "token", other)
	if _, err := New(ctx, bad); !errors.Is(err, ErrLogin) {
		t.Errorf("unknown service-account token: want ErrLogin, got %v", err)
	} else {
		noLeak(t, err, other)
	}
}
