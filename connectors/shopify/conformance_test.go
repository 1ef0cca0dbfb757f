package shopify_test

import (
	"testing"

	"github.com/cxgate/cxgate/connectors/connectortest"
	"github.com/cxgate/cxgate/connectors/shopify"
	"github.com/cxgate/cxgate/connectors/shopify/shopifytest"
)

func TestConformance(t *testing.T) {
	connectortest.Run(t, shopifytest.Harness())
}

// The legacy static-token mode passes the kit too (the refresh checks
// skip: a static token is never fetched).
func TestConformanceStaticToken(t *testing.T) {
	connectortest.Run(t, shopifytest.HarnessWith(shopifytest.Options{Auth: shopify.AuthStaticToken}))
}
