package vaultclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cxgate/cxgate/connectors"
)

func TestSecretsFromVault(t *testing.T) {
	f := sharedFixture(t)
	ctx := context.Background()
	c := f.client(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := NewSecrets(c, SecretsOptions{CacheTTL: 30 * time.Second, Now: func() time.Time { return now }})
	path := "cxgate/" + unique("acme") + "/shopify"
	ref := connectors.CredentialRef{Vault: path}
	write := func(secret string) {
		t.Helper()
		if _, err := f.srv.Write(ctx, "secret/data/"+path, map[string]any{"data": map[string]any{"client_id": "shop-app-1", "client_secret": secret}}); err != nil {
			t.Fatal(err)
		}
	}
	get := func(fresh bool) connectors.Credentials {
		t.Helper()
		creds, err := s.Credentials(ctx, ref, fresh)
		if err != nil {
			t.Fatal(err)
		}
		return creds
	}

	write("first-secret-value")
	if diff := cmp.Diff(connectors.Credentials{"client_id": "shop-app-1", "client_secret": "first-secret-value"}, get(false)); diff != "" {
		t.Errorf("read (-want +got):\n%s", diff)
	}
	get(false)["client_secret"] = "mutated by a caller"

	// The credential changes in Vault (rotation by the CRM admin).
	write("second-secret-value")
	if got := get(false)["client_secret"]; got != "first-secret-value" {
		t.Errorf("within the cache TTL: got %q, want the cached value", got)
	}
	if got := get(true)["client_secret"]; got != "second-secret-value" {
		t.Errorf("fresh=true: got %q, want the new value", got)
	}
	if got := get(false)["client_secret"]; got != "second-secret-value" {
		t.Errorf("after a fresh read the cache holds the new value, got %q", got)
	}
	write("third-secret-value")
	now = now.Add(31 * time.Second)
	if got := get(false)["client_secret"]; got != "third-secret-value" {
		t.Errorf("after the cache TTL: got %q, want the new value", got)
	}
}

func TestSecretsErrors(t *testing.T) {
	f := sharedFixture(t)
	ctx := context.Background()
	c := f.client(t)
	s := NewSecrets(c, SecretsOptions{})
	base := "cxgate/" + unique("acme")
	if _, err := f.srv.Write(ctx, "secret/data/"+base+"/numbers", map[string]any{"data": map[string]any{"client_id": "id-1", "port": 8443, "pin": "1234-secret"}}); err != nil {
		t.Fatal(err)
	}
	noVault := NewSecrets(nil, SecretsOptions{})
	for _, tc := range []struct {
		name string
		src  *Secrets
		ref  connectors.CredentialRef
		says string
	}{
		{"missing path", s, connectors.CredentialRef{Vault: base + "/missing"}, "not found"},
		{"path traversal", s, connectors.CredentialRef{Vault: "cxgate/../../sys/policy"}, "may not contain"},
		{"absolute path", s, connectors.CredentialRef{Vault: "/cxgate/acme"}, "empty segment"},
		{"field that is not a string", s, connectors.CredentialRef{Vault: base + "/numbers"}, "fields are not strings: port"},
		{"no vault configured", noVault, connectors.CredentialRef{Vault: base + "/numbers"}, "no Vault is configured"},
		{"two sources", s, connectors.CredentialRef{Vault: "a", Env: "B"}, "exactly one"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			creds, err := tc.src.Credentials(ctx, tc.ref, false)
			if creds != nil || !errors.Is(err, connectors.ErrUnavailable) {
				t.Fatalf("want connectors.ErrUnavailable, got %v, %v", creds, err)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("error %q should say %q", err, tc.says)
			}
			noLeak(t, err, "1234-secret", "id-1")
		})
	}
}

func TestSecretsFromEnv(t *testing.T) {
	env := []string{
		"ACME_SHOPIFY_CLIENT_ID=shop-app-1",
		"ACME_SHOPIFY_CLIENT_SECRET=env-secret=with=equals",
		"ACME_SHOPIFY=not a field",
		"ACME_SHOPIFY_OTHER_CLIENT_ID=belongs to a longer prefix but matches ours",
		"GLOBEX_CLIENT_ID=other",
	}
	s := NewSecrets(nil, SecretsOptions{Environ: func() []string { return env }})
	ctx := context.Background()
	got, err := s.Credentials(ctx, connectors.CredentialRef{Env: "ACME_SHOPIFY"}, false)
	if err != nil {
		t.Fatal(err)
	}
	want := connectors.Credentials{
		"client_id":       "shop-app-1",
		"client_secret":   "env-secret=with=equals",
		"other_client_id": "belongs to a longer prefix but matches ours",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("env credentials (-want +got):\n%s", diff)
	}
	for _, tc := range []struct{ name, prefix, says string }{
		{"no variables", "NOBODY", "no environment variables NOBODY_*"},
		{"bad prefix", "acme-shop", "use A-Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Credentials(ctx, connectors.CredentialRef{Env: tc.prefix}, false)
			if !errors.Is(err, connectors.ErrUnavailable) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("want %q, got %v", tc.says, err)
			}
		})
	}
}

func TestSecretsFromFile(t *testing.T) {
	ctx := context.Background()
	s := NewSecrets(nil, SecretsOptions{})
	good := writeFile(t, "creds.json", `{"client_id": "shop-app-1", "client_secret": "file-secret"}`)
	got, err := s.Credentials(ctx, connectors.CredentialRef{File: good}, false)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(connectors.Credentials{"client_id": "shop-app-1", "client_secret": "file-secret"}, got); diff != "" {
		t.Errorf("file credentials (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		name, content, says string
	}{
		{"syntax error", `{"client_secret": "file-secret" "x"}`, "syntax error at byte"},
		{"not an object", `["file-secret"]`, "want a JSON object of strings"},
		{"number field", `{"client_secret": "file-secret", "port": 443}`, "fields are not strings: port"},
		{"empty object", `{}`, "no fields"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, "creds.json", tc.content)
			_, err := s.Credentials(ctx, connectors.CredentialRef{File: p}, false)
			if !errors.Is(err, connectors.ErrUnavailable) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("want %q, got %v", tc.says, err)
			}
			noLeak(t, err, "file-secret")
		})
	}
}

// Credentials print and log as field names only (connectors.Credentials),
// and nothing this package logs carries a value.
func TestSecretsNeverLogged(t *testing.T) {
	var logs strings.Builder
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := NewSecrets(nil, SecretsOptions{Environ: func() []string { return []string{"X_CLIENT_SECRET=never-shown"} }})
	creds, err := s.Credentials(context.Background(), connectors.CredentialRef{Env: "X"}, false)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("credentials loaded", "creds", creds)
	out := logs.String() + fmt.Sprintf("%v %s %+v %#v", creds, creds, creds, creds)
	if strings.Contains(out, "never-shown") {
		t.Errorf("a secret leaked: %s", out)
	}
}
