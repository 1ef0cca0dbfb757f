package vaultclient

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestValidateNames(t *testing.T) {
	for _, tc := range []struct {
		name  string
		check func(string) error
		in    string
		ok    bool
	}{
		{"client", ValidateClient, "acme-retail", true},
		{"client digits", ValidateClient, "client-42", true},
		{"client upper case", ValidateClient, "Acme", false},
		{"client underscore", ValidateClient, "acme_retail", false},
		{"client slash", ValidateClient, "acme/retail", false},
		{"client dots", ValidateClient, "..", false},
		{"client trailing dash", ValidateClient, "acme-", false},
		{"client empty", ValidateClient, "", false},
		{"client too long", ValidateClient, strings.Repeat("a", 65), false},
		{"kv path", ValidateKVPath, "cxgate/acme/shopify", true},
		{"kv path with dots in a name", ValidateKVPath, "cxgate/acme.v2/shopify", true},
		{"kv traversal", ValidateKVPath, "cxgate/../sys/policy", false},
		{"kv dot segment", ValidateKVPath, "./cxgate", false},
		{"kv leading slash", ValidateKVPath, "/cxgate/acme", false},
		{"kv trailing slash", ValidateKVPath, "cxgate/acme/", false},
		{"kv double slash", ValidateKVPath, "cxgate//acme", false},
		{"kv query", ValidateKVPath, "cxgate/acme?version=1", false},
		{"kv percent", ValidateKVPath, "cxgate/%2e%2e/sys", false},
		{"kv empty", ValidateKVPath, "", false},
		{"mount", ValidateMount, "transit", true},
		{"nested mount", ValidateMount, "team/transit", true},
		{"mount traversal", ValidateMount, "../sys", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.check(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("%q: err = %v, want ok %v", tc.in, err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidName) {
				t.Errorf("want ErrInvalidName, got %v", err)
			}
		})
	}
}

func TestKeyNamesDoNotCollide(t *testing.T) {
	// A "-hmac" suffix would give client "acme" and client "acme-hmac"
	// the same key; "_hmac" cannot occur in a client id.
	if KeyName("acme-hmac") == HMACKeyName("acme") {
		t.Fatal("key names collide")
	}
	if KeyName("acme-retail") != "cxgate-acme-retail" || HMACKeyName("acme-retail") != "cxgate-acme-retail_hmac" {
		t.Errorf("key names: %s %s", KeyName("acme-retail"), HMACKeyName("acme-retail"))
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want []string // "key: fragment"
	}{
		{"token from env", Config{Address: "https://vault.example.com:8200", Auth: AuthConfig{Method: "token"}}, nil},
		{"approle", Config{Address: "https://vault.example.com", Auth: AuthConfig{Method: "approle", RoleIDFile: "r", SecretIDFile: "s"}}, nil},
		{"kubernetes", Config{Address: "https://vault.example.com", Auth: AuthConfig{Method: "kubernetes", Role: "cxgate"}}, nil},
		{"missing address", Config{Auth: AuthConfig{Method: "token"}}, []string{"address: address is required"}},
		{"address without scheme", Config{Address: "vault.example.com:8200", Auth: AuthConfig{Method: "token"}}, []string{"address: address must be an http(s) URL"}},
		{"no method", Config{Address: "https://v.example.com"}, []string{"auth.method: auth.method is required"}},
		{"unknown method", Config{Address: "https://v.example.com", Auth: AuthConfig{Method: "ldap"}}, []string{`auth.method: unknown auth method "ldap"`}},
		{"approle without files", Config{Address: "https://v.example.com", Auth: AuthConfig{Method: "approle"}},
			[]string{"auth.role_id_file: approle auth needs role_id_file", "auth.secret_id_file: approle auth needs secret_id_file"}},
		{"kubernetes without role", Config{Address: "https://v.example.com", Auth: AuthConfig{Method: "kubernetes"}}, []string{"auth.role: kubernetes auth needs role"}},
		{"keys of another method", Config{Address: "https://v.example.com", Auth: AuthConfig{Method: "token", RoleIDFile: "r", Role: "x"}},
			[]string{"auth.role_id_file: role_id_file does not apply to auth method token", "auth.role: role does not apply to auth method token"}},
		{"token env and file", Config{Address: "https://v.example.com", Auth: AuthConfig{Method: "token", TokenEnv: "A", TokenFile: "f"}}, []string{"auth.token_file: set token_env or token_file, not both"}},
		{"mount traversal", Config{Address: "https://v.example.com", Auth: AuthConfig{Method: "token"}, TransitMount: "../sys", KVMount: "a//b"},
			[]string{"transit_mount: invalid name", "kv_mount: invalid name"}},
		{"negative durations", Config{Address: "https://v.example.com", Auth: AuthConfig{Method: "token"}, Timeout: -time.Second, RotationPeriod: -1},
			[]string{"timeout: timeout must be positive", "rotation_period: rotation_period must be positive"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := tc.cfg.WithDefaults().Validate()
			if len(ps) != len(tc.want) {
				t.Fatalf("got %d problems %v, want %d", len(ps), ps, len(tc.want))
			}
			for i, p := range ps {
				if got := p.Key + ": " + p.Message; !strings.HasPrefix(got, tc.want[i]) {
					t.Errorf("problem %d = %q, want prefix %q", i, got, tc.want[i])
				}
			}
		})
	}
}
