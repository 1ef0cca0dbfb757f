package shopify_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/cxgate/cxgate/connectors/connectortest"
	sbshopify "github.com/cxgate/cxgate/connectors/sandbox/shopify"
	"github.com/cxgate/cxgate/connectors/shopify"
	"github.com/cxgate/cxgate/connectors/shopify/shopifytest"
)

func specsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("CXGATE_SPECS_DIR")
	if dir == "" {
		t.Skip("CXGATE_SPECS_DIR is not set: skipping the checks against Shopify's schema and recorded fixtures (CI sets it to ../shared/specs)")
	}
	return dir
}

// The whole conformance kit runs against sandboxes that validate every
// GraphQL document against Shopify's own Admin schema; afterwards every
// recorded document is validated again here, so a document the sandbox
// might have let through cannot hide.
func TestConformanceOnVendorSchema(t *testing.T) {
	dir := specsDir(t)
	b, err := os.ReadFile(filepath.Join(dir, sbshopify.SchemaFile))
	if err != nil {
		t.Fatal(err)
	}
	schema, err := sbshopify.LoadSchema(string(b))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var started []*sbshopify.Server
	connectortest.Run(t, shopifytest.HarnessWith(shopifytest.Options{
		Sandbox: sbshopify.Options{Schema: schema},
		Started: func(s *sbshopify.Server) { mu.Lock(); started = append(started, s); mu.Unlock() },
	}))
	docs := map[string]bool{}
	for _, s := range started {
		for _, r := range s.Requests() {
			if !strings.HasSuffix(r.Path, "/graphql.json") {
				continue
			}
			var body struct {
				Query string `json:"query"`
			}
			if err := json.Unmarshal(r.Body, &body); err != nil {
				t.Fatal(err)
			}
			docs[body.Query] = true
		}
	}
	if len(docs) < 5 {
		t.Fatalf("only %d distinct documents recorded", len(docs))
	}
	for doc := range docs {
		if _, errs := gqlparser.LoadQueryWithRules(schema.AST(), doc, rules.NewDefaultRules()); len(errs) > 0 {
			t.Errorf("recorded document does not validate: %v\n%s", errs, doc)
		}
	}
	t.Logf("%d distinct documents validated against %s", len(docs), sbshopify.SchemaFile)
}

// fixtureNames lists the dotted key paths of a recorded REST fixture
// ("line_items[].title").
func fixtureNames(t *testing.T, path, root string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	var walk func(v any, prefix string)
	walk = func(v any, prefix string) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				out[prefix+k] = true
				walk(x, prefix+k+".")
			}
		case []any:
			for _, x := range v {
				walk(x, strings.TrimSuffix(prefix, ".")+"[].")
			}
		}
	}
	walk(doc[root], "")
	return out
}

// The catalog's snake_case paths are Shopify's own REST names, as the
// recorded go-shopify fixtures carry them, except where the catalog
// follows the GraphQL name on purpose (listed).
func TestCatalogNamesMatchRESTFixtures(t *testing.T) {
	dir := filepath.Join(specsDir(t), "go-shopify-fixtures")
	order := fixtureNames(t, filepath.Join(dir, "order.json"), "order")
	for k := range fixtureNames(t, filepath.Join(dir, "fulfillment.json"), "fulfillment") {
		order["fulfillments[]."+k] = true // order.json's fulfillments list is empty
	}
	customer := fixtureNames(t, filepath.Join(dir, "customer.json"), "customer")
	renamed := map[string]string{
		"customer.number_of_orders": "orders_count (GraphQL numberOfOrders)",
		"customer.amount_spent":     "total_spent (GraphQL amountSpent)",
		"order.customer.phone":      "absent from the old order fixture's embedded customer (present in customer.json)",
		"order.phone":               "absent from the recorded (older) order fixture; current REST orders carry it",
	}
	names := map[string]map[string]bool{"order": order, "customer": customer}
	checked := 0
	for _, res := range shopify.Factory().Catalog().Resources {
		for _, f := range res.Fields {
			rest := strings.TrimSuffix(f.Path, "[]") // tags[] is a comma-separated string in REST
			if _, ok := renamed[res.Name+"."+f.Path]; ok {
				continue
			}
			if !names[res.Name][rest] {
				t.Errorf("%s field %q has no REST counterpart in the fixtures", res.Name, f.Path)
			}
			checked++
		}
	}
	if checked < 40 {
		t.Fatalf("only %d fields checked", checked)
	}
}
