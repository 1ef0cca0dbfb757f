package filter

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cxgate/cxgate/pii"
)

func isLocalByte(c byte) bool {
	return isAlnumASCII(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-' || c == '\''
}

func isDomainByte(c byte) bool { return isAlnumASCII(c) || c == '.' || c == '-' }

// emails finds addresses around each "@" and the obfuscated forms people
// type ("name at example dot com", "name[at]example(dot)com").
func (d *doc) emails() {
	t := d.text
	for off := 0; ; {
		k := strings.IndexByte(t[off:], '@')
		if k < 0 {
			break
		}
		at := off + k
		off = at + 1
		// left: local part (ASCII or letters)
		s := at
		for s > 0 && at-s <= 64 {
			c := t[s-1]
			if c < utf8.RuneSelf {
				if !isLocalByte(c) {
					break
				}
				s--
				continue
			}
			r, sz := utf8.DecodeLastRuneInString(t[:s])
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				break
			}
			s -= sz
		}
		for s < at && (t[s] == '.' || t[s] == '\'' || t[s] == '-') {
			s++
		}
		e := at + 1
		for e < len(t) && e-at <= 254 {
			c := t[e]
			if c < utf8.RuneSelf {
				if !isDomainByte(c) {
					break
				}
				e++
				continue
			}
			r, sz := utf8.DecodeRuneInString(t[e:])
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				break
			}
			e += sz
		}
		for e > at+1 && (t[e-1] == '.' || t[e-1] == '-') {
			e--
		}
		if s == at || at-s > 64 || !validDomain(t[at+1:e], false) {
			// "name @ example.com": spaces around the sign
			if s == at && at >= 2 && t[at-1] == ' ' && at+1 < len(t) && t[at+1] == ' ' {
				d.spacedAt(at)
			}
			continue
		}
		d.add(s, e, pii.Email, 3)
		off = e
	}
	if d.seen&wAtWord == 0 {
		return
	}
	for _, h := range d.route[rEmail] {
		i := int(h)
		// "at", "arroba", "arobase", "chez": the lexicon's at-words
		if tk := d.toks[i]; tk.lx&wAtWord != 0 && tk.flags()&tAlpha != 0 {
			d.obfuscatedEmail(i)
		}
	}
}

func (d *doc) spacedAt(at int) {
	t := d.text
	s := at - 1
	for s > 0 && at-s <= 64 && isLocalByte(t[s-1]) {
		s--
	}
	e := at + 2
	for e < len(t) && e-at <= 254 && isDomainByte(t[e]) {
		e++
	}
	for e > at+2 && (t[e-1] == '.' || t[e-1] == '-') {
		e--
	}
	if s < at-1 && validDomain(t[at+2:e], false) {
		d.add(s, e, pii.Email, 2)
	}
}

// validDomain checks labels and the top-level domain. knownTLD demands a
// TLD from the short list (for spelled-out dots).
func validDomain(dom string, knownTLD bool) bool {
	if len(dom) < 4 || len(dom) > 253 {
		return false
	}
	if strings.IndexByte(dom, '.') < 0 {
		return false
	}
	var tld string
	for rest := dom; ; {
		l := rest
		k := strings.IndexByte(rest, '.')
		if k >= 0 {
			l, rest = rest[:k], rest[k+1:]
		}
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		if k < 0 {
			tld = l
			break
		}
	}
	if len(tld) < 2 {
		return false
	}
	if strings.HasPrefix(tld, "xn--") {
		return true
	}
	for _, r := range tld {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	if knownTLD {
		return commonTLD(lower(tld))
	}
	return true
}

func commonTLD(t string) bool {
	switch t {
	case "com", "org", "net", "edu", "gov", "io", "co", "uk", "de", "fr", "br", "in", "info", "biz", "me", "us",
		"ca", "au", "es", "it", "nl", "eu", "ch", "at", "be", "app", "dev", "ai", "xyz", "online", "shop", "store",
		"email", "mail", "tech", "pt", "ie", "se", "no", "dk", "fi", "pl", "jp", "cn", "ru", "mx", "ar", "nz", "za",
		"sg", "hk", "example", "test", "invalid", "local", "cloud", "site", "web", "page", "live", "life":
		return true
	}
	return false
}

// obfuscatedEmail reads "local at domain dot tld" around the word "at" at i.
func (d *doc) obfuscatedEmail(i int) {
	if i == 0 || i+1 >= len(d.toks) {
		return
	}
	gb, ga := d.gap(i), d.gap(i+1)
	bracketed := closes(strings.TrimLeft(gb, " "), ga)
	spaced := strings.TrimSpace(gb) == "" && strings.TrimSpace(ga) == "" && gb != "" && ga != ""
	if !bracketed && !spaced {
		return
	}
	// local part: words joined by . _ - + (or "dot")
	ls := i - 1
	if d.toks[ls].flags()&tHasAlpha == 0 && d.toks[ls].flags()&tDigit == 0 {
		return
	}
	for ls > 0 {
		g := d.gap(ls)
		if g == "." || g == "_" || g == "-" || g == "+" {
			ls--
			continue
		}
		// "aaliyah dot brooks at ...", "derek(dot)simmons(at)..."
		if ls >= 2 && d.lw(ls-1) == "dot" && d.toks[ls-2].flags()&(tHasAlpha|tDigit) != 0 {
			g0 := d.gap(ls - 1)
			if closes(strings.TrimLeft(g0, " "), g) || g0 == " " && g == " " {
				ls -= 2
				continue
			}
		}
		break
	}
	localStart := int(d.toks[ls].s)
	if ls == i-1 && !bracketed && d.toks[ls].lx&(wStop|cueEmail|cueAddress|cuePhone) != 0 {
		return // "reach me at example.com", "look at ..."
	}
	// domain: labels joined by "." or a spelled-out dot
	j := i + 1
	labels := 1
	spelled := false
	var buf [64]byte // most domains fit: no allocation
	b := append(buf[:0], d.word(j)...)
	for j+1 < len(d.toks) && labels < 10 {
		g := d.gap(j + 1)
		if g == "." || g == "-" {
			if g == "." {
				labels++
			}
			b = append(b, g...)
			j++
			b = append(b, d.word(j)...)
			continue
		}
		// " dot ", "[dot]", "(dot)"
		if j+2 < len(d.toks) && (d.lw(j+1) == "dot" || d.lw(j+1) == "punto" || d.lw(j+1) == "ponto" || d.lw(j+1) == "point") {
			g2 := d.gap(j + 2)
			if closes(strings.TrimLeft(g, " "), g2) || (strings.TrimSpace(g) == "" && strings.TrimSpace(g2) == "" && g != "" && g2 != "") {
				spelled = true
				labels++
				b = append(b, '.')
				j += 2
				b = append(b, d.word(j)...)
				continue
			}
		}
		break
	}
	if labels < 2 {
		return
	}
	dom := string(b)
	if !validDomain(dom, spelled || !bracketed) {
		return
	}
	if !bracketed && !spelled {
		// "name at example.com": only with a cue or an address-like local part
		local := d.text[localStart:d.toks[i-1].e]
		if !strings.ContainsAny(local, "._+0123456789") && !d.hasCue(ls, 6, cueEmail) {
			return
		}
	}
	if !bracketed && d.toks[i+1].lx&wStop != 0 && !spelled {
		return
	}
	d.add(localStart, int(d.toks[j].e), pii.Email, 2)
}

// closes reports whether before ends with an opening bracket whose partner
// starts after.
func closes(before, after string) bool {
	if before == "" || after == "" {
		return false
	}
	o := before[len(before)-1]
	a := strings.TrimLeft(after, " ")
	if a == "" {
		return false
	}
	c := a[0]
	return o == '[' && c == ']' || o == '(' && c == ')' || o == '{' && c == '}' || o == '<' && c == '>'
}

// normalise gives the value a tokenizer sees: equal values in different
// spellings share a token.
func normalise(t pii.Type, v string) string {
	switch t {
	case pii.Email:
		if strings.IndexByte(v, '@') < 0 || strings.Contains(v, " @ ") {
			return deobfuscateEmail(v)
		}
		return strings.ToLower(v)
	case pii.Card, pii.IBAN, pii.SSN, pii.NINO:
		var b strings.Builder
		for _, r := range v {
			if isAlnumRune(r) {
				b.WriteRune(unicode.ToUpper(r))
			}
		}
		return b.String()
	case pii.Phone:
		return phoneE164(v)
	}
	return v
}

func deobfuscateEmail(v string) string {
	s := strings.ToLower(v)
	r := strings.NewReplacer("[at]", "@", "(at)", "@", "{at}", "@", "<at>", "@", " at ", "@", " arroba ", "@", " arobase ", "@", " chez ", "@",
		"[dot]", ".", "(dot)", ".", "{dot}", ".", "<dot>", ".", " dot ", ".", " punto ", ".", " ponto ", ".", " point ", ".",
		" @ ", "@")
	s = r.Replace(s)
	return strings.Join(strings.Fields(s), "")
}
