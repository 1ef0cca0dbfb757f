package zendesk

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The Zendesk Support search syntax (reference §2.5), parsed for real so
// that injection tests can see what a query string means:
//
//	query   = term { whitespace term }          whitespace is AND
//	term    = [ "-" ] ( field op value | value )
//	op      = ":" | "<" | ">" | "<=" | ">="
//	value   = '"' phrase '"' | word [ "*" ]      a phrase runs to the end of
//	                                             the input when its closing
//	                                             quote is missing
//
// A field is a name of letters, digits and underscores directly followed by
// an operator. Zendesk documents no escape character, and neither does
// this parser: a backslash is an ordinary character.

// Term is one parsed search term.
type Term struct {
	Negated  bool   // a leading "-"
	Field    string // lower-case field name; "" for free text
	Op       string // ":", "<", ">", "<=", ">=" ("" for free text)
	Value    string // without quotes and without the trailing "*"
	Phrase   bool   // the value was in double quotes
	Wildcard bool   // a trailing "*" (prefix match); never for phrases
}

// String renders the term canonically (phrases re-quoted), so tests can
// compare a parsed query with the one they meant.
func (t Term) String() string {
	var b strings.Builder
	if t.Negated {
		b.WriteByte('-')
	}
	if t.Field != "" {
		b.WriteString(t.Field)
		b.WriteString(t.Op)
	}
	if t.Phrase {
		b.WriteByte('"')
		b.WriteString(t.Value)
		b.WriteByte('"')
	} else {
		b.WriteString(t.Value)
		if t.Wildcard {
			b.WriteByte('*')
		}
	}
	return b.String()
}

// Query is a parsed search query.
type Query struct {
	Raw   string
	Terms []Term // filters, in order (order_by: and sort: are not here)
	// OrderBy and Sort come from order_by: and sort: terms.
	OrderBy string
	Sort    string
}

// String renders the filter terms canonically, space separated, followed
// by any order_by:/sort: directives.
func (q Query) String() string {
	parts := make([]string, 0, len(q.Terms)+2)
	for _, t := range q.Terms {
		parts = append(parts, t.String())
	}
	if q.OrderBy != "" {
		parts = append(parts, "order_by:"+q.OrderBy)
	}
	if q.Sort != "" {
		parts = append(parts, "sort:"+q.Sort)
	}
	return strings.Join(parts, " ")
}

// Types returns the values of the query's positive type: terms.
func (q Query) Types() []string {
	var out []string
	for _, t := range q.Terms {
		if t.Field == "type" && !t.Negated {
			out = append(out, strings.ToLower(t.Value))
		}
	}
	return out
}

func isSpace(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }

func isFieldRune(r rune) bool {
	return r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

// ParseQuery parses a search query. It never fails: like Zendesk, it reads
// any text as some query, which is exactly why callers must build queries
// by construction.
func ParseQuery(s string) Query {
	q := Query{Raw: s}
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if isSpace(r) {
			i += n
			continue
		}
		var t Term
		if r == '-' && i+1 < len(s) {
			if r2, _ := utf8.DecodeRuneInString(s[i+1:]); !isSpace(r2) {
				t.Negated = true
				i++
			}
		}
		// A field name followed by an operator?
		j := i
		for j < len(s) && isFieldRune(rune(s[j])) {
			j++
		}
		if j > i && j < len(s) {
			op := ""
			switch {
			case strings.HasPrefix(s[j:], "<="), strings.HasPrefix(s[j:], ">="):
				op = s[j : j+2]
			case s[j] == ':' || s[j] == '<' || s[j] == '>':
				op = s[j : j+1]
			}
			if op != "" {
				t.Field = strings.ToLower(s[i:j])
				t.Op = op
				i = j + len(op)
			}
		}
		i = readValue(s, i, &t)
		switch {
		case t.Field == "order_by" && !t.Negated:
			q.OrderBy = strings.ToLower(t.Value)
		case t.Field == "sort" && !t.Negated:
			q.Sort = strings.ToLower(t.Value)
		case t.Field == "" && !t.Wildcard && !t.Phrase && len(words(t.Value)) == 0:
			// A lone "-" or punctuation: no word to match, so no term.
		default:
			q.Terms = append(q.Terms, t)
		}
	}
	return q
}

// readValue reads a phrase or a word starting at i and returns the index
// after it.
func readValue(s string, i int, t *Term) int {
	if i < len(s) && s[i] == '"' {
		end := strings.IndexByte(s[i+1:], '"')
		t.Phrase = true
		if end < 0 {
			t.Value = s[i+1:]
			return len(s)
		}
		t.Value = s[i+1 : i+1+end]
		return i + 1 + end + 1
	}
	j := i
	for j < len(s) {
		r, n := utf8.DecodeRuneInString(s[j:])
		if isSpace(r) || r == '"' {
			break
		}
		j += n
	}
	v := s[i:j]
	if strings.HasSuffix(v, "*") {
		t.Wildcard = true
		v = strings.TrimRight(v, "*")
	}
	t.Value = v
	return j
}

// words splits text into lower-case words of letters and digits, the unit
// Zendesk's search matches.
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}
