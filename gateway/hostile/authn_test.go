package hostile

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cxgate/cxgate/gateway/dev"
)

var b64 = base64.RawURLEncoding

// jwtParts splits a compact token and decodes its header and claims.
func jwtParts(t *testing.T, tok string) (header, claims map[string]any, sig string) {
	t.Helper()
	segs := strings.Split(tok, ".")
	if len(segs) != 3 {
		t.Fatalf("not a compact JWS: %d segments", len(segs))
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		raw, err := b64.DecodeString(segs[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			t.Fatal(err)
		}
	}
	return header, claims, segs[2]
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// compact builds header.payload.signature with sign over the signing input.
func compact(t *testing.T, header map[string]any, payload []byte, sign func(in []byte) []byte) string {
	t.Helper()
	in := b64.EncodeToString(mustJSON(t, header)) + "." + b64.EncodeToString(payload)
	return in + "." + b64.EncodeToString(sign([]byte(in)))
}

func hs256(key []byte) func([]byte) []byte {
	return func(in []byte) []byte {
		m := hmac.New(sha256.New, key)
		m.Write(in)
		return m.Sum(nil)
	}
}

func edSign(key ed25519.PrivateKey) func([]byte) []byte {
	return func(in []byte) []byte { return ed25519.Sign(key, in) }
}

func copyClaims(c map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(c))
	for k, v := range c {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

// forged is one hostile Authorization setup: the header values to send
// (none: no header) and the query string to add.
type forged struct {
	name   string
	auth   []string
	query  string
	secret string // what must not come back (the token)
}

// forgeries builds every forged, expired, misdirected or malformed
// assertion the tests send. Each is refused as unauthenticated.
func forgeries(t *testing.T, g *gw) []forged {
	t.Helper()
	good := g.expert(t, "tier3-partner").Token
	hdr, claims, sig := jwtParts(t, good)
	kid, _ := hdr["kid"].(string)
	if kid == "" || hdr["alg"] != "EdDSA" {
		t.Fatalf("the dev signer's header changed: %v", hdr)
	}
	now := time.Now()
	// Raised tier and every client, signed by the real key: the control
	// that claim edits are what the signature check refuses below.
	raised := copyClaims(claims, "tier", 9)

	// The public key as an attacker would find it: the JWKS, its raw "x"
	// member and the PEM encoding.
	var jwks struct {
		Keys []struct {
			X string `json:"x"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(g.env.IdentityJWKS, &jwks); err != nil || len(jwks.Keys) != 1 {
		t.Fatalf("dev JWKS: %v", err)
	}
	rawPub, err := b64.DecodeString(jwks.Keys[0].X)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(ed25519.PublicKey(rawPub))
	if err != nil {
		t.Fatal(err)
	}
	pemPub := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})

	attackerPub, attacker, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	realSigned := func(c map[string]any) string {
		tok, err := g.env.Signer.SignClaims(c)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	segs := strings.Split(good, ".")
	edited := b64.EncodeToString(mustJSON(t, raised))
	payload := mustJSON(t, claims)

	bearer := func(tok string) []string { return []string{"Bearer " + tok} }
	var out []forged
	add := func(name, tok string) { out = append(out, forged{name: name, auth: bearer(tok), secret: tok}) }

	out = append(out, forged{name: "no Authorization header"})
	add("alg none, empty signature", b64.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))+"."+segs[1]+".")
	add("alg none, real signature", b64.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))+"."+segs[1]+"."+sig)
	add("alg NONE with kid", compact(t, map[string]any{"alg": "NONE", "kid": kid}, payload, func([]byte) []byte { return []byte("x") }))
	add("HS256 keyed with the JWKS", compact(t, map[string]any{"alg": "HS256", "kid": kid, "typ": "JWT"}, payload, hs256(g.env.IdentityJWKS)))
	add("HS256 keyed with the raw public key", compact(t, map[string]any{"alg": "HS256", "kid": kid}, payload, hs256(rawPub)))
	add("HS256 keyed with the PEM public key", compact(t, map[string]any{"alg": "HS256"}, payload, hs256(pemPub)))
	add("RS256 header over the EdDSA signature", b64.EncodeToString([]byte(`{"alg":"RS256","kid":"`+kid+`"}`))+"."+segs[1]+"."+sig)
	add("expired an hour ago", realSigned(copyClaims(claims, "iat", now.Add(-2*time.Hour).Unix(), "nbf", now.Add(-2*time.Hour).Unix(), "exp", now.Add(-time.Hour).Unix())))
	add("not yet valid (nbf in an hour)", realSigned(copyClaims(claims, "nbf", now.Add(time.Hour).Unix())))
	add("issued in the future", realSigned(copyClaims(claims, "iat", now.Add(time.Hour).Unix(), "nbf", nil, "exp", now.Add(2*time.Hour).Unix())))
	add("lifetime over the maximum", realSigned(copyClaims(claims, "exp", now.Add(30*24*time.Hour).Unix())))
	add("no exp", realSigned(copyClaims(claims, "exp", nil)))
	add("wrong audience", realSigned(copyClaims(claims, "aud", "crm")))
	add("audience list without cxgate", realSigned(copyClaims(claims, "aud", []string{"crm", "cxgate2"})))
	add("wrong issuer", realSigned(copyClaims(claims, "iss", "https://experts.example.org")))
	add("issuer with a trailing slash", realSigned(copyClaims(claims, "iss", claims["iss"].(string)+"/")))
	add("tier as a string", realSigned(copyClaims(claims, "tier", "9")))
	add("clients as a wildcard", realSigned(copyClaims(claims, "clients", []string{"*"})))
	add("unknown kid (attacker key)", compact(t, map[string]any{"alg": "EdDSA", "kid": "attacker", "typ": "JWT"}, payload, edSign(attacker)))
	add("real kid, attacker key", compact(t, map[string]any{"alg": "EdDSA", "kid": kid, "typ": "JWT"}, payload, edSign(attacker)))
	add("no kid, attacker key", compact(t, map[string]any{"alg": "EdDSA"}, payload, edSign(attacker)))
	add("embedded jwk of the attacker key", compact(t, map[string]any{"alg": "EdDSA", "jwk": map[string]any{"kty": "OKP", "crv": "Ed25519", "x": b64.EncodeToString(attackerPub)}}, payload, edSign(attacker)))
	add("jku pointing elsewhere", compact(t, map[string]any{"alg": "EdDSA", "kid": kid, "jku": "https://attacker.example.net/jwks"}, payload, edSign(attacker)))
	add("kid path traversal", compact(t, map[string]any{"alg": "EdDSA", "kid": "../../../../dev/null"}, payload, edSign(attacker)))
	add("crit header", compact(t, map[string]any{"alg": "EdDSA", "kid": kid, "crit": []string{"exp"}}, payload, edSign(attacker)))
	add("tier raised without re-signing", segs[0]+"."+edited+"."+segs[2])
	add("clients edited without re-signing", segs[0]+"."+b64.EncodeToString(mustJSON(t, copyClaims(claims, "clients", []string{"acme-retail", "globex-saas", "initech-service", "umbrella"})))+"."+segs[2])
	add("exp extended without re-signing", segs[0]+"."+b64.EncodeToString(mustJSON(t, copyClaims(claims, "exp", now.Add(20*time.Hour).Unix())))+"."+segs[2])
	add("tier raised, signed by the attacker", compact(t, hdr, mustJSON(t, raised), edSign(attacker)))
	add("signature bytes flipped", segs[0]+"."+segs[1]+"."+flip(segs[2]))
	add("oversized (over 8 KiB, real signature)", realSigned(copyClaims(claims, "pad", strings.Repeat("a", 9<<10))))
	add("standard base64 alphabet", strings.NewReplacer("-", "+", "_", "/").Replace(good)+"+/")
	add("padded segments", segs[0]+"==."+segs[1]+"."+segs[2])
	add("bang in payload", segs[0]+"."+segs[1][:10]+"!"+segs[1][11:]+"."+segs[2])
	add("truncated by one character", good[:len(good)-1])
	add("truncated signature", good[:len(good)-20])
	add("signature segment dropped", segs[0]+"."+segs[1]+".")
	add("two segments", segs[0]+"."+segs[1])
	add("header only", segs[0])
	add("payload cut in half", segs[0]+"."+segs[1][:len(segs[1])/2]+"."+segs[2])
	add("six segments (two tokens glued)", good+"."+good)
	add("five segments (JWE shape)", good+".AAAA.BBBB")
	add("JSON serialization", `{"payload":"`+segs[1]+`","protected":"`+segs[0]+`","signature":"`+sig+`"}`)
	out = append(out,
		forged{name: "two tokens in one header", auth: []string{"Bearer " + good + " " + good}, secret: good},
		forged{name: "two tokens, comma separated", auth: []string{"Bearer " + good + ",Bearer " + good}, secret: good},
		forged{name: "two Authorization headers (both valid)", auth: []string{"Bearer " + good, "Bearer " + good}, secret: good},
		forged{name: "lowercase bearer, forged token", auth: []string{"bearer " + segs[0] + "." + edited + "." + segs[2]}, secret: edited},
		forged{name: "Basic scheme with a valid token", auth: []string{"Basic " + good}, secret: good},
		forged{name: "no scheme", auth: []string{good}, secret: good},
		forged{name: "two spaces after Bearer", auth: []string{"Bearer  " + good}, secret: good},
		forged{name: "tab after Bearer", auth: []string{"Bearer\t" + good}, secret: good},
		forged{name: "empty bearer", auth: []string{"Bearer "}},
		forged{name: "token in the query string only", query: "?access_token=" + good, secret: good},
		forged{name: "token in the query string, forged header", auth: []string{"Bearer " + segs[0] + "." + edited + "." + segs[2]}, query: "?access_token=" + good, secret: good},
	)
	return out
}

// flip changes one base64url character of s (in the middle) to another
// valid one, so the bytes differ but the encoding stays well-formed.
func flip(s string) string {
	i := len(s) / 2
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}

// TestForgedAssertions sends every forged assertion to every /v1 route:
// each is 401 unauthenticated with a Bearer challenge, the answer never
// repeats the token or holds customer data, and no sandbox is called.
func TestForgedAssertions(t *testing.T) {
	g := gateway(t)
	routes := []req{
		{method: http.MethodGet, path: "/v1/clients/acme-retail/inquiries"},
		op("acme-retail", "order_status", "get_order", `{"params":{"order_number":"#1001"}}`),
		op("initech-service", "account_lookup", "get_account", `{"params":{"account_number":"CD656092"}}`),
		{method: http.MethodPost, path: "/v1/clients/globex-saas/filter", header: http.Header{"Content-Type": {"application/json"}}, body: []byte(`{"text":"call maya.okafor@example.com","mode":"tokenize"}`)},
	}
	for i, f := range forgeries(t, g) {
		// Each forgery comes from its own address in the approved partner
		// network (the dev gateway trusts loopback as its proxy): every
		// route would be allowed to a valid expert there, and the per-address
		// budget of audited refusals (TestUnauthenticatedFlood) is not what
		// answers.
		xff := fmt.Sprintf("198.51.100.%d", 10+i)
		t.Run(f.name, func(t *testing.T) {
			for _, r := range routes {
				r.path += f.query
				r = r.with("X-Forwarded-For", xff)
				for _, v := range f.auth {
					r = r.with("Authorization", v)
				}
				g.noUpstream(t, func() {
					a := g.send(t, r)
					g.wantProblem(t, a, http.StatusUnauthorized, "unauthenticated", f.secret)
					if ch := a.header.Get("WWW-Authenticate"); !strings.HasPrefix(ch, "Bearer") {
						t.Errorf("%s: WWW-Authenticate %q", r.path, ch)
					}
				})
			}
		})
	}
}

// TestForgedControl: the valid assertion the forgeries are made from is
// accepted on the same routes, and so is the scheme in lower case (RFC
// 9110 section 11.1: auth schemes are case-insensitive), so the refusals
// above are about the forgery, not the setup.
func TestForgedControl(t *testing.T) {
	g := gateway(t)
	x := g.expert(t, "tier3-partner")
	for _, scheme := range []string{"Bearer", "bearer", "BEARER"} {
		r := op("initech-service", "account_lookup", "get_account", `{"params":{"account_number":"CD656092"}}`).
			with("Authorization", scheme+" "+x.Token).with("X-Forwarded-For", x.ForwardedFor)
		before := g.upstream()
		a := g.send(t, r)
		if a.status != http.StatusOK {
			t.Errorf("%s: status %d: %s", scheme, a.status, a.body)
		}
		if g.upstream() == before {
			t.Errorf("%s: the honest request reached no sandbox", scheme)
		}
	}
}

// TestOversizedAuthorizationHeader: assertions far beyond the verifier's
// 8 KiB bound, up to a header over 1 MiB. Up to the server's header limit
// (64 KiB) the gateway answers 401; beyond it net/http refuses the request
// with 431 before any handler runs. Never a 5xx, never a sandbox call.
func TestOversizedAuthorizationHeader(t *testing.T) {
	g := gateway(t)
	x := g.expert(t, "tier1-basic")
	_, claims, _ := jwtParts(t, x.Token)
	for _, tc := range []struct {
		name   string
		size   int
		status int
	}{
		{"16 KiB", 16 << 10, http.StatusUnauthorized},
		{"60 KiB", 60 << 10, http.StatusUnauthorized},
		{"100 KiB", 100 << 10, http.StatusRequestHeaderFieldsTooLarge},
		{"1.1 MiB", 1100 << 10, http.StatusRequestHeaderFieldsTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := g.env.Signer.SignClaims(copyClaims(claims, "pad", strings.Repeat("a", tc.size*3/4)))
			if err != nil {
				t.Fatal(err)
			}
			g.noUpstream(t, func() {
				a := g.send(t, op("acme-retail", "order_status", "get_order", `{"params":{"order_number":"#1001"}}`).
					with("Authorization", "Bearer "+tok).with("X-Forwarded-For", "203.0.113.200"))
				if tc.status == http.StatusUnauthorized {
					g.wantProblem(t, a, tc.status, "unauthenticated", tok)
					return
				}
				if a.status != tc.status {
					t.Errorf("status %d, want %d", a.status, tc.status)
				}
				g.noLeak(t, a.body, tok)
			})
		})
	}
}

// expertWith signs a valid assertion for a principal the dev set lacks.
func expertWith(t *testing.T, g *gw, base dev.Expert, kv ...any) dev.Expert {
	t.Helper()
	_, claims, _ := jwtParts(t, base.Token)
	tok, err := g.env.Signer.SignClaims(copyClaims(claims, kv...))
	if err != nil {
		t.Fatal(err)
	}
	base.Token = tok
	return base
}

// TestUnauthenticatedFlood: a flood of forged assertions from one address.
// The first refusals are audited and answered 401; past the per-address
// budget they are answered 429 rate_limited with Retry-After (and no
// longer audited). Nothing reaches a sandbox either way, and a valid
// expert behind the same address is still served.
func TestUnauthenticatedFlood(t *testing.T) {
	g := gateway(t)
	const from = "203.0.113.77"
	good := g.expert(t, "tier1-basic")
	segs := strings.Split(good.Token, ".")
	forged := segs[0] + "." + segs[1] + "." + flip(segs[2])
	r := op("acme-retail", "order_status", "get_order", `{"params":{"order_number":"#1001"}}`).with("X-Forwarded-For", from)
	unauth, limited := 0, 0
	g.noUpstream(t, func() {
		for range 200 {
			a := g.send(t, r.with("Authorization", "Bearer "+forged))
			switch a.status {
			case http.StatusUnauthorized:
				g.wantProblem(t, a, 401, "unauthenticated", forged)
				unauth++
			case http.StatusTooManyRequests:
				g.wantProblem(t, a, 429, "rate_limited", forged)
				if a.header.Get("Retry-After") == "" {
					t.Error("429 without Retry-After")
				}
				limited++
			default:
				t.Fatalf("status %d: %s", a.status, a.body)
			}
		}
	})
	if unauth == 0 || limited == 0 {
		t.Errorf("%d answered 401, %d answered 429: want both", unauth, limited)
	}
	if a := g.send(t, r.as(good)); a.status != http.StatusOK {
		t.Errorf("a valid expert from the flooding address: %d %s", a.status, a.body)
	}
}
