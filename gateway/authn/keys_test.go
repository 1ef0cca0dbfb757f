package authn

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/go-cmp/cmp"
)

// jwkJSON renders one public JWK as JSON, with extra members merged in.
func jwkJSON(t *testing.T, pub any, kid, alg string, extra map[string]any) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(mustJSON(t, jose.JSONWebKey{Key: pub, KeyID: kid, Algorithm: alg}), &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range extra {
		if v == nil {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	return string(mustJSON(t, m))
}

// jwksText lays keys out one per line from line 3, column 5, so that
// problem positions are predictable.
func jwksText(keys ...string) string {
	return "{\n  \"keys\": [\n    " + strings.Join(keys, ",\n    ") + "\n  ]\n}\n"
}

func selfSignedCert(t *testing.T, priv any, pub any) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "experts.example.com"},
		NotBefore:    testNow.Add(-time.Hour),
		NotAfter:     testNow.Add(24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		t.Fatal(err)
	}
	return pemOf(t, "CERTIFICATE", der)
}

func TestLoadJWKS(t *testing.T) {
	k := keys(t)
	data := jwksText(
		jwkJSON(t, k.ed.Public(), "ed-1", "EdDSA", map[string]any{"use": "sig"}),
		jwkJSON(t, k.ec.Public(), "ec-1", "", map[string]any{"key_ops": []string{"verify"}}),
		jwkJSON(t, k.rsa.Public(), "", "RS256", nil),
	)
	v, err := NewVerifier(Config{Issuer: testIssuer, Audience: testAudience, KeysFile: writeFile(t, "k.json", []byte(data)), Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	rsaID := thumbprint(k.rsa.Public())
	want := []string{"ec-1", "ed-1", rsaID}
	if diff := cmp.Diff(want, v.KeyIDs(), cmp.Transformer("sort", sortedCopy)); diff != "" {
		t.Errorf("KeyIDs (-want +got):\n%s", diff)
	}
	// A key without kid is found by its thumbprint and, without kid, by alg.
	for _, hdr := range []map[string]any{{"alg": "RS256", "kid": rsaID}, {"alg": "RS256"}} {
		p, err := v.Verify(context.Background(), signWith(t, hdr, goodClaims(), k.rsa))
		if err != nil || p.KeyID != rsaID {
			t.Errorf("header %v: %+v, %v", hdr, p.KeyID, err)
		}
	}
}

func sortedCopy(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestLoadJWKSProblems(t *testing.T) {
	k := keys(t)
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	privRSA := string(mustJSON(t, jose.JSONWebKey{Key: k.rsa, KeyID: "leaked", Algorithm: "RS256"}))
	privEd := string(mustJSON(t, jose.JSONWebKey{Key: k.ed, KeyID: "leaked-ed"}))
	edOK := jwkJSON(t, k.ed.Public(), "ed-1", "EdDSA", nil)

	cases := []struct {
		name string
		data string
		want []string
	}{
		{"private RSA key", jwksText(edOK, privRSA),
			[]string{`F:4:5: error: key 2 (kid "leaked"): holds private key material; the keys file must contain public keys only [private_key]`}},
		{"private Ed25519 key", jwksText(privEd),
			[]string{`F:3:5: error: key 1 (kid "leaked-ed"): holds private key material; the keys file must contain public keys only [private_key]`}},
		{"symmetric key", jwksText(`{"kty":"oct","kid":"hs","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"}`),
			[]string{`F:3:5: error: key 1 (kid "hs"): symmetric (oct) keys are not accepted in a keys file; HS256 is configured as a dev-only secret [symmetric_key]`}},
		{"weak RSA", jwksText(jwkJSON(t, weak.Public(), "weak", "RS256", nil)),
			[]string{`F:3:5: error: key 1 (kid "weak"): RSA key has 1024 bits; at least 2048 are required [weak_key]`}},
		{"RSA key with ES256", jwksText(jwkJSON(t, k.rsa.Public(), "r", "ES256", nil)),
			[]string{`F:3:5: error: key 1 (kid "r"): alg "ES256" does not match the key type (RSA keys verify RS256 only) [alg_mismatch]`}},
		{"RSA key with HS256", jwksText(jwkJSON(t, k.rsa.Public(), "r", "HS256", nil)),
			[]string{`F:3:5: error: key 1 (kid "r"): alg "HS256" does not match the key type (RSA keys verify RS256 only) [alg_mismatch]`}},
		{"RSA key with RS512", jwksText(jwkJSON(t, k.rsa.Public(), "r", "RS512", nil)),
			[]string{`F:3:5: error: key 1 (kid "r"): alg "RS512" does not match the key type (RSA keys verify RS256 only) [alg_mismatch]`}},
		{"EC key with RS256", jwksText(jwkJSON(t, k.ec.Public(), "e", "RS256", nil)),
			[]string{`F:3:5: error: key 1 (kid "e"): alg "RS256" does not match the key type (EC P-256 keys verify ES256 only) [alg_mismatch]`}},
		{"Ed25519 key with none", jwksText(jwkJSON(t, k.ed.Public(), "o", "none", nil)),
			[]string{`F:3:5: error: key 1 (kid "o"): alg "none" does not match the key type (Ed25519 keys verify EdDSA only) [alg_mismatch]`}},
		{"P-384 key", jwksText(jwkJSON(t, p384.Public(), "p384", "", nil)),
			[]string{`F:3:5: error: key 1 (kid "p384"): EC key on curve P-384 is not supported (want P-256 for ES256) [unsupported_key]`}},
		{"X25519 key", jwksText(`{"kty":"OKP","crv":"X25519","kid":"x","x":"hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo"}`),
			[]string{`F:3:5: error: key 1 (kid "x"): unsupported or incomplete key (kty "OKP"; want RSA, EC P-256 or OKP Ed25519) [unsupported_key]`}},
		{"encryption key", jwksText(jwkJSON(t, k.rsa.Public(), "enc", "", map[string]any{"use": "enc"})),
			[]string{`F:3:5: error: key 1 (kid "enc"): "use" is "enc"; verification keys must have use "sig" [key_use]`}},
		{"key_ops without verify", jwksText(jwkJSON(t, k.rsa.Public(), "ops", "", map[string]any{"key_ops": []string{"encrypt"}})),
			[]string{`F:3:5: error: key 1 (kid "ops"): "key_ops" does not include "verify" [key_use]`}},
		{"duplicate kid", jwksText(edOK, jwkJSON(t, k.ec.Public(), "ed-1", "ES256", nil)),
			[]string{`F:4:5: error: key id "ed-1" is also used by the key at 3:5 [duplicate_kid]`}},
		{"all problems reported", jwksText(privRSA, edOK, jwkJSON(t, weak.Public(), "weak", "", nil)),
			[]string{
				`F:3:5: error: key 1 (kid "leaked"): holds private key material; the keys file must contain public keys only [private_key]`,
				`F:5:5: error: key 3 (kid "weak"): RSA key has 1024 bits; at least 2048 are required [weak_key]`,
			}},
		{"invalid coordinates", jwksText(`{"kty":"EC","crv":"P-256","kid":"bad","x":"AAAA","y":"AAAA"}`),
			[]string{`F:3:5: error: key 1 (kid "bad"): invalid EC public key, wrong length for x [invalid_key]`}},
		{"key not an object", jwksText(`"ed-1"`),
			[]string{`F:3:5: error: key 1: a JWK must be a JSON object without duplicate members [keys_malformed]`}},
		{"empty key set", `{"keys":[]}`,
			[]string{`F: error: no public keys found (expected a JWK set {"keys":[...]} or PEM PUBLIC KEY / CERTIFICATE blocks) [keys_empty]`}},
		{"missing keys", `{"kid":"x"}`,
			[]string{`F:1:1: error: invalid JWK set: missing "keys" (expected {"keys":[...]}) [keys_malformed]`}},
		{"keys not an array", "{\n  \"keys\": {}\n}",
			[]string{`F:2:3: error: "keys" must be an array of JWKs [keys_malformed]`}},
		{"duplicate keys member", "{\"keys\":[" + edOK + "],\n\"keys\":[]}",
			[]string{`F:2:1: error: duplicate "keys" member [keys_malformed]`}},
		{"broken JSON", "{\n  \"keys\": [\n    {\"kty\": }\n  ]\n}",
			[]string{`F:3:13: error: invalid JSON: invalid character '}' looking for beginning of value [keys_malformed]`}},
		{"data after the set", `{"keys":[` + edOK + `]} {}`,
			[]string{`F:1:` + strconv.Itoa(len(`{"keys":[`+edOK+`]} `)+1) + `: error: unexpected data after the JWK set [keys_malformed]`}},
		{"an array", `[` + edOK + `]`,
			[]string{`F:1:1: error: invalid JWK set: expected {"keys":[...]} [keys_malformed]`}},
		{"EC key without curve", jwksText(`{"kty":"EC","kid":"e"}`),
			[]string{`F:3:5: error: key 1 (kid "e"): unsupported or incomplete key (kty "EC"; want RSA, EC P-256 or OKP Ed25519) [unsupported_key]`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseKeys("F", []byte(tc.data))
			if err == nil {
				t.Fatal("accepted")
			}
			got := strings.Split(err.Error(), "\n")
			if len(got) != len(tc.want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(got), len(tc.want), err)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tc.want[i]) {
					t.Errorf("problem %d:\n got %s\nwant %s", i, got[i], tc.want[i])
				}
			}
			var kfe *KeyFileError
			if !errors.As(err, &kfe) || kfe.File != "F" {
				t.Errorf("error is not a *KeyFileError for F: %T", err)
			}
			if strings.Contains(err.Error(), `"d"`) {
				t.Error("error quotes private key material")
			}
		})
	}
}

func TestLoadPEM(t *testing.T) {
	k := keys(t)
	certPriv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	data := strings.Join([]string{
		"# expert platform signing keys, rotated 2026-03\n",
		string(pemOf(t, "PUBLIC KEY", pkixDER(t, k.ed.Public()))),
		"subject=CN = experts.example.com\n",
		string(selfSignedCert(t, certPriv, certPriv.Public())),
		string(pemOf(t, "RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&k.rsa.PublicKey))),
	}, "")
	v, err := NewVerifier(Config{Issuer: testIssuer, Audience: testAudience, KeysFile: writeFile(t, "k.pem", []byte(data)), Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(v.KeyIDs()); n != 3 {
		t.Fatalf("loaded %d keys, want 3", n)
	}
	for name, tc := range map[string]struct {
		alg string
		key any
		pub any
	}{
		"EdDSA":            {"EdDSA", k.ed, k.ed.Public()},
		"ES256 from cert":  {"ES256", certPriv, certPriv.Public()},
		"RS256 from PKCS1": {"RS256", k.rsa, k.rsa.Public()},
	} {
		t.Run(name, func(t *testing.T) {
			// PEM keys have no kid: tokens either name the thumbprint or none.
			for _, hdr := range []map[string]any{{"alg": tc.alg}, {"alg": tc.alg, "kid": thumbprint(tc.pub)}} {
				p, err := v.Verify(context.Background(), signWith(t, hdr, goodClaims(), tc.key))
				if err != nil || p.KeyID != thumbprint(tc.pub) {
					t.Errorf("header %v: key %q, %v", hdr, p.KeyID, err)
				}
			}
		})
	}
}

func TestLoadPEMProblems(t *testing.T) {
	k := keys(t)
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(k.ed)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalECPrivateKey(k.ec)
	if err != nil {
		t.Fatal(err)
	}
	edPEM := string(pemOf(t, "PUBLIC KEY", pkixDER(t, k.ed.Public())))
	lines := func(s string) int { return strings.Count(s, "\n") }

	cases := []struct {
		name string
		data string
		want []string
	}{
		{"PKCS8 private key", edPEM + string(pemOf(t, "PRIVATE KEY", pkcs8)),
			[]string{fmtPos(lines(edPEM)+1, 1) + `error: PEM block 2 (PRIVATE KEY): private keys are not accepted; the keys file must contain public keys only [private_key]`}},
		{"RSA private key", string(pemOf(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k.rsa))),
			[]string{`F:1:1: error: PEM block 1 (RSA PRIVATE KEY): private keys are not accepted; the keys file must contain public keys only [private_key]`}},
		{"EC private key", string(pemOf(t, "EC PRIVATE KEY", ecDER)),
			[]string{`F:1:1: error: PEM block 1 (EC PRIVATE KEY): private keys are not accepted; the keys file must contain public keys only [private_key]`}},
		{"weak RSA", string(pemOf(t, "PUBLIC KEY", pkixDER(t, weak.Public()))),
			[]string{`F:1:1: error: PEM block 1 (PUBLIC KEY): RSA key has 1024 bits; at least 2048 are required [weak_key]`}},
		{"weak RSA certificate", string(selfSignedCert(t, weak, weak.Public())),
			[]string{`F:1:1: error: PEM block 1 (CERTIFICATE): RSA key has 1024 bits; at least 2048 are required [weak_key]`}},
		{"P-384", string(pemOf(t, "PUBLIC KEY", pkixDER(t, p384.Public()))),
			[]string{`F:1:1: error: PEM block 1 (PUBLIC KEY): EC key on curve P-384 is not supported (want P-256 for ES256) [unsupported_key]`}},
		{"unsupported block", string(pemOf(t, "X509 CRL", []byte{1, 2, 3})),
			[]string{`F:1:1: error: PEM block 1 (X509 CRL): unsupported PEM block type (want PUBLIC KEY or CERTIFICATE) [unsupported_pem_block]`}},
		{"garbage in a block", string(pemOf(t, "PUBLIC KEY", []byte("not DER"))),
			[]string{`F:1:1: error: PEM block 1 (PUBLIC KEY): cannot parse: `}},
		{"same key twice", edPEM + edPEM,
			[]string{fmtPos(lines(edPEM)+1, 1) + `error: key id "` + thumbprint(k.ed.Public()) + `" is also used by the key at 1:1 [duplicate_kid]`}},
		{"neither PEM nor JWKS", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA expert@example.com\n",
			[]string{`F:1:1: error: neither a JWK set nor PEM blocks [keys_malformed]`}},
		{"empty file", "",
			[]string{`F: error: no public keys found`}},
		{"truncated block", "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n",
			[]string{`F:1:1: error: PEM block 1 is malformed [keys_malformed]`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseKeys("F", []byte(tc.data))
			if err == nil {
				t.Fatal("accepted")
			}
			got := strings.Split(err.Error(), "\n")
			if len(got) != len(tc.want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(got), len(tc.want), err)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tc.want[i]) {
					t.Errorf("problem %d:\n got %s\nwant %s", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func fmtPos(line, col int) string {
	return "F:" + strconv.Itoa(line) + ":" + strconv.Itoa(col) + ": "
}

// TestReload swaps keys, keeps them on a bad file and on a missing file.
func TestReload(t *testing.T) {
	k := keys(t)
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, "keys.json", jwksOf(t, jose.JSONWebKey{Key: k.ed.Public(), KeyID: "old", Algorithm: "EdDSA"}))
	v, err := NewVerifier(Config{Issuer: testIssuer, Audience: testAudience, KeysFile: path, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	oldTok := signWith(t, map[string]any{"alg": "EdDSA", "kid": "old"}, goodClaims(), k.ed)
	newTok := signWith(t, map[string]any{"alg": "ES256", "kid": "new"}, goodClaims(), other)
	check := func(step, tok, want string) {
		t.Helper()
		_, err := v.Verify(context.Background(), tok)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != want {
			t.Errorf("%s: Verify = %q, want %q", step, got, want)
		}
	}
	check("before reload", oldTok, "")
	check("before reload", newTok, "unauthenticated: unknown key id")

	write := func(data []byte) {
		t.Helper()
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(jwksOf(t, jose.JSONWebKey{Key: other.Public(), KeyID: "new", Algorithm: "ES256"}))
	if err := v.Reload(); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	check("after reload", oldTok, "unauthenticated: unknown key id")
	check("after reload", newTok, "")

	for name, data := range map[string][]byte{
		"private key":   mustJSON(t, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: k.rsa, KeyID: "p"}}}),
		"broken JSON":   []byte(`{"keys":[`),
		"empty set":     []byte(`{"keys":[]}`),
		"symmetric key": []byte(`{"keys":[{"kty":"oct","k":"AAAA"}]}`),
	} {
		write(data)
		err := v.Reload()
		var kfe *KeyFileError
		if err == nil || !errors.As(err, &kfe) || kfe.File != path {
			t.Errorf("%s: Reload = %v, want a *KeyFileError for %s", name, err, path)
		}
		check("after bad reload ("+name+")", newTok, "")
		check("after bad reload ("+name+")", oldTok, "unauthenticated: unknown key id")
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := v.Reload(); err == nil || !strings.Contains(err.Error(), "[keys_io]") {
		t.Errorf("missing file: Reload = %v", err)
	}
	check("after reload of a missing file", newTok, "")
}

// TestReloadConcurrent runs verifications while the keys are swapped back and
// forth (meaningful under -race): every verification sees a whole key set.
func TestReloadConcurrent(t *testing.T) {
	k := keys(t)
	both := jwksOf(t,
		jose.JSONWebKey{Key: k.ed.Public(), KeyID: "ed-1", Algorithm: "EdDSA"},
		jose.JSONWebKey{Key: k.ec.Public(), KeyID: "ec-1", Algorithm: "ES256"})
	edOnly := jwksOf(t, jose.JSONWebKey{Key: k.ed.Public(), KeyID: "ed-1", Algorithm: "EdDSA"})
	path := writeFile(t, "keys.json", both)
	v, err := NewVerifier(Config{Issuer: testIssuer, Audience: testAudience, KeysFile: path, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	edTok := signWith(t, edHeader(k), goodClaims(), k.ed)
	ecTok := signWith(t, map[string]any{"alg": "ES256", "kid": "ec-1"}, goodClaims(), k.ec)

	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 8)
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := v.Verify(context.Background(), edTok); err != nil {
					errs <- err
					return
				}
				if _, err := v.Verify(context.Background(), ecTok); err != nil && err.Error() != "unauthenticated: unknown key id" {
					errs <- err
					return
				}
			}
		})
	}
	for i := range 50 {
		data := both
		if i%2 == 0 {
			data = edOnly
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := v.Reload(); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent verify: %v", err)
	}
}

func TestKeysData(t *testing.T) {
	k := keys(t)
	v, err := NewVerifier(Config{Issuer: testIssuer, Audience: testAudience, KeysData: pemOf(t, "PUBLIC KEY", pkixDER(t, k.ed.Public())), Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Reload(); err != nil {
		t.Fatalf("Reload without a file: %v", err)
	}
	if _, err := v.Verify(context.Background(), signWith(t, map[string]any{"alg": "EdDSA"}, goodClaims(), k.ed)); err != nil {
		t.Fatal(err)
	}
	_, err = NewVerifier(Config{Issuer: testIssuer, Audience: testAudience, KeysData: []byte(`{"keys":[{"kty":"oct","k":"AAAA"}]}`)})
	if err == nil || !strings.HasPrefix(err.Error(), "keys:1:10: error: key 1: symmetric") {
		t.Fatalf("in-memory symmetric key: %v", err)
	}
}

// Ed25519 low-order public keys verify forged signatures; go-jose refuses
// them in a JWK, and PEM keys pass through the same check.
func TestWeakEd25519(t *testing.T) {
	lowOrder := ed25519.PublicKey(make([]byte, ed25519.PublicKeySize)) // the identity point encoding (all zero)
	_, err := parseKeys("F", pemOf(t, "PUBLIC KEY", pkixDER(t, lowOrder)))
	if err == nil || err.Error() != "F:1:1: error: PEM block 1 (PUBLIC KEY): invalid Ed25519 public key, low-order point [invalid_key]" {
		t.Fatalf("PEM low-order key: %v", err)
	}
	_, err = parseKeys("F", []byte(jwksText(`{"kty":"OKP","crv":"Ed25519","kid":"z","x":"`+b64(lowOrder)+`"}`)))
	if err == nil || !strings.Contains(err.Error(), "low-order") {
		t.Fatalf("JWK low-order key: %v", err)
	}
}
