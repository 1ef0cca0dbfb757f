package filter_test

// TestCorpus scores the filter on the hand-labelled corpus in
// testdata/corpus (format and label policy in its README.md) and fails
// below the thresholds of issue 5: PII characters left unmasked <= 3%,
// business identifiers damaged <= 2%, overall F1 >= 0.90.
//
//	go test ./gateway/filter -run Corpus -v
//	go test ./gateway/filter -run Corpus -corpus.report=/tmp/corpus-report.txt
//
// The report lists, per message, every miss, false positive and damaged
// identifier with the corpus values (all fictional), for developers. The
// test log itself carries corpusCounts only.

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"text/tabwriter"
	"unicode"

	"github.com/cxgate/cxgate/gateway/filter"
	"github.com/cxgate/cxgate/pii"
)

var corpusReport = flag.String("corpus.report", "", "write a per-message report of misses, false positives and damaged identifiers to this `file` (or set CXGATE_CORPUS_REPORT)")

// The thresholds of issue 5.
const (
	corpusMaxUnmasked = 0.03
	corpusMaxDamaged  = 0.02
	corpusMinF1       = 0.90
)

// corpusTypeTargets are per-type goals that are reported, never enforced: some
// types have few examples, so one miss moves them a lot.
var corpusTypeTargets = map[pii.Type]struct{ P, R float64 }{
	pii.Email: {0.95, 0.95}, pii.Phone: {0.90, 0.90}, pii.Card: {0.95, 0.95}, pii.IBAN: {0.95, 0.95},
	pii.Account: {0.85, 0.85}, pii.SSN: {0.90, 0.90}, pii.NINO: {0.90, 0.90}, pii.IP: {0.95, 0.95},
	pii.Postcode: {0.85, 0.85}, pii.Address: {0.80, 0.80}, pii.DOB: {0.85, 0.85}, pii.Person: {0.80, 0.80},
	pii.Secret: {0.85, 0.85},
}

// corpusRegions are the phone regions the filter is configured with: the
// six regions the corpus draws numbers from.
var corpusRegions = []string{"US", "GB", "DE", "FR", "IN", "BR"}

// corpusAccepts reports whether a finding of type f may stand for gold of type g.
// An address finding that swallows its postcode masks it just as well.
func corpusAccepts(f, g pii.Type) bool {
	return f == g || (f == pii.Address && g == pii.Postcode)
}

// corpusCounts are the tallies behind one precision/recall line.
type corpusCounts struct {
	gold, found, foundExact        int // gold spans; found by the relaxed and the exact rule
	findings, correct, exact, void int // counted findings; correct (relaxed, exact); void = wholly inside optional spans
}

func (c *corpusCounts) add(o corpusCounts) {
	c.gold += o.gold
	c.found += o.found
	c.foundExact += o.foundExact
	c.findings += o.findings
	c.correct += o.correct
	c.exact += o.exact
	c.void += o.void
}

func corpusRatio(n, d int) float64 {
	if d == 0 {
		return 1 // nothing to find (or nothing claimed): nothing missed (or wrong)
	}
	return float64(n) / float64(d)
}

func (c corpusCounts) precision() float64      { return corpusRatio(c.correct, c.findings) }
func (c corpusCounts) recall() float64         { return corpusRatio(c.found, c.gold) }
func (c corpusCounts) exactPrecision() float64 { return corpusRatio(c.exact, c.findings) }
func (c corpusCounts) exactRecall() float64    { return corpusRatio(c.foundExact, c.gold) }
func (c corpusCounts) f(beta float64) float64 {
	p, r := c.precision(), c.recall()
	if p == 0 && r == 0 {
		return 0
	}
	b2 := beta * beta
	return (1 + b2) * p * r / (b2*p + r)
}

// corpusMessageScore is what scoring one message produced.
type corpusMessageScore struct {
	byType   map[pii.Type]*corpusCounts
	piiChars int      // gold PII code points (not white space)
	leaked   int      // of those, not covered by any Mask finding
	leakedF  int      // of those, not covered by any Find finding
	verbatim int      // gold spans whose whole value still appears in the masked text
	overChar int      // code points outside gold and optional spans covered by findings
	textChar int      // code points outside gold and optional spans
	prot     int      // protected spans
	damaged  int      // of those, overlapped by a finding or not verbatim in the masked text
	damagedK []string // the kinds of the damaged ones
	problems []string
	report   []string // lines for the developer report (may hold corpus values)
}

// corpusScoreMessage scores one message given the findings of Find and the result
// of Mask. It never calls the filter, so it is unit-tested on its own.
func corpusScoreMessage(m corpusMessage, found []filter.Finding, masked filter.Result) corpusMessageScore {
	text := []rune(m.Text)
	n := len(text)
	sc := corpusMessageScore{byType: map[pii.Type]*corpusCounts{}}
	ct := func(ty pii.Type) *corpusCounts {
		c := sc.byType[ty]
		if c == nil {
			c = &corpusCounts{}
			sc.byType[ty] = c
		}
		return c
	}
	// Per code point: which gold span, optional span and protected span covers it.
	goldAt := make([]int, n)
	optAt := make([]bool, n)
	protAt := make([]int, n)
	for i := range goldAt {
		goldAt[i], protAt[i] = -1, -1
	}
	for i, s := range m.Spans {
		for p := s.Start; p < s.End; p++ {
			switch s.Kind {
			case corpusPII:
				goldAt[p] = i
			case corpusOptional:
				optAt[p] = true
			case corpusProtected:
				protAt[p] = i
			}
		}
	}
	valid := func(list []filter.Finding, what string) []filter.Finding {
		var ok []filter.Finding
		sorted := slices.Clone(list)
		sort.Slice(sorted, func(i, j int) bool { return sorted[i].Start < sorted[j].Start })
		last := 0
		for _, f := range sorted {
			switch {
			case f.Start < 0 || f.End > n || f.Start >= f.End:
				sc.problems = append(sc.problems, fmt.Sprintf("%s finding %s [%d,%d) is out of range for %d code points", what, f.Type, f.Start, f.End, n))
				continue
			case !f.Type.Valid():
				sc.problems = append(sc.problems, fmt.Sprintf("%s finding has unknown type %q", what, f.Type))
				continue
			case f.Start < last:
				sc.problems = append(sc.problems, fmt.Sprintf("%s findings overlap at [%d,%d)", what, f.Start, f.End))
			}
			last = max(last, f.End)
			ok = append(ok, f)
		}
		return ok
	}
	found = valid(found, "Find")
	maskFound := valid(masked.Findings, "Mask")
	quote := func(a, b int) string { return fmt.Sprintf("%q", string(text[a:b])) }

	// Precision: a finding is correct if at least half of it (optional
	// spans aside) lies in gold spans it may stand for, or it covers at
	// least half of one such gold span. Exact: same type and bounds.
	for _, f := range found {
		counted, inside := 0, 0
		overlapGold := map[int]int{}
		for p := f.Start; p < f.End; p++ {
			g := goldAt[p]
			if g < 0 && optAt[p] {
				continue
			}
			counted++
			if g >= 0 && corpusAccepts(f.Type, pii.Type(m.Spans[g].Label)) {
				inside++
				overlapGold[g]++
			}
		}
		c := ct(f.Type)
		if counted == 0 {
			c.void++
			continue
		}
		c.findings++
		ok := 2*inside >= counted
		for g, k := range overlapGold {
			if 2*k >= m.Spans[g].End-m.Spans[g].Start {
				ok = true
			}
		}
		if ok {
			c.correct++
		} else {
			what := "FP  "
			for p := f.Start; p < f.End; p++ {
				if g := goldAt[p]; g >= 0 {
					what = fmt.Sprintf("TYPE(gold %s)", m.Spans[g].Label)
					break
				}
			}
			sc.report = append(sc.report, fmt.Sprintf("  %s %-8s [%d,%d) %s", what, f.Type, f.Start, f.End, quote(f.Start, f.End)))
		}
		for _, s := range m.Spans {
			if s.Kind == corpusPII && s.Start == f.Start && s.End == f.End && pii.Type(s.Label) == f.Type {
				c.exact++
				break
			}
		}
	}

	// Recall: a gold span is found if findings it corpusAccepts cover at least
	// half of its code points together.
	for _, g := range m.spansOf(corpusPII) {
		gt := pii.Type(g.Label)
		c := ct(gt)
		c.gold++
		covered, exact := 0, false
		for p := g.Start; p < g.End; p++ {
			for _, f := range found {
				if f.Start <= p && p < f.End && corpusAccepts(f.Type, gt) {
					covered++
					break
				}
			}
		}
		for _, f := range found {
			if f.Start == g.Start && f.End == g.End && f.Type == gt {
				exact = true
			}
		}
		if 2*covered >= g.End-g.Start {
			c.found++
		} else {
			sc.report = append(sc.report, fmt.Sprintf("  MISS %-8s [%d,%d) %s (covered %d/%d)", gt, g.Start, g.End, quote(g.Start, g.End), covered, g.End-g.Start))
		}
		if exact {
			c.foundExact++
		}
	}

	// Characters: coverage of gold PII by any finding, of any type.
	coveredBy := func(list []filter.Finding) []bool {
		cov := make([]bool, n)
		for _, f := range list {
			for p := f.Start; p < f.End; p++ {
				cov[p] = true
			}
		}
		return cov
	}
	covMask, covFind := coveredBy(maskFound), coveredBy(found)
	for p := 0; p < n; p++ {
		switch {
		case goldAt[p] >= 0:
			if unicode.IsSpace(text[p]) {
				continue
			}
			sc.piiChars++
			if !covMask[p] {
				sc.leaked++
			}
			if !covFind[p] {
				sc.leakedF++
			}
		case !optAt[p]:
			sc.textChar++
			if covFind[p] {
				sc.overChar++
			}
		}
	}

	// The masked text must be the input with each Mask finding replaced by
	// "[TYPE]"; then coverage above is what the reader sees. Also count
	// gold values that survive whole anywhere in the masked text.
	var want strings.Builder
	prev := 0
	for _, f := range maskFound {
		if f.Start < prev {
			continue
		}
		want.WriteString(string(text[prev:f.Start]))
		want.WriteString("[" + string(f.Type) + "]")
		prev = f.End
	}
	want.WriteString(string(text[prev:]))
	if want.String() != masked.Text {
		sc.problems = append(sc.problems, "Mask text is not the input with each of its findings replaced by [TYPE]")
	}
	for _, g := range m.spansOf(corpusPII) {
		if strings.Contains(masked.Text, g.Value) {
			sc.verbatim++
		}
	}
	if !slices.Equal(found, maskFound) {
		sc.problems = append(sc.problems, "Mask findings differ from Find findings")
	}

	// Business identifiers: damaged if any finding touches them or they
	// are not in the masked text verbatim.
	for _, s := range m.spansOf(corpusProtected) {
		sc.prot++
		var hit *filter.Finding
		for _, list := range [][]filter.Finding{found, maskFound} {
			for i, f := range list {
				if f.Start < s.End && s.Start < f.End {
					hit = &list[i]
					break
				}
			}
			if hit != nil {
				break
			}
		}
		switch {
		case hit != nil:
			sc.damaged++
			sc.damagedK = append(sc.damagedK, s.Label)
			sc.report = append(sc.report, fmt.Sprintf("  HIT  %-8s [%d,%d) %q by %s [%d,%d) %s", s.Label, s.Start, s.End, s.Value, hit.Type, hit.Start, hit.End, quote(hit.Start, hit.End)))
		case !strings.Contains(masked.Text, s.Value):
			sc.damaged++
			sc.damagedK = append(sc.damagedK, s.Label)
			sc.report = append(sc.report, fmt.Sprintf("  LOST %-8s [%d,%d) %q not in the masked text", s.Label, s.Start, s.End, s.Value))
		}
	}
	return sc
}

// corpusTotals aggregates message scores.
type corpusTotals struct {
	byType                       map[pii.Type]*corpusCounts
	byLang, bySrc                map[string]*corpusCounts
	piiChars, leaked, leakedF    int
	verbatim, goldSpans          int
	overChar, textChar           int
	prot, damaged                int
	damagedByKind, protByKind    map[string]int
	messages, negOnly, negOnlyFP int // negOnly: messages without PII or optional spans
}

func newCorpusTotals() *corpusTotals {
	return &corpusTotals{
		byType: map[pii.Type]*corpusCounts{}, byLang: map[string]*corpusCounts{}, bySrc: map[string]*corpusCounts{},
		damagedByKind: map[string]int{}, protByKind: map[string]int{},
	}
}

func (t *corpusTotals) add(m corpusMessage, sc corpusMessageScore) {
	t.messages++
	var all corpusCounts
	for ty, c := range sc.byType {
		if t.byType[ty] == nil {
			t.byType[ty] = &corpusCounts{}
		}
		t.byType[ty].add(*c)
		all.add(*c)
	}
	for _, k := range []struct {
		m   map[string]*corpusCounts
		key string
	}{{t.byLang, m.Lang}, {t.bySrc, m.Src}} {
		if k.m[k.key] == nil {
			k.m[k.key] = &corpusCounts{}
		}
		k.m[k.key].add(all)
	}
	t.piiChars += sc.piiChars
	t.leaked += sc.leaked
	t.leakedF += sc.leakedF
	t.verbatim += sc.verbatim
	t.goldSpans += all.gold
	t.overChar += sc.overChar
	t.textChar += sc.textChar
	t.prot += sc.prot
	t.damaged += sc.damaged
	for _, s := range m.spansOf(corpusProtected) {
		t.protByKind[s.Label]++
	}
	for _, k := range sc.damagedK {
		t.damagedByKind[k]++
	}
	if len(m.spansOf(corpusPII)) == 0 && len(m.spansOf(corpusOptional)) == 0 {
		t.negOnly++
		if all.findings > all.correct {
			t.negOnlyFP++
		}
	}
}

func (t *corpusTotals) micro() corpusCounts {
	var all corpusCounts
	for _, c := range t.byType {
		all.add(*c)
	}
	return all
}

// writeSummary prints the tables for the test log.
func (t *corpusTotals) writeSummary(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "type\tgold\tfound\trecall\texact R\tfindings\tcorrect\tprecision\texact P\tF1\ttarget P/R\t")
	for _, ty := range pii.All() {
		c := t.byType[ty]
		if c == nil {
			c = &corpusCounts{}
		}
		tg := corpusTypeTargets[ty]
		note := fmt.Sprintf("%.2f/%.2f", tg.P, tg.R)
		switch {
		case c.gold < 20:
			note += " few"
		case c.precision() < tg.P || c.recall() < tg.R:
			note += " BELOW"
		default:
			note += " ok"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.3f\t%.3f\t%d\t%d\t%.3f\t%.3f\t%.3f\t%s\t\n", ty, c.gold, c.found, c.recall(), c.exactRecall(), c.findings, c.correct, c.precision(), c.exactPrecision(), c.f(1), note)
	}
	all := t.micro()
	fmt.Fprintf(tw, "ALL (micro)\t%d\t%d\t%.3f\t%.3f\t%d\t%d\t%.3f\t%.3f\t%.3f\t\t\n", all.gold, all.found, all.recall(), all.exactRecall(), all.findings, all.correct, all.precision(), all.exactPrecision(), all.f(1))
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "slice\tgold\trecall\tfindings\tprecision\tF1\t")
	for _, part := range []struct {
		name string
		m    map[string]*corpusCounts
	}{{"lang", t.byLang}, {"src", t.bySrc}} {
		keys := make([]string, 0, len(part.m))
		for k := range part.m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			c := part.m[k]
			fmt.Fprintf(tw, "%s=%s\t%d\t%.3f\t%d\t%.3f\t%.3f\t\n", part.name, k, c.gold, c.recall(), c.findings, c.precision(), c.f(1))
		}
	}
	tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprintf(w, "overall: precision %.3f  recall %.3f  F1 %.3f  F2 %.3f  (exact-span P %.3f R %.3f)\n", all.precision(), all.recall(), all.f(1), all.f(2), all.exactPrecision(), all.exactRecall())
	fmt.Fprintf(w, "PII characters left unmasked by Mask: %d of %d = %.2f%% (by Find coverage: %d = %.2f%%); gold values still verbatim in the masked text: %d of %d\n",
		t.leaked, t.piiChars, 100*corpusRatio(t.leaked, t.piiChars), t.leakedF, 100*corpusRatio(t.leakedF, t.piiChars), t.verbatim, t.goldSpans)
	fmt.Fprintf(w, "business identifiers damaged: %d of %d = %.2f%%", t.damaged, t.prot, 100*corpusRatio(t.damaged, t.prot))
	if len(t.damagedByKind) > 0 {
		keys := make([]string, 0, len(t.damagedByKind))
		for k := range t.damagedByKind {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s %d/%d", k, t.damagedByKind[k], t.protByKind[k]))
		}
		fmt.Fprintf(w, " (%s)", strings.Join(parts, ", "))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "non-PII characters masked: %d of %d = %.2f%%; messages without PII that got a false positive: %d of %d\n",
		t.overChar, t.textChar, 100*corpusRatio(t.overChar, t.textChar), t.negOnlyFP, t.negOnly)
}

func TestCorpus(t *testing.T) {
	msgs, err := loadCorpus(filepath.Join("testdata", "corpus"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := filter.New(filter.Config{PhoneRegions: corpusRegions, MaxInput: 1 << 20})
	if err != nil {
		t.Fatalf("filter.New: %v", err)
	}
	reportPath := *corpusReport
	if reportPath == "" {
		reportPath = os.Getenv("CXGATE_CORPUS_REPORT")
	}
	var report strings.Builder
	tot := newCorpusTotals()
	problems := 0
	for _, m := range msgs {
		found, err := f.Find(m.Text)
		if err != nil {
			t.Errorf("%s %s: Find: %v", m.pos(), m.ID, err)
		}
		masked, err := f.Mask(m.Text)
		if err != nil {
			t.Errorf("%s %s: Mask: %v", m.pos(), m.ID, err)
			masked = filter.Result{Text: m.Text}
		}
		sc := corpusScoreMessage(m, found, masked)
		tot.add(m, sc)
		for _, p := range sc.problems {
			// Contract violations, reported without values.
			if problems++; problems <= 20 {
				t.Errorf("%s %s: %s", m.pos(), m.ID, p)
			}
		}
		if len(sc.report) > 0 || len(sc.problems) > 0 {
			fmt.Fprintf(&report, "%s %s (lang=%s src=%s)\n", m.pos(), m.ID, m.Lang, m.Src)
			for _, line := range strings.Split(m.Text, "\n") {
				fmt.Fprintf(&report, "  | %s\n", line)
			}
			for _, p := range sc.problems {
				fmt.Fprintf(&report, "  PROBLEM %s\n", p)
			}
			for _, line := range sc.report {
				fmt.Fprintln(&report, line)
			}
			fmt.Fprintln(&report)
		}
	}
	if problems > 20 {
		t.Errorf("... and %d more contract problems (see -corpus.report)", problems-20)
	}
	var sum strings.Builder
	tot.writeSummary(&sum)
	t.Logf("corpus: %d messages (%d without PII)\n%s", tot.messages, tot.negOnly, sum.String())
	if reportPath != "" {
		out := "# corpus report: misses (MISS), false positives (FP), type confusions (TYPE),\n# damaged identifiers (HIT, LOST); offsets are code points. All values are fictional.\n\n" + sum.String() + "\n" + report.String()
		if err := os.WriteFile(reportPath, []byte(out), 0o644); err != nil {
			t.Errorf("writing the report: %v", err)
		} else {
			t.Logf("per-message report written to %s", reportPath)
		}
	}

	all := tot.micro()
	if share := corpusRatio(tot.leaked, tot.piiChars); share > corpusMaxUnmasked {
		t.Errorf("PII characters left unmasked: %.2f%%, want <= %.0f%%", 100*share, 100*corpusMaxUnmasked)
	}
	if share := corpusRatio(tot.damaged, tot.prot); share > corpusMaxDamaged {
		t.Errorf("business identifiers damaged: %.2f%%, want <= %.0f%%", 100*share, 100*corpusMaxDamaged)
	}
	if f1 := all.f(1); f1 < corpusMinF1 {
		t.Errorf("overall F1 %.3f (P %.3f, R %.3f), want >= %.2f", f1, all.precision(), all.recall(), corpusMinF1)
	}
}

// TestCorpusScoring checks the scorer on hand-made findings, so that the
// numbers TestCorpus prints mean what its comment says.
func TestCorpusScoring(t *testing.T) {
	parse := func(t *testing.T, in string) corpusMessage {
		t.Helper()
		msgs, err := parseCorpus("t.txt", []byte("@@ t lang=en-US src=chat\n"+in+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		return msgs[0]
	}
	// at finds the code-point span of the n-th occurrence (1-based) of sub.
	at := func(m corpusMessage, ty pii.Type, sub string) filter.Finding {
		i := strings.Index(m.Text, sub)
		if i < 0 {
			t.Fatalf("%q not in %q", sub, m.Text)
		}
		s := len([]rune(m.Text[:i]))
		return filter.Finding{Type: ty, Start: s, End: s + len([]rune(sub))}
	}
	maskOf := func(m corpusMessage, fs []filter.Finding) filter.Result {
		r := []rune(m.Text)
		var b strings.Builder
		prev := 0
		for _, f := range fs {
			b.WriteString(string(r[prev:f.Start]) + "[" + string(f.Type) + "]")
			prev = f.End
		}
		b.WriteString(string(r[prev:]))
		return filter.Result{Text: b.String(), Findings: fs}
	}
	type want struct {
		gold, found, exactFound, findings, correct, exact, void int
		leaked, piiChars, damaged, prot, verbatim               int
		problems                                                int
	}
	tests := []struct {
		name  string
		in    string
		finds func(m corpusMessage) []filter.Finding
		mask  func(m corpusMessage, fs []filter.Finding) filter.Result // nil: consistent with finds
		want  want
	}{
		{
			name:  "exact hit",
			in:    "I'm [[PERSON:Maya Okafor]], order {{ORDER:#1042}}",
			finds: func(m corpusMessage) []filter.Finding { return []filter.Finding{at(m, pii.Person, "Maya Okafor")} },
			want:  want{gold: 1, found: 1, exactFound: 1, findings: 1, correct: 1, exact: 1, piiChars: 10, prot: 1},
		},
		{
			name: "fragments cover a name together",
			in:   "I'm [[PERSON:Maya Okafor]]",
			finds: func(m corpusMessage) []filter.Finding {
				return []filter.Finding{at(m, pii.Person, "Maya"), at(m, pii.Person, "Okafor")}
			},
			want: want{gold: 1, found: 1, findings: 2, correct: 2, piiChars: 10},
		},
		{
			name:  "too little covered is a miss and leaks",
			in:    "call [[PHONE:(202) 555-0143]] now",
			finds: func(m corpusMessage) []filter.Finding { return []filter.Finding{at(m, pii.Phone, "0143")} },
			want:  want{gold: 1, findings: 1, correct: 1, piiChars: 13, leaked: 9, verbatim: 0},
		},
		{
			name: "cue included still matches",
			in:   "sort code [[ACCOUNT:20-00-00]]",
			finds: func(m corpusMessage) []filter.Finding {
				return []filter.Finding{at(m, pii.Account, "sort code 20-00-00")}
			},
			want: want{gold: 1, found: 1, findings: 1, correct: 1, piiChars: 8},
		},
		{
			name:  "wrong type is a miss and a false positive, but masks",
			in:    "mail [[EMAIL:maya@example.com]]",
			finds: func(m corpusMessage) []filter.Finding { return []filter.Finding{at(m, pii.Person, "maya@example.com")} },
			want:  want{gold: 1, findings: 1, piiChars: 16},
		},
		{
			name: "address finding may cover its postcode",
			in:   "to [[ADDRESS:4 Mill Lane]], [[ADDRESS?:Leeds]] [[POSTCODE:LS1 4AB]]",
			finds: func(m corpusMessage) []filter.Finding {
				return []filter.Finding{at(m, pii.Address, "4 Mill Lane, Leeds LS1 4AB")}
			},
			want: want{gold: 2, found: 2, findings: 1, correct: 1, piiChars: 15},
		},
		{
			name:  "finding inside an optional span is void",
			in:    "router [[IP?:192.168.0.1]] fine",
			finds: func(m corpusMessage) []filter.Finding { return []filter.Finding{at(m, pii.IP, "192.168.0.1")} },
			want:  want{void: 1},
		},
		{
			name:  "damaged identifier",
			in:    "order {{ORDER:ORD-2024-88812}} for [[PERSON:Tom]]",
			finds: func(m corpusMessage) []filter.Finding { return []filter.Finding{at(m, pii.Phone, "2024-88812")} },
			want:  want{gold: 1, findings: 1, piiChars: 3, leaked: 3, verbatim: 1, damaged: 1, prot: 1},
		},
		{
			name:  "mask that does not match its findings",
			in:    "mail [[EMAIL:maya@example.com]]",
			finds: func(m corpusMessage) []filter.Finding { return []filter.Finding{at(m, pii.Email, "maya@example.com")} },
			mask: func(m corpusMessage, fs []filter.Finding) filter.Result {
				return filter.Result{Text: "mail [EMAIL_ADDRESS]", Findings: fs}
			},
			want: want{gold: 1, found: 1, exactFound: 1, findings: 1, correct: 1, exact: 1, piiChars: 16, problems: 1},
		},
		{
			name:  "out of range finding",
			in:    "hi",
			finds: func(m corpusMessage) []filter.Finding { return []filter.Finding{{Type: pii.Email, Start: 1, End: 9}} },
			mask: func(m corpusMessage, fs []filter.Finding) filter.Result {
				return filter.Result{Text: "hi"}
			},
			want: want{problems: 1},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := parse(t, tc.in)
			fs := tc.finds(m)
			var res filter.Result
			if tc.mask != nil {
				res = tc.mask(m, fs)
			} else {
				res = maskOf(m, fs)
			}
			sc := corpusScoreMessage(m, fs, res)
			var c corpusCounts
			for _, x := range sc.byType {
				c.add(*x)
			}
			got := want{c.gold, c.found, c.foundExact, c.findings, c.correct, c.exact, c.void,
				sc.leaked, sc.piiChars, sc.damaged, sc.prot, sc.verbatim, len(sc.problems)}
			if got != tc.want {
				t.Errorf("got  %+v\nwant %+v\nproblems: %v", got, tc.want, sc.problems)
			}
		})
	}
}
