package filter

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/cxgate/cxgate/pii"
)

// DefaultMaxInput is the input limit when Config.MaxInput is 0.
const DefaultMaxInput = 1 << 20

// DefaultPhoneRegions are the regions whose national formats are recognised
// when Config.PhoneRegions is empty. Numbers written with "+" or "00" and a
// country code are recognised for every country regardless.
var DefaultPhoneRegions = []string{"US", "GB", "DE", "FR", "IN", "BR"}

// ErrTooLarge is returned for input longer than Config.MaxInput bytes. The
// filter refuses rather than truncates: half-filtered text would pass the
// rest through unprotected.
var ErrTooLarge = errors.New("input larger than the filter's limit")

// Config configures a Filter. The zero value is usable.
type Config struct {
	// PhoneRegions are ISO 3166-1 alpha-2 codes whose national phone formats
	// are recognised ("020 7946 0123" needs GB). Empty means
	// DefaultPhoneRegions.
	PhoneRegions []string
	// Allow are the client's own identifier formats (the scope's
	// filter.allow_patterns): text they match is never PII.
	Allow []*regexp.Regexp
	// MaxInput is the largest input in bytes; 0 means DefaultMaxInput.
	// Larger input fails with ErrTooLarge.
	MaxInput int
	// Types restricts detection to these types; empty means all of them.
	Types []pii.Type
}

// Finding is one piece of PII found in a text. Offsets are Unicode
// code-point indices into the input text, End exclusive.
type Finding struct {
	Type  pii.Type `json:"type"`
	Start int      `json:"start"`
	End   int      `json:"end"`
}

// Result is a filtered text and what was found in the input.
type Result struct {
	Text     string    `json:"text"`
	Findings []Finding `json:"findings"`
}

// Tokenizer turns PII values into cxgate tokens. Implementations (the Vault
// transit tokenizer and the local development tokenizer in vaultclient) must
// return exactly one token per item, in order, deterministic per client,
// type and value, and must fail rather than return a partial answer: the
// filter withholds the whole text when Tokenize returns an error.
type Tokenizer interface {
	Tokenize(ctx context.Context, client string, items []pii.Item) ([]string, error)
}

// Filter finds PII in free text. It is safe for concurrent use; build one
// per client configuration and reuse it.
type Filter struct {
	lex     *lexicon
	regions []*region
	allow   []*regexp.Regexp
	max     int
	enabled [numTypes]bool
	pool    sync.Pool // *doc scratch space
}

// New checks cfg and builds a Filter. Unknown phone regions and types are
// errors; so is a negative MaxInput.
func New(cfg Config) (*Filter, error) {
	f := &Filter{lex: newLexicon(), allow: cfg.Allow, max: cfg.MaxInput}
	if f.max < 0 {
		return nil, fmt.Errorf("max input %d: must not be negative", cfg.MaxInput)
	}
	if f.max == 0 {
		f.max = DefaultMaxInput
	}
	for i, re := range cfg.Allow {
		if re == nil {
			return nil, fmt.Errorf("allow pattern %d is nil", i)
		}
	}
	regions := cfg.PhoneRegions
	if len(regions) == 0 {
		regions = DefaultPhoneRegions
	}
	seen := map[string]bool{}
	for _, code := range regions {
		code = strings.ToUpper(strings.TrimSpace(code))
		if seen[code] {
			continue
		}
		seen[code] = true
		r, err := newRegion(code)
		if err != nil {
			return nil, err
		}
		f.regions = append(f.regions, r)
	}
	if len(cfg.Types) == 0 {
		for i := range f.enabled {
			f.enabled[i] = true
		}
	}
	for _, t := range cfg.Types {
		i := typeIndex(t)
		if i < 0 {
			return nil, fmt.Errorf("unknown PII type %q (want one of %s)", t, pii.Names())
		}
		f.enabled[i] = true
	}
	f.pool.New = func() any { return &doc{f: f} }
	return f, nil
}

// Find returns the PII in text: sorted by Start, never overlapping, with
// code-point offsets.
func (f *Filter) Find(text string) ([]Finding, error) {
	d, spans, err := f.scan(text)
	if err != nil {
		return nil, err
	}
	defer f.release(d)
	return codePoints(text, spans, d.marks), nil
}

// FindBytes is Find with byte offsets instead of code points, for callers
// that slice the Go string themselves.
func (f *Filter) FindBytes(text string) ([]Finding, error) {
	d, spans, err := f.scan(text)
	if err != nil {
		return nil, err
	}
	defer f.release(d)
	out := make([]Finding, len(spans))
	for i, s := range spans {
		out[i] = Finding{Type: s.typ, Start: s.s, End: s.e}
	}
	return out, nil
}

// Mask replaces every finding with a placeholder of its type ("[EMAIL]").
func (f *Filter) Mask(text string) (Result, error) {
	return f.MaskWith(text, nil)
}

// MaskFunc chooses the replacement for one finding; value is the matched
// text. Placeholder and Partial are the two provided.
type MaskFunc func(t pii.Type, value string) string

// Placeholder is the default mask: "[TYPE]".
func Placeholder(t pii.Type, _ string) string { return "[" + string(t) + "]" }

// Partial returns a MaskFunc that keeps the last keep letters or digits of
// CARD, IBAN, ACCOUNT and PHONE values (the scope's {mask: last4}), keeps
// the domain of an email, and uses the placeholder for every other type.
// Separators are kept so the shape stays readable: "**** **** **** 1111".
func Partial(keep int) MaskFunc {
	return func(t pii.Type, v string) string {
		switch t {
		case pii.Card, pii.IBAN, pii.Account, pii.Phone:
			return keepLast(v, keep)
		case pii.Email:
			if at := strings.LastIndexByte(v, '@'); at > 0 {
				return "***" + v[at:]
			}
		}
		return Placeholder(t, v)
	}
}

func keepLast(v string, keep int) string {
	n := 0
	for _, r := range v {
		if isAlnumRune(r) {
			n++
		}
	}
	if n <= keep*2 {
		return strings.Repeat("*", n)
	}
	var b strings.Builder
	i := 0
	for _, r := range v {
		if !isAlnumRune(r) {
			b.WriteRune(r)
			continue
		}
		if i < n-keep {
			b.WriteByte('*')
		} else {
			b.WriteRune(r)
		}
		i++
	}
	return b.String()
}

// MaskWith is Mask with a chosen replacement; nil means Placeholder.
func (f *Filter) MaskWith(text string, mask MaskFunc) (Result, error) {
	if mask == nil {
		mask = Placeholder
	}
	d, spans, err := f.scan(text)
	if err != nil {
		return Result{}, err
	}
	defer f.release(d)
	repl := make([]string, len(spans))
	for i, s := range spans {
		repl[i] = mask(s.typ, text[s.s:s.e])
	}
	return Result{Text: replace(text, spans, repl), Findings: codePoints(text, spans, d.marks)}, nil
}

// MaxTokenValue is the longest finding, in bytes after normalisation,
// that Tokenize turns into a token; a longer one (a pasted private key, a
// run-on "address") is masked as [TYPE] instead. No expert can use a
// token for a value that long, and Vault tokens have a size limit.
const MaxTokenValue = 1024

// Tokenize replaces every finding with a token from tok, minted for client
// (or with [TYPE] when longer than MaxTokenValue).
// All values go to tok in one call; equal values (after normalisation: an
// obfuscated email becomes name@example.com, a phone its E.164 form) share
// one token. Tokens already in the text are left alone. When tok fails the
// error is returned and no text: the caller must not fall back to the input.
func (f *Filter) Tokenize(ctx context.Context, tok Tokenizer, client, text string) (Result, error) {
	if tok == nil {
		return Result{}, errors.New("tokenize: no tokenizer configured")
	}
	d, spans, err := f.scan(text)
	if err != nil {
		return Result{}, err
	}
	// the doc goes back to the pool before the tokenizer's network call
	spans, marks := slices.Clone(spans), d.marks
	f.release(d)
	if len(spans) == 0 {
		return Result{Text: text, Findings: []Finding{}}, nil
	}
	type key struct {
		t pii.Type
		v string
	}
	index := make(map[key]int, len(spans))
	items := make([]pii.Item, 0, len(spans))
	which := make([]int, len(spans))
	for i, s := range spans {
		v := s.norm
		if v == "" {
			v = normalise(s.typ, text[s.s:s.e])
		}
		if len(v) > MaxTokenValue {
			which[i] = -1 // masked below
			continue
		}
		k := key{s.typ, v}
		j, ok := index[k]
		if !ok {
			j = len(items)
			index[k] = j
			items = append(items, pii.Item{Type: k.t, Value: k.v})
		}
		which[i] = j
	}
	var toks []string
	if len(items) > 0 {
		toks, err = tok.Tokenize(ctx, client, items)
	}
	if err != nil {
		return Result{}, fmt.Errorf("tokenize %d values: %w", len(items), err)
	}
	if len(toks) != len(items) {
		return Result{}, fmt.Errorf("tokenize: tokenizer returned %d tokens for %d values: %w", len(toks), len(items), pii.ErrUnavailable)
	}
	repl := make([]string, len(spans))
	for i := range spans {
		if which[i] < 0 {
			repl[i] = Placeholder(spans[i].typ, "")
			continue
		}
		t := toks[which[i]]
		if t == "" {
			return Result{}, fmt.Errorf("tokenize: tokenizer returned an empty token: %w", pii.ErrUnavailable)
		}
		repl[i] = t
	}
	return Result{Text: replace(text, spans, repl), Findings: codePoints(text, spans, marks)}, nil
}

// span is a finding in byte offsets, used internally.
type span struct {
	s, e int
	typ  pii.Type
	norm string
}

// scan finds the spans of text. They live in the returned doc's scratch
// space: the caller reads them, then gives the doc back with release.
func (f *Filter) scan(text string) (*doc, []span, error) {
	if len(text) > f.max {
		return nil, nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(text), f.max)
	}
	d := f.pool.Get().(*doc)
	d.reset(text)
	d.run()
	return d, d.resolve(), nil
}

// release returns d to the pool; nothing scan returned may be used after.
func (f *Filter) release(d *doc) {
	d.reset("")
	f.pool.Put(d)
}

func replace(text string, spans []span, repl []string) string {
	var b strings.Builder
	n := len(text)
	for _, r := range repl {
		n += len(r)
	}
	b.Grow(n)
	last := 0
	for i, s := range spans {
		b.WriteString(text[last:s.s])
		b.WriteString(repl[i])
		last = s.e
	}
	b.WriteString(text[last:])
	return b.String()
}

// codePoints converts sorted byte spans to code-point findings in one pass.
// marks are the scanner's: ASCII text needs no conversion, and valid UTF-8
// is counted eight bytes at a time.
func codePoints(text string, spans []span, marks uint8) []Finding {
	out := make([]Finding, len(spans))
	if marks&markNonASCII == 0 {
		for i, s := range spans {
			out[i] = Finding{Type: s.typ, Start: s.s, End: s.e}
		}
		return out
	}
	count := runeCount
	if marks&markInvalid != 0 {
		count = utf8.RuneCountInString // an invalid byte counts as one
	}
	pos, cp := 0, 0
	advance := func(to int) int {
		cp += count(text[pos:to])
		pos = to
		return cp
	}
	for i, s := range spans {
		out[i] = Finding{Type: s.typ, Start: advance(s.s), End: advance(s.e)}
	}
	return out
}

// numTypes and typeIndex give each PII type a small index for tables.
const numTypes = 13

func typeIndex(t pii.Type) int {
	switch t {
	case pii.Email:
		return 0
	case pii.Phone:
		return 1
	case pii.Card:
		return 2
	case pii.IBAN:
		return 3
	case pii.Account:
		return 4
	case pii.SSN:
		return 5
	case pii.NINO:
		return 6
	case pii.IP:
		return 7
	case pii.Postcode:
		return 8
	case pii.Address:
		return 9
	case pii.DOB:
		return 10
	case pii.Person:
		return 11
	case pii.Secret:
		return 12
	}
	return -1
}
