package vaultclient

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/cxgate/cxgate/vaultclient/vaulttest"
)

// lines renders check lines with run-specific names replaced, for comparison.
func lines(ls []CheckLine, repl ...string) []string {
	r := strings.NewReplacer(repl...)
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = r.Replace(l.String())
	}
	return out
}

func TestCheck(t *testing.T) {
	f := sharedFixture(t)
	ctx := context.Background()
	good, missing, bad := unique("acme"), unique("globex"), unique("initech")
	f.initKeys(t, good)
	if _, err := f.srv.Write(ctx, f.cfg.TransitMount+"/keys/"+KeyName(bad), map[string]any{"type": "aes256-gcm96"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.Write(ctx, f.cfg.TransitMount+"/keys/"+HMACKeyName(bad), map[string]any{"type": "hmac", "key_size": 32}); err != nil {
		t.Fatal(err)
	}
	kv := "cxgate/" + unique("conn")
	if _, err := f.srv.Write(ctx, "secret/data/"+kv, map[string]any{"data": map[string]any{"client_id": "id-1", "client_secret": "kv-secret-value"}}); err != nil {
		t.Fatal(err)
	}
	// The gateway's AppRole, with the runtime policy.
	cfg, secretID := f.appRole(t, nil)

	got := lines(Check(ctx, cfg, CheckRequest{Clients: []string{good, missing, bad}, KVPaths: []string{kv, kv + "-missing"}}),
		f.srv.Addr, "ADDR", f.cfg.TransitMount, "TRANSIT", good, "GOOD", missing, "MISSING", bad, "BAD", kv, "KV")
	want := []string{
		"ok    vault: reachable at ADDR (Vault 1.14.1)",
		"ok    seal: unsealed",
		"ok    auth: approle login (policies cxgate-runtime-",
		"ok    key cxgate-GOOD: aes256-gcm96, derived, convergent, latest v1; usable by this login",
		"ok    key cxgate-GOOD_hmac: hmac, latest v1; usable by this login",
		"FAIL  key cxgate-MISSING: missing (run cxgate vault init)",
		"FAIL  key cxgate-MISSING_hmac: missing (run cxgate vault init)",
		"FAIL  key cxgate-BAD: aes256-gcm96, latest v1: not derived (Vault would silently ignore the PII-type context); not convergent (tokens would not be deterministic)",
		"ok    key cxgate-BAD_hmac: hmac, latest v1; usable by this login",
		"ok    kv secret/KV: readable (fields: client_id, client_secret)",
		"FAIL  kv secret/KV-missing: not found in vault: read secret secret/data/KV-missing (HTTP 404)",
	}
	if len(got) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("line %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
	all := strings.Join(got, "\n")
	for _, s := range []string{"kv-secret-value", "id-1", secretID} {
		if strings.Contains(all, s) {
			t.Errorf("check output leaks %q", s)
		}
	}
}

func TestCheckCapabilities(t *testing.T) {
	f := sharedFixture(t)
	ctx := context.Background()
	client := unique("acme")
	f.initKeys(t, client)
	// A policy that forgot decrypt.
	hcl := fmt.Sprintf(`
path "%[1]s/encrypt/cxgate-*" { capabilities = ["update"] }
path "%[1]s/hmac/cxgate-*" { capabilities = ["update"] }
path "%[1]s/keys/cxgate-*" { capabilities = ["read"] }
`, f.cfg.TransitMount)
	pol := unique("partial")
	if err := f.srv.WritePolicy(ctx, pol, hcl); err != nil {
		t.Fatal(err)
	}
	sec, err := f.srv.Write(ctx, "auth/token/create", map[string]any{"policies": []string{pol}, "ttl": "1h"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := f.cfg
	cfg.Getenv = func(string) string { return sec.Auth.ClientToken }
	ls := Check(ctx, cfg, CheckRequest{Clients: []string{client}})
	if len(ls) != 5 {
		t.Fatalf("got %v", ls)
	}
	if ls[3].OK || !strings.Contains(ls[3].Detail, "may not update "+f.cfg.TransitMount+"/decrypt/"+KeyName(client)) {
		t.Errorf("encryption key line: %s", ls[3])
	}
	if !ls[4].OK {
		t.Errorf("hmac key line: %s", ls[4])
	}
}

func TestCheckStopsEarly(t *testing.T) {
	srv := vaulttest.Start(t)
	f := newFixture(t, srv)
	ctx := context.Background()
	req := CheckRequest{Clients: []string{"acme"}, KVPaths: []string{"cxgate/acme"}}

	badLogin := f.cfg
	badLogin.Getenv = func(string) string { return "hvs.wrong" }
	ls := Check(ctx, badLogin, req)
	if len(ls) != 3 || ls[2].OK || ls[2].Subject != "auth" || !strings.Contains(ls[2].Detail, "permission denied") {
		t.Errorf("bad login: %v", ls)
	}
	noLeak(t, fmt.Errorf("%v", ls), "hvs.wrong")

	if err := srv.Seal(ctx); err != nil {
		t.Fatal(err)
	}
	ls = Check(ctx, f.cfg, req)
	if len(ls) != 2 || !ls[0].OK || ls[1].OK || ls[1].Detail != "Vault is sealed" {
		t.Errorf("sealed: %v", ls)
	}

	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	ls = Check(ctx, f.cfg, req)
	if len(ls) != 1 || ls[0].OK || !strings.Contains(ls[0].Detail, "does not answer") {
		t.Errorf("unreachable: %v", ls)
	}

	ls = Check(ctx, Config{Address: "ftp://x"}, req)
	if len(ls) != 1 || ls[0].OK || ls[0].Subject != "config" {
		t.Errorf("bad config: %v", ls)
	}
}
