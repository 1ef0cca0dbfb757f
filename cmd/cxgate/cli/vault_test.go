package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cxgate/cxgate/vaultclient/vaulttest"
)

// vaultCLI runs the CLI in-process with VAULT_TOKEN set for the server.
func vaultCLI(t *testing.T, srv *vaulttest.Server, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string {
		if k == "VAULT_TOKEN" && srv != nil {
			return srv.RootToken
		}
		return ""
	}
	code := Execute(context.Background(), args, Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: getenv})
	return code, out.String(), errb.String()
}

// vaultConfig writes a gateway config for srv serving the example scopes
// (clients acme-retail, globex-saas, initech-service).
func vaultConfig(t *testing.T, srv *vaulttest.Server) string {
	t.Helper()
	scopesDir, err := filepath.Abs(filepath.Join("..", "..", "..", "examples", "scopes"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`listen: 127.0.0.1:8080
scopes: %s
identity:
  issuer: https://experts.example.com
  audience: cxgate
  hs256_secret_env: CXGATE_TEST_SECRET
tokenizer: vault
vault:
  address: %s
  auth: {method: token, token_env: VAULT_TOKEN}
  transit_mount: transit
  kv_mount: secret
  timeout: 5s
connections:
  acme-shopify:
    type: shopify
    base_url: https://acme.myshopify.com
    credentials: {vault: cxgate/acme/shopify}
  globex-zendesk:
    type: zendesk
    base_url: https://globex.zendesk.com
    credentials: {env: GLOBEX_ZENDESK}
  initech-salesforce:
    type: salesforce
    base_url: https://initech.my.salesforce.com
    credentials: {vault: cxgate/initech/salesforce}
audit:
  file: ./audit.jsonl
`, scopesDir, srv.Addr)
	p := filepath.Join(t.TempDir(), "cxgate.yaml")
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func startVaultForCLI(t *testing.T) *vaulttest.Server {
	t.Helper()
	srv := vaulttest.Start(t)
	if err := srv.EnableTransit(context.Background(), "transit"); err != nil {
		t.Fatal(err)
	}
	return srv
}

func wantLines(t *testing.T, out string, prefixes ...string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != len(prefixes) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(prefixes), out)
	}
	for i, p := range prefixes {
		if !strings.HasPrefix(lines[i], p) {
			t.Errorf("line %d:\n got %s\nwant %s...", i+1, lines[i], p)
		}
	}
}

func TestVaultInitCheckRotate(t *testing.T) {
	srv := startVaultForCLI(t)
	ctx := context.Background()
	cfg := vaultConfig(t, srv)
	for _, p := range []string{"cxgate/acme/shopify", "cxgate/initech/salesforce"} {
		if _, err := srv.Write(ctx, "secret/data/"+p, map[string]any{"data": map[string]any{"client_id": "app-1", "client_secret": "kv-secret-" + p}}); err != nil {
			t.Fatal(err)
		}
	}

	code, out, _ := vaultCLI(t, srv, "vault", "check", "--config", cfg)
	if code != ExitProblems || strings.Count(out, "FAIL  key ") != 6 || !strings.Contains(out, "missing (run cxgate vault init)") {
		t.Fatalf("check before init: exit %d\n%s", code, out)
	}

	code, out, errOut := vaultCLI(t, srv, "vault", "init", "--config", cfg)
	if code != ExitOK {
		t.Fatalf("init: exit %d\n%s%s", code, out, errOut)
	}
	wantLines(t, out,
		"created  cxgate-acme-retail (encryption): aes256-gcm96, derived, convergent, latest v1",
		"created  cxgate-acme-retail_hmac (hmac): hmac, latest v1",
		"created  cxgate-globex-saas (encryption)",
		"created  cxgate-globex-saas_hmac (hmac)",
		"created  cxgate-initech-service (encryption)",
		"created  cxgate-initech-service_hmac (hmac)",
	)
	code, out, _ = vaultCLI(t, srv, "vault", "init", "--config", cfg)
	if code != ExitOK || strings.Count(out, "ok       cxgate-") != 6 {
		t.Fatalf("init again (idempotent): exit %d\n%s", code, out)
	}

	code, out, _ = vaultCLI(t, srv, "vault", "check", "--config", cfg)
	if code != ExitOK {
		t.Fatalf("check after init: exit %d\n%s", code, out)
	}
	wantLines(t, out,
		"ok    vault: reachable at "+srv.Addr+" (Vault 1.14.1)",
		"ok    seal: unsealed",
		"ok    auth: token login (policies root; no expiry)",
		"ok    key cxgate-acme-retail: aes256-gcm96, derived, convergent, latest v1; usable by this login",
		"ok    key cxgate-acme-retail_hmac: hmac, latest v1; usable by this login",
		"ok    key cxgate-globex-saas: ",
		"ok    key cxgate-globex-saas_hmac: ",
		"ok    key cxgate-initech-service: ",
		"ok    key cxgate-initech-service_hmac: ",
		"ok    kv secret/cxgate/acme/shopify: readable (fields: client_id, client_secret)",
		"ok    kv secret/cxgate/initech/salesforce: readable (fields: client_id, client_secret)",
	)
	if strings.Contains(out, "kv-secret-") || strings.Contains(out, srv.RootToken) {
		t.Errorf("check printed a secret:\n%s", out)
	}

	// Fresh keys: rotate has nothing to do, and says so the same way twice.
	code, first, _ := vaultCLI(t, srv, "vault", "rotate", "--config", cfg)
	if code != ExitOK {
		t.Fatalf("rotate: exit %d\n%s", code, first)
	}
	wantLines(t, first,
		"ok       cxgate-acme-retail: latest v1, decrypts from v1 (retention 30d, rotation every 7d12h)",
		"ok       cxgate-globex-saas: latest v1, decrypts from v1 (retention ",
		"ok       cxgate-initech-service: latest v1, decrypts from v1 (retention ",
	)
	if code, second, _ := vaultCLI(t, srv, "vault", "rotate", "--config", cfg); code != ExitOK || second != first {
		t.Errorf("rotate is not idempotent: exit %d\n%s\nvs\n%s", code, second, first)
	}

	// A sealed Vault fails check at the seal line.
	if err := srv.Seal(ctx); err != nil {
		t.Fatal(err)
	}
	code, out, _ = vaultCLI(t, srv, "vault", "check", "--config", cfg)
	if code != ExitProblems {
		t.Errorf("check on a sealed Vault: exit %d", code)
	}
	wantLines(t, out, "ok    vault: ", "FAIL  seal: Vault is sealed")
}

func TestVaultInitRefusesWrongFlags(t *testing.T) {
	srv := startVaultForCLI(t)
	ctx := context.Background()
	cfg := vaultConfig(t, srv)
	// Someone created Globex's key by hand without derivation.
	if _, err := srv.Write(ctx, "transit/keys/cxgate-globex-saas", map[string]any{"type": "aes256-gcm96"}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := vaultCLI(t, srv, "vault", "init", "--config", cfg)
	if code != ExitProblems {
		t.Fatalf("init with a wrong key: exit %d, want 1\n%s%s", code, out, errOut)
	}
	wantLines(t, out,
		"created  cxgate-acme-retail (encryption)",
		"created  cxgate-acme-retail_hmac (hmac)",
		"refused  cxgate-globex-saas (encryption): not derived (Vault would silently ignore the PII-type context); not convergent",
		"created  cxgate-globex-saas_hmac (hmac)",
		"created  cxgate-initech-service (encryption)",
		"created  cxgate-initech-service_hmac (hmac)",
	)
	if !strings.Contains(errOut, "wrong flags") {
		t.Errorf("stderr should say why init failed: %s", errOut)
	}
	code, out, _ = vaultCLI(t, srv, "vault", "check", "--config", cfg)
	if code != ExitProblems || !strings.Contains(out, "FAIL  key cxgate-globex-saas: aes256-gcm96, latest v1: not derived") {
		t.Errorf("check with a wrong key: exit %d\n%s", code, out)
	}
	code, out, _ = vaultCLI(t, srv, "vault", "rotate", "--config", cfg)
	if code != ExitProblems || !strings.Contains(out, "refused  cxgate-globex-saas: not derived") {
		t.Errorf("rotate with a wrong key: exit %d\n%s", code, out)
	}
}

func TestVaultUsageErrors(t *testing.T) {
	noVault := filepath.Join(t.TempDir(), "novault.yaml")
	if err := os.WriteFile(noVault, []byte("listen: 127.0.0.1:8080\nscopes: ../scopes\nidentity: {issuer: https://experts.example.com, audience: cxgate, hs256_secret_env: X}\ntokenizer: local\naudit: {file: ./a.jsonl}\n"+
		"connections: {x: {type: shopify, base_url: https://x.myshopify.com, credentials: {env: X}}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		says string
	}{
		{"missing --config", []string{"vault", "check"}, ExitUsage, "--config is required"},
		{"unreadable config", []string{"vault", "init", "--config", "/nonexistent/cxgate.yaml"}, ExitUsage, "/nonexistent/cxgate.yaml"},
		{"no vault section", []string{"vault", "rotate", "--config", noVault}, ExitUsage, "has no vault: section"},
		{"stray argument", []string{"vault", "check", "extra"}, ExitUsage, "unknown command"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := vaultCLI(t, nil, tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.says) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, errOut, tc.code, tc.says)
			}
		})
	}
}

func TestDays(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * 24 * time.Hour:           "30d",
		7*24*time.Hour + 12*time.Hour: "7d12h",
		90 * time.Minute:              "1h30m",
		15 * time.Minute:              "15m",
		time.Minute + 30*time.Second:  "1m30s",
		24*time.Hour + 90*time.Second: "1d1m30s",
	} {
		if got := days(d); got != want {
			t.Errorf("days(%s) = %s, want %s", d, got, want)
		}
	}
}
