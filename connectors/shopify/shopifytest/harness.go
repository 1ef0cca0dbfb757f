// Package shopifytest connects the Shopify connector to the conformance kit
// (connectors/connectortest) with the Shopify sandbox behind a real
// loopback HTTP server.
package shopifytest

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/connectors/connectortest"
	sbshopify "github.com/cxgate/cxgate/connectors/sandbox/shopify"
	"github.com/cxgate/cxgate/connectors/shopify"
	"github.com/cxgate/cxgate/scopes/fieldpath"
)

// Harness is the kit's view of the Shopify connector in its default auth
// mode (client credentials), on the embedded seed and schema subset.
func Harness() connectortest.Harness { return harness{} }

// Options vary the harness for the connector's own tests.
type Options struct {
	// Sandbox configures each sandbox the harness starts (Schema, for
	// instance, to validate against the vendor's Admin schema).
	Sandbox sbshopify.Options
	// Auth is the connection's auth mode ("" = client credentials).
	Auth string
	// Started, when set, sees each sandbox the harness starts.
	Started func(*sbshopify.Server)
}

// HarnessWith is Harness with options.
func HarnessWith(o Options) connectortest.Harness { return harness{o: o} }

type harness struct{ o Options }

func (harness) Factory() connectors.Factory { return shopify.Factory() }

// Start starts a sandbox on loopback and describes the kit's cases on its
// embedded seed.
func (h harness) Start(t testing.TB) *connectortest.Env {
	t.Helper()
	sb, err := sbshopify.New(h.o.Sandbox)
	if err != nil {
		t.Fatalf("shopify sandbox: %v", err)
	}
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	sb.SetBaseURL(srv.URL)
	if h.o.Started != nil {
		h.o.Started(sb)
	}
	env := &connectortest.Env{
		Config: connectors.ConnectionConfig{
			Name:        "acme-shopify",
			Type:        shopify.Type,
			BaseURL:     srv.URL,
			APIVersion:  shopify.DefaultAPIVersion,
			Auth:        h.o.Auth,
			Credentials: connectors.CredentialRef{Env: "ACME_SHOPIFY"},
		},
		Credentials:    sb.Credentials(),
		HTTPClient:     srv.Client(),
		Faults:         sb.Faults(),
		IsTokenRequest: func(r *http.Request) bool { return r.URL.Path == "/admin/oauth/access_token" },
		// Shopify announces a throttle's wait through its cost bucket
		// (ceil((requested - available) / restoreRate)), which cannot
		// express an arbitrary Retry-After: the connector reports the wait
		// the bucket implies.
		EchoesRetryAfter: false,
		Known: connectortest.Case{
			Resource: "order",
			Match:    []connectors.Criterion{{Key: "id", Value: "5501234560001"}},
			Fields:   []string{"id", "name", "email", "financial_status", "fulfillment_status", "total_price", "currency", "created_at"},
			Want: connectors.Record{
				"id": "gid://shopify/Order/5501234560001", "name": "#1001", "email": "maya.okafor@example.com",
				"financial_status": "PAID", "fulfillment_status": "FULFILLED", "total_price": "39.06", "currency": "USD",
				"created_at": "2026-11-20T17:55:02Z",
			},
		},
		Nested: connectortest.Case{
			Resource: "order",
			Match:    []connectors.Criterion{{Key: "order_number", Value: "#1001"}},
			Fields: []string{"name", "customer.first_name", "customer.email", "line_items[].title", "line_items[].quantity",
				"fulfillments[].tracking_company", "fulfillments[].tracking_number", "shipping_address.city", "tags[]"},
			Want: connectors.Record{
				"name":             "#1001",
				"customer":         map[string]any{"first_name": "Maya", "email": "maya.okafor@example.com"},
				"line_items":       []any{map[string]any{"title": "Stoneware Mug", "quantity": 2.0}},
				"fulfillments":     []any{map[string]any{"tracking_company": "UPS", "tracking_number": "1Z999AA10123456784"}},
				"shipping_address": map[string]any{"city": "Portland"},
				"tags":             []any{"vip"},
			},
		},
		Null: connectortest.Case{
			Resource: "order",
			Match:    []connectors.Criterion{{Key: "order_number", Value: "1005"}},
			Fields:   []string{"name", "phone", "cancelled_at", "closed_at", "customer.email", "shipping_address.address2", "fulfillments[].status"},
			Want: connectors.Record{
				"name": "#1005", "phone": "+15035550123", "cancelled_at": nil, "closed_at": nil, "customer": nil,
				"shipping_address": map[string]any{"address2": nil}, "fulfillments": []any{},
			},
		},
		Unicode: connectortest.Case{
			Resource: "customer",
			Match:    []connectors.Criterion{{Key: "email", Value: "zoe.mueller@example.net"}},
			Fields:   []string{"first_name", "last_name", "note", "default_address.address1"},
			Want: connectors.Record{
				"first_name": "Zoë", "last_name": "Müller-Ångström", "note": "Spricht Deutsch und Schwedisch — 日本語も少し。",
				"default_address": map[string]any{"address1": "Schönhauser Allee 7"},
			},
		},
		Missing: connectors.Query{
			Resource: "order",
			Match:    []connectors.Criterion{{Key: "id", Value: "gid://shopify/Order/5501234569999"}},
			Fields:   []fieldpath.Path{fieldpath.MustParse("id"), fieldpath.MustParse("name")},
		},
		Search: &connectortest.SearchCase{
			Resource:    "order",
			Match:       []connectors.Criterion{{Key: "email", Value: "maya.okafor@example.com"}},
			Fields:      []string{"name", "total_price", "fulfillment_status"},
			Limit:       10,
			WantAtLeast: 3,
		},
		Update: &connectortest.UpdateCase{
			Resource: "order",
			Match:    []connectors.Criterion{{Key: "order_number", Value: "#1002"}},
			Set:      map[string]any{"note": "Leave with the neighbour at number 46"},
			Fields:   []string{"name", "note"},
			Want:     connectors.Record{"name": "#1002", "note": "Leave with the neighbour at number 46"},
		},
	}
	if h.o.Auth == shopify.AuthStaticToken {
		env.Credentials = sb.StaticCredentials()
		env.IsTokenRequest = nil // a static token is never fetched
	}
	return env
}
