package builtin_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cxgate/cxgate/connectors/builtin"
	"github.com/cxgate/cxgate/connectors/connectortest"
	"github.com/cxgate/cxgate/connectors/salesforce/salesforcetest"
	"github.com/cxgate/cxgate/connectors/shopify/shopifytest"
	"github.com/cxgate/cxgate/connectors/zendesk/zendesktest"
)

// harnesses maps every registered connector type to its conformance
// harness. A type registered in builtin.go without an entry here fails
// TestEveryRegisteredTypeRunsTheKit.
func harnesses() map[string]connectortest.Harness {
	return map[string]connectortest.Harness{
		"salesforce": salesforcetest.Harness(),
		"zendesk":    zendesktest.Harness(),
		"shopify":    shopifytest.Harness(),
	}
}

// TestEveryRegisteredTypeRunsTheKit is the meta-test: it cannot pass for a
// registered type unless the whole conformance kit passes for it here.
func TestEveryRegisteredTypeRunsTheKit(t *testing.T) {
	reg, err := builtin.Registry()
	if err != nil {
		t.Fatal(err)
	}
	hs := harnesses()
	for _, typ := range reg.Types() {
		t.Run(typ, func(t *testing.T) {
			h, ok := hs[typ]
			if !ok {
				t.Fatalf("connector type %q is registered but runs no conformance kit: add its harness (%stest.Harness()) to harnesses() in builtin_test.go", typ, typ)
			}
			f, _ := reg.Lookup(typ)
			hf := h.Factory()
			if hf.Type != typ {
				t.Fatalf("the %q harness tests type %q", typ, hf.Type)
			}
			if d := cmp.Diff(f.Catalog(), hf.Catalog()); d != "" {
				t.Fatalf("the %q harness tests another factory than the registered one:\n%s", typ, d)
			}
			if f.Check == nil {
				t.Fatalf("type %q has no Check", typ)
			}
			connectortest.Run(t, h)
		})
	}
	for typ := range hs {
		if _, ok := reg.Lookup(typ); !ok {
			t.Errorf("a harness exists for %q but the type is not registered in builtin.go", typ)
		}
	}
}

func TestRegistryIsAFreshValue(t *testing.T) {
	a, err := builtin.Registry()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := builtin.Registry()
	if a == b {
		t.Fatal("Registry returned a shared value")
	}
	if d := cmp.Diff([]string{"salesforce", "shopify", "zendesk"}, a.Types()); d != "" {
		t.Fatalf("types (-want +got):\n%s", d)
	}
}
