package scopes

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/tools/txtar"
	"gopkg.in/yaml.v3"
)

const examplesDir = "../examples/scopes"

func loadExamples(t *testing.T) *Set {
	t.Helper()
	set, d, err := LoadPaths([]string{examplesDir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(d) > 0 {
		t.Fatalf("examples have diagnostics:\n%v", d)
	}
	return set
}

// TestExamples loads every example scope with zero diagnostics and zero
// lint warnings, and checks the three example clients are there.
func TestExamples(t *testing.T) {
	set := loadExamples(t)
	if lint := Lint(set); len(lint) > 0 {
		t.Errorf("examples have lint warnings:\n%v", lint)
	}
	for _, c := range []string{"acme-retail", "globex-saas", "initech-service"} {
		if _, ok := set.Client(c); !ok {
			t.Errorf("example client %s missing", c)
		}
	}
	// The customer-data-exchange flow needs a token param for an email and
	// an update with a token input.
	var tokenParam, tokenInput bool
	for _, c := range set.Clients() {
		for _, q := range c.Inquiries {
			for _, o := range q.Operations {
				for _, p := range o.Params {
					tokenParam = tokenParam || (p.Type == ParamToken && p.PII == "EMAIL")
				}
				for _, in := range o.Inputs {
					tokenInput = tokenInput || in.Kind == InputToken
				}
			}
		}
	}
	if !tokenParam || !tokenInput {
		t.Errorf("examples lack an EMAIL token param (%v) or a token input (%v)", tokenParam, tokenInput)
	}
}

// TestExplainGolden renders the examples in every format and compares
// with testdata/explain/examples.*.
func TestExplainGolden(t *testing.T) {
	set := loadExamples(t)
	cases := []struct {
		name, client, inquiry string
	}{{"examples", "", ""}, {"acme-address-change", "acme-retail", "address_change"}}
	for _, c := range cases {
		ex, ok := Explain(set, c.client, c.inquiry)
		if !ok {
			t.Fatalf("%s: not found", c.name)
		}
		for _, f := range Formats() {
			var b bytes.Buffer
			if err := WriteExplain(&b, ex, f); err != nil {
				t.Fatal(err)
			}
			ext := map[string]string{FormatTable: "txt", FormatJSON: "json", FormatMarkdown: "md", FormatHTML: "html"}[f]
			path := filepath.Join("testdata", "explain", c.name+"."+ext)
			if *update {
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("%s differs from the golden; run with -update and review", path)
			}
			if f == FormatHTML {
				html := b.String()
				for _, ext := range []string{"<script", "<link", "src=", "http://", "@import"} {
					if strings.Contains(html, ext) {
						t.Errorf("HTML is not self-contained: contains %q", ext)
					}
				}
			}
		}
	}
	if _, ok := Explain(set, "nobody", ""); ok {
		t.Error("unknown client explained")
	}
	if _, ok := Explain(set, "acme-retail", "nope"); ok {
		t.Error("unknown inquiry explained")
	}
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	raw := Schema()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource("scope.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("scope.json")
	if err != nil {
		t.Fatalf("schema does not compile: %v", err)
	}
	return s
}

func yamlToJSON(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestSchema validates every example and every valid golden file against
// the JSON Schema, and checks structural mistakes fail it too.
func TestSchema(t *testing.T) {
	s := compileSchema(t)
	paths, _ := filepath.Glob(filepath.Join(examplesDir, "*.yaml"))
	if len(paths) < 3 {
		t.Fatalf("found %d examples", len(paths))
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(yamlToJSON(t, data)); err != nil {
			t.Errorf("%s does not validate against the schema: %v", p, err)
		}
	}
	valid, _ := filepath.Glob("testdata/load/valid-*.txtar")
	for _, p := range valid {
		a, err := txtar.ParseFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range a.Files {
			if strings.HasSuffix(f.Name, ".yaml") {
				if err := s.Validate(yamlToJSON(t, f.Data)); err != nil {
					t.Errorf("%s/%s does not validate: %v", p, f.Name, err)
				}
			}
		}
	}
	bad := map[string]string{
		"unknown key":   "version: 1\nclient: a\nconnection: b\ninquiries: {q: {operations: {o: {action: read, resource: r, fields: {a: keep}}}}}\nextra: 1\n",
		"unknown rule":  "version: 1\nclient: a\nconnection: b\ninquiries: {q: {operations: {o: {action: read, resource: r, fields: {a: show}}}}}\n",
		"bad client id": "version: 1\nclient: A_B\nconnection: b\ninquiries: {q: {operations: {o: {action: read, resource: r, fields: {a: keep}}}}}\n",
		"two options":   "version: 1\nclient: a\nconnection: b\ninquiries: {q: {operations: {o: {action: read, resource: r, fields: {a: {mask: last4, hash: EMAIL}}}}}}\n",
		"bad country":   "version: 1\nclient: a\nconnection: b\ninquiries: {q: {access: {countries: [UK]}, operations: {o: {action: read, resource: r, fields: {a: keep}}}}}\n",
		"missing ops":   "version: 1\nclient: a\nconnection: b\ninquiries: {q: {description: x}}\n",
	}
	for name, doc := range bad {
		if err := s.Validate(yamlToJSON(t, []byte(doc))); err == nil {
			t.Errorf("%s: the schema accepts it", name)
		}
		if set, _ := Load([]File{{Name: "x.yaml", Data: []byte(doc)}}, Options{}); set != nil {
			t.Errorf("%s: the loader accepts it", name)
		}
	}
}
