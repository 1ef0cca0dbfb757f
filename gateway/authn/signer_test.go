package authn

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestSignVerifyRoundTrip mints tokens with GenerateDevKeys for every
// algorithm and verifies them from the JWKS and from the PEM.
func TestSignVerifyRoundTrip(t *testing.T) {
	want := Principal{
		Subject: "expert-tier3-gb", Tier: 3, MFA: true, AMR: []string{"pwd", "hwk"}, Country: "GB",
		Clients:  []string{"acme-retail"},
		IssuedAt: testNow.Add(-time.Minute), Expiry: testNow.Add(30 * time.Minute),
	}
	for _, alg := range []string{AlgEdDSA, AlgES256, AlgRS256} {
		dk, err := GenerateDevKeys(alg)
		if err != nil {
			t.Fatal(err)
		}
		s, err := dk.Signer(testIssuer, testAudience, 0)
		if err != nil {
			t.Fatal(err)
		}
		if s.Algorithm() != alg {
			t.Errorf("signer algorithm %s, want %s", s.Algorithm(), alg)
		}
		tok, err := s.Sign(want)
		if err != nil {
			t.Fatal(err)
		}
		for src, data := range map[string][]byte{"jwks": dk.JWKS, "pem": dk.PEM} {
			t.Run(alg+"/"+src, func(t *testing.T) {
				v, err := NewVerifier(Config{Issuer: testIssuer, Audience: testAudience, KeysData: data, Now: fixedNow})
				if err != nil {
					t.Fatal(err)
				}
				got, err := v.Verify(context.Background(), tok)
				if src == "pem" {
					// PEM keys carry no kid, so the dev kid is unknown there.
					if err == nil || err.Error() != "unauthenticated: unknown key id" {
						t.Fatalf("PEM verifier and a kid-bearing token: %v", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				w := want
				w.KeyID = dk.KeyID
				if diff := cmp.Diff(w, got, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
					t.Errorf("principal (-want +got):\n%s", diff)
				}
			})
		}
	}
	// Without a kid, a PEM verifier finds the key by algorithm.
	dk, err := GenerateDevKeys("")
	if err != nil {
		t.Fatal(err)
	}
	if dk.Alg != AlgEdDSA {
		t.Errorf("default dev algorithm %s, want EdDSA", dk.Alg)
	}
	s, err := NewSigner(SignerConfig{Issuer: testIssuer, Audience: testAudience, Key: dk.PrivateKey, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Sign(Principal{Subject: "expert-1", Tier: 1, Clients: []string{"acme-retail"}})
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(Config{Issuer: testIssuer, Audience: testAudience, KeysData: dk.PEM, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	p, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if p.MFA || !cmp.Equal(p.AMR, []string{"pwd"}) || !p.Expiry.Equal(testNow.Add(DefaultSignerLifetime)) {
		t.Errorf("defaults: %+v", p)
	}
}

func TestSignHS256(t *testing.T) {
	k := keys(t)
	s, err := NewSigner(SignerConfig{Issuer: testIssuer, Audience: testAudience, Key: k.hs, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Sign(Principal{Subject: "dev", Tier: 1, MFA: true, Clients: []string{"acme-retail"}})
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(Config{Issuer: testIssuer, Audience: testAudience, HS256Secret: k.hs, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	p, err := v.Verify(context.Background(), tok)
	if err != nil || !p.MFA || !cmp.Equal(p.AMR, []string{"pwd", "mfa"}) {
		t.Fatalf("Verify = %+v, %v", p, err)
	}
}

func TestSignRejectsInvalidPrincipals(t *testing.T) {
	k := keys(t)
	s, err := NewSigner(SignerConfig{Issuer: testIssuer, Audience: testAudience, Key: k.ed, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	ok := Principal{Subject: "e", Tier: 1, Clients: []string{"acme-retail"}}
	cases := []struct {
		name string
		p    func(p Principal) Principal
		want string
	}{
		{"empty subject", func(p Principal) Principal { p.Subject = ""; return p }, "subject"},
		{"control in subject", func(p Principal) Principal { p.Subject = "a\nb"; return p }, "subject"},
		{"tier 10", func(p Principal) Principal { p.Tier = 10; return p }, "tier"},
		{"tier -1", func(p Principal) Principal { p.Tier = -1; return p }, "tier"},
		{"country lower case", func(p Principal) Principal { p.Country = "gb"; return p }, "country"},
		{"bad client", func(p Principal) Principal { p.Clients = []string{"Acme"}; return p }, "client ids"},
		{"MFA without a factor", func(p Principal) Principal { p.MFA = true; p.AMR = []string{"pwd"}; return p }, "MFA does not agree"},
		{"factor without MFA", func(p Principal) Principal { p.AMR = []string{"otp"}; return p }, "MFA does not agree"},
		{"empty amr value", func(p Principal) Principal { p.AMR = []string{""}; return p }, "amr"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.Sign(tc.p(ok)); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestNewSignerErrors(t *testing.T) {
	k := keys(t)
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		cfg  SignerConfig
		want string
	}{
		{"no issuer", SignerConfig{Audience: "a", Key: k.ed}, "issuer and an audience"},
		{"weak RSA", SignerConfig{Issuer: "i", Audience: "a", Key: weak}, "1024 bits"},
		{"P-384", SignerConfig{Issuer: "i", Audience: "a", Key: p384}, "P-256"},
		{"short secret", SignerConfig{Issuer: "i", Audience: "a", Key: []byte("short")}, "at least 32 bytes"},
		{"public key", SignerConfig{Issuer: "i", Audience: "a", Key: k.ed.Public()}, "unsupported signing key"},
		{"negative lifetime", SignerConfig{Issuer: "i", Audience: "a", Key: k.ed, Lifetime: -time.Second}, "positive"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewSigner(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
	if _, err := GenerateDevKeys("HS256"); err == nil {
		t.Error("GenerateDevKeys(HS256) succeeded")
	}
}

// TestSecretsStayOutOfOutput prints and logs every type that holds a secret
// and checks that no key material appears.
func TestSecretsStayOutOfOutput(t *testing.T) {
	k := keys(t)
	dk, err := GenerateDevKeys(AlgEdDSA)
	if err != nil {
		t.Fatal(err)
	}
	s, err := dk.Signer(testIssuer, testAudience, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := NewSigner(SignerConfig{Issuer: testIssuer, Audience: testAudience, Key: k.hs})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Issuer: testIssuer, Audience: testAudience, HS256Secret: k.hs}

	seed := dk.PrivateKey.(ed25519.PrivateKey).Seed()
	der, err := x509.MarshalPKCS8PrivateKey(dk.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{
		string(k.hs),
		base64.RawURLEncoding.EncodeToString(seed),
		base64.StdEncoding.EncodeToString(der),
		fmt.Sprint(seed), // the byte slice as %v prints it
		fmt.Sprint([]byte(k.hs)),
	}

	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("x", "signer", s, "hs", hs, "devkeys", dk, "cfg", cfg)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "signer", s, "devkeys", dk, "cfg", cfg)
	fmt.Fprintf(&buf, "%v %+v %s %v %+v %v %+v\n", s, s, dk, dk, hs, cfg, cfg)
	out := buf.String()
	for _, sec := range secrets {
		if strings.Contains(out, sec) {
			t.Fatalf("output contains key material:\n%s", out)
		}
	}
	if !strings.Contains(out, dk.KeyID) || !strings.Contains(out, testIssuer) {
		t.Fatalf("output lost the useful, public parts:\n%s", out)
	}
}
