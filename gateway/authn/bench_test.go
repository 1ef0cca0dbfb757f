package authn

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"math/big"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// BenchmarkVerify measures Verify per algorithm beside two baselines run on
// the same token in the same run:
//
//   - jose: what go-jose alone costs (compact parse, signature check, claims
//     unmarshalled into a map), i.e. a verifier without cxgate's checks;
//   - signature: the bare signature primitive over the same signing input,
//     the floor no verifier can go below.
//
// verify minus jose is the price of cxgate's shape, header and claim checks.
// verify runs with the cache of verified assertions off; cached is the same
// token again with the cache on (an expert's next request).
func BenchmarkVerify(b *testing.B) {
	k := keys(b)
	pub := newVerifier(b, func(c *Config) { c.CacheSize = -1 })
	cachedPub := newVerifier(b)
	hs, err := NewVerifier(Config{Issuer: testIssuer, Audience: testAudience, HS256Secret: k.hs, Now: fixedNow, CacheSize: -1})
	if err != nil {
		b.Fatal(err)
	}
	cachedHS, err := NewVerifier(Config{Issuer: testIssuer, Audience: testAudience, HS256Secret: k.hs, Now: fixedNow})
	if err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		alg       string
		v, cached *Verifier
		key       any // signing key
		verKey    any // verification key for the baselines
		kid       string
	}{
		{AlgEdDSA, pub, cachedPub, k.ed, k.ed.Public(), k.edKid},
		{AlgES256, pub, cachedPub, k.ec, k.ec.Public(), k.ecKid},
		{AlgRS256, pub, cachedPub, k.rsa, k.rsa.Public(), k.rsKid},
		{AlgHS256, hs, cachedHS, k.hs, k.hs, ""},
	}
	for _, c := range cases {
		hdr := map[string]any{"alg": c.alg, "typ": "JWT"}
		if c.kid != "" {
			hdr["kid"] = c.kid
		}
		tok := signWith(b, hdr, goodClaims(), c.key)
		if _, err := c.v.Verify(context.Background(), tok); err != nil {
			b.Fatalf("%s: %v", c.alg, err)
		}
		input := tok[:strings.LastIndexByte(tok, '.')]
		sig, err := decodeSegment(tok[strings.LastIndexByte(tok, '.')+1:])
		if err != nil {
			b.Fatal(err)
		}
		b.Run("alg="+c.alg+"/verify", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.v.Verify(context.Background(), tok); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("alg="+c.alg+"/cached", func(b *testing.B) {
			b.ReportAllocs()
			if _, err := c.cached.Verify(context.Background(), tok); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := c.cached.Verify(context.Background(), tok); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("alg="+c.alg+"/baseline=jose", func(b *testing.B) {
			b.ReportAllocs()
			algs := []jose.SignatureAlgorithm{jose.SignatureAlgorithm(c.alg)}
			for b.Loop() {
				jws, err := jose.ParseSignedCompact(tok, algs)
				if err != nil {
					b.Fatal(err)
				}
				payload, err := jws.Verify(c.verKey)
				if err != nil {
					b.Fatal(err)
				}
				var claims map[string]any
				if err := json.Unmarshal(payload, &claims); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("alg="+c.alg+"/baseline=signature", func(b *testing.B) {
			b.ReportAllocs()
			verify := primitive(b, c.alg, c.verKey)
			for b.Loop() {
				if !verify([]byte(input), sig) {
					b.Fatal("signature did not verify")
				}
			}
		})
	}
}

// primitive returns the bare signature check of alg.
func primitive(b *testing.B, alg string, key any) func(msg, sig []byte) bool {
	switch alg {
	case AlgEdDSA:
		return func(msg, sig []byte) bool { return ed25519.Verify(key.(ed25519.PublicKey), msg, sig) }
	case AlgES256:
		return func(msg, sig []byte) bool {
			h := sha256.Sum256(msg)
			r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
			return ecdsa.Verify(key.(*ecdsa.PublicKey), h[:], r, s)
		}
	case AlgRS256:
		return func(msg, sig []byte) bool {
			h := sha256.Sum256(msg)
			return rsa.VerifyPKCS1v15(key.(*rsa.PublicKey), crypto.SHA256, h[:], sig) == nil
		}
	case AlgHS256:
		return func(msg, sig []byte) bool {
			m := hmac.New(sha256.New, key.([]byte))
			m.Write(msg)
			return hmac.Equal(m.Sum(nil), sig)
		}
	}
	b.Fatalf("no primitive for %s", alg)
	return nil
}

// BenchmarkRejectOversized shows that an oversized token costs nothing
// beyond a length check, beside the cheapest well-formed rejection.
func BenchmarkRejectOversized(b *testing.B) {
	v := newVerifier(b)
	big := strings.Repeat("A", 1<<20)
	b.Run("oversized-1MiB", func(b *testing.B) {
		for b.Loop() {
			if _, err := v.Verify(context.Background(), big); err == nil {
				b.Fatal("accepted")
			}
		}
	})
	b.Run("baseline=unknown-kid", func(b *testing.B) {
		tok := signWith(b, map[string]any{"alg": "EdDSA", "kid": "nope"}, goodClaims(), keys(b).ed)
		for b.Loop() {
			if _, err := v.Verify(context.Background(), tok); err == nil {
				b.Fatal("accepted")
			}
		}
	})
}
