package diag

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestStringAndSort(t *testing.T) {
	var l List
	l.Errorf(Position{"b.yaml", 3, 1}, "z", "third")
	l.Warnf(Position{"a.yaml", 10, 2}, "w", "second")
	l.Errorf(Position{"a.yaml", 2, 5}, "b", "first-b")
	l.Errorf(Position{"a.yaml", 2, 5}, "a", "first-a")
	l.Errorf(Position{"a.yaml", 2, 5}, "a", "first-a") // exact duplicate
	l.Sort()
	want := []string{
		"a.yaml:2:5: error: first-a [a]",
		"a.yaml:2:5: error: first-b [b]",
		"a.yaml:10:2: warning: second [w]",
		"b.yaml:3:1: error: third [z]",
	}
	if len(l) != len(want) {
		t.Fatalf("got %d diagnostics: %v", len(l), l)
	}
	for i, w := range want {
		if l[i].String() != w {
			t.Errorf("line %d: %q, want %q", i, l[i].String(), w)
		}
	}
	if !l.HasErrors() {
		t.Error("HasErrors false")
	}
	if e, w := l.Count(); e != 3 || w != 1 {
		t.Errorf("count %d %d", e, w)
	}
	var warnOnly List
	warnOnly.Warnf(Position{"a", 1, 1}, "w", "x")
	if warnOnly.HasErrors() {
		t.Error("warnings counted as errors")
	}
}

func TestJSON(t *testing.T) {
	d := Diagnostic{Position: Position{"a.yaml", 4, 7}, Severity: Warning, Code: "c", Message: "m", Related: []Position{{"b.yaml", 1, 1}}}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"code":"c","severity":"warning","location":{"file":"a.yaml","row":4,"col":7},"message":"m","related":[{"file":"b.yaml","row":1,"col":1}]}`
	if string(b) != want {
		t.Errorf("json %s\nwant %s", b, want)
	}
	var back Diagnostic
	if err := json.Unmarshal(b, &back); err != nil || back.String() != d.String() || len(back.Related) != 1 {
		t.Errorf("round trip: %v %+v", err, back)
	}
	var buf bytes.Buffer
	if err := List(nil).WriteJSON(&buf); err != nil || buf.String() != "[]\n" {
		t.Errorf("empty list as %q", buf.String())
	}
}

func TestPositionForms(t *testing.T) {
	if got := (Position{File: "f"}).String(); got != "f" {
		t.Errorf("no line: %q", got)
	}
	if got := (Position{"f", 3, 0}).String(); got != "f:3:1" {
		t.Errorf("no col: %q", got)
	}
	if got := (Position{"f", 3, 9}).FileLine(); got != "f:3" {
		t.Errorf("FileLine: %q", got)
	}
}
