package hostile

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/cxgate/cxgate/gateway/dev"
)

// TestBeyondScope: valid experts ask for what their assertion or the
// scopes do not give them. Each request is otherwise well-formed (real
// order, case and ticket numbers), so the refusal is the access rule's;
// nothing reaches a sandbox.
func TestBeyondScope(t *testing.T) {
	g := gateway(t)
	t1 := g.expert(t, "tier1-basic")
	t1mfa := g.expert(t, "tier1-mfa")
	t2 := g.expert(t, "tier2-gb")
	t3 := g.expert(t, "tier3-partner")
	acme := g.expert(t, "acme-only")
	t3direct := t3
	t3direct.ForwardedFor = ""
	t3hop := t3
	t3hop.ForwardedFor = "198.51.100.7, 203.0.113.9" // the nearest untrusted hop is what counts
	fr := expertWith(t, g, t2, "country", "FR")
	noCountry := expertWith(t, g, t2, "country", nil)
	nobody := expertWith(t, g, t3, "clients", []string{})

	getOrder := `{"params":{"order_number":"#1001"}}`
	filterBody := `{"text":"maya.okafor@example.com","mode":"tokenize"}`
	filter := func(client string) req {
		return req{method: http.MethodPost, path: "/v1/clients/" + client + "/filter", header: http.Header{"Content-Type": {"application/json"}}, body: []byte(filterBody)}
	}
	list := func(client string) req {
		return req{method: http.MethodGet, path: "/v1/clients/" + client + "/inquiries"}
	}
	for _, tc := range []struct {
		name   string
		who    dev.Expert
		r      req
		status int
		code   string
	}{
		{"another client: list", acme, list("globex-saas"), 403, "forbidden"},
		{"another client: operation", acme, op("globex-saas", "ticket_status", "get_ticket", `{"params":{"id":4101}}`), 403, "forbidden"},
		{"another client: filter", acme, filter("globex-saas"), 403, "forbidden"},
		{"unknown client: list", acme, list("umbrella-corp"), 403, "forbidden"},
		{"unknown client: operation", acme, op("umbrella-corp", "order_status", "get_order", getOrder), 403, "forbidden"},
		{"unknown client: filter", acme, filter("umbrella-corp"), 403, "forbidden"},
		{"no clients at all", nobody, op("acme-retail", "order_status", "get_order", getOrder), 403, "forbidden"},
		{"inquiry of another client", t1, op("acme-retail", "ticket_status", "get_ticket", `{"params":{"id":4101}}`), 404, "not_found"},
		{"unknown inquiry", t1, op("acme-retail", "order_history", "get_order", getOrder), 404, "not_found"},
		{"operation of another inquiry", t1, op("acme-retail", "order_status", "get_shipping_address", getOrder), 404, "not_found"},
		{"unknown operation", t1, op("acme-retail", "order_status", "delete_order", getOrder), 404, "not_found"},
		{"read above tier", t1, op("acme-retail", "address_change", "get_shipping_address", getOrder), 403, "tier_too_low"},
		{"write above tier", t1mfa, op("acme-retail", "address_change", "change_shipping_address", `{"params":{"order_number":"#1001"},"input":{"shipping_address":{"city":"Leeds"}}}`), 403, "tier_too_low"},
		{"tier 2 for tier 3", t2, op("initech-service", "account_lookup", "get_account", `{"params":{"account_number":"CD656092"}}`), 403, "location_denied"},
		{"no second factor", t1, op("acme-retail", "returns", "get_order_for_return", getOrder), 403, "mfa_required"},
		{"country not allowed", fr, op("acme-retail", "address_change", "get_shipping_address", getOrder), 403, "location_denied"},
		{"country unknown", noCountry, op("acme-retail", "address_change", "get_shipping_address", getOrder), 403, "location_denied"},
		{"network: no forwarded address", t3direct, op("initech-service", "account_lookup", "get_account", `{"params":{"account_number":"CD656092"}}`), 403, "location_denied"},
		{"network: spoofed left-most hop", t3hop, op("initech-service", "account_lookup", "get_account", `{"params":{"account_number":"CD656092"}}`), 403, "location_denied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g.noUpstream(t, func() {
				g.wantProblem(t, g.send(t, tc.r.as(tc.who)), tc.status, tc.code)
			})
		})
	}
}

// TestUnknownClientLooksLikeForbiddenOne: an expert cannot tell a client
// that exists (but they are not onboarded for) from one that does not:
// same status, code and detail, on every route.
func TestUnknownClientLooksLikeForbiddenOne(t *testing.T) {
	g := gateway(t)
	acme := g.expert(t, "acme-only")
	routes := map[string]func(client string) req{
		"list": func(c string) req { return req{method: http.MethodGet, path: "/v1/clients/" + c + "/inquiries"} },
		"operation": func(c string) req {
			return op(c, "ticket_status", "get_ticket", `{"params":{"id":4101}}`)
		},
		"filter": func(c string) req {
			return req{method: http.MethodPost, path: "/v1/clients/" + c + "/filter", header: http.Header{"Content-Type": {"application/json"}}, body: []byte(`{"text":"x"}`)}
		},
	}
	for name, route := range routes {
		t.Run(name, func(t *testing.T) {
			var details []string
			for _, c := range []string{"globex-saas", "umbrella-corp"} {
				p := g.wantProblem(t, g.send(t, route(c).as(acme)), 403, "forbidden")
				details = append(details, strings.ReplaceAll(p.Detail, c, "CLIENT"))
			}
			if details[0] != details[1] {
				t.Errorf("an existing client and an unknown one are told apart:\n  %q\n  %q", details[0], details[1])
			}
		})
	}
}

// TestInquiryListShowsOnlyAllowed: the list an expert gets holds exactly
// the operations the gateway then lets them run: each listed one is not
// refused by an access rule, and each access-refused one is not listed.
func TestInquiryListShowsOnlyAllowed(t *testing.T) {
	g := gateway(t)
	for _, name := range []string{"tier1-basic", "tier1-mfa", "tier2-gb", "tier3-partner", "acme-only"} {
		x := g.expert(t, name)
		for _, client := range []string{"acme-retail", "globex-saas", "initech-service"} {
			a := g.send(t, req{method: http.MethodGet, path: "/v1/clients/" + client + "/inquiries"}.as(x))
			if !slices.Contains(x.Clients, client) {
				g.wantProblem(t, a, 403, "forbidden")
				continue
			}
			if a.status != 200 {
				t.Fatalf("%s %s: %d %s", name, client, a.status, a.body)
			}
			var l struct {
				Inquiries []struct {
					ID         string `json:"id"`
					Operations []struct {
						ID string `json:"id"`
					} `json:"operations"`
				} `json:"inquiries"`
			}
			if err := json.Unmarshal(a.body, &l); err != nil {
				t.Fatal(err)
			}
			listed := map[string]bool{}
			for _, q := range l.Inquiries {
				for _, o := range q.Operations {
					listed[q.ID+"/"+o.ID] = true
				}
			}
			c, _ := g.env.App.Server.Policy().Set.Client(client)
			for _, q := range c.Inquiries {
				for _, o := range q.Operations {
					// An empty body is refused as invalid_params after the
					// access rules pass, and as an access code before.
					g.noUpstream(t, func() {
						a := g.send(t, op(client, q.ID, o.ID, `{"params":{}}`).as(x))
						var p problem
						_ = json.Unmarshal(a.body, &p)
						allowed := p.Code == "invalid_params"
						if allowed != listed[q.ID+"/"+o.ID] {
							t.Errorf("%s %s/%s/%s: listed=%t but the gateway answers %s", name, client, q.ID, o.ID, listed[q.ID+"/"+o.ID], p.Code)
						}
					})
				}
			}
		}
	}
}
