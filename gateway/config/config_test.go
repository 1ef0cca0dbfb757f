package config

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/connectors/builtin"
	"github.com/cxgate/cxgate/pii"
	"github.com/cxgate/cxgate/scopes"
)

var update = flag.Bool("update", false, "rewrite golden files")

// testRegistry has two fake connector types whose Check reports problems
// by key, so placement of each problem can be tested without the real
// connectors.
func testRegistry(t *testing.T) *connectors.Registry {
	t.Helper()
	open := func(context.Context, connectors.ConnectionConfig, connectors.Deps) (connectors.Connector, error) {
		return nil, nil
	}
	shop := connectors.Factory{
		Type: "shopify",
		Catalog: func() connectors.Catalog {
			return connectors.Catalog{Type: "shopify", AuthModes: []string{"client_credentials", "static_token"},
				ConfigKeys: []connectors.ConfigKey{{Name: "shop_name"}},
				Resources: []connectors.Resource{{Name: "order", Actions: []string{"read"}, Keys: []connectors.Key{{Name: "id", Unique: true}},
					Fields: []connectors.Field{{Path: "id"}, {Path: "email", PII: pii.Email}}}}}
		},
		Check: func(cfg connectors.ConnectionConfig) []connectors.Problem {
			var out []connectors.Problem
			if !strings.HasSuffix(cfg.BaseURL, ".myshopify.com") {
				out = append(out, connectors.Problem{Key: "base_url", Message: "base_url must be https://SHOP.myshopify.com"})
			}
			if cfg.APIVersion != "" && cfg.APIVersion < "2025-01" {
				out = append(out, connectors.Problem{Key: "api_version", Message: "api_version " + cfg.APIVersion + " is no longer supported"})
			}
			if v, ok := cfg.Options["shop_name"]; ok && v == "" {
				out = append(out, connectors.Problem{Key: "options.shop_name", Message: "shop_name must not be empty"})
			}
			if cfg.Auth == "nope" {
				out = append(out, connectors.Problem{Key: "auth", Message: "duplicate of the loader's own check"})
			}
			if cfg.Timeout > 0 && cfg.Timeout < 1e9 {
				out = append(out, connectors.Problem{Key: "timeout.deep", Message: "timeout below one second"})
			}
			return out
		},
		Open: open,
	}
	zd := connectors.Factory{Type: "zendesk", Catalog: func() connectors.Catalog { return connectors.Catalog{Type: "zendesk"} }, Open: open}
	reg, err := connectors.NewRegistry(shop, zd)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// TestGolden parses each testdata/*.txtar ("cxgate.yaml" is the config;
// "with-registry" in the comment adds the test registry) and compares the
// diagnostics with its "want" section.
func TestGolden(t *testing.T) {
	paths, _ := filepath.Glob("testdata/*.txtar")
	if len(paths) == 0 {
		t.Fatal("no golden archives")
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			a, err := txtar.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var reg *connectors.Registry
			if strings.Contains(string(a.Comment), "with-registry") {
				reg = testRegistry(t)
			}
			var data []byte
			for _, f := range a.Files {
				if f.Name == "cxgate.yaml" {
					data = f.Data
				}
			}
			cfg, d := Parse("cxgate.yaml", data, reg)
			got := ""
			for _, x := range d {
				got += x.String() + "\n"
			}
			if (cfg == nil) != d.HasErrors() {
				t.Errorf("config=%v with errors=%v", cfg != nil, d.HasErrors())
			}
			for i, f := range a.Files {
				if f.Name != "want" {
					continue
				}
				if *update {
					a.Files[i].Data = []byte(got)
					if err := os.WriteFile(path, txtar.Format(a), 0o644); err != nil {
						t.Fatal(err)
					}
				} else if string(f.Data) != got {
					t.Errorf("diagnostics differ\n--- got ---\n%s--- want ---\n%s", got, f.Data)
				}
			}
			if strings.Contains(got, "s3cr3t") {
				t.Error("a diagnostic repeats an inline secret's value")
			}
		})
	}
}

func TestExampleConfig(t *testing.T) {
	cfg, d, err := Load("../../examples/cxgate.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(d) > 0 {
		t.Fatalf("example config has diagnostics:\n%v", d)
	}
	if len(cfg.Connections) != 3 || cfg.Vault == nil || cfg.Vault.Auth.Method != AuthAppRole || cfg.Tokenizer.Kind != TokenizerVault {
		t.Fatalf("unexpected example config: %+v", cfg)
	}
	want := filepath.Join("..", "..", "examples", "scopes")
	if len(cfg.Scopes) != 1 || cfg.Scopes[0] != want {
		t.Errorf("scopes resolved to %v, want [%s]", cfg.Scopes, want)
	}
	c, ok := cfg.Connection("acme-shopify")
	if !ok || c.Type != "shopify" || c.Credentials.Vault != "cxgate/acme/shopify" || c.APIVersion != "2026-10" || c.Timeout.Seconds() != 10 {
		t.Errorf("acme-shopify decoded as %+v", c)
	}
	if sf, _ := cfg.Connection("initech-salesforce"); sf.RateLimit != 20 || sf.APIVersion != "62.0" {
		t.Errorf("initech-salesforce decoded as %+v", sf)
	}
	// The example scopes validate against the example config's connections.
	set, sd, err := scopes.LoadPaths(cfg.Scopes, scopes.Options{Catalogs: cfg.Catalogs(nil)})
	if err != nil || set == nil || len(sd) > 0 {
		t.Fatalf("example scopes against the example config: %v %v", err, sd)
	}
}

// TestExamplesWithBuiltinCatalogs checks the example config and scopes
// against the real connector types: every Factory.Check, every catalog
// check, zero diagnostics and zero lint warnings.
func TestExamplesWithBuiltinCatalogs(t *testing.T) {
	reg, err := builtin.Registry()
	if err != nil {
		t.Fatal(err)
	}
	cfg, d, err := Load("../../examples/cxgate.yaml", reg)
	if err != nil || cfg == nil || len(d) > 0 {
		t.Fatalf("example config with the builtin registry: %v\n%v", err, d)
	}
	set, sd, err := scopes.LoadPaths(cfg.Scopes, scopes.Options{Catalogs: cfg.Catalogs(reg)})
	if err != nil || set == nil || len(sd) > 0 {
		t.Fatalf("example scopes with the builtin catalogs: %v\n%v", err, sd)
	}
	if lint := scopes.Lint(set); len(lint) > 0 {
		t.Errorf("example scopes lint with the builtin catalogs:\n%v", lint)
	}
	// With catalogs every field knows its PII type from the catalog.
	c, _ := set.Client("acme-retail")
	q, _ := c.Inquiry("address_change")
	o, _ := q.Operation("get_shipping_address")
	f, _ := o.Field("shipping_address.phone")
	if !f.Cataloged || f.PII != pii.Phone || f.Mask != scopes.MaskLast2 {
		t.Errorf("shipping_address.phone compiled as %+v", f)
	}
}

func TestCatalogs(t *testing.T) {
	cfg, d := Parse("c.yaml", []byte(`scopes: ./s
identity: {issuer: https://experts.example.com, audience: cxgate, keys_file: k.json}
tokenizer: {type: local}
connections:
  a: {type: shopify, base_url: https://a.myshopify.com, credentials: {env: A}}
  b: {type: unknown, base_url: https://b.example.com, credentials: {file: b.json}}
audit: {file: a.jsonl}
`), nil)
	if cfg == nil {
		t.Fatalf("config: %v", d)
	}
	cats := cfg.Catalogs(testRegistry(t))
	if got := cats.Connections(); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("connections %v", got)
	}
	if c, ok := cats.Catalog("a"); !ok || c.Type != "shopify" {
		t.Errorf("catalog of a: %v %v", c, ok)
	}
	if _, ok := cats.Catalog("b"); ok {
		t.Error("catalog for an unknown type")
	}
	if cfg.Vault != nil || cfg.Tokenizer.Kind != TokenizerLocal {
		t.Errorf("vault %v tokenizer %v", cfg.Vault, cfg.Tokenizer)
	}
	if cfg.Limits.MaxBody != DefaultMaxBody || cfg.Identity.ClockSkew != DefaultClockSkew || !cfg.Audit.Fsync || cfg.Listen != DefaultListen {
		t.Errorf("defaults not applied: %+v", cfg)
	}
}

func TestLoadIOError(t *testing.T) {
	_, _, err := Load(filepath.Join(t.TempDir(), "missing.yaml"), nil)
	if err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("error %v does not name the path", err)
	}
}

func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("../../examples/cxgate.yaml"); err == nil {
		f.Add(b)
	}
	paths, _ := filepath.Glob("testdata/*.txtar")
	for _, p := range paths {
		if a, err := txtar.ParseFile(p); err == nil {
			for _, file := range a.Files {
				if file.Name == "cxgate.yaml" {
					f.Add(file.Data)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, d := Parse("f.yaml", data, nil)
		if (cfg == nil) != d.HasErrors() {
			t.Fatalf("config=%v errors=%v", cfg != nil, d.HasErrors())
		}
	})
}
