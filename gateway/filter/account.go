package filter

import (
	"strings"

	"github.com/cxgate/cxgate/pii"
)

// accounts finds bank account details next to their cues: sort codes,
// routing numbers (ABA checksum), BLZ, IFSC, BSB, agência/conta, and
// account numbers after "account number" in a banking context.
func (d *doc) accounts() {
	n := len(d.toks)
	next := 0
	for _, h := range d.route[rAccount] {
		i := int(h)
		if i < next {
			continue
		}
		tk := d.toks[i]
		w := ""
		switch {
		case tk.lx&(cueAccount|cueBank) != 0:
			w = d.lw(i)
		case d.word(i) == "cc" && i+2 < n && d.gap(i+2) == "-" && d.fl(i+1, tDigit) && d.toks[i+2].e-d.toks[i+2].s == 1:
			w = "c/c" // Brazilian "cc 01234-5" (conta corrente)
		case tk.e-tk.s == 1 && i+1 < n && d.gap(i+1) == "/" && d.toks[i+1].e-d.toks[i+1].s == 1:
			// "a/c", "c/c" (conta corrente)
			p := d.lw(i) + "/" + d.lw(i+1)
			if p != "a/c" && p != "c/c" {
				continue
			}
			w = p
			next = i + 2
		default:
			continue
		}
		switch w {
		case "sort":
			if i+1 < n && d.lw(i+1) == "code" {
				d.accountValue(i+1, sortCode)
			}
		case "routing", "aba", "rtn":
			d.accountValue(i, routing)
		case "blz", "bankleitzahl":
			d.accountValue(i, blz)
		case "ifsc":
			d.accountValue(i, ifsc)
		case "bsb":
			d.accountValue(i, bsb)
		case "agência", "agencia", "ag":
			d.accountValue(i, agencia)
		case "konto", "kontonummer", "kto", "compte", "conta", "rib", "a/c", "c/c":
			d.accountValue(i, accountNo)
		case "account", "accounts", "acct", "acc":
			if d.bankContext(i) {
				d.accountValue(i, accountNo)
			}
		case "checking", "savings", "poupança", "poupanca", "corrente":
			d.accountValue(i, accountNo)
		}
	}
}

type acctKind uint8

const (
	sortCode acctKind = iota + 1
	routing
	blz
	ifsc
	bsb
	agencia
	accountNo
)

// bankContext: an English "account" is a bank account only with a banking
// word nearby ("bank account", "checking account", "account for the
// refund transfer"); otherwise it is the customer's login account.
func (d *doc) bankContext(i int) bool {
	lo, hi := i-12, i+12
	if lo < 0 {
		lo = 0
	}
	if hi >= len(d.toks) {
		hi = len(d.toks) - 1
	}
	for k := lo; k <= hi; k++ {
		if d.toks[k].lx&(cueBank|cueIBAN) != 0 {
			return true
		}
	}
	return false
}

// accountValue finds the value after the cue at i and adds it.
func (d *doc) accountValue(i int, kind acctKind) {
	n := len(d.toks)
	j := i + 1
	for k := 0; k < 5 && j < n; k++ {
		tk := d.toks[j]
		if tk.flags()&tHasDigit != 0 || (kind == ifsc && tk.flags()&tAllUpper != 0 && tk.e-tk.s == 11) {
			break
		}
		if strings.Contains(d.gap(j), "\n\n") {
			return
		}
		if tk.lx&(fillers|cueBank|cueAccount|wStop|cueIBAN) == 0 && tk.e-tk.s > 2 {
			return
		}
		j++
	}
	if j >= n || hasByte(d.gap(j), '@') {
		return
	}
	tk := d.toks[j]
	w := d.word(j)
	s := int(tk.s)
	switch kind {
	case ifsc:
		if len(w) == 11 && isIFSC(w) {
			d.addForce(s, int(tk.e), pii.Account, 2)
		}
		return
	case sortCode, bsb:
		// 12-34-56, 12 34 56, 123456, 062-000
		e, digits := d.groupedDigits(j, " -", 6)
		if digits == 6 {
			d.addForce(s, e, pii.Account, 2)
		}
		return
	case routing:
		e, digits := d.groupedDigits(j, "", 9)
		if digits == 9 {
			r := int8(1)
			if aba(d.text[s:e]) {
				r = 2
			}
			d.addForce(s, e, pii.Account, r)
		}
		return
	case blz:
		e, digits := d.groupedDigits(j, " ", 8)
		if digits == 8 {
			d.addForce(s, e, pii.Account, 2)
		}
		return
	case agencia:
		// 1234, 1234-5
		if tk.flags()&tDigit != 0 && len(w) >= 3 && len(w) <= 5 {
			e := int(tk.e)
			if j+1 < n && d.gap(j+1) == "-" && d.toks[j+1].e-d.toks[j+1].s <= 2 {
				e = int(d.toks[j+1].e)
			}
			d.addForce(s, e, pii.Account, 2)
		}
		return
	}
	// account numbers: 4-20 digits, possibly grouped ("12345-6", "0532 0130 00")
	if tk.flags()&tDigit == 0 {
		return
	}
	e, digits := d.groupedDigits(j, " -", 20)
	if digits < 5 || digits > 20 || !d.endsNumber(e) {
		return
	}
	d.addForce(s, e, pii.Account, 2)
}

// groupedDigits extends word j over digit words joined by one of seps and
// returns the end byte and the digit count, stopping at max digits.
func (d *doc) groupedDigits(j int, seps string, max int) (int, int) {
	tk := d.toks[j]
	if tk.flags()&tDigit == 0 {
		return int(tk.e), 0
	}
	digits := int(tk.e - tk.s)
	k := j
	for k+1 < len(d.toks) && digits < max {
		g := d.gap(k + 1)
		if len(g) != 1 || !strings.Contains(seps, g) || d.toks[k+1].flags()&tDigit == 0 {
			break
		}
		nd := int(d.toks[k+1].e - d.toks[k+1].s)
		if digits+nd > max {
			break
		}
		digits += nd
		k++
	}
	return int(d.toks[k].e), digits
}

func isIFSC(w string) bool {
	if len(w) != 11 {
		return false
	}
	for i := 0; i < 4; i++ {
		if !isLetter(w[i]) {
			return false
		}
	}
	if w[4] != '0' {
		return false
	}
	for i := 5; i < 11; i++ {
		if !isAlnumASCII(w[i]) {
			return false
		}
	}
	return true
}

// aba checks a US routing number's checksum (weights 3, 7, 1).
func aba(s string) bool {
	var ds []int
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			ds = append(ds, int(s[i]-'0'))
		}
	}
	if len(ds) != 9 {
		return false
	}
	sum := 3*(ds[0]+ds[3]+ds[6]) + 7*(ds[1]+ds[4]+ds[7]) + ds[2] + ds[5] + ds[8]
	return sum%10 == 0
}
