package filter_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/cxgate/cxgate/gateway/filter"
	"github.com/cxgate/cxgate/pii"
)

func newFilter(t testing.TB, cfg filter.Config) *filter.Filter {
	t.Helper()
	f, err := filter.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  filter.Config
	}{
		{"unknown region", filter.Config{PhoneRegions: []string{"UK"}}},
		{"not a region", filter.Config{PhoneRegions: []string{"USA"}}},
		{"unknown type", filter.Config{Types: []pii.Type{"NAME"}}},
		{"nil allow pattern", filter.Config{Allow: []*regexp.Regexp{nil}}},
		{"negative limit", filter.Config{MaxInput: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := filter.New(tc.cfg); err == nil {
				t.Fatal("New accepted a bad config")
			}
		})
	}
}

func TestFindCodePointOffsets(t *testing.T) {
	f := newFilter(t, filter.Config{})
	text := "Grüße 🙂 von Jürgen: jürgen.müller@example.de, Tel. +49 30 23125123"
	got, err := f.Find(text)
	if err != nil {
		t.Fatal(err)
	}
	runes := []rune(text)
	var vals []string
	for _, fd := range got {
		vals = append(vals, string(fd.Type)+"="+string(runes[fd.Start:fd.End]))
	}
	want := []string{"PERSON=Jürgen", "EMAIL=jürgen.müller@example.de", "PHONE=+49 30 23125123"}
	if diff := cmp.Diff(want, vals); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	bytesF, _ := f.FindBytes(text)
	for i, fd := range bytesF {
		if string(runes[got[i].Start:got[i].End]) != text[fd.Start:fd.End] {
			t.Errorf("FindBytes[%d] = %q, Find = %q", i, text[fd.Start:fd.End], string(runes[got[i].Start:got[i].End]))
		}
	}
}

func TestMaskKeepsTextAroundFindings(t *testing.T) {
	f := newFilter(t, filter.Config{})
	res, err := f.Mask("Order #1001: mail sarah@example.com or call 020 7946 0123.")
	if err != nil {
		t.Fatal(err)
	}
	want := filter.Result{
		Text: "Order #1001: mail [EMAIL] or call [PHONE].",
		Findings: []filter.Finding{
			{Type: pii.Email, Start: 18, End: 35},
			{Type: pii.Phone, Start: 44, End: 57},
		},
	}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("Mask (-want +got):\n%s", diff)
	}
}

func TestPartialMask(t *testing.T) {
	f := newFilter(t, filter.Config{})
	res, err := f.MaskWith("card 4111 1111 1111 1111, mail sarah@example.com, Hi Sarah,", filter.Partial(4))
	if err != nil {
		t.Fatal(err)
	}
	want := "card **** **** **** 1111, mail ***@example.com, Hi [PERSON],"
	if res.Text != want {
		t.Errorf("got %q, want %q", res.Text, want)
	}
}

func TestTooLarge(t *testing.T) {
	f := newFilter(t, filter.Config{MaxInput: 64})
	_, err := f.Mask(strings.Repeat("a", 65))
	if !errors.Is(err, filter.ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	if _, err := f.Mask(strings.Repeat("a", 64)); err != nil {
		t.Fatalf("64 bytes: %v", err)
	}
}

func TestAllowPatternsAndTypes(t *testing.T) {
	text := "ref ACME-12345678 from sarah@example.com, call 020 7946 0123"
	f := newFilter(t, filter.Config{})
	res, _ := f.Mask("ACME id 4111 1111 1111 1111")
	if res.Text != "ACME id [CARD]" {
		t.Fatalf("baseline: %q", res.Text)
	}
	allow := newFilter(t, filter.Config{Allow: []*regexp.Regexp{regexp.MustCompile(`ACME-[0-9]{8}`), regexp.MustCompile(`4111 1111 1111 1111`)}})
	res, _ = allow.Mask(text + " ACME id 4111 1111 1111 1111")
	if want := "ref ACME-12345678 from [EMAIL], call [PHONE] ACME id 4111 1111 1111 1111"; res.Text != want {
		t.Errorf("allow: got %q, want %q", res.Text, want)
	}
	only := newFilter(t, filter.Config{Types: []pii.Type{pii.Phone}})
	res, _ = only.Mask(text)
	if want := "ref ACME-12345678 from sarah@example.com, call [PHONE]"; res.Text != want {
		t.Errorf("types: got %q, want %q", res.Text, want)
	}
}

func TestPhoneRegionsConfigurable(t *testing.T) {
	text := "call 030 23125123 or 020 7946 0123"
	us := newFilter(t, filter.Config{PhoneRegions: []string{"US"}})
	res, _ := us.Mask(text)
	if res.Text != text {
		t.Errorf("US only: national DE/GB numbers masked: %q", res.Text)
	}
	de := newFilter(t, filter.Config{PhoneRegions: []string{"de"}})
	res, _ = de.Mask(text)
	if want := "call [PHONE] or 020 7946 0123"; res.Text != want {
		t.Errorf("DE: got %q, want %q", res.Text, want)
	}
	res, _ = us.Mask("call +49 30 23125123")
	if res.Text != "call [PHONE]" {
		t.Errorf("international numbers are found for any region: %q", res.Text)
	}
}

// recTokenizer is a test tokenizer: deterministic per client, type and
// value; it records its calls and can fail.
type recTokenizer struct {
	mu    sync.Mutex
	calls [][]pii.Item
	fail  error
	short bool
}

func (r *recTokenizer) Tokenize(_ context.Context, client string, items []pii.Item) ([]string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, append([]pii.Item(nil), items...))
	if r.fail != nil {
		return nil, r.fail
	}
	out := make([]string, len(items))
	for i, it := range items {
		payload := fmt.Sprintf("%x", client+"|"+string(it.Type)+"|"+it.Value)
		out[i] = pii.Token{Kind: pii.KindToken, Type: it.Type, Version: 1, Payload: []byte(payload)}.String()
	}
	if r.short {
		out = out[:len(out)-1]
	}
	return out, nil
}

func TestTokenize(t *testing.T) {
	f := newFilter(t, filter.Config{})
	tok := &recTokenizer{}
	text := "mail sarah@example.com, again SARAH@example.com and sarah at example dot com; card 4111 1111 1111 1111"
	res, err := f.Tokenize(context.Background(), tok, "acme-retail", text)
	if err != nil {
		t.Fatal(err)
	}
	if len(tok.calls) != 1 {
		t.Fatalf("tokenizer called %d times, want one batched call", len(tok.calls))
	}
	want := []pii.Item{{Type: pii.Email, Value: "sarah@example.com"}, {Type: pii.Card, Value: "4111111111111111"}}
	if diff := cmp.Diff(want, tok.calls[0]); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
	spans := pii.FindTokens(res.Text)
	if len(spans) != 4 {
		t.Fatalf("want 4 tokens in %q", res.Text)
	}
	if res.Text[spans[0].Start:spans[0].End] != res.Text[spans[2].Start:spans[2].End] {
		t.Error("the same email got different tokens")
	}
	// tokens already in the text are left alone
	again, err := f.Tokenize(context.Background(), tok, "acme-retail", res.Text)
	if err != nil {
		t.Fatal(err)
	}
	if again.Text != res.Text || len(again.Findings) != 0 {
		t.Errorf("re-tokenizing changed the text: %q", again.Text)
	}
}

// TestTokenizeMasksLongValues: a finding longer than MaxTokenValue (a
// pasted key) is masked, not sent to the tokenizer; the rest are tokens.
func TestTokenizeMasksLongValues(t *testing.T) {
	f := newFilter(t, filter.Config{})
	// a pasted base64 blob, longer than MaxTokenValue
	long := strings.Repeat("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", filter.MaxTokenValue/64+2)
	tok := &recTokenizer{}
	res, err := f.Tokenize(context.Background(), tok, "acme-retail", "password: "+long+"\nmail sarah@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 2 || res.Findings[0].Type != pii.Secret || res.Findings[1].Type != pii.Email {
		t.Fatalf("findings %+v, want SECRET then EMAIL", res.Findings)
	}
	if !strings.HasPrefix(res.Text, "password: [SECRET]\nmail cxt_email_") || strings.Contains(res.Text, "ABCDEFGH") {
		t.Errorf("text %q: want the secret masked and the email tokenized", res.Text)
	}
	want := [][]pii.Item{{{Type: pii.Email, Value: "sarah@example.com"}}}
	if diff := cmp.Diff(want, tok.calls); diff != "" {
		t.Errorf("tokenizer calls (-want +got):\n%s", diff)
	}

	// only long values: no tokenizer call at all
	tok = &recTokenizer{}
	res, err = f.Tokenize(context.Background(), tok, "acme-retail", "password: "+long)
	if err != nil {
		t.Fatal(err)
	}
	if res.Text != "password: [SECRET]" || len(tok.calls) != 0 {
		t.Errorf("text %q after %d tokenizer calls; want the secret masked and no call", res.Text, len(tok.calls))
	}
}

func TestTokenizeFailsClosed(t *testing.T) {
	f := newFilter(t, filter.Config{})
	secret := "sarah@example.com"
	for _, tc := range []struct {
		name string
		tok  *recTokenizer
		want error
	}{
		{"unavailable", &recTokenizer{fail: fmt.Errorf("vault sealed: %w", pii.ErrUnavailable)}, pii.ErrUnavailable},
		{"short answer", &recTokenizer{short: true}, pii.ErrUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := f.Tokenize(context.Background(), tc.tok, "acme-retail", "mail "+secret)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if res.Text != "" || strings.Contains(err.Error(), secret) {
				t.Errorf("failure leaked text: %q / %v", res.Text, err)
			}
		})
	}
	if _, err := f.Tokenize(context.Background(), nil, "acme-retail", "x"); err == nil {
		t.Error("nil tokenizer accepted")
	}
}

func TestFindingsSortedAndDisjoint(t *testing.T) {
	f := newFilter(t, filter.Config{})
	for _, tc := range maskCases {
		got, err := f.Find(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		checkFindings(t, tc.in, got)
	}
}

func checkFindings(t *testing.T, text string, got []filter.Finding) {
	t.Helper()
	n := utf8.RuneCountInString(text)
	last := 0
	for _, fd := range got {
		if fd.Start < last || fd.End <= fd.Start || fd.End > n || !fd.Type.Valid() {
			t.Fatalf("bad finding %+v after %d in %q (len %d)", fd, last, text, n)
		}
		last = fd.End
	}
}

func TestConcurrentUse(t *testing.T) {
	f := newFilter(t, filter.Config{})
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, tc := range maskCases {
				got, err := f.Mask(tc.in)
				if err != nil || got.Text != tc.want {
					t.Errorf("%s: concurrent result differs", tc.name)
					return
				}
			}
		}()
	}
	wg.Wait()
}
