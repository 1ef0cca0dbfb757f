package gateway_test

import (
	"context"
	"encoding/json"
	"mime"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/cxgate/cxgate/gateway/dev"
)

// TestOpenAPIDocument loads /openapi.json with kin-openapi as an OpenAPI
// 3.1 document, validates it, and then checks real answers of the server
// against the schemas the document gives for their path, method, status
// and media type: the document describes what is served.
func TestOpenAPIDocument(t *testing.T) {
	h := start(t, dev.Options{})
	r := h.do(t, req{method: "GET", path: "/openapi.json"})
	if r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(r.body)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() || doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q, want 3.1.0", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background(), openapi3.IsOpenAPI31OrLater()); err != nil {
		t.Fatalf("validate: %v", err)
	}
	if doc.Info == nil || doc.Info.Title != "cxgate" || doc.Info.Version == "" {
		t.Fatalf("info %+v", doc.Info)
	}

	// The schema check below must be able to fail.
	if ps := doc.Components.Schemas["Problem"]; ps == nil || ps.Value.VisitJSON(map[string]any{"code": "nope"}, openapi3.EnableJSONSchema2020()) == nil {
		t.Fatal("the Problem schema accepts a body without status, title or a known code")
	}

	t1 := h.expert(t, "tier1-basic")
	acme := h.expert(t, "acme-only")
	const (
		inquiries = "/v1/clients/{client}/inquiries"
		operation = "/v1/clients/{client}/inquiries/{inquiry}/operations/{operation}"
		filter    = "/v1/clients/{client}/filter"
	)
	samples := []struct {
		template string
		r        req
		status   int
	}{
		{inquiries, req{method: "GET", path: "/v1/clients/acme-retail/inquiries", token: t1.Token}, 200},
		{inquiries, req{method: "GET", path: "/v1/clients/acme-retail/inquiries"}, 401},
		{inquiries, req{method: "GET", path: "/v1/clients/globex-saas/inquiries", token: acme.Token}, 403},
		{operation, req{method: "POST", path: pathOrder, token: t1.Token, body: getOrder}, 200},
		{operation, req{method: "POST", path: "/v1/clients/acme-retail/inquiries/order_status/operations/find_orders_by_email", token: t1.Token,
			body: `{"params":{"email":"` + h.env.ExchangeToken + `"}}`}, 200},
		{operation, req{method: "POST", path: pathOrder, token: t1.Token, body: `{"params":{"order_number":"x"}}`}, 400},
		{operation, req{method: "POST", path: "/v1/clients/acme-retail/inquiries/address_change/operations/get_shipping_address", token: t1.Token, body: getOrder}, 403},
		{operation, req{method: "POST", path: pathOrder, token: t1.Token, body: `{"params":{"order_number":"#424242"}}`}, 404},
		{operation, req{method: "POST", path: pathOrder, token: t1.Token, body: getOrder, headers: []string{"Content-Type: text/plain"}, noCT: true}, 415},
		{operation, req{method: "POST", path: pathOrder, token: t1.Token, body: `{"params":{"order_number":"#1001"},"pad":"` + strings.Repeat("x", 2<<20) + `"}`}, 413},
		{filter, req{method: "POST", path: "/v1/clients/acme-retail/filter", token: t1.Token, body: `{"text":"mail me at maya.okafor@example.com","mode":"tokenize"}`}, 200},
		{filter, req{method: "POST", path: "/v1/clients/acme-retail/filter", token: t1.Token, body: `{"mode":"mask"}`}, 400},
		{"/healthz", req{method: "GET", path: "/healthz"}, 200},
		{"/readyz", req{method: "GET", path: "/readyz"}, 200},
		{"/metrics", req{method: "GET", path: "/metrics"}, 200},
		{"/openapi.json", req{method: "GET", path: "/openapi.json"}, 200},
	}
	for _, s := range samples {
		t.Run(s.r.method+" "+s.r.path+" "+strconv.Itoa(s.status), func(t *testing.T) {
			res := h.do(t, s.r)
			if res.status != s.status {
				t.Fatalf("status %d, want %d: %.300s", res.status, s.status, res.body)
			}
			item := doc.Paths.Find(s.template)
			if item == nil {
				t.Fatalf("the document has no path %s", s.template)
			}
			op := item.GetOperation(s.r.method)
			if op == nil {
				t.Fatalf("the document has no %s %s", s.r.method, s.template)
			}
			resp := op.Responses.Status(s.status)
			if resp == nil || resp.Value == nil {
				t.Fatalf("the document declares no %d for %s %s", s.status, s.r.method, s.template)
			}
			mt, _, _ := mime.ParseMediaType(res.header.Get("Content-Type"))
			media := resp.Value.Content.Get(mt)
			if media == nil {
				t.Fatalf("the document declares no %s answer for %d", mt, s.status)
			}
			if media.Schema == nil || media.Schema.Value == nil || !strings.HasSuffix(mt, "json") {
				return
			}
			var v any
			if err := json.Unmarshal(res.body, &v); err != nil {
				t.Fatal(err)
			}
			if err := media.Schema.Value.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.MultiErrors()); err != nil {
				t.Fatalf("the answer does not fit the document's schema: %v\n%.500s", err, res.body)
			}
		})
	}
}
