package salesforce

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// SOQL is a parsed query, the subset of SOQL the sandbox understands:
//
//	SELECT field, Rel.field, (SELECT field FROM ChildRel [WHERE ...] [ORDER BY ...] [LIMIT n])
//	FROM Object
//	[WHERE cond]            -- = != <> < > <= >=, [NOT] IN (...), [NOT] LIKE, AND, OR, NOT, ( )
//	[ORDER BY field [ASC|DESC] [NULLS FIRST|LAST], ...]
//	[LIMIT n] [OFFSET n]
//
// Keywords are case-insensitive. String literals are single-quoted with
// the escapes of the SOQL reference (\n \r \t \b \f \" \' \\ \uXXXX, and
// \_ \% only inside LIKE patterns); any other escape is MALFORMED_QUERY.
// Tests use ParseSOQL to prove that a connector's escaping keeps a lookup
// value inside its literal.
type SOQL struct {
	Select  []SelectItem
	From    string
	Where   Expr // nil when absent
	OrderBy []OrderItem
	Limit   int // -1 when absent
	Offset  int
}

// SelectItem is a field path ("Account.Name") or a child subquery.
type SelectItem struct {
	Path []string // nil for a subquery
	Sub  *SOQL
	Pos  int // byte offset in the query text, for error carets
}

// OrderItem is one ORDER BY term.
type OrderItem struct {
	Path       []string
	Desc       bool
	NullsFirst bool
}

// Expr is a WHERE condition: *Compare, *In, *Like, *And, *Or or *Not.
// String renders it canonically (literals re-escaped, parentheses explicit).
type Expr interface {
	String() string
}

// LitKind is the kind of a literal.
type LitKind int

// Literal kinds.
const (
	LitString LitKind = iota
	LitNumber
	LitBool
	LitNull
	LitDate
	LitDateTime
)

// Literal is a value in a condition. For strings Value is the decoded
// text; for LIKE patterns see Like.
type Literal struct {
	Kind  LitKind
	Value string
	Pos   int
}

func (l Literal) String() string {
	switch l.Kind {
	case LitString:
		return "'" + EscapeLiteral(l.Value) + "'"
	case LitNull:
		return "null"
	}
	return l.Value
}

// Compare is Field Op Value with Op one of = != < > <= >= (<> is read as !=).
type Compare struct {
	Field []string
	Op    string
	Value Literal
	Pos   int
}

func (c *Compare) String() string {
	return strings.Join(c.Field, ".") + " " + c.Op + " " + c.Value.String()
}

// In is Field [NOT] IN (values).
type In struct {
	Field  []string
	Not    bool
	Values []Literal
	Pos    int
}

func (c *In) String() string {
	vs := make([]string, len(c.Values))
	for i, v := range c.Values {
		vs[i] = v.String()
	}
	op := " IN ("
	if c.Not {
		op = " NOT IN ("
	}
	return strings.Join(c.Field, ".") + op + strings.Join(vs, ", ") + ")"
}

// Like is Field [NOT] LIKE pattern. Pattern holds pattern runes: '%' and
// '_' are wildcards unless escaped, kept here as "\%" and "\_"; a literal
// backslash is "\\".
type Like struct {
	Field   []string
	Not     bool
	Pattern string
	Pos     int
}

func (c *Like) String() string {
	op := " LIKE '"
	if c.Not {
		op = " NOT LIKE '"
	}
	return strings.Join(c.Field, ".") + op + escapePattern(c.Pattern) + "'"
}

// escapePattern turns pattern runes back into literal text: the escaped
// wildcards and the doubled backslash stay as they are, everything else is
// escaped as in any string literal.
func escapePattern(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '\\' && i+1 < len(p) {
			b.WriteString(p[i : i+2])
			i++
			continue
		}
		j := i + 1
		for j < len(p) && p[j] != '\\' {
			j++
		}
		b.WriteString(EscapeLiteral(p[i:j]))
		i = j - 1
	}
	return b.String()
}

// And, Or and Not combine conditions.
type And struct{ L, R Expr }
type Or struct{ L, R Expr }
type Not struct{ X Expr }

func (e *And) String() string { return "(" + e.L.String() + " AND " + e.R.String() + ")" }
func (e *Or) String() string  { return "(" + e.L.String() + " OR " + e.R.String() + ")" }
func (e *Not) String() string { return "(NOT " + e.X.String() + ")" }

// EscapeLiteral escapes text for a SOQL string literal (reference §1.6):
// backslash first, then quotes, then control characters.
func EscapeLiteral(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '\'':
			b.WriteString(`\'`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// QueryError is a SOQL problem in Salesforce's terms.
type QueryError struct {
	Code string // MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE, INVALID_QUERY_FILTER_OPERATOR
	Pos  int
	Msg  string
}

func (e *QueryError) Error() string { return e.Code + ": " + e.Msg }

// message renders the error as Salesforce does: the query, a caret, the
// row and column, then the message.
func (e *QueryError) message(q string) string {
	line := strings.ReplaceAll(q, "\n", " ")
	col := utf8.RuneCountInString(q[:min(max(e.Pos, 0), len(q))])
	return fmt.Sprintf("\n%s\n%s^\nERROR at Row:1:Column:%d\n%s", line, strings.Repeat(" ", col), col+1, e.Msg)
}

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString // raw text between the quotes, escapes not yet decoded
	tNumber
	tDate
	tDateTime
	tPunct
)

type token struct {
	kind tokKind
	text string
	pos  int
}

func lex(q string) ([]token, error) {
	var out []token
	i := 0
	for i < len(q) {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '\'':
			start := i
			i++
			var b strings.Builder
			closed := false
			for i < len(q) {
				if q[i] == '\\' {
					if i+1 >= len(q) {
						break
					}
					b.WriteByte(q[i])
					b.WriteByte(q[i+1])
					i += 2
					continue
				}
				if q[i] == '\'' {
					closed = true
					i++
					break
				}
				b.WriteByte(q[i])
				i++
			}
			if !closed {
				return nil, &QueryError{"MALFORMED_QUERY", start, "unexpected token: unterminated string literal"}
			}
			out = append(out, token{tString, b.String(), start})
		case isDigit(c) || (c == '-' || c == '+') && i+1 < len(q) && isDigit(q[i+1]) && numberContext(out):
			start := i
			i++
			for i < len(q) && (isDigit(q[i]) || q[i] == '.' || q[i] == '-' || q[i] == ':' || q[i] == 'T' || q[i] == 'Z' ||
				(q[i] == '+' && i > start+10)) {
				i++
			}
			text := q[start:i]
			switch {
			case dateRe(text):
				out = append(out, token{tDate, text, start})
			case dateTimeRe(text):
				out = append(out, token{tDateTime, text, start})
			default:
				if _, err := strconv.ParseFloat(text, 64); err != nil {
					return nil, &QueryError{"MALFORMED_QUERY", start, fmt.Sprintf("unexpected token: '%s'", text)}
				}
				out = append(out, token{tNumber, text, start})
			}
		case isIdentStart(c):
			start := i
			for i < len(q) && (isIdentStart(q[i]) || isDigit(q[i])) {
				i++
			}
			out = append(out, token{tIdent, q[start:i], start})
		default:
			start := i
			for _, p := range []string{"!=", "<>", "<=", ">=", "=", "<", ">", "(", ")", ",", "."} {
				if strings.HasPrefix(q[i:], p) {
					out = append(out, token{tPunct, p, start})
					i += len(p)
					break
				}
			}
			if i == start {
				r, _ := utf8.DecodeRuneInString(q[i:])
				return nil, &QueryError{"MALFORMED_QUERY", start, fmt.Sprintf("unexpected token: '%c'", r)}
			}
		}
	}
	out = append(out, token{tEOF, "", len(q)})
	return out, nil
}

// numberContext: a sign starts a number only where a value may start.
func numberContext(prev []token) bool {
	if len(prev) == 0 {
		return false
	}
	p := prev[len(prev)-1]
	return p.kind == tPunct && p.text != ")" && p.text != "."
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func dateRe(s string) bool {
	return len(s) == 10 && isDigit(s[0]) && s[4] == '-' && s[7] == '-' && allDigits(s[:4]+s[5:7]+s[8:])
}

func dateTimeRe(s string) bool {
	if len(s) < 20 || !dateRe(s[:10]) || s[10] != 'T' {
		return false
	}
	_, err := parseSOQLDateTime(s)
	return err == nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

type parser struct {
	toks []token
	i    int
}

// ParseSOQL parses q. Errors are *QueryError.
func ParseSOQL(q string) (*SOQL, error) {
	toks, err := lex(q)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	s, err := p.query(false)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.unexpected(t)
	}
	return s, nil
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) keyword(kw string) bool {
	t := p.peek()
	if t.kind == tIdent && strings.EqualFold(t.text, kw) {
		p.i++
		return true
	}
	return false
}

func (p *parser) punct(s string) bool {
	t := p.peek()
	if t.kind == tPunct && t.text == s {
		p.i++
		return true
	}
	return false
}

func (p *parser) unexpected(t token) error {
	if t.kind == tEOF {
		return &QueryError{"MALFORMED_QUERY", t.pos, "unexpected token: <EOF>"}
	}
	text := t.text
	if t.kind == tString {
		text = "'" + text + "'"
	}
	return &QueryError{"MALFORMED_QUERY", t.pos, fmt.Sprintf("unexpected token: '%s'", text)}
}

func (p *parser) expectKeyword(kw string) error {
	if !p.keyword(kw) {
		return p.unexpected(p.peek())
	}
	return nil
}

var reserved = map[string]bool{
	"select": true, "from": true, "where": true, "and": true, "or": true, "not": true, "in": true, "like": true,
	"order": true, "by": true, "limit": true, "offset": true, "asc": true, "desc": true, "nulls": true,
	"null": true, "true": true, "false": true, "group": true, "having": true, "includes": true, "excludes": true,
}

func (p *parser) path() ([]string, int, error) {
	t := p.peek()
	if t.kind != tIdent || reserved[strings.ToLower(t.text)] {
		return nil, t.pos, p.unexpected(t)
	}
	p.i++
	out := []string{t.text}
	for p.punct(".") {
		n := p.peek()
		if n.kind != tIdent {
			return nil, t.pos, p.unexpected(n)
		}
		p.i++
		out = append(out, n.text)
	}
	return out, t.pos, nil
}

func (p *parser) query(sub bool) (*SOQL, error) {
	if err := p.expectKeyword("SELECT"); err != nil {
		return nil, err
	}
	s := &SOQL{Limit: -1}
	for {
		t := p.peek()
		if t.kind == tPunct && t.text == "(" {
			if sub {
				return nil, &QueryError{"MALFORMED_QUERY", t.pos, "nested subqueries are not supported"}
			}
			p.i++
			child, err := p.query(true)
			if err != nil {
				return nil, err
			}
			if !p.punct(")") {
				return nil, p.unexpected(p.peek())
			}
			s.Select = append(s.Select, SelectItem{Sub: child, Pos: t.pos})
		} else {
			path, pos, err := p.path()
			if err != nil {
				return nil, err
			}
			if n := p.peek(); n.kind == tPunct && n.text == "(" {
				return nil, &QueryError{"MALFORMED_QUERY", n.pos, "functions and aggregates are not supported by the sandbox"}
			}
			s.Select = append(s.Select, SelectItem{Path: path, Pos: pos})
		}
		if !p.punct(",") {
			break
		}
	}
	if err := p.expectKeyword("FROM"); err != nil {
		return nil, err
	}
	from := p.next()
	if from.kind != tIdent || strings.EqualFold(from.text, "WHERE") { // "Order" is both a keyword and an object
		return nil, p.unexpected(from)
	}
	s.From = from.text
	if p.keyword("WHERE") {
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		s.Where = e
	}
	if p.keyword("ORDER") {
		if err := p.expectKeyword("BY"); err != nil {
			return nil, err
		}
		for {
			path, _, err := p.path()
			if err != nil {
				return nil, err
			}
			it := OrderItem{Path: path}
			if p.keyword("DESC") {
				it.Desc = true
			} else {
				p.keyword("ASC")
			}
			it.NullsFirst = !it.Desc // Salesforce's default: nulls first ascending, last descending
			if p.keyword("NULLS") {
				switch {
				case p.keyword("FIRST"):
					it.NullsFirst = true
				case p.keyword("LAST"):
					it.NullsFirst = false
				default:
					return nil, p.unexpected(p.peek())
				}
			}
			s.OrderBy = append(s.OrderBy, it)
			if !p.punct(",") {
				break
			}
		}
	}
	if p.keyword("LIMIT") {
		n, err := p.count()
		if err != nil {
			return nil, err
		}
		s.Limit = n
	}
	if p.keyword("OFFSET") {
		n, err := p.count()
		if err != nil {
			return nil, err
		}
		s.Offset = n
	}
	return s, nil
}

func (p *parser) count() (int, error) {
	t := p.next()
	if t.kind != tNumber {
		return 0, p.unexpected(t)
	}
	n, err := strconv.Atoi(t.text)
	if err != nil || n < 0 {
		return 0, &QueryError{"MALFORMED_QUERY", t.pos, fmt.Sprintf("unexpected token: '%s'", t.text)}
	}
	return n, nil
}

func (p *parser) or() (Expr, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.keyword("OR") {
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = &Or{l, r}
	}
	return l, nil
}

func (p *parser) and() (Expr, error) {
	l, err := p.not()
	if err != nil {
		return nil, err
	}
	for p.keyword("AND") {
		r, err := p.not()
		if err != nil {
			return nil, err
		}
		l = &And{l, r}
	}
	return l, nil
}

func (p *parser) not() (Expr, error) {
	if p.keyword("NOT") {
		x, err := p.not()
		if err != nil {
			return nil, err
		}
		return &Not{x}, nil
	}
	return p.primary()
}

func (p *parser) primary() (Expr, error) {
	if p.punct("(") {
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.punct(")") {
			return nil, p.unexpected(p.peek())
		}
		return e, nil
	}
	field, pos, err := p.path()
	if err != nil {
		return nil, err
	}
	not := p.keyword("NOT")
	switch {
	case p.keyword("IN"):
		if !p.punct("(") {
			return nil, p.unexpected(p.peek())
		}
		in := &In{Field: field, Not: not, Pos: pos}
		for {
			v, err := p.literal(false)
			if err != nil {
				return nil, err
			}
			in.Values = append(in.Values, v)
			if !p.punct(",") {
				break
			}
		}
		if !p.punct(")") {
			return nil, p.unexpected(p.peek())
		}
		return in, nil
	case p.keyword("LIKE"):
		t := p.next()
		if t.kind != tString {
			return nil, p.unexpected(t)
		}
		pat, err := decodeString(t.text, t.pos, true)
		if err != nil {
			return nil, err
		}
		return &Like{Field: field, Not: not, Pattern: pat, Pos: pos}, nil
	case not:
		return nil, p.unexpected(p.peek())
	}
	op := p.next()
	if op.kind != tPunct {
		return nil, p.unexpected(op)
	}
	switch op.text {
	case "=", "!=", "<", ">", "<=", ">=":
	case "<>":
		op.text = "!="
	default:
		return nil, p.unexpected(op)
	}
	v, err := p.literal(true)
	if err != nil {
		return nil, err
	}
	return &Compare{Field: field, Op: op.text, Value: v, Pos: pos}, nil
}

func (p *parser) literal(allowNull bool) (Literal, error) {
	t := p.next()
	switch t.kind {
	case tString:
		s, err := decodeString(t.text, t.pos, false)
		if err != nil {
			return Literal{}, err
		}
		return Literal{Kind: LitString, Value: s, Pos: t.pos}, nil
	case tNumber:
		return Literal{Kind: LitNumber, Value: t.text, Pos: t.pos}, nil
	case tDate:
		return Literal{Kind: LitDate, Value: t.text, Pos: t.pos}, nil
	case tDateTime:
		return Literal{Kind: LitDateTime, Value: t.text, Pos: t.pos}, nil
	case tIdent:
		switch strings.ToLower(t.text) {
		case "true", "false":
			return Literal{Kind: LitBool, Value: strings.ToLower(t.text), Pos: t.pos}, nil
		case "null":
			if allowNull {
				return Literal{Kind: LitNull, Pos: t.pos}, nil
			}
		}
	}
	return Literal{}, p.unexpected(t)
}

// decodeString decodes the escapes of a string literal. In a LIKE pattern
// the escaped wildcards stay escaped ("\%", "\_") and a literal backslash
// stays doubled, so the matcher can tell them from wildcards.
func decodeString(raw string, pos int, like bool) (string, error) {
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(raw) {
			return "", &QueryError{"MALFORMED_QUERY", pos, "invalid escape sequence at end of string"}
		}
		switch e := raw[i]; e {
		case 'n', 'N':
			b.WriteByte('\n')
		case 'r', 'R':
			b.WriteByte('\r')
		case 't', 'T':
			b.WriteByte('\t')
		case 'b', 'B':
			b.WriteByte('\b')
		case 'f', 'F':
			b.WriteByte('\f')
		case '"', '\'':
			b.WriteByte(e)
		case '\\':
			if like {
				b.WriteString(`\\`)
			} else {
				b.WriteByte('\\')
			}
		case 'u':
			if i+5 > len(raw) {
				return "", &QueryError{"MALFORMED_QUERY", pos, "invalid unicode escape"}
			}
			n, err := strconv.ParseUint(raw[i+1:i+5], 16, 32)
			if err != nil {
				return "", &QueryError{"MALFORMED_QUERY", pos, "invalid unicode escape"}
			}
			if like && n == '\\' {
				b.WriteString(`\\`) // a literal backslash, as if written \\
			} else {
				b.WriteRune(rune(n))
			}
			i += 4
		case '%', '_':
			if !like {
				return "", &QueryError{"MALFORMED_QUERY", pos, fmt.Sprintf("Invalid string literal. Illegal character sequence '\\%c' in string literal.", e)}
			}
			b.WriteByte('\\')
			b.WriteByte(e)
		default:
			return "", &QueryError{"MALFORMED_QUERY", pos, fmt.Sprintf("Invalid string literal. Illegal character sequence '\\%c' in string literal.", e)}
		}
	}
	return b.String(), nil
}
