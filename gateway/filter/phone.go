package filter

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers/v2"
	"github.com/nyaruka/phonenumbers/v2/metadata"

	"github.com/cxgate/cxgate/pii"
)

// region validates national significant numbers of one country exactly as
// libphonenumber's IsValidNumberForRegion does (same metadata: general
// pattern and lengths, then the per-type patterns and lengths), with the
// patterns compiled once in New instead of looked up per call, and with
// none of Parse's normalisation: the scanner already has the digits.
type region struct {
	code   string
	cc     int
	prefix string // national (trunk) prefix: "0", or "1" for NANP
	// general and types repeat libphonenumber's exact test: the general
	// description (pattern and possible lengths), then any number type.
	general descCheck
	types   []descCheck
}

type descCheck struct {
	re      *regexp.Regexp
	lengths []int32
}

func (c descCheck) match(nsn string) bool {
	if len(c.lengths) > 0 {
		ok := false
		for _, l := range c.lengths {
			if int(l) == len(nsn) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return c.re.MatchString(nsn)
}

func newRegion(code string) (*region, error) {
	md, ok := metadata.RegionMetadata(code)
	if !ok || len(code) != 2 {
		return nil, fmt.Errorf("unknown phone region %q (want an ISO 3166-1 alpha-2 code such as US or GB)", code)
	}
	compile := func(p string) (*regexp.Regexp, error) {
		re, err := regexp.Compile("^(?:" + p + ")$")
		if err != nil {
			return nil, fmt.Errorf("phone region %q: %w", code, err)
		}
		return re, nil
	}
	r := &region{code: code, cc: int(md.GetCountryCode()), prefix: md.GetNationalPrefix()}
	var pats []string
	// most numbers people type are fixed or mobile: test those first
	for _, desc := range []*metadata.PhoneNumberDesc{md.GetFixedLine(), md.GetMobile(), md.GetTollFree(),
		md.GetPremiumRate(), md.GetSharedCost(), md.GetVoip(), md.GetPersonalNumber(), md.GetPager(), md.GetUan(),
		md.GetVoicemail()} {
		p := desc.GetNationalNumberPattern()
		if p == "" || p == "NA" {
			continue
		}
		re, err := compile(p)
		if err != nil {
			return nil, err
		}
		r.types = append(r.types, descCheck{re: re, lengths: desc.GetPossibleLength()})
		pats = append(pats, p)
	}
	if len(pats) == 0 {
		return nil, fmt.Errorf("phone region %q has no number patterns", code)
	}
	var err error
	gd := md.GetGeneralDesc()
	if r.general.re, err = compile(gd.GetNationalNumberPattern()); err != nil {
		return nil, err
	}
	r.general.lengths = gd.GetPossibleLength()
	return r, nil
}

// validNSN reports whether nsn (no trunk prefix, no country code) is a
// valid number of the region, or a number reserved for drama and
// documentation (libphonenumber rejects Ofcom's 07700 900xxx range).
func (r *region) validNSN(nsn string) bool {
	if len(nsn) < 4 || len(nsn) > 14 {
		return false
	}
	if r.cc == 44 && fictionalGB(nsn) || r.cc == 33 && fictionalFR(nsn) {
		return true
	}
	return r.libValid(nsn)
}

// libValid is libphonenumber's IsValidNumberForRegion on a national
// significant number.
func (r *region) libValid(nsn string) bool {
	if !r.general.match(nsn) {
		return false
	}
	for _, t := range r.types {
		if t.match(nsn) {
			return true
		}
	}
	return false
}

// fictionalGB: Ofcom's numbers reserved for drama (07700 900xxx, 01632
// 960xxx, 0113 496 0xxx and the other city ranges, 020 7946 0xxx ...).
func fictionalGB(nsn string) bool {
	if len(nsn) != 10 {
		return false
	}
	switch {
	case strings.HasPrefix(nsn, "7700900"), strings.HasPrefix(nsn, "1632960"), strings.HasPrefix(nsn, "2079460"),
		strings.HasPrefix(nsn, "2890180"), strings.HasPrefix(nsn, "2920180"), strings.HasPrefix(nsn, "1914980"),
		strings.HasPrefix(nsn, "8081570"), strings.HasPrefix(nsn, "9098790"), strings.HasPrefix(nsn, "3069990"):
		return true
	case nsn[0] == '1' && nsn[1] == '1' && nsn[3:7] == "4960": // 011x 496 0xxx
		return true
	case nsn[0] == '1' && nsn[2] == '1' && nsn[3:7] == "4960": // 01x1 496 0xxx
		return true
	}
	return false
}

// fictionalFR: ARCEP's numbers reserved for fiction (01 99 00, 02 61 91,
// 03 53 01, 04 65 71, 05 36 49, mobile 06 39 98).
func fictionalFR(nsn string) bool {
	if len(nsn) != 9 {
		return false
	}
	switch nsn[:5] {
	case "19900", "26191", "35301", "46571", "53649", "63998":
		return true
	}
	return false
}

// gs1 reports a valid GS1 check digit (EAN-13, UPC-A, EAN-8, GTIN-14).
func gs1(s string) bool {
	if len(s) != 8 && len(s) != 12 && len(s) != 13 && len(s) != 14 {
		return false
	}
	sum := 0
	for i := 0; i < len(s)-1; i++ {
		x := int(s[len(s)-2-i] - '0')
		if i%2 == 0 {
			x *= 3
		}
		sum += x
	}
	return (10-sum%10)%10 == int(s[len(s)-1]-'0')
}

// phoneGap lists the separators allowed between digit groups of a phone.
func phoneGap(g string) bool {
	switch g {
	case " ", "-", ".", " - ", "/", " / ", ") ", ")", " (", "(", ")-", ") -", "-(", ". ", "–", " – ", "  ", "\u00a0":
		return true
	}
	return false
}

// phones finds national and international numbers: a cheap scan for digit
// groups with phone separators, shape rules per region, then validation
// against libphonenumber metadata. Bare digit strings (no separators) need
// a phone cue, a "+", or a trunk-prefixed national length.
func (d *doc) phones() {
	n := len(d.toks)
	var ends []int
	next := 0
	for _, h := range d.route[rNums] { // phones are digits
		i := int(h)
		if i < next {
			continue
		}
		tk := d.toks[i]
		if tk.flags()&tDigit == 0 {
			continue
		}
		s := int(tk.s)
		if s > 0 {
			c := d.text[s-1]
			if isAlnumASCII(c) || c == '_' || c == '@' || c == '#' || c == '$' || c == '%' {
				continue
			}
			if (c == '-' || c == '.' || c == '/' || c == ',') && s >= 2 && isAlnumASCII(d.text[s-2]) {
				continue
			}
		}
		// prefix: "+", "+(", "(", "+ "
		start := s
		intl, paren := false, false
		if s > 0 && d.text[s-1] == '(' {
			paren = true
			start = s - 1
			if s > 1 && d.text[s-2] == '+' {
				intl, start = true, s-2
			}
		} else if s > 0 && d.text[s-1] == '+' {
			intl, start = true, s-1
		} else if s > 1 && d.text[s-2] == '+' && d.text[s-1] == ' ' {
			intl, start = true, s-2
		}
		if start > 0 && d.text[start-1] != ' ' && isAlnumASCII(d.text[start-1]) {
			continue
		}
		// the tail of a longer number ("DE12 3456 7890 1234 5678 90")
		if !intl && !paren && i > 0 && d.gap(i) == " " && d.toks[i-1].flags()&tHasDigit != 0 {
			continue
		}
		// collect the digit groups
		ends = ends[:0]
		ends = append(ends, i)
		digits := int(tk.e - tk.s)
		for j := i; j+1 < n && digits < 17; j++ {
			if !phoneGap(d.gap(j+1)) || d.toks[j+1].flags()&tDigit == 0 {
				break
			}
			digits += int(d.toks[j+1].e - d.toks[j+1].s)
			ends = append(ends, j+1)
		}
		if digits < 7 {
			continue // too short for any phone number
		}
		for k := len(ends) - 1; k >= 0; k-- {
			j := ends[k]
			e := int(d.toks[j].e)
			if e-int(tk.s) < 7 {
				break
			}
			if k < len(ends)-1 {
				// shorten only at a space: "020 7946 0123 12" is a phone and a 12
				if g := d.gap(j + 1); g != " " && g != "  " {
					continue
				}
			} else if !d.endsNumber(e) {
				continue
			}
			if d.blocked(cand{s: start, e: e, typ: pii.Phone, rank: 2}) {
				continue
			}
			norm, rank := d.phoneCandidate(i, j, intl, paren)
			if rank == 0 {
				continue
			}
			d.cands = append(d.cands, cand{s: start, e: e, typ: pii.Phone, rank: rank, norm: norm})
			next = j + 1
			break
		}
	}
}

// phoneCandidate validates words i..j as a phone number and returns its
// E.164 form and rank, or rank 0.
func (d *doc) phoneCandidate(i, j int, intl, paren bool) (string, int8) {
	var buf [24]byte
	num := buf[:0]
	for k := i; k <= j; k++ {
		num = append(num, d.word(k)...)
		if len(num) > 17 {
			return "", 0
		}
	}
	if len(num) < 7 {
		return "", 0
	}
	bare := i == j && !paren
	groups := j - i + 1
	if !intl && len(d.word(i)) >= 3 && strings.HasPrefix(d.word(i), "00") {
		intl = true // "0033 1 99 00 11 22"
		num = num[2:]
	}
	// no group may be a lone digit except right after the country code
	// ("+33 1 99 00 12 34") or a leading trunk/country digit
	for k := i + 1; k <= j; k++ {
		if d.toks[k].e-d.toks[k].s == 1 && !(k == i+1 && (intl || d.word(i) == "0" || d.word(i) == "1")) {
			return "", 0
		}
	}
	cueIdx, cueBits := d.cueBefore(i, 6)
	phoneCue := cueIdx >= 0 && cueBits&cuePhone != 0
	const business = cueOrder | cueTracking | cueTicket | cueSKU | cueSerial | cueAccount | cueBank | cueCard |
		cueSSN | cueIBAN | cueVersion | cueCoupon | cuePostcode | cueDOB
	if cueIdx >= 0 && cueBits&cuePhone == 0 && cueBits&business != 0 && (bare || cueIdx >= i-3) {
		return "", 0
	}
	if bare && !phoneCue && gs1(string(num)) {
		return "", 0 // an EAN/UPC barcode
	}
	// Brazilian CPF 123.456.789-09 and CNPJ 12.345.678/0001-90 are tax ids
	if groups >= 4 && d.gap(i+1) == "." && d.gap(i+2) == "." && (d.gap(j) == "-" || d.gap(j) == "/") {
		return "", 0
	}
	s := string(num)
	if !intl && strings.HasPrefix(s, "00") && len(s) > 11 {
		intl, s = true, s[2:]
	}
	if intl {
		for l := 1; l <= 3 && l < len(s); l++ {
			cc, _ := strconv.Atoi(s[:l])
			if phonenumbers.GetRegionCodeForCountryCode(cc) == "ZZ" {
				continue
			}
			nsn := s[l:]
			if len(nsn) < 6 {
				return "", 0
			}
			if d.validIntl(cc, nsn) {
				return "+" + s[:l] + strings.TrimPrefix(nsn, "0"), 2
			}
			return "", 0
		}
		return "", 0
	}
	for _, r := range d.f.regions {
		nsn, ok := r.national(s, bare)
		if !ok || !r.validNSN(nsn) {
			continue
		}
		if bare && !phoneCue && !r.bareOK(s) {
			continue
		}
		if groups == 2 && !phoneCue && len(s) < 10 {
			continue // "1234 5678" with no cue is too weak
		}
		// Brazilian numbers without "(DD)" or a trunk 0 are written "11 91234-5678"
		if r.cc == 55 && !paren && !phoneCue && s[0] != '0' && (d.gap(j) != "-" || d.toks[j].e-d.toks[j].s != 4) {
			continue
		}
		return "+" + strconv.Itoa(r.cc) + nsn, 2
	}
	// US local seven-digit numbers ("555-0123") only after a phone cue.
	if phoneCue && len(s) == 7 && groups == 2 && d.gap(i+1) == "-" {
		for _, r := range d.f.regions {
			if r.cc == 1 {
				return s, 1
			}
		}
	}
	return "", 0
}

// national strips the trunk prefix the way people write national numbers
// in the region and returns the national significant number.
func (r *region) national(s string, bare bool) (string, bool) {
	switch r.cc {
	case 1: // NANP: 10 digits, or 1 + 10
		if len(s) == 11 && s[0] == '1' {
			s = s[1:]
		}
		if len(s) != 10 || s[0] < '2' || s[3] < '2' {
			return "", false
		}
		return s, true
	case 91: // India: 0 + STD code, or a bare 10-digit mobile
		if s[0] == '0' {
			return s[1:], len(s) >= 11
		}
		return s, len(s) == 10 && s[0] >= '6'
	case 55: // Brazil: (DD) 9XXXX-XXXX, 0 + DD optional
		if s[0] == '0' {
			s = s[1:]
		}
		return s, len(s) == 10 || len(s) == 11
	}
	if r.prefix != "" && strings.HasPrefix(s, r.prefix) && !strings.HasPrefix(s, r.prefix+r.prefix) {
		return s[len(r.prefix):], true
	}
	return "", false
}

// bareOK: digit strings written without separators that are still clearly
// phones without a cue (trunk-prefixed national lengths).
func (r *region) bareOK(s string) bool {
	switch r.cc {
	case 44:
		return len(s) == 11 && s[0] == '0' && (s[1] == '7' || s[1] == '1' || s[1] == '2')
	case 33:
		return len(s) == 10 && s[0] == '0' && s[1] != '0'
	case 49:
		return s[0] == '0' && s[1] == '1' && (s[2] == '5' || s[2] == '6' || s[2] == '7') && len(s) >= 11
	}
	return false
}

// validIntl validates an international number with a configured region's
// fast validator or, for other countries, libphonenumber itself.
func (d *doc) validIntl(cc int, nsn string) bool {
	for _, r := range d.f.regions {
		if r.cc == cc {
			if r.validNSN(nsn) {
				return true
			}
			// "+44 (0)20 7946 0123"
			return strings.HasPrefix(nsn, "0") && r.validNSN(nsn[1:])
		}
	}
	if cc == 44 && fictionalGB(strings.TrimPrefix(nsn, "0")) {
		return true
	}
	num, err := phonenumbers.Parse("+"+strconv.Itoa(cc)+nsn, "ZZ")
	if err != nil {
		return false
	}
	return phonenumbers.IsValidNumber(num)
}

// phoneE164 is the fallback normalisation when a phone span was merged
// with another finding: digits with a leading "+" kept.
func phoneE164(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if isDigit(v[i]) || (v[i] == '+' && b.Len() == 0) {
			b.WriteByte(v[i])
		}
	}
	return b.String()
}
