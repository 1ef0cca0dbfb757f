package shopify

import (
	"fmt"
	"strings"
)

// Shopify's search syntax (shopify.dev "API search syntax"), as the `query:`
// argument of orders and customers takes it:
//
//	query      = or
//	or         = and { "OR" and }
//	and        = unary { ["AND"] unary }       (AND is implied)
//	unary      = ("-" | "NOT") unary | "(" or ")" | term
//	term       = [field comparator] value
//	comparator = ":" | ":<" | ":>" | ":<=" | ":>="
//	value      = bare | "'" ... "'" | '"' ... '"'
//
// Whitespace separates terms. In bare words a backslash escapes the next
// character (the documented specials are : \ ( )); inside quotes it escapes
// the quote and the backslash. A bare value ending in an unescaped "*" is a
// prefix match, and "field:*" asks whether the field has a value.
//
// Shopify is lenient: a stray ")" or an unterminated quote does not fail the
// request. The parser repairs such input the same way and lists each repair,
// so tests can insist that a query built by a connector needed none.

// SearchNode is a node of a parsed search query: *Term, *Not, *And or *Or.
type SearchNode interface{ searchNode() }

// Term is one filter: Field is "" for a free-text (default) term.
type Term struct {
	Field  string
	Op     string // ":", ":<", ":>", ":<=", ":>="; "" for a free-text term
	Value  string // unescaped
	Quoted bool
	Prefix bool // bare value ended in "*": prefix match
	Exists bool // "field:*"
}

// Not negates a node ("-x" or "NOT x").
type Not struct{ X SearchNode }

// And holds when every operand holds.
type And struct{ Xs []SearchNode }

// Or holds when any operand holds.
type Or struct{ Xs []SearchNode }

func (*Term) searchNode() {}
func (*Not) searchNode()  {}
func (*And) searchNode()  {}
func (*Or) searchNode()   {}

// SearchQuery is a parsed query. Root is nil for an empty query (which
// matches everything).
type SearchQuery struct {
	Root    SearchNode
	Repairs []string // what the lenient parser had to fix, in order
}

// Terms lists every term of the query, in order.
func (q *SearchQuery) Terms() []*Term {
	var out []*Term
	var walk func(SearchNode)
	walk = func(n SearchNode) {
		switch n := n.(type) {
		case *Term:
			out = append(out, n)
		case *Not:
			walk(n.X)
		case *And:
			for _, x := range n.Xs {
				walk(x)
			}
		case *Or:
			for _, x := range n.Xs {
				walk(x)
			}
		}
	}
	if q.Root != nil {
		walk(q.Root)
	}
	return out
}

// String renders the parse tree for test messages (values quoted with %q).
func (q *SearchQuery) String() string {
	var b strings.Builder
	var walk func(SearchNode)
	walk = func(n SearchNode) {
		switch n := n.(type) {
		case *Term:
			if n.Field != "" {
				b.WriteString(n.Field + n.Op)
			}
			switch {
			case n.Exists:
				b.WriteString("*")
			case n.Prefix:
				fmt.Fprintf(&b, "%q*", n.Value)
			default:
				fmt.Fprintf(&b, "%q", n.Value)
			}
		case *Not:
			b.WriteString("NOT(")
			walk(n.X)
			b.WriteString(")")
		case *And, *Or:
			name, xs := "AND", []SearchNode(nil)
			if a, ok := n.(*And); ok {
				xs = a.Xs
			} else {
				name, xs = "OR", n.(*Or).Xs
			}
			b.WriteString(name + "(")
			for i, x := range xs {
				if i > 0 {
					b.WriteString(" ")
				}
				walk(x)
			}
			b.WriteString(")")
		}
	}
	if q.Root == nil {
		return "<all>"
	}
	walk(q.Root)
	return b.String()
}

// ParseSearch parses a search query. It never fails: malformed input is
// repaired as Shopify tolerates it, and the repairs are listed.
func ParseSearch(s string) *SearchQuery {
	p := &searchParser{src: []rune(s)}
	q := &SearchQuery{}
	root := p.parseOr(0)
	for p.pos < len(p.src) {
		// Only a stray ")" stops the top level early.
		p.repair("unmatched \")\" ignored at %d", p.pos)
		p.pos++
		if more := p.parseOr(0); more != nil {
			root = joinAnd(root, more)
		}
	}
	q.Root = root
	q.Repairs = p.repairs
	return q
}

type searchParser struct {
	src     []rune
	pos     int
	repairs []string
}

func (p *searchParser) repair(format string, args ...any) {
	p.repairs = append(p.repairs, fmt.Sprintf(format, args...))
}

func (p *searchParser) skipSpace() {
	for p.pos < len(p.src) && isSpace(p.src[p.pos]) {
		p.pos++
	}
}

func isSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }

// hasPrefix reports whether the ASCII text s starts at pos.
func (p *searchParser) hasPrefix(s string) bool {
	if p.pos+len(s) > len(p.src) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if p.src[p.pos+i] != rune(s[i]) {
			return false
		}
	}
	return true
}

// keyword reports whether a bare keyword (OR, AND, NOT) starts at pos and
// is followed by whitespace (or, for OR/AND, the end of a group).
func (p *searchParser) keyword(kw string) bool {
	k := []rune(kw)
	if p.pos+len(k) > len(p.src) || string(p.src[p.pos:p.pos+len(k)]) != kw {
		return false
	}
	end := p.pos + len(k)
	return end == len(p.src) || isSpace(p.src[end]) || p.src[end] == '(' || p.src[end] == ')'
}

func joinAnd(a, b SearchNode) SearchNode {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	if x, ok := a.(*And); ok {
		x.Xs = append(x.Xs, b)
		return x
	}
	return &And{Xs: []SearchNode{a, b}}
}

func (p *searchParser) parseOr(depth int) SearchNode {
	var xs []SearchNode
	for {
		x := p.parseAnd(depth)
		if x != nil {
			xs = append(xs, x)
		}
		p.skipSpace()
		if p.keyword("OR") {
			p.pos += 2
			if x == nil {
				p.repair("OR without a left operand ignored")
			}
			continue
		}
		break
	}
	switch len(xs) {
	case 0:
		return nil
	case 1:
		return xs[0]
	}
	return &Or{Xs: xs}
}

func (p *searchParser) parseAnd(depth int) SearchNode {
	var xs []SearchNode
	for {
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] == ')' || p.keyword("OR") {
			break
		}
		if p.keyword("AND") {
			p.pos += 3
			continue
		}
		if x := p.parseUnary(depth); x != nil {
			xs = append(xs, x)
		}
	}
	switch len(xs) {
	case 0:
		return nil
	case 1:
		return xs[0]
	}
	return &And{Xs: xs}
}

// maxSearchDepth bounds parenthesis nesting so hostile input cannot
// exhaust the stack; deeper "(" are read as text.
const maxSearchDepth = 32

func (p *searchParser) parseUnary(depth int) SearchNode {
	neg := 0
	for {
		p.skipSpace()
		if p.pos >= len(p.src) {
			break
		}
		if p.keyword("NOT") {
			p.pos += 3
			neg++
			continue
		}
		if p.src[p.pos] == '-' && p.pos+1 < len(p.src) && !isSpace(p.src[p.pos+1]) {
			p.pos++
			neg++
			continue
		}
		break
	}
	if p.pos >= len(p.src) {
		if neg > 0 {
			p.repair("NOT without an operand ignored")
		}
		return nil
	}
	var x SearchNode
	if p.src[p.pos] == '(' && depth < maxSearchDepth {
		p.pos++
		x = p.parseOr(depth + 1)
		p.skipSpace()
		if p.pos < len(p.src) && p.src[p.pos] == ')' {
			p.pos++
		} else {
			p.repair("missing \")\" added at end")
		}
	} else {
		if p.src[p.pos] == '(' {
			p.repair("nesting too deep: \"(\" read as text")
		}
		x = p.parseTerm()
	}
	if x == nil {
		return nil
	}
	if neg%2 == 1 { // double negations cancel; no deep Not chains
		x = &Not{X: x}
	}
	return x
}

// parseTerm reads one term. The field name is the bare text before the
// first unescaped ":"; the value may be quoted.
func (p *searchParser) parseTerm() SearchNode {
	t := &Term{}
	// A term that starts with a quote is a quoted free-text value.
	if c := p.src[p.pos]; c == '"' || c == '\'' {
		t.Value, t.Quoted = p.quoted(), true
		return t
	}
	var b strings.Builder
	start := p.pos // a "(" here is text (nesting too deep); elsewhere it ends the term
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if isSpace(c) || c == ')' || (c == '(' && p.pos != start) {
			break
		}
		if c == '\\' {
			if p.pos+1 < len(p.src) {
				b.WriteRune(p.src[p.pos+1])
				p.pos += 2
				continue
			}
			p.repair("trailing backslash ignored")
			p.pos++
			continue
		}
		if c == ':' && t.Op == "" {
			t.Field = b.String()
			b.Reset()
			p.pos++
			t.Op = ":"
			for _, op := range []string{"<=", ">=", "<", ">"} {
				if p.hasPrefix(op) {
					t.Op += op
					p.pos += len(op)
					break
				}
			}
			if p.pos < len(p.src) && (p.src[p.pos] == '"' || p.src[p.pos] == '\'') {
				t.Value, t.Quoted = p.quoted(), true
				// Text glued to the closing quote belongs to the value.
				for p.pos < len(p.src) && !isSpace(p.src[p.pos]) && p.src[p.pos] != '(' && p.src[p.pos] != ')' {
					p.repair("text after a closing quote joined to the value")
					t.Value += string(p.src[p.pos])
					p.pos++
				}
				return t
			}
			continue
		}
		if c == '*' && (p.pos+1 == len(p.src) || isSpace(p.src[p.pos+1]) || p.src[p.pos+1] == ')') {
			t.Prefix = true
			p.pos++
			break
		}
		b.WriteRune(c)
		p.pos++
	}
	t.Value = b.String()
	if t.Prefix && t.Value == "" {
		t.Prefix, t.Exists = false, t.Field != ""
	}
	if t.Field == "" && t.Op != "" {
		// ":value" with no field name: Shopify treats it as free text.
		p.repair("empty field name treated as free text")
		t.Op = ""
	}
	return t
}

// quoted reads a quoted string starting at the opening quote.
func (p *searchParser) quoted() string {
	q := p.src[p.pos]
	p.pos++
	var b strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == '\\' && p.pos+1 < len(p.src):
			b.WriteRune(p.src[p.pos+1])
			p.pos += 2
		case c == q:
			p.pos++
			return b.String()
		default:
			b.WriteRune(c)
			p.pos++
		}
	}
	p.repair("unterminated quote closed at end")
	return b.String()
}

// QuoteSearchValue renders v as one double-quoted search value, escaping
// backslashes and double quotes, the way a connector should build a term.
// (Exported so tests of the sandbox and its users agree on the rule.)
func QuoteSearchValue(v string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(v) + `"`
}

// searchDoc exposes one record's searchable fields. values returns the
// field's values (nil when the field is unknown to the resource, which
// makes the term ignored, as Shopify ignores unknown filters).
type searchDoc interface {
	values(field string) (vals []string, known bool)
	text() []string // what a free-text term searches
}

// matches evaluates a parsed query against a record.
func matches(n SearchNode, d searchDoc) bool {
	switch n := n.(type) {
	case nil:
		return true
	case *Not:
		return !matches(n.X, d)
	case *And:
		for _, x := range n.Xs {
			if !matches(x, d) {
				return false
			}
		}
		return true
	case *Or:
		for _, x := range n.Xs {
			if matches(x, d) {
				return true
			}
		}
		return false
	case *Term:
		return matchTerm(n, d)
	}
	return false
}

func matchTerm(t *Term, d searchDoc) bool {
	if t.Field == "" {
		v := strings.ToLower(t.Value)
		if v == "" {
			return true
		}
		for _, s := range d.text() {
			if strings.Contains(strings.ToLower(s), v) {
				return true
			}
		}
		return false
	}
	field := strings.ToLower(t.Field)
	if field == "tag_not" {
		inv := *t
		inv.Field = "tag"
		return !matchTerm(&inv, d)
	}
	vals, known := d.values(field)
	if !known {
		// Unknown filter: ignored, so it matches everything (the
		// documented, dangerous behaviour that makes post-filtering a must).
		return true
	}
	if t.Exists {
		for _, v := range vals {
			if v != "" {
				return true
			}
		}
		return false
	}
	want := strings.ToLower(t.Value)
	for _, v := range vals {
		got := strings.ToLower(v)
		switch t.Op {
		case ":<":
			if got < want {
				return true
			}
		case ":>":
			if got > want {
				return true
			}
		case ":<=":
			if got <= want {
				return true
			}
		case ":>=":
			if got >= want {
				return true
			}
		default:
			if t.Prefix {
				if strings.HasPrefix(got, want) {
					return true
				}
			} else if got == want {
				return true
			}
		}
	}
	return false
}
