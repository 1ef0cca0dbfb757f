package filter

import (
	"strings"

	"github.com/cxgate/cxgate/pii"
)

// protect marks business identifiers and tokens before any detector runs.
// Each rule is narrow: it protects one identifier shape or the identifier
// right after its cue word, never a whole sentence.
func (d *doc) protect() {
	t := d.text
	if d.marks&markToken != 0 {
		for _, sp := range pii.FindTokens(t) {
			d.protectSpan(sp.Start, sp.End, true)
		}
	}
	for _, re := range d.f.allow {
		for _, m := range re.FindAllStringIndex(t, -1) {
			d.protectSpan(m[0], m[1], true)
		}
	}
	for _, h := range d.route[rProtect] {
		i := int(h)
		tk := d.toks[i]
		if tk.lx&bizCues != 0 {
			d.protectAfterCue(i)
		}
		if tk.lx&cueLast4 != 0 {
			d.protectLast4(i)
		}
		if tk.lx&cueVersion != 0 {
			d.protectVersion(i)
		}
		if tk.flags()&tHasDigit == 0 {
			continue
		}
		g := d.gap(i)
		// "#1001", "#A-1234": a hash-tagged id (an Indian "#12, 3rd Cross"
		// house number still reaches the address detector).
		if strings.HasSuffix(g, "#") && (len(g) == 1 && i == 0 || len(g) > 1 && !isAlnumASCII(g[len(g)-2]) || i == 0) {
			j := d.compound(i)
			d.protectSpan(int(tk.s)-1, int(d.toks[j].e), false, pii.Address)
		}
		d.protectShapes(i)
	}
	d.protectMaskedCards()
	d.protectPrices()
	d.protectBrands()
}

// protectBrands marks brand names that look like people ("Tommy
// Hilfiger", "Dr. Martens", "Jack Daniel's") so no part of them becomes a
// PERSON; other detectors are not affected.
func (d *doc) protectBrands() {
	if d.seen&wBrandFirst == 0 {
		return
	}
	n := len(d.toks)
	for _, h := range d.route[rBrand] {
		i := int(h)
		for k := i; k < n && k < i+4; k++ {
			if k > i {
				g := d.gap(k)
				if g != " " && g != ". " && g != " & " && g != "-" && g != "'" && g != "’" {
					break
				}
			}
			phrase := d.lowRange(int(d.toks[i].s), int(d.toks[k].e))
			if d.f.lex.brands[phrase] || strings.Contains(phrase, "’") && d.f.lex.brands[strings.ReplaceAll(phrase, "’", "'")] ||
				hasByte(phrase, '.') && d.f.lex.brands[strings.ReplaceAll(phrase, ".", "")] {
				d.protectSpan(int(d.toks[i].s), int(d.toks[k].e), false, notPerson()...)
			}
		}
	}
}

// notPerson lists every type but PERSON: a brand blocks only names.
func notPerson() []pii.Type {
	return []pii.Type{pii.Email, pii.Phone, pii.Card, pii.IBAN, pii.Account, pii.SSN, pii.NINO, pii.IP,
		pii.Postcode, pii.Address, pii.DOB, pii.Secret}
}

// compound extends word i over words joined by "-", "_", "/" or "." without
// spaces ("ORD-2024-88812", "123-1234567-1234567") and returns the last.
func (d *doc) compound(i int) int {
	j := i
	for j+1 < len(d.toks) && j < i+maxCompound {
		g := d.gap(j + 1)
		if g != "-" && g != "_" && g != "/" && g != "." {
			break
		}
		j++
	}
	return j
}

// maxCompound bounds identifiers to 12 parts so that no scan is quadratic
// on adversarial input ("1-2-3-4-...").
const maxCompound = 12

// idFillers are words between a business cue and its identifier.
func (d *doc) idFiller(i int) bool {
	if d.toks[i].lx&fillers != 0 {
		return true
	}
	switch d.lw(i) {
	case "de", "do", "da", "du", "of", "your", "my", "the", "our", "a", "an", "for", "nr", "n", "id", "ids",
		"meu", "minha", "mon", "ma", "mein", "meine", "ihre", "die", "der", "le", "la", "o", "seu", "sua",
		"reference", "ref", "tracking", "order", "is", "was":
		return true
	}
	return false
}

// protectAfterCue protects the identifier that follows an order, tracking,
// ticket, SKU, coupon, serial or customer cue, and any identifiers listed
// after it ("orders 1001, 1002 and 1003").
func (d *doc) protectAfterCue(i int) {
	cue := d.toks[i].lx
	j := i + 1
	for k := 0; k < 4 && j < len(d.toks) && d.toks[j].flags()&tHasDigit == 0 && d.idFiller(j); k++ {
		j++
	}
	for first := true; j < len(d.toks); first = false {
		g := d.gap(j)
		if hasAnyByte(g, "\n@") || len(g) > 4 {
			return
		}
		if !first {
			// only continue a list
			w := strings.TrimSpace(strings.Trim(g, ",;&/ "))
			if w != "" && w != "#" {
				return
			}
		}
		tk := d.toks[j]
		e := d.compound(j)
		hasDigit := false
		for k := j; k <= e; k++ {
			if d.toks[k].flags()&tHasDigit != 0 {
				hasDigit = true
			}
		}
		code := !hasDigit && cue&(cueCoupon|cueSKU) != 0 && tk.flags()&tAllUpper != 0 && d.toks[e].e-tk.s >= 4
		if !hasDigit && !code {
			return
		}
		// Tracking numbers are often written in groups of four digits.
		if cue&(cueTracking|cueCarrier) != 0 {
			for e+1 < len(d.toks) && d.gap(e+1) == " " && d.toks[e+1].flags()&tDigit != 0 && d.toks[e].flags()&tDigit != 0 {
				e++
			}
		}
		s := int(tk.s)
		if strings.HasSuffix(g, "#") {
			s--
		}
		if cue&cueCustomer != 0 {
			// "customer 12345" protects the id; the customer's email or phone after
			// it is found by its own detector (which validates).
			d.protectSpan(s, int(d.toks[e].e), false, pii.Email, pii.Phone, pii.Person)
		} else {
			d.protectSpan(s, int(d.toks[e].e), false, pii.Email)
		}
		j = e + 1
		if j < len(d.toks) {
			w := d.lw(j)
			if w == "and" || w == "or" || w == "und" || w == "et" || w == "e" || w == "y" {
				j++
			}
		}
	}
}

// protectLast4 protects "ending 4242", "ends in 4242", "last 4 digits 4242",
// "last four: 4242".
func (d *doc) protectLast4(i int) {
	for j := i + 1; j < len(d.toks) && j <= i+5; j++ {
		tk := d.toks[j]
		if tk.flags()&tDigit != 0 && tk.e-tk.s == 4 && !(j == i+1 && d.lw(i) == "last") {
			if j+1 < len(d.toks) && d.lw(j+1) == "digits" {
				continue
			}
			d.protectSpan(int(tk.s), int(tk.e), false)
			return
		}
		if tk.flags()&tDigit != 0 && tk.e-tk.s != 1 && tk.e-tk.s != 4 {
			return
		}
	}
}

// protectVersion protects dotted numbers after a version cue, and v1.2.3.
func (d *doc) protectVersion(i int) {
	for j := i + 1; j < len(d.toks) && j <= i+4; j++ {
		tk := d.toks[j]
		if tk.flags()&tHasDigit == 0 {
			if hasAnyByte(d.gap(j), ".\n") {
				return
			}
			continue
		}
		e := d.compound(j)
		if e > j || d.fl(j, tDigit) {
			d.protectSpan(int(tk.s), int(d.toks[e].e), false)
		}
		return
	}
}

// protectShapes protects identifiers recognisable without a cue.
func (d *doc) protectShapes(i int) {
	tk := d.toks[i]
	w := d.word(i)
	// Only at the start of a compound.
	if i > 0 {
		g := d.gap(i)
		if g == "-" || g == "_" || g == "/" || g == "." {
			return
		}
	}
	e := d.compound(i)
	s, end := int(tk.s), int(d.toks[e].e)
	whole := d.text[s:end]
	parts := e - i + 1
	// UPS 1Z + 16, Royal Mail/UPU S10 AB123456789GB.
	if len(w) == 18 && (w[:2] == "1Z" || w[:2] == "1z") {
		d.protectSpan(s, end, false)
		return
	}
	if len(w) == 13 && isUpper(w[0]) && isUpper(w[1]) && allDigits(w[2:11]) && isUpper(w[11]) && isUpper(w[12]) {
		d.protectSpan(s, end, false)
		return
	}
	// UUID.
	if parts == 5 && len(whole) == 36 && isUUID(whole) {
		d.protectSpan(s, end, false)
		return
	}
	// Amazon 123-1234567-1234567, eBay 12-34567-89012.
	if parts == 3 && strings.Count(whole, "-") == 2 {
		a, b, c := d.word(i), d.word(i+1), d.word(i+2)
		if allDigits(a+b+c) && (len(a) == 3 && len(b) == 7 && len(c) == 7 || len(a) == 2 && len(b) == 5 && len(c) == 5) {
			d.protectSpan(s, end, false)
			return
		}
	}
	// USPS 20-22 digits starting 9x, possibly in groups of four.
	if w[0] == '9' && tk.flags()&tDigit != 0 {
		j, digits := i, len(w)
		for j+1 < len(d.toks) && d.gap(j+1) == " " && d.toks[j+1].flags()&tDigit != 0 && digits < 22 {
			j++
			digits += int(d.toks[j].e - d.toks[j].s)
		}
		if digits >= 20 && digits <= 22 && (j == i || len(w) == 4) {
			d.protectSpan(s, int(d.toks[j].e), false)
			return
		}
	}
	// Letter-prefixed ids: ORD-2024-88812, INV_2024_001, INC0012345, SR12345.
	if tk.flags()&tHasAlpha != 0 {
		lead := 0
		for lead < len(w) && isUpper(w[lead]) {
			lead++
		}
		if parts > 1 && lead == len(w) && lead >= 2 && lead <= 6 {
			// ORD-2024: the following parts must carry a digit
			for k := i + 1; k <= e; k++ {
				if d.toks[k].flags()&tHasDigit != 0 {
					d.protectSpan(s, end, false, pii.Email)
					return
				}
			}
		}
		if lead >= 3 && lead <= 6 && len(w)-lead >= 3 && allDigits(w[lead:]) {
			d.protectSpan(s, end, false, pii.Email)
			return
		}
	}
	// Dates: 12/03/2024, 2024-03-12, 12.03.24 (a date of birth is still found:
	// this only stops dates from looking like phones, accounts or postcodes).
	if parts == 3 && tk.flags()&tDigit != 0 && d.toks[i+1].flags()&tDigit != 0 && d.toks[i+2].flags()&tDigit != 0 {
		if _, ok := numericDate(d.word(i), d.word(i+1), d.word(i+2)); ok {
			sep := d.gap(i + 1)
			if sep == d.gap(i+2) && (sep == "/" || sep == "." || sep == "-") {
				d.protectSpan(s, end, false, pii.DOB, pii.Address)
			}
		}
	}
	// Times 10:30, 10:30:15 and durations are never PII (IPv6 needs hex groups
	// and "::"; this keeps clock times out of it).
}

// protectMaskedCards protects "**** **** **** 4242", "XXXX-XXXX-1234",
// "•••• 4242": already masked cards keep their last four digits.
func (d *doc) protectMaskedCards() {
	t := d.text
	next := 0
	for _, h := range d.route[rNums] { // masked cards end in digits
		i := int(h)
		if i < next {
			continue
		}
		tk := d.toks[i]
		if tk.flags()&tDigit == 0 || tk.e-tk.s != 4 {
			continue
		}
		g := d.gap(i)
		if strings.Contains(g, "***") || strings.Contains(g, "•••") || strings.Contains(g, "···") {
			d.protectSpan(int(tk.s), int(tk.e), false)
			continue
		}
		if i > 0 {
			p := d.word(i - 1)
			if len(p) >= 4 && strings.Trim(p, "xX") == "" && (g == " " || g == "-") {
				d.protectSpan(int(d.toks[i-1].s), int(tk.e), false)
			}
		}
	}
	_ = t
}

// protectPrices protects amounts next to a currency sign or code.
func (d *doc) protectPrices() {
	if d.seen&wCurrency == 0 && d.marks&markCurrency == 0 {
		return
	}
	next := 0
	for _, h := range d.route[rNums] { // prices are digits
		i := int(h)
		if i < next {
			continue
		}
		tk := d.toks[i]
		if tk.flags()&tDigit == 0 {
			continue
		}
		// fast path: a price has a sign or code right before it, or a sign,
		// a code or a decimal separator right after it
		if !d.priceNear(i) {
			continue
		}
		g := d.gap(i)
		before := strings.TrimRight(g, " ")
		cur := strings.HasSuffix(before, "$") || strings.HasSuffix(before, "€") || strings.HasSuffix(before, "£") ||
			strings.HasSuffix(before, "¥") || strings.HasSuffix(before, "₹") ||
			(i > 0 && d.toks[i].s-d.toks[i-1].e <= 2 && (d.is(i-1, wCurrency) || d.lw(i-1) == "rs"))
		// extend over 1,234.56 / 1.234,56 / 1 234,56
		j := i
		for j+1 < len(d.toks) && d.toks[j+1].flags()&tDigit != 0 {
			sep := d.gap(j + 1)
			if sep != "," && sep != "." && !(sep == " " && d.toks[j+1].e-d.toks[j+1].s == 3 && cur) {
				break
			}
			j++
		}
		after := d.gap(j + 1)
		if !cur {
			a := strings.TrimLeft(after, " ")
			cur = strings.HasPrefix(a, "€") || strings.HasPrefix(a, "$") || strings.HasPrefix(a, "£") || strings.HasPrefix(a, "₹") ||
				(j+1 < len(d.toks) && d.is(j+1, wCurrency) && len(after) <= 1)
		}
		if cur {
			d.protectSpan(int(tk.s), int(d.toks[j].e), false)
			next = j + 1
		}
	}
}

// mentions reports whether any word of the text carries bits.
func (d *doc) mentions(bits lex) bool { return d.seen&bits != 0 }

func (d *doc) priceNear(i int) bool {
	t := d.text
	s := int(d.toks[i].s)
	for k := s - 1; k >= 0 && k >= s-4; k-- {
		c := t[k]
		if c == '$' || c >= 0x80 {
			return true
		}
		if c != ' ' {
			break
		}
	}
	if i > 0 && d.toks[i-1].lx&wCurrency != 0 || i > 0 && d.lw(i-1) == "rs" {
		return true
	}
	e := int(d.toks[i].e)
	if e < len(t) && (t[e] == ',' || t[e] == '.' || t[e] >= 0x80) {
		return true
	}
	if e+1 < len(t) && t[e] == ' ' && (t[e+1] >= 0x80 || t[e+1] == '$') {
		return true
	}
	return i+1 < len(d.toks) && d.toks[i+1].lx&wCurrency != 0
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func isHexByte(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isHexByte(s[i]) {
				return false
			}
		}
	}
	return true
}

// numericDate reads three numeric parts as a calendar date in any of the
// usual orders and returns the year.
func numericDate(a, b, c string) (int, bool) {
	x, y, z := atoi(a), atoi(b), atoi(c)
	switch {
	case len(a) == 4 && len(b) <= 2 && len(c) <= 2: // y-m-d
		return x, x >= 1900 && x <= 2100 && y >= 1 && y <= 12 && z >= 1 && z <= 31
	case len(a) <= 2 && len(b) <= 2 && (len(c) == 4 || len(c) == 2): // d/m/y or m/d/y
		yr := z
		if len(c) == 2 {
			yr = 1900 + z
			if z < 40 {
				yr = 2000 + z
			}
		} else if z < 1900 || z > 2100 {
			return 0, false
		}
		ok := x >= 1 && y >= 1 && (x <= 12 && y <= 31 || x <= 31 && y <= 12)
		return yr, ok
	}
	return 0, false
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s) && i < 9; i++ {
		if !isDigit(s[i]) {
			return -1
		}
		n = n*10 + int(s[i]-'0')
	}
	return n
}
