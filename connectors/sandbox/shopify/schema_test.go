package shopify

import (
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

var (
	vendorOnce   sync.Once
	vendorSDL    string
	vendorSchema *Schema
	vendorErr    error
)

// vendor loads $CXGATE_SPECS_DIR's Admin schema once per test binary, or
// skips the test when the variable is unset.
func vendor(t *testing.T) (string, *Schema) {
	t.Helper()
	dir := os.Getenv("CXGATE_SPECS_DIR")
	if dir == "" {
		t.Skip("CXGATE_SPECS_DIR is not set: skipping the check against Shopify's Admin GraphQL schema (CI sets it to ../shared/specs)")
	}
	vendorOnce.Do(func() {
		b, err := os.ReadFile(filepath.Join(dir, SchemaFile))
		if err != nil {
			vendorErr = err
			return
		}
		vendorSDL = string(b)
		vendorSchema, vendorErr = LoadSchemaFile(filepath.Join(dir, SchemaFile))
	})
	if vendorErr != nil {
		t.Fatal(vendorErr)
	}
	return vendorSDL, vendorSchema
}

// TestSubsetAgreesWithVendorSchema proves the embedded subset declares
// nothing the real Admin schema does not have: every type with the same
// kind, every field, argument (with default) and input field with the same
// type, every enum value. The only fields missing from the 2025-01 vendor
// file are the ones NewerFields names.
func TestSubsetAgreesWithVendorSchema(t *testing.T) {
	sdl, _ := vendor(t)
	raw, err := gqlparser.LoadSchema(&ast.Source{Name: SchemaFile, Input: sdl},
		&ast.Source{Name: "schema-block", Input: "schema { query: QueryRoot mutation: Mutation }"})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := loadSubset()
	if err != nil {
		t.Fatal(err)
	}
	newer := NewerFields()
	var usedNewer []string
	for name, def := range sub.s.Types {
		if def.BuiltIn {
			continue
		}
		real := raw.Types[name]
		if real == nil {
			t.Errorf("type %s is not in the vendor schema", name)
			continue
		}
		if real.Kind != def.Kind {
			t.Errorf("type %s: kind %s, vendor has %s", name, def.Kind, real.Kind)
			continue
		}
		for _, v := range def.EnumValues {
			if real.EnumValues.ForName(v.Name) == nil {
				t.Errorf("enum %s: value %s is not in the vendor schema", name, v.Name)
			}
		}
		for _, f := range def.Fields {
			if f.Name == "__typename" || f.Name == "__schema" || f.Name == "__type" {
				continue
			}
			rf := real.Fields.ForName(f.Name)
			if rf == nil {
				if slices.Contains(newer, name+"."+f.Name) {
					usedNewer = append(usedNewer, name+"."+f.Name)
					continue
				}
				t.Errorf("field %s.%s is not in the vendor schema", name, f.Name)
				continue
			}
			if got, want := f.Type.String(), rf.Type.String(); got != want {
				t.Errorf("field %s.%s: type %s, vendor has %s", name, f.Name, got, want)
			}
			for _, a := range f.Arguments {
				ra := rf.Arguments.ForName(a.Name)
				if ra == nil {
					t.Errorf("argument %s.%s(%s) is not in the vendor schema", name, f.Name, a.Name)
					continue
				}
				if got, want := a.Type.String(), ra.Type.String(); got != want {
					t.Errorf("argument %s.%s(%s): type %s, vendor has %s", name, f.Name, a.Name, got, want)
				}
				if got, want := valueText(a.DefaultValue), valueText(ra.DefaultValue); got != want {
					t.Errorf("argument %s.%s(%s): default %s, vendor has %s", name, f.Name, a.Name, got, want)
				}
			}
			// Required vendor arguments must be declared too.
			for _, ra := range rf.Arguments {
				if ra.Type.NonNull && ra.DefaultValue == nil && f.Arguments.ForName(ra.Name) == nil {
					t.Errorf("field %s.%s: required vendor argument %s missing", name, f.Name, ra.Name)
				}
			}
		}
	}
	for _, op := range []struct{ sub, real *ast.Definition }{{sub.s.Query, raw.Query}, {sub.s.Mutation, raw.Mutation}} {
		if op.sub.Name != op.real.Name {
			t.Errorf("root type %s, vendor has %s", op.sub.Name, op.real.Name)
		}
	}
	slices.Sort(usedNewer)
	slices.Sort(newer)
	if !slices.Equal(usedNewer, newer) {
		t.Errorf("newer fields used %v, declared %v", usedNewer, newer)
	}
}

func valueText(v *ast.Value) string {
	if v == nil {
		return "<none>"
	}
	return v.String()
}

// TestVendorSchemaServesTheSame runs the same documents against a sandbox
// on the vendor schema and one on the subset: both validate them and give
// the same answers.
func TestVendorSchemaServesTheSame(t *testing.T) {
	_, schema := vendor(t)
	if schema.Subset() {
		t.Fatal("vendor schema loaded as subset")
	}
	docs := []struct {
		name, query string
		vars        map[string]any
	}{
		{"order", orderQuery, map[string]any{"id": "gid://shopify/Order/5501234560004"}},
		{"orders", `query($q: String!) { orders(first: 3, query: $q, sortKey: PROCESSED_AT, reverse: true) {
		  edges { cursor node { id name email displayFinancialStatus processedAt totalPriceSet { shopMoney { amount currencyCode } } } }
		  pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`, map[string]any{"q": `email:"maya.okafor@example.com"`}},
		{"customers", `query($q: String!) { customers(first: 5, query: $q) { nodes { id firstName lastName email phone numberOfOrders
		  amountSpent { amount currencyCode } state tags defaultAddress { address1 city zip country } } pageInfo { hasNextPage endCursor } } }`,
			map[string]any{"q": `email:"oliver.bennett@example.org"`}},
		{"update", updateMutation, map[string]any{"input": map[string]any{"id": "gid://shopify/Order/5501234560005", "note": "Updated"}}},
		{"fragment", `query { order(id: "gid://shopify/Order/5501234560001") { ...F } } fragment F on Order { name customer { ... on Customer { lastName } } }`, nil},
		{"unknown field", `{ order(id: "gid://shopify/Order/1") { nope } }`, nil},
	}
	vendorEnv := newEnv(t, Options{Schema: schema})
	subsetEnv := newEnv(t, Options{})
	vt, st := vendorEnv.token(), subsetEnv.token()
	for _, d := range docs {
		t.Run(d.name, func(t *testing.T) {
			a := vendorEnv.gql(vt, "2026-10", d.query, d.vars)
			b := subsetEnv.gql(st, "2026-10", d.query, d.vars)
			if d.name == "unknown field" {
				if len(a.Errors) == 0 || a.Errors[0].Extensions["code"] != "undefinedField" {
					t.Fatalf("vendor schema accepted an unknown field: %s", a.rawBody)
				}
				return
			}
			if len(a.Errors) > 0 {
				t.Fatalf("vendor schema: %v", a.Errors)
			}
			if diff := cmp.Diff(b.Data, a.Data); diff != "" {
				t.Fatalf("subset vs vendor (-subset +vendor):\n%s", diff)
			}
		})
	}
}
