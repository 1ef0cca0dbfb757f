// Package fieldpath is the field-path syntax of scope files and the
// projection of JSON-like records through a set of paths. Scopes use it to
// check paths, connectors to build their selections (SOQL SELECT lists,
// GraphQL selections) and to drop fields nobody asked for, and the gateway to
// apply each field's rule.
//
// Syntax: names separated by dots; a name followed by "[]" steps into every
// element of an array. Examples: "email", "customer.last_name",
// "line_items[].title", "tags[]". A name is [A-Za-z_][A-Za-z0-9_]* (this
// covers Salesforce custom fields such as "Tier__c").
//
// Records are the values encoding/json produces when decoding into an any:
// map[string]any, []any, string, float64 or json.Number, bool and nil.
package fieldpath

import (
	"fmt"
	"sort"
	"strings"
)

// Segment is one step of a path.
type Segment struct {
	Name string
	Each bool // "name[]": step into every array element
}

// Path is a parsed field path. The zero value is the empty path (invalid).
type Path struct {
	segs []Segment
	text string
}

// Error is a syntax error at a byte offset of the path text.
type Error struct {
	Offset int
	Msg    string
}

func (e *Error) Error() string { return fmt.Sprintf("column %d: %s", e.Offset+1, e.Msg) }

// Parse parses a field path. Errors are *Error with the offset of the problem.
func Parse(s string) (Path, error) {
	if s == "" {
		return Path{}, &Error{0, "empty field path"}
	}
	var segs []Segment
	i := 0
	for {
		start := i
		if i >= len(s) || !(isAlpha(s[i]) || s[i] == '_') {
			what := "end of path"
			if i < len(s) {
				what = fmt.Sprintf("%q", s[i])
			}
			return Path{}, &Error{i, fmt.Sprintf("expected a field name, found %s", what)}
		}
		for i < len(s) && (isAlpha(s[i]) || isDigit(s[i]) || s[i] == '_') {
			i++
		}
		seg := Segment{Name: s[start:i]}
		if strings.HasPrefix(s[i:], "[]") {
			seg.Each = true
			i += 2
		} else if i < len(s) && s[i] == '[' {
			return Path{}, &Error{i, "only \"[]\" (every element) may follow a name; indexes and filters are not supported"}
		}
		segs = append(segs, seg)
		if i == len(s) {
			break
		}
		if s[i] != '.' {
			return Path{}, &Error{i, fmt.Sprintf("unexpected %q; separate names with \".\"", s[i])}
		}
		i++
	}
	return Path{segs: segs, text: s}, nil
}

// MustParse is Parse for literals in code and tests.
func MustParse(s string) Path {
	p, err := Parse(s)
	if err != nil {
		panic(fmt.Sprintf("fieldpath.MustParse(%q): %v", s, err))
	}
	return p
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// String returns the path in its text form.
func (p Path) String() string { return p.text }

// Segments returns the steps of the path (do not modify).
func (p Path) Segments() []Segment { return p.segs }

// Names returns the path without array markers ("line_items.title"), the
// form catalogs use to name a field.
func (p Path) Names() string {
	parts := make([]string, len(p.segs))
	for i, s := range p.segs {
		parts[i] = s.Name
	}
	return strings.Join(parts, ".")
}

// Last is the final name of the path ("title" for "line_items[].title").
func (p Path) Last() string {
	if len(p.segs) == 0 {
		return ""
	}
	return p.segs[len(p.segs)-1].Name
}

// Overlaps reports whether one path is a prefix of the other by names, so
// that both cannot carry rules (the outer one would decide the inner one's
// values).
func (p Path) Overlaps(q Path) bool {
	n := min(len(p.segs), len(q.segs))
	if n == 0 {
		return false
	}
	for i := 0; i < n; i++ {
		if p.segs[i].Name != q.segs[i].Name {
			return false
		}
	}
	return true
}

// Tree is a compiled, immutable set of paths, each with its index in the
// list given to NewTree.
type Tree struct {
	root  *Node
	paths []Path
}

// Node is one name in a Tree.
type Node struct {
	Name     string
	Each     bool // the value under Name is an array whose elements are walked
	Leaf     int  // index of the path ending here, or -1
	children []*Node
}

// Children returns the node's children sorted by name (do not modify).
func (n *Node) Children() []*Node { return n.children }

func (n *Node) child(name string) *Node {
	for _, c := range n.children {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// NewTree compiles paths. Two paths that overlap (one a prefix of the
// other, or the same names with different array markers) are an error.
func NewTree(paths []Path) (*Tree, error) {
	t := &Tree{root: &Node{Leaf: -1}, paths: paths}
	for i, p := range paths {
		if len(p.segs) == 0 {
			return nil, fmt.Errorf("path %d is empty", i)
		}
		for j := 0; j < i; j++ {
			if p.Overlaps(paths[j]) {
				return nil, fmt.Errorf("field paths %q and %q overlap", paths[j].text, p.text)
			}
		}
		n := t.root
		for k, s := range p.segs {
			c := n.child(s.Name)
			if c == nil {
				c = &Node{Name: s.Name, Each: s.Each, Leaf: -1}
				n.children = append(n.children, c)
				sort.Slice(n.children, func(a, b int) bool { return n.children[a].Name < n.children[b].Name })
			} else if c.Each != s.Each {
				return nil, fmt.Errorf("field %q is used both as a list and as a single value", p.text)
			}
			if k == len(p.segs)-1 {
				c.Leaf = i
			}
			n = c
		}
	}
	return t, nil
}

// Root returns the tree's root (its Name is empty).
func (t *Tree) Root() *Node { return t.root }

// Paths returns the paths the tree was built from, by index (do not modify).
func (t *Tree) Paths() []Path { return t.paths }

// Leaf is one selected value found while projecting. Set replaces the value
// in the projected copy (never in the input).
type Leaf struct {
	Index int // index of the path in the tree
	Value any
	m     map[string]any
	key   string
	arr   []any
	i     int
}

// Set replaces the leaf's value in the projected copy.
func (l *Leaf) Set(v any) {
	if l.m != nil {
		l.m[l.key] = v
	} else {
		l.arr[l.i] = v
	}
}

// IsScalar reports whether v is a JSON scalar (string, number, bool, null).
func IsScalar(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return false
	}
	return true
}

// Project returns a copy of doc holding only what the tree selects. Objects
// keep only selected keys (a key present with null stays null; an absent key
// stays absent); arrays marked "[]" keep every element, projected. A value
// of the wrong shape (an object where an array is expected, or a non-scalar
// at a leaf) is left out: projection never passes through what it cannot
// vouch for. visit, if not nil, is called for every selected leaf value in
// document order, and may Set a replacement at once or later.
func (t *Tree) Project(doc any, visit func(*Leaf)) any {
	m, ok := doc.(map[string]any)
	if !ok {
		return map[string]any{}
	}
	return projectObject(t.root, m, visit)
}

func projectObject(n *Node, in map[string]any, visit func(*Leaf)) map[string]any {
	out := make(map[string]any, len(n.children))
	for _, c := range n.children {
		v, present := in[c.Name]
		if !present {
			continue
		}
		if v == nil {
			out[c.Name] = nil
			continue
		}
		if c.Each {
			arr, ok := v.([]any)
			if !ok {
				continue
			}
			cp := make([]any, 0, len(arr))
			for _, e := range arr {
				if c.Leaf >= 0 {
					if !IsScalar(e) {
						continue
					}
					cp = append(cp, e)
				} else if em, ok := e.(map[string]any); ok {
					cp = append(cp, projectObject(c, em, visit))
				} else if e == nil {
					cp = append(cp, nil)
				}
			}
			if c.Leaf >= 0 && visit != nil {
				for i := range cp {
					visit(&Leaf{Index: c.Leaf, Value: cp[i], arr: cp, i: i})
				}
			}
			out[c.Name] = cp
			continue
		}
		if c.Leaf >= 0 {
			if !IsScalar(v) {
				continue
			}
			out[c.Name] = v
			if visit != nil {
				visit(&Leaf{Index: c.Leaf, Value: v, m: out, key: c.Name})
			}
			continue
		}
		if vm, ok := v.(map[string]any); ok {
			out[c.Name] = projectObject(c, vm, visit)
		}
	}
	return out
}
