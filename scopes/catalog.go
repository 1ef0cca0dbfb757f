package scopes

import (
	"sort"

	"github.com/cxgate/cxgate/connectors"
)

// Catalogs is what the loader needs to know about the gateway the scopes
// will run in: the connection names the gateway config defines and, for
// each, the catalog of its connector type. The CLI (`validate --config`)
// and `serve` build one from the gateway config and the connector
// registry. Without Catalogs the loader checks only what the files say.
type Catalogs interface {
	// Connections returns every connection name of the gateway config.
	Connections() []string
	// Catalog returns the catalog of the connector type behind a
	// connection. ok is false when the connection is unknown, or its type
	// is not registered (the config loader reports that); catalog checks
	// are then skipped for files naming it.
	Catalog(connection string) (catalog *connectors.Catalog, ok bool)
}

// CatalogMap is a Catalogs held in a map from connection name to catalog;
// a nil catalog means a known connection whose type has no catalog.
type CatalogMap map[string]*connectors.Catalog

var _ Catalogs = CatalogMap(nil)

// Connections returns the map's keys, sorted.
func (m CatalogMap) Connections() []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Catalog returns the connection's catalog.
func (m CatalogMap) Catalog(connection string) (*connectors.Catalog, bool) {
	c, ok := m[connection]
	return c, ok && c != nil
}
