package authn

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// jwksServer is an issuer's JWKS endpoint over loopback HTTP whose answer
// the test changes, counting the requests it receives.
type jwksServer struct {
	*httptest.Server
	mu     sync.Mutex
	body   []byte
	status int
	ctype  string
	hits   atomic.Int64
}

func newJWKSServer(t *testing.T, body []byte) *jwksServer {
	t.Helper()
	s := &jwksServer{body: body, status: http.StatusOK, ctype: "application/json"}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		s.mu.Lock()
		body, status, ctype := s.body, s.status, s.ctype
		s.mu.Unlock()
		w.Header().Set("Content-Type", ctype)
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) serve(status int, ctype string, body []byte) {
	s.mu.Lock()
	s.status, s.ctype, s.body = status, ctype, body
	s.mu.Unlock()
}

// secondEd is another Ed25519 key: the issuer's next key after rotation.
func secondEd() ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("cxgate authn test ed25519 key, rotated"))
	return ed25519.NewKeyFromSeed(seed[:])
}

func edJWK(pub any, kid string) jose.JSONWebKey {
	return jose.JSONWebKey{Key: pub, KeyID: kid, Algorithm: AlgEdDSA, Use: "sig"}
}

func urlVerifier(t *testing.T, url string, mod ...func(*Config)) (*Verifier, error) {
	t.Helper()
	cfg := Config{Issuer: testIssuer, Audience: testAudience, KeysURL: url, Now: fixedNow}
	for _, m := range mod {
		m(&cfg)
	}
	v, err := NewVerifier(cfg)
	if v != nil {
		t.Cleanup(func() { _ = v.Close() })
	}
	return v, err
}

// TestKeysURLRotation: keys come from the issuer's JWKS URL; a token
// signed with a key published after start verifies once the set is fetched
// again on its unknown kid; the old key keeps working while published.
func TestKeysURLRotation(t *testing.T) {
	k := keys(t)
	next := secondEd()
	srv := newJWKSServer(t, jwksOf(t, edJWK(k.ed.Public(), "ed-1")))
	v, err := urlVerifier(t, srv.URL+"/.well-known/jwks.json", func(c *Config) { c.KeysMinRefetch = time.Nanosecond })
	if err != nil {
		t.Fatal(err)
	}
	if got := v.KeyIDs(); len(got) != 1 || got[0] != "ed-1" {
		t.Fatalf("KeyIDs = %v, want [ed-1]", got)
	}
	old := signWith(t, map[string]any{"alg": AlgEdDSA, "kid": "ed-1"}, goodClaims(), k.ed)
	rotated := signWith(t, map[string]any{"alg": AlgEdDSA, "kid": "ed-2"}, goodClaims(), next)
	if _, err := v.Verify(context.Background(), old); err != nil {
		t.Fatalf("token of the published key: %v", err)
	}
	if _, err := v.Verify(context.Background(), rotated); err == nil || !strings.Contains(err.Error(), "unknown key id") {
		t.Fatalf("token of an unpublished key = %v, want unknown key id", err)
	}

	srv.serve(http.StatusOK, "application/jwk-set+json", jwksOf(t, edJWK(k.ed.Public(), "ed-1"), edJWK(next.Public(), "ed-2")))
	before := srv.hits.Load()
	p, err := v.Verify(context.Background(), rotated)
	if err != nil {
		t.Fatalf("token of the newly published key: %v", err)
	}
	if p.KeyID != "ed-2" || srv.hits.Load() != before+1 {
		t.Errorf("verified with %q after %d fetches, want ed-2 after one", p.KeyID, srv.hits.Load()-before)
	}
	if _, err := v.Verify(context.Background(), old); err != nil {
		t.Fatalf("token of the old key, still published: %v", err)
	}
	// A key signed with the right kid but the wrong private key still fails.
	forged := signWith(t, map[string]any{"alg": AlgEdDSA, "kid": "ed-2"}, goodClaims(), k.ed)
	if _, err := v.Verify(context.Background(), forged); err == nil {
		t.Fatal("a token signed by another key under a published kid was accepted")
	}
}

// TestKeysURLUnknownKidsAreRateLimited: a flood of tokens naming unknown
// key ids costs at most one fetch per KeysMinRefetch, and each is refused.
func TestKeysURLUnknownKidsAreRateLimited(t *testing.T) {
	k := keys(t)
	srv := newJWKSServer(t, jwksOf(t, edJWK(k.ed.Public(), "ed-1")))
	v, err := urlVerifier(t, srv.URL, func(c *Config) { c.KeysMinRefetch = time.Hour })
	if err != nil {
		t.Fatal(err)
	}
	start := srv.hits.Load()
	var wg sync.WaitGroup
	var accepted atomic.Int64
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok := signWith(t, map[string]any{"alg": AlgEdDSA, "kid": fmt.Sprintf("forged-%d", i)}, goodClaims(), k.ed)
			if _, err := v.Verify(context.Background(), tok); err == nil {
				accepted.Add(1)
			}
		}()
	}
	wg.Wait()
	if accepted.Load() != 0 {
		t.Errorf("%d tokens with unknown kids accepted", accepted.Load())
	}
	if n := srv.hits.Load() - start; n != 0 {
		t.Errorf("200 unknown kids within the refetch interval caused %d fetches, want 0 (the start fetch was just now)", n)
	}
}

// TestKeysURLConcurrentRefetch: callers that hit an unknown kid together
// share one fetch.
func TestKeysURLConcurrentRefetch(t *testing.T) {
	k := keys(t)
	next := secondEd()
	srv := newJWKSServer(t, jwksOf(t, edJWK(k.ed.Public(), "ed-1")))
	v, err := urlVerifier(t, srv.URL, func(c *Config) { c.KeysMinRefetch = time.Hour })
	if err != nil {
		t.Fatal(err)
	}
	srv.serve(http.StatusOK, "application/json", jwksOf(t, edJWK(next.Public(), "ed-2")))
	v.remote.mu.Lock()
	v.remote.lastTry = time.Time{} // as if the start fetch were an hour ago
	v.remote.mu.Unlock()
	tok := signWith(t, map[string]any{"alg": AlgEdDSA, "kid": "ed-2"}, goodClaims(), next)
	start := srv.hits.Load()
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := v.Verify(context.Background(), tok); err != nil {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	if failed.Load() != 0 {
		t.Errorf("%d of 50 verifications of the rotated key failed", failed.Load())
	}
	if n := srv.hits.Load() - start; n != 1 {
		t.Errorf("50 concurrent verifications of a new kid caused %d fetches, want 1", n)
	}
}

// TestKeysURLFailuresKeepKeys: a refresh that fails (HTTP error, wrong
// content type, malformed or oversized body, private keys, a server gone)
// keeps the keys in use, and Reload says why without echoing the body.
func TestKeysURLFailuresKeepKeys(t *testing.T) {
	k := keys(t)
	good := jwksOf(t, edJWK(k.ed.Public(), "ed-1"))
	private := jwksOf(t, jose.JSONWebKey{Key: k.ed, KeyID: "ed-1", Algorithm: AlgEdDSA, Use: "sig"})
	tok := signWith(t, map[string]any{"alg": AlgEdDSA, "kid": "ed-1"}, goodClaims(), k.ed)
	cases := []struct {
		name   string
		status int
		ctype  string
		body   []byte
		want   string
	}{
		{"server error", 500, "application/json", []byte(`{"error":"boom"}`), "HTTP 500"},
		{"html", 200, "text/html", []byte("<html>login</html>"), "content type"},
		{"not a key set", 200, "application/json", []byte(`["x"]`), "not a JWK set"},
		{"malformed", 200, "application/json", []byte(`{"keys":[{"kty":`), CodeKeysMalformed},
		{"private key", 200, "application/json", private, CodePrivateKey},
		{"too large", 200, "application/json", append([]byte(`{"keys":[],"pad":"`), strings.Repeat("a", maxKeysFileBytes)...), "larger than"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newJWKSServer(t, good)
			v, err := urlVerifier(t, srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			srv.serve(tc.status, tc.ctype, tc.body)
			err = v.Reload()
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), srv.URL) {
				t.Fatalf("Reload = %v, want an error naming the URL and %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "boom") || strings.Contains(err.Error(), "login") {
				t.Errorf("the error echoes the answer: %v", err)
			}
			if _, err := v.Verify(context.Background(), tok); err != nil {
				t.Errorf("the keys in use were lost: %v", err)
			}
		})
	}
	t.Run("server gone", func(t *testing.T) {
		srv := newJWKSServer(t, good)
		v, err := urlVerifier(t, srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		srv.Close()
		if err := v.Reload(); err == nil || !strings.Contains(err.Error(), "cannot fetch keys") {
			t.Fatalf("Reload = %v", err)
		}
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Errorf("the keys in use were lost: %v", err)
		}
	})
}

// TestKeysURLStart: a verifier does not start without its keys, and bad
// URLs and intervals are refused before any request.
func TestKeysURLStart(t *testing.T) {
	srv := newJWKSServer(t, []byte(`{"error":"down"}`))
	srv.serve(503, "application/json", []byte(`{"error":"down"}`))
	if _, err := urlVerifier(t, srv.URL+"/jwks?tenant=t1&api_key=s3cret"); err == nil || !strings.Contains(err.Error(), "HTTP 503") || !strings.Contains(err.Error(), srv.URL+"/jwks?…") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("start with the endpoint failing = %v, want HTTP 503 naming the URL without its query", err)
	}
	hits := srv.hits.Load()
	for _, tc := range []struct {
		url  string
		mod  func(*Config)
		want string
	}{
		{"http://issuer.example.com/jwks", nil, "must use https"},
		{"ftp://127.0.0.1/jwks", nil, "must use https"},
		{"https://user:pw@issuer.example.com/jwks", nil, "user info"},
		{"https://user:pw@/jwks", nil, "user info"},
		{"/jwks.json", nil, "not an absolute URL"},
		{"https://issuer.example.com/jwks#x", nil, "fragment"},
		{srv.URL, func(c *Config) { c.KeysRefresh = time.Second }, "below the minimum"},
		{srv.URL, func(c *Config) { c.KeysFile = "keys.json" }, "exactly one"},
	} {
		mods := []func(*Config){}
		if tc.mod != nil {
			mods = append(mods, tc.mod)
		}
		_, err := urlVerifier(t, tc.url, mods...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.url, err, tc.want)
		}
		if strings.Contains(fmt.Sprint(err), "pw@") {
			t.Errorf("the error repeats the URL's credentials: %v", err)
		}
	}
	if srv.hits.Load() != hits {
		t.Error("a refused configuration fetched the keys")
	}
	for _, ok := range []string{"https://issuer.example.com/.well-known/jwks.json", "http://localhost:8080/jwks", "http://[::1]:9/k?tenant=a"} {
		if err := CheckKeysURL(ok); err != nil {
			t.Errorf("CheckKeysURL(%q) = %v", ok, err)
		}
	}
}

// TestKeysURLBackgroundRefresh: the key set follows the endpoint without
// any request naming a new kid, and Close stops the refresh.
func TestKeysURLBackgroundRefresh(t *testing.T) {
	k := keys(t)
	next := secondEd()
	srv := newJWKSServer(t, jwksOf(t, edJWK(k.ed.Public(), "ed-1")))
	cfg := Config{Issuer: testIssuer, Audience: testAudience, KeysURL: srv.URL, Now: fixedNow}
	v, err := NewVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// the minimum interval is a minute; the test shortens the running one
	v.remote.close()
	v.remote.stop, v.remote.done = make(chan struct{}), make(chan struct{})
	v.remote.closeOnce = sync.Once{}
	v.remote.base, v.remote.cancel = context.WithCancel(context.Background())
	v.remote.refresh = 5 * time.Millisecond
	go v.remote.run()

	srv.serve(http.StatusOK, "application/json", jwksOf(t, edJWK(next.Public(), "ed-2")))
	deadline := time.Now().Add(10 * time.Second)
	for !(len(v.KeyIDs()) == 1 && v.KeyIDs()[0] == "ed-2") {
		if time.Now().After(deadline) {
			t.Fatalf("KeyIDs = %v after 10 s, want [ed-2]", v.KeyIDs())
		}
		time.Sleep(5 * time.Millisecond)
	}
	old := signWith(t, map[string]any{"alg": AlgEdDSA, "kid": "ed-1"}, goodClaims(), k.ed)
	if _, err := v.Verify(context.Background(), old); err == nil {
		t.Error("a token of a key the issuer withdrew still verifies")
	}
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	_ = v.Close() // twice is fine
	after := srv.hits.Load()
	time.Sleep(50 * time.Millisecond)
	if n := srv.hits.Load() - after; n != 0 {
		t.Errorf("%d fetches after Close", n)
	}
}

// TestKeysURLCloseEndsFetch: Close does not wait for a hung endpoint.
func TestKeysURLCloseEndsFetch(t *testing.T) {
	k := keys(t)
	release := make(chan struct{})
	var hang atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hang.Load() {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(jwksOf(t, edJWK(k.ed.Public(), "ed-1")))
	}))
	defer srv.Close()
	defer close(release)
	v, err := urlVerifier(t, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	hang.Store(true)
	done := make(chan error, 1)
	go func() { done <- v.Reload() }()
	time.Sleep(20 * time.Millisecond) // the fetch is running
	_ = v.Close()
	// Close cancels the running fetch: Reload returns before the fetch
	// timeout would have ended it (the guard only stops a hung test).
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "cannot fetch keys") {
			t.Errorf("Reload during Close = %v, want cannot fetch keys", err)
		}
	case <-time.After(keysFetchTimeout - time.Second):
		t.Fatal("the fetch kept running after Close")
	}
}
