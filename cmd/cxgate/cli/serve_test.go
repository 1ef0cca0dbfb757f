package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/gateway/authn"
	"github.com/cxgate/cxgate/gateway/dev"
	"github.com/cxgate/cxgate/internal/testutil"
)

type lockedBuffer = testutil.SyncBuffer

// running is a command executing in the background.
type running struct {
	stdout, stderr *lockedBuffer
	cancel         context.CancelFunc
	code           chan int
}

func startCLI(t *testing.T, args ...string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, cancel: cancel, code: make(chan int, 1)}
	go func() {
		r.code <- Execute(ctx, args, Env{Stdin: strings.NewReader(""), Stdout: r.stdout, Stderr: r.stderr})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.code:
		case <-time.After(30 * time.Second):
			t.Error("the command did not stop")
		}
	})
	return r
}

// waitFor waits until out holds a match of re (or the command ends),
// and returns the first submatch.
func (r *running) waitFor(t *testing.T, out *lockedBuffer, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m[len(m)-1]
		}
		select {
		case code := <-r.code:
			r.code <- code
			t.Fatalf("the command ended (exit %d) before printing %s:\nstdout:\n%s\nstderr:\n%s", code, re, r.stdout, r.stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("no %s in:\n%s", re, out.String())
	return ""
}

// stop cancels the command's context (SIGINT/SIGTERM in main) and returns
// its exit code.
func (r *running) stop(t *testing.T) int {
	t.Helper()
	r.cancel()
	select {
	case code := <-r.code:
		r.code <- code
		return code
	case <-time.After(30 * time.Second):
		t.Fatal("the command did not stop")
		return -1
	}
}

// deployment is a production-style config folder pointing at the dev
// sandboxes: scope files copied from examples/, a JWKS keys file, file
// credentials, the local tokenizer.
type deployment struct {
	dir, config, scopes string
	signer              *authn.Signer
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
		b, err := os.ReadFile(filepath.Join("..", "..", "..", "examples", "scopes", name))
		if err != nil {
			t.Fatal(err)
		}
		writeText(t, filepath.Join(d.scopes, name), string(b))
	}
	keys, err := authn.GenerateDevKeys(authn.AlgRS256)
	if err != nil {
		t.Fatal(err)
	}
	writeText(t, filepath.Join(d.dir, "platform.jwks.json"), string(keys.JWKS))
	if d.signer, err = keys.Signer("https://experts.example.com", "cxgate", time.Hour); err != nil {
		t.Fatal(err)
	}
	creds := func(name string, c connectors.Credentials) string {
		b, _ := json.Marshal(c)
		p := filepath.Join(d.dir, name+".json")
		writeText(t, p, string(b))
		return p
	}
	sb := env.Sandboxes
	d.config = filepath.Join(d.dir, "cxgate.yaml")
	writeText(t, d.config, fmt.Sprintf(`listen: 127.0.0.1:0
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
`, sb.URLs["acme-shopify"], creds("shopify", sb.Shopify.Credentials()),
		sb.URLs["globex-zendesk"], creds("zendesk", sb.Zendesk.Credentials()),
		sb.URLs["initech-salesforce"], creds("salesforce", sb.Salesforce.Credentials())))
	return d
}

func writeText(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func httpDo(t *testing.T, method, url, token, body string) (int, string) {
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

var (
	diagRe    = regexp.MustCompile(`(?m)^\S+\.yaml:\d+:\d+: error: .+ \[[a-z0-9-]+\]$`)
	servingRe = regexp.MustCompile(`msg="cxgate serving" addr=(127\.0\.0\.1:\d+)`)
)

// TestServeRefusesBadConfig: a config error and a scope error each stop
// `cxgate serve` with exit 1 and the diagnostics printed; a missing
// --config is a usage error.
func TestServeRefusesBadConfig(t *testing.T) {
	t.Run("config error", func(t *testing.T) {
		d := newDeployment(t)
		b, _ := os.ReadFile(d.config)
		writeText(t, d.config, strings.Replace(string(b), "tokenizer: local\n", "tokenizer: local\nlisten_port: 8080\n", 1))
		var out, errb bytes.Buffer
		code := Execute(context.Background(), []string{"serve", "--config", d.config}, Env{Stdout: &out, Stderr: &errb})
		if code != ExitProblems {
			t.Fatalf("exit %d, want 1\n%s\n%s", code, out.String(), errb.String())
		}
		if !diagRe.MatchString(out.String()) || !strings.Contains(out.String(), "listen_port") {
			t.Fatalf("diagnostics:\n%s", out.String())
		}
		if !strings.Contains(errb.String(), "nothing started") {
			t.Fatalf("stderr: %s", errb.String())
		}
	})
	t.Run("scope error", func(t *testing.T) {
		d := newDeployment(t)
		writeText(t, filepath.Join(d.scopes, "zz-broken.yaml"), "version: 1\nclient: acme-retail\nconnection: acme-shopify\ninquiries:\n  Bad Name: {}\n")
		var out, errb bytes.Buffer
		code := Execute(context.Background(), []string{"serve", "--config", d.config}, Env{Stdout: &out, Stderr: &errb})
		if code != ExitProblems {
			t.Fatalf("exit %d, want 1\n%s\n%s", code, out.String(), errb.String())
		}
		if !diagRe.MatchString(out.String()) || !strings.Contains(out.String(), "zz-broken.yaml") {
			t.Fatalf("diagnostics:\n%s\nstderr:\n%s", out.String(), errb.String())
		}
		if !strings.Contains(errb.String(), "not started") {
			t.Fatalf("stderr: %s", errb.String())
		}
	})
	t.Run("no config", func(t *testing.T) {
		var out, errb bytes.Buffer
		if code := Execute(context.Background(), []string{"serve"}, Env{Stdout: &out, Stderr: &errb}); code != ExitUsage {
			t.Fatalf("exit %d, want 2", code)
		}
		if code := Execute(context.Background(), []string{"serve", "--config", filepath.Join(t.TempDir(), "none.yaml")}, Env{Stdout: &out, Stderr: &errb}); code != ExitUsage {
			t.Fatalf("unreadable config: exit %d, want 2", code)
		}
	})
}

// TestServeRunsAndReloadsOnSIGHUP runs `cxgate serve` in-process: it
// serves the expert API, a SIGHUP with a broken scope file keeps the
// running set (and logs why), a SIGHUP with a good change applies it, and
// cancelling the context drains and exits 0.
func TestServeRunsAndReloadsOnSIGHUP(t *testing.T) {
	d := newDeployment(t)
	r := startCLI(t, "serve", "--config", d.config)
	addr := r.waitFor(t, r.stderr, servingRe)
	base := "http://" + addr
	tok, err := d.signer.Sign(authn.Principal{Subject: "expert-1", Tier: 1, Country: "GB", Clients: []string{"acme-retail"}})
	if err != nil {
		t.Fatal(err)
	}
	order := base + "/v1/clients/acme-retail/inquiries/order_status/operations/get_order"
	const body = `{"params":{"order_number":"#1001"}}`
	if st, b := httpDo(t, "POST", order, tok, body); st != 200 || !strings.Contains(b, `"#1001"`) {
		t.Fatalf("serve: %d %s", st, b)
	}
	acme := filepath.Join(d.scopes, "acme-retail.yaml")
	good, err := os.ReadFile(acme)
	if err != nil {
		t.Fatal(err)
	}

	// A broken file: the reload fails, is logged with its diagnostics,
	// and the running set keeps answering.
	writeText(t, acme, strings.Replace(string(good), "action: read", "action: erase", 1))
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, r.stderr, regexp.MustCompile(`reload failed`))
	r.waitFor(t, r.stderr, regexp.MustCompile(`acme-retail\.yaml:\d+:\d+: error`))
	if st, b := httpDo(t, "POST", order, tok, body); st != 200 {
		t.Fatalf("after a bad reload: %d %s", st, b)
	}

	// A good change: order_status now needs tier 2.
	changed := strings.Replace(string(good), "    description: Where is my order?\n    access:\n      min_tier: 1\n",
		"    description: Where is my order?\n    access:\n      min_tier: 2\n", 1)
	if changed == string(good) {
		t.Fatal("the example scope changed shape; adjust the test")
	}
	writeText(t, acme, changed)
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, r.stderr, regexp.MustCompile(`reloaded scopes and identity keys`))
	if st, b := httpDo(t, "POST", order, tok, body); st != 403 || !strings.Contains(b, "tier_too_low") {
		t.Fatalf("after a good reload: %d %s", st, b)
	}

	if code := r.stop(t); code != ExitOK {
		t.Fatalf("exit %d after cancel\n%s", code, r.stderr)
	}
	if !strings.Contains(r.stderr.String(), "cxgate stopped") {
		t.Fatalf("no clean stop:\n%s", r.stderr)
	}
	if _, err := os.Stat(filepath.Join(d.dir, "audit.jsonl")); err != nil {
		t.Fatalf("no audit file next to the config: %v", err)
	}
}
