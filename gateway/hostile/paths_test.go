package hostile

import (
	"net/http"
	"strings"
	"testing"
)

// TestPathTricks: client, inquiry and operation names with dot segments
// (plain and percent-encoded), encoded slashes, double and trailing
// slashes, other cases, look-alike letters, NUL, very long names and
// malformed escapes. Each is a 404 or 403 problem (or net/http's own 400
// or 431 for a request line it cannot parse or hold), never a redirect
// (ServeMux would redirect ".." to the cleaned path, which can name
// another client or inquiry), never a 5xx, never another client's data,
// and nothing reaches a sandbox.
func TestPathTricks(t *testing.T) {
	g := gateway(t)
	acme := g.expert(t, "acme-only")
	t1 := g.expert(t, "tier1-basic")
	long := strings.Repeat("a", 10000)
	get := func(p string) req { return req{method: http.MethodGet, path: p} }
	post := func(p string) req {
		r := op("acme-retail", "x", "y", `{"params":{"order_number":"#1001"}}`)
		r.path = p
		return r
	}
	const ops = "/v1/clients/acme-retail/inquiries/"
	for _, tc := range []struct {
		name   string
		r      req
		status int
		code   string // "" for net/http's plain answers
	}{
		{"dot-dot to the list root", get("/v1/clients/../inquiries"), 404, "not_found"},
		{"dot-dot to another client", get("/v1/clients/acme-retail/../globex-saas/inquiries"), 404, "not_found"},
		{"encoded dot-dot as the client", get("/v1/clients/%2e%2e/inquiries"), 404, "not_found"},
		{"encoded dot-dot to another client", get("/v1/clients/acme-retail/%2e%2e/globex-saas/inquiries"), 404, "not_found"},
		{"upper-case encoded dot-dot", get("/v1/clients/acme-retail/%2E%2E/globex-saas/inquiries"), 404, "not_found"},
		{"encoded slash in the client", get("/v1/clients/acme-retail%2Fx/inquiries"), 403, "forbidden"},
		{"encoded slash and dot-dot", get("/v1/clients/acme-retail%2F..%2Fglobex-saas/inquiries"), 404, "not_found"},
		{"backslash dot-dot", get(`/v1/clients/acme-retail\..\globex-saas/inquiries`), 403, "forbidden"},
		{"dot segment", get("/v1/clients/acme-retail/./inquiries"), 404, "not_found"},
		{"empty client", get("/v1/clients//inquiries"), 404, "not_found"},
		{"leading double slash", get("//v1/clients/acme-retail/inquiries"), 404, "not_found"},
		{"inner double slash", get("/v1/clients/acme-retail//inquiries"), 404, "not_found"},
		{"trailing slash", get("/v1/clients/acme-retail/inquiries/"), 404, "not_found"},
		{"upper-case client", get("/v1/clients/ACME-RETAIL/inquiries"), 403, "forbidden"},
		{"upper-case version", get("/V1/clients/acme-retail/inquiries"), 404, "not_found"},
		{"look-alike client (Cyrillic i)", get("/v1/clients/acme-reta%D1%96l/inquiries"), 403, "forbidden"},
		{"fullwidth client", get("/v1/clients/%EF%BD%81cme-retail/inquiries"), 403, "forbidden"},
		{"encoded NUL", get("/v1/clients/acme%00retail/inquiries"), 403, "forbidden"},
		{"encoded newline", get("/v1/clients/acme-retail%0aglobex-saas/inquiries"), 403, "forbidden"},
		{"trailing encoded space", get("/v1/clients/acme-retail%20/inquiries"), 403, "forbidden"},
		{"matrix parameter", get("/v1/clients/acme-retail;x=globex-saas/inquiries"), 403, "forbidden"},
		{"another client percent-encoded", get("/v1/clients/%67lobex-saas/inquiries"), 403, "forbidden"},
		{"10 000-character client", get("/v1/clients/" + long + "/inquiries"), 403, "forbidden"},
		{"70 KiB path", get("/v1/clients/" + strings.Repeat("a", 70<<10) + "/inquiries"), 431, ""},
		{"malformed escape", get("/v1/clients/acme-retail%/inquiries"), 400, ""},
		{"fragment", get("/v1/clients/acme-retail/inquiries#x"), 404, "not_found"},
		{"asterisk", get("*"), 404, "not_found"},
		{"inquiry dot-dot to another inquiry", post(ops + "address_change/../order_status/operations/get_order"), 404, "not_found"},
		{"operation dot-dot", post(ops + "order_status/operations/get_order/.."), 404, "not_found"},
		{"encoded dot-dot as the operation", post(ops + "order_status/operations/%2e%2e"), 404, "not_found"},
		{"encoded slash in the operation", post(ops + "order_status/operations/get_order%2F.."), 404, "not_found"},
		{"encoded slash in the inquiry", post(ops + "address_change%2Fx/operations/get_shipping_address"), 404, "not_found"},
		{"upper-case inquiry", post(ops + "ORDER_STATUS/operations/get_order"), 404, "not_found"},
		{"upper-case operation", post(ops + "order_status/operations/GET_ORDER"), 404, "not_found"},
		{"trailing slash on the operation", post(ops + "order_status/operations/get_order/"), 404, "not_found"},
		{"double slash before the operation", post(ops + "order_status/operations//get_order"), 404, "not_found"},
		{"look-alike inquiry", post(ops + "order_st%D0%B0tus/operations/get_order"), 404, "not_found"},
		{"10 000-character operation", post(ops + "order_status/operations/" + long), 404, "not_found"},
		{"10 000-character inquiry", post(ops + long + "/operations/get_order"), 404, "not_found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			who := acme
			if tc.r.method == http.MethodPost {
				who = t1
			}
			g.noUpstream(t, func() {
				a := g.send(t, tc.r.as(who))
				if a.status >= 300 && a.status < 400 || a.header.Get("Location") != "" {
					t.Fatalf("redirect %d to %q", a.status, a.header.Get("Location"))
				}
				if tc.code == "" {
					if a.status != tc.status {
						t.Errorf("status %d, want %d: %.200s", a.status, tc.status, a.body)
					}
					g.noLeak(t, a.body)
					return
				}
				p := g.wantProblem(t, a, tc.status, tc.code, long)
				if strings.Contains(p.Detail, "globex") {
					t.Errorf("the detail names another client: %q", p.Detail)
				}
			})
		})
	}
}

// TestPathEquivalents: spellings that decode to the expert's own client
// and route reach it, as the same request; they grant nothing more.
func TestPathEquivalents(t *testing.T) {
	g := gateway(t)
	acme := g.expert(t, "acme-only")
	for _, p := range []string{
		"/v1/clients/%61cme-retail/inquiries",
		"http://other.example.net/v1/clients/acme-retail/inquiries", // absolute form (RFC 9112 section 3.2.2)
		"/v1/clients/acme-retail/inquiries?client=globex-saas",
	} {
		a := g.send(t, req{method: http.MethodGet, path: p}.as(acme))
		if a.status != 200 || !strings.Contains(string(a.body), `"client":"acme-retail"`) {
			t.Errorf("%s: %d %.200s", p, a.status, a.body)
		}
	}
}
