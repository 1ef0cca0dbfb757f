package filter_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cxgate/cxgate/gateway/filter"
	"github.com/cxgate/cxgate/pii"
)

func maskApply(f *filter.Filter) filter.Apply {
	return func(_ context.Context, text string) (filter.Result, error) { return f.Mask(text) }
}

func TestStreamJSONL(t *testing.T) {
	f := newFilter(t, filter.Config{})
	in := `{"id":1,"text":"mail sarah@example.com"}
{"id":"b-2","text":"Grüße 🙂 +49 30 23125123"}

{"text":"nothing here","id":3.5}
`
	var out bytes.Buffer
	if err := filter.StreamJSONL(context.Background(), strings.NewReader(in), &out, 1<<20, maskApply(f)); err != nil {
		t.Fatal(err)
	}
	want := `{"id":1,"text":"mail [EMAIL]","findings":[{"type":"EMAIL","start":5,"end":22}]}
{"id":"b-2","text":"Grüße 🙂 [PHONE]","findings":[{"type":"PHONE","start":8,"end":23}]}
{"id":3.5,"text":"nothing here","findings":[]}
`
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}

func TestStreamJSONLNoTrailingNewline(t *testing.T) {
	f := newFilter(t, filter.Config{})
	var out bytes.Buffer
	err := filter.StreamJSONL(context.Background(), strings.NewReader(`{"id":7,"text":"x"}`), &out, 1<<20, maskApply(f))
	if err != nil || out.String() != `{"id":7,"text":"x","findings":[]}`+"\n" {
		t.Fatalf("got %q, %v", out.String(), err)
	}
}

func TestStreamJSONLErrors(t *testing.T) {
	f := newFilter(t, filter.Config{})
	good := `{"id":1,"text":"call 020 7946 0123"}` + "\n"
	for _, tc := range []struct {
		name, line string
		max        int
		want       error
	}{
		{"not json", `{"id":2,"text":"sarah@example.com"`, 1 << 20, filter.ErrBadLine},
		{"missing text", `{"id":2}`, 1 << 20, filter.ErrBadLine},
		{"text not a string", `{"id":2,"text":5}`, 1 << 20, filter.ErrBadLine},
		{"id is an object", `{"id":{"a":1},"text":"x"}`, 1 << 20, filter.ErrBadLine},
		{"missing id", `{"text":"x"}`, 1 << 20, filter.ErrBadLine},
		{"two values", `{"id":2,"text":"x"} {"id":3,"text":"y"}`, 1 << 20, filter.ErrBadLine},
		{"too long", `{"id":2,"text":"` + strings.Repeat("a", 200) + `"}`, 100, filter.ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			in := good + tc.line + "\n" + good
			err := filter.StreamJSONL(context.Background(), strings.NewReader(in), &out, tc.max, maskApply(f))
			var le *filter.LineError
			if !errors.As(err, &le) || le.Line != 2 || !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want line 2 %v", err, tc.want)
			}
			if strings.Contains(err.Error(), "sarah") {
				t.Errorf("error quotes the input: %v", err)
			}
			// earlier output stands, nothing after the bad line is written
			if want := `{"id":1,"text":"call [PHONE]","findings":[{"type":"PHONE","start":5,"end":18}]}` + "\n"; out.String() != want {
				t.Errorf("output %q, want only line 1", out.String())
			}
		})
	}
}

func TestStreamJSONLTokenizerFailure(t *testing.T) {
	f := newFilter(t, filter.Config{})
	tok := &recTokenizer{fail: pii.ErrUnavailable}
	apply := func(ctx context.Context, text string) (filter.Result, error) {
		return f.Tokenize(ctx, tok, "acme-retail", text)
	}
	var out bytes.Buffer
	err := filter.StreamJSONL(context.Background(), strings.NewReader(`{"id":1,"text":"sarah@example.com"}`+"\n"), &out, 1<<20, apply)
	if !errors.Is(err, pii.ErrUnavailable) || out.Len() != 0 {
		t.Fatalf("err = %v, output %q: want ErrUnavailable and no output", err, out.String())
	}
}
