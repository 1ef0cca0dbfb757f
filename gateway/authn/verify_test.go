package authn

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// rejectCase is one hostile or broken assertion and the exact reason Verify
// must give. Exact text also proves no token or claim value is echoed.
type rejectCase struct {
	name   string
	token  func(t *testing.T, k *testKeySet) string
	reason string
}

func edToken(claims map[string]any) func(*testing.T, *testKeySet) string {
	return func(t *testing.T, k *testKeySet) string { return signWith(t, edHeader(k), claims, k.ed) }
}

func rawClaims(payload string) func(*testing.T, *testKeySet) string {
	return func(t *testing.T, k *testKeySet) string {
		return rawSign(t, mustJSON(t, edHeader(k)), []byte(payload), k.ed)
	}
}

func headerToken(hdr map[string]any) func(*testing.T, *testKeySet) string {
	return func(t *testing.T, k *testKeySet) string { return signWith(t, hdr, goodClaims(), k.ed) }
}

func literal(s string) func(*testing.T, *testKeySet) string {
	return func(*testing.T, *testKeySet) string { return s }
}

// rsaPublicBytes are the encodings of the RSA public key an attacker can
// obtain and try as an HMAC secret.
func rsaPublicBytes(t *testing.T, k *testKeySet) map[string][]byte {
	der := pkixDER(t, k.rsa.Public())
	return map[string][]byte{
		"pem":   pemOf(t, "PUBLIC KEY", der),
		"der":   der,
		"pkcs1": pemOf(t, "RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&k.rsa.PublicKey)),
		"jwk":   mustJSON(t, jose.JSONWebKey{Key: k.rsa.Public(), KeyID: k.rsKid, Algorithm: AlgRS256, Use: "sig"}),
	}
}

func TestVerifyRejects(t *testing.T) {
	k := keys(t)
	v := newVerifier(t)
	good := goodClaims

	cases := []rejectCase{
		// Algorithm attacks.
		{"alg none, empty signature", func(t *testing.T, k *testKeySet) string {
			return b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + b64(mustJSON(t, good())) + "."
		}, "malformed token"},
		{"alg none, with signature", func(t *testing.T, k *testKeySet) string {
			return b64([]byte(`{"alg":"none"}`)) + "." + b64(mustJSON(t, good())) + "." + b64([]byte("x"))
		}, "algorithm not allowed"},
		{"alg None", headerToken(map[string]any{"alg": "None", "kid": "ed-1"}), "algorithm not allowed"},
		{"alg NONE", headerToken(map[string]any{"alg": "NONE"}), "algorithm not allowed"},
		{"alg RS512 not allowed", headerToken(map[string]any{"alg": "RS512", "kid": "rs-1"}), "algorithm not allowed"},
		{"alg PS256 not allowed", headerToken(map[string]any{"alg": "PS256"}), "algorithm not allowed"},
		{"alg lower-case eddsa", headerToken(map[string]any{"alg": "eddsa", "kid": "ed-1"}), "algorithm not allowed"},
		{"alg missing", headerToken(map[string]any{"kid": "ed-1"}), "malformed token header"},
		{"alg not a string", headerToken(map[string]any{"alg": 1}), "malformed token header"},
		{"HS256 without kid, no HMAC key configured", func(t *testing.T, k *testKeySet) string {
			return signWith(t, map[string]any{"alg": "HS256"}, good(), rsaPublicBytes(t, k)["pem"])
		}, "algorithm not allowed"},
		{"kid points at a key of another type", func(t *testing.T, k *testKeySet) string {
			return signWith(t, map[string]any{"alg": "RS256", "kid": k.edKid}, good(), k.rsa)
		}, "algorithm not allowed for this key"},
		{"ES256 header with the Ed25519 kid", func(t *testing.T, k *testKeySet) string {
			return signWith(t, map[string]any{"alg": "ES256", "kid": k.edKid}, good(), k.ec)
		}, "algorithm not allowed for this key"},
		{"unknown kid", func(t *testing.T, k *testKeySet) string {
			return signWith(t, map[string]any{"alg": "EdDSA", "kid": "retired-key"}, good(), k.ed)
		}, "unknown key id"},
		{"empty kid", headerToken(map[string]any{"alg": "EdDSA", "kid": ""}), "malformed token header"},
		{"kid not a string", headerToken(map[string]any{"alg": "EdDSA", "kid": 7}), "malformed token header"},
		{"signed by another key with a valid kid", func(t *testing.T, k *testKeySet) string {
			other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			return signWith(t, map[string]any{"alg": "ES256", "kid": k.ecKid}, good(), other)
		}, "signature invalid"},
		{"payload swapped after signing", func(t *testing.T, k *testKeySet) string {
			tok := signWith(t, edHeader(k), good(), k.ed)
			parts := strings.Split(tok, ".")
			parts[1] = b64(mustJSON(t, with(good(), "tier", 9)))
			return strings.Join(parts, ".")
		}, "signature invalid"},
		{"signature truncated", func(t *testing.T, k *testKeySet) string {
			tok := signWith(t, edHeader(k), good(), k.ed)
			parts := strings.Split(tok, ".")
			sig, _ := decodeSegment(parts[2])
			parts[2] = b64(sig[:60])
			return strings.Join(parts, ".")
		}, "signature invalid"},
		{"RS256 payload swapped, no kid", func(t *testing.T, k *testKeySet) string {
			tok := signWith(t, map[string]any{"alg": "RS256"}, good(), k.rsa)
			parts := strings.Split(tok, ".")
			parts[1] = b64(mustJSON(t, with(good(), "sub", "someone-else")))
			return strings.Join(parts, ".")
		}, "signature invalid"},

		// Header parameters that are refused.
		{"crit header", headerToken(map[string]any{"alg": "EdDSA", "kid": "ed-1", "crit": []string{"exp"}, "exp": 1}), "critical header parameters are not supported"},
		{"b64 false", headerToken(map[string]any{"alg": "EdDSA", "kid": "ed-1", "b64": false}), "unsupported header parameter"},
		{"embedded jwk", func(t *testing.T, k *testKeySet) string {
			return signWith(t, map[string]any{"alg": "EdDSA", "jwk": jose.JSONWebKey{Key: k.ed.Public()}}, good(), k.ed)
		}, "embedded keys are not accepted"},
		{"jku", headerToken(map[string]any{"alg": "EdDSA", "jku": "https://attacker.example.net/jwks"}), "embedded keys are not accepted"},
		{"x5u", headerToken(map[string]any{"alg": "EdDSA", "x5u": "https://attacker.example.net/cert"}), "embedded keys are not accepted"},
		{"x5c", headerToken(map[string]any{"alg": "EdDSA", "x5c": []string{"MIIB"}}), "embedded keys are not accepted"},
		{"nested token", headerToken(map[string]any{"alg": "EdDSA", "kid": "ed-1", "cty": "JWT"}), "nested tokens are not accepted"},
		{"enc in a JWS header", headerToken(map[string]any{"alg": "EdDSA", "enc": "A256GCM"}), "encrypted tokens are not accepted"},
		{"typ dpop+jwt", headerToken(map[string]any{"alg": "EdDSA", "kid": "ed-1", "typ": "dpop+jwt"}), "unsupported token type"},
		{"typ JOSE+JSON", headerToken(map[string]any{"alg": "EdDSA", "kid": "ed-1", "typ": "JOSE+JSON"}), "unsupported token type"},
		{"duplicate alg in header", func(t *testing.T, k *testKeySet) string {
			return rawSign(t, []byte(`{"alg":"EdDSA","kid":"ed-1","alg":"HS256"}`), mustJSON(t, good()), k.ed)
		}, "malformed token header"},
		{"header is an array", func(t *testing.T, k *testKeySet) string {
			return rawSign(t, []byte(`["EdDSA"]`), mustJSON(t, good()), k.ed)
		}, "malformed token header"},
		{"header is not JSON", func(t *testing.T, k *testKeySet) string {
			return rawSign(t, []byte(`alg=EdDSA`), mustJSON(t, good()), k.ed)
		}, "malformed token header"},
		{"header with trailing data", func(t *testing.T, k *testKeySet) string {
			return rawSign(t, []byte(`{"alg":"EdDSA","kid":"ed-1"}{}`), mustJSON(t, good()), k.ed)
		}, "malformed token header"},

		// Shape.
		{"empty", literal(""), "missing token"},
		{"oversized", func(t *testing.T, k *testKeySet) string {
			return signWith(t, edHeader(k), with(good(), "pad", strings.Repeat("a", DefaultMaxTokenBytes)), k.ed)
		}, "token too large"},
		{"one segment", literal("eyJhbGciOiJFZERTQSJ9"), "malformed token"},
		{"two segments", func(t *testing.T, k *testKeySet) string {
			tok := signWith(t, edHeader(k), good(), k.ed)
			return tok[:strings.LastIndexByte(tok, '.')]
		}, "malformed token"},
		{"four segments", func(t *testing.T, k *testKeySet) string { return signWith(t, edHeader(k), good(), k.ed) + ".AA" }, "malformed token"},
		{"five segments (JWE)", literal("eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d"), "encrypted tokens are not accepted"},
		{"empty header segment", func(t *testing.T, k *testKeySet) string {
			tok := signWith(t, edHeader(k), good(), k.ed)
			return tok[strings.IndexByte(tok, '.'):]
		}, "malformed token"},
		{"empty payload segment", func(t *testing.T, k *testKeySet) string {
			return b64(mustJSON(t, edHeader(k))) + ".." + b64([]byte("sig"))
		}, "malformed token"},
		{"JSON serialization, flattened", func(t *testing.T, k *testKeySet) string {
			s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: k.ed}, nil)
			if err != nil {
				t.Fatal(err)
			}
			jws, err := s.Sign(mustJSON(t, good()))
			if err != nil {
				t.Fatal(err)
			}
			return jws.FullSerialize()
		}, "unsupported token serialization"},
		{"two signatures (general JSON serialization)", func(t *testing.T, k *testKeySet) string {
			s, err := jose.NewMultiSigner([]jose.SigningKey{
				{Algorithm: jose.EdDSA, Key: jose.JSONWebKey{Key: k.ed, KeyID: k.edKid}},
				{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: k.ec, KeyID: k.ecKid}},
			}, nil)
			if err != nil {
				t.Fatal(err)
			}
			jws, err := s.Sign(mustJSON(t, good()))
			if err != nil {
				t.Fatal(err)
			}
			return jws.FullSerialize()
		}, "unsupported token serialization"},
		{"two signatures glued in compact form", func(t *testing.T, k *testKeySet) string {
			a := signWith(t, edHeader(k), good(), k.ed)
			b := signWith(t, map[string]any{"alg": "ES256", "kid": k.ecKid}, good(), k.ec)
			return a + "." + b[strings.LastIndexByte(b, '.')+1:]
		}, "malformed token"},
		{"standard base64 alphabet", func(t *testing.T, k *testKeySet) string {
			tok := signWith(t, edHeader(k), with(good(), "x", "~~~~~~~~"), k.ed)
			return strings.NewReplacer("-", "+", "_", "/").Replace(tok) + "+/"
		}, "malformed token"},
		{"padding", func(t *testing.T, k *testKeySet) string {
			tok := signWith(t, edHeader(k), good(), k.ed)
			return strings.Replace(tok, ".", "==.", 1)
		}, "malformed token"},
		{"non-base64 character", func(t *testing.T, k *testKeySet) string {
			tok := signWith(t, edHeader(k), good(), k.ed)
			return tok[:10] + "*" + tok[11:]
		}, "malformed token"},
		{"line break inside", func(t *testing.T, k *testKeySet) string {
			tok := signWith(t, edHeader(k), good(), k.ed)
			return tok[:20] + "\n" + tok[20:]
		}, "malformed token"},
		{"impossible base64 length", func(t *testing.T, k *testKeySet) string {
			tok := signWith(t, edHeader(k), good(), k.ed)
			i := strings.IndexByte(tok, '.')
			return tok[:i] + "A" + tok[i:]
		}, "malformed token header"},
		{"non-zero trailing bits", func(t *testing.T, k *testKeySet) string {
			tok := signWith(t, edHeader(k), good(), k.ed)
			parts := strings.Split(tok, ".")
			sig := []byte(parts[2])
			// 64 bytes encode to 86 characters; the last one carries 4
			// unused bits, which are zero in a canonical encoding.
			const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
			sig[len(sig)-1] = alphabet[strings.IndexByte(alphabet, sig[len(sig)-1])|1]
			parts[2] = string(sig)
			return strings.Join(parts, ".")
		}, "malformed token signature"},
		{"payload not canonical base64", literal("eyJhbGciOiJFZERTQSJ9.e3.AAAA"), "malformed token payload"},
		{"payload of impossible length", literal("eyJhbGciOiJFZERTQSJ9.e.AAAA"), "malformed token payload"},

		// Claims: encoding.
		{"claims not JSON", rawClaims(`not json`), "malformed claims"},
		{"claims an array", rawClaims(`[1,2]`), "malformed claims"},
		{"claims with trailing data", rawClaims(`{"sub":"a"} {}`), "malformed claims"},
		{"duplicate claim", func(t *testing.T, k *testKeySet) string {
			b := mustJSON(t, good())
			b = append(b[:len(b)-1], []byte(`,"tier":9}`)...)
			return rawSign(t, mustJSON(t, edHeader(k)), b, k.ed)
		}, "malformed claims"},
		{"invalid UTF-8 in claims", func(t *testing.T, k *testKeySet) string {
			b := mustJSON(t, with(good(), "sub", "expert-XX"))
			b = []byte(strings.Replace(string(b), "XX", "\xff\xfe", 1))
			return rawSign(t, mustJSON(t, edHeader(k)), b, k.ed)
		}, "malformed claims"},

		// Issuer and audience.
		{"missing iss", edToken(without(good(), "iss")), "missing issuer"},
		{"null iss", edToken(with(good(), "iss", nil)), "missing issuer"},
		{"wrong iss", edToken(with(good(), "iss", "https://attacker.example.net")), "wrong issuer"},
		{"iss differs in case", edToken(with(good(), "iss", "https://EXPERTS.example.com")), "wrong issuer"},
		{"iss with trailing slash", edToken(with(good(), "iss", testIssuer+"/")), "wrong issuer"},
		{"iss is a number", edToken(with(good(), "iss", 1)), "malformed issuer"},
		{"missing aud", edToken(without(good(), "aud")), "missing audience"},
		{"wrong aud", edToken(with(good(), "aud", "crm")), "wrong audience"},
		{"aud array without us", edToken(with(good(), "aud", []string{"crm", "billing"})), "wrong audience"},
		{"aud empty array", edToken(with(good(), "aud", []string{})), "wrong audience"},
		{"aud array with a number", edToken(with(good(), "aud", []any{"cxgate", 1})), "malformed audience"},
		{"aud an object", edToken(with(good(), "aud", map[string]any{"cxgate": true})), "malformed audience"},

		// Time.
		{"missing exp", edToken(without(good(), "exp")), "missing expiry"},
		{"exp a string", edToken(with(good(), "exp", "2030-01-01")), "malformed expiry"},
		{"exp negative", edToken(with(good(), "exp", -1)), "malformed expiry"},
		{"exp beyond year 9999", edToken(with(good(), "exp", 1e12)), "malformed expiry"},
		{"expired", edToken(with(good(), "iat", testNow.Add(-2*time.Hour).Unix(), "nbf", nil, "exp", testNow.Add(-time.Hour).Unix())), "token expired"},
		{"expired beyond skew", edToken(with(good(), "exp", testNow.Add(-31*time.Second).Unix())), "token expired"},
		{"expired exactly at skew", edToken(with(good(), "exp", testNow.Add(-30*time.Second).Unix())), "token expired"},
		{"missing iat", edToken(without(good(), "iat")), "missing issued-at"},
		{"iat a string", edToken(with(good(), "iat", "1700000000")), "malformed issued-at"},
		{"iat in the future", edToken(with(good(), "iat", testNow.Add(time.Minute).Unix(), "nbf", nil)), "token issued in the future"},
		{"nbf in the future", edToken(with(good(), "nbf", testNow.Add(5*time.Minute).Unix())), "token not yet valid"},
		{"nbf a string", edToken(with(good(), "nbf", "soon")), "malformed not-before"},
		{"exp equal to iat", edToken(with(good(), "iat", testNow.Add(-10*time.Second).Unix(), "exp", testNow.Add(-10*time.Second).Unix(), "nbf", nil)), "token expires before it was issued"},
		{"exp before iat", edToken(with(good(), "iat", testNow.Add(-5*time.Second).Unix(), "exp", testNow.Add(-10*time.Second).Unix(), "nbf", nil)), "token expires before it was issued"},
		{"lifetime over 24h", edToken(with(good(), "exp", testNow.Add(24*time.Hour).Unix())), "token lifetime too long"},

		// Subject.
		{"missing sub", edToken(without(good(), "sub")), "missing subject"},
		{"empty sub", edToken(with(good(), "sub", "")), "invalid subject"},
		{"sub too long", edToken(with(good(), "sub", strings.Repeat("x", 257))), "invalid subject"},
		{"sub with newline", edToken(with(good(), "sub", "expert\nlevel=admin")), "invalid subject"},
		{"sub with bidi override", edToken(with(good(), "sub", "expert\u202e1")), "invalid subject"},
		{"sub a number", edToken(with(good(), "sub", 4711)), "invalid subject"},

		// Tier.
		{"missing tier", edToken(without(good(), "tier")), "missing tier"},
		{"null tier", edToken(with(good(), "tier", nil)), "missing tier"},
		{"tier a string", edToken(with(good(), "tier", "3")), "invalid tier"},
		{"tier a fraction", edToken(with(good(), "tier", 2.5)), "invalid tier"},
		{"tier negative", edToken(with(good(), "tier", -1)), "invalid tier"},
		{"tier minus zero", rawClaims(strings.Replace(string(mustJSONNoT(good())), `"tier":2`, `"tier":-0`, 1)), "invalid tier"},
		{"tier 10", edToken(with(good(), "tier", 10)), "invalid tier"},
		{"tier exponent", rawClaims(strings.Replace(string(mustJSONNoT(good())), `"tier":2`, `"tier":2e0`, 1)), "invalid tier"},
		{"tier tiny fraction", rawClaims(strings.Replace(string(mustJSONNoT(good())), `"tier":2`, `"tier":2.0000000000000001`, 1)), "invalid tier"},
		{"tier boolean", edToken(with(good(), "tier", true)), "invalid tier"},
		{"tier an array", edToken(with(good(), "tier", []int{9})), "invalid tier"},

		// amr.
		{"amr a string", edToken(with(good(), "amr", "mfa")), "invalid amr"},
		{"amr with a number", edToken(with(good(), "amr", []any{"pwd", 1})), "invalid amr"},
		{"amr with an empty value", edToken(with(good(), "amr", []string{"pwd", ""})), "invalid amr"},
		{"amr with a control character", edToken(with(good(), "amr", []string{"mfa\x00"})), "invalid amr"},
		{"amr too many values", edToken(with(good(), "amr", strings.Split(strings.Repeat("pwd,", 33), ",")[:33])), "invalid amr"},

		// Country.
		{"country lower case", edToken(with(good(), "country", "gb")), "invalid country"},
		{"country alpha-3", edToken(with(good(), "country", "GBR")), "invalid country"},
		{"country unassigned", edToken(with(good(), "country", "ZZ")), "invalid country"},
		{"country UK (not ISO)", edToken(with(good(), "country", "UK")), "invalid country"},
		{"country a number", edToken(with(good(), "country", 44)), "invalid country"},
		{"country empty", edToken(with(good(), "country", "")), "invalid country"},

		// Clients.
		{"missing clients", edToken(without(good(), "clients")), "missing clients"},
		{"null clients", edToken(with(good(), "clients", nil)), "missing clients"},
		{"clients a string", edToken(with(good(), "clients", "acme-retail")), "invalid clients"},
		{"client upper case", edToken(with(good(), "clients", []string{"Acme-Retail"})), "invalid clients"},
		{"client with underscore", edToken(with(good(), "clients", []string{"acme_retail"})), "invalid clients"},
		{"client with a slash", edToken(with(good(), "clients", []string{"../acme"})), "invalid clients"},
		{"client empty", edToken(with(good(), "clients", []string{""})), "invalid clients"},
		{"client too long", edToken(with(good(), "clients", []string{strings.Repeat("a", 64)})), "invalid clients"},
		{"client a number", edToken(with(good(), "clients", []any{7})), "invalid clients"},
		{"client wildcard", edToken(with(good(), "clients", []string{"*"})), "invalid clients"},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok := tc.token(t, k)
			p, err := v.Verify(context.Background(), tok)
			if err == nil {
				t.Fatalf("accepted: %+v", p)
			}
			if !errors.Is(err, ErrUnauthenticated) {
				t.Fatalf("error does not wrap ErrUnauthenticated: %v", err)
			}
			if got, want := err.Error(), "unauthenticated: "+tc.reason; got != want {
				t.Errorf("error = %q, want %q", got, want)
			}
			if diff := cmp.Diff(Principal{}, p, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
				t.Errorf("a rejected token returned a principal (-want +got):\n%s", diff)
			}
		})
	}
}

// mustJSONNoT marshals outside a test (for building case literals).
func mustJSONNoT(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// TestHMACConfusion signs HS256 tokens with every encoding of the RSA public
// key as the HMAC secret, with and without the RSA key's kid.
func TestHMACConfusion(t *testing.T) {
	k := keys(t)
	v := newVerifier(t)
	for enc, secret := range rsaPublicBytes(t, k) {
		for _, kid := range []string{"", k.rsKid} {
			t.Run(enc+"/kid="+kid, func(t *testing.T) {
				hdr := map[string]any{"alg": "HS256", "typ": "JWT"}
				want := "unauthenticated: algorithm not allowed"
				if kid != "" {
					hdr["kid"] = kid
					want = "unauthenticated: algorithm not allowed for this key"
				}
				_, err := v.Verify(context.Background(), signWith(t, hdr, goodClaims(), secret))
				if err == nil || err.Error() != want {
					t.Fatalf("err = %v, want %s", err, want)
				}
			})
		}
	}
	// The same attack against a verifier holding the RSA key as PEM.
	pv := newVerifier(t, func(c *Config) {
		c.KeysFile = writeFile(t, "rsa.pem", pemOf(t, "PUBLIC KEY", pkixDER(t, k.rsa.Public())))
	})
	_, err := pv.Verify(context.Background(), signWith(t, map[string]any{"alg": "HS256"}, goodClaims(), rsaPublicBytes(t, k)["pem"]))
	if err == nil || err.Error() != "unauthenticated: algorithm not allowed" {
		t.Fatalf("PEM verifier: err = %v", err)
	}
}

func TestVerifyAccepts(t *testing.T) {
	k := keys(t)
	v := newVerifier(t)
	good := goodClaims
	base := Principal{
		Subject: "expert-4711", Tier: 2, MFA: true, AMR: []string{"pwd", "otp"}, Country: "GB",
		Clients:  []string{"acme-retail", "globex"},
		IssuedAt: time.Unix(testNow.Add(-time.Minute).Unix(), 0).UTC(),
		Expiry:   time.Unix(testNow.Add(time.Hour).Unix(), 0).UTC(),
		KeyID:    "ed-1",
	}
	change := func(f func(p *Principal)) Principal {
		p := base
		p.AMR = append([]string(nil), base.AMR...)
		p.Clients = append([]string(nil), base.Clients...)
		f(&p)
		return p
	}
	cases := []struct {
		name  string
		token func(*testing.T, *testKeySet) string
		want  Principal
	}{
		{"EdDSA with kid", edToken(good()), base},
		{"EdDSA without kid", func(t *testing.T, k *testKeySet) string {
			return signWith(t, map[string]any{"alg": "EdDSA"}, good(), k.ed)
		}, base},
		{"ES256 with kid", func(t *testing.T, k *testKeySet) string {
			return signWith(t, map[string]any{"alg": "ES256", "kid": k.ecKid}, good(), k.ec)
		}, change(func(p *Principal) { p.KeyID = "ec-1" })},
		{"RS256 with kid", func(t *testing.T, k *testKeySet) string {
			return signWith(t, map[string]any{"alg": "RS256", "kid": k.rsKid, "typ": "JWT"}, good(), k.rsa)
		}, change(func(p *Principal) { p.KeyID = "rs-1" })},
		{"RS256 without kid", func(t *testing.T, k *testKeySet) string {
			return signWith(t, map[string]any{"alg": "RS256"}, good(), k.rsa)
		}, change(func(p *Principal) { p.KeyID = "rs-1" })},
		{"typ at+jwt", headerToken(map[string]any{"alg": "EdDSA", "typ": "at+jwt"}), base},
		{"typ application/jwt", headerToken(map[string]any{"alg": "EdDSA", "typ": "application/JWT"}), base},
		{"unknown header parameter ignored", headerToken(map[string]any{"alg": "EdDSA", "x-trace": "abc"}), base},
		{"aud array", edToken(with(good(), "aud", []string{"crm", testAudience})), base},
		{"amr pwd only", edToken(with(good(), "amr", []string{"pwd"})), change(func(p *Principal) { p.MFA = false; p.AMR = []string{"pwd"} })},
		{"amr mfa", edToken(with(good(), "amr", []string{"mfa"})), change(func(p *Principal) { p.AMR = []string{"mfa"} })},
		{"amr hwk", edToken(with(good(), "amr", []string{"hwk", "pin"})), change(func(p *Principal) { p.AMR = []string{"hwk", "pin"} })},
		{"amr sms", edToken(with(good(), "amr", []string{"pwd", "sms"})), change(func(p *Principal) { p.AMR = []string{"pwd", "sms"} })},
		{"amr case-sensitive", edToken(with(good(), "amr", []string{"MFA", "OTP"})), change(func(p *Principal) { p.MFA = false; p.AMR = []string{"MFA", "OTP"} })},
		{"amr empty", edToken(with(good(), "amr", []string{})), change(func(p *Principal) { p.MFA = false; p.AMR = []string{} })},
		{"amr absent", edToken(without(good(), "amr")), change(func(p *Principal) { p.MFA = false; p.AMR = []string{} })},
		{"amr null", edToken(with(good(), "amr", nil)), change(func(p *Principal) { p.MFA = false; p.AMR = []string{} })},
		{"country absent", edToken(without(good(), "country")), change(func(p *Principal) { p.Country = "" })},
		{"country null", edToken(with(good(), "country", nil)), change(func(p *Principal) { p.Country = "" })},
		{"country IE", edToken(with(good(), "country", "IE")), change(func(p *Principal) { p.Country = "IE" })},
		{"clients empty", edToken(with(good(), "clients", []string{})), change(func(p *Principal) { p.Clients = []string{} })},
		{"clients deduplicated", edToken(with(good(), "clients", []string{"globex", "acme-retail", "globex"})), change(func(p *Principal) { p.Clients = []string{"globex", "acme-retail"} })},
		{"tier 0", edToken(with(good(), "tier", 0)), change(func(p *Principal) { p.Tier = 0 })},
		{"tier 9", edToken(with(good(), "tier", 9)), change(func(p *Principal) { p.Tier = 9 })},
		{"tier 3.0", rawClaims(strings.Replace(string(mustJSONNoT(good())), `"tier":2`, `"tier":3.0`, 1)), change(func(p *Principal) { p.Tier = 3 })},
		{"unknown claims ignored", edToken(with(good(), "jti", "abc", "role", "admin", "tier_override", 9)), base},
		{"nbf absent", edToken(without(good(), "nbf")), base},
		{"exp within skew", edToken(with(good(), "exp", testNow.Add(-29*time.Second).Unix())), change(func(p *Principal) {
			p.Expiry = time.Unix(testNow.Add(-29*time.Second).Unix(), 0).UTC()
		})},
		{"iat within skew", edToken(with(good(), "iat", testNow.Add(29*time.Second).Unix(), "nbf", nil)), change(func(p *Principal) {
			p.IssuedAt = time.Unix(testNow.Add(29*time.Second).Unix(), 0).UTC()
		})},
		{"nbf within skew", edToken(with(good(), "nbf", testNow.Add(30*time.Second).Unix())), base},
		{"fractional dates", edToken(with(good(), "iat", 1772445540.5, "exp", 1772449200.25)), change(func(p *Principal) {
			p.IssuedAt = time.Unix(1772445540, 5e8).UTC()
			p.Expiry = time.Unix(1772449200, 25e7).UTC()
		})},
		{"lifetime exactly 24h", edToken(with(good(), "iat", testNow.Add(-time.Hour).Unix(), "exp", testNow.Add(23*time.Hour).Unix())), change(func(p *Principal) {
			p.IssuedAt = time.Unix(testNow.Add(-time.Hour).Unix(), 0).UTC()
			p.Expiry = time.Unix(testNow.Add(23*time.Hour).Unix(), 0).UTC()
		})},
		{"sub with spaces and accents", edToken(with(good(), "sub", "Zoë Example 42")), change(func(p *Principal) { p.Subject = "Zoë Example 42" })},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := v.Verify(context.Background(), tc.token(t, k))
			if err != nil {
				t.Fatalf("rejected: %v", err)
			}
			if diff := cmp.Diff(tc.want, p, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
				t.Errorf("principal (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHS256DevSecret(t *testing.T) {
	k := keys(t)
	v, err := NewVerifier(Config{Issuer: testIssuer, Audience: testAudience, HS256Secret: k.hs, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		token  string
		reason string // "" = accepted
	}{
		{"valid", signWith(t, map[string]any{"alg": "HS256", "typ": "JWT"}, goodClaims(), k.hs), ""},
		{"wrong secret", signWith(t, map[string]any{"alg": "HS256"}, goodClaims(), []byte("another-secret-of-enough-length-000000")), "signature invalid"},
		{"with a kid", signWith(t, map[string]any{"alg": "HS256", "kid": "k1"}, goodClaims(), k.hs), "unknown key id"},
		{"EdDSA token", signWith(t, map[string]any{"alg": "EdDSA"}, goodClaims(), k.ed), "algorithm not allowed"},
		{"RS256 token", signWith(t, map[string]any{"alg": "RS256"}, goodClaims(), k.rsa), "algorithm not allowed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := v.Verify(context.Background(), tc.token)
			if tc.reason == "" {
				if err != nil || p.Subject != "expert-4711" || p.KeyID != "" {
					t.Fatalf("Verify = %+v, %v", p, err)
				}
				return
			}
			if err == nil || err.Error() != "unauthenticated: "+tc.reason {
				t.Fatalf("err = %v, want %s", err, tc.reason)
			}
		})
	}
}

func TestVerifyConfigLimits(t *testing.T) {
	k := keys(t)
	tok := signWith(t, edHeader(k), goodClaims(), k.ed)

	t.Run("MaxTokenBytes", func(t *testing.T) {
		v := newVerifier(t, func(c *Config) { c.MaxTokenBytes = len(tok) })
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Fatalf("token of exactly the limit: %v", err)
		}
		v = newVerifier(t, func(c *Config) { c.MaxTokenBytes = len(tok) - 1 })
		if _, err := v.Verify(context.Background(), tok); err == nil || err.Error() != "unauthenticated: token too large" {
			t.Fatalf("one byte over: %v", err)
		}
	})
	t.Run("ClockSkew", func(t *testing.T) {
		late := signWith(t, edHeader(k), with(goodClaims(), "iat", testNow.Add(-10*time.Minute).Unix(), "exp", testNow.Add(-2*time.Minute).Unix()), k.ed)
		if _, err := newVerifier(t).Verify(context.Background(), late); err == nil {
			t.Fatal("default skew accepted a token expired 2m ago")
		}
		v := newVerifier(t, func(c *Config) { c.ClockSkew = 3 * time.Minute })
		if _, err := v.Verify(context.Background(), late); err != nil {
			t.Fatalf("3m skew: %v", err)
		}
	})
	t.Run("MaxLifetime", func(t *testing.T) {
		v := newVerifier(t, func(c *Config) { c.MaxLifetime = 30 * time.Minute })
		if _, err := v.Verify(context.Background(), tok); err == nil || err.Error() != "unauthenticated: token lifetime too long" {
			t.Fatalf("61m token under a 30m limit: %v", err)
		}
	})
}

func TestNewVerifierConfigErrors(t *testing.T) {
	k := keys(t)
	jwks := k.publicJWKS(t)
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no issuer", Config{Audience: "a", KeysData: jwks}, "authn: issuer is required"},
		{"no audience", Config{Issuer: "i", KeysData: jwks}, "authn: audience is required"},
		{"no key source", Config{Issuer: "i", Audience: "a"}, "exactly one of"},
		{"HS256 beside public keys", Config{Issuer: "i", Audience: "a", KeysData: jwks, HS256Secret: k.hs}, "exactly one of"},
		{"HS256 beside keys file", Config{Issuer: "i", Audience: "a", KeysFile: "x", HS256Secret: k.hs}, "exactly one of"},
		{"short HS256 secret", Config{Issuer: "i", Audience: "a", HS256Secret: []byte("short")}, "HS256 secret has 5 bytes; at least 32"},
		{"skew too large", Config{Issuer: "i", Audience: "a", KeysData: jwks, ClockSkew: 6 * time.Minute}, "clock skew 6m0s is out of range"},
		{"skew negative", Config{Issuer: "i", Audience: "a", KeysData: jwks, ClockSkew: -time.Second}, "clock skew -1s is out of range"},
		{"max bytes negative", Config{Issuer: "i", Audience: "a", KeysData: jwks, MaxTokenBytes: -1}, "max token bytes -1 is out of range"},
		{"max bytes too large", Config{Issuer: "i", Audience: "a", KeysData: jwks, MaxTokenBytes: 1 << 20}, "out of range"},
		{"lifetime negative", Config{Issuer: "i", Audience: "a", KeysData: jwks, MaxLifetime: -time.Hour}, "must be positive"},
		{"missing keys file", Config{Issuer: "i", Audience: "a", KeysFile: "/nonexistent/keys.json"}, "/nonexistent/keys.json: error: cannot open keys file: no such file or directory [keys_io]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewVerifier(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), string(k.hs)) {
				t.Fatal("error quotes the HS256 secret")
			}
		})
	}
}
