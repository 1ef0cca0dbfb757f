package salesforce

import (
	"errors"
	"testing"
)

func TestParseSOQL(t *testing.T) {
	cases := []struct {
		name, q, where string
		items, limit   int
	}{
		{"plain", "SELECT Id, Name FROM Contact", "", 2, -1},
		{"keywords any case", "select id from contact where email = 'a@example.com' limit 5", "email = 'a@example.com'", 1, 5},
		{"relationship and subquery", "SELECT Id, Account.Name, (SELECT CommentBody FROM CaseComments ORDER BY CreatedDate LIMIT 50) FROM Case WHERE Id = '500RO00000AbCdEYAV'", "Id = '500RO00000AbCdEYAV'", 3, -1},
		{"and binds tighter than or", "SELECT Id FROM Case WHERE Status = 'New' OR Status = 'Working' AND Priority = 'High'", "(Status = 'New' OR (Status = 'Working' AND Priority = 'High'))", 1, -1},
		{"parentheses", "SELECT Id FROM Case WHERE (Status = 'New' OR Status = 'Working') AND Priority = 'High'", "((Status = 'New' OR Status = 'Working') AND Priority = 'High')", 1, -1},
		{"in and not in", "SELECT Id FROM Case WHERE Status IN ('New','Working') AND Priority NOT IN ('Low')", "(Status IN ('New', 'Working') AND Priority NOT IN ('Low'))", 1, -1},
		{"like with escaped wildcard", `SELECT Id FROM Contact WHERE Email LIKE 'a\_b%'`, `Email LIKE 'a\_b%'`, 1, -1},
		{"not and <>", "SELECT Id FROM Case WHERE NOT Status <> 'New'", "(NOT Status != 'New')", 1, -1},
		{"literals", "SELECT Id FROM Order WHERE EffectiveDate >= 2026-11-01 AND TotalAmount > -1.5 AND CreatedDate < 2026-12-01T00:00:00Z AND Description != null", "(((EffectiveDate >= 2026-11-01 AND TotalAmount > -1.5) AND CreatedDate < 2026-12-01T00:00:00Z) AND Description != null)", 1, -1},
		{"escapes decode", `SELECT Id FROM Contact WHERE LastName = 'O\'Brien \\ \"x\" \u00e9'`, `LastName = 'O\'Brien \\ \"x\" é'`, 1, -1},
		{"order by and offset", "SELECT Id FROM Case ORDER BY CreatedDate DESC NULLS LAST, Id LIMIT 10 OFFSET 5", "", 1, 10},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := ParseSOQL(c.q)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if s.Where != nil {
				got = s.Where.String()
			}
			if got != c.where || len(s.Select) != c.items || s.Limit != c.limit {
				t.Fatalf("where %q items %d limit %d; want %q %d %d", got, len(s.Select), s.Limit, c.where, c.items, c.limit)
			}
		})
	}
}

func TestParseSOQLErrors(t *testing.T) {
	cases := map[string]string{
		"unterminated literal":       "SELECT Id FROM Contact WHERE Email = 'x",
		"unescaped quote":            "SELECT Id FROM Contact WHERE Email = 'x' OR Name != '",
		"bad escape":                 `SELECT Id FROM Contact WHERE Email = 'a\qb'`,
		"like escape outside like":   `SELECT Id FROM Contact WHERE Email = 'a\%b'`,
		"trailing garbage":           "SELECT Id FROM Contact LIMIT 5 5",
		"missing from":               "SELECT Id, Name",
		"empty in":                   "SELECT Id FROM Case WHERE Status IN ()",
		"nested subquery":            "SELECT Id, (SELECT Id, (SELECT Id FROM X) FROM CaseComments) FROM Case",
		"aggregate":                  "SELECT COUNT() FROM Case",
		"stray character":            "SELECT Id FROM Case WHERE Status = 'New' ; DELETE",
		"short unicode escape":       `SELECT Id FROM Contact WHERE Email = '\u00'`,
		"reserved word as field":     "SELECT FROM Contact",
		"operator without value":     "SELECT Id FROM Case WHERE Status =",
		"dangling and":               "SELECT Id FROM Case WHERE Status = 'New' AND",
		"unbalanced parentheses":     "SELECT Id FROM Case WHERE (Status = 'New'",
		"null in an IN list":         "SELECT Id FROM Case WHERE Status IN (null)",
		"not without in or like":     "SELECT Id FROM Case WHERE Status NOT = 'x'",
		"backslash ends the literal": `SELECT Id FROM Contact WHERE Email = 'x\'`,
	}
	for name, q := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ParseSOQL(q)
			var qe *QueryError
			if !errors.As(err, &qe) || qe.Code != "MALFORMED_QUERY" {
				t.Fatalf("ParseSOQL = %v; want MALFORMED_QUERY", err)
			}
		})
	}
}

// TestEscapeRoundTrip: whatever the value, escaping it into a literal and
// parsing gives back one comparison holding exactly that value.
func TestEscapeRoundTrip(t *testing.T) {
	values := []string{
		"x' OR Name != '", `x\' OR Name != \'`, `\`, `\\'`, "'; DELETE FROM Contact", "a\nb\tc\rd\be\ff",
		`"quoted"`, "%_", "O'Brien", "日本語 😀", "x' OR Id != null OR Id = '", "' OR '1'='1",
	}
	for _, v := range values {
		q := "SELECT Id FROM Contact WHERE Email = '" + EscapeLiteral(v) + "'"
		s, err := ParseSOQL(q)
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		c, ok := s.Where.(*Compare)
		if !ok || c.Value.Kind != LitString || c.Value.Value != v || c.Field[0] != "Email" {
			t.Fatalf("%q parsed as %s", v, s.Where)
		}
	}
}

func FuzzParseSOQL(f *testing.F) {
	for _, s := range []string{"SELECT Id FROM Contact WHERE Email = 'x'", `SELECT Id FROM C WHERE A LIKE '\%' AND (B IN (1,2) OR NOT C = null)`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		s, err := ParseSOQL(q) // must not panic
		if err == nil && s.Where != nil {
			canon := s.Where.String()
			s2, err := ParseSOQL("SELECT Id FROM X WHERE " + canon)
			if err != nil {
				t.Fatalf("canonical form of %q does not parse: %v", q, err)
			}
			if again := s2.Where.String(); again != canon {
				t.Fatalf("canonical form of %q is not stable: %q then %q", q, canon, again)
			}
		}
	})
}
