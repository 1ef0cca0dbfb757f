package authn

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestVerifyCacheIsConsulted: a verified assertion is remembered by its
// hash, and the next Verify of the same bytes answers from the cache.
func TestVerifyCacheIsConsulted(t *testing.T) {
	k := keys(t)
	v := newVerifier(t)
	tok := signWith(t, edHeader(k), goodClaims(), k.ed)
	p, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if v.cache.len() != 1 {
		t.Fatalf("cache holds %d entries after one verification, want 1", v.cache.len())
	}
	// Plant a different principal under the token's hash: only a lookup
	// can return it.
	planted := p
	planted.Subject = "from-the-cache"
	v.cache.put(sha256.Sum256([]byte(tok)), planted, v.keys.Load())
	got, err := v.Verify(context.Background(), tok)
	if err != nil || got.Subject != "from-the-cache" {
		t.Fatalf("second Verify = %q, %v; want the cached principal", got.Subject, err)
	}
	// What a caller does to the answer does not reach the next caller.
	got.AMR[0], got.Clients[0] = "changed", "changed"
	again, _ := v.Verify(context.Background(), tok)
	if again.AMR[0] == "changed" || again.Clients[0] == "changed" {
		t.Fatalf("a caller's change reached the cache: %+v", again)
	}
}

// TestVerifyCacheExpiry: past exp (plus the skew) a cached assertion is
// checked again, and refused.
func TestVerifyCacheExpiry(t *testing.T) {
	k := keys(t)
	var now atomic.Pointer[time.Time]
	t0 := testNow
	now.Store(&t0)
	v := newVerifier(t, func(c *Config) { c.Now = func() time.Time { return *now.Load() } })
	tok := signWith(t, edHeader(k), goodClaims(), k.ed) // exp = testNow + 1h
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	late := testNow.Add(time.Hour + DefaultClockSkew)
	now.Store(&late)
	if _, err := v.Verify(context.Background(), tok); err == nil || !strings.Contains(err.Error(), "token expired") {
		t.Fatalf("Verify after exp+skew = %v, want token expired", err)
	}
	if v.cache.len() != 0 {
		t.Errorf("the expired entry is still cached")
	}
	almost := late.Add(-time.Second)
	now.Store(&almost)
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatalf("Verify one second before exp+skew: %v", err)
	}
}

// TestVerifyCacheFollowsKeys: an assertion cached under one key set is not
// accepted once a reload removed its key.
func TestVerifyCacheFollowsKeys(t *testing.T) {
	k := keys(t)
	path := writeFile(t, "keys.json", k.publicJWKS(t))
	v := newVerifier(t, func(c *Config) { c.KeysFile = path })
	tok := signWith(t, edHeader(k), goodClaims(), k.ed)
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	withoutEd := jwksOf(t, edJWK(secondEd().Public(), "ed-2"))
	if err := os.WriteFile(path, withoutEd, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := v.Reload(); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), tok); err == nil || !strings.Contains(err.Error(), "unknown key id") {
		t.Fatalf("Verify of a cached assertion whose key was removed = %v, want unknown key id", err)
	}
}

// TestVerifyCacheBounds: failures are not remembered, the size is bounded,
// and a negative size turns the cache off.
func TestVerifyCacheBounds(t *testing.T) {
	k := keys(t)
	v := newVerifier(t, func(c *Config) { c.CacheSize = 4 })
	bad := signWith(t, edHeader(k), with(goodClaims(), "aud", "someone-else"), k.ed)
	for range 3 {
		if _, err := v.Verify(context.Background(), bad); err == nil {
			t.Fatal("a token for another audience verified")
		}
	}
	if n := v.cache.len(); n != 0 {
		t.Fatalf("%d failed verifications cached", n)
	}
	for i := range 10 {
		tok := signWith(t, edHeader(k), with(goodClaims(), "sub", fmt.Sprintf("expert-%d", i)), k.ed)
		p, err := v.Verify(context.Background(), tok)
		if err != nil || p.Subject != fmt.Sprintf("expert-%d", i) {
			t.Fatalf("token %d: %q %v", i, p.Subject, err)
		}
		if n := v.cache.len(); n > 4 {
			t.Fatalf("cache holds %d entries, more than its size 4", n)
		}
	}
	off := newVerifier(t, func(c *Config) { c.CacheSize = -1 })
	tok := signWith(t, edHeader(k), goodClaims(), k.ed)
	for range 2 {
		if _, err := off.Verify(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	}
	if off.cache != nil {
		t.Fatal("CacheSize -1 left a cache")
	}
}
