package cli

import (
	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/connectors/builtin"
)

// connectorRegistry is the registry `scopes ... --config` checks connection
// types, options and catalogs against.
func connectorRegistry() (*connectors.Registry, error) {
	return builtin.Registry()
}
