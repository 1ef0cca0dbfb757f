package newconnector_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/connectors/connectortest"
	"github.com/cxgate/cxgate/examples/newconnector"
	"github.com/cxgate/cxgate/examples/newconnector/sandbox"
)

// harness connects the kit to the connector through its sandbox. A
// registered connector keeps this in a <type>test package (see
// connectors/salesforce/salesforcetest) so connectors/builtin's meta-test
// can import it.
type harness struct{ maxHang time.Duration }

func (harness) Factory() connectors.Factory { return newconnector.Factory() }

func crit(k, v string) []connectors.Criterion { return []connectors.Criterion{{Key: k, Value: v}} }

func (h harness) Start(t testing.TB) *connectortest.Env {
	sb := sandbox.New(sandbox.Options{MaxHang: h.maxHang})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	return &connectortest.Env{
		Config: connectors.ConnectionConfig{Name: "hearth-test", Type: newconnector.Type, BaseURL: srv.URL,
			Credentials: connectors.CredentialRef{Env: "HEARTH"}},
		Credentials:      sb.Credentials(),
		HTTPClient:       srv.Client(),
		Faults:           sb.Faults(),
		IsTokenRequest:   func(r *http.Request) bool { return r.URL.Path == "/oauth/token" },
		EchoesRetryAfter: true,
		Known: connectortest.Case{Resource: "customer", Match: crit("id", "cus_1001"),
			Fields: []string{"name", "email", "tier", "vip"},
			Want:   connectors.Record{"name": "Maya Okafor", "email": "maya.okafor@example.com", "tier": "gold", "vip": true}},
		Nested: connectortest.Case{Resource: "customer", Match: crit("id", "cus_1001"),
			Fields: []string{"address.city", "tags[]", "orders[].number", "orders[].total"},
			Want: connectors.Record{"address": map[string]any{"city": "Portland"}, "tags": []any{"wholesale", "newsletter"},
				"orders": []any{map[string]any{"number": "H-5001", "total": 84.5}, map[string]any{"number": "H-5002", "total": 12.0}}}},
		Null: connectortest.Case{Resource: "customer", Match: crit("id", "cus_1003"),
			Fields: []string{"phone", "notes", "closed_at", "address.city"},
			Want:   connectors.Record{"phone": nil, "notes": nil, "closed_at": "2026-10-01T09:00:00Z", "address": nil}},
		Unicode: connectortest.Case{Resource: "customer", Match: crit("id", "cus_1002"),
			Fields: []string{"name", "notes", "address.city"},
			Want:   connectors.Record{"name": "Zoë Ångström", "notes": "Spricht Deutsch — 日本語も可 🎉", "address": map[string]any{"city": "Göteborg"}}},
		Missing: connectors.Query{Resource: "customer", Match: crit("id", "cus_9999"), Fields: connectortest.Paths("name")},
		Search: &connectortest.SearchCase{Resource: "customer", Match: crit("email", "maya.okafor@example.com"),
			Fields: []string{"id", "phone"}, WantAtLeast: 2},
		Update: &connectortest.UpdateCase{Resource: "customer", Match: crit("id", "cus_1002"),
			Set: map[string]any{"notes": "Called back; all good.", "tier": "gold"}, Fields: []string{"notes", "tier"},
			Want: connectors.Record{"notes": "Called back; all good.", "tier": "gold"}},
	}
}

func TestConformance(t *testing.T) { connectortest.Run(t, harness{}) }
