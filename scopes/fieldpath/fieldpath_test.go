package fieldpath

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	ok := []string{"email", "customer.last_name", "line_items[].title", "tags[]", "Account.Tier__c", "a[].b[].c"}
	for _, s := range ok {
		p, err := Parse(s)
		if err != nil || p.String() != s {
			t.Errorf("Parse(%q) = %v, %v", s, p, err)
		}
	}
	bad := map[string]int{"": 0, ".a": 0, "a.": 2, "a..b": 2, "a[0]": 1, "a[]x": 3, "1a": 0, "a b": 1, "a-b": 1}
	for s, off := range bad {
		_, err := Parse(s)
		var pe *Error
		if !errors.As(err, &pe) || pe.Offset != off {
			t.Errorf("Parse(%q) = %v, want error at offset %d", s, err, off)
		}
	}
}

func TestNewTreeOverlap(t *testing.T) {
	for _, c := range [][]string{{"a", "a.b"}, {"a.b", "a"}, {"a[].b", "a.c"}, {"x", "x"}} {
		ps := []Path{MustParse(c[0]), MustParse(c[1])}
		if _, err := NewTree(ps); err == nil {
			t.Errorf("NewTree(%v) accepted overlapping or conflicting paths", c)
		}
	}
	if _, err := NewTree([]Path{MustParse("a.b"), MustParse("a.c"), MustParse("d[].e")}); err != nil {
		t.Fatal(err)
	}
}

func TestProject(t *testing.T) {
	var doc any
	in := `{"name":"#1001","email":"a@example.com","note":null,"secret":"x",
	  "customer":{"last_name":"Okafor","first_name":"Maya"},
	  "line_items":[{"title":"Mug","price":"9.00"},{"title":"Plate"},"junk"],
	  "tags":["vip",{"deep":1},"b"],
	  "shape":{"a":1}, "list":"not-a-list"}`
	if err := json.Unmarshal([]byte(in), &doc); err != nil {
		t.Fatal(err)
	}
	paths := []Path{MustParse("name"), MustParse("email"), MustParse("note"), MustParse("customer.last_name"),
		MustParse("line_items[].title"), MustParse("tags[]"), MustParse("shape"), MustParse("list[].x"), MustParse("absent.x")}
	tree, err := NewTree(paths)
	if err != nil {
		t.Fatal(err)
	}
	var seen []int
	got := tree.Project(doc, func(l *Leaf) {
		seen = append(seen, l.Index)
		if l.Index == 1 {
			l.Set("[EMAIL]")
		}
	})
	want := map[string]any{
		"name": "#1001", "email": "[EMAIL]", "note": nil,
		"customer":   map[string]any{"last_name": "Okafor"},
		"line_items": []any{map[string]any{"title": "Mug"}, map[string]any{"title": "Plate"}},
		"tags":       []any{"vip", "b"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Project =\n%#v\nwant\n%#v", got, want)
	}
	if !reflect.DeepEqual(seen, []int{3, 1, 4, 4, 0, 5, 5}) {
		t.Fatalf("visit order %v", seen)
	}
	if doc.(map[string]any)["email"] != "a@example.com" {
		t.Fatal("Project modified its input")
	}
}
