package fieldpath

import (
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

var nameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// FuzzFieldpath parses arbitrary path lists and projects arbitrary JSON
// through the tree they compile to. Parse never panics and either fails
// with an offset inside the text or returns a path that prints back as
// given; NewTree fails exactly when two paths overlap or disagree on
// whether a shared name is a list; projection never
// panics, never changes its input, keeps only selected names in the
// shapes the paths declare, and visits every leaf value it keeps (each
// visited leaf's Set lands in the output).
func FuzzFieldpath(f *testing.F) {
	f.Add("email\ncustomer.last_name\nline_items[].title\ntags[]", []byte(`{"email":"a@example.com","customer":{"last_name":"Okafor","x":1},"line_items":[{"title":"Mug"},null,3,{"title":{"deep":1}}],"tags":["a",["b"],{"c":1},null],"other":"x"}`))
	f.Add("a[].b[].c\nd", []byte(`{"a":[{"b":[{"c":1},{"c":[2]},{}]},[]],"d":null}`))
	f.Add("a\na.b", []byte(`{}`))
	f.Add("a[]\na.b", []byte(`{"a":[]}`))
	f.Add("Account.Tier__c\n_x.y9", []byte(`{"Account":{"Tier__c":"Gold"},"_x":{"y9":true}}`))
	f.Add("a[0]\n.a\na..b\n1a\na b\n[]", []byte(`[]`))
	f.Add("a.b.c.d.e.f.g", []byte(`{"a":{"b":{"c":{"d":{"e":{"f":{"g":"deep"}}}}}}}`))
	f.Fuzz(func(t *testing.T, list string, doc []byte) {
		var paths []Path
		for _, s := range strings.Split(list, "\n") {
			p, err := Parse(s)
			if err != nil {
				var pe *Error
				if !errors.As(err, &pe) || pe.Offset < 0 || pe.Offset > len(s) || pe.Msg == "" {
					t.Fatalf("Parse(%q): malformed error %v", s, err)
				}
				continue
			}
			checkPath(t, s, p)
			paths = append(paths, p)
		}
		tree, err := NewTree(paths)
		conflict := false
		for i := range paths {
			for j := 0; j < i; j++ {
				conflict = conflict || paths[i].Overlaps(paths[j]) || markersDiffer(paths[i], paths[j])
			}
		}
		if conflict != (err != nil) || tree == nil && err == nil {
			t.Fatalf("NewTree(%q): conflict %t, error %v", list, conflict, err)
		}
		if err != nil {
			return
		}
		var in, keep any
		if json.Unmarshal(doc, &in) != nil {
			return
		}
		_ = json.Unmarshal(doc, &keep)
		visits := 0
		out := tree.Project(in, func(l *Leaf) {
			if l.Index < 0 || l.Index >= len(paths) {
				t.Fatalf("leaf index %d of %d paths", l.Index, len(paths))
			}
			if !IsScalar(l.Value) {
				t.Fatalf("leaf %s visited with a %T", paths[l.Index], l.Value)
			}
			visits++
			l.Set("SET")
		})
		if !reflect.DeepEqual(in, keep) {
			t.Fatal("projection changed its input")
		}
		om, ok := out.(map[string]any)
		if !ok {
			t.Fatalf("projection is a %T", out)
		}
		if n := countLeaves(t, tree.Root(), om); n != visits {
			t.Fatalf("%d leaves set in the output, %d visited", n, visits)
		}
	})
}

// markersDiffer: along the names two paths share from the start, one
// steps into a list where the other does not.
func markersDiffer(p, q Path) bool {
	a, b := p.Segments(), q.Segments()
	for i := 0; i < len(a) && i < len(b) && a[i].Name == b[i].Name; i++ {
		if a[i].Each != b[i].Each {
			return true
		}
	}
	return false
}

// checkPath: a parsed path prints back as given and is made of names.
func checkPath(t *testing.T, s string, p Path) {
	t.Helper()
	if p.String() != s {
		t.Fatalf("Parse(%q).String() = %q", s, p.String())
	}
	segs := p.Segments()
	if len(segs) != strings.Count(s, ".")+1 {
		t.Fatalf("Parse(%q): %d segments", s, len(segs))
	}
	names := make([]string, len(segs))
	for i, sg := range segs {
		if !nameRe.MatchString(sg.Name) {
			t.Fatalf("Parse(%q): segment %q is not a name", s, sg.Name)
		}
		names[i] = sg.Name
	}
	if p.Names() != strings.Join(names, ".") || p.Last() != names[len(names)-1] {
		t.Fatalf("Parse(%q): Names %q Last %q", s, p.Names(), p.Last())
	}
	again, err := Parse(p.String())
	if err != nil || !reflect.DeepEqual(again.Segments(), segs) {
		t.Fatalf("Parse(%q) does not round-trip: %v", s, err)
	}
}

// countLeaves walks a projection with its tree: only selected names, in
// the declared shapes; every leaf value is the visit's "SET" except a null
// kept as null at a plain leaf (absence is not visited). It returns the
// number of leaves set.
func countLeaves(t *testing.T, n *Node, out map[string]any) int {
	t.Helper()
	kids := map[string]*Node{}
	for _, c := range n.Children() {
		kids[c.Name] = c
	}
	count := 0
	for k, v := range out {
		c := kids[k]
		if c == nil {
			t.Fatalf("%q is not selected, yet in the output", k)
		}
		if v == nil {
			continue
		}
		switch {
		case c.Each:
			arr, ok := v.([]any)
			if !ok {
				t.Fatalf("%q: a %T where a list belongs", k, v)
			}
			for _, e := range arr {
				switch {
				case c.Leaf >= 0:
					if e != "SET" {
						t.Fatalf("%q: element %v was not visited", k, e)
					}
					count++
				case e == nil:
				default:
					em, ok := e.(map[string]any)
					if !ok {
						t.Fatalf("%q: element %T where an object belongs", k, e)
					}
					count += countLeaves(t, c, em)
				}
			}
		case c.Leaf >= 0:
			if v != "SET" {
				t.Fatalf("%q: %v was not visited", k, v)
			}
			count++
		default:
			vm, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%q: a %T where an object belongs", k, v)
			}
			count += countLeaves(t, c, vm)
		}
	}
	return count
}
