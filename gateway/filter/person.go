package filter

import (
	"strings"

	"github.com/cxgate/cxgate/pii"
)

// Person names come from cues (titles, greetings, sign-offs, "my name is",
// "I'm X"), and from the name lists: a listed given name followed by a
// capitalised word, or a listed given name alone when it is not also an
// ordinary word. Brands that look like people ("Tommy Hilfiger polo",
// "Dr. Martens boots", "Ben & Jerry's") are excluded by a brand list and by
// what follows them (a product word, "&", a possessive).

const notName = allCues | fillers | wStop | wCommon | wStreet | wStreetPre | wUnit | wProduct | wMeasure | wCurrency |
	wTitle | wGreeting | wSignoff | wMonth | wSupportNoun | wIndianAddr | wLocSuffix | wDirection | wOrdinalWord

// isNameTok: could word x be part of a name?
func (d *doc) isNameTok(x int, lowerOK bool) bool {
	tk := d.toks[x]
	if tk.flags()&tAlpha == 0 || tk.e-tk.s < 2 {
		return false
	}
	listed := tk.lx&(wGiven|wSurname) != 0
	if tk.lx&notName != 0 && !(listed && tk.flags()&tUpper1 != 0 && tk.lx&(wStop|wCommon|wTitle|wGreeting|wSignoff|allCues|wMonth|wProduct) == 0) {
		return false
	}
	if tk.flags()&tUpper1 == 0 {
		return lowerOK
	}
	if tk.flags()&tAllUpper != 0 && tk.e-tk.s > 3 && !listed && !lowerOK {
		return false
	}
	return true
}

// nameSeq reads up to max name words from k and returns the last index, or
// -1. Hyphenated and apostrophe parts ("Jean-Pierre", "O'Brien") and
// particles between capitalised words ("João da Silva") are included.
func (d *doc) nameSeq(k, max int, lowerOK bool) int {
	n := len(d.toks)
	last, count := -1, 0
	afterInitial := false
	for x := k; x < n && count < max; {
		if x > k && !afterInitial {
			g := d.gap(x)
			if g == "-" || g == "'" || g == "’" {
				if d.fl(x, tAlpha) && (d.fl(x, tUpper1) || lowerOK) && d.toks[x].lx&(wStop|allCues) == 0 {
					last = x
					x++
					continue
				}
				break
			}
			if g != " " {
				break
			}
			if d.toks[x].lx&wParticle != 0 && d.toks[x].flags()&tUpper1 == 0 && x+1 < n && d.gap(x+1) == " " &&
				d.fl(x+1, tUpper1) && d.isNameTok(x+1, false) {
				x++
			}
		}
		// an initial ("H. Whitmore") or a one-letter prefix ("O'Brien", "D'Souza")
		if d.toks[x].e-d.toks[x].s == 1 && d.fl(x, tUpper1) && x+1 < n {
			g := d.gap(x + 1)
			if (g == ". " || g == "." || g == "'" || g == "’") && d.fl(x+1, tUpper1) && d.isNameTok(x+1, false) {
				x++
				if g == ". " || g == "." {
					count++
				}
				afterInitial = true
				continue
			}
		}
		afterInitial = false
		if !d.isNameTok(x, lowerOK) {
			break
		}
		last = x
		count++
		x++
	}
	return last
}

// nameStart moves a name's start back over an initial or prefix that
// nameSeq skipped ("H. Whitmore", "O'Brien").
func (d *doc) nameStart(k int) int {
	if k > 0 && d.toks[k-1].e-d.toks[k-1].s == 1 && d.fl(k-1, tUpper1) {
		g := d.gap(k)
		if g == ". " || g == "." || g == "'" || g == "’" {
			return k - 1
		}
	}
	return k
}

// brandAt reports whether words s..e (with a title before, optionally)
// name a brand or are followed by a product word, "&" or "'s".
func (d *doc) brandAt(s, e int) bool {
	if d.toks[s].lx&wBrandFirst != 0 {
		phrase := d.lowRange(int(d.toks[s].s), int(d.toks[e].e))
		if d.f.lex.brands[phrase] || d.f.lex.brands[strings.ReplaceAll(phrase, ".", "")] {
			return true
		}
	}
	n := len(d.toks)
	if e+1 < n {
		g := d.gap(e + 1)
		if hasByte(g, '&') || strings.HasPrefix(g, " + ") {
			// "Ben & Jerry's" is a brand; "Ethan & Lily" are people
			x := e + 2
			for x < n && x < e+4 && d.gap(x) == " " {
				x++
			}
			if x < n && (d.gap(x) == "'" || d.gap(x) == "’") && d.lw(x) == "s" {
				return true
			}
		}
		if (g == "'" || g == "’") && d.lw(e+1) == "s" {
			// possessive: "Jerry's", "Sarah's order" - only a brand with a product after
			if e+2 < n && d.toks[e+2].lx&wProduct != 0 {
				return true
			}
			if d.toks[s].lx&wBrandFirst != 0 && d.f.lex.brands[d.lowRange(int(d.toks[s].s), int(d.toks[e].e))+"'s"] {
				return true
			}
		}
		if g == " " && d.toks[e+1].lx&wProduct != 0 {
			return true
		}
	}
	if s > 0 {
		g := d.gap(s)
		if hasByte(g, '&') && e+1 < n && (d.gap(e+1) == "'" || d.gap(e+1) == "’") {
			return true
		}
		// "the Jack Wolfskin jacket", "a sandália Carmen Steffens", "linha Maria Filó"
		if g == " " && d.toks[s-1].lx&wProduct != 0 {
			return true
		}
	}
	return false
}

func (d *doc) addPerson(s, e int, rank int8) {
	if e < s || d.brandAt(s, e) {
		return
	}
	// "Victoria Street", "George Road": a street, not a person
	if e+1 < len(d.toks) && d.gap(e+1) == " " && d.toks[e+1].lx&(wStreet|wIndianAddr|wLocSuffix|wStreetDE) != 0 &&
		d.toks[e+1].flags()&tUpper1 != 0 {
		return
	}
	if s > 0 && isHouseNumber(d.word(s-1)) && d.gap(s) == " " {
		return
	}
	if k := d.nameStart(s); k < s && d.toks[k].lx&wTitle == 0 {
		s = k
	}
	d.add(int(d.toks[s].s), int(d.toks[e].e), pii.Person, rank)
}

func (d *doc) persons() {
	next := 0
	for _, h := range d.route[rPerson] {
		i := int(h)
		if i < next {
			continue
		}
		tk := d.toks[i]
		if tk.flags()&tAlpha == 0 {
			continue
		}
		lx := tk.lx
		if lx&wTitle != 0 && tk.flags()&tUpper1 != 0 {
			d.personAfterTitle(i)
		}
		if lx&wGreeting != 0 {
			d.personAfterGreeting(i)
		}
		if lx&wSignoff != 0 {
			d.personAfterSignoff(i)
		}
		if lx&(cueName|wNameCue) != 0 {
			d.personAfterNameCue(i)
		}
		if lx&wIntro != 0 { // "I'm", "am", "bin", "suis", "sou", "is", "aqui", "here"
			d.personAfterIntro(i)
		}
		if lx&wGiven != 0 && tk.flags()&tUpper1 != 0 {
			d.personFromList(i)
		} else if lx&wSurname != 0 && lx&wAmbiguous == 0 && tk.flags()&tUpper1 != 0 {
			d.personFromSurname(i)
		}
		if tk.flags()&tUpper1 != 0 && (i == 0 || hasByte(d.gap(i), '\n')) {
			d.personLine(i)
		}
	}
}

// personLine: a line that is only a name, as in an email signature
// ("--\nPriscilla Vaughn\nSent from my iPhone"). Two or three name words
// with one of them listed, or one listed given name after a sign-off line.
func (d *doc) personLine(i int) {
	n := len(d.toks)
	e := d.nameSeq(i, 3, false)
	if e < 0 {
		return
	}
	if e+1 < n {
		g := d.gap(e + 1)
		if !hasByte(g, '\n') || strings.TrimSpace(g) != "" {
			return
		}
	} else if strings.TrimSpace(d.gap(n)) != "" {
		return
	}
	listed, amb := false, true
	for x := i; x <= e; x++ {
		if d.toks[x].lx&(wGiven|wSurname) != 0 {
			listed = true
		}
		if d.toks[x].lx&wAmbiguous == 0 {
			amb = false
		}
	}
	if !listed || amb {
		return
	}
	if e == i {
		// one word: only right after a sign-off or "--" line
		if i == 0 {
			return
		}
		prev := strings.TrimSpace(d.gap(i))
		if prev != "--" && prev != "-" && prev != "," && d.toks[i-1].lx&(wSignoff) == 0 && !signoffGlue[d.lw(i-1)] {
			return
		}
	}
	d.addPerson(i, e, 2)
}

// personAfterTitle: "Mr Smith", "Dr. Priya Sharma", "Frau Müller", "M. Dupont".
func (d *doc) personAfterTitle(i int) {
	n := len(d.toks)
	k := i + 1
	if k >= n {
		return
	}
	g := d.gap(k)
	if g != " " && g != ". " {
		return
	}
	l := d.lw(i)
	if (l == "m" || l == "fr" || l == "hr") && g != ". " {
		return
	}
	if l == "dr" || l == "st" {
		// "12 Oak Dr": a street suffix, not a title
		for x := i - 1; x >= 0 && x >= i-4; x-- {
			if isHouseNumber(d.word(x)) {
				return
			}
		}
	}
	e := d.nameSeq(k, 3, false)
	if e < 0 {
		return
	}
	if d.brandAt(i, e) {
		return
	}
	d.addPerson(k, e, 2)
}

// lineStart: word i starts a line (or the text), ignoring leading "Good".
func (d *doc) lineStart(i int) bool {
	for x := i; ; x-- {
		g := d.gap(x)
		if x == 0 {
			return strings.TrimSpace(strings.Trim(g, "-*>\"'")) == ""
		}
		if hasByte(g, '\n') {
			return true
		}
		if hasAnyByte(g, ".!?") {
			return true
		}
		l := d.lw(x - 1)
		if l != "good" && l != "bom" && l != "boa" && l != "guten" && l != "buenos" && l != "buenas" && l != "oh" {
			return false
		}
	}
}

// personAfterGreeting: "Hi Sarah,", "Dear Ms Jones", "Bonjour Camille", "Olá João".
func (d *doc) personAfterGreeting(i int) {
	n := len(d.toks)
	k := i + 1
	if k >= n || !d.lineStart(i) {
		return
	}
	if l := d.lw(i); (l == "morning" || l == "afternoon" || l == "evening") && (i == 0 || d.lw(i-1) != "good") {
		return
	}
	g := d.gap(k)
	if g != " " && g != ", " {
		return
	}
	if d.toks[k].lx&wTitle != 0 {
		return // the title rule reads it
	}
	e := d.nameSeq(k, 3, true)
	if e < 0 {
		return
	}
	// lower-case only for listed names ("hi sarah")
	for x := k; x <= e; x++ {
		if d.toks[x].flags()&tUpper1 == 0 && d.toks[x].lx&(wGiven|wSurname) == 0 {
			if x == k {
				return
			}
			e = x - 1
			break
		}
	}
	after := d.gap(e + 1)
	if e+1 < n && !hasAnyByte(after, ",!\n.:;-") && d.toks[k].lx&wGiven == 0 {
		switch d.lw(e + 1) {
		case "here", "from", "speaking", "hier", "ici", "aqui":
		default:
			return // "Hello Support Team", "Hi Amazing ..."
		}
	}
	d.addPerson(k, e, 2)
}

var signoffGlue = map[string]bool{"you": true, "so": true, "much": true, "a": true, "lot": true, "again": true, "very": true,
	"kind": true, "best": true, "warm": true, "mit": true, "freundlichen": true, "viele": true, "liebe": true,
	"herzliche": true, "bien": true, "à": true, "vous": true, "muito": true, "many": true, "in": true, "advance": true,
	"wishes": true, "regards": true, "all": true, "the": true, "and": true, "beaucoup": true, "schöne": true,
	"grüße": true, "et": true, "bonne": true, "journée": true, "abraços": true, "cordiais": true, "saudações": true}

// personAfterSignoff: "Thanks,\nSarah", "Kind regards, John Smith",
// "Mit freundlichen Grüßen\nJürgen Müller", "Atenciosamente, João".
func (d *doc) personAfterSignoff(i int) {
	n := len(d.toks)
	k := i + 1
	for k < n && k < i+6 && (d.toks[k].lx&wSignoff != 0 || signoffGlue[d.lw(k)]) && !hasByte(d.gap(k), '\n') {
		k++
	}
	if k >= n {
		return
	}
	g := d.gap(k)
	sep := hasAnyByte(g, ",\n") || strings.Contains(g, "- ") || strings.Contains(g, "—")
	if !sep && g != " " && g != "! " && g != "!\n" {
		return
	}
	e := d.nameSeq(k, 3, true)
	if e < 0 {
		return
	}
	for x := k; x <= e; x++ {
		if d.toks[x].flags()&tUpper1 == 0 && d.toks[x].lx&(wGiven|wSurname) == 0 {
			if x == k {
				return
			}
			e = x - 1
			break
		}
	}
	// the name ends its line unless it is a listed given name ("Thanks Sarah for ...")
	after := d.gap(e + 1)
	endOfLine := e+1 >= n || hasByte(after, '\n') || strings.TrimSpace(after) == "." || strings.TrimSpace(after) == "!" ||
		strings.HasPrefix(strings.TrimSpace(after), ",")
	if !endOfLine && d.toks[k].lx&wGiven == 0 {
		return
	}
	if !sep && d.toks[k].lx&wGiven == 0 {
		return
	}
	d.addPerson(k, e, 2)
}

// personAfterNameCue: "my name is Sarah Jones", "Name: João Silva",
// "ich heiße Jürgen", "je m'appelle Camille", "me chamo Ana".
func (d *doc) personAfterNameCue(i int) {
	n := len(d.toks)
	l := d.lw(i)
	k := i + 1
	lowerOK := d.toks[i].lx&cueName != 0 || l == "heiße" || l == "heisse" || l == "appelle" || l == "chamo" || l == "llamo" || l == "naam"
	if !lowerOK {
		// "contact person: Arjun Mehta", "Kontoinhaber: Björn Hartmann", "chez Dupont-Moreau"
		for x := 0; x < 2 && k < n; x++ {
			if w := d.lw(k); w == "person" || w == "name" || w == "details" || w == "is" || w == "was" {
				k++
				continue
			}
			break
		}
		if k >= n || strings.Contains(d.gap(k), "\n\n") || d.toks[k].flags()&tUpper1 == 0 {
			return
		}
		e := d.nameSeq(k, 4, false)
		if e < 0 {
			return
		}
		// one unlisted word after "contact" or "called" is too weak
		if e == k && d.toks[k].lx&(wGiven|wSurname) == 0 && !hasByte(d.gap(i+1), ':') && l != "chez" {
			return
		}
		d.addPerson(k, e, 2)
		return
	}
	if l == "name" || l == "names" || l == "nome" || l == "nom" || l == "nombre" {
		// "name of the product" / "names are hard" / "file name"; but "maiden name
		// Adeyemi", "first name Maya"
		qualified := false
		if i > 0 {
			switch d.lw(i - 1) {
			case "maiden", "first", "last", "full", "family", "middle", "given", "birth", "sur", "legal", "real":
				qualified = k < n && d.gap(k) == " " && d.toks[k].flags()&tUpper1 != 0
			}
		}
		if !qualified && k < n && d.toks[k].lx&cueIs == 0 && !hasByte(d.gap(k), ':') && d.gap(k) != "'" {
			return
		}
		if k < n && d.gap(k) == "'" && d.lw(k) == "s" { // name's
			k++
		}
	}
	for x := 0; x < 2 && k < n && (d.toks[k].lx&cueIs != 0 || d.lw(k) == "was"); x++ {
		k++
	}
	if k >= n || strings.Contains(d.gap(k), "\n\n") {
		return
	}
	e := d.nameSeq(k, 4, true)
	if e < 0 {
		return
	}
	for x := k; x <= e; x++ {
		if d.toks[x].flags()&tUpper1 == 0 && d.toks[x].lx&(wGiven|wSurname) == 0 && !(x > k && d.toks[x].flags()&tUpper1 == 0 && d.toks[k].lx&wGiven != 0) {
			if x == k {
				return
			}
			e = x - 1
			break
		}
	}
	d.addPerson(k, e, 2)
}

// personAfterIntro: "I'm Sarah", "this is Priya Sharma from ...", "ich bin
// Jürgen", "je suis Camille", "sou a Ana", "it's Tom".
func (d *doc) personAfterIntro(i int) {
	n := len(d.toks)
	if tl := d.toks[i].e - d.toks[i].s; tl > 4 {
		return
	}
	l := d.lw(i)
	k := -1
	switch l {
	case "m":
		if i > 0 && (d.gap(i) == "'" || d.gap(i) == "’") && d.lw(i-1) == "i" {
			k = i + 1
		}
	case "am", "bin", "suis", "sou":
		if i > 0 && (d.lw(i-1) == "i" || d.lw(i-1) == "ich" || d.lw(i-1) == "je" || d.lw(i-1) == "eu") || l == "sou" {
			k = i + 1
		}
	case "is", "s":
		if i > 0 && (d.lw(i-1) == "this" || d.lw(i-1) == "it" && l == "s") {
			k = i + 1
		}
	case "aqui", "here":
		k = i + 1
		if k < n && (d.lw(k) == "é" || d.lw(k) == "is") {
			k++
		} else {
			return
		}
	}
	if k < 0 || k >= n || d.gap(k) != " " {
		return
	}
	if l2 := d.lw(k); l2 == "o" || l2 == "a" {
		k++ // "sou o Pedro"
		if k >= n {
			return
		}
	}
	if d.toks[k].flags()&tUpper1 == 0 || !d.isNameTok(k, false) {
		return
	}
	e := d.nameSeq(k, 3, false)
	if e < 0 {
		return
	}
	// Evidence it is a name: listed, two capitalised words, or "from/with/at/here" after it.
	ok := d.toks[k].lx&(wGiven|wSurname) != 0 && d.toks[k].lx&wAmbiguous == 0 || e > k
	if !ok && e+1 < n {
		switch d.lw(e + 1) {
		case "from", "with", "at", "here", "von", "de", "da", "do", "calling", "speaking", "and":
			ok = true
		}
		// "Hi, I'm Niamh, ...": a self-introduction followed by a comma; not
		// "this is Ridiculous," (only "I'm"/"ich bin"/"je suis" introduce)
		if g := strings.TrimSpace(d.gap(e + 1)); g == "," && l != "is" && l != "s" {
			ok = d.toks[k].lx&(wAmbiguous|wStop|wCommon) == 0
		}
	}
	if !ok {
		return
	}
	d.addPerson(k, e, 2)
}

// personFromList: a listed given name with a capitalised word after it, or
// alone when it is not also a common word.
func (d *doc) personFromList(i int) {
	n := len(d.toks)
	tk := d.toks[i]
	if tk.lx&(wStop|wCommon|wTitle) != 0 {
		return
	}
	e := d.nameSeq(i, 3, false)
	if e < 0 {
		return
	}
	amb := tk.lx&wAmbiguous != 0
	if e == i {
		if amb {
			return
		}
		// single listed name; not when it is the first word and a verb-like
		// word follows ("Will you", "Mark as done") - ambiguous names are out already
		if tk.flags()&tAllUpper != 0 && tk.e-tk.s > 3 {
			return
		}
		d.addPerson(i, e, 1)
		return
	}
	// two or more words: the second must look like a surname, or the first be unambiguous
	second := d.toks[i+1]
	if amb && second.lx&wSurname == 0 {
		return
	}
	if amb && second.lx&wAmbiguous != 0 && !d.hasCue(i, 4, cueName) {
		return
	}
	d.addPerson(i, e, 1)
	_ = n
}

// personFromSurname: a listed surname after a capitalised word that could
// be a given name ("Destiny Rivera", "Greg Thompson"), or after a
// preposition ("bei Hartmann", "chez Dupont", "from Okafor").
func (d *doc) personFromSurname(i int) {
	if i == 0 {
		return
	}
	g := d.gap(i)
	p := d.toks[i-1]
	if g == " " && p.flags()&tUpper1 != 0 && p.lx&wGiven == 0 && d.isNameTok(i-1, false) && p.lx&wSurname == 0 {
		// the word before must not start a sentence with an ordinary capital
		if i-1 > 0 && !hasAnyByte(d.gap(i-1), ".!?\n") {
			d.addPerson(i-1, d.nameSeq(i, 2, false), 1)
			return
		}
	}
	if g == " " && p.flags()&tUpper1 == 0 {
		switch d.lw(i - 1) {
		case "bei", "beim", "von", "an", "für", "mit", "herrn", "nachbarn", "nachbarin", "chez", "avec", "pour",
			"com", "para", "from", "with", "to", "for", "by", "neighbour", "neighbor":
			if e := d.nameSeq(i, 2, false); e >= 0 {
				d.addPerson(i, e, 1)
			}
		}
	}
}
