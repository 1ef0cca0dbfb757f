package scopes

import (
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

// TestLoadGolden loads every testdata/load/*.txtar archive (its .yaml files
// are the scope files; "with-catalog" in the comment adds the test
// catalogs) and compares the exact diagnostics with its "want" section.
func TestLoadGolden(t *testing.T) {
	paths, err := filepath.Glob("testdata/load/*.txtar")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no golden archives: %v", err)
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			a, err := txtar.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			set, got := loadArchive(t, a)
			golden(t, path, a, "want", got)
			hasErr := strings.Contains(got, ": error: ")
			if hasErr && set != nil {
				t.Error("a set with errors was returned")
			}
			if !hasErr && set == nil {
				t.Error("no set without errors")
			}
			if strings.HasPrefix(filepath.Base(path), "valid") && got != "" {
				t.Errorf("valid archive has diagnostics:\n%s", got)
			}
			for _, bad := range []string{"!!", "yaml.", "*yaml", "map[", "[]interface", "string{", "int64"} {
				if strings.Contains(got, bad) {
					t.Errorf("diagnostics show internals (%q):\n%s", bad, got)
				}
			}
		})
	}
}
