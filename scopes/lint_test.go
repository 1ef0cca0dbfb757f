package scopes

import (
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

// TestLintGolden lints every testdata/lint/*.txtar archive (which must
// load without errors) and compares the warnings with its "want" section.
func TestLintGolden(t *testing.T) {
	paths, err := filepath.Glob("testdata/lint/*.txtar")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no lint archives: %v", err)
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			a, err := txtar.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			set, loadDiags := loadArchive(t, a)
			if set == nil {
				t.Fatalf("archive does not load:\n%s", loadDiags)
			}
			var b strings.Builder
			for _, d := range Lint(set) {
				b.WriteString(d.String())
				b.WriteByte('\n')
			}
			golden(t, path, a, "want", b.String())
		})
	}
}

func TestLintRulesDocumented(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range LintRules() {
		if seen[r.Code] || r.Doc == "" {
			t.Errorf("lint rule %q duplicated or undocumented", r.Code)
		}
		seen[r.Code] = true
	}
}
