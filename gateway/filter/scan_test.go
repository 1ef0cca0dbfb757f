package filter

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// The scanner's fast paths against their plain equivalents.

func TestMergeSortIsAStableSort(t *testing.T) {
	type item struct{ key, seq int }
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 0; n < 300; n++ {
		for _, runs := range []int{1, 2, 3, 7, n + 1} {
			xs := make([]item, n)
			for i := range xs {
				xs[i] = item{rng.IntN(50), i}
			}
			// cut into runs, each sorted (as the detectors produce them)
			for r := 0; r < runs; r++ {
				lo, hi := n*r/runs, n*(r+1)/runs
				slices.SortStableFunc(xs[lo:hi], func(a, b item) int { return a.key - b.key })
			}
			want := slices.Clone(xs)
			slices.SortStableFunc(want, func(a, b item) int { return a.key - b.key })
			var buf []item
			buf = mergeSort(xs, buf, func(x *item) uint64 { return uint64(x.key) })
			if !slices.Equal(xs, want) {
				t.Fatalf("n=%d runs=%d: got %v, want %v", n, runs, xs, want)
			}
			_ = buf
		}
	}
}

func TestLowerASCII(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for n := 0; n < 200; n++ {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		src := string(b)
		got := make([]byte, n)
		lowerASCII(got, src)
		for i := 0; i < n; i++ {
			want := src[i]
			if want >= 'A' && want <= 'Z' {
				want += 'a' - 'A'
			}
			if got[i] != want {
				t.Fatalf("%q: byte %d is %q, want %q", src, i, got[i], want)
			}
		}
	}
}

func TestRuneCountOfValidUTF8(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	pool := []rune("aZ09 -é€ü🙂ßİ\u00a0\u0301語")
	for n := 0; n < 300; n++ {
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteRune(pool[rng.IntN(len(pool))])
		}
		s := b.String()
		for cut := 0; cut <= len(s); cut += 1 + rng.IntN(5) {
			if !utf8.ValidString(s[:cut]) {
				continue
			}
			if got, want := runeCount(s[:cut]), utf8.RuneCountInString(s[:cut]); got != want {
				t.Fatalf("%q: runeCount %d, want %d", s[:cut], got, want)
			}
		}
	}
}

// TestLexTableAgreesWithWords: the scanner's integer-keyed table gives every
// word the classes of the lexicon's map, and nothing to other words.
func TestLexTableAgreesWithWords(t *testing.T) {
	l := newLexicon()
	if len(l.table.keys) >= 1<<16 {
		t.Fatalf("%d words: the table's 16-bit indexes are too small", len(l.table.keys))
	}
	var buf [96]byte
	for w, want := range l.words {
		if len(w) > lexKeyMax {
			t.Errorf("lexicon word %q is longer than %d bytes: the scanner never looks it up", w, lexKeyMax)
			continue
		}
		if got := l.lookup(w, buf[:]); got != want {
			t.Errorf("lookup(%q) = %x, want %x", w, got, want)
		}
		b := append([]byte(w), make([]byte, lexKeyMax)...)
		if got := l.table.get(b, 0, len(w)); got != want {
			t.Errorf("table.get(%q) = %x, want %x", w, got, want)
		}
	}
	rng := rand.New(rand.NewPCG(9, 10))
	alpha := []rune("abcdefghijklmnopqrstuvwxyzABCDEZéÉüÜßçÇ\x00-'")
	for n := 0; n < 20000; n++ {
		var b strings.Builder
		for i := 1 + rng.IntN(10); i > 0; i-- {
			b.WriteRune(alpha[rng.IntN(len(alpha))])
		}
		w := b.String()
		var lw strings.Builder
		for _, r := range w {
			lw.WriteRune(unicode.ToLower(r))
		}
		if got, want := l.lookup(w, buf[:]), l.words[lw.String()]; got != want {
			t.Fatalf("lookup(%q) = %x, want %x", w, got, want)
		}
	}
}

// TestRoutesCoverTheDetectors: every detector visits only the words the
// scanner routes to it; visiting every hot word instead must change
// nothing. The texts are the corpus messages (markup removed), one by one
// and all together.
func TestRoutesCoverTheDetectors(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "corpus", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("corpus files: %v", err)
	}
	markup := regexp.MustCompile(`\[\[[A-Z0-9_?]+:(.*?)\]\]|\{\{[A-Z0-9_]+:(.*?)\}\}`)
	var texts []string
	for _, fn := range files {
		b, err := os.ReadFile(fn)
		if err != nil {
			t.Fatal(err)
		}
		for _, block := range strings.Split(string(b), "\n@@") {
			texts = append(texts, markup.ReplaceAllString(block, "$1$2"))
		}
	}
	texts = append(texts, strings.Join(texts, "\n"))
	f, err := New(Config{MaxInput: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	type out struct {
		Cands []cand
		Prots []prot
		Addrs []int
	}
	run := func(text string, everyHotWord bool) out {
		d := &doc{f: f}
		d.reset(text)
		d.tokenize()
		if everyHotWord {
			for k := range d.route {
				d.route[k] = d.hot
			}
		}
		d.detect()
		return out{slices.Clone(d.cands), slices.Clone(d.prots), slices.Clone(d.addrEnds)}
	}
	opt := cmp.AllowUnexported(cand{}, prot{})
	for _, text := range texts {
		if diff := cmp.Diff(run(text, true), run(text, false), opt); diff != "" {
			t.Fatalf("routed detectors differ from detectors on every hot word (-all +routed):\n%s\ntext:\n%s", diff, text)
		}
	}
}
