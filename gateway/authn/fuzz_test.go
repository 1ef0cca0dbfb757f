package authn

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/fuzz seed files")

const fuzzDir = "testdata/fuzz/FuzzVerify"

// fuzzSeeds are named inputs for FuzzVerify. Seeds named valid-* verify at
// testNow with the fixed test keys; all others must be refused. They are
// written to testdata/fuzz/FuzzVerify with -update and checked by
// TestFuzzSeeds, so the corpus keeps at least one accepted input per
// algorithm that the fuzzer can mutate.
func fuzzSeeds(t testing.TB) map[string]string {
	k := keys(t)
	good := goodClaims()
	ec := map[string]any{"alg": "ES256", "kid": k.ecKid}
	dupTier := string(mustJSON(t, good))
	dupTier = dupTier[:len(dupTier)-1] + `,"tier":9}`
	return map[string]string{
		"valid-eddsa":         signWith(t, edHeader(k), good, k.ed),
		"valid-eddsa-no-kid":  signWith(t, map[string]any{"alg": "EdDSA"}, good, k.ed),
		"valid-es256":         signWith(t, ec, with(goodClaims(), "aud", []string{"crm", testAudience}), k.ec),
		"valid-minimal":       signWith(t, edHeader(k), without(goodClaims(), "amr", "country", "nbf"), k.ed),
		"expired":             signWith(t, edHeader(k), with(goodClaims(), "iat", testNow.Add(-3*time.Hour).Unix(), "nbf", nil, "exp", testNow.Add(-time.Hour).Unix()), k.ed),
		"alg-none":            b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + b64(mustJSON(t, good)) + ".",
		"hs256-confusion":     signWith(t, map[string]any{"alg": "HS256", "kid": k.edKid}, good, []byte(k.ed.Public().(ed25519.PublicKey))),
		"unknown-kid":         signWith(t, map[string]any{"alg": "EdDSA", "kid": "retired"}, good, k.ed),
		"crit":                signWith(t, map[string]any{"alg": "EdDSA", "crit": []string{"x"}, "x": 1}, good, k.ed),
		"tier-string":         signWith(t, edHeader(k), with(goodClaims(), "tier", "9"), k.ed),
		"tier-fraction":       signWith(t, edHeader(k), with(goodClaims(), "tier", 2.5), k.ed),
		"duplicate-tier":      rawSign(t, mustJSON(t, edHeader(k)), []byte(dupTier), k.ed),
		"clients-bad":         signWith(t, edHeader(k), with(goodClaims(), "clients", []string{"ACME", "../x"}), k.ed),
		"json-serialization":  `{"payload":"e30","protected":"eyJhbGciOiJFZERTQSJ9","signature":"AAAA"}`,
		"jwe":                 "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d",
		"malformed-base64":    "eyJhbGciOiJFZERTQSJ9.e3+/.AA==",
		"two-segments":        "eyJhbGciOiJFZERTQSJ9.e30",
		"empty":               "",
		"dots":                "..",
		"header-not-object":   b64([]byte(`"EdDSA"`)) + ".e30.AAAA",
		"deeply-nested-claim": rawSign(t, mustJSON(t, edHeader(k)), []byte(`{"x":`+strings.Repeat("[", 2000)+strings.Repeat("]", 2000)+`}`), k.ed),
	}
}

func fuzzVerifier(t testing.TB) *Verifier {
	return newVerifier(t)
}

func TestFuzzSeeds(t *testing.T) {
	seeds := fuzzSeeds(t)
	if *update {
		if err := os.MkdirAll(fuzzDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, s := range seeds {
			data := "go test fuzz v1\nstring(" + strconv.Quote(s) + ")\n"
			if err := os.WriteFile(filepath.Join(fuzzDir, name), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	v := fuzzVerifier(t)
	for name := range seeds {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(fuzzDir, name))
			if err != nil {
				t.Fatalf("%v (run go test -run TestFuzzSeeds -update)", err)
			}
			body, ok := strings.CutPrefix(string(data), "go test fuzz v1\nstring(")
			body, ok2 := strings.CutSuffix(body, ")\n")
			raw, err := strconv.Unquote(body)
			if !ok || !ok2 || err != nil {
				t.Fatalf("seed file is not a go fuzz corpus entry")
			}
			_, err = v.Verify(context.Background(), raw)
			if strings.HasPrefix(name, "valid-") {
				if err != nil {
					t.Fatalf("valid seed refused: %v (regenerate with -update)", err)
				}
			} else if err == nil {
				t.Fatal("hostile seed accepted")
			}
		})
	}
}

// FuzzVerify feeds arbitrary strings to Verify: it must never panic, and it
// returns either a Principal that satisfies every claim rule or an error
// wrapping ErrUnauthenticated that does not echo the input.
func FuzzVerify(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Add(strings.Repeat("A", DefaultMaxTokenBytes+1))
	v := fuzzVerifier(f)
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := v.Verify(context.Background(), raw)
		if err != nil {
			var e *Error
			if !errors.Is(err, ErrUnauthenticated) || !errors.As(err, &e) {
				t.Fatalf("error does not wrap ErrUnauthenticated: %v", err)
			}
			if len(raw) > 64 && strings.Contains(err.Error(), raw) {
				t.Fatalf("error echoes the input: %v", err)
			}
			if !reflect.DeepEqual(p, Principal{}) {
				t.Fatalf("principal returned with an error: %+v", p)
			}
			return
		}
		if !validSubject(p.Subject) || p.Tier < 0 || p.Tier > 9 || p.AMR == nil || p.Clients == nil {
			t.Fatalf("accepted principal breaks the claim rules: %+v", p)
		}
		if p.Country != "" && !isCountry(p.Country) {
			t.Fatalf("accepted country %q", p.Country)
		}
		mfa := false
		for _, m := range p.AMR {
			mfa = mfa || isSecondFactor(m)
		}
		if mfa != p.MFA {
			t.Fatalf("MFA %v disagrees with AMR %q", p.MFA, p.AMR)
		}
		for _, c := range p.Clients {
			if !ValidClientID(c) {
				t.Fatalf("accepted client id %q", c)
			}
		}
		if !testNow.Before(p.Expiry.Add(DefaultClockSkew)) || p.IssuedAt.After(testNow.Add(DefaultClockSkew)) {
			t.Fatalf("accepted a token outside its validity: %+v", p)
		}
		if p.KeyID == "" {
			t.Fatal("accepted without naming the key")
		}
	})
}
