package scopes

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

// FuzzLoad feeds arbitrary bytes to the loader: it must never panic, and
// must return either a set (no errors) or errors (no set). A set it returns
// must survive everything built on it.
func FuzzLoad(f *testing.F) {
	if paths, err := filepath.Glob(filepath.Join(examplesDir, "*.yaml")); err == nil {
		for _, p := range paths {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	for _, dir := range []string{"testdata/load", "testdata/lint"} {
		paths, _ := filepath.Glob(filepath.Join(dir, "*.txtar"))
		for _, p := range paths {
			a, err := txtar.ParseFile(p)
			if err != nil {
				continue
			}
			for _, file := range a.Files {
				if strings.HasSuffix(file.Name, ".yaml") {
					f.Add(file.Data)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		set, d := Load([]File{{Name: "fuzz.yaml", Data: data}}, Options{})
		if (set == nil) != d.HasErrors() {
			t.Fatalf("set=%v but errors=%v", set != nil, d.HasErrors())
		}
		for _, x := range d {
			if x.File != "fuzz.yaml" || x.Line < 1 || x.Col < 1 || x.Code == "" || x.Message == "" {
				t.Fatalf("malformed diagnostic %+v", x)
			}
		}
		if set == nil {
			return
		}
		Lint(set)
		if ch := Diff(set, set); len(ch) != 0 {
			t.Fatalf("a set differs from itself: %+v", ch)
		}
		ex, _ := Explain(set, "", "")
		for _, format := range Formats() {
			if err := WriteExplain(discard{}, ex, format); err != nil {
				t.Fatal(err)
			}
		}
		p := Principal{Tier: 1000, MFA: true, Country: "GB", IP: netip.MustParseAddr("198.51.100.1")}
		for _, c := range set.Clients() {
			p.Clients = append(p.Clients, c.ID)
		}
		for _, c := range set.Clients() {
			for _, q := range c.Inquiries {
				for _, o := range q.Operations {
					if o.Tree() == nil || o.InputTree() == nil {
						t.Fatalf("operation %s/%s without its trees", q.ID, o.ID)
					}
					set.Decide(p, Target{c.ID, q.ID, o.ID})
				}
			}
			set.Visible(p, c.ID)
		}
	})
}

type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }
