package filter

import (
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cxgate/cxgate/pii"
)

// Token flags, computed once per word by the scanner.
const (
	tDigit    uint16 = 1 << iota // only ASCII digits
	tAlpha                       // only letters
	tUpper1                      // first rune is upper case
	tAllUpper                    // has letters, all upper case
	tHasDigit                    // at least one digit
	tHasAlpha                    // at least one letter
	tHasLower                    // at least one lower-case letter
	tNonASCII                    // contains a multi-byte rune
)

// tok is one word: a maximal run of letters and digits. Everything between
// two words (spaces, punctuation) is a gap that detectors read directly.
type tok struct {
	s, e int32
	lx   lex // word classes in the low 56 bits, the token flags in the top 8
}

// flags are the token flags (tDigit ...), kept in lx's top byte so a word
// record is 16 bytes: the word table of a large text stays in cache.
func (t tok) flags() uint16 { return uint16(t.lx >> flagShift) }

const flagShift = 56

// cand is a candidate finding before overlap resolution (byte offsets).
type cand struct {
	s, e int
	typ  pii.Type
	rank int8 // 3: checksum or unique prefix; 2: strong format or cue; 1: weak
	// force lets a cue-backed candidate through a pattern-based protection
	// (an IFSC code after "IFSC" looks like a ticket id INC0012345).
	force bool
	norm  string // normalised value for tokenizing ("" = the text itself)
}

// prot is a protected region: a business identifier, a cxgate token or a
// client allow-pattern match. Candidates that overlap it are dropped.
type prot struct {
	s, e int
	hard bool   // tokens and allow patterns: nothing overrides
	pass uint16 // bit per typeIndex of types this protection does not block
}

// doc is the per-call scratch space, pooled by the Filter.
type doc struct {
	f     *Filter
	text  string
	toks  []tok
	cands []cand
	prots []prot
	buf   [96]byte
	// low is the text with ASCII letters lower-cased, built once per call,
	// so case-insensitive word tests slice it instead of allocating.
	low    string
	lowBuf []byte
	// addrEnds are the byte ends of street addresses, so postcodes can use
	// "right after an address" as context.
	addrEnds []int
	maxEnd   []int
	// seen is the union of every word's classes: detectors whose cues never
	// occur in the text skip their pass entirely.
	seen lex
	// sorted is set once prots are sorted by start (after protect).
	sorted bool
	// hot are the words any detector can start at: with a digit, a capital,
	// a non-ASCII letter, a word class other than stop word, or glued to
	// "_-@./'". Plain lower-case words, most of any chat, are skipped.
	hot []int32
}

func (d *doc) reset(text string) {
	d.text = text
	d.toks = d.toks[:0]
	d.cands = d.cands[:0]
	d.prots = d.prots[:0]
	d.addrEnds = d.addrEnds[:0]
	d.seen = 0
	d.sorted = false
	d.hot = d.hot[:0]
	d.low = ""
	if cap(d.toks) > 1<<18 || cap(d.lowBuf) > 4<<20 { // do not keep huge buffers alive in the pool
		d.toks, d.cands, d.prots, d.lowBuf = nil, nil, nil, nil
	}
}

// run scans the text and runs every detector. Protections come first so
// detectors can consult them; resolution happens in resolve.
func (d *doc) run() {
	d.tokenize()
	d.protect()
	d.sortProts()
	en := &d.f.enabled
	if en[typeIndex(pii.Email)] {
		d.emails()
	}
	if en[typeIndex(pii.Secret)] {
		d.secrets()
	}
	if en[typeIndex(pii.IBAN)] {
		d.ibans()
	}
	if en[typeIndex(pii.Card)] {
		d.cards()
	}
	if en[typeIndex(pii.IP)] {
		d.ips()
	}
	if en[typeIndex(pii.SSN)] {
		d.ssns()
	}
	if en[typeIndex(pii.NINO)] {
		d.ninos()
	}
	if en[typeIndex(pii.Account)] {
		d.accounts()
	}
	if en[typeIndex(pii.DOB)] {
		d.dobs()
	}
	if en[typeIndex(pii.Address)] || en[typeIndex(pii.Postcode)] {
		d.addresses()
	}
	if en[typeIndex(pii.Postcode)] {
		d.postcodes()
	}
	if en[typeIndex(pii.Phone)] {
		d.phones()
	}
	if en[typeIndex(pii.Person)] {
		d.persons()
	}
}

func isAlnumASCII(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

func isAlnumRune(r rune) bool {
	if r < utf8.RuneSelf {
		return isAlnumASCII(byte(r))
	}
	return isWordRune(r)
}

// notStart are word classes no detector starts at (they are context, read
// from a neighbouring hot word): a word with only these is not hot.
const notStart = wStop | wCommon | wParticle | wState | wMonth | wCity | wDirection | wOrdinalWord | wMeasure |
	wCurrency | wProduct | wLocSuffix | wSupportNoun | wStreet | wStreetWeak | wUnit | cueNumberWord | cueIs | wAmbiguous

// tokenize splits the text into words and looks each alphabetic word up in
// the lexicon. This is the only pass over every byte besides the allow
// patterns; detectors then work on words.
func (d *doc) tokenize() {
	t := d.text
	n := len(t)
	if cap(d.lowBuf) < n {
		d.lowBuf = make([]byte, n)
	}
	low := d.lowBuf[:n]
	for i := 0; i < n; i++ {
		c := t[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		low[i] = c
	}
	d.low = string(low)
	cls := &d.f.lex.cls
	for i := 0; i < n; {
		c := t[i]
		k := cls[c]
		if k == 0 {
			i++
			continue
		}
		if k&clsHigh != 0 {
			r, sz := utf8.DecodeRuneInString(t[i:])
			if !isWordRune(r) {
				i += sz
				continue
			}
		}
		start := i
		var fl uint16
		digits, letters, upper, lowerN, la := 0, 0, 0, 0, 0
		if k&clsUpper != 0 {
			fl |= tUpper1
		}
		for i < n {
			c = t[i]
			k = cls[c]
			if k&clsHigh == 0 {
				if k == 0 {
					break
				}
				lo, up := int(k&clsLower)>>1, int(k&clsUpper)>>2
				digits += int(k & clsDigit)
				lowerN += lo
				upper += up
				la += lo + up
				i++
				continue
			}
			r, sz := utf8.DecodeRuneInString(t[i:])
			if !isWordRune(r) {
				break
			}
			fl |= tNonASCII
			if unicode.IsDigit(r) {
				digits++ // not an ASCII digit: never tDigit
				letters++
			} else {
				letters++
				if unicode.IsUpper(r) {
					upper++
					if i == start {
						fl |= tUpper1
					}
				} else if unicode.IsLower(r) {
					lowerN++
				}
			}
			i += sz
		}
		letters += la
		if digits > 0 {
			fl |= tHasDigit
			if letters == 0 {
				fl |= tDigit
			}
		}
		if letters > 0 {
			fl |= tHasAlpha
			if digits == 0 {
				fl |= tAlpha
			}
			if upper > 0 && lowerN == 0 {
				fl |= tAllUpper
			}
			if lowerN > 0 {
				fl |= tHasLower
			}
		}
		tk := tok{s: int32(start), e: int32(i)}
		if fl&tAlpha != 0 && i-start <= 24 {
			if fl&tNonASCII == 0 {
				tk.lx = d.f.lex.table.get(d.low[start:i])
			} else {
				tk.lx = d.f.lex.lookup(t[start:i], d.buf[:])
			}
		}
		d.seen |= tk.lx // classes only: flags are added below
		// a capitalised stop word ("The", "Can") starts nothing: names and
		// streets are unknown or listed words
		if fl&tHasDigit != 0 || tk.lx&^notStart != 0 || upper > 0 && tk.lx&^notStart == 0 && tk.lx&(wStop|wCommon) == 0 ||
			upper > 1 || fl&tUpper1 == 0 && upper > 0 ||
			i < n && strings.IndexByte("_-@./'", t[i]) >= 0 ||
			i-start <= 2 && i+1 < n && t[i] == ' ' && isDigit(t[i+1]) { // "ab 12 34 56 c"
			d.hot = append(d.hot, int32(len(d.toks)))
		}
		tk.lx |= lex(fl) << flagShift
		d.toks = append(d.toks, tk)
	}
}

func (d *doc) word(i int) string { return d.text[d.toks[i].s:d.toks[i].e] }

// gap is the text between word i-1 and word i (before the first word for i == 0,
// after the last word for i == len(toks)).
func (d *doc) gap(i int) string {
	s := 0
	if i > 0 {
		s = int(d.toks[i-1].e)
	}
	e := len(d.text)
	if i < len(d.toks) {
		e = int(d.toks[i].s)
	}
	return d.text[s:e]
}

func (d *doc) is(i int, bits lex) bool { return i >= 0 && i < len(d.toks) && d.toks[i].lx&bits != 0 }

func (d *doc) fl(i int, f uint16) bool { return i >= 0 && i < len(d.toks) && d.toks[i].flags()&f != 0 }

// lw is the lower-cased word i (allocation only for non-lower input).
// lw is word i with ASCII letters lower-cased (a slice of d.low: no
// allocation). Non-ASCII letters keep their case.
func (d *doc) lw(i int) string { return d.low[d.toks[i].s:d.toks[i].e] }

// lowRange is d.low between two byte offsets.
func (d *doc) lowRange(s, e int) string { return d.low[s:e] }

// allCues are the context cue bits; fillers are words that sit between a
// cue and its value ("number", "is") and are skipped when looking back.
const (
	allCues = cuePhone | cueEmail | cueCard | cueIBAN | cueAccount | cueBank | cueSSN | cueNINO | cueIP |
		cueVersion | cuePostcode | cueAddress | cueDOB | cueName | cueSecret | cueOrder | cueTracking |
		cueTicket | cueSKU | cueCoupon | cueSerial | cueCustomer | cueLast4 | cueCarrier
	fillers = cueNumberWord | cueIs
)

// cueBefore looks back from word i (exclusive) over at most n words for the
// nearest word carrying any cue and returns its index and bits, or -1. It
// stops at another number (that number owns the cue), at a blank line, and
// at a line break unless the cue is right before the value.
func (d *doc) cueBefore(i, n int) (int, lex) {
	for j := i - 1; j >= 0 && j >= i-n; j-- {
		g := d.gap(j + 1)
		if strings.IndexByte(g, '\n') >= 0 && j < i-3 {
			return -1, 0
		}
		if strings.Contains(g, "\n\n") {
			return -1, 0
		}
		t := d.toks[j]
		if t.flags()&tHasDigit != 0 {
			return -1, 0
		}
		if t.lx&allCues != 0 {
			return j, t.lx
		}
	}
	return -1, 0
}

// hasCue reports whether a word with bits lies within n words before i,
// on the same line, not separated by another number. Unlike cueBefore it
// does not stop at the nearest other cue.
func (d *doc) hasCue(i, n int, bits lex) bool {
	for j := i - 1; j >= 0 && j >= i-n; j-- {
		g := d.gap(j + 1)
		if strings.IndexByte(g, '\n') >= 0 && j < i-2 {
			return false
		}
		t := d.toks[j]
		if t.lx&bits != 0 {
			return true
		}
		if t.flags()&tHasDigit != 0 {
			return false
		}
	}
	return false
}

func (d *doc) add(s, e int, t pii.Type, rank int8) {
	if s < 0 || e > len(d.text) || s >= e {
		return
	}
	d.cands = append(d.cands, cand{s: s, e: e, typ: t, rank: rank})
}

func (d *doc) addForce(s, e int, t pii.Type, rank int8) {
	if s < 0 || e > len(d.text) || s >= e {
		return
	}
	d.cands = append(d.cands, cand{s: s, e: e, typ: t, rank: rank, force: true})
}

func (d *doc) protectSpan(s, e int, hard bool, pass ...pii.Type) {
	d.sorted = false
	if s < 0 || e > len(d.text) || s >= e {
		return
	}
	var p uint16
	for _, t := range pass {
		p |= 1 << typeIndex(t)
	}
	d.prots = append(d.prots, prot{s: s, e: e, hard: hard, pass: p})
}

// sortProts sorts protections by start and keeps a running maximum of their
// ends, so a candidate only visits protections that can reach it.
func (d *doc) sortProts() {
	slices.SortFunc(d.prots, func(a, b prot) int { return a.s - b.s })
	d.maxEnd = d.maxEnd[:0]
	m := 0
	for _, p := range d.prots {
		if p.e > m {
			m = p.e
		}
		d.maxEnd = append(d.maxEnd, m)
	}
	d.sorted = true
}

// blocked reports whether a protection drops candidate c: a token or allow
// match always; a business identifier unless c is validated by checksum or
// prefix (rank 3: a Luhn-valid card after "ref" is still a card), cue-forced,
// or of a type the protection lets through.
func (d *doc) blocked(c cand) bool {
	k := sort.Search(len(d.prots), func(i int) bool { return d.prots[i].s >= c.e })
	for k--; k >= 0 && d.maxEnd[k] > c.s; k-- {
		p := d.prots[k]
		if p.e <= c.s {
			continue
		}
		if p.hard || (!c.force && c.rank < 3 && p.pass&(1<<typeIndex(c.typ)) == 0) {
			return true
		}
	}
	return false
}

// typeRank orders types for ties: the more sensitive and better validated
// type names a merged region.
func typeRank(t pii.Type) int {
	switch t {
	case pii.Secret:
		return 13
	case pii.Card:
		return 12
	case pii.IBAN:
		return 11
	case pii.Email:
		return 10
	case pii.SSN:
		return 9
	case pii.NINO:
		return 8
	case pii.Account:
		return 7
	case pii.Phone:
		return 6
	case pii.IP:
		return 5
	case pii.DOB:
		return 4
	case pii.Address:
		return 3
	case pii.Postcode:
		return 2
	case pii.Person:
		return 1
	}
	return 0
}

// resolve applies protections and merges overlapping candidates.
//
// The rule: a candidate that overlaps a hard protection (a cxgate token, a
// client allow pattern) is dropped; one that overlaps a business-identifier
// protection is dropped unless the protection lets its type through or the
// candidate is cue-forced. Candidates of disabled types are dropped. The
// survivors are sorted by start; overlapping ones form a cluster that
// becomes one finding covering the union of their spans (so no part of any
// detected value stays visible), typed by the best member: highest rank
// (checksum > format > cue), then longest, then the type order
// SECRET CARD IBAN EMAIL SSN NINO ACCOUNT PHONE IP DOB ADDRESS POSTCODE PERSON.
// Replacement works on whole clusters, so text is never cut inside a
// replaced value and never replaced twice.
func (d *doc) resolve() []span {
	if !d.sorted {
		d.sortProts()
	}
	keep := d.cands[:0]
	for _, c := range d.cands {
		if !d.f.enabled[typeIndex(c.typ)] {
			continue
		}
		if !d.blocked(c) {
			keep = append(keep, c)
		}
	}
	if len(keep) == 0 {
		return nil
	}
	slices.SortFunc(keep, func(a, b cand) int {
		if a.s != b.s {
			return a.s - b.s
		}
		return b.e - a.e
	})
	better := func(a, b cand) bool {
		if a.rank != b.rank {
			return a.rank > b.rank
		}
		if la, lb := a.e-a.s, b.e-b.s; la != lb {
			return la > lb
		}
		return typeRank(a.typ) > typeRank(b.typ)
	}
	var out []span
	emit := func(s, e int, best cand) {
		sp := span{s: s, e: e, typ: best.typ}
		if best.s == s && best.e == e {
			sp.norm = best.norm
		}
		out = append(out, sp)
	}
	cur := keep[0]
	best := cur
	for _, c := range keep[1:] {
		if c.s < cur.e {
			if c.e > cur.e {
				cur.e = c.e
			}
			if better(c, best) {
				best = c
			}
			continue
		}
		emit(cur.s, cur.e, best)
		cur, best = c, c
	}
	emit(cur.s, cur.e, best)
	return d.unglue(out)
}

// unglue widens findings that touch a token character ([A-Za-z0-9_-]) on
// either side, and merges findings that then touch each other. A cxgate
// token's payload is base64url, so a token written next to such a character
// ("sk_test_0000-") would read back as a different token; masking the
// glued characters too is the safe side.
func (d *doc) unglue(spans []span) []span {
	t := d.text
	glued := func(c byte) bool { return isAlnumASCII(c) || c == '_' || c == '-' }
	changed := false
	for i := range spans {
		s, e := spans[i].s, spans[i].e
		for s > 0 && glued(t[s-1]) {
			s--
		}
		for e < len(t) && glued(t[e]) {
			e++
		}
		if s != spans[i].s || e != spans[i].e {
			spans[i].s, spans[i].e, spans[i].norm = s, e, ""
			changed = true
		}
	}
	if !changed && len(spans) < 2 {
		return spans
	}
	out := spans[:1]
	for _, sp := range spans[1:] {
		last := &out[len(out)-1]
		if sp.s <= last.e {
			if sp.e > last.e {
				last.e = sp.e
			}
			last.norm = ""
			continue
		}
		out = append(out, sp)
	}
	return out
}
