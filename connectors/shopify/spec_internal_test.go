package shopify

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/cxgate/cxgate/connectors"
	sbshopify "github.com/cxgate/cxgate/connectors/sandbox/shopify"
	"github.com/cxgate/cxgate/scopes/fieldpath"
)

var (
	specOnce sync.Once
	specRaw  *ast.Schema       // the vendor's 2025-01 schema exactly
	specNew  *sbshopify.Schema // plus the fields added in 2025-04
	specErr  error
)

// adminSchemas loads Shopify's Admin schema from $CXGATE_SPECS_DIR, or
// skips the test.
func adminSchemas(t *testing.T) (raw *ast.Schema, current *ast.Schema) {
	t.Helper()
	dir := os.Getenv("CXGATE_SPECS_DIR")
	if dir == "" {
		t.Skip("CXGATE_SPECS_DIR is not set: skipping validation against Shopify's Admin GraphQL schema (CI sets it to ../shared/specs)")
	}
	specOnce.Do(func() {
		var b []byte
		if b, specErr = os.ReadFile(filepath.Join(dir, sbshopify.SchemaFile)); specErr != nil {
			return
		}
		specRaw, specErr = gqlparser.LoadSchema(&ast.Source{Name: sbshopify.SchemaFile, Input: string(b)},
			&ast.Source{Name: "schema-block", Input: "schema { query: QueryRoot mutation: Mutation }"})
		if specErr != nil {
			return
		}
		specNew, specErr = sbshopify.LoadSchema(string(b))
	})
	if specErr != nil {
		t.Fatal(specErr)
	}
	return specRaw, specNew.AST()
}

func validate(t *testing.T, schema *ast.Schema, what, doc string, vars map[string]any) {
	t.Helper()
	q, errs := gqlparser.LoadQueryWithRules(schema, doc, rules.NewDefaultRules())
	if len(errs) > 0 {
		t.Errorf("%s does not validate against the Admin schema: %v\n%s", what, errs, doc)
		return
	}
	if _, err := validator.VariableValues(schema, q.Operations[0], vars); err != nil {
		t.Errorf("%s: variables do not fit the Admin schema: %v", what, err)
	}
}

// Every document the connector can build (every resource, every field
// alone and all together, reads, searches and the update) validates
// against Shopify's Admin schema: for API versions before 2025-04 against
// the copied 2025-01 schema exactly; for later ones against it plus the
// two customer fields 2025-04 added (Customer.defaultEmailAddress and
// defaultPhoneNumber), which the copied file predates.
func TestDocumentsValidateAgainstAdminSchema(t *testing.T) {
	raw, current := adminSchemas(t)
	address := map[string]any{}
	for _, f := range addressFields {
		address[f[1]] = "x"
	}
	address["countryCode"] = "US"
	for _, version := range []string{DefaultAPIVersion, "2026-01", "2025-04", "2025-01", "2024-10"} {
		cfg, probs := parseConfig(connectors.ConnectionConfig{BaseURL: "https://acme.myshopify.com", APIVersion: version,
			Credentials: connectors.CredentialRef{Env: "X"}, Options: map[string]string{OptLineItemsLimit: "250", OptFulfillmentsLimit: "250"}})
		if len(probs) > 0 {
			t.Fatal(probs)
		}
		schema := raw
		if cfg.newerCustomerFields() {
			schema = current
		}
		n := 0
		for _, res := range catalog().Resources {
			d := resources[res.Name]
			var all []string
			sets := [][]string{}
			for _, f := range res.Fields {
				all = append(all, f.Path)
				sets = append(sets, []string{f.Path})
			}
			sets = append(sets, all)
			gid := "gid://shopify/" + d.gqlType + "/1"
			for _, set := range sets {
				tree, err := fieldpath.NewTree(fields(set...))
				if err != nil {
					t.Fatal(err)
				}
				var extra [][]string
				for _, ch := range d.keyChains(&cfg) {
					extra = append(extra, ch)
				}
				sel, err := d.build(&cfg, tree, extra...)
				if err != nil {
					t.Fatal(err)
				}
				what := version + " " + res.Name + " " + set[0]
				validate(t, schema, what+" by id", d.byIDDoc(sel), map[string]any{"id": gid})
				validate(t, schema, what+" search", d.searchDoc(sel), map[string]any{"q": searchTerm("email", "a@example.com"), "first": 10, "after": nil})
				n += 2
				if res.Supports(connectors.ActionUpdate) {
					validate(t, schema, what+" update", orderUpdateDoc(sel),
						map[string]any{"input": map[string]any{"id": gid, "note": nil, "shippingAddress": address}})
					n++
				}
			}
			// The update's lookup, with the address it reads back.
			empty, _ := fieldpath.NewTree(nil)
			extra := [][]string{{"id"}, {"name"}, {"email"}}
			for _, f := range addressFields {
				extra = append(extra, []string{"shippingAddress", f[0]})
			}
			if res.Name == "order" {
				sel, _ := d.build(&cfg, empty, extra...)
				validate(t, schema, version+" update lookup", d.searchDoc(sel), map[string]any{"q": "name:\"#1\"", "first": 7})
				n++
			}
		}
		if n < 100 {
			t.Fatalf("%s: only %d documents checked", version, n)
		}
	}
	// The control: the current documents do need the 2025-04 fields, so
	// validating them against the bare 2025-01 file must fail.
	cfg, _ := parseConfig(connectors.ConnectionConfig{BaseURL: "https://acme.myshopify.com", Credentials: connectors.CredentialRef{Env: "X"}})
	tree, _ := fieldpath.NewTree(fields("email"))
	sel, _ := resources["customer"].build(&cfg, tree)
	if _, errs := gqlparser.LoadQueryWithRules(raw, resources["customer"].byIDDoc(sel), rules.NewDefaultRules()); len(errs) == 0 {
		t.Fatal("Customer.defaultEmailAddress validated against the 2025-01 schema, which predates it")
	}
}
