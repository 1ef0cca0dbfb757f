package shopify

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseSearch(t *testing.T) {
	cases := []struct {
		in, want string
		repairs  int
	}{
		{``, `<all>`, 0},
		{`name:1001`, `name:"1001"`, 0},
		{`email:"maya@example.com"`, `email:"maya@example.com"`, 0},
		{`email:'maya@example.com'`, `email:"maya@example.com"`, 0},
		{`email:"a\"b\\c"`, `email:"a\"b\\c"`, 0},
		{`email:a\:b\(c\)`, `email:"a:b(c)"`, 0},
		{`maya@example.com OR status:open`, `OR("maya@example.com" status:"open")`, 0},
		{`a b AND c`, `AND("a" "b" "c")`, 0},
		{`a OR b c`, `OR("a" AND("b" "c"))`, 0},
		{`-email:x`, `NOT(email:"x")`, 0},
		{`NOT email:x`, `NOT(email:"x")`, 0},
		{`--x`, `"x"`, 0},
		{`NOT -x`, `"x"`, 0},
		{`- x`, `AND("-" "x")`, 0},
		{`(a OR b) c`, `AND(OR("a" "b") "c")`, 0},
		{`name:Bob*`, `name:"Bob"*`, 0},
		{`name:*`, `name:*`, 0},
		{`*`, `""`, 0},
		{`created_at:>=2026-01-01`, `created_at:>="2026-01-01"`, 0},
		{`created_at:<'2026-01-01'`, `created_at:<"2026-01-01"`, 0},
		{`NOTE:x`, `NOTE:"x"`, 0},
		{`ORDER`, `"ORDER"`, 0},
		// Shopify's leniency, repaired and reported.
		{`name:1001)`, `name:"1001"`, 1},
		{`(name:1001`, `name:"1001"`, 1},
		{`email:"open`, `email:"open"`, 1},
		{`email:"a"b`, `email:"ab"`, 1},
		{`x\`, `"x"`, 1},
		{`OR a`, `"a"`, 1},
		{`:x`, `"x"`, 1},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			q := ParseSearch(tc.in)
			if got := q.String(); got != tc.want {
				t.Errorf("parse %q = %s, want %s", tc.in, got, tc.want)
			}
			if len(q.Repairs) != tc.repairs {
				t.Errorf("repairs %q, want %d", q.Repairs, tc.repairs)
			}
		})
	}
}

func TestParseSearchHostile(t *testing.T) {
	deep := strings.Repeat("(", 100000) + "x" + strings.Repeat(")", 100000)
	q := ParseSearch(deep)
	if len(q.Terms()) == 0 || len(q.Repairs) == 0 {
		t.Fatalf("deep nesting: %d terms, repairs %d", len(q.Terms()), len(q.Repairs))
	}
	neg := ParseSearch(strings.Repeat("-", 100000) + "x")
	if _, ok := neg.Root.(*Term); !ok {
		t.Fatalf("negations: %s", neg)
	}
}

// Whatever the value, a term built with QuoteSearchValue parses back to
// exactly that one term.
func TestQuoteSearchValueRoundTrip(t *testing.T) {
	values := []string{
		`maya@example.com`, `maya@example.com OR status:open`, `-email:x`, `*`, `)`, `name:*`,
		`"`, `\`, `\"`, `a"b`, `x\" OR email:*`, `(a OR b)`, `NOT x`, `'single'`, `Zoë Müller-Ångström`, `#1001`, ``,
	}
	for _, v := range values {
		t.Run(v, func(t *testing.T) {
			q := ParseSearch("email:" + QuoteSearchValue(v))
			terms := q.Terms()
			if len(q.Repairs) != 0 || len(terms) != 1 {
				t.Fatalf("%q parsed as %s (repairs %q)", v, q, q.Repairs)
			}
			tm, ok := q.Root.(*Term)
			if !ok || tm.Field != "email" || tm.Op != ":" || tm.Value != v || !tm.Quoted || tm.Prefix || tm.Exists {
				t.Fatalf("%q parsed as %s", v, q)
			}
		})
	}
}

func FuzzParseSearch(f *testing.F) {
	for _, s := range []string{`name:1001`, `a OR (b -c)`, `email:"x\"y"`, `((`, `\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := ParseSearch(s) // must not panic or loop
		_ = q.String()
		if !utf8.ValidString(s) {
			return // connectors reject invalid UTF-8 before building a query
		}
		q2 := ParseSearch("email:" + QuoteSearchValue(s))
		if tm, ok := q2.Root.(*Term); !ok || tm.Value != s || len(q2.Repairs) != 0 {
			t.Fatalf("quoted %q parsed as %s", s, q2)
		}
	})
}
