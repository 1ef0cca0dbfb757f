package filter_test

// The corpus markup loader, its unit tests, and the label checks that keep
// the corpus honest (every gold value well formed and reserved, every hard
// negative really failing its checksum). The format is documented in
// testdata/corpus/README.md; keep the two in step.

import (
	"errors"
	"fmt"
	"math/big"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers/v2"

	"github.com/cxgate/cxgate/pii"
)

// corpusSpanKind tells gold PII, optional PII and protected business identifiers apart.
type corpusSpanKind uint8

const (
	corpusPII       corpusSpanKind = iota + 1 // [[TYPE:value]]  must be found
	corpusOptional                            // [[TYPE?:value]] may be masked, need not be
	corpusProtected                           // {{KIND:value}}  must survive unchanged
)

func (k corpusSpanKind) String() string {
	switch k {
	case corpusPII:
		return "pii"
	case corpusOptional:
		return "optional"
	case corpusProtected:
		return "protected"
	}
	return "?"
}

// corpusSpan is one marked region of a message. Start and End are code-point
// offsets into the message text (end exclusive), like the filter's findings.
type corpusSpan struct {
	Kind       corpusSpanKind
	Label      string // a pii.Type for PII and optional spans, a protected kind otherwise
	Start, End int
	Value      string
	Line, Col  int // where the opening bracket is in the corpus file
}

// corpusMessage is one message of the corpus with its labels.
type corpusMessage struct {
	ID    string
	File  string
	Line  int // line of the @@ header
	Lang  string
	Src   string
	Text  string
	Spans []corpusSpan
}

func (m corpusMessage) pos() string { return fmt.Sprintf("%s:%d", m.File, m.Line) }

// spansOf returns the spans of one kind.
func (m corpusMessage) spansOf(k corpusSpanKind) []corpusSpan {
	var out []corpusSpan
	for _, s := range m.Spans {
		if s.Kind == k {
			out = append(out, s)
		}
	}
	return out
}

// corpusProtectedKinds are the business-identifier kinds a {{KIND:...}} may name.
// A fixed list so that a typo in a label fails loudly.
var corpusProtectedKinds = map[string]string{
	"ORDER":    "order number (#1001, ORD-2024-88812, marketplace order ids)",
	"TRACKING": "parcel tracking number",
	"SKU":      "stock-keeping unit / article / model number",
	"EAN":      "EAN/UPC/GTIN barcode number",
	"PRICE":    "price or amount with or without currency",
	"DATE":     "order, delivery, invoice or other non-birth date",
	"TIME":     "time of day, timestamp or duration",
	"VERSION":  "software or firmware version, including IP-shaped ones",
	"UUID":     "UUID / GUID",
	"COUPON":   "coupon, voucher or promo code",
	"LAST4":    "card last four digits or an already-masked card",
	"TICKET":   "support ticket id",
	"CASE":     "CRM case number",
	"TOKEN":    "cxgate token or hash (cxt_/cxh_)",
	"PRODUCT":  "product or brand name, including ones that look like people or streets",
	"INVOICE":  "invoice, credit-note or receipt number",
	"REF":      "other business reference (RMA, payment reference, VAT id, creditor id, mandate id)",
	"QTY":      "quantity, size, weight or measure",
	"NUMBER":   "a bare number that must not be taken for PII (fails Luhn, mod-97, ...)",
	"URL":      "a link or host name that is not personal",
	"ID":       "other system identifier (customer id, user id, store id, device serial)",
}

var (
	corpusIDRe    = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	corpusLangs   = []string{"en-US", "en-GB", "en-IN", "de-DE", "fr-FR", "pt-BR", "mixed"}
	corpusSources = []string{"chat", "email", "ticket", "comment", "note", "agent", "crm"}
)

// loadCorpus reads every *.txt file in dir, in name order.
func loadCorpus(dir string) ([]corpusMessage, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no *.txt corpus files", dir)
	}
	var (
		all  []corpusMessage
		errs []error
		seen = map[string]string{}
	)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		msgs, err := parseCorpus(f, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, m := range msgs {
			if prev, dup := seen[m.ID]; dup {
				errs = append(errs, fmt.Errorf("%s:1: error: duplicate message id %q (first at %s) [duplicate-id]", m.pos(), m.ID, prev))
				continue
			}
			seen[m.ID] = m.pos()
			all = append(all, m)
		}
	}
	return all, errors.Join(errs...)
}

// parseCorpus parses one corpus file. Every problem is reported as
// FILE:LINE:COL: error: MESSAGE [code], and all of them are returned.
func parseCorpus(name string, data []byte) ([]corpusMessage, error) {
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%s:1:1: error: file is not valid UTF-8 [encoding]", name)
	}
	type bodyLine struct {
		n    int
		text string
	}
	var (
		msgs []corpusMessage
		errs []error
		cur  *corpusMessage
		body []bodyLine
	)
	errorf := func(line, col int, code, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s:%d:%d: error: %s [%s]", name, line, col, fmt.Sprintf(format, args...), code))
	}
	flush := func() {
		if cur == nil {
			return
		}
		for len(body) > 0 && strings.TrimSpace(body[0].text) == "" {
			body = body[1:]
		}
		for len(body) > 0 && strings.TrimSpace(body[len(body)-1].text) == "" {
			body = body[:len(body)-1]
		}
		if len(body) == 0 {
			errorf(cur.Line, 1, "empty-message", "message %q has no text", cur.ID)
			cur, body = nil, nil
			return
		}
		m := *cur
		var (
			text  []rune
			open  *corpusSpan // the span being read, nil outside markup
			value []rune
			blank bool // the previous line inside a value was empty
		)
		for li, bl := range body {
			if li > 0 {
				if open != nil {
					if blank {
						errorf(open.Line, open.Col, "unclosed", "%s markup is not closed before a blank line", open.Kind)
						open = nil
					} else {
						value = append(value, '\n')
					}
				}
				if open == nil {
					text = append(text, '\n')
				}
			}
			blank = open != nil && strings.TrimSpace(bl.text) == ""
			rs := []rune(bl.text)
			for i := 0; i < len(rs); i++ {
				col := i + 1
				r := rs[i]
				next := rune(0)
				if i+1 < len(rs) {
					next = rs[i+1]
				}
				emit := func(c rune) {
					if open != nil {
						value = append(value, c)
					} else {
						text = append(text, c)
					}
				}
				switch {
				case r == '\\' && strings.ContainsRune(`[]{}\`, next):
					emit(next)
					i++
				case (r == '[' && next == '[') || (r == '{' && next == '{'):
					if open != nil {
						errorf(bl.n, col, "nested", "markup inside %s markup opened at %d:%d (nesting is not allowed)", open.Kind, open.Line, open.Col)
						i++
						continue
					}
					colon := -1
					for j := i + 2; j < len(rs) && j < i+2+24; j++ {
						if rs[j] == ':' {
							colon = j
							break
						}
					}
					if colon < 0 {
						errorf(bl.n, col, "bad-label", "%q must be followed by LABEL: (write \\%c%c for a literal)", string(r)+string(next), r, next)
						i++
						continue
					}
					label := string(rs[i+2 : colon])
					sp := corpusSpan{Line: bl.n, Col: col, Start: len(text)}
					if r == '[' {
						sp.Kind = corpusPII
						if strings.HasSuffix(label, "?") {
							sp.Kind = corpusOptional
							label = strings.TrimSuffix(label, "?")
						}
						if !pii.Type(label).Valid() {
							errorf(bl.n, col+2, "unknown-type", "unknown PII type %q (want one of %s)", label, pii.Names())
						}
					} else {
						sp.Kind = corpusProtected
						if _, ok := corpusProtectedKinds[label]; !ok {
							errorf(bl.n, col+2, "unknown-kind", "unknown business-identifier kind %q (see README.md)", label)
						}
					}
					sp.Label = label
					open = &sp
					value = value[:0]
					i = colon
				case r == ']' && next == ']' || r == '}' && next == '}':
					want := ']'
					if open != nil && open.Kind == corpusProtected {
						want = '}'
					}
					if open == nil || r != want {
						if open == nil {
							errorf(bl.n, col, "unmatched", "%q without an opening bracket (write \\%c%c for a literal)", string(r)+string(next), r, next)
							i++
							continue
						}
						emit(r) // the other closer is literal inside a value
						continue
					}
					sp := *open
					open = nil
					sp.Value = string(value)
					sp.End = sp.Start + len(value)
					text = append(text, value...)
					i++
					if msg := corpusCheckSpan(sp); msg != "" {
						errorf(sp.Line, sp.Col, "bad-value", "%s", msg)
						continue
					}
					m.Spans = append(m.Spans, sp)
				default:
					emit(r)
				}
			}
		}
		if open != nil {
			errorf(open.Line, open.Col, "unclosed", "%s markup is not closed by the end of message %q", open.Kind, m.ID)
		}
		m.Text = string(text)
		msgs = append(msgs, m)
		cur, body = nil, nil
	}

	lines := strings.Split(string(data), "\n")
	for i, line := range lines {
		n := i + 1
		line = strings.TrimSuffix(line, "\r")
		switch {
		case strings.HasPrefix(line, "%%"):
			continue
		case strings.HasPrefix(line, "@@"):
			flush()
			fields := strings.Fields(strings.TrimPrefix(line, "@@"))
			if len(fields) == 0 || !corpusIDRe.MatchString(fields[0]) {
				errorf(n, 1, "bad-header", "header must be \"@@ ID lang=L src=S\" with a lower-case id")
				continue
			}
			m := corpusMessage{ID: fields[0], File: name, Line: n}
			for _, kv := range fields[1:] {
				k, v, ok := strings.Cut(kv, "=")
				switch {
				case !ok:
					errorf(n, 1, "bad-header", "header field %q is not key=value", kv)
				case k == "lang":
					if !slices.Contains(corpusLangs, v) {
						errorf(n, 1, "bad-header", "unknown lang %q (want one of %s)", v, strings.Join(corpusLangs, ", "))
					}
					m.Lang = v
				case k == "src":
					if !slices.Contains(corpusSources, v) {
						errorf(n, 1, "bad-header", "unknown src %q (want one of %s)", v, strings.Join(corpusSources, ", "))
					}
					m.Src = v
				default:
					errorf(n, 1, "bad-header", "unknown header field %q (want lang, src)", k)
				}
			}
			if m.Lang == "" || m.Src == "" {
				errorf(n, 1, "bad-header", "header of %q needs lang= and src=", m.ID)
			}
			cur = &m
		case cur == nil:
			if strings.TrimSpace(line) != "" {
				errorf(n, 1, "no-header", "text before the first @@ header (comment lines start with %%%%)")
			}
		default:
			body = append(body, struct {
				n    int
				text string
			}{n, line})
		}
	}
	flush()
	return msgs, errors.Join(errs...)
}

// corpusCheckSpan enforces the label policy that can be checked mechanically:
// a span marks exactly the value, never surrounding space or punctuation.
func corpusCheckSpan(s corpusSpan) string {
	v := s.Value
	if v == "" {
		return fmt.Sprintf("empty %s value", s.Label)
	}
	first, _ := utf8.DecodeRuneInString(v)
	last, _ := utf8.DecodeLastRuneInString(v)
	if unicode.IsSpace(first) || unicode.IsSpace(last) {
		return fmt.Sprintf("%s value %q has leading or trailing space", s.Label, v)
	}
	if s.Kind == corpusProtected {
		return ""
	}
	if strings.ContainsRune(",;", last) && s.Label != string(pii.Secret) {
		return fmt.Sprintf("%s value %q ends with punctuation", s.Label, v)
	}
	if last == '.' {
		switch pii.Type(s.Label) {
		case pii.Address, pii.Person, pii.Secret:
		default:
			return fmt.Sprintf("%s value %q ends with a full stop", s.Label, v)
		}
	}
	return ""
}

func TestCorpusLoader(t *testing.T) {
	type span struct {
		Kind  corpusSpanKind
		Label string
		Start int
		End   int
		Value string
	}
	tests := []struct {
		name    string
		in      string
		text    string
		spans   []span
		wantErr string // substring of the error; "" = no error
	}{
		{
			name: "pii and protected",
			in:   "@@ a lang=en-US src=chat\nHi, I'm [[PERSON:Maya Okafor]], order {{ORDER:#1042}}.\n",
			text: "Hi, I'm Maya Okafor, order #1042.",
			spans: []span{
				{corpusPII, "PERSON", 8, 19, "Maya Okafor"},
				{corpusProtected, "ORDER", 27, 32, "#1042"},
			},
		},
		{
			name: "offsets are code points",
			in:   "@@ a lang=de-DE src=chat\n😀 Grüße, [[PERSON:Jörg]] 👍 {{PRICE:12,99 €}}\n",
			text: "😀 Grüße, Jörg 👍 12,99 €",
			spans: []span{
				{corpusPII, "PERSON", 9, 13, "Jörg"},
				{corpusProtected, "PRICE", 16, 23, "12,99 €"},
			},
		},
		{
			name:  "optional span",
			in:    "@@ a lang=en-GB src=chat\nto [[ADDRESS:4 Mill Lane]], [[ADDRESS?:Leeds]]\n",
			text:  "to 4 Mill Lane, Leeds",
			spans: []span{{corpusPII, "ADDRESS", 3, 14, "4 Mill Lane"}, {corpusOptional, "ADDRESS", 16, 21, "Leeds"}},
		},
		{
			name:  "escapes",
			in:    "@@ a lang=en-US src=note\nmacro \\{{first_name\\}} and \\[[x\\]] and C:\\temp and [[SECRET:a\\]b]]\n",
			text:  "macro {{first_name}} and [[x]] and C:\\temp and a]b",
			spans: []span{{corpusPII, "SECRET", 47, 50, "a]b"}},
		},
		{
			name:  "multi-line message and value, blank lines trimmed, comments dropped",
			in:    "%% file comment\n\n@@ a lang=en-US src=email\n\nHello,\n%% note for editors\n[[ADDRESS:Flat 2\n10 Elm Road]]\nbye\n\n\n@@ b lang=en-US src=chat\nok\n",
			text:  "Hello,\nFlat 2\n10 Elm Road\nbye",
			spans: []span{{corpusPII, "ADDRESS", 7, 25, "Flat 2\n10 Elm Road"}},
		},
		{
			name: "other closer is literal inside a value",
			in:   "@@ a lang=en-US src=chat\npw [[SECRET:x}}y]] ok\n",
			text: "pw x}}y ok", spans: []span{{corpusPII, "SECRET", 3, 7, "x}}y"}},
		},
		{name: "unknown type", in: "@@ a lang=en-US src=chat\nhi [[NAME:Bob]]\n", wantErr: "x.txt:2:6: error: unknown PII type \"NAME\""},
		{name: "unknown kind", in: "@@ a lang=en-US src=chat\nhi {{ORDR:1}}\n", wantErr: "x.txt:2:6: error: unknown business-identifier kind \"ORDR\""},
		{name: "unclosed at end", in: "@@ a lang=en-US src=chat\nhi [[PERSON:Bob\n", wantErr: "x.txt:2:4: error: pii markup is not closed by the end of message"},
		{name: "unclosed before blank line", in: "@@ a lang=en-US src=chat\nhi [[PERSON:Bob\n\nmore]]\n", wantErr: "x.txt:2:4: error: pii markup is not closed before a blank line"},
		{name: "nested", in: "@@ a lang=en-US src=chat\n[[ADDRESS:1 Elm St {{ORDER:1}}]]\n", wantErr: "x.txt:2:20: error: markup inside pii markup opened at 2:1"},
		{name: "stray closer", in: "@@ a lang=en-US src=chat\nhi ]] there\n", wantErr: "x.txt:2:4: error: \"]]\" without an opening bracket"},
		{name: "missing label", in: "@@ a lang=en-US src=chat\nlist [[1, 2]]\n", wantErr: "x.txt:2:6: error: \"[[\" must be followed by LABEL:"},
		{name: "empty value", in: "@@ a lang=en-US src=chat\nhi [[PERSON:]]\n", wantErr: "x.txt:2:4: error: empty PERSON value"},
		{name: "trailing space", in: "@@ a lang=en-US src=chat\nhi [[PERSON:Bob ]]\n", wantErr: "has leading or trailing space"},
		{name: "trailing comma", in: "@@ a lang=en-US src=chat\nhi [[PERSON:Bob,]]\n", wantErr: "ends with punctuation"},
		{name: "trailing full stop", in: "@@ a lang=en-US src=chat\nmail [[EMAIL:a@example.com.]]\n", wantErr: "ends with a full stop"},
		{name: "text before header", in: "hello\n@@ a lang=en-US src=chat\nhi\n", wantErr: "x.txt:1:1: error: text before the first @@ header"},
		{name: "bad header", in: "@@ A lang=en-US src=chat\nhi\n", wantErr: "x.txt:1:1: error: header must be"},
		{name: "unknown lang", in: "@@ a lang=en src=chat\nhi\n", wantErr: "unknown lang \"en\""},
		{name: "missing src", in: "@@ a lang=en-US\nhi\n", wantErr: "needs lang= and src="},
		{name: "unknown header field", in: "@@ a lang=en-US src=chat foo=1\nhi\n", wantErr: "unknown header field \"foo\""},
		{name: "empty message", in: "@@ a lang=en-US src=chat\n\n@@ b lang=en-US src=chat\nhi\n", wantErr: "x.txt:1:1: error: message \"a\" has no text"},
		{name: "invalid utf-8", in: "@@ a lang=en-US src=chat\nhi \xff\n", wantErr: "x.txt:1:1: error: file is not valid UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msgs, err := parseCorpus("x.txt", []byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if msgs[0].Text != tc.text {
				t.Errorf("text = %q, want %q", msgs[0].Text, tc.text)
			}
			var got []span
			for _, s := range msgs[0].Spans {
				got = append(got, span{s.Kind, s.Label, s.Start, s.End, s.Value})
				if r := []rune(msgs[0].Text); string(r[s.Start:s.End]) != s.Value {
					t.Errorf("span %v does not point at its value in the text", s)
				}
			}
			if !slices.Equal(got, tc.spans) {
				t.Errorf("spans = %+v, want %+v", got, tc.spans)
			}
		})
	}
	t.Run("duplicate ids across files", func(t *testing.T) {
		dir := t.TempDir()
		for _, f := range []string{"a.txt", "b.txt"} {
			if err := os.WriteFile(filepath.Join(dir, f), []byte("@@ same lang=en-US src=chat\nhi\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		_, err := loadCorpus(dir)
		if err == nil || !strings.Contains(err.Error(), "b.txt:1:1: error: duplicate message id \"same\"") {
			t.Fatalf("error = %v, want a duplicate-id error naming b.txt:1", err)
		}
	})
}

// TestCorpusLabels checks the corpus itself: size, balance, coverage of
// every type, and that every labelled value is well formed and reserved or
// fictional, so that a miss is the filter's fault, never the label's.
func TestCorpusLabels(t *testing.T) {
	msgs, err := loadCorpus(filepath.Join("testdata", "corpus"))
	if err != nil {
		t.Fatal(err)
	}
	const minMessages = 600
	if len(msgs) < minMessages {
		t.Errorf("corpus has %d messages, want at least %d", len(msgs), minMessages)
	}
	// The same string must not be PII in one message and a protected
	// identifier in another: that would be a labelling slip, not a hard case.
	firstSeen := map[string]string{}
	for _, m := range msgs {
		for _, s := range m.Spans {
			if s.Kind == corpusOptional {
				continue
			}
			key := strings.ToLower(s.Value)
			role := "PII " + s.Label
			if s.Kind == corpusProtected {
				role = "protected"
			}
			where := fmt.Sprintf("%s:%d:%d (%s)", m.File, s.Line, s.Col, role)
			prev, ok := firstSeen[key]
			switch {
			case !ok:
				firstSeen[key] = where
			case strings.HasSuffix(prev, "(protected)") != (s.Kind == corpusProtected):
				t.Errorf("%s: %q is labelled differently at %s", where, s.Value, prev)
			}
		}
	}
	negOnly := 0
	perType := map[string]int{}
	perLang := map[string]int{}
	perSrc := map[string]int{}
	for _, m := range msgs {
		perLang[m.Lang]++
		perSrc[m.Src]++
		if len(m.spansOf(corpusPII)) == 0 && len(m.spansOf(corpusOptional)) == 0 && len(m.spansOf(corpusProtected)) > 0 {
			negOnly++
		}
		for _, s := range m.Spans {
			if s.Kind == corpusPII {
				perType[s.Label]++
			}
			if msg := corpusCheckValue(s); msg != "" {
				t.Errorf("%s:%d:%d: %s %s %q: %s", m.File, s.Line, s.Col, s.Kind, s.Label, s.Value, msg)
			}
		}
	}
	if negOnly*3 < len(msgs) {
		t.Errorf("%d of %d messages hold only hard negatives, want at least a third", negOnly, len(msgs))
	}
	for _, ty := range pii.All() {
		if perType[string(ty)] < 10 {
			t.Errorf("type %s has %d gold spans, want at least 10", ty, perType[string(ty)])
		}
	}
	for _, l := range corpusLangs {
		if l != "mixed" && perLang[l] < 40 {
			t.Errorf("language %s has %d messages, want at least 40", l, perLang[l])
		}
	}
	t.Logf("%d messages, %d (%.0f%%) with only hard negatives", len(msgs), negOnly, 100*float64(negOnly)/float64(len(msgs)))
	t.Logf("gold spans per type: %v", perType)
	t.Logf("messages per language: %v; per source: %v", perLang, perSrc)
}

// corpusCheckValue validates a labelled value; "" means fine. PII must be well
// formed (so a detector that validates can find it) and reserved or
// fictional; hard negatives that imitate a checksummed format must fail it.
func corpusCheckValue(s corpusSpan) string {
	v := s.Value
	if s.Kind == corpusProtected {
		switch s.Label {
		case "NUMBER", "ORDER", "TRACKING", "INVOICE", "REF", "ID", "EAN", "SKU":
			d := corpusDigits(v)
			if len(d) >= 13 && len(d) <= 19 && len(d) == len(strings.NewReplacer(" ", "", "-", "").Replace(v)) && corpusLuhn(d) && !strings.HasPrefix(d, "0") && corpusCardPrefix(d) {
				return "a hard negative that passes Luhn with a card prefix (pick a number that fails it)"
			}
			if corpusLooksLikeIBAN(v) && corpusIBANValid(v) {
				return "a hard negative that passes the IBAN mod-97 check"
			}
		case "TOKEN":
			if _, err := pii.ParseToken(v); err != nil {
				return "not a well-formed cxgate token"
			}
		case "UUID":
			if !regexp.MustCompile(`^(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`).MatchString(v) {
				return "not a UUID"
			}
		}
		return ""
	}
	if s.Kind == corpusOptional {
		// Optional spans hold ambiguous text (an expiry, a CVV, a hotline):
		// only the rule that every value is reserved applies.
		switch pii.Type(s.Label) {
		case pii.Email:
			return corpusCheckEmail(v)
		case pii.IP:
			return corpusCheckIP(v, true)
		case pii.Phone:
			if len(corpusDigits(v)) >= 7 && !corpusPhoneValid(v) {
				return "not a valid number for US, GB, DE, FR, IN or BR (nor a reserved drama number)"
			}
		}
		return ""
	}
	switch pii.Type(s.Label) {
	case pii.Email:
		if msg := corpusCheckEmail(v); msg != "" {
			return msg
		}
	case pii.Phone:
		if !corpusPhoneValid(v) {
			return "not a valid number for US, GB, DE, FR, IN or BR (nor a reserved drama number)"
		}
	case pii.Card:
		d := corpusDigits(v)
		if len(d) < 13 || len(d) > 19 || !corpusLuhn(d) {
			return "not 13-19 digits passing Luhn"
		}
		if !corpusTestCards[d] {
			return "not a published test card number (add it to corpusTestCards with its source)"
		}
	case pii.IBAN:
		if !corpusIBANValid(v) {
			return "fails the IBAN length or mod-97 check"
		}
	case pii.SSN:
		if !corpusSSNValid(v) {
			return "not a 9-digit SSN in the issued ranges"
		}
		if corpusDigits(v) == "078051120" {
			return "the Woolworth wallet SSN: pick another"
		}
	case pii.NINO:
		if !corpusNINOValid(v) {
			return "not a NINO with a valid prefix and suffix"
		}
	case pii.IP:
		if msg := corpusCheckIP(v, false); msg != "" {
			return msg
		}
	}
	return ""
}

// corpusTestCards are card numbers published as test numbers by payment
// processors (Stripe, Adyen, Braintree, PayPal sandbox docs).
var corpusTestCards = map[string]bool{
	"4111111111111111": true, "4012888888881881": true, "4242424242424242": true,
	"4000056655665556": true, "4000002500003155": true, "4000000000000077": true,
	"4222222222222": true, "4917484589897107": true,
	"5555555555554444": true, "5105105105105100": true, "5200828282828210": true,
	"2223003122003222": true, "5425233430109903": true, "2222400070000005": true,
	"378282246310005": true, "371449635398431": true, "340000000000009": true, "370000000002032": true,
	"6011111111111117": true, "6011000990139424": true,
	"30569309025904": true, "38520000023237": true,
	"3530111333300000": true, "3566002020360505": true,
	"6200000000000005": true, "6759649826438453": true,
}

func corpusDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func corpusLuhn(d string) bool {
	sum := 0
	for i := 0; i < len(d); i++ {
		x := int(d[len(d)-1-i] - '0')
		if i%2 == 1 {
			x *= 2
			if x > 9 {
				x -= 9
			}
		}
		sum += x
	}
	return len(d) > 0 && sum%10 == 0
}

// corpusCardPrefix reports whether d starts like a payment card (Visa, Mastercard,
// Amex, Discover, Diners, JCB, UnionPay, Maestro).
func corpusCardPrefix(d string) bool {
	for _, p := range []string{"4", "51", "52", "53", "54", "55", "22", "23", "24", "25", "26", "27", "34", "37", "6011", "65", "64", "30", "36", "38", "35", "62", "50", "56", "57", "58", "67"} {
		if strings.HasPrefix(d, p) {
			return true
		}
	}
	return false
}

// corpusIBANLengths are the IBAN lengths of the countries the corpus uses.
var corpusIBANLengths = map[string]int{
	"AT": 20, "BE": 16, "BR": 29, "CH": 21, "DE": 22, "ES": 24, "FR": 27, "GB": 22,
	"IE": 22, "IT": 27, "LU": 20, "NL": 18, "PT": 25,
}

var corpusIBANShapeRe = regexp.MustCompile(`^(?i)[a-z]{2}[0-9]{2}[a-z0-9 ]{10,}$`)

func corpusLooksLikeIBAN(v string) bool { return corpusIBANShapeRe.MatchString(v) }

func corpusIBANValid(v string) bool {
	s := strings.ToUpper(strings.ReplaceAll(v, " ", ""))
	if len(s) < 5 || corpusIBANLengths[s[:2]] != len(s) {
		return false
	}
	s = s[4:] + s[:4]
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z':
			fmt.Fprintf(&b, "%d", r-'A'+10)
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			return false
		}
	}
	n, ok := new(big.Int).SetString(b.String(), 10)
	return ok && new(big.Int).Mod(n, big.NewInt(97)).Int64() == 1
}

func corpusSSNValid(v string) bool {
	d := corpusDigits(v)
	if len(d) != 9 {
		return false
	}
	area, group, serial := d[:3], d[3:5], d[5:]
	return area != "000" && area != "666" && area[0] != '9' && group != "00" && serial != "0000"
}

var corpusNINORe = regexp.MustCompile(`^([A-CEGHJ-PR-TW-Z])([A-CEGHJ-NPR-TW-Z]) ?(\d{2}) ?(\d{2}) ?(\d{2}) ?([A-D])$`)

func corpusNINOValid(v string) bool {
	m := corpusNINORe.FindStringSubmatch(strings.ToUpper(v))
	if m == nil {
		return false
	}
	switch m[1] + m[2] {
	case "BG", "GB", "KN", "NK", "NT", "TN", "ZZ":
		return false
	}
	return true
}

// corpusPhoneValid corpusAccepts numbers libphonenumber validates for one of the six
// regions, plus the reserved drama ranges libphonenumber rejects (Ofcom's
// 07700 900xxx mobiles, ARCEP's 06 39 98 xx xx): they stand in for real
// mobiles in this corpus, and a filter must find them by format and context.
func corpusPhoneValid(v string) bool {
	d := corpusDigits(strings.ReplaceAll(v, "(0)", ""))
	for _, drama := range []struct {
		prefix string
		digits int
	}{{"07700900", 11}, {"447700900", 12}, {"063998", 10}, {"3363998", 11}} {
		if strings.HasPrefix(d, drama.prefix) && len(d) == drama.digits {
			return true
		}
	}
	for _, r := range []string{"US", "GB", "DE", "FR", "IN", "BR"} {
		if n, err := phonenumbers.Parse(v, r); err == nil && phonenumbers.IsValidNumber(n) {
			return true
		}
	}
	return false
}

// corpusCheckEmail corpusAccepts reserved domains only (RFC 2606/6761: example.com,
// .net, .org and the .example TLD), written plainly or obfuscated.
func corpusCheckEmail(v string) string {
	s := strings.ToLower(v)
	for _, r := range []struct{ from, to string }{
		{" [at] ", "@"}, {"[at]", "@"}, {" (at) ", "@"}, {"(at)", "@"}, {" at ", "@"}, {" arobase ", "@"}, {"{at}", "@"}, {" (arroba) ", "@"}, {" arroba ", "@"},
		{" [dot] ", "."}, {"[dot]", "."}, {" (dot) ", "."}, {"(dot)", "."}, {" dot ", "."}, {" point ", "."}, {" ponto ", "."}, {" punkt ", "."}, {" (ponto) ", "."}, {" (punkt) ", "."}, {"{dot}", "."},
	} {
		s = strings.ReplaceAll(s, r.from, r.to)
	}
	at := strings.LastIndex(s, "@")
	if at <= 0 {
		return "no @ (or obfuscated at) in the address"
	}
	dom := s[at+1:]
	if dom == "example.com" || dom == "example.net" || dom == "example.org" ||
		strings.HasSuffix(dom, ".example.com") || strings.HasSuffix(dom, ".example.net") ||
		strings.HasSuffix(dom, ".example.org") || strings.HasSuffix(dom, ".example") {
		return ""
	}
	return fmt.Sprintf("domain %q is not reserved for documentation", dom)
}

// corpusCheckIP corpusAccepts documentation ranges; optional spans may also hold
// private (RFC 1918) addresses such as a router's admin page.
func corpusCheckIP(v string, optional bool) string {
	a, err := netip.ParseAddr(v)
	if err != nil {
		return "not an IP address"
	}
	for _, p := range []string{"192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32"} {
		if netip.MustParsePrefix(p).Contains(a) {
			return ""
		}
	}
	if optional && a.IsPrivate() {
		return ""
	}
	return "not in a documentation range (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32)"
}
