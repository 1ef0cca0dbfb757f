package scopes

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"
)

// BenchmarkDecide measures one decision on the example set; its baseline,
// BenchmarkDecideBaseline, is the map lookup any router does anyway.
func BenchmarkDecide(b *testing.B) {
	set, _, err := LoadPaths([]string{examplesDir}, Options{})
	if err != nil || set == nil {
		b.Fatal(err)
	}
	p := Principal{Tier: 2, MFA: true, Country: "GB", IP: netip.MustParseAddr("198.51.100.1"), Clients: []string{"acme-retail"}}
	t := Target{"acme-retail", "address_change", "change_shipping_address"}
	b.ReportAllocs()
	for b.Loop() {
		if !set.Decide(p, t).Allowed {
			b.Fatal("denied")
		}
	}
}

func BenchmarkDecideBaseline(b *testing.B) {
	m := map[string]int{"acme-retail/address_change/change_shipping_address": 1}
	key := "acme-retail/address_change/change_shipping_address"
	b.ReportAllocs()
	for b.Loop() {
		if m[key] != 1 {
			b.Fatal("missing")
		}
	}
}

func readExamples(b *testing.B) []File {
	paths, _ := filepath.Glob(filepath.Join(examplesDir, "*.yaml"))
	var files []File
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, File{Name: p, Data: data})
	}
	return files
}

// BenchmarkLoadExamples measures a full strict load of the examples; its
// baseline, BenchmarkLoadExamplesBaseline, is a plain yaml.v3 decode of the
// same bytes into nodes.
func BenchmarkLoadExamples(b *testing.B) {
	files := readExamples(b)
	b.ReportAllocs()
	for b.Loop() {
		if set, _ := Load(files, Options{}); set == nil {
			b.Fatal("no set")
		}
	}
}

func BenchmarkLoadExamplesBaseline(b *testing.B) {
	files := readExamples(b)
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range files {
			var n yaml.Node
			if err := yaml.Unmarshal(f.Data, &n); err != nil {
				b.Fatal(err)
			}
		}
	}
}
