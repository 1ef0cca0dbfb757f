package yamlx

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/cxgate/cxgate/internal/diag"
)

// Diagnostic codes of Check.
const (
	CodeUnknownKey   = "unknown-key"
	CodeDuplicateKey = "duplicate-key"
	CodeWrongKind    = "wrong-kind"
	CodeMissingKey   = "missing-key"
	CodeUnknownValue = "unknown-value"
	CodeRange        = "out-of-range"
	CodeEmptyValue   = "empty"
	CodeDuplicate    = "duplicate-entry"
	CodeOneKey       = "one-key"
)

// Kind is the shape a Spec expects.
type Kind int

const (
	KindString Kind = iota + 1
	KindInt
	KindNumber
	KindBool
	KindMap   // fixed keys, each with its own Spec
	KindDict  // free keys (ids, field paths), one Spec for every value
	KindList  // a list, one Spec for every element
	KindOneOf // alternatives, chosen by the node's kind
)

// Spec declares the shape of one YAML value. One Spec drives Check, the
// JSON Schema and the reference docs.
type Spec struct {
	Kind Kind
	Doc  string // one line for the schema and docs
	// Def, when set, names the spec in the JSON Schema's $defs.
	Def string
	// Expect overrides the words for what is expected ("a field rule ...").
	Expect string

	// Strings.
	Enum     []string
	EnumNoun string // "rule": messages say `unknown rule "x"`
	EnumCode string // diagnostic code for a value outside Enum
	Format   *Format
	Loose    bool // numbers are accepted as their text (api_version: 59.0)
	NonEmpty bool

	// Numbers.
	Min, Max *float64

	// Maps.
	Keys       []Key
	ExactlyOne bool   // option mappings: exactly one of Keys ({mask: last4})
	KeyNoun    string // "rule option": messages say `unknown rule option "x"`
	// UnknownKey, when set, may replace the message for an unknown key
	// (for example inline secrets in the gateway config).
	UnknownKey func(key string) (code, msg string, ok bool)

	// Dicts and lists.
	Elem      *Spec
	KeyFormat *Format // Dict keys
	MinItems  int
	Unique    bool // lists of scalars: no value twice

	// One-ofs.
	Alts []*Spec
}

// Key is one key of a KindMap spec.
type Key struct {
	Name     string
	Required bool
	Spec     *Spec
	Doc      string
}

// Num is a helper for Min and Max.
func Num(f float64) *float64 { return &f }

// Checker runs Specs over nodes of one file.
type Checker struct {
	File  string
	Diags *diag.List
}

// Check reports every structural problem of n against s. label names the
// value in messages ("min_tier", `operation "get_order"`); anchor is where a
// missing key is reported (the key that owns n), nil for n itself.
func (c *Checker) Check(n *yaml.Node, s *Spec, label string, anchor *yaml.Node) {
	if n == nil || s == nil {
		return
	}
	if anchor == nil {
		anchor = n
	}
	switch s.Kind {
	case KindOneOf:
		c.oneOf(n, s, label, anchor)
	case KindString:
		c.str(n, s, label)
	case KindInt, KindNumber:
		c.number(n, s, label)
	case KindBool:
		if _, ok := Bool(n); !ok {
			c.wrongKind(n, s, label)
		}
	case KindMap:
		c.mapping(n, s, label, anchor)
	case KindDict:
		c.dict(n, s, label)
	case KindList:
		c.list(n, s, label)
	}
}

// Matches reports whether a node's kind fits a spec, without checking more.
func Matches(n *yaml.Node, s *Spec) bool {
	if n == nil {
		return false
	}
	switch s.Kind {
	case KindString:
		return IsString(n) || (s.Loose && IsScalarText(n))
	case KindInt:
		_, ok := Int(n)
		return ok
	case KindNumber:
		_, ok := Float(n)
		return ok
	case KindBool:
		_, ok := Bool(n)
		return ok
	case KindMap, KindDict:
		return n.Kind == yaml.MappingNode
	case KindList:
		return n.Kind == yaml.SequenceNode
	case KindOneOf:
		for _, a := range s.Alts {
			if Matches(n, a) {
				return true
			}
		}
	}
	return false
}

// Expected describes in words what a spec wants.
func Expected(s *Spec) string {
	if s.Expect != "" {
		return s.Expect
	}
	switch s.Kind {
	case KindString:
		if len(s.Enum) > 0 {
			return "one of " + strings.Join(s.Enum, ", ")
		}
		return "a string"
	case KindInt:
		return "a whole number"
	case KindNumber:
		return "a number"
	case KindBool:
		return "true or false"
	case KindMap, KindDict:
		return "a mapping"
	case KindList:
		return "a list"
	case KindOneOf:
		parts := make([]string, len(s.Alts))
		for i, a := range s.Alts {
			parts[i] = Expected(a)
		}
		return strings.Join(parts, " or ")
	}
	return "a value"
}

func (c *Checker) errorf(n *yaml.Node, code, format string, args ...any) {
	c.Diags.Errorf(Pos(c.File, n), code, format, args...)
}

func (c *Checker) wrongKind(n *yaml.Node, s *Spec, label string) {
	hint := ""
	if s.Kind == KindList && n.Kind == yaml.ScalarNode && n.ShortTag() != "!!null" {
		hint = fmt.Sprintf("; write [%s] for a list of one", n.Value)
	}
	if (s.Kind == KindString || (s.Kind == KindOneOf && hasKind(s, KindString))) && n.Kind == yaml.ScalarNode && IsScalarText(n) {
		hint = fmt.Sprintf("; put it in quotes (%q) if you mean the text", n.Value)
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" && (s.Kind == KindMap || s.Kind == KindDict || s.Kind == KindList) {
		c.errorf(n, CodeWrongKind, "%s has no value: expected %s", label, Expected(s))
		return
	}
	c.errorf(n, CodeWrongKind, "%s must be %s, found %s%s", label, Expected(s), Describe(n), hint)
}

func hasKind(s *Spec, k Kind) bool {
	for _, a := range s.Alts {
		if a.Kind == k {
			return true
		}
	}
	return false
}

func (c *Checker) oneOf(n *yaml.Node, s *Spec, label string, anchor *yaml.Node) {
	for _, a := range s.Alts {
		if Matches(n, a) {
			c.Check(n, a, label, anchor)
			return
		}
	}
	c.wrongKind(n, s, label)
}

func (c *Checker) str(n *yaml.Node, s *Spec, label string) {
	if !(IsString(n) || (s.Loose && IsScalarText(n))) {
		c.wrongKind(n, s, label)
		return
	}
	v := n.Value
	if v == "" || strings.TrimSpace(v) == "" {
		if s.NonEmpty || len(s.Enum) > 0 || s.Format != nil {
			c.errorf(n, CodeEmptyValue, "%s must not be empty", label)
		}
		return
	}
	if len(s.Enum) > 0 {
		for _, e := range s.Enum {
			if e == v {
				return
			}
		}
		code := s.EnumCode
		if code == "" {
			code = CodeUnknownValue
		}
		if s.EnumNoun != "" {
			c.errorf(n, code, "unknown %s %q%s (expected one of %s)", s.EnumNoun, v, didYouMean(v, s.Enum), strings.Join(s.Enum, ", "))
		} else {
			c.errorf(n, code, "%s must be one of %s, found %q%s", label, strings.Join(s.Enum, ", "), v, didYouMean(v, s.Enum))
		}
		return
	}
	if s.Format != nil && s.Format.Check != nil {
		if fe := s.Format.Check(v); fe != nil {
			p := Pos(c.File, n)
			if fe.Offset >= 0 {
				p = OffsetPos(c.File, n, fe.Offset)
			}
			c.Diags.Errorf(p, fe.Code, "%s", fe.Msg)
		}
	}
}

func (c *Checker) number(n *yaml.Node, s *Spec, label string) {
	var f float64
	if s.Kind == KindInt {
		i, ok := Int(n)
		if !ok {
			if _, isNum := Float(n); isNum && n.ShortTag() == "!!int" {
				c.errorf(n, CodeRange, "%s is too large", label)
				return
			}
			c.wrongKind(n, s, label)
			return
		}
		f = float64(i)
	} else {
		v, ok := Float(n)
		if !ok {
			c.wrongKind(n, s, label)
			return
		}
		f = v
	}
	if s.Min != nil && f < *s.Min {
		c.errorf(n, CodeRange, "%s must be at least %s, found %s", label, fmtNum(*s.Min), n.Value)
	}
	if s.Max != nil && f > *s.Max {
		c.errorf(n, CodeRange, "%s must be at most %s, found %s", label, fmtNum(*s.Max), n.Value)
	}
}

func fmtNum(f float64) string {
	if f == float64(int64(f)) {
		return fmt.Sprintf("%d", int64(f))
	}
	return fmt.Sprintf("%g", f)
}

// keysOf lists the entries of a mapping, reporting complex keys and
// duplicates (both positions). It returns the first occurrence of each key.
func (c *Checker) keysOf(n *yaml.Node, label string) []Pair {
	first := map[string]*yaml.Node{}
	var out []Pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			c.errorf(k, CodeWrongKind, "keys in %s must be plain names, found %s", label, Describe(k))
			continue
		}
		if prev, dup := first[k.Value]; dup {
			pp := Pos(c.File, prev)
			c.Diags.Add(diag.Diagnostic{
				Position: Pos(c.File, k), Severity: diag.Error, Code: CodeDuplicateKey,
				Message: fmt.Sprintf("duplicate key %q in %s (first defined at %s)", k.Value, label, pp),
				Related: []diag.Position{pp},
			})
			continue
		}
		first[k.Value] = k
		out = append(out, Pair{Key: k, Value: v})
	}
	return out
}

func (c *Checker) mapping(n *yaml.Node, s *Spec, label string, anchor *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		c.wrongKind(n, s, label)
		return
	}
	names := make([]string, len(s.Keys))
	for i, k := range s.Keys {
		names[i] = k.Name
	}
	present := map[string]bool{}
	pairs := c.keysOf(n, label)
	for _, p := range pairs {
		key := p.Key.Value
		var ks *Key
		for i := range s.Keys {
			if s.Keys[i].Name == key {
				ks = &s.Keys[i]
				break
			}
		}
		if ks == nil {
			if s.UnknownKey != nil {
				if code, msg, ok := s.UnknownKey(key); ok {
					c.errorf(p.Key, code, "%s", msg)
					continue
				}
			}
			noun := "key"
			if s.KeyNoun != "" {
				noun = s.KeyNoun
			}
			if sug := Suggest(key, names); sug != "" {
				c.errorf(p.Key, CodeUnknownKey, "unknown %s %q in %s; did you mean %q?", noun, key, label, sug)
			} else {
				c.errorf(p.Key, CodeUnknownKey, "unknown %s %q in %s (expected %s)", noun, key, label, orList(names))
			}
			continue
		}
		present[key] = true
		c.Check(p.Value, ks.Spec, key, p.Key)
	}
	if s.ExactlyOne {
		switch {
		case len(pairs) == 0:
			c.errorf(n, CodeOneKey, "%s needs exactly one of %s", label, orList(names))
		case len(pairs) > 1:
			c.errorf(pairs[1].Key, CodeOneKey, "%s takes exactly one of %s, found %d keys", label, orList(names), len(pairs))
		}
		return
	}
	for _, k := range s.Keys {
		if k.Required && !present[k.Name] {
			c.errorf(anchor, CodeMissingKey, "%s is missing required key %q", label, k.Name)
		}
	}
}

func orList(names []string) string {
	switch len(names) {
	case 0:
		return "nothing"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

func (c *Checker) dict(n *yaml.Node, s *Spec, label string) {
	if n.Kind != yaml.MappingNode {
		c.wrongKind(n, s, label)
		return
	}
	pairs := c.keysOf(n, label)
	if len(pairs) < s.MinItems {
		c.errorf(n, CodeEmptyValue, "%s needs at least %d %s", label, s.MinItems, plural(s.MinItems, "entry", "entries"))
	}
	for _, p := range pairs {
		if s.KeyFormat != nil && s.KeyFormat.Check != nil {
			if fe := s.KeyFormat.Check(p.Key.Value); fe != nil {
				pos := Pos(c.File, p.Key)
				if fe.Offset >= 0 {
					pos = OffsetPos(c.File, p.Key, fe.Offset)
				}
				c.Diags.Errorf(pos, fe.Code, "%s", fe.Msg)
			}
		}
		c.Check(p.Value, s.Elem, elemLabel(s, p.Key.Value), p.Key)
	}
}

// elemLabel names a dict entry: `operation "get_order"` when the element
// spec has a Def, the key itself otherwise.
func elemLabel(s *Spec, key string) string {
	if s.Elem != nil && s.Elem.Def != "" {
		return fmt.Sprintf("%s %q", strings.ReplaceAll(s.Elem.Def, "_", " "), key)
	}
	return fmt.Sprintf("%q", key)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func (c *Checker) list(n *yaml.Node, s *Spec, label string) {
	if n.Kind != yaml.SequenceNode {
		c.wrongKind(n, s, label)
		return
	}
	if len(n.Content) < s.MinItems {
		c.errorf(n, CodeEmptyValue, "%s needs at least %d %s", label, s.MinItems, plural(s.MinItems, "entry", "entries"))
	}
	seen := map[string]*yaml.Node{}
	for _, e := range n.Content {
		c.Check(e, s.Elem, "each entry of "+label, nil)
		if s.Unique && e.Kind == yaml.ScalarNode {
			if prev, dup := seen[e.Value]; dup {
				pp := Pos(c.File, prev)
				c.Diags.Add(diag.Diagnostic{
					Position: Pos(c.File, e), Severity: diag.Error, Code: CodeDuplicate,
					Message: fmt.Sprintf("%q is listed twice in %s (first at %s)", e.Value, label, pp),
					Related: []diag.Position{pp},
				})
				continue
			}
			seen[e.Value] = e
		}
	}
}
