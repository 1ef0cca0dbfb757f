package filter

import (
	"strings"

	"github.com/cxgate/cxgate/pii"
)

// Street addresses: the street line (house number, street name, unit), as
// the CRM's street fields hold it. City and country are not PII on their
// own; the postcode is its own finding.

func isHouseNumber(w string) bool {
	n := 0
	for n < len(w) && isDigit(w[n]) {
		n++
	}
	if n == 0 || n > 5 || w[0] == '0' {
		return false
	}
	return n == len(w) || (n == len(w)-1 && isLetter(w[n]))
}

func isOrdinal(w string) bool {
	n := 0
	for n < len(w) && isDigit(w[n]) {
		n++
	}
	if n == 0 || n > 3 {
		return false
	}
	switch lower(w[n:]) {
	case "st", "nd", "rd", "th", "º", "ª", "e", "er", "ème", "o", "a":
		return true
	}
	return false
}

// germanStreetSuffix reports a compound street name ("Hauptstraße",
// "Musterweg"); l is the word in lower case.
func germanStreetSuffix(l string) bool {
	if len(l) < 6 {
		return false
	}
	// suf reports l ending in x after at least three more bytes
	suf := func(x string) bool { return len(l) >= len(x)+3 && l[len(l)-len(x):] == x }
	switch l[len(l)-1] {
	case 'e':
		return suf("straße") || suf("strasse") || suf("gasse") || suf("allee") || suf("chaussee")
	case 'r':
		return suf("str") || suf("ufer")
	case 'g':
		return suf("weg") || suf("ring") || suf("steig")
	case 'z':
		return suf("platz")
	case 't':
		return suf("markt")
	case 'd':
		return suf("pfad")
	case 'm':
		return suf("damm")
	}
	return false
}

func (d *doc) addresses() {
	n := len(d.toks)
	// A text that mentions an address is read word by word: lower-case German
	// streets ("hauptstraße 5") are not hot words. Only hot words and words
	// with a German street ending can start an address, so those two lists
	// are merged in text order instead of visiting every word.
	all := d.seen&cueAddress != 0
	hot, german := d.route[rAddress], d.german
	if !all {
		german = nil
	}
	for len(hot) > 0 || len(german) > 0 {
		var i int
		deStreet := false // germanStreetSuffix of the word
		if len(german) == 0 || len(hot) > 0 && hot[0] < german[0] {
			i, hot = int(hot[0]), hot[1:]
			deStreet = hasBit(d.deStreet, i)
		} else {
			i, german, deStreet = int(german[0]), german[1:], true
		}
		tk := d.toks[i]
		fl := tk.flags()
		switch {
		case fl&tHasDigit != 0 && isHouseNumber(d.word(i)):
			if d.streetAfterNumber(i) {
				continue
			}
		case fl&tAlpha != 0 && tk.lx&wStreetPre != 0:
			d.streetTypeFirst(i)
		case fl&tAlpha != 0 && (fl&tUpper1 != 0 || all) && (tk.lx&wStreetDE != 0 || deStreet) &&
			(fl&tUpper1 != 0 || d.hasCue(i, 6, cueAddress)):
			d.germanStreet(i)
		}
		if tk.lx&wAddrTrigger != 0 {
			d.indianAddress(i)
			d.poBox(i)
			d.germanPrepStreet(i)
		}
		if fl&tHasDigit != 0 && i+1 < n && tk.e < d.toks[i+1].s && (d.text[tk.e] == '-' || d.text[tk.e] == '/' || d.text[tk.e] == ',') {
			d.houseCompound(i)
		}
	}
}

// functionWord: words that never start or sit inside a street name.
func functionWord(w string) bool {
	switch w {
	case "the", "a", "an", "and", "or", "of", "to", "in", "on", "at", "for", "with", "by", "from", "is", "are", "was",
		"my", "your", "our", "i", "we", "you", "it", "this", "that", "please", "pls", "und", "oder", "der", "die", "das",
		"et", "ou", "le", "la", "les", "e", "o", "os", "as":
		return true
	}
	return false
}

// germanPrepStreet: "Am Lindenhof 3", "An der Alster 12", "Im Winkel 4b",
// "Zum Steinbruch 7": a preposition, a capitalised name and a house number
// that ends the phrase.
func (d *doc) germanPrepStreet(i int) {
	n := len(d.toks)
	switch d.word(i) {
	case "Am", "An", "Im", "Auf", "Zum", "Zur", "In", "Unter", "Hinter", "Vor", "Alte", "Alter", "Neue", "Neuer", "Obere", "Untere":
	default:
		return
	}
	k := i + 1
	if k < n && d.gap(k) == " " {
		switch d.word(k) {
		case "der", "dem", "den", "die":
			k++
		}
	}
	if k >= n || d.gap(k) != " " || d.toks[k].flags()&tUpper1 == 0 || d.toks[k].flags()&tAlpha == 0 ||
		d.toks[k].lx&(wStop|wCommon|wMonth|allCues|wProduct|wMeasure) != 0 {
		return
	}
	x := k + 1
	if x >= n || d.gap(x) != " " || !isHouseNumber(d.word(x)) {
		return
	}
	end := int(d.toks[x].e)
	after := d.gap(x + 1)
	if x+1 < n && !hasAnyByte(after, ",.;\n") {
		if l := d.lw(x + 1); l != "nicht" && l != "und" && l != "in" {
			return
		}
	}
	d.addAddress(int(d.toks[i].s), end)
}

// houseCompound: Indian house numbers written as compounds ("B-204, Lotus
// Apartments, Sector 62", "17/3, Gandhi Nagar", "A-12, Shanti Kunj") after
// an address cue or at the start of a line, followed by named parts.
func (d *doc) houseCompound(i int) {
	n := len(d.toks)
	if !d.startsNumber(i) && !(i > 0 && d.gap(i) == "-" && d.toks[i-1].e-d.toks[i-1].s == 1 && d.fl(i-1, tAllUpper)) {
		return
	}
	s := i
	if i > 0 && d.gap(i) == "-" && d.toks[i-1].e-d.toks[i-1].s == 1 && d.fl(i-1, tAllUpper) {
		s = i - 1
		if s > 0 && !hasAnyByte(d.gap(s), " \n:") {
			return
		}
	}
	e := d.compound(i)
	if e == i && s == i {
		return // plain numbers are read by streetAfterNumber
	}
	if e+1 >= n || (d.gap(e+1) != ", " && d.gap(e+1) != ",") {
		return
	}
	g := d.gap(s)
	if !(s == 0 || hasByte(g, '\n') || hasByte(g, ':') || d.hasCue(s, 6, cueAddress)) {
		return
	}
	if !d.fl(e+1, tUpper1) {
		return
	}
	end := d.indianComponents(e, int(d.toks[e].e))
	if end == int(d.toks[e].e) {
		return
	}
	d.addAddress(int(d.toks[s].s), end)
}

// maxNameWord bounds a street-name word in bytes: the longest German
// compounds ("Donaudampfschifffahrtsgesellschaftsstraße") fit well inside.
const maxNameWord = 64

// nameWord: a word that may be part of a street name.
func (d *doc) nameWord(k int, lowerOK bool) bool {
	tk := d.toks[k]
	if tk.e-tk.s > maxNameWord {
		return false
	}
	if tk.flags()&tAlpha == 0 {
		return isOrdinal(d.word(k))
	}
	if tk.lx&(wMeasure|wMonth|wCurrency) != 0 {
		return false
	}
	if tk.lx&wStop != 0 && tk.lx&(wStreet|wStreetPre|wGiven|wSurname|wDirection) == 0 {
		// "9 Old Mill Lane", "4 New Road": capitalised adjectives are fine
		if tk.flags()&tUpper1 == 0 || functionWord(d.lw(k)) {
			return false
		}
	}
	if tk.flags()&tUpper1 != 0 {
		return true
	}
	return lowerOK
}

// streetAfterNumber: "221B Baker Street", "1600 Pennsylvania Avenue NW,
// Suite 200", "12 rue de la Paix", "12, MG Road, Indiranagar".
func (d *doc) streetAfterNumber(i int) bool {
	n := len(d.toks)
	if !d.startsNumber(i) || i+1 >= n {
		return false
	}
	if g := d.gap(i); strings.HasSuffix(g, "#") || strings.HasSuffix(strings.TrimRight(g, " "), "$") {
		if !strings.HasSuffix(g, "#") {
			return false
		}
	}
	j := i + 1
	g := d.gap(j)
	indian := false
	switch g {
	case " ":
	case ", ", ",":
		indian = true
	default:
		return false
	}
	// French "12 bis rue ..."
	if l := d.lw(j); (l == "bis" || l == "ter") && j+1 < n && d.gap(j+1) == " " {
		j++
	}
	if d.toks[j].lx&wStreetPre != 0 && d.toks[j].lx&wStreet != 0 && d.toks[j].flags()&tUpper1 != 0 && !strings.EqualFold(d.word(j), "rue") {
		// "5 Avenue Road": English unless French particles follow
		if j+1 < n && d.toks[j+1].lx&wParticle == 0 {
			goto english
		}
	}
	if d.toks[j].lx&wStreetPre != 0 {
		end, ok := d.frenchStreetName(j + 1)
		if ok {
			last := j + 1
			for last+1 < n && int(d.toks[last].e) < end {
				last++
			}
			d.addAddress(d.unitBefore(i), d.unitAfter(last, end))
			return true
		}
		return false
	}
english:
	lowerOK := d.hasCue(i, 8, cueAddress)
	names := 0
	for k := j; k < n && k < j+5; k++ {
		if k > j && d.gap(k) != " " {
			return false
		}
		tk := d.toks[k]
		suffix := tk.lx&wStreet != 0 || (indian && tk.lx&wIndianAddr != 0)
		if suffix && names > 0 {
			weak := tk.lx&wStreetWeak != 0
			if tk.flags()&tUpper1 == 0 || !d.namesCapitalised(j, k) {
				// lower case ("742 evergreen terrace"): a full street word, all in lower case
				if weak || !lowerOK && (len(d.word(k)) < 4 || !d.allLowerNames(j, k)) {
					return false
				}
			}
			// "21 Jump Street blu-ray": a title, not an address
			if k+1 < n && d.gap(k+1) == " " && d.toks[k+1].lx&wProduct != 0 {
				return false
			}
			// "58 Maple Grove Rd", "31 Elm Park Road": a second street word
			if k+1 < n && d.gap(k+1) == " " && d.toks[k+1].lx&wStreet != 0 && d.toks[k+1].flags()&tUpper1 != 0 {
				k++
				tk = d.toks[k]
			}
			end := int(tk.e)
			if end < len(d.text) && d.text[end] == '.' {
				end++
			}
			e := k
			if e+1 < n && d.gap(e+1) == " " && d.toks[e+1].lx&wDirection != 0 && d.toks[e+1].flags()&tAllUpper != 0 {
				e++
				end = int(d.toks[e].e)
			}
			end = d.unitAfter(e, end)
			if indian {
				end = d.indianComponents(e, end)
			}
			d.addAddress(d.unitBefore(i), end)
			return true
		}
		if !d.nameWord(k, true) {
			return false
		}
		names++
	}
	return false
}

func (d *doc) namesCapitalised(j, k int) bool {
	for x := j; x < k; x++ {
		if d.toks[x].flags()&tUpper1 == 0 && !isOrdinal(d.word(x)) {
			return false
		}
	}
	return true
}

func (d *doc) allLowerNames(j, k int) bool {
	for x := j; x <= k; x++ {
		if d.toks[x].flags()&tUpper1 != 0 {
			return false
		}
	}
	return true
}

// frenchStreetName reads the name after "rue", "avenue", "boulevard":
// particles and capitalised words until a comma, line end or number.
func (d *doc) frenchStreetName(k int) (int, bool) {
	n := len(d.toks)
	end, caps := 0, 0
	for x := k; x < n && x < k+7; x++ {
		g := d.gap(x)
		if x > k && g != " " && g != "'" && g != "’" && g != "-" {
			break
		}
		if x == k && g != " " && g != ". " {
			return 0, false
		}
		tk := d.toks[x]
		if tk.flags()&tAlpha == 0 {
			break
		}
		if lw := d.lw(x); tk.lx&wParticle != 0 || lw == "d" || lw == "l" || lw == "saint" {
			if tk.flags()&tUpper1 != 0 && tk.lx&wParticle == 0 {
				caps++
			}
			end = int(tk.e)
			continue
		}
		if tk.flags()&tUpper1 == 0 || tk.lx&(wMonth|wMeasure) != 0 {
			break
		}
		caps++
		end = int(tk.e)
	}
	return end, caps > 0
}

// streetTypeFirst: "Rua Augusta, 1500, apto 12", "Av. Paulista 1000",
// "Calle Mayor 5".
func (d *doc) streetTypeFirst(i int) {
	n := len(d.toks)
	if i > 0 && isHouseNumber(d.word(i-1)) {
		return // "12 rue ..." is read from the number
	}
	if d.toks[i].lx&wStreet != 0 && d.toks[i].flags()&tUpper1 == 0 && d.lw(i) != "av" {
		return
	}
	if d.word(i) == "R" && d.gap(i+1) != ". " || d.word(i) == "r" {
		return // "R. das Flores" only
	}
	k := i + 1
	if k >= n {
		return
	}
	g := d.gap(k)
	if g != " " && g != ". " && g != "." {
		return
	}
	caps := 0
	last := -1
	for ; k < n && k < i+8; k++ {
		if k > i+1 {
			g = d.gap(k)
			if g != " " && g != "-" && g != "'" {
				break
			}
		}
		tk := d.toks[k]
		if tk.flags()&tAlpha == 0 {
			break
		}
		if tk.lx&wParticle != 0 && tk.flags()&tUpper1 == 0 {
			continue
		}
		// "Rua Sete de Setembro": a month after a particle is part of the name
		if tk.flags()&tUpper1 == 0 || tk.lx&wMeasure != 0 || tk.lx&wMonth != 0 && d.toks[k-1].lx&wParticle == 0 {
			break
		}
		caps++
		last = k
	}
	if caps == 0 || last < 0 {
		return
	}
	// the house number: ", 1500", " 1000", ", nº 45", " n° 45", ", s/n"
	x := last + 1
	if x >= n {
		return
	}
	g = d.gap(x)
	if g != " " && g != ", " && g != "," && g != " - " {
		return
	}
	if l := d.lw(x); (l == "nº" || l == "n" || l == "no" || l == "número" || l == "numero") && x+1 < n {
		x++
	} else if l == "s" && x+1 < n && d.gap(x+1) == "/" && d.lw(x+1) == "n" {
		end := d.unitAfter(x+1, int(d.toks[x+1].e))
		d.addAddress(int(d.toks[i].s), end)
		return
	}
	if !isHouseNumber(d.word(x)) {
		return
	}
	end := int(d.toks[x].e)
	if x+1 < n && d.gap(x+1) == "-" && d.fl(x+1, tDigit) {
		x++
		end = int(d.toks[x].e)
	}
	end = d.unitAfter(x, end)
	d.addAddress(int(d.toks[i].s), end)
}

// germanStreet: "Hauptstraße 5", "Musterstr. 12a", "Berliner Straße 12-14".
func (d *doc) germanStreet(i int) {
	n := len(d.toks)
	start := int(d.toks[i].s)
	if d.toks[i].lx&wStreetDE != 0 && !germanStreetSuffix(d.lw(i)) {
		// a standalone "Straße" needs a capitalised word before it
		if i == 0 || d.gap(i) != " " || d.toks[i-1].flags()&tUpper1 == 0 || d.toks[i-1].lx&wStop != 0 {
			return
		}
		start = int(d.toks[i-1].s)
	}
	x := i + 1
	if x >= n {
		return
	}
	g := d.gap(x)
	if g != " " && g != ". " {
		return
	}
	if !isHouseNumber(d.word(x)) {
		return
	}
	end := int(d.toks[x].e)
	if x+1 < n && d.gap(x+1) == "-" && d.fl(x+1, tDigit) {
		x++
		end = int(d.toks[x].e)
	} else if x+1 < n && d.gap(x+1) == " " && d.toks[x+1].e-d.toks[x+1].s == 1 && d.fl(x+1, tAlpha) && d.toks[x+1].flags()&tHasLower != 0 {
		x++ // "12 a"
		end = int(d.toks[x].e)
	}
	end = d.unitAfter(x, end)
	d.addAddress(start, end)
}

// unitAfter extends an address over ", Apt 4B", " Suite 200", " #5",
// ", apto 12", ", Wohnung 3", ", 3º andar".
func (d *doc) unitAfter(e, end int) int {
	for k := 0; k < 3; k++ {
		ne, nend := d.oneUnitAfter(e, end)
		if ne == e {
			break
		}
		e, end = ne, nend
	}
	return end
}

// standaloneUnit: unit words that need no number ("Hinterhaus", "rdc").
func standaloneUnit(w string) bool {
	switch w {
	case "hinterhaus", "vorderhaus", "seitenflügel", "gartenhaus", "dachgeschoss", "erdgeschoss", "souterrain",
		"rdc", "basement", "penthouse", "annex", "annexe", "fundos", "térreo", "terreo", "cobertura":
		return true
	}
	return false
}

// oneUnitAfter reads one unit part after word e and returns its last word
// index and end byte (e unchanged when there is none).
func (d *doc) oneUnitAfter(e, end int) (int, int) {
	n := len(d.toks)
	x := e + 1
	if x >= n {
		return e, end
	}
	g := d.gap(x)
	if g == " #" || g == ", #" {
		if d.fl(x, tHasDigit) {
			return x, int(d.toks[x].e)
		}
		return e, end
	}
	if g != " " && g != ", " && g != " - " && g != "," {
		return e, end
	}
	// "3. OG", "2e étage", "3rd floor", "3º andar"
	if d.fl(x, tHasDigit) && len(d.word(x)) <= 3 && x+1 < n && (d.gap(x+1) == " " || d.gap(x+1) == ". ") && d.toks[x+1].lx&wUnit != 0 {
		return x + 1, int(d.toks[x+1].e)
	}
	if standaloneUnit(d.lw(x)) {
		return x, int(d.toks[x].e)
	}
	if d.toks[x].lx&wUnit == 0 {
		return e, end
	}
	y := x + 1
	if y < n && (d.lw(y) == "no" || d.lw(y) == "nº" || d.lw(y) == "n") {
		y++
	}
	if y < n && len(d.gap(y)) <= 2 && strings.TrimSpace(strings.Trim(d.gap(y), ".#:°º")) == "" && (d.fl(y, tHasDigit) || (d.toks[y].e-d.toks[y].s <= 2 && d.fl(y, tAllUpper))) {
		z := d.compound(y)
		return z, int(d.toks[z].e)
	}
	return e, end
}

// unitBefore extends an address start back over "Flat 3, " or "Apt 4B, ".
func (d *doc) unitBefore(i int) int {
	s := int(d.toks[i].s)
	// "Unit 4, Riverside Business Park": the number is the unit's
	if i >= 1 && d.gap(i) == " " && d.toks[i-1].lx&wUnit != 0 && d.toks[i-1].flags()&tUpper1 != 0 {
		return int(d.toks[i-1].s)
	}
	if i < 2 || d.gap(i) != ", " {
		return s
	}
	if d.fl(i-1, tHasDigit) && d.toks[i-2].lx&wUnit != 0 && len(d.gap(i-1)) <= 2 {
		return int(d.toks[i-2].s)
	}
	return s
}

// indianAddress: "Flat No. 12B, Shanti Apartments, MG Road", "H.No. 4-5-6,
// Sector 12", "#12, 3rd Cross, 4th Main".
func (d *doc) indianAddress(i int) {
	n := len(d.toks)
	l := d.lw(i)
	switch l {
	case "flat", "house", "plot", "door", "shop", "h", "hno", "villa", "bungalow", "block":
	default:
		return
	}
	x := i + 1
	if l == "h" {
		if x >= n || d.gap(x) != "." || d.lw(x) != "no" {
			return
		}
	}
	if x < n && (d.lw(x) == "no" || d.lw(x) == "number" || d.lw(x) == "nr") {
		x++
	}
	if x >= n || len(d.gap(x)) > 3 || !d.fl(x, tHasDigit) {
		return
	}
	e := d.compound(x)
	end := d.indianComponents(e, int(d.toks[e].e))
	if end == int(d.toks[e].e) {
		// no street component: "Flat 3" alone is a unit, kept only inside an address
		return
	}
	d.addAddress(int(d.toks[i].s), end)
}

// indianComponents extends over ", Shanti Apartments, 3rd Cross, MG Road,
// Indiranagar": comma-separated parts of capitalised words (building,
// street, landmark, locality) until a city, a state, a PIN code or the end
// of the line. The first part must carry an address word or be followed by
// more parts; spilling over a locality is harmless.
func (d *doc) indianComponents(e, end int) int {
	n := len(d.toks)
	x := e + 1
	parts := 0
	for x < n && parts < 8 {
		g := d.gap(x)
		if g != ", " && g != "," {
			break
		}
		y, addrWord := x, false
		for ; y < n && y < x+5; y++ {
			if y > x && d.gap(y) != " " && d.gap(y) != "-" {
				break
			}
			tk := d.toks[y]
			if tk.lx&(wIndianAddr|wStreet|wUnit) != 0 && tk.flags()&tUpper1 != 0 || isOrdinal(d.word(y)) ||
				d.lw(y) == "near" || d.lw(y) == "opp" || d.lw(y) == "opposite" || d.lw(y) == "behind" {
				addrWord = true
			}
			if tk.flags()&tDigit != 0 && !(y > x && d.toks[y-1].lx&(wIndianAddr|wUnit|wStreet|cueNumberWord) != 0) {
				break // a PIN code or another number ends the street part
			}
			if tk.flags()&tUpper1 == 0 && !addrWord && tk.lx&wParticle == 0 {
				break
			}
		}
		if y == x {
			break
		}
		first := d.toks[x]
		// a city or state ends the street part
		if first.lx&(wCity|wState) != 0 && !addrWord {
			break
		}
		if !addrWord && parts == 0 {
			// "Flat 3, Sea Breeze CHS, Linking Road", "A-12, Shanti Kunj, Model Town,
			// Delhi": accept a named building or locality when another named part
			// (not the city) follows
			nx := y
			if nx >= n || (d.gap(nx) != ", " && d.gap(nx) != ",") || d.toks[nx].flags()&tUpper1 == 0 ||
				d.toks[nx].lx&(wCity|wState) != 0 && d.toks[nx].lx&(wIndianAddr|wStreet) == 0 {
				break
			}
		}
		end = int(d.toks[y-1].e)
		parts++
		x = y
	}
	return end
}

// poBox: "PO Box 1234", "P.O. Box 99", "Postfach 1234", "Caixa Postal 100".
func (d *doc) poBox(i int) {
	n := len(d.toks)
	l := d.lw(i)
	x := i + 1
	switch l {
	case "po":
	case "p":
		if x+1 < n && d.lw(x) == "o" && len(d.gap(x)) <= 2 {
			x++
			x++
		} else {
			return
		}
		x--
	case "postfach":
		x--
	case "caixa":
		if x < n && d.lw(x) == "postal" {
			break
		}
		return
	default:
		return
	}
	if l == "po" || l == "p" || l == "caixa" {
		if x >= n || (d.lw(x) != "box" && d.lw(x) != "postal") {
			return
		}
	}
	x++
	if x >= n || len(d.gap(x)) > 2 || !d.fl(x, tDigit) {
		return
	}
	d.addAddress(int(d.toks[i].s), int(d.toks[x].e))
}

func (d *doc) addAddress(s, e int) {
	if s > 0 && d.text[s-1] == '#' && (s == 1 || !isAlnumASCII(d.text[s-2])) {
		s-- // "#12, 3rd Cross"
	}
	if d.f.enabled[typeIndex(pii.Address)] {
		d.add(s, e, pii.Address, 2)
	}
	d.addrEnds = append(d.addrEnds, e)
}

// afterAddress reports whether an address ended shortly before byte s
// (only a city, commas and line breaks in between).
func (d *doc) afterAddress(s int) bool {
	// addrEnds grow with the scan; only the last few can be within reach
	for k := len(d.addrEnds) - 1; k >= 0 && k >= len(d.addrEnds)-4; k-- {
		e := d.addrEnds[k]
		if e <= s && s-e <= 48 && !strings.Contains(d.text[e:s], "\n\n") {
			return true
		}
	}
	return false
}

// postcodes: UK and Canadian shapes on their own; US ZIP after a state;
// five-digit DE/FR codes before a city; Indian PIN and Brazilian CEP after
// a cue, a city or an address.
func (d *doc) postcodes() {
	n := len(d.toks)
	next := 0
	for _, h := range d.route[rNums] { // postcodes have digits
		i := int(h)
		if i < next {
			continue
		}
		tk := d.toks[i]
		if tk.flags()&tHasDigit == 0 || tk.flags()&tNonASCII != 0 {
			continue
		}
		w := d.word(i)
		if tk.flags()&tHasAlpha != 0 {
			d.alphaPostcode(i, w)
			continue
		}
		if !d.startsNumber(i) {
			// "D-10115", "F-75008"
			if !(i > 0 && d.gap(i) == "-" && len(w) == 5 && d.endsNumber(int(tk.e)) && d.startsNumber(i-1)) {
				continue
			}
			switch d.word(i - 1) {
			case "D", "F", "A", "B", "L", "CH", "DE", "FR", "NL", "BR", "PT", "I":
				d.add(int(d.toks[i-1].s), int(tk.e), pii.Postcode, 2)
			}
			continue
		}
		var cue bool
		switch len(w) {
		case 3, 5, 6, 8:
			cue = d.postcodeCue(i)
		}
		switch len(w) {
		case 5:
			// BR CEP 01310-100, US ZIP+4 12345-6789
			if i+1 < n && d.gap(i+1) == "-" && d.fl(i+1, tDigit) {
				l2 := d.toks[i+1].e - d.toks[i+1].s
				e := int(d.toks[i+1].e)
				if !d.endsNumber(e) {
					continue
				}
				if l2 == 3 || (l2 == 4 && (cue || d.stateBefore(i) || d.hasCue(i, 6, cueAddress))) {
					d.add(int(tk.s), e, pii.Postcode, 2)
					next = i + 2
				}
				continue
			}
			if !d.endsNumber(int(tk.e)) {
				continue
			}
			if cue || d.stateBefore(i) || d.cityAfter(i) || (d.afterAddress(int(tk.s)) && d.cityNear(i)) {
				d.add(int(tk.s), int(tk.e), pii.Postcode, 2)
			}
		case 6:
			if w[0] == '0' || !d.endsNumber(int(tk.e)) {
				continue
			}
			if cue || d.cityBefore(i) || d.afterAddress(int(tk.s)) {
				d.add(int(tk.s), int(tk.e), pii.Postcode, 2)
			}
		case 3:
			// Indian PIN written "560 001"
			if i+1 < n && d.gap(i+1) == " " && d.toks[i+1].e-d.toks[i+1].s == 3 && d.fl(i+1, tDigit) && w[0] != '0' &&
				(cue || d.cityBefore(i)) && d.endsNumber(int(d.toks[i+1].e)) {
				d.add(int(tk.s), int(d.toks[i+1].e), pii.Postcode, 2)
				next = i + 2
			}
		case 8:
			if cue && d.endsNumber(int(tk.e)) {
				d.add(int(tk.s), int(tk.e), pii.Postcode, 2)
			}
		}
	}
}

// postcodeCue: "postcode", "zip", "PLZ", "CEP", "pincode", "pin code",
// "post code", "code postal", "CP" within four words before.
func (d *doc) postcodeCue(i int) bool {
	for j := i - 1; j >= 0 && j >= i-4; j-- {
		if hasByte(d.gap(j+1), '\n') && j < i-1 {
			return false
		}
		tk := d.toks[j]
		if tk.flags()&tHasDigit != 0 {
			return false
		}
		if tk.lx&cuePostcode != 0 {
			return true
		}
		l := d.lw(j)
		if l == "code" && j > 0 {
			p := d.lw(j - 1)
			if p == "pin" || p == "post" || p == "postal" || p == "zip" {
				return true
			}
		}
		if l == "postal" && j > 0 && d.lw(j-1) == "code" {
			return true
		}
		if l == "cp" || (l == "pin" && d.toks[j].flags()&tAllUpper != 0 && d.cityNear(i)) {
			return true
		}
	}
	return false
}

// stateBefore: "Springfield, IL 62704", "Austin, Texas 78701".
func (d *doc) stateBefore(i int) bool {
	if i == 0 {
		return false
	}
	g := d.gap(i)
	if g != " " && g != ", " && g != "  " {
		return false
	}
	p := d.toks[i-1]
	if p.lx&wState == 0 {
		return false
	}
	if p.e-p.s == 2 {
		return p.flags()&tAllUpper != 0
	}
	return p.flags()&tUpper1 != 0
}

// cityAfter: "10115 Berlin", "75008 PARIS" at the start of a line or
// after a comma, or any listed city.
func (d *doc) cityAfter(i int) bool {
	if i+1 >= len(d.toks) || d.gap(i+1) != " " {
		return false
	}
	c := d.toks[i+1]
	if c.flags()&tAlpha == 0 {
		return false
	}
	if c.lx&(wStreet|wStreetPre|wMeasure|wMonth|wCurrency|wUnit) != 0 {
		return false
	}
	if c.lx&wCity != 0 {
		return true
	}
	if c.flags()&tUpper1 == 0 {
		return false
	}
	if c.lx&(wStop|wCommon) != 0 {
		return false
	}
	g := d.gap(i)
	lineStart := i == 0 || strings.HasSuffix(g, "\n") || strings.HasSuffix(g, ", ") || strings.HasSuffix(g, ",")
	if !lineStart {
		return false
	}
	// the city ends the line or is followed by a comma / country
	after := d.gap(i + 2)
	return i+2 >= len(d.toks) || hasAnyByte(after, ",\n.") || d.toks[i+2].flags()&tUpper1 != 0
}

// cityBefore: "Mumbai 400001", "Mumbai - 400 001", "Bengaluru, 560001".
func (d *doc) cityBefore(i int) bool {
	if i == 0 {
		return false
	}
	g := d.gap(i)
	if g != " " && g != " - " && g != "-" && g != ", " && g != "," {
		return false
	}
	p := d.toks[i-1]
	return p.lx&(wCity|wState) != 0 && p.flags()&tUpper1 != 0
}

func (d *doc) cityNear(i int) bool {
	for j := i - 1; j >= 0 && j >= i-4; j-- {
		if d.toks[j].lx&wCity != 0 {
			return true
		}
	}
	return i+1 < len(d.toks) && d.toks[i+1].lx&wCity != 0
}

// alphaPostcode handles UK ("SW1A 1AA", "M1 1AE") and Canadian ("K1A 0B1")
// codes, which are distinctive enough on their own in upper case.
func (d *doc) alphaPostcode(i int, w string) {
	n := len(d.toks)
	if !d.startsNumber(i) {
		return
	}
	up := d.toks[i].flags()&tAllUpper != 0
	cue := false
	if !up {
		cue = d.postcodeCue(i)
		if !cue {
			return
		}
	}
	W := strings.ToUpper(w)
	if i+1 < n && d.gap(i+1) == " " && (d.toks[i+1].flags()&tAllUpper != 0 || cue) {
		inw := strings.ToUpper(d.word(i + 1))
		if ukOutward(W) && ukInward(inw) && d.endsNumber(int(d.toks[i+1].e)) {
			d.add(int(d.toks[i].s), int(d.toks[i+1].e), pii.Postcode, 2)
			return
		}
		if len(W) == 3 && len(inw) == 3 && caPostcode(W, inw) {
			d.add(int(d.toks[i].s), int(d.toks[i+1].e), pii.Postcode, 2)
			return
		}
	}
	// unspaced UK code: "SW1A1AA" needs a cue or an address before it
	if len(W) >= 5 && len(W) <= 7 && ukOutward(W[:len(W)-3]) && ukInward(W[len(W)-3:]) && d.endsNumber(int(d.toks[i].e)) {
		if cue || d.postcodeCue(i) || d.afterAddress(int(d.toks[i].s)) {
			d.add(int(d.toks[i].s), int(d.toks[i].e), pii.Postcode, 2)
		}
	}
}

func ukOutward(w string) bool {
	if w == "GIR" {
		return true
	}
	l := len(w)
	if l < 2 || l > 4 || !isUpper(w[0]) || strings.IndexByte("QVX", w[0]) >= 0 {
		return false
	}
	// A9 A99 A9A AA9 AA99 AA9A
	switch {
	case isDigit(w[1]):
		switch l {
		case 2:
			return true
		case 3:
			return isDigit(w[2]) || strings.IndexByte("ABCDEFGHJKPSTUW", w[2]) >= 0
		}
		return false
	case isUpper(w[1]):
		if strings.IndexByte("IJZ", w[1]) >= 0 || l < 3 || !isDigit(w[2]) {
			return false
		}
		switch l {
		case 3:
			return true
		case 4:
			return isDigit(w[3]) || strings.IndexByte("ABEHMNPRVWXY", w[3]) >= 0
		}
	}
	return false
}

func ukInward(w string) bool {
	return len(w) == 3 && isDigit(w[0]) && isUpper(w[1]) && isUpper(w[2]) &&
		strings.IndexByte("CIKMOV", w[1]) < 0 && strings.IndexByte("CIKMOV", w[2]) < 0
}

func caPostcode(a, b string) bool {
	ok := func(c byte) bool { return isUpper(c) && strings.IndexByte("DFIOQU", c) < 0 }
	return ok(a[0]) && a[0] != 'W' && a[0] != 'Z' && isDigit(a[1]) && ok(a[2]) && isDigit(b[0]) && ok(b[1]) && isDigit(b[2])
}
