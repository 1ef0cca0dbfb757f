package vaultclient

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/pii"
	"github.com/cxgate/cxgate/vaultclient/vaulttest"
)

const secretValue = "alice.secret@example.com"

// allOps runs the three tokenizer calls and reports what each returned. A
// failing call must return no output at all: never the value.
func allOps(t *testing.T, c *Client, ctx context.Context, client string, tokens []string) map[string]error {
	t.Helper()
	items := []pii.Item{{Type: pii.Email, Value: secretValue}}
	errs := map[string]error{}
	out, err := c.Tokenize(ctx, client, items)
	if err != nil && out != nil {
		t.Errorf("tokenize returned output with a whole-call error: %q", out)
	}
	errs["tokenize"] = err
	dout, err := c.Detokenize(ctx, client, tokens)
	if err != nil && dout != nil {
		t.Errorf("detokenize returned output with a whole-call error")
	}
	errs["detokenize"] = err
	hout, err := c.HMAC(ctx, client, items)
	if err != nil && hout != nil {
		t.Errorf("hmac returned output with a whole-call error: %q", hout)
	}
	errs["hmac"] = err
	for _, e := range errs {
		noLeak(t, e, secretValue)
	}
	return errs
}

func wantKind(t *testing.T, errs map[string]error, kind error) {
	t.Helper()
	for op, err := range errs {
		if !errors.Is(err, kind) || !errors.Is(err, pii.ErrUnavailable) {
			t.Errorf("%s: want %v (and pii.ErrUnavailable), got %v", op, kind, err)
		}
	}
}

func wantOK(t *testing.T, errs map[string]error) {
	t.Helper()
	for op, err := range errs {
		if err != nil {
			t.Errorf("%s: %v", op, err)
		}
	}
}

func mintToken(t *testing.T, c *Client, client string) []string {
	t.Helper()
	toks, err := c.Tokenize(context.Background(), client, []pii.Item{{Type: pii.Email, Value: secretValue}})
	if err != nil {
		t.Fatal(err)
	}
	return toks
}

func TestVaultStoppedAndBack(t *testing.T) {
	srv := vaulttest.Start(t)
	f := newFixture(t, srv)
	ctx := context.Background()
	client := unique("acme")
	f.initKeys(t, client)
	c := f.client(t)
	secrets := NewSecrets(c, SecretsOptions{})
	ref := connectors.CredentialRef{Vault: "cxgate/acme/shopify"}
	if _, err := srv.Write(ctx, "secret/data/"+ref.Vault, map[string]any{"data": map[string]any{"client_secret": "s3cr3t-value"}}); err != nil {
		t.Fatal(err)
	}
	toks := mintToken(t, c, client)
	wantOK(t, allOps(t, c, ctx, client, toks))

	if err := c.Health(ctx); err != nil {
		t.Fatalf("Health with Vault up: %v", err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	errs := allOps(t, c, ctx, client, toks)
	errs["health"] = c.Health(ctx)
	wantKind(t, errs, ErrUnavailable)
	for op, err := range errs {
		if errors.Is(err, ErrSealed) || errors.Is(err, ErrDenied) {
			t.Errorf("%s: an unreachable Vault is neither sealed nor denying: %v", op, err)
		}
	}
	if _, err := secrets.Credentials(ctx, ref, true); !errors.Is(err, connectors.ErrUnavailable) {
		t.Errorf("credentials with Vault down: want connectors.ErrUnavailable, got %v", err)
	} else {
		noLeak(t, err, "s3cr3t-value")
	}

	// Vault comes back (a dev server comes back empty: set it up again);
	// the same client recovers without being recreated.
	if err := srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if err := srv.EnableTransit(ctx, f.cfg.TransitMount); err != nil {
		t.Fatal(err)
	}
	if _, err := c.InitKeys(ctx, []string{client}); err != nil {
		t.Fatal(err)
	}
	wantOK(t, allOps(t, c, ctx, client, mintToken(t, c, client)))
	if err := c.Health(ctx); err != nil {
		t.Errorf("Health with Vault back: %v", err)
	}
}

func TestVaultBackWithReLogin(t *testing.T) {
	srv := vaulttest.Start(t)
	f := newFixture(t, srv)
	ctx := context.Background()
	client := unique("acme")
	const roleID, secretID = "5d4f3a2b-0000-4000-8000-00000000beef", "9c8b7a6f-0000-4000-8000-00000000cafe"
	setup := func() {
		t.Helper()
		if err := srv.EnableTransit(ctx, f.cfg.TransitMount); err != nil {
			t.Fatal(err)
		}
		if err := srv.WritePolicy(ctx, "cxgate-runtime", f.policy(t, "cxgate-runtime.hcl")); err != nil {
			t.Fatal(err)
		}
		if _, _, err := srv.AppRole(ctx, "approle", "cxgate", map[string]any{"token_policies": []string{"cxgate-runtime"}, "token_ttl": "1h"}); err != nil {
			t.Fatal(err)
		}
		// Fixed credentials, so the files the client reads stay valid.
		if _, err := srv.Write(ctx, "auth/approle/role/cxgate/role-id", map[string]any{"role_id": roleID}); err != nil {
			t.Fatal(err)
		}
		if _, err := srv.Write(ctx, "auth/approle/role/cxgate/custom-secret-id", map[string]any{"secret_id": secretID}); err != nil {
			t.Fatal(err)
		}
		f.initKeys(t, client)
	}
	setup()
	cfg := f.cfg
	cfg.Getenv = nil
	cfg.Auth = AuthConfig{Method: AuthAppRole, RoleIDFile: writeFile(t, "role_id", roleID), SecretIDFile: writeFile(t, "secret_id", secretID)}
	c := openClient(t, cfg)
	wantOK(t, allOps(t, c, ctx, client, mintToken(t, c, client)))
	loginsBefore := c.Auth().Logins

	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	wantKind(t, allOps(t, c, ctx, client, []string{"cxt_email_v1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}), ErrUnavailable)

	if err := srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	setup()
	// The old token died with the old server: the first refused call
	// makes the client log in again, and calls work again.
	waitFor(t, "tokenize to work again", func() bool {
		out, err := c.Tokenize(ctx, client, []pii.Item{{Type: pii.Email, Value: secretValue}})
		if err != nil {
			if out != nil || !errors.Is(err, pii.ErrUnavailable) {
				t.Fatalf("while recovering: %q, %v", out, err)
			}
			noLeak(t, err, secretValue)
			return false
		}
		return true
	})
	if c.Auth().Logins <= loginsBefore {
		t.Errorf("recovery without a new login? %+v", c.Auth())
	}
	wantOK(t, allOps(t, c, ctx, client, mintToken(t, c, client)))
}

func TestVaultSlow(t *testing.T) {
	srv := vaulttest.Start(t)
	f := newFixture(t, srv)
	ctx := context.Background()
	client := unique("acme")
	f.initKeys(t, client)
	cfg := f.cfg
	cfg.Timeout = 300 * time.Millisecond
	c := openClient(t, cfg)
	toks := mintToken(t, c, client)

	if err := srv.Pause(); err != nil {
		t.Fatal(err)
	}
	errs := allOps(t, c, ctx, client, toks)
	if err := srv.Resume(); err != nil {
		t.Fatal(err)
	}
	wantKind(t, errs, ErrUnavailable)
	for op, err := range errs {
		if err != nil && !strings.Contains(err.Error(), "no answer within 300ms") {
			t.Errorf("%s: the error should say Vault was too slow: %v", op, err)
		}
	}
	wantOK(t, allOps(t, c, ctx, client, toks))

	// The caller's own deadline or cancellation also fails closed.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err := c.Tokenize(cctx, client, []pii.Item{{Type: pii.Email, Value: secretValue}})
	if !errors.Is(err, context.Canceled) || !errors.Is(err, pii.ErrUnavailable) {
		t.Errorf("canceled call: want context.Canceled and pii.ErrUnavailable, got %v", err)
	}
}

func TestVaultSealed(t *testing.T) {
	srv := vaulttest.Start(t)
	f := newFixture(t, srv)
	ctx := context.Background()
	client := unique("acme")
	f.initKeys(t, client)
	c := f.client(t)
	toks := mintToken(t, c, client)

	if err := srv.Seal(ctx); err != nil {
		t.Fatal(err)
	}
	errs := allOps(t, c, ctx, client, toks)
	errs["health"] = c.Health(ctx)
	wantKind(t, errs, ErrSealed)
	if err := srv.Unseal(ctx); err != nil {
		t.Fatal(err)
	}
	wantOK(t, allOps(t, c, ctx, client, toks))
	if err := c.Health(ctx); err != nil {
		t.Errorf("Health after unseal: %v", err)
	}
}

func TestVaultDenied(t *testing.T) {
	f := sharedFixture(t)
	ctx := context.Background()
	client := unique("acme")
	f.initKeys(t, client)
	sec, err := f.srv.Write(ctx, "auth/token/create", map[string]any{"policies": []string{"default"}, "ttl": "1h"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := f.cfg
	cfg.Getenv = func(string) string { return sec.Auth.ClientToken }
	c := openClient(t, cfg)
	wantKind(t, allOps(t, c, ctx, client, []string{"cxt_email_v1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}), ErrDenied)
}

func TestClosedClient(t *testing.T) {
	f := sharedFixture(t)
	client := unique("acme")
	f.initKeys(t, client)
	c, err := New(context.Background(), f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	wantKind(t, allOps(t, c, context.Background(), client, []string{"cxt_email_v1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}), ErrClosed)
}
