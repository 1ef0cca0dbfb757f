package filter

import (
	"net/netip"
	"strings"

	"github.com/cxgate/cxgate/pii"
)

// digitRun collects word i and the digit words after it joined by exactly
// sep (" " or "-"; "" picks the first gap seen), up to maxDigits digits.
// It returns the index of the last word of each prefix in ends.
func (d *doc) digitRun(i int, seps string, maxDigits int, ends []int) ([]int, string) {
	ends = ends[:0]
	digits := int(d.toks[i].e - d.toks[i].s)
	ends = append(ends, i)
	sep := ""
	for j := i; j+1 < len(d.toks) && digits < maxDigits; j++ {
		g := d.gap(j + 1)
		if len(g) != 1 || !strings.Contains(seps, g) || d.toks[j+1].flags()&tDigit == 0 {
			break
		}
		if sep == "" {
			sep = g
		} else if g != sep {
			break
		}
		digits += int(d.toks[j+1].e - d.toks[j+1].s)
		ends = append(ends, j+1)
	}
	return ends, sep
}

// startsNumber reports whether word i can start a number: it is not glued
// to a preceding word or number by "-", ".", "/", "_" or a letter.
func (d *doc) startsNumber(i int) bool {
	s := int(d.toks[i].s)
	if s == 0 {
		return true
	}
	c := d.text[s-1]
	if c == '-' || c == '.' || c == '/' || c == '_' || c == ':' {
		return s < 2 || !isAlnumASCII(d.text[s-2])
	}
	return !isAlnumASCII(c)
}

// endsNumber reports whether a number may end after byte e.
func (d *doc) endsNumber(e int) bool {
	t := d.text
	if e >= len(t) {
		return true
	}
	c := t[e]
	if isAlnumASCII(c) || c == '@' || c == '_' {
		return false
	}
	if (c == '-' || c == '.' || c == '/' || c == ':' || c == ',') && e+1 < len(t) && isDigit(t[e+1]) {
		return false
	}
	return true
}

// cards: 13-19 digits, bare or in groups split by one space or dash,
// passing Luhn and an issuer range. 13-digit numbers need a card cue.
func (d *doc) cards() {
	var ends []int
	next := 0
	for _, h := range d.route[rNums] { // cards are digits
		i := int(h)
		if i < next {
			continue
		}
		tk := d.toks[i]
		if tk.flags()&tDigit == 0 || !d.startsNumber(i) {
			continue
		}
		c := d.text[tk.s]
		if c != '2' && c != '3' && c != '4' && c != '5' && c != '6' && c != '8' {
			continue
		}
		ends, _ = d.digitRun(i, " -", 19, ends)
		for k := len(ends) - 1; k >= 0; k-- {
			j := ends[k]
			if !d.endsNumber(int(d.toks[j].e)) && k == len(ends)-1 {
				continue
			}
			l := 0
			for x := i; x <= j; x++ {
				l += int(d.toks[x].e - d.toks[x].s)
			}
			if l < 13 || l > 19 || !cardGrouping(d, i, j) {
				continue
			}
			var nb [19]byte
			b := nb[:0]
			for x := i; x <= j; x++ {
				b = append(b, d.word(x)...)
			}
			num := string(b) // does not escape: no allocation
			if !luhn(num) || !cardIssuer(num) {
				continue
			}
			if len(num) == 13 && !d.hasCue(i, 6, cueCard) {
				continue
			}
			// "A/c no 50100123456789": an account number after a bank cue
			if ci, lx := d.cueBefore(i, 5); ci >= 0 && lx&cueCard == 0 && lx&(cueAccount|cueBank) != 0 {
				continue
			}
			if ci, _ := d.cueBefore(i, 3); ci < 0 && i >= 2 && d.gap(i) == " " && (d.lw(i-1) == "no" || d.lw(i-1) == "c") && (d.lw(i-2) == "c" || d.lw(i-2) == "a") {
				continue
			}
			d.add(int(tk.s), int(d.toks[j].e), pii.Card, 3)
			next = j + 1
			break
		}
	}
}

// cardGrouping accepts bare numbers and the printed groupings: 4-4-4-4(-3),
// Amex 4-6-5, Diners 4-6-4.
func cardGrouping(d *doc, i, j int) bool {
	if i == j {
		return true
	}
	n := j - i + 1
	l := func(k int) int { return int(d.toks[i+k].e - d.toks[i+k].s) }
	if n == 3 && l(0) == 4 && l(1) == 6 && (l(2) == 5 || l(2) == 4) {
		return true
	}
	for k := 0; k < n-1; k++ {
		if l(k) != 4 {
			return false
		}
	}
	return l(n-1) >= 1 && l(n-1) <= 4
}

func luhn(d string) bool {
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
	return sum%10 == 0
}

// cardIssuer checks the issuer identification ranges and lengths.
func cardIssuer(d string) bool {
	n := len(d)
	p2, p3, p4 := atoi(d[:2]), atoi(d[:3]), atoi(d[:4])
	switch {
	case d[0] == '4': // Visa (incl. Elo/Visa Electron)
		return n == 13 || n == 16 || n == 19
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720: // Mastercard
		return n == 16
	case p2 == 34 || p2 == 37: // Amex
		return n == 15
	case p3 >= 300 && p3 <= 305, p2 == 36, p2 == 38, p2 == 39: // Diners
		return n >= 14 && n <= 19
	case p4 >= 3528 && p4 <= 3589: // JCB
		return n >= 16 && n <= 19
	case d[0] == '6': // Discover, UnionPay, Maestro, RuPay, Elo, Hipercard
		return n >= 16 && n <= 19
	case p2 == 50, p2 >= 56 && p2 <= 58: // Maestro
		return n >= 13 && n <= 19
	case p2 == 81 || p2 == 82: // RuPay
		return n == 16
	}
	return false
}

// ibanLength is the IBAN length per country (SWIFT IBAN registry).
func ibanLength(cc string) int {
	switch cc {
	case "NO":
		return 15
	case "BE":
		return 16
	case "DK", "FI", "FO", "GL", "NL":
		return 18
	case "MK", "SI":
		return 19
	case "AT", "BA", "EE", "KZ", "LT", "LU", "XK":
		return 20
	case "CH", "HR", "LI", "LV":
		return 21
	case "BG", "BH", "CR", "DE", "GB", "GE", "IE", "ME", "RS", "VA":
		return 22
	case "AE", "GI", "IL", "IQ", "TL":
		return 23
	case "AD", "CZ", "ES", "MD", "PK", "RO", "SA", "SE", "SK", "TN", "VG":
		return 24
	case "PT", "ST":
		return 25
	case "IS", "TR":
		return 26
	case "FR", "GR", "IT", "MC", "MR", "SM":
		return 27
	case "AL", "AZ", "BY", "CY", "DO", "GT", "HU", "LB", "PL", "SV":
		return 28
	case "BR", "EG", "PS", "QA", "UA":
		return 29
	case "JO", "KW", "MU":
		return 30
	case "MT", "SC":
		return 31
	case "LC":
		return 32
	}
	return 0
}

func upperASCII(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// ibans: country code, check digits, BBAN; grouped or not, any case; the
// length must match the country and the mod-97 check must hold.
func (d *doc) ibans() {
	var buf [40]byte
	next := 0
	for _, h := range d.route[rNums] { // IBANs have check digits
		i := int(h)
		if i < next {
			continue
		}
		tk := d.toks[i]
		if tk.flags()&tHasAlpha == 0 || tk.flags()&tHasDigit == 0 || tk.flags()&tNonASCII != 0 || tk.e-tk.s < 4 {
			continue
		}
		w := d.word(i)
		if !isLetter(w[0]) || !isLetter(w[1]) || !isDigit(w[2]) || !isDigit(w[3]) {
			continue
		}
		cc := string([]byte{upperASCII(w[0]), upperASCII(w[1])})
		L := ibanLength(cc)
		if L == 0 || len(w) > L {
			continue
		}
		b := append(buf[:0], w...)
		j := i
		for len(b) < L && j+1 < len(d.toks) {
			g := d.gap(j + 1)
			nt := d.toks[j+1]
			if (g != " " && g != "-") || nt.flags()&tNonASCII != 0 || len(b)+int(nt.e-nt.s) > L {
				break
			}
			b = append(b, d.word(j+1)...)
			j++
		}
		if len(b) != L || !d.endsNumber(int(d.toks[j].e)) {
			continue
		}
		if !mod97(b) {
			continue
		}
		d.add(int(tk.s), int(d.toks[j].e), pii.IBAN, 3)
		next = j + 1
	}
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func mod97(b []byte) bool {
	r := 0
	step := func(c byte) bool {
		c = upperASCII(c)
		switch {
		case isDigit(c):
			r = (r*10 + int(c-'0')) % 97
		case c >= 'A' && c <= 'Z':
			v := int(c-'A') + 10
			r = (r*100 + v) % 97
		default:
			return false
		}
		return true
	}
	for _, c := range b[4:] {
		if !step(c) {
			return false
		}
	}
	for _, c := range b[:4] {
		if !step(c) {
			return false
		}
	}
	return r == 1
}

// ssns: 123-45-6789 (or spaces with a cue), or nine bare digits after an
// SSN cue; area 001-899 except 666, group and serial not zero.
func (d *doc) ssns() {
	next := 0
	for _, h := range d.route[rNums] { // SSNs are digits
		i := int(h)
		if i < next {
			continue
		}
		tk := d.toks[i]
		if tk.flags()&tDigit == 0 || !d.startsNumber(i) {
			continue
		}
		l := tk.e - tk.s
		if l == 9 && d.endsNumber(int(tk.e)) && ssnRange(d.word(i)) && d.hasCue(i, 6, cueSSN) {
			d.add(int(tk.s), int(tk.e), pii.SSN, 2)
			continue
		}
		if l != 3 || i+2 >= len(d.toks) {
			continue
		}
		g1, g2 := d.gap(i+1), d.gap(i+2)
		if g1 != g2 || (g1 != "-" && g1 != " " && g1 != ".") {
			continue
		}
		a, b := d.toks[i+1], d.toks[i+2]
		if a.flags()&tDigit == 0 || b.flags()&tDigit == 0 || a.e-a.s != 2 || b.e-b.s != 4 || !d.endsNumber(int(b.e)) {
			continue
		}
		if !ssnRange(d.word(i) + d.word(i+1) + d.word(i+2)) {
			continue
		}
		if g1 != "-" && !d.hasCue(i, 6, cueSSN) && !d.mentions(cueSSN) {
			continue
		}
		d.add(int(tk.s), int(b.e), pii.SSN, 2)
		next = i + 3
	}
}

func ssnRange(n string) bool {
	if len(n) != 9 {
		return false
	}
	area, group, serial := atoi(n[:3]), atoi(n[3:5]), atoi(n[5:])
	return area > 0 && area != 666 && area < 900 && group > 0 && serial > 0
}

// ninos: UK National Insurance numbers, "QQ 12 34 56 C" shapes.
func (d *doc) ninos() {
	next := 0
	for _, h := range d.route[rNINO] {
		i := int(h)
		if i < next {
			continue
		}
		tk := d.toks[i]
		if tk.flags()&tHasAlpha == 0 || tk.flags()&tNonASCII != 0 {
			continue
		}
		if l := tk.e - tk.s; !(l == 2 || (l == 8 || l == 9) && tk.flags()&tHasDigit != 0) {
			continue
		}
		w := d.word(i)
		if !isLetter(w[0]) || !isLetter(w[1]) {
			continue
		}
		digits := 0 // after the prefix, with a glued suffix letter
		j := i
		switch {
		case len(w) == 9 && allDigits(w[2:8]) && isLetter(w[8]):
			digits = 7
		case len(w) == 8 && allDigits(w[2:]):
			digits = 6
		case len(w) == 2:
			for j+1 < len(d.toks) && digits < 6 && d.gap(j+1) == " " && d.toks[j+1].flags()&tDigit != 0 {
				j++
				digits += int(d.toks[j].e - d.toks[j].s)
			}
			if digits != 6 {
				continue
			}
		default:
			continue
		}
		suffix := byte(0)
		if digits == 7 {
			suffix = w[8]
		} else if j+1 < len(d.toks) && d.gap(j+1) == " " && d.toks[j+1].e-d.toks[j+1].s == 1 && d.toks[j+1].flags()&tAlpha != 0 {
			suffix = d.text[d.toks[j+1].s]
			j++
		}
		end := int(d.toks[j].e)
		if !d.endsNumber(end) {
			continue
		}
		cue := d.hasCue(i, 8, cueNINO)
		upper := isUpper(w[0]) && isUpper(w[1]) && (suffix == 0 || isUpper(suffix))
		if !upper && !cue {
			continue
		}
		if suffix == 0 && !cue {
			continue
		}
		if suffix != 0 {
			s := upperASCII(suffix)
			if s < 'A' || s > 'D' {
				continue
			}
		}
		if !ninoPrefix(upperASCII(w[0]), upperASCII(w[1])) {
			continue
		}
		d.add(int(tk.s), end, pii.NINO, 2)
		next = j + 1
	}
}

func ninoPrefix(a, b byte) bool {
	if strings.IndexByte("DFIQUV", a) >= 0 || strings.IndexByte("DFIOQUV", b) >= 0 {
		return false
	}
	switch string([]byte{a, b}) {
	case "BG", "GB", "KN", "NK", "NT", "TN", "ZZ":
		return false
	}
	return true
}

// ips: IPv4 dotted quads (not after a version cue, not "v1.2.3.4") and
// IPv6 addresses, both validated with net/netip.
func (d *doc) ips() {
	next := 0
	for _, h := range d.route[rNums] { // IPv4 addresses are digits
		i := int(h)
		if i < next || i+3 >= len(d.toks) {
			continue
		}
		tk := d.toks[i]
		if tk.flags()&tDigit == 0 || tk.e-tk.s > 3 {
			continue
		}
		if d.gap(i+1) != "." || d.gap(i+2) != "." || d.gap(i+3) != "." {
			continue
		}
		if !d.fl(i+1, tDigit) || !d.fl(i+2, tDigit) || !d.fl(i+3, tDigit) {
			continue
		}
		s, e := int(tk.s), int(d.toks[i+3].e)
		if s > 0 {
			c := d.text[s-1]
			if isAlnumASCII(c) || c == '.' || c == '_' || c == '-' {
				continue
			}
		}
		if e < len(d.text) && (isAlnumASCII(d.text[e]) || (d.text[e] == '.' && e+1 < len(d.text) && isDigit(d.text[e+1]))) {
			continue
		}
		a, err := netip.ParseAddr(d.text[s:e])
		if err != nil || !a.Is4() {
			continue
		}
		if j, lx := d.cueBefore(i, 4); j >= 0 && lx&cueVersion != 0 {
			continue
		}
		// "firmware 10.2.3.4, needs 10.2.4.1 for the fix": versions in the same sentence
		if d.versionSentence(i) {
			continue
		}
		d.add(s, e, pii.IP, 2)
		next = i + 4
	}
	d.ipv6()
}

func (d *doc) ipv6() {
	t := d.text
	last := -1
	for off := 0; ; {
		k := strings.IndexByte(t[off:], ':')
		if k < 0 {
			return
		}
		c := off + k
		off = c + 1
		if c < last {
			continue
		}
		s := c
		for s > 0 && s > last && c-s < 46 && (isHexByte(t[s-1]) || t[s-1] == ':' || t[s-1] == '.') {
			s--
		}
		e := c
		for e < len(t) && e-c < 46 && (isHexByte(t[e]) || t[e] == ':' || t[e] == '.') {
			e++
		}
		for e > c && (t[e-1] == '.' || t[e-1] == ':') && !strings.HasSuffix(t[s:e], "::") {
			e--
		}
		last = e
		if e > off {
			off = e
		}
		if e-s < 3 || strings.Count(t[s:e], ":") < 2 {
			continue
		}
		if s > 0 && (isAlnumASCII(t[s-1]) || t[s-1] == '_') || e < len(t) && (isAlnumASCII(t[e]) || t[e] == '_') {
			continue
		}
		a, err := netip.ParseAddr(t[s:e])
		if err != nil || !a.Is6() {
			continue
		}
		// "::" alone or a time like 12::30 is not an address
		if strings.Count(t[s:e], ":") < 3 && !strings.Contains(t[s:e], "::") {
			continue
		}
		if !strings.ContainsAny(t[s:e], "123456789abcdefABCDEF") {
			continue
		}
		d.add(s, e, pii.IP, 2)
	}
}

// versionSentence reports a version cue earlier in the same sentence
// (within 10 words), even with other numbers in between.
func (d *doc) versionSentence(i int) bool {
	for j := i - 1; j >= 0 && j >= i-10; j-- {
		g := d.gap(j + 1)
		if hasAnyByte(g, "\n!?") || strings.Contains(g, ". ") {
			return false
		}
		if d.toks[j].lx&cueVersion != 0 {
			return true
		}
		if d.toks[j].lx&cueIP != 0 {
			return false
		}
	}
	return false
}
