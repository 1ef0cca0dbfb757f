package filter

import (
	"strings"

	"github.com/cxgate/cxgate/pii"
)

// dobs finds dates next to a birth cue ("DOB", "date of birth", "born on",
// "Geburtsdatum", "né le", "data de nascimento"). A date without a cue is an
// order or delivery date and stays.
func (d *doc) dobs() {
	if d.seen&cueDOB == 0 {
		return
	}
	n := len(d.toks)
	next := 0
	for _, h := range d.hot {
		i := int(h)
		if i < next {
			continue
		}
		if d.toks[i].lx&cueDOB == 0 {
			continue
		}
		// the date within the next words on the same line
		for k := i + 1; k < n && k <= i+8; k++ {
			if hasByte(d.gap(k), '\n') && k > i+2 {
				break
			}
			if e, ok := d.dateAt(k, d.lw(i) == "birthday" || d.lw(i) == "geburtstag" || strings.HasPrefix(d.lw(i), "anivers") || d.lw(i) == "bday"); ok {
				d.add(int(d.toks[k].s), e, pii.DOB, 2)
				next = k + 1
				break
			}
			if d.toks[k].lx&(cueOrder|cueTracking|cueDOB) != 0 && k > i+1 {
				break
			}
		}
	}
	// "12/03/1985 (DOB)": a cue right after the date
	for i := 0; i+1 < n; i++ {
		if !d.fl(i, tHasDigit) && d.toks[i].lx&wMonth == 0 {
			continue
		}
		e, ok := d.dateAt(i, false)
		if !ok {
			continue
		}
		for k := i + 1; k < n && int(d.toks[k].s) < e+12; k++ {
			if int(d.toks[k].s) >= e && d.toks[k].lx&cueDOB != 0 && (d.toks[k].flags()&tAllUpper != 0 || int(d.toks[k].s)-e <= 14) && !hasAnyByte(d.text[e:d.toks[k].s], ".,\n;") {
				d.add(int(d.toks[i].s), e, pii.DOB, 2)
				break
			}
		}
	}
}

// dateAt parses a date starting at word k and returns its end byte.
// Numeric: 12/03/1985, 1985-03-12, 12.03.85; worded: 12 March 1985,
// 12th of March, 1985, March 12, 1985, 12. März 1985, 12 de março de 1985.
// noYear accepts "12 March" / "March 12" (birthdays).
func (d *doc) dateAt(k int, noYear bool) (int, bool) {
	n := len(d.toks)
	w := d.word(k)
	tk := d.toks[k]
	if tk.flags()&tDigit != 0 && k+2 < n {
		g1, g2 := d.gap(k+1), d.gap(k+2)
		if g1 == g2 && (g1 == "/" || g1 == "." || g1 == "-") && d.fl(k+1, tDigit) && d.fl(k+2, tDigit) {
			if y, ok := numericDate(w, d.word(k+1), d.word(k+2)); ok && plausibleBirthYear(y) {
				return int(d.toks[k+2].e), true
			}
		}
	}
	day := func(x int) bool {
		if x >= n {
			return false
		}
		v := d.word(x)
		if isOrdinal(v) {
			v = strings.TrimRight(v, "abcdefghijklmnopqrstuvwxyzºª")
		}
		a := atoi(v)
		return allDigits(v) && a >= 1 && a <= 31 && len(v) <= 2
	}
	year := func(x int) bool {
		if x >= n || !d.fl(x, tDigit) {
			return false
		}
		v := d.word(x)
		return (len(v) == 4 && plausibleBirthYear(atoi(v))) || (len(v) == 2 && d.gap(x) == " '")
	}
	skip := func(x int, words ...string) int {
		for x < n {
			l := d.lw(x)
			found := false
			for _, wd := range words {
				if l == wd {
					found = true
				}
			}
			if !found {
				break
			}
			x++
		}
		return x
	}
	// day month year
	if day(k) {
		m := skip(k+1, "of", "de", "del")
		if m < n && d.toks[m].lx&wMonth != 0 && len(d.gap(m)) <= 3 {
			y := skip(m+1, "de", "del", "of")
			if y < n && len(d.gap(y)) <= 3 && year(y) {
				return int(d.toks[y].e), true
			}
			if noYear {
				return int(d.toks[m].e), true
			}
		}
	}
	// month day, year
	if tk.lx&wMonth != 0 && tk.flags()&tAlpha != 0 {
		if k+1 < n && day(k+1) && len(d.gap(k+1)) <= 2 {
			if k+2 < n && len(d.gap(k+2)) <= 3 && year(k+2) {
				return int(d.toks[k+2].e), true
			}
			if noYear {
				return int(d.toks[k+1].e), true
			}
		}
		// "March 1985" after a birth cue
		if k+1 < n && len(d.gap(k+1)) <= 2 && year(k+1) {
			return int(d.toks[k+1].e), true
		}
	}
	return 0, false
}

func plausibleBirthYear(y int) bool { return y >= 1900 && y <= 2030 }
