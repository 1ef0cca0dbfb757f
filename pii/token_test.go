package pii

import (
	"errors"
	"strings"
	"testing"
)

func TestTokenRoundTrip(t *testing.T) {
	for _, typ := range All() {
		for _, kind := range []Kind{KindToken, KindHash} {
			in := Token{Kind: kind, Type: typ, Version: 12, Payload: []byte("0123456789abcdefghij-\xff\x00")}
			s := in.String()
			got, err := ParseToken(s)
			if err != nil {
				t.Fatalf("%s: %v", s, err)
			}
			if got.String() != s || got.Type != typ || got.Version != 12 || got.Kind != kind {
				t.Fatalf("round trip %s -> %+v", s, got)
			}
		}
	}
}

func TestParseTokenRejects(t *testing.T) {
	good := Token{Kind: KindToken, Type: Email, Version: 1, Payload: make([]byte, 30)}.String()
	cases := map[string]string{
		"empty":          "",
		"no prefix":      strings.TrimPrefix(good, "cxt_"),
		"unknown type":   strings.Replace(good, "_email_", "_emial_", 1),
		"upper type":     strings.Replace(good, "_email_", "_EMAIL_", 1),
		"version zero":   strings.Replace(good, "_v1_", "_v0_", 1),
		"no version":     strings.Replace(good, "_v1_", "_", 1),
		"short payload":  good[:len("cxt_email_v1_")+10],
		"trailing":       good + " ",
		"bad base64 len": good[:len(good)-1] + "==",
	}
	for name, s := range cases {
		if _, err := ParseToken(s); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%s: ParseToken(%q) = %v, want ErrInvalidToken", name, s, err)
		}
	}
}

func TestFindTokens(t *testing.T) {
	a := Token{Kind: KindToken, Type: Email, Version: 1, Payload: []byte("payload-one-is-long-enough-for-this")}.String()
	b := Token{Kind: KindHash, Type: Phone, Version: 3, Payload: []byte("payload-two-is-long-enough-for-this")}.String()
	text := "mail " + a + ", phone (" + b + ") and xcxt_email_v1_AAAAAAAAAAAAAAAAAAAAAA glued"
	spans := FindTokens(text)
	if len(spans) != 2 {
		t.Fatalf("found %d tokens, want 2: %+v", len(spans), spans)
	}
	if text[spans[0].Start:spans[0].End] != a || text[spans[1].Start:spans[1].End] != b {
		t.Fatalf("spans %+v do not cover the tokens", spans)
	}
}

func TestBatchError(t *testing.T) {
	err := error(&BatchError{Items: []ItemError{{Index: 2, Err: ErrExpired}}})
	if !errors.Is(err, ErrExpired) || errors.Is(err, ErrUnavailable) {
		t.Fatal("BatchError must match its items' kinds only")
	}
	var be *BatchError
	if !errors.As(err, &be) || be.At(2) == nil || be.At(0) != nil {
		t.Fatal("At must report by index")
	}
}

func FuzzParseToken(f *testing.F) {
	f.Add(Token{Kind: KindToken, Type: Email, Version: 1, Payload: make([]byte, 29)}.String())
	f.Add("cxh_phone_v2_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("cxt_email_v1_")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := ParseToken(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("error kind: %v", err)
			}
			return
		}
		if tok.String() != s {
			// base64url without padding is canonical except for trailing bits
			if again, err := ParseToken(tok.String()); err != nil || again.String() != tok.String() {
				t.Fatalf("re-parse of %q failed", tok.String())
			}
		}
		for _, sp := range FindTokens(s) {
			if sp.Start < 0 || sp.End > len(s) || sp.Start >= sp.End {
				t.Fatalf("bad span %+v", sp)
			}
		}
	})
}

// BenchmarkFindTokens on text full of near-misses ("cx..." that are not
// tokens) beside text with real tokens; the baseline is strings.Count of
// the same prefix, the least any scan must do.
func BenchmarkFindTokens(b *testing.B) {
	tok := Token{Kind: KindToken, Type: Email, Version: 1, Payload: make([]byte, 30)}.String()
	near := strings.Repeat("cxt_email_v1_short cx cxh_ cxt_nope_v1_AAAA ", 1000)
	real := strings.Repeat("order #1001 for "+tok+" shipped ", 500)
	for _, c := range []struct{ name, text string }{{"near-misses", near}, {"tokens", real}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.text)))
			b.ReportAllocs()
			for b.Loop() {
				FindTokens(c.text)
			}
		})
		b.Run(c.name+"/baseline-count", func(b *testing.B) {
			b.SetBytes(int64(len(c.text)))
			for b.Loop() {
				strings.Count(c.text, "cx")
			}
		})
	}
}
