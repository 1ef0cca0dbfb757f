package yamlx

import (
	"strings"
	"testing"
	"time"

	"github.com/cxgate/cxgate/internal/diag"
)

func TestParseRefusals(t *testing.T) {
	tests := []struct {
		name, in, code string
	}{
		{"empty", "", CodeEmpty},
		{"null doc", "~\n", CodeEmpty},
		{"two docs", "a: 1\n---\nb: 2\n", CodeDocuments},
		{"anchor", "a: &x 1\n", CodeAnchor},
		{"alias", "a: &x 1\nb: *x\n", CodeAnchor},
		{"merge", "a: {x: 1}\nb:\n  <<: {y: 2}\n", CodeMergeKey},
		{"custom tag", "a: !thing 1\n", CodeTag},
		{"syntax", "a: [1, 2\n", CodeSyntax},
		{"nul", "a: 1\x00", CodeSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d diag.List
			if root := Parse("f.yaml", []byte(tt.in), &d); root != nil {
				t.Fatal("accepted")
			}
			found := false
			for _, x := range d {
				found = found || x.Code == tt.code
			}
			if !found {
				t.Errorf("no %s in %v", tt.code, d)
			}
		})
	}
	var d diag.List
	if root := Parse("f.yaml", []byte("a: !!str 1\nb: [x]\n"), &d); root == nil || len(d) > 0 {
		t.Errorf("plain file refused: %v", d)
	}
}

func TestSuggest(t *testing.T) {
	cands := []string{"description", "access", "operations"}
	for in, want := range map[string]string{"acess": "access", "Access": "access", "opertaions": "operations", "descripton": "description", "zzz": "", "": ""} {
		if got := Suggest(in, cands); got != want {
			t.Errorf("Suggest(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Suggest(strings.Repeat("a", 500), cands); got != "" {
		t.Errorf("long word suggested %q", got)
	}
}

func TestDurations(t *testing.T) {
	good := map[string]time.Duration{"10s": 10 * time.Second, "30d": 30 * Day, "2w": 2 * Week, "1h30m": 90 * time.Minute, "250ms": 250 * time.Millisecond, "0s": 0}
	for in, want := range good {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "30", "d", "1.5d", "-1d", "30days", "1y", "99999999999999999999s", "9999999999w"} {
		if _, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) accepted", in)
		}
	}
	for d, want := range map[time.Duration]string{30 * Day: "30d", 2 * Week: "2w", 36 * time.Hour: "36h", 90 * time.Second: "1m30s", 45 * time.Second: "45s", Day + time.Second: "1d1s"} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestFormats(t *testing.T) {
	tests := []struct {
		f    *Format
		ok   []string
		bad  []string
		hint map[string]string
	}{
		{Country, []string{"GB", "IE", "US", "ZW"}, []string{"UK", "gb", "XX", "GBR", ""}, map[string]string{"UK": `"GB"`, "gb": `"GB"`}},
		{CIDR, []string{"198.51.100.0/24", "2001:db8::/32", "192.0.2.1/32"}, []string{"198.51.100.1/24", "192.0.2.1", "nope", "2001:db8::1/32"}, map[string]string{"192.0.2.1": "192.0.2.1/32", "198.51.100.1/24": "198.51.100.0/24"}},
		{Regexp, []string{"^a+$", "[0-9]{3}"}, []string{"[0-9", "(", "a**"}, nil},
		{FieldPath, []string{"a", "a.b", "items[].title", "tags[]", "Tier__c"}, []string{".a", "a..b", "a[0]", "1a", "a b"}, nil},
		{URL, []string{"https://example.com", "http://127.0.0.1:8200"}, []string{"example.com", "ftp://x.example.com", "https://u:p@example.com"}, nil},
		{HostPort, []string{"127.0.0.1:8080", ":8080", "[::1]:8443", "localhost:80"}, []string{"localhost", "1.2.3.4:99999"}, nil},
		{Size, []string{"1024", "64KiB", "1MiB", "1MB"}, []string{"1 parsec", "MB", "-1"}, nil},
		{ID("client id", '-'), []string{"acme-retail", "a1"}, []string{"Acme", "a_b", strings.Repeat("a", 65), "acme-", "-acme", "-"}, map[string]string{"Acme_Retail": `"acme-retail"`}},
	}
	for _, tt := range tests {
		for _, s := range tt.ok {
			if fe := tt.f.Check(s); fe != nil {
				t.Errorf("%s: %q refused: %s", tt.f.Name, s, fe.Msg)
			}
		}
		for _, s := range tt.bad {
			if fe := tt.f.Check(s); fe == nil {
				t.Errorf("%s: %q accepted", tt.f.Name, s)
			}
		}
		for s, hint := range tt.hint {
			if fe := tt.f.Check(s); fe == nil || !strings.Contains(fe.Msg, hint) {
				t.Errorf("%s: %q should hint %s, got %v", tt.f.Name, s, hint, fe)
			}
		}
	}
	if n := len(Countries()); n != 249 {
		t.Errorf("%d ISO 3166-1 alpha-2 codes, want 249", n)
	}
}

func TestCheckReportsEverything(t *testing.T) {
	spec := &Spec{Kind: KindMap, Keys: []Key{
		{Name: "name", Required: true, Spec: &Spec{Kind: KindString}},
		{Name: "count", Spec: &Spec{Kind: KindInt, Min: Num(1)}},
		{Name: "tags", Spec: &Spec{Kind: KindList, Unique: true, Elem: &Spec{Kind: KindString}}},
	}}
	src := "count: 0\ncount: 2\ntags: [a, a, {b: 1}]\nnmae: x\n"
	var d diag.List
	root := Parse("f.yaml", []byte(src), &d)
	c := Checker{File: "f.yaml", Diags: &d}
	c.Check(root, spec, "the file", nil)
	d.Sort()
	want := []string{
		"f.yaml:1:1: error: the file is missing required key \"name\" [missing-key]",
		"f.yaml:1:8: error: count must be at least 1, found 0 [out-of-range]",
		"f.yaml:2:1: error: duplicate key \"count\" in the file (first defined at f.yaml:1:1) [duplicate-key]",
		"f.yaml:3:11: error: \"a\" is listed twice in tags (first at f.yaml:3:8) [duplicate-entry]",
		"f.yaml:3:14: error: each entry of tags must be a string, found a mapping [wrong-kind]",
		"f.yaml:4:1: error: unknown key \"nmae\" in the file; did you mean \"name\"? [unknown-key]",
	}
	if len(d) != len(want) {
		t.Fatalf("got:\n%v", d)
	}
	for i := range want {
		if d[i].String() != want[i] {
			t.Errorf("%d: %s\nwant %s", i, d[i], want[i])
		}
	}
}
