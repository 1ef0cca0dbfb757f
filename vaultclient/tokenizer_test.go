package vaultclient

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cxgate/cxgate/pii"
)

// tokenizer is the surface the gateway and the filter use; Client and Local
// must behave the same through it.
type tokenizer interface {
	Tokenize(ctx context.Context, client string, items []pii.Item) ([]string, error)
	Detokenize(ctx context.Context, client string, tokens []string) ([]pii.Item, error)
	HMAC(ctx context.Context, client string, items []pii.Item) ([]string, error)
}

var (
	_ tokenizer = (*Client)(nil)
	_ tokenizer = (*Local)(nil)
)

func TestVaultTokenizer(t *testing.T) {
	f := sharedFixture(t)
	a, b := unique("acme"), unique("globex")
	f.initKeys(t, a, b)
	testTokenizer(t, f.client(t), a, b)
}

func TestLocalTokenizer(t *testing.T) {
	l, err := NewLocalRandom()
	if err != nil {
		t.Fatal(err)
	}
	testTokenizer(t, l, "acme-retail", "globex-saas")
}

// testTokenizer is the behaviour both tokenizers share. clientA and clientB
// must have keys.
func testTokenizer(t *testing.T, tk tokenizer, clientA, clientB string) {
	ctx := context.Background()
	const email = "alice@example.com"

	one := func(t *testing.T, client string, it pii.Item) string {
		t.Helper()
		toks, err := tk.Tokenize(ctx, client, []pii.Item{it})
		if err != nil {
			t.Fatal(err)
		}
		return toks[0]
	}

	t.Run("determinism and its limits", func(t *testing.T) {
		base := one(t, clientA, pii.Item{Type: pii.Email, Value: email})
		for _, tc := range []struct {
			name   string
			client string
			item   pii.Item
			equal  bool
		}{
			{"same client, type and value", clientA, pii.Item{Type: pii.Email, Value: email}, true},
			{"other type", clientA, pii.Item{Type: pii.Person, Value: email}, false},
			{"other client", clientB, pii.Item{Type: pii.Email, Value: email}, false},
			{"other value", clientA, pii.Item{Type: pii.Email, Value: "bob@example.com"}, false},
			{"case matters", clientA, pii.Item{Type: pii.Email, Value: "Alice@example.com"}, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got := one(t, tc.client, tc.item)
				if (got == base) != tc.equal {
					t.Errorf("token equality = %v, want %v", got == base, tc.equal)
				}
			})
		}
	})

	t.Run("round trip", func(t *testing.T) {
		items := []pii.Item{
			{Type: pii.Email, Value: email},
			{Type: pii.Phone, Value: "+1 202-555-0143"},
			{Type: pii.Card, Value: "4111 1111 1111 1111"},
			{Type: pii.Person, Value: "Zoë Ångström-Łukasz"},
			{Type: pii.Address, Value: "1 Example Street\nSpringfield"},
			{Type: pii.IP, Value: "198.51.100.7"},
			{Type: pii.Secret, Value: ""},
			{Type: pii.Account, Value: "text with cxt_email_v1_AAAAAAAAAAAAAAAAAAAAAA inside"},
			{Type: pii.Address, Value: strings.Repeat("x", MaxValueLen)},
		}
		toks, err := tk.Tokenize(ctx, clientA, items)
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range toks {
			tok, err := pii.ParseToken(s)
			if err != nil {
				t.Fatalf("token %d does not parse: %v", i, err)
			}
			if tok.Kind != pii.KindToken || tok.Type != items[i].Type || tok.Version < 1 {
				t.Errorf("token %d: kind %v type %s version %d", i, tok.Kind, tok.Type, tok.Version)
			}
			if items[i].Value != "" && strings.Contains(s, items[i].Value) {
				t.Errorf("token %d contains its value", i)
			}
			if spans := pii.FindTokens("ref " + s + ", ok"); len(spans) != 1 || spans[0].Start != 4 {
				t.Errorf("token %d is not found in text: %v", i, spans)
			}
		}
		got, err := tk.Detokenize(ctx, clientA, toks)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(items, got); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
	})

	t.Run("batch with bad items", func(t *testing.T) {
		long := strings.Repeat("y", MaxValueLen+1)
		items := []pii.Item{
			{Type: pii.Email, Value: email},
			{Type: "NOPE", Value: "value-of-unknown-type"},
			{Type: pii.Phone, Value: "+44 7700 900123"},
			{Type: pii.Address, Value: long},
		}
		for _, op := range []struct {
			name string
			fn   func(context.Context, string, []pii.Item) ([]string, error)
		}{{"tokenize", tk.Tokenize}, {"hmac", tk.HMAC}} {
			t.Run(op.name, func(t *testing.T) {
				out, err := op.fn(ctx, clientA, items)
				if len(out) != len(items) {
					t.Fatalf("got %d results for %d items (err %v)", len(out), len(items), err)
				}
				if !errors.Is(itemErr(t, err, 1), ErrUnknownType) || !errors.Is(itemErr(t, err, 3), ErrValueTooLong) {
					t.Errorf("item errors: %v", err)
				}
				if itemErr(t, err, 0) != nil || itemErr(t, err, 2) != nil {
					t.Errorf("good items failed: %v", err)
				}
				if out[1] != "" || out[3] != "" {
					t.Errorf("failed items must have empty results, got %q %q", out[1], out[3][:min(len(out[3]), 20)])
				}
				if _, perr := pii.ParseToken(out[0]); perr != nil {
					t.Errorf("item 0: %v", perr)
				}
				noLeak(t, err, "value-of-unknown-type", long)
			})
		}
	})

	t.Run("detokenize refusals", func(t *testing.T) {
		good := one(t, clientA, pii.Item{Type: pii.Email, Value: email})
		foreign := one(t, clientB, pii.Item{Type: pii.Email, Value: email})
		swapped := "cxt_person_" + strings.TrimPrefix(good, "cxt_email_")
		tampered := func() string {
			tok, _ := pii.ParseToken(good)
			tok.Payload[len(tok.Payload)/2] ^= 0x01
			return tok.String()
		}()
		future := func() string {
			tok, _ := pii.ParseToken(good)
			tok.Version = 99
			return tok.String()
		}()
		hashes, err := tk.HMAC(ctx, clientA, []pii.Item{{Type: pii.Email, Value: email}})
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name  string
			token string
		}{
			{"minted for another client", foreign},
			{"type text swapped", swapped},
			{"payload altered", tampered},
			{"key version that does not exist", future},
			{"a hash", hashes[0]},
			{"malformed", "cxt_email_v1_!!not-base64!!"},
			{"not a token", email},
		}
		toks := []string{good}
		for _, c := range cases {
			toks = append(toks, c.token)
		}
		got, err := tk.Detokenize(ctx, clientA, toks)
		if len(got) != len(toks) {
			t.Fatalf("got %d results for %d tokens (err %v)", len(got), len(toks), err)
		}
		if got[0] != (pii.Item{Type: pii.Email, Value: email}) || itemErr(t, err, 0) != nil {
			t.Errorf("the good token in the batch: %v, %v", got[0], itemErr(t, err, 0))
		}
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				ierr := itemErr(t, err, i+1)
				if !errors.Is(ierr, pii.ErrInvalidToken) {
					t.Errorf("want pii.ErrInvalidToken, got %v", ierr)
				}
				if got[i+1].Value != "" {
					t.Errorf("a refused token yielded a value")
				}
			})
		}
		noLeak(t, err, email)

		// Every item refused: Vault answers 400 for the whole batch.
		_, err = tk.Detokenize(ctx, clientA, []string{foreign, swapped})
		if !errors.Is(itemErr(t, err, 0), pii.ErrInvalidToken) || !errors.Is(itemErr(t, err, 1), pii.ErrInvalidToken) {
			t.Errorf("all refused: %v", err)
		}
		if errors.Is(err, pii.ErrUnavailable) {
			t.Errorf("refused tokens are not an outage: %v", err)
		}
	})

	t.Run("hash", func(t *testing.T) {
		items := []pii.Item{
			{Type: pii.Email, Value: email},
			{Type: pii.Email, Value: email},
			{Type: pii.Person, Value: email},
			{Type: pii.Email, Value: "bob@example.com"},
		}
		h, err := tk.HMAC(ctx, clientA, items)
		if err != nil {
			t.Fatal(err)
		}
		hb, err := tk.HMAC(ctx, clientB, items[:1])
		if err != nil {
			t.Fatal(err)
		}
		if h[0] != h[1] {
			t.Error("equal items hash differently")
		}
		if h[0] == h[2] || h[0] == h[3] || h[0] == hb[0] {
			t.Error("a hash is shared across type, value or client")
		}
		tok, err := pii.ParseToken(h[0])
		if err != nil || tok.Kind != pii.KindHash || tok.Type != pii.Email || len(tok.Payload) != 32 {
			t.Errorf("hash %v: %+v", err, tok)
		}
	})

	t.Run("empty input", func(t *testing.T) {
		out, err := tk.Tokenize(ctx, clientA, nil)
		if out != nil || err != nil {
			t.Errorf("Tokenize(nil) = %v, %v", out, err)
		}
		items, err := tk.Detokenize(ctx, clientA, []string{})
		if items != nil || err != nil {
			t.Errorf("Detokenize([]) = %v, %v", items, err)
		}
	})

	t.Run("invalid client", func(t *testing.T) {
		for _, c := range []string{"", "Acme", "../acme", "acme/x", "acme-"} {
			if _, err := tk.Tokenize(ctx, c, []pii.Item{{Type: pii.Email, Value: email}}); !errors.Is(err, ErrInvalidName) {
				t.Errorf("client %q: want ErrInvalidName, got %v", c, err)
			}
		}
	})
}
