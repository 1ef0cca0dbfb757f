package builtin

import (
	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/connectors/salesforce"
	"github.com/cxgate/cxgate/connectors/shopify"
	"github.com/cxgate/cxgate/connectors/zendesk"
)

// Factories lists the built-in connector types. Add a new type here (and
// its harness to the meta-test in builtin_test.go).
func Factories() []connectors.Factory {
	return []connectors.Factory{
		salesforce.Factory(),
		zendesk.Factory(),
		shopify.Factory(),
	}
}

// Registry returns a fresh registry of the built-in types. It is a value:
// callers may build their own from Factories plus extra types.
func Registry() (*connectors.Registry, error) {
	return connectors.NewRegistry(Factories()...)
}
