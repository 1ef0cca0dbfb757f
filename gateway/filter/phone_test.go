package filter

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/nyaruka/phonenumbers/v2"
)

// TestRegionValidatorAgreesWithLibphonenumber checks that the compiled
// per-region validator gives libphonenumber's own IsValidNumberForRegion
// answer, on the library's example numbers and on random numbers.
func TestRegionValidatorAgreesWithLibphonenumber(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, code := range DefaultPhoneRegions {
		r, err := newRegion(code)
		if err != nil {
			t.Fatal(err)
		}
		var samples []string
		for typ := range phonenumbers.GetSupportedTypesForRegion(code) {
			if ex := phonenumbers.GetExampleNumberForTypeInRegion(code, typ); ex != nil {
				samples = append(samples, phonenumbers.GetNationalSignificantNumber(ex))
			}
		}
		for i := 0; i < 3000; i++ {
			n := 6 + rng.IntN(8)
			b := make([]byte, n)
			for j := range b {
				b[j] = byte('0' + rng.IntN(10))
			}
			samples = append(samples, string(b))
		}
		agree, valid := 0, 0
		for _, nsn := range samples {
			num, err := phonenumbers.Parse("+"+strconv.Itoa(r.cc)+nsn, "ZZ")
			if err != nil {
				continue
			}
			want := phonenumbers.IsValidNumberForRegion(num, code)
			got := r.libValid(phonenumbers.GetNationalSignificantNumber(num))
			if got != want {
				t.Errorf("%s %s: fast validator %v, libphonenumber %v", code, nsn, got, want)
				continue
			}
			agree++
			if want {
				valid++
			}
		}
		t.Logf("%s: %d numbers agree (%d valid)", code, agree, valid)
	}
}

func TestFictionalRanges(t *testing.T) {
	gb, _ := newRegion("GB")
	fr, _ := newRegion("FR")
	for _, tc := range []struct {
		r   *region
		nsn string
	}{
		{gb, "7700900123"}, {gb, "1134960000"}, {gb, "1614960999"}, {gb, "2079460123"}, {gb, "2920180456"},
		{fr, "199001234"}, {fr, "639984567"},
	} {
		if !tc.r.validNSN(tc.nsn) {
			t.Errorf("%s %s: reserved drama number rejected", tc.r.code, tc.nsn)
		}
	}
	if gb.validNSN("7700800123") {
		t.Error("GB 07700 800123 is neither valid nor reserved")
	}
}

// TestWordClassesLeaveRoomForFlags: tok keeps the token flags in the top
// byte of its class bits.
func TestWordClassesLeaveRoomForFlags(t *testing.T) {
	if wAtWord >= 1<<flagShift {
		t.Fatalf("word classes reach bit %d; flags start at %d", 63-bitsLeadingZeros(uint64(wAtWord)), flagShift)
	}
	l := newLexicon()
	for w, lx := range l.words {
		if lx>>flagShift != 0 {
			t.Fatalf("%q has bits in the flag byte", w)
		}
	}
}

func bitsLeadingZeros(x uint64) int {
	n := 0
	for x&(1<<63) == 0 && n < 64 {
		x <<= 1
		n++
	}
	return n
}
