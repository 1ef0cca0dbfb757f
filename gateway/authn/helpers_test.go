package authn

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

const (
	testIssuer   = "https://experts.example.com"
	testAudience = "cxgate"
)

// testNow is the fixed clock of every verifier in these tests.
var testNow = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return testNow }

// testKeySet holds one private key per algorithm. Ed25519 and P-256 keys are
// derived from fixed labels so fuzz seeds stay valid across runs; the RSA key
// is generated once per test binary (Go cannot derive one deterministically).
type testKeySet struct {
	ed    ed25519.PrivateKey
	ec    *ecdsa.PrivateKey
	rsa   *rsa.PrivateKey
	hs    []byte
	edKid string
	ecKid string
	rsKid string
}

var sharedKeys = sync.OnceValues(func() (*testKeySet, error) {
	edSeed := sha256.Sum256([]byte("cxgate authn test ed25519 key"))
	ecD := sha256.Sum256([]byte("cxgate authn test p-256 key"))
	ec, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), ecD[:])
	if err != nil {
		return nil, err
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	return &testKeySet{
		ed:    ed25519.NewKeyFromSeed(edSeed[:]),
		ec:    ec,
		rsa:   rk,
		hs:    []byte("dev-only-shared-secret-0123456789abcdef"),
		edKid: "ed-1",
		ecKid: "ec-1",
		rsKid: "rs-1",
	}, nil
})

func keys(t testing.TB) *testKeySet {
	t.Helper()
	k, err := sharedKeys()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// jwksOf builds a JWKS of the public halves; kid "" leaves the kid out.
func jwksOf(t testing.TB, entries ...jose.JSONWebKey) []byte {
	t.Helper()
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: entries})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (k *testKeySet) publicJWKS(t testing.TB) []byte {
	return jwksOf(t,
		jose.JSONWebKey{Key: k.ed.Public(), KeyID: k.edKid, Algorithm: AlgEdDSA, Use: "sig"},
		jose.JSONWebKey{Key: k.ec.Public(), KeyID: k.ecKid, Algorithm: AlgES256, Use: "sig"},
		jose.JSONWebKey{Key: k.rsa.Public(), KeyID: k.rsKid, Algorithm: AlgRS256, Use: "sig"},
	)
}

func pemOf(t testing.TB, blockType string, der []byte) []byte {
	t.Helper()
	return pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der})
}

func pkixDER(t testing.TB, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func writeFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// newVerifier builds a verifier over the shared keys, from a JWKS file.
func newVerifier(t testing.TB, mod ...func(*Config)) *Verifier {
	t.Helper()
	cfg := Config{
		Issuer:   testIssuer,
		Audience: testAudience,
		KeysFile: writeFile(t, "keys.jwks.json", keys(t).publicJWKS(t)),
		Now:      fixedNow,
	}
	for _, m := range mod {
		m(&cfg)
	}
	v, err := NewVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// goodClaims is a valid claim set at testNow; cases change a copy.
func goodClaims() map[string]any {
	return map[string]any{
		"iss":     testIssuer,
		"aud":     testAudience,
		"sub":     "expert-4711",
		"iat":     testNow.Add(-time.Minute).Unix(),
		"nbf":     testNow.Add(-time.Minute).Unix(),
		"exp":     testNow.Add(time.Hour).Unix(),
		"tier":    2,
		"amr":     []string{"pwd", "otp"},
		"country": "GB",
		"clients": []string{"acme-retail", "globex"},
	}
}

func with(c map[string]any, kv ...any) map[string]any {
	for i := 0; i+1 < len(kv); i += 2 {
		c[kv[i].(string)] = kv[i+1]
	}
	return c
}

func without(c map[string]any, names ...string) map[string]any {
	for _, n := range names {
		delete(c, n)
	}
	return c
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rawSign builds a compact JWS from exact header and payload bytes, signing
// with key by hand, so tests can produce headers no library would write.
// key is ed25519.PrivateKey, *ecdsa.PrivateKey, *rsa.PrivateKey or []byte (HMAC).
func rawSign(t testing.TB, hdr, payload []byte, key any) string {
	t.Helper()
	input := b64(hdr) + "." + b64(payload)
	var sig []byte
	switch k := key.(type) {
	case ed25519.PrivateKey:
		sig = ed25519.Sign(k, []byte(input))
	case *ecdsa.PrivateKey:
		h := sha256.Sum256([]byte(input))
		r, s, err := ecdsa.Sign(rand.Reader, k, h[:])
		if err != nil {
			t.Fatal(err)
		}
		sig = make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
	case *rsa.PrivateKey:
		h := sha256.Sum256([]byte(input))
		var err error
		sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, h[:])
		if err != nil {
			t.Fatal(err)
		}
	case []byte:
		m := hmac.New(sha256.New, k)
		m.Write([]byte(input))
		sig = m.Sum(nil)
	default:
		t.Fatalf("rawSign: unsupported key %T", key)
	}
	return input + "." + b64(sig)
}

// signWith mints a token with a given header (as a map) and claims.
func signWith(t testing.TB, hdr map[string]any, claims map[string]any, key any) string {
	t.Helper()
	return rawSign(t, mustJSON(t, hdr), mustJSON(t, claims), key)
}

func edHeader(k *testKeySet) map[string]any {
	return map[string]any{"alg": AlgEdDSA, "kid": k.edKid, "typ": "JWT"}
}
