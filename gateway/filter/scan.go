package filter

import (
	"encoding/binary"
	"math/bits"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"

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
	// so case-insensitive word tests slice it instead of allocating. It is
	// a view of lowBuf (no copy): it and every string sliced from it are
	// valid only until reset, and nothing derived from it may be kept in a
	// result (results hold offsets, types and freshly built strings only).
	low    string
	lowBuf []byte
	// marks say what the scanner saw (markCurrency ...), so that passes
	// that need a currency sign or a token are skipped when there is none,
	// and code-point offsets are computed the fast way when they can be.
	marks uint8
	// addrEnds are the byte ends of street addresses, so postcodes can use
	// "right after an address" as context.
	addrEnds []int
	maxEnd   []int
	// seen is the union of every word's classes: detectors whose cues never
	// occur in the text skip their pass entirely.
	seen lex
	// sorted is set once prots are sorted by start (after protect).
	sorted bool
	// scratch space for sorting, and the spans resolve returns
	protBuf []prot
	candBuf []cand
	out     []span
	// hot are the words any detector can start at: with a digit, a capital,
	// a non-ASCII letter, a word class other than stop word, or glued to
	// "_-@./'". Plain lower-case words, most of any chat, are skipped.
	hot []int32
	// route are the word lists of the detectors (rNums ...): each a part of
	// hot, in text order (every word with a digit is hot).
	route [numRoutes][]int32
	// german are the words that are not hot but end like a German street
	// name ("hauptstraße"): the address detector reads them when the text
	// mentions an address. deStreet is the set of hot words that do.
	german   []int32
	deStreet []uint64
}

func (d *doc) reset(text string) {
	d.text = text
	d.toks = d.toks[:0]
	d.cands = d.cands[:0]
	d.prots = d.prots[:0]
	d.addrEnds = d.addrEnds[:0]
	d.seen = 0
	d.marks = 0
	d.sorted = false
	d.hot = d.hot[:0]
	for k := range d.route {
		d.route[k] = d.route[k][:0]
	}
	d.german = d.german[:0]
	d.deStreet = d.deStreet[:0]
	d.low = ""
	if cap(d.toks) > 1<<18 || cap(d.lowBuf) > 4<<20 { // do not keep huge buffers alive in the pool
		d.toks, d.cands, d.prots, d.lowBuf = nil, nil, nil, nil
		d.hot, d.german, d.deStreet, d.maxEnd, d.addrEnds = nil, nil, nil, nil, nil
		d.route = [numRoutes][]int32{}
		d.protBuf, d.candBuf, d.out = nil, nil, nil
	}
}

// run scans the text and runs every detector. Protections come first so
// detectors can consult them; resolution happens in resolve.
func (d *doc) run() {
	d.tokenize()
	d.detect()
}

// detect runs the protections and the detectors on the scanned words.
func (d *doc) detect() {
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
// patterns (and the lower-casing copy); detectors then work on words.
func (d *doc) tokenize() {
	t := d.text
	n := len(t)
	// lowBuf is the lower-cased text plus lexKeyMax bytes of padding, so the
	// lexicon reads words as whole 64-bit integers.
	if cap(d.lowBuf) < n+lexKeyMax {
		d.lowBuf = make([]byte, n+lexKeyMax, n+n/4+lexKeyMax)
	}
	low := d.lowBuf[:n+lexKeyMax]
	lowerASCII(low[:n], t)
	clear(low[n:])
	d.low = unsafe.String(unsafe.SliceData(low), n)
	cls := &d.f.lex.cls
	table := &d.f.lex.table
	for i := 0; i < n; {
		c := t[i]
		k := cls[c]
		if k&clsWord == 0 {
			d.marks |= k
			i++
			continue
		}
		if k&clsHigh != 0 {
			d.marks |= markNonASCII
			r, sz := utf8.DecodeRuneInString(t[i:])
			if !isWordRune(r) {
				switch {
				case r == '€' || r == '£' || r == '¥' || r == '₹':
					d.marks |= markCurrency
				case r == utf8.RuneError && sz == 1:
					d.marks |= markInvalid // (every byte outside a word passes here)
				}
				i += sz
				continue
			}
		}
		start := i
		var fl uint16
		// acc is the union of the word's character kinds (clsDigit ...); upper
		// counts its capitals
		acc, upper := uint8(0), 0
		if k&clsUpper != 0 {
			fl |= tUpper1
		}
		for i < n {
			k = cls[t[i]]
			if k&clsASCIIWord != 0 {
				acc |= k
				upper += int(k&clsUpper) >> 2
				i++
				continue
			}
			if k&clsHigh == 0 {
				break
			}
			r, sz := utf8.DecodeRuneInString(t[i:])
			if !isWordRune(r) {
				break
			}
			fl |= tNonASCII
			d.marks |= markNonASCII
			switch {
			case unicode.IsDigit(r):
				acc |= clsDigit | clsOtherLetter // not an ASCII digit: never tDigit
			case unicode.IsUpper(r):
				acc |= clsUpper
				upper++
				if i == start {
					fl |= tUpper1
				}
			case unicode.IsLower(r):
				acc |= clsLower
			default:
				acc |= clsOtherLetter
			}
			i += sz
		}
		const letters = clsLower | clsUpper | clsOtherLetter
		if acc&clsDigit != 0 {
			fl |= tHasDigit
			if acc&letters == 0 {
				fl |= tDigit
			}
		}
		if acc&letters != 0 {
			fl |= tHasAlpha
			if acc&clsDigit == 0 {
				fl |= tAlpha
			}
			if upper > 0 && acc&clsLower == 0 {
				fl |= tAllUpper
			}
			if acc&clsLower != 0 {
				fl |= tHasLower
			}
		}
		tk := tok{s: int32(start), e: int32(i)}
		if fl&tAlpha != 0 && i-start <= lexKeyMax {
			if fl&tNonASCII == 0 {
				tk.lx = table.get(low, start, i)
			} else {
				tk.lx = d.f.lex.lookup(t[start:i], d.buf[:])
			}
		}
		// a possible cxgate token (pii.FindTokens runs only then): a word that
		// starts with "cx", or "cx" after a letter outside ASCII
		if t[start]|0x20 == 'c' && low[start+1] == 'x' || fl&tNonASCII != 0 && strings.Contains(t[start:i], "cx") {
			d.marks |= markToken
		}
		d.seen |= tk.lx // classes only: flags are added below
		// a capitalised stop word ("The", "Can") starts nothing: names and
		// streets are unknown or listed words
		if fl&tHasDigit != 0 || tk.lx&^notStart != 0 || upper > 0 && tk.lx&^notStart == 0 && tk.lx&(wStop|wCommon) == 0 ||
			upper > 1 || fl&tUpper1 == 0 && upper > 0 ||
			i < n && isGlue(t[i]) ||
			i-start <= 2 && i+1 < n && t[i] == ' ' && isDigit(t[i+1]) { // "ab 12 34 56 c"
			idx := int32(len(d.toks))
			d.hot = append(d.hot, idx)
			de := fl&tAlpha != 0 && i-start >= 6 && germanStreetSuffix(d.low[start:i])
			if de {
				d.deStreet = setBit(d.deStreet, int(idx))
			}
			for r := d.routes(tk.lx, fl, start, i, de); r != 0; r &= r - 1 {
				k := bits.TrailingZeros16(r)
				d.route[k] = append(d.route[k], idx)
			}
		} else if fl&tAlpha != 0 && i-start >= 6 && germanStreetSuffix(d.low[start:i]) {
			d.german = append(d.german, int32(len(d.toks)))
		}
		tk.lx |= lex(fl) << flagShift
		d.toks = append(d.toks, tk)
	}
}

// Word lists. Each detector that reads words visits only the hot words it
// can act on, listed by the scanner in text order; routes is the one place
// that decides, so its conditions must cover every word the detector would
// act on (they may take more: the detector checks again).
const (
	rNums    = iota // a digit: cards, IBANs, SSNs, IPs, postcodes, phones, prices, masked cards
	rProtect        // protect: business, last-4 and version cues, and digits
	rBrand          // protectBrands: a capitalised first word of a listed brand
	rEmail          // emails: the at-words ("at", "arroba", "arobase", "chez")
	rSecret         // secrets: secret cues and the first letters of vendor keys
	rNINO           // ninos: two letters, or two letters and digits (8 or 9 long)
	rAccount        // accounts: bank cues, "cc", a letter before "/" ("a/c")
	rAddress        // addresses: digits, street words, address triggers, German street endings
	rPerson         // persons: name cues, listed names, capitalised words starting a line
	numRoutes
)

// routes returns the lists (a bit per route) the hot word t[s:e] belongs to.
func (d *doc) routes(lx lex, fl uint16, s, e int, deStreet bool) uint16 {
	t := d.text
	var r uint16
	if fl&tHasDigit != 0 {
		r |= 1<<rNums | 1<<rProtect | 1<<rAddress
	}
	if lx&(bizCues|cueLast4|cueVersion) != 0 {
		r |= 1 << rProtect
	}
	if fl&tUpper1 != 0 && lx&wBrandFirst != 0 {
		r |= 1 << rBrand
	}
	if fl&tAlpha != 0 && lx&wAtWord != 0 {
		r |= 1 << rEmail
	}
	if lx&cueSecret != 0 || e-s >= 2 && vendorFirst(t[s]) {
		r |= 1 << rSecret
	}
	if fl&tHasAlpha != 0 && fl&tNonASCII == 0 && (e-s == 2 || (e-s == 8 || e-s == 9) && fl&tHasDigit != 0) {
		r |= 1 << rNINO
	}
	if lx&(cueAccount|cueBank) != 0 || t[s:e] == "cc" || e-s == 1 && e < len(t) && t[e] == '/' {
		r |= 1 << rAccount
	}
	if lx&(wStreetPre|wStreetDE|wAddrTrigger) != 0 || deStreet {
		r |= 1 << rAddress
	}
	if fl&tAlpha != 0 && (lx&(wTitle|wGreeting|wSignoff|cueName|wNameCue|wIntro|wGiven|wSurname) != 0 ||
		fl&tUpper1 != 0 && (len(d.toks) == 0 || hasByte(t[d.toks[len(d.toks)-1].e:s], '\n'))) {
		r |= 1 << rPerson
	}
	return r
}

// bizCues announce a business identifier (protectAfterCue).
const bizCues = cueOrder | cueTracking | cueTicket | cueSKU | cueCoupon | cueSerial | cueCustomer | cueCarrier

// setBit sets bit i of the bit set b, growing it as needed.
func setBit(b []uint64, i int) []uint64 {
	for len(b) <= i>>6 {
		b = append(b, 0)
	}
	b[i>>6] |= 1 << (i & 63)
	return b
}

// hasBit reports bit i of the bit set b.
func hasBit(b []uint64, i int) bool { return i>>6 < len(b) && b[i>>6]&(1<<(i&63)) != 0 }

// isGlue: the characters that join a word to the next into an identifier,
// an email or a key ("_-@./'").
func isGlue(c byte) bool {
	switch c {
	case '_', '-', '@', '.', '/', '\'':
		return true
	}
	return false
}

// load64 reads the first eight bytes of s as a little-endian integer (the
// compiler makes it one load).
func load64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// runeCount is utf8.RuneCountInString for valid UTF-8: the bytes that do
// not continue a character (10xxxxxx), counted eight at a time.
func runeCount(s string) int {
	n := len(s)
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := load64(s[i : i+8])
		n -= bits.OnesCount64(x &^ (x << 1) & 0x8080808080808080)
	}
	for ; i < len(s); i++ {
		if s[i]&0xc0 == 0x80 {
			n--
		}
	}
	return n
}

// lowerASCII writes src to dst with ASCII letters lower-cased, eight bytes
// at a time.
func lowerASCII(dst []byte, src string) {
	const ones = 0x0101010101010101
	i := 0
	for ; i+8 <= len(src); i += 8 {
		x := load64(src[i : i+8])
		// per byte, the high bit of (b&0x7f)+(0x80-'A') is set for b >= 'A', that
		// of (b&0x7f)+(0x80-'Z'-1) for b > 'Z'; bytes >= 0x80 are left alone
		h := x &^ (0x80 * ones)
		upper := (h + (0x80-'A')*ones) &^ (h + (0x80-'Z'-1)*ones) &^ x & (0x80 * ones)
		binary.LittleEndian.PutUint64(dst[i:], x|upper>>2)
	}
	for ; i < len(src); i++ {
		c := src[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst[i] = c
	}
}

// hasByte is strings.IndexByte(s, c) >= 0 for the short gaps between words,
// without the call.
func hasByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}

// hasAnyByte is strings.ContainsAny for a small set of ASCII characters
// (which never occur inside a multi-byte character), without building a
// set per call.
func hasAnyByte(s, set string) bool {
	for i := 0; i < len(s); i++ {
		for j := 0; j < len(set); j++ {
			if s[i] == set[j] {
				return true
			}
		}
	}
	return false
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
	d.protBuf = mergeSort(d.prots, d.protBuf, func(p *prot) uint64 { return uint64(p.s) })
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
	// k: the first protection starting at or after c.e (sort.Search, inline)
	k, hi := 0, len(d.prots)
	for k < hi {
		m := int(uint(k+hi) >> 1)
		if d.prots[m].s < c.e {
			k = m + 1
		} else {
			hi = m
		}
	}
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
	// by start, longer first
	d.candBuf = mergeSort(keep, d.candBuf, func(c *cand) uint64 { return uint64(c.s)<<32 | uint64(^uint32(c.e)) })
	better := func(a, b cand) bool {
		if a.rank != b.rank {
			return a.rank > b.rank
		}
		if la, lb := a.e-a.s, b.e-b.s; la != lb {
			return la > lb
		}
		return typeRank(a.typ) > typeRank(b.typ)
	}
	out := d.out[:0]
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
	d.out = out
	return d.unglue(out)
}

// mergeSort sorts xs by key, ascending and stable, using buf as scratch
// space (grown when needed and returned for reuse). It is a natural merge
// sort: each pass merges neighbouring ascending runs, so candidates and
// protections, which are a few runs (every detector scans the text from
// left to right), sort in a few linear passes; O(n log n) at worst.
func mergeSort[T any](xs, buf []T, key func(*T) uint64) []T {
	n := len(xs)
	if n < 2 {
		return buf
	}
	if cap(buf) < n {
		buf = make([]T, n)
	}
	src, dst := xs, buf[:n]
	for {
		for i := 0; i < n; {
			// the run src[i:m], then the run src[m:e]
			m, last := i+1, key(&src[i])
			for m < n {
				k := key(&src[m])
				if k < last {
					break
				}
				last = k
				m++
			}
			if m == n {
				if i == 0 { // one run: sorted
					if &src[0] != &xs[0] {
						copy(xs, src)
					}
					return buf
				}
				copy(dst[i:], src[i:])
				break
			}
			e := m + 1
			for last = key(&src[m]); e < n; e++ {
				k := key(&src[e])
				if k < last {
					break
				}
				last = k
			}
			a, b, o := i, m, i
			ka, kb := key(&src[a]), key(&src[b])
			for {
				if kb < ka {
					dst[o] = src[b]
					o++
					if b++; b == e {
						break
					}
					kb = key(&src[b])
				} else {
					dst[o] = src[a]
					o++
					if a++; a == m {
						break
					}
					ka = key(&src[a])
				}
			}
			o += copy(dst[o:], src[a:m])
			copy(dst[o:], src[b:e])
			i = e
		}
		src, dst = dst, src
	}
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
