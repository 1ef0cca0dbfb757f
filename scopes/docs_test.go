package scopes

import (
	"os"
	"strings"
	"testing"
)

// TestDocsCoverCodes keeps docs/scopes.md in step with the code: every
// lint rule and every diff class is documented there.
func TestDocsCoverCodes(t *testing.T) {
	b, err := os.ReadFile("../docs/scopes.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, r := range LintRules() {
		if !strings.Contains(doc, "`"+r.Code+"`") {
			t.Errorf("lint rule %s is not in docs/scopes.md", r.Code)
		}
	}
	for _, c := range DiffClasses() {
		if !strings.Contains(doc, "`"+c.Code+"`") {
			t.Errorf("diff class %s is not in docs/scopes.md", c.Code)
		}
	}
	for _, code := range []string{CodeConflictingRules, CodeDuplicateInquiry, CodeClientConflict, CodeDuplicateFilter, CodeNeedsPIIType,
		CodeParamMismatch, CodeNeedsKey, CodeUnknownConnection, CodeUnknownResource, CodeUnknownField, CodeNotWritable,
		CodeUnsupportedAction, CodeUnknownParam, CodeBadRetention} {
		if !strings.Contains(doc, "`"+code+"`") {
			t.Errorf("diagnostic code %s is not in docs/scopes.md", code)
		}
	}
}
