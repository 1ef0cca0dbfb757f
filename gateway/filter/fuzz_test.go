package filter_test

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cxgate/cxgate/gateway/filter"
	"github.com/cxgate/cxgate/pii"
)

// FuzzFilter: arbitrary input never panics; findings are valid, sorted and
// disjoint code-point ranges; Mask removes every found value (unless the
// same text also occurs elsewhere); Tokenize puts a token exactly where
// each finding was, and every token maps back to its finding's type.
// Seeds: the development cases here and testdata/fuzz/FuzzFilter.
func FuzzFilter(f *testing.F) {
	for _, tc := range maskCases {
		f.Add(tc.in)
	}
	flt, err := filter.New(filter.Config{MaxInput: 1 << 16})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string) {
		found, err := flt.Find(text)
		if len(text) > 1<<16 {
			if err == nil {
				t.Fatal("oversized input accepted")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		checkFindings(t, text, found)
		res, err := flt.Mask(text)
		if err != nil {
			t.Fatal(err)
		}
		runes := []rune(text)
		if !utf8.ValidString(text) {
			// invalid bytes count as one code point each (utf8.RuneCountInString)
			runes = nil
		}
		var b strings.Builder
		last := 0
		for _, fd := range res.Findings {
			if runes != nil {
				b.WriteString(string(runes[last:fd.Start]))
			}
			b.WriteString("[" + string(fd.Type) + "]")
			last = fd.End
		}
		if runes != nil {
			b.WriteString(string(runes[last:]))
			if b.String() != res.Text {
				t.Fatalf("masked text is not the input with findings replaced:\n%q\n%q", res.Text, b.String())
			}
			stripped := res.Text
			for _, ty := range pii.All() {
				stripped = strings.ReplaceAll(stripped, "["+string(ty)+"]", "\x00")
			}
			for _, fd := range res.Findings {
				v := string(runes[fd.Start:fd.End])
				if strings.Contains(stripped, v) && strings.Count(text, v) < 2 {
					t.Fatalf("found value %q (%s) survives masking in %q", v, fd.Type, res.Text)
				}
			}
		}
		tok := &recTokenizer{}
		tr, err := flt.Tokenize(context.Background(), tok, "fuzz-client", text)
		if err != nil {
			t.Fatal(err)
		}
		if len(tr.Findings) != len(res.Findings) {
			t.Fatalf("Tokenize found %d, Mask %d", len(tr.Findings), len(res.Findings))
		}
		if runes == nil || len(tr.Findings) == 0 {
			return
		}
		// every finding is now one well-formed token of its type, in place
		rest := tr.Text
		last = 0
		for _, fd := range tr.Findings {
			pre := string(runes[last:fd.Start])
			if !strings.HasPrefix(rest, pre) {
				t.Fatalf("text between findings changed: %q", tr.Text)
			}
			rest = rest[len(pre):]
			// too long to tokenize (after normalisation, which may shorten it): masked
			label := "[" + string(fd.Type) + "]"
			if len(string(runes[fd.Start:fd.End])) > filter.MaxTokenValue && strings.HasPrefix(rest, label) {
				rest = rest[len(label):]
				last = fd.End
				continue
			}
			spans := pii.FindTokens(rest)
			if len(spans) == 0 || spans[0].Start != 0 || spans[0].Token.Type != fd.Type {
				t.Fatalf("no %s token at the finding in %q", fd.Type, rest)
			}
			rest = rest[spans[0].End:]
			last = fd.End
		}
		if rest != string(runes[last:]) {
			t.Fatalf("text after the last finding changed: %q", rest)
		}
	})
}
