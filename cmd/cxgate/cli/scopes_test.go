package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runScopesCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Execute(context.Background(), args, Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb})
	return code, out.String(), errb.String()
}

const examplesScopes = "../../../examples/scopes"

func writeScope(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const cliScope = `version: 1
client: acme
connection: acme-shopify
retention: 30d
inquiries:
  status:
    access: {min_tier: 1, mfa: true}
    operations:
      get:
        action: read
        resource: order
        params: {order_number: {type: string, required: true}}
        fields: {name: keep, email: {tokenize: EMAIL}}
`

func TestScopesCommands(t *testing.T) {
	dir := t.TempDir()
	good := writeScope(t, dir, "good.yaml", cliScope)
	bad := writeScope(t, dir, "bad.yaml", strings.Replace(strings.Replace(cliScope, "action: read", "action: reed", 1), "min_tier: 1", "min_tier: one", 1))
	wider := writeScope(t, dir, "wider.yaml", strings.Replace(cliScope, "email: {tokenize: EMAIL}", "email: keep", 1))
	smelly := writeScope(t, dir, "smelly.yaml", strings.Replace(cliScope, "retention: 30d\n", "", 1))
	cfg := writeScope(t, dir, "cxgate.yaml", `scopes: ./good.yaml
identity: {issuer: https://experts.example.com, audience: cxgate, keys_file: k.json}
tokenizer: local
connections:
  acme-shopify: {type: shopify, base_url: https://acme.myshopify.com, credentials: {env: ACME}}
audit: {file: audit.jsonl}
`)
	otherCfg := writeScope(t, dir, "other.yaml.cfg", strings.Replace(readFile(t, cfg), "acme-shopify:", "globex-zendesk:", 1))

	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   []string // substrings
		stderr   []string
		noStdout bool
	}{
		{"validate examples", []string{"scopes", "validate", examplesScopes}, 0, nil, []string{"ok: 3 files, 3 clients"}, true},
		{"validate examples with config", []string{"scopes", "validate", "--config", "../../../examples/cxgate.yaml"}, 0, nil, []string{"ok: 3 files"}, true},
		{"validate good", []string{"scopes", "validate", good}, 0, nil, nil, true},
		{"validate bad", []string{"scopes", "validate", good, bad}, 1, []string{
			bad + ":7:24: error: min_tier must be a whole number, found a string [wrong-kind]",
			bad + ":10:17: error: unknown action \"reed\"; did you mean \"read\"?"}, nil, false},
		{"validate bad json", []string{"scopes", "validate", "--format", "json", bad}, 1, []string{`"code": "wrong-kind"`, `"row": 7`}, nil, false},
		{"validate unreadable", []string{"scopes", "validate", filepath.Join(dir, "missing.yaml")}, 2, nil, []string{"missing.yaml"}, true},
		{"validate nothing", []string{"scopes", "validate"}, 2, nil, []string{"name at least one"}, true},
		{"validate bad format", []string{"scopes", "validate", "--format", "xml", good}, 2, nil, []string{"unknown format"}, true},
		{"validate config unknown connection", []string{"scopes", "validate", "--config", otherCfg, good}, 1, []string{"unknown connection \"acme-shopify\""}, nil, false},
		{"validate config unreadable", []string{"scopes", "validate", "--config", filepath.Join(dir, "nope.yaml"), good}, 2, nil, []string{"nope.yaml"}, true},
		{"lint examples clean", []string{"scopes", "lint", examplesScopes}, 0, nil, []string{"no lint warnings"}, true},
		{"lint smells", []string{"scopes", "lint", smelly}, 1, []string{"warning:", "[retention-missing]"}, nil, false},
		{"lint disabled", []string{"scopes", "lint", "--disable", "retention-missing", smelly}, 0, nil, nil, true},
		{"lint unknown code", []string{"scopes", "lint", "--disable", "nope", smelly}, 2, nil, []string{"unknown lint code"}, true},
		{"lint list", []string{"scopes", "lint", "--list"}, 0, []string{"pii-in-clear", "unbounded-search"}, nil, false},
		{"lint invalid", []string{"scopes", "lint", bad}, 1, []string{"error:"}, nil, false},
		{"explain table", []string{"scopes", "explain", good}, 0, []string{"CLIENT acme", "tokenize EMAIL", "good.yaml:13"}, nil, false},
		{"explain html", []string{"scopes", "explain", "--format", "html", examplesScopes}, 0, []string{"<!DOCTYPE html>", "r-keep", "acme-retail"}, nil, false},
		{"explain markdown one inquiry", []string{"scopes", "explain", "--format", "markdown", "--client", "globex-saas", "--inquiry", "billing_inquiry", examplesScopes}, 0, []string{"billing", "| field | rule |"}, nil, false},
		{"explain unknown client", []string{"scopes", "explain", "--client", "nobody", good}, 2, nil, []string{"no client \"nobody\""}, true},
		{"explain inquiry without client", []string{"scopes", "explain", "--inquiry", "x", good}, 2, nil, []string{"--inquiry needs --client"}, true},
		{"explain bad file", []string{"scopes", "explain", bad}, 1, nil, []string{"error:"}, true},
		{"diff same", []string{"scopes", "diff", good, good}, 0, []string{"no exposure changes"}, nil, false},
		{"diff grows", []string{"scopes", "diff", good, wider}, 1, []string{"field-weakened", good + ":13", wider + ":13"}, nil, false},
		{"diff shrinks", []string{"scopes", "diff", wider, good}, 0, []string{"field-strengthened"}, nil, false},
		{"diff json", []string{"scopes", "diff", "--format", "json", good, wider}, 1, []string{`"exposure_grows": true`}, nil, false},
		{"diff one arg", []string{"scopes", "diff", good}, 2, nil, nil, true},
		{"diff invalid side", []string{"scopes", "diff", good, bad}, 1, nil, []string{"error:"}, true},
		{"schema", []string{"scopes", "schema"}, 0, []string{`"$schema": "https://json-schema.org/draft/2020-12/schema"`}, nil, false},
		{"schema extra arg", []string{"scopes", "schema", "x"}, 2, nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runScopesCLI(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errOut)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(out, s) {
					t.Errorf("stdout lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tt.stderr {
				if !strings.Contains(errOut, s) {
					t.Errorf("stderr lacks %q:\n%s", s, errOut)
				}
			}
			if tt.noStdout && out != "" {
				t.Errorf("unexpected stdout:\n%s", out)
			}
		})
	}
}

func TestScopesSchemaIsJSON(t *testing.T) {
	code, out, _ := runScopesCLI(t, "scopes", "schema")
	var v map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || v["$defs"] == nil {
		t.Fatalf("schema: exit %d, %.200s", code, out)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
