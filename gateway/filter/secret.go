package filter

import (
	"math"
	"sort"
	"strings"

	"github.com/cxgate/cxgate/pii"
)

func isSecretByte(c byte) bool {
	return isAlnumASCII(c) || c == '_' || c == '-' || c == '.' || c == '=' || c == '+' || c == '/'
}

// secretEnd extends a key from byte s over the key alphabet.
func (d *doc) secretEnd(s int) int {
	e := s
	for e < len(d.text) && e-s < 1024 && isSecretByte(d.text[e]) {
		e++
	}
	for e > s && (d.text[e-1] == '.' || d.text[e-1] == '-' || d.text[e-1] == '/') {
		e--
	}
	return e
}

// secrets finds vendor keys by their prefixes (Stripe, AWS, GitHub, Slack,
// Google, OpenAI, SendGrid, JWT, PEM private keys) and values after
// password, PIN and key cues in several languages.
func (d *doc) secrets() {
	t := d.text
	n := len(d.toks)
	next := 0
	for _, h := range d.route[rSecret] {
		i := int(h)
		if i < next {
			continue
		}
		tk := d.toks[i]
		s := int(tk.s)
		w := d.word(i)
		if len(w) >= 2 && vendorFirst(w[0]) && (s == 0 || !isAlnumASCII(t[s-1]) && t[s-1] != '_') {
			if e, ok := d.vendorKey(s, w); ok {
				d.add(s, e, pii.Secret, 3)
				for next = i + 1; next < n && int(d.toks[next].s) < e; next++ {
				}
				continue
			}
		}
		if tk.lx&cueSecret != 0 {
			d.cuedSecret(i)
		}
	}
	if strings.Contains(t, "-----BEGIN") {
		for off := 0; ; {
			k := strings.Index(t[off:], "-----BEGIN")
			if k < 0 {
				break
			}
			s := off + k
			head := t[s:min(len(t), s+80)]
			if !strings.Contains(head, "PRIVATE KEY-----") {
				off = s + 10
				continue
			}
			e := strings.Index(t[s+10:], "-----END")
			end := len(t)
			if e >= 0 {
				end = s + 10 + e
				if x := strings.Index(t[end+8:], "-----"); x >= 0 {
					end += 8 + x + 5
				}
			}
			d.add(s, end, pii.Secret, 3)
			off = end
		}
	}
}

// vendorFirst: the first letters of the vendor prefixes vendorKey knows.
func vendorFirst(c byte) bool {
	switch c {
	case 's', 'r', 'w', 'A', 'g', 'x', 'e', 'S':
		return true
	}
	return false
}

// vendorKey recognises keys by their documented prefixes.
func (d *doc) vendorKey(s int, w string) (int, bool) {
	t := d.text
	rest := t[s:]
	switch {
	case w == "sk" || w == "rk" || w == "whsec" || w == "sk_live" || w == "sk_test":
		if strings.HasPrefix(rest, "whsec_") {
			e := d.secretEnd(s)
			return e, e-s >= 20
		}
		for _, p := range [...]string{"sk_live_", "sk_test_", "rk_live_", "rk_test_", "sk_prod_", "rk_prod_"} {
			if strings.HasPrefix(rest, p) {
				e := d.secretEnd(s)
				return e, e-s >= len(p)+10
			}
		}
		if strings.HasPrefix(rest, "sk-") { // OpenAI-style
			e := d.secretEnd(s)
			return e, e-s >= 23 && entropy(t[s+3:e]) >= 3.5
		}
	case len(w) == 20 && (strings.HasPrefix(w, "AKIA") || strings.HasPrefix(w, "ASIA") || strings.HasPrefix(w, "ABIA") || strings.HasPrefix(w, "ACCA")):
		for i := 4; i < 20; i++ {
			c := w[i]
			if !(isUpper(c) || c >= '2' && c <= '7') && !isDigit(c) {
				return 0, false
			}
		}
		return s + 20, true
	case w == "ghp" || w == "gho" || w == "ghu" || w == "ghs" || w == "ghr":
		if len(rest) > 4 && rest[3] == '_' {
			e := d.secretEnd(s)
			return e, e-s >= 40
		}
	case w == "github":
		if strings.HasPrefix(rest, "github_pat_") {
			e := d.secretEnd(s)
			return e, e-s >= 40
		}
	case w == "xoxb" || w == "xoxp" || w == "xoxa" || w == "xoxr" || w == "xoxs" || w == "xoxe":
		if len(rest) > 5 && rest[4] == '-' {
			e := d.secretEnd(s)
			return e, e-s >= 15
		}
	case strings.HasPrefix(w, "eyJ"):
		e := d.secretEnd(s)
		v := t[s:e]
		if strings.Count(v, ".") == 2 && len(v) >= 30 {
			parts := strings.Split(v, ".")
			if strings.HasPrefix(parts[1], "eyJ") && len(parts[2]) >= 8 {
				return e, true
			}
		}
	case strings.HasPrefix(w, "AIza") && len(w) >= 10:
		e := d.secretEnd(s)
		return e, e-s == 39
	case w == "SG":
		e := d.secretEnd(s)
		v := t[s:e]
		return e, strings.HasPrefix(v, "SG.") && strings.Count(v, ".") == 2 && len(v) >= 60
	}
	return 0, false
}

// secretKind is what a cue announces.
type secretKind uint8

const (
	secretPassword secretKind = iota + 1
	secretPIN                 // digits only: PIN, OTP, CVV, verification code
	secretKey                 // API key, token, client secret: long, high entropy
)

// cuedSecret reads the value after a password, PIN or key cue at word i.
func (d *doc) cuedSecret(i int) {
	n := len(d.toks)
	l := d.lw(i)
	kind := secretKind(0)
	switch l {
	case "password", "passwort", "passwd", "pwd", "pw", "passcode", "passphrase", "kennwort", "mdp", "senha",
		"contraseña", "contrasena", "clave", "pass", "login":
		kind = secretPassword
		if l == "pass" && i > 0 && d.lw(i-1) == "boarding" {
			return
		}
		if l == "login" {
			// "login: jdoe / pass: ..." - the word login alone is not a cue
			return
		}
	case "passe":
		if i >= 2 && d.lw(i-1) == "de" && d.lw(i-2) == "mot" {
			kind = secretPassword
		}
	case "pin", "otp", "cvv", "cvc", "csc", "cvv2", "tan":
		kind = secretPIN
	case "code", "codigo", "código":
		if i > 0 {
			switch d.lw(i - 1) {
			case "verification", "security", "otp", "auth", "authentication", "access", "login", "confirmation",
				"2fa", "mfa", "one-time", "time", "sms", "bestätigungs", "sicherheits", "vérification",
				"sécurité", "verificação", "segurança", "acesso":
				kind = secretPIN
				if d.lw(i-1) == "confirmation" {
					return // booking confirmation codes are business references
				}
			}
		}
		if i+1 < n && (d.lw(i+1) == "de") && i+2 < n {
			switch d.lw(i + 2) {
			case "vérification", "sécurité", "verificação", "segurança", "acesso", "verificación":
				kind = secretPIN
				i += 2
			}
		}
	case "apikey", "token", "secret", "bearer", "credential", "credentials", "key", "keys", "schlüssel", "chave", "clé":
		kind = secretKey
		if l == "key" || l == "keys" || l == "secret" || l == "token" || l == "schlüssel" || l == "chave" || l == "clé" {
			p := ""
			if i > 0 {
				p = d.lw(i - 1)
			}
			switch p {
			case "api", "access", "secret", "private", "client", "auth", "license", "licence", "product", "app",
				"signing", "webhook", "session", "refresh", "bearer", "personal", "stripe", "aws", "github", "slack":
			default:
				if l != "secret" && l != "token" && !(l == "chave" && i+2 < n && d.lw(i+2) == "api") && !(l == "clé" && i+2 < n && d.lw(i+2) == "api") {
					return
				}
			}
		}
	default:
		return
	}
	if kind == 0 {
		return
	}
	// skip ":", "=", "is", "was", quotes and a few filler words
	t := d.text
	p := int(d.toks[i].e)
	for words := 0; words < 4 && p < len(t) && p-int(d.toks[i].e) < 64; {
		c := t[p]
		if c == ' ' || c == ':' || c == '=' || c == '\t' || c == '-' && p+1 < len(t) && t[p+1] == ' ' || c == '>' {
			p++
			continue
		}
		if c == '\n' {
			if strings.TrimSpace(t[int(d.toks[i].e):p]) == ":" || strings.TrimSpace(t[int(d.toks[i].e):p]) == "" {
				p++
				continue
			}
			return
		}
		// a filler word?
		q := p
		for q < len(t) && (isAlnumASCII(t[q]) || t[q] >= 0x80) {
			q++
		}
		fw := lower(t[p:q])
		switch fw {
		case "is", "was", "ist", "est", "é", "es", "are", "now", "new", "temporary", "temp", "the", "my", "to", "set",
			"as", "be", "it", "it's", "like", "number", "no", "nr", "code", "de", "mein", "meine", "mon", "minha",
			"mi", "nova", "neue", "nouveau", "nouvelle", "actual", "current", "old", "key", "lautet", "será", "sera":
			if q == p {
				break
			}
			words++
			p = q
			continue
		}
		break
	}
	sepSeen := hasAnyByte(t[int(d.toks[i].e):p], ":=") || p > int(d.toks[i].e) && strings.Contains(lower(t[int(d.toks[i].e):p]), "is")
	switch l {
	case "pass", "pw", "code", "codigo", "código", "tan", "pin":
		if !sepSeen && !(l == "pin" && d.toks[i].flags()&tAllUpper != 0) && kind != secretPIN {
			return
		}
		if l == "pass" && !sepSeen {
			return
		}
	}
	if kind == secretPassword || kind == secretKey {
		defer d.secretsNear(i, kind)
	}
	if p >= len(t) {
		return
	}
	quoted := byte(0)
	if c := t[p]; c == '"' || c == '\'' || c == '`' || c == '«' {
		quoted = c
		p++
	} else if strings.HasPrefix(t[p:], "“") || strings.HasPrefix(t[p:], "‘") {
		quoted = '"'
		p += 3
	}
	s := p
	e := s
	for e < len(t) && e-s <= 200 {
		c := t[e]
		if quoted != 0 {
			if c == quoted || c == '\n' || strings.HasPrefix(t[e:], "”") || strings.HasPrefix(t[e:], "’") {
				break
			}
		} else if c == ' ' || c == '\n' || c == '\t' || c == '\r' {
			break
		}
		e++
	}
	if quoted == 0 {
		for e > s && strings.IndexByte(".,;:)]}\"'?", t[e-1]) >= 0 {
			e--
		}
	}
	v := t[s:e]
	if len(v) == 0 || len(v) > 200 {
		return
	}
	// "the admin password is X", "le mot de passe admin est X": the value follows
	if quoted == 0 && e+1 < len(t) && t[e] == ' ' {
		q := e + 1
		for q < len(t) && (isAlnumASCII(t[q]) || t[q] >= 0x80) {
			q++
		}
		switch lower(t[e+1 : q]) {
		case "is", "est", "ist", "é", "es", "was", "était", "war", "era", "foi", "lautet":
			if lx := d.f.lex.lookup(v, d.buf[:]); lx&wStop == 0 || len(v) <= 8 {
				r := q
				for r < len(t) && (t[r] == ' ' || t[r] == ':') {
					r++
				}
				s = r
				e = r
				for e < len(t) && e-r <= 200 && t[e] != ' ' && t[e] != '\n' && t[e] != '\t' {
					e++
				}
				for e > s && strings.IndexByte(".,;:)]}\"'?", t[e-1]) >= 0 {
					e--
				}
				v = t[s:e]
				if v == "" {
					return
				}
			}
		}
	}
	if !d.secretValueOK(kind, v, quoted != 0, s) {
		return
	}
	d.addForce(s, e, pii.Secret, 2)
}

// secretValueOK rejects values that are words of the sentence ("my
// password is wrong", "the pin code of my address", "token expired").
func (d *doc) secretValueOK(kind secretKind, v string, quoted bool, s int) bool {
	digits, letters, upper, lowerN, other := 0, 0, 0, 0, 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case isDigit(c):
			digits++
		case c >= 'a' && c <= 'z':
			letters++
			lowerN++
		case c >= 'A' && c <= 'Z':
			letters++
			upper++
		case c >= 0x80:
			letters++
		default:
			other++
		}
	}
	switch kind {
	case secretPIN:
		if digits != len(v) || len(v) < 3 || len(v) > 8 {
			return false
		}
		if len(v) == 6 && d.cityOrAddressNear(s) {
			return false // an Indian PIN code
		}
		return true
	case secretKey:
		return len(v) >= 12 && entropy(v) >= 3.0 && (digits > 0 || other > 0 || upper > 0 && lowerN > 0) && !isUUIDish(v)
	}
	// password
	if len(v) < 4 {
		return false
	}
	if quoted || digits > 0 || other > 0 || (upper > 0 && lowerN > 0 && !(upper == 1 && isUpper(v[0]))) {
		if quoted {
			return true
		}
		if at := strings.IndexByte(v, '@'); at > 0 && validDomain(v[at+1:], false) {
			return false // an email, found by its own detector
		}
		return !strings.HasPrefix(v, "http")
	}
	// a single plain word: only after "is" or ":" ("my password is sunshine"),
	// never "Mot de passe réinitialisé"; and not ordinary vocabulary
	if !d.sepBefore(s) {
		return false
	}
	lx := d.f.lex.lookup(v, d.buf[:])
	return lx&(wStop|wCommon|allCues|fillers|wSupportNoun|wProduct|wMeasure) == 0 && !plainWordAfterPassword(lower(v))
}

func plainWordAfterPassword(v string) bool {
	switch v {
	case "reset", "link", "field", "hint", "manager", "policy", "protected", "required", "recovery", "strength",
		"rules", "expired", "locked", "incorrect", "invalid", "wrong", "correct", "doesn't", "didn't", "isn't",
		"won't", "isnt", "doesnt", "didnt", "wont", "keeps", "stopped", "stops", "expires", "expiry", "change",
		"changes", "changed", "update", "updated", "please", "again", "twice", "today", "yesterday", "recently",
		"anymore", "request", "requests", "requested", "email", "emails", "sent", "working", "works", "work",
		"accepted", "rejected", "saved", "stored", "shared", "visible", "hidden", "case-sensitive", "mismatch",
		"unknown", "forgotten", "somewhere", "something", "anything", "nothing", "there", "here", "because",
		"since", "but", "and", "or", "so", "which", "that", "this", "these", "those", "through", "via",
		"falsch", "abgelaufen", "vergessen", "zurücksetzen", "incorrecto", "incorreta", "incorreto", "errada",
		"errado", "oublié", "expiré", "inválida", "inválido", "redefinir", "réinitialiser", "funciona",
		"funktioniert", "fonctionne", "reuse", "reused", "used", "using", "same", "different", "different.":
		return true
	}
	return false
}

// secretsNear finds values shaped like a password (letters with digits or
// symbols) or a key (long, high entropy) within a few words after a password
// or key cue: "I tried Chaton2019 and chaton2019!", "API key sent by mail
// (f873947aad3c7b7b...)".
func (d *doc) secretsNear(i int, kind secretKind) {
	t := d.text
	n := len(d.toks)
	limit := 12
	if kind == secretKey {
		limit = 8
	}
	for k := i + 1; k < n && k <= i+limit; k++ {
		g := d.gap(k)
		if strings.Contains(g, "\n\n") {
			return
		}
		if d.toks[k].lx&(cueOrder|cueTracking|cueTicket|cueSKU) != 0 || kind == secretPassword && d.toks[k].lx&(cueEmail|cuePhone) != 0 {
			return
		}
		s := int(d.toks[k].s)
		if s > 0 && t[s-1] != ' ' && t[s-1] != '(' && t[s-1] != '"' && t[s-1] != '\'' && t[s-1] != '\n' && t[s-1] != ':' {
			continue
		}
		e := s
		for e < len(t) && t[e] != ' ' && t[e] != '\n' && t[e] != '\t' && t[e] != ')' && t[e] != '"' {
			e++
		}
		for e > s && strings.IndexByte(".,;:]}'?", t[e-1]) >= 0 {
			e--
		}
		v := t[s:e]
		ok := false
		switch kind {
		case secretPassword:
			// past 64 bytes a "password" is a pasted key or passphrase blob
			ok = passwordShaped(v) || len(v) > 64 && keyShaped(v)
		case secretKey:
			ok = keyShaped(v)
		}
		if ok {
			d.add(s, e, pii.Secret, 1)
		}
		for k+1 < n && int(d.toks[k+1].s) < e {
			k++
		}
	}
}

// keyShaped: at least 20 bytes of high-entropy text that is not a UUID,
// an email or a URL.
func keyShaped(v string) bool {
	return len(v) >= 20 && entropy(v) >= 3.3 && !isUUIDish(v) && strings.IndexByte(v, '@') < 0 && !strings.HasPrefix(v, "http")
}

// passwordShaped: letters and digits (or symbols), mixed, 6 to 64 bytes,
// and not an identifier made of upper-case parts and dashes.
func passwordShaped(v string) bool {
	if len(v) < 6 || len(v) > 64 || strings.HasPrefix(v, "http") || strings.HasPrefix(v, "cx") {
		return false
	}
	letters, digits, upper, lowerN, sym := 0, 0, 0, 0, 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case isDigit(c):
			digits++
		case c >= 'a' && c <= 'z':
			letters++
			lowerN++
		case c >= 'A' && c <= 'Z':
			letters++
			upper++
		case c == '-' || c == '_' || c == '/' || c == '.':
			sym++
		case c == '\'':
			letters++ // "l'ancien" is a word
		case c >= 0x80:
			letters++
		default:
			sym += 2
		}
	}
	if letters < 3 || digits == 0 && sym < 2 {
		return false // "l'e-mail", "re-send"
	}
	if at := strings.IndexByte(v, '@'); at > 0 && validDomain(v[at+1:], false) {
		return false
	}
	if lowerN == 0 && sym <= 3 {
		return false // ORD-2024-88812, SKU codes
	}
	return true
}

// sepBefore: the value at byte s follows ":", "=" or an "is" word.
func (d *doc) sepBefore(s int) bool {
	t := strings.TrimRight(d.text[:s], " \t\"'“‘")
	if strings.HasSuffix(t, ":") || strings.HasSuffix(t, "=") {
		return true
	}
	k := len(t)
	for k > 0 && (isAlnumASCII(t[k-1]) || t[k-1] >= 0x80) {
		k--
	}
	switch lower(t[k:]) {
	case "is", "was", "ist", "est", "é", "es", "era", "war", "lautet", "será", "sera", "était", "foi":
		return true
	}
	return false
}

func (d *doc) cityOrAddressNear(s int) bool {
	if len(d.addrEnds) > 0 {
		return true
	}
	k := sort.Search(len(d.toks), func(i int) bool { return int(d.toks[i].e) > s-80 })
	for ; k < len(d.toks) && int(d.toks[k].s) <= s+40; k++ {
		if d.toks[k].lx&(wCity|cueAddress|cuePostcode) != 0 {
			return true
		}
	}
	return false
}

func isUUIDish(v string) bool { return len(v) == 36 && isUUID(v) }

// entropy is the Shannon entropy of v in bits per byte.
func entropy(v string) float64 {
	if v == "" {
		return 0
	}
	var counts [256]int
	for i := 0; i < len(v); i++ {
		counts[v[i]]++
	}
	h := 0.0
	n := float64(len(v))
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}
