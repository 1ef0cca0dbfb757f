package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cxgate/cxgate/gateway"
	"github.com/cxgate/cxgate/gateway/authn"
	"github.com/cxgate/cxgate/gateway/dev"
	"github.com/cxgate/cxgate/scopes"
)

const (
	getOrder   = `{"params":{"order_number":"#1001"}}`
	pathOrder  = "/v1/clients/acme-retail/inquiries/order_status/operations/get_order"
	pathAcmeIQ = "/v1/clients/acme-retail/inquiries"
)

// concrete fills a route's path parameters with names the example scopes know.
func concrete(path string) string {
	return strings.NewReplacer("{client}", "acme-retail", "{inquiry}", "order_status", "{operation}", "get_order").Replace(path)
}

// TestRouterMatchesOpenAPI proves the three views of the API agree: the
// routes the server answers, openAPIRoutes, and the paths and methods of
// /openapi.json. Every route answers its method (not the catch-all 404)
// and refuses the others with 405 and an Allow header.
func TestRouterMatchesOpenAPI(t *testing.T) {
	h := start(t, dev.Options{})
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	decode(t, h.do(t, req{method: "GET", path: "/openapi.json"}), &doc)
	var inDoc []string
	for path, ops := range doc.Paths {
		for m := range ops {
			inDoc = append(inDoc, strings.ToUpper(m)+" "+path)
		}
	}
	routes := gateway.OpenAPIRoutes()
	sort.Strings(inDoc)
	sort.Strings(routes)
	if diff := cmp.Diff(routes, inDoc); diff != "" {
		t.Fatalf("openAPIRoutes vs /openapi.json (-routes +doc):\n%s", diff)
	}

	tok := h.expert(t, "tier1-basic").Token
	bodies := map[string]string{
		"/v1/clients/{client}/inquiries/{inquiry}/operations/{operation}": getOrder,
		"/v1/clients/{client}/filter":                                     `{"text":"call me on +1 202-555-0143"}`,
	}
	methods := map[string][]string{}
	for _, rt := range routes {
		m, path, _ := strings.Cut(rt, " ")
		methods[path] = append(methods[path], m)
		t.Run(rt, func(t *testing.T) {
			r := h.do(t, req{method: m, path: concrete(path), token: tok, body: bodies[path]})
			if r.status != http.StatusOK {
				t.Fatalf("%s answered %d: %s", rt, r.status, r.body)
			}
		})
	}
	for path, ms := range methods {
		for _, m := range []string{"GET", "POST", "PUT", "DELETE", "PATCH"} {
			if slices.Contains(ms, m) {
				continue
			}
			r := h.do(t, req{method: m, path: concrete(path), token: tok})
			wantProblem(t, r, http.StatusMethodNotAllowed, gateway.CodeMethodNotAllowed)
			for _, want := range ms {
				if !strings.Contains(r.header.Get("Allow"), want) {
					t.Errorf("%s %s: Allow %q lacks %s", m, path, r.header.Get("Allow"), want)
				}
			}
		}
	}
	// Paths the router does not know are 404 whatever the method.
	for _, p := range []string{"/", "/v1", "/v1/clients", "/v1/clients/acme-retail", "/v1/clients/acme-retail/inquiries/order_status",
		"/v1/clients/acme-retail/inquiries/order_status/operations", "/v2/clients/acme-retail/inquiries", "/healthz/x"} {
		wantProblem(t, h.do(t, req{method: "GET", path: p, token: tok}), http.StatusNotFound, gateway.CodeNotFound)
	}
}

// TestInquiriesAnswerTheContractShape checks GET .../inquiries for every
// ready-made expert and client: exactly the contract's members, and
// exactly what scopes.Visible says this expert may use now.
func TestInquiriesAnswerTheContractShape(t *testing.T) {
	h := start(t, dev.Options{})
	set := h.env.App.Server.Policy().Set
	sizes := map[int]bool{}
	for _, x := range h.env.Experts {
		who := scopes.Principal{Subject: "expert-" + x.Name, Tier: x.Tier, MFA: x.MFA, Country: x.Country, Clients: x.Clients,
			IP: netip.MustParseAddr("127.0.0.1")}
		var headers []string
		if x.ForwardedFor != "" {
			who.IP = netip.MustParseAddr(x.ForwardedFor)
			headers = append(headers, "X-Forwarded-For: "+x.ForwardedFor)
		}
		for _, c := range set.Clients() {
			t.Run(x.Name+"/"+c.ID, func(t *testing.T) {
				r := h.do(t, req{method: "GET", path: "/v1/clients/" + c.ID + "/inquiries", token: x.Token, headers: headers})
				if !slices.Contains(x.Clients, c.ID) {
					wantProblem(t, r, http.StatusForbidden, gateway.CodeForbidden)
					return
				}
				got := strictInquiries(t, r)
				want := expectedInquiries(set.Visible(who, c.ID), c.ID)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("inquiries (-visible +answer):\n%s", diff)
				}
				n := 0
				for _, q := range got.Inquiries {
					n += len(q.Operations)
				}
				sizes[n] = true
			})
		}
	}
	if len(sizes) < 3 {
		t.Fatalf("the experts' lists hardly differ (%v operations): the test proves little", sizes)
	}
}

type inqList struct {
	Client    string `json:"client"`
	Inquiries []inq  `json:"inquiries"`
}

type inq struct {
	ID          string  `json:"id"`
	Description string  `json:"description"`
	Operations  []inqOp `json:"operations"`
}

type inqOp struct {
	ID     string                    `json:"id"`
	Action string                    `json:"action"`
	Params map[string]map[string]any `json:"params"`
	Input  map[string]map[string]any `json:"input,omitempty"`
}

// strictInquiries decodes the answer refusing any member the contract
// does not name (input is the one extension: the writable fields of an
// update), and checks the required members are present.
func strictInquiries(t *testing.T, r result) inqList {
	t.Helper()
	var raw map[string]json.RawMessage
	decode(t, r, &raw)
	keys := func(m map[string]json.RawMessage) []string {
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		return ks
	}
	if got := keys(raw); !slices.Equal(got, []string{"client", "inquiries"}) {
		t.Fatalf("top-level members %v", got)
	}
	var qs []map[string]json.RawMessage
	if err := json.Unmarshal(raw["inquiries"], &qs); err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		if got := keys(q); !slices.Equal(got, []string{"description", "id", "operations"}) {
			t.Fatalf("inquiry members %v", got)
		}
		var ops []map[string]json.RawMessage
		if err := json.Unmarshal(q["operations"], &ops); err != nil {
			t.Fatal(err)
		}
		for _, o := range ops {
			got := keys(o)
			if !slices.Equal(got, []string{"action", "id", "params"}) && !slices.Equal(got, []string{"action", "id", "input", "params"}) {
				t.Fatalf("operation members %v", got)
			}
		}
	}
	var out inqList
	if err := json.Unmarshal(r.body, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// expectedInquiries renders what Visible allows in the answer's shape.
func expectedInquiries(vis []scopes.Visible, client string) inqList {
	out := inqList{Client: client, Inquiries: []inq{}}
	for _, v := range vis {
		q := inq{ID: v.Inquiry.ID, Description: v.Inquiry.Description}
		for _, o := range v.Operations {
			op := inqOp{ID: o.ID, Action: string(o.Action), Params: map[string]map[string]any{}}
			for _, p := range o.Params {
				m := map[string]any{"type": string(p.Type)}
				if p.Required {
					m["required"] = true
				}
				if p.PatternText != "" {
					m["pattern"] = p.PatternText
				}
				if p.PII != "" {
					m["pii"] = string(p.PII)
				}
				if len(p.Enum) > 0 {
					var e []any
					for _, s := range p.Enum {
						e = append(e, s)
					}
					m["enum"] = e
				}
				op.Params[p.Name] = m
			}
			for _, in := range o.Inputs {
				if op.Input == nil {
					op.Input = map[string]map[string]any{}
				}
				m := map[string]any{"kind": string(in.Kind)}
				if in.PII != "" {
					m["pii"] = string(in.PII)
				}
				if len(in.Enum) > 0 {
					m["enum"] = append([]any(nil), in.Enum...)
				}
				op.Input[in.Path.String()] = m
			}
			q.Operations = append(q.Operations, op)
		}
		out.Inquiries = append(out.Inquiries, q)
	}
	return out
}

// TestProblems sends every kind of bad request and checks the whole
// problem+json answer: status, code, title, type, request id, media type.
func TestProblems(t *testing.T) {
	h := start(t, dev.Options{})
	t1 := h.expert(t, "tier1-basic").Token
	acme := h.expert(t, "acme-only").Token
	now := time.Now()
	claims := func(mod func(map[string]any)) string {
		c := map[string]any{"iss": "https://experts.example.com", "aud": "cxgate", "sub": "expert-x", "tier": 3,
			"amr": []string{"pwd", "mfa"}, "country": "GB", "clients": []string{"acme-retail"},
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		mod(c)
		tok, err := h.env.Signer.SignClaims(c)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	deep := `{"params":{"order_number":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}}`
	cases := []struct {
		name   string
		r      req
		status int
		code   string
		params []string // invalid_params: the names reported
	}{
		{"no bearer", req{method: "GET", path: pathAcmeIQ}, 401, gateway.CodeUnauthenticated, nil},
		{"basic scheme", req{method: "GET", path: pathAcmeIQ, headers: []string{"Authorization: Basic dXNlcjpwYXNz"}}, 401, gateway.CodeUnauthenticated, nil},
		{"two authorization headers", req{method: "GET", path: pathAcmeIQ, token: t1, headers: []string{"Authorization: Bearer " + t1}}, 401, gateway.CodeUnauthenticated, nil},
		{"garbage token", req{method: "GET", path: pathAcmeIQ, token: "abc.def.ghi"}, 401, gateway.CodeUnauthenticated, nil},
		{"tampered signature", req{method: "GET", path: pathAcmeIQ, token: t1[:len(t1)-4] + "AAAA"}, 401, gateway.CodeUnauthenticated, nil},
		{"expired", req{method: "GET", path: pathAcmeIQ, token: claims(func(c map[string]any) {
			c["iat"], c["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
		})}, 401, gateway.CodeUnauthenticated, nil},
		{"wrong audience", req{method: "GET", path: pathAcmeIQ, token: claims(func(c map[string]any) { c["aud"] = "someone-else" })}, 401, gateway.CodeUnauthenticated, nil},
		{"wrong issuer", req{method: "GET", path: pathAcmeIQ, token: claims(func(c map[string]any) { c["iss"] = "https://evil.example.net" })}, 401, gateway.CodeUnauthenticated, nil},
		{"unauthenticated operation", req{method: "POST", path: pathOrder, body: getOrder}, 401, gateway.CodeUnauthenticated, nil},
		{"not onboarded", req{method: "GET", path: "/v1/clients/globex-saas/inquiries", token: acme}, 403, gateway.CodeForbidden, nil},
		{"unknown client", req{method: "GET", path: "/v1/clients/no-such-client/inquiries", token: t1}, 403, gateway.CodeForbidden, nil},
		{"not onboarded operation", req{method: "POST", path: "/v1/clients/globex-saas/inquiries/ticket_status/operations/get_ticket", token: acme, body: `{"params":{"id":4101}}`}, 403, gateway.CodeForbidden, nil},
		{"not onboarded filter", req{method: "POST", path: "/v1/clients/globex-saas/filter", token: acme, body: `{"text":"x"}`}, 403, gateway.CodeForbidden, nil},
		{"unknown inquiry", req{method: "POST", path: "/v1/clients/acme-retail/inquiries/refunds/operations/get_order", token: t1, body: getOrder}, 404, gateway.CodeNotFound, nil},
		{"unknown operation", req{method: "POST", path: "/v1/clients/acme-retail/inquiries/order_status/operations/delete_order", token: t1, body: getOrder}, 404, gateway.CodeNotFound, nil},
		{"unknown route", req{method: "GET", path: "/v1/clients/acme-retail/secrets", token: t1}, 404, gateway.CodeNotFound, nil}, // not audited: no route
		{"no record", req{method: "POST", path: pathOrder, token: t1, body: `{"params":{"order_number":"#999999"}}`}, 404, gateway.CodeNotFound, nil},
		{"invalid params", req{method: "POST", path: pathOrder, token: t1, body: `{"params":{"order_number":"1001' OR 1=1","status":"open"}}`}, 400, gateway.CodeInvalidParams,
			[]string{"order_number", "status"}},
		{"missing required param", req{method: "POST", path: pathOrder, token: t1, body: `{"params":{}}`}, 400, gateway.CodeInvalidParams, []string{"order_number"}},
		{"param of the wrong type", req{method: "POST", path: pathOrder, token: t1, body: `{"params":{"order_number":1001}}`}, 400, gateway.CodeInvalidParams, []string{"order_number"}},
		{"token param not a token", req{method: "POST", path: "/v1/clients/acme-retail/inquiries/order_status/operations/find_orders_by_email", token: t1,
			body: `{"params":{"email":"maya.okafor@example.com"}}`}, 400, gateway.CodeInvalidParams, []string{"email"}},
		{"input on a read", req{method: "POST", path: pathOrder, token: t1, body: `{"params":{"order_number":"#1001"},"input":{"note":"x"}}`}, 400, gateway.CodeInvalidParams, []string{"input"}},
		{"unknown member", req{method: "POST", path: pathOrder, token: t1, body: `{"params":{"order_number":"#1001"},"fields":["email"]}`}, 400, gateway.CodeInvalidParams, nil},
		{"trailing data", req{method: "POST", path: pathOrder, token: t1, body: getOrder + `{"params":{}}`}, 400, gateway.CodeInvalidParams, nil},
		{"trailing garbage", req{method: "POST", path: pathOrder, token: t1, body: getOrder + ` x`}, 400, gateway.CodeInvalidParams, nil},
		{"deep nesting", req{method: "POST", path: pathOrder, token: t1, body: deep}, 400, gateway.CodeInvalidParams, nil},
		{"not JSON", req{method: "POST", path: pathOrder, token: t1, body: `order_number=1001`}, 400, gateway.CodeInvalidParams, nil},
		{"JSON array", req{method: "POST", path: pathOrder, token: t1, body: `[1,2]`}, 400, gateway.CodeInvalidParams, nil},
		{"empty body", req{method: "POST", path: pathOrder, token: t1}, 400, gateway.CodeInvalidParams, nil},
		{"filter without text", req{method: "POST", path: "/v1/clients/acme-retail/filter", token: t1, body: `{"mode":"mask"}`}, 400, gateway.CodeInvalidParams, nil},
		{"filter unknown mode", req{method: "POST", path: "/v1/clients/acme-retail/filter", token: t1, body: `{"text":"x","mode":"reveal"}`}, 400, gateway.CodeInvalidParams, []string{"mode"}},
		{"wrong content type", req{method: "POST", path: pathOrder, token: t1, body: getOrder, headers: []string{"Content-Type: text/plain"}, noCT: true}, 415, gateway.CodeUnsupportedMedia, nil},
		{"form content type", req{method: "POST", path: pathOrder, token: t1, body: getOrder, headers: []string{"Content-Type: application/x-www-form-urlencoded"}, noCT: true}, 415, gateway.CodeUnsupportedMedia, nil},
		{"bad idempotency key", req{method: "POST", path: pathOrder, token: t1, body: getOrder, headers: []string{"Idempotency-Key: " + strings.Repeat("k", 200)}}, 400, gateway.CodeInvalidParams, nil},
		{"wrong method", req{method: "DELETE", path: pathOrder, token: t1}, 405, gateway.CodeMethodNotAllowed, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.do(t, c.r)
			p := wantProblem(t, r, c.status, c.code)
			// Every refusal of an API route is audited, whatever refused it
			// (authentication, the decoder, the pipeline).
			if c.name != "unknown route" && c.code != gateway.CodeMethodNotAllowed {
				rec := auditRecord(t, h, p.RequestID)
				if rec == nil || rec["outcome"] != c.code || rec["status"] != float64(c.status) {
					t.Errorf("audit record %v, want outcome %s", rec, c.code)
				}
			}
			if c.status == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without WWW-Authenticate: Bearer (got %q)", r.header.Get("WWW-Authenticate"))
			}
			if c.status != 401 && r.header.Get("WWW-Authenticate") != "" {
				t.Errorf("WWW-Authenticate on a %d", c.status)
			}
			if c.status >= 400 && c.status < 500 && c.status != 404 && c.status != 405 && p.Detail == "" {
				t.Errorf("no detail: %s", r.body)
			}
			if c.params != nil {
				var names []string
				for _, pe := range p.Params {
					if pe.Message == "" {
						t.Errorf("param %s without a message", pe.Name)
					}
					names = append(names, pe.Name)
				}
				sort.Strings(names)
				if !slices.Equal(names, c.params) {
					t.Errorf("params %v, want %v: %s", names, c.params, r.body)
				}
			}
		})
	}
}

// TestBodyTooLarge: a body over max_body is refused with 413 whether its
// length is announced (Content-Length) or not (chunked), and audited with
// the expert either way; without a valid assertion it is a 401 like any
// other request.
func TestBodyTooLarge(t *testing.T) {
	h := start(t, dev.Options{})
	limit := h.env.App.Config.Limits.MaxBody
	if limit <= 0 {
		t.Fatalf("max_body %d", limit)
	}
	t1 := h.expert(t, "tier1-basic").Token
	big := `{"params":{"order_number":"#1001"},"input":{"note":"` + strings.Repeat("a", int(limit)) + `"}}`
	t.Run("content-length", func(t *testing.T) {
		p := wantProblem(t, h.do(t, req{method: "POST", path: pathOrder, token: t1, body: big}), 413, gateway.CodePayloadTooLarge)
		if !strings.Contains(p.Detail, strconv.FormatInt(limit, 10)) {
			t.Errorf("detail does not say the limit: %q", p.Detail)
		}
		if rec := auditRecord(t, h, p.RequestID); rec == nil || rec["status"] != float64(413) || rec["expert"] == "" || rec["expert"] == nil {
			t.Errorf("audit record %v, want a 413 naming the expert", rec)
		}
	})
	t.Run("content-length without an assertion", func(t *testing.T) {
		wantProblem(t, h.do(t, req{method: "POST", path: pathOrder, body: big}), 401, gateway.CodeUnauthenticated)
	})
	t.Run("chunked", func(t *testing.T) {
		hr, err := http.NewRequest("POST", h.srv.URL+pathOrder, io.MultiReader(strings.NewReader(big)))
		if err != nil {
			t.Fatal(err)
		}
		hr.ContentLength = -1
		hr.Header.Set("Authorization", "Bearer "+t1)
		hr.Header.Set("Content-Type", "application/json")
		p := wantProblem(t, send(t, hr), 413, gateway.CodePayloadTooLarge)
		if rec := auditRecord(t, h, p.RequestID); rec == nil || rec["status"] != float64(413) {
			t.Errorf("audit record %v", rec)
		}
	})
	t.Run("just under the limit is read", func(t *testing.T) {
		small := `{"params":{"order_number":"#1001"},"pad":"` + strings.Repeat("a", int(limit)-100) + `"}`
		// Read in full, then refused for its unknown member: the size passed.
		wantProblem(t, h.do(t, req{method: "POST", path: pathOrder, token: t1, body: small}), 400, gateway.CodeInvalidParams)
	})
}

// TestRateLimits: per-expert and per-client token buckets answer 429 with
// Retry-After, audited and counted. The rates are tiny (one request per
// 1000 s) so the second request is refused however slow the machine.
func TestRateLimits(t *testing.T) {
	t.Run("per expert", func(t *testing.T) {
		h := start(t, withLimits(0.001, 0))
		t1, t2 := h.expert(t, "tier1-basic").Token, h.expert(t, "tier1-mfa").Token
		decode(t, h.do(t, req{method: "GET", path: pathAcmeIQ, token: t1}), &map[string]any{})
		r := h.do(t, req{method: "POST", path: pathOrder, token: t1, body: getOrder})
		wantProblem(t, r, 429, gateway.CodeRateLimited)
		wantRetryAfter(t, r)
		// Another expert, same client: its own bucket.
		decode(t, h.do(t, req{method: "GET", path: pathAcmeIQ, token: t2}), &map[string]any{})
		wantAudited(t, h, gateway.CodeRateLimited)
		wantMetric(t, h, `cxgate_requests_total{client="acme-retail",inquiry="order_status",operation="get_order",outcome="rate_limited"} 1`)
	})
	t.Run("per client", func(t *testing.T) {
		h := start(t, withLimits(0, 0.001))
		t1, t2 := h.expert(t, "tier1-basic").Token, h.expert(t, "tier1-mfa").Token
		decode(t, h.do(t, req{method: "GET", path: pathAcmeIQ, token: t1}), &map[string]any{})
		r := h.do(t, req{method: "GET", path: pathAcmeIQ, token: t2})
		wantProblem(t, r, 429, gateway.CodeRateLimited)
		wantRetryAfter(t, r)
		// Another client: its own bucket.
		decode(t, h.do(t, req{method: "GET", path: "/v1/clients/globex-saas/inquiries", token: t2}), &map[string]any{})
	})
	t.Run("unlimited", func(t *testing.T) {
		h := start(t, withLimits(0, 0))
		t1 := h.expert(t, "tier1-basic").Token
		for i := 0; i < 30; i++ {
			decode(t, h.do(t, req{method: "GET", path: pathAcmeIQ, token: t1}), &map[string]any{})
		}
	})
}

func wantRetryAfter(t *testing.T, r result) {
	t.Helper()
	n, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || n < 1 {
		t.Fatalf("Retry-After %q, want whole seconds >= 1", r.header.Get("Retry-After"))
	}
}

// wantAudited checks the audit file holds a record with this outcome.
func wantAudited(t *testing.T, h *harness, outcome string) {
	t.Helper()
	for _, rec := range auditRecords(t, h) {
		if rec["outcome"] == outcome {
			return
		}
	}
	t.Fatalf("no audit record with outcome %s", outcome)
}

func wantMetric(t *testing.T, h *harness, line string) {
	t.Helper()
	r := h.do(t, req{method: "GET", path: "/metrics"})
	if !strings.Contains(string(r.body), line) {
		t.Fatalf("/metrics lacks %s", line)
	}
}

// zendeskWrites counts the ticket updates the Zendesk sandbox received.
func zendeskWrites(h *harness, ticket string) int {
	n := 0
	for _, r := range h.env.Sandboxes.Zendesk.Requests() {
		if r.Method == http.MethodPut && strings.HasSuffix(r.Path, "/tickets/"+ticket+".json") {
			n++
		}
	}
	return n
}

// TestIdempotency: a write retried with the same Idempotency-Key and body
// is replayed, not written again; another body is a conflict; duplicates
// that arrive together wait for the first and replay it.
func TestIdempotency(t *testing.T) {
	h := start(t, dev.Options{})
	const path = "/v1/clients/globex-saas/inquiries/ticket_status/operations/add_private_comment"
	body := `{"params":{"id":4101},"input":{"comment":{"body":"Replacement sent.","public":false},"status":"pending"}}`
	t1 := h.expert(t, "tier1-basic").Token
	post := func(key, body string) result {
		return h.do(t, req{method: "POST", path: path, token: t1, body: body, headers: []string{"Idempotency-Key: " + key}})
	}
	if n := zendeskWrites(h, "4101"); n != 0 {
		t.Fatalf("writes before the test: %d", n)
	}

	first := post("retry-1", body)
	var a struct {
		Data      map[string]any `json:"data"`
		RequestID string         `json:"request_id"`
	}
	decode(t, first, &a)
	if first.header.Get("Idempotent-Replayed") != "" || a.Data["status"] != "pending" {
		t.Fatalf("first answer: %s %v", first.body, first.header)
	}
	again := post("retry-1", body)
	if again.status != 200 || again.header.Get("Idempotent-Replayed") != "true" || string(again.body) != string(first.body) {
		t.Fatalf("retry: %d %q %s", again.status, again.header.Get("Idempotent-Replayed"), again.body)
	}
	if again.header.Get("X-Request-Id") == first.header.Get("X-Request-Id") {
		t.Error("the replay has the first request's X-Request-Id")
	}
	if n := zendeskWrites(h, "4101"); n != 1 {
		t.Fatalf("the sandbox saw %d writes, want 1", n)
	}
	// The replay is an access too: audited under its own request id.
	if log, err := os.ReadFile(h.env.AuditPath); err != nil || !strings.Contains(string(log), `"request_id":"`+again.header.Get("X-Request-Id")+`"`) ||
		!strings.Contains(string(log), `"stage":"idempotent_replay"`) {
		t.Fatalf("no audit record of the replay (%v)", err)
	}

	other := strings.Replace(body, "Replacement sent.", "Refund sent.", 1)
	conflict := wantProblem(t, post("retry-1", other), 409, gateway.CodeIdempotencyConflict)
	if rec := auditRecord(t, h, conflict.RequestID); rec == nil || rec["outcome"] != gateway.CodeIdempotencyConflict || rec["status"] != float64(409) {
		t.Errorf("the conflict's audit record: %v", rec)
	}
	if n := zendeskWrites(h, "4101"); n != 1 {
		t.Fatalf("a conflicting request wrote: %d writes", n)
	}
	// The same key for another operation or expert is another request.
	decode(t, h.do(t, req{method: "POST", path: path, token: h.expert(t, "tier1-mfa").Token, body: body,
		headers: []string{"Idempotency-Key: retry-1"}}), &map[string]any{})
	if n := zendeskWrites(h, "4101"); n != 2 {
		t.Fatalf("another expert's key: %d writes, want 2", n)
	}

	// Duplicates in flight together: the sandbox is slowed so they overlap;
	// correctness does not depend on the timing.
	h.env.Sandboxes.Zendesk.Faults().SetLatency(300 * time.Millisecond)
	defer h.env.Sandboxes.Zendesk.Faults().SetLatency(0)
	const n = 6
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = post("together-1", other)
		}()
	}
	wg.Wait()
	fresh := 0
	for _, r := range results {
		if r.status != 200 {
			t.Fatalf("duplicate answered %d: %s", r.status, r.body)
		}
		if r.header.Get("Idempotent-Replayed") != "true" {
			fresh++
		}
		if string(r.body) != string(results[0].body) {
			t.Fatalf("duplicates answered differently:\n%s\n%s", r.body, results[0].body)
		}
	}
	if fresh != 1 {
		t.Fatalf("%d duplicates ran for real, want 1", fresh)
	}
	if n := zendeskWrites(h, "4101"); n != 3 {
		t.Fatalf("the sandbox saw %d writes, want 3", n)
	}
}

// TestIdempotencyRetriesAFailedWrite: a write that never reached the
// client's system is not remembered, so its retry runs for real.
func TestIdempotencyRetriesAFailedWrite(t *testing.T) {
	h := start(t, dev.Options{})
	const path = "/v1/clients/initech-service/inquiries/case_status/operations/update_case"
	body := `{"params":{"case_number":"00001027"},"input":{"Status":"Working"}}`
	t1 := h.expert(t, "tier1-basic").Token
	post := func() result {
		return h.do(t, req{method: "POST", path: path, token: t1, body: body, headers: []string{"Idempotency-Key: case-1"}})
	}
	// Refused before any write: invalid input.
	bad := h.do(t, req{method: "POST", path: path, token: t1, body: strings.Replace(body, "Working", "Deleted", 1),
		headers: []string{"Idempotency-Key: case-0"}})
	wantProblem(t, bad, 400, gateway.CodeInvalidParams)
	h.env.Sandboxes.Salesforce.Faults().Inject("unauthorized", 100)
	failed := post()
	if failed.status < 400 {
		t.Fatalf("write succeeded through an unauthorized sandbox: %s", failed.body)
	}
	h.env.Sandboxes.Salesforce.Faults().Reset()
	ok := post()
	if ok.status != 200 || ok.header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("retry after a failure: %d %q %s", ok.status, ok.header.Get("Idempotent-Replayed"), ok.body)
	}
	if r := post(); r.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("second retry was not replayed: %s", r.body)
	}
}

var hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)

// TestRequestIDs: every answer has a fresh random id; the problem's
// request_id and the data answer's request_id are the header's; an
// incoming X-Request-Id is never echoed (it could carry anything).
func TestRequestIDs(t *testing.T) {
	h := start(t, dev.Options{})
	t1 := h.expert(t, "tier1-basic").Token
	const planted = "maya.okafor@example.com"
	seen := map[string]bool{}
	check := func(r result) string {
		t.Helper()
		id := r.header.Get("X-Request-Id")
		if !hex32.MatchString(id) {
			t.Fatalf("X-Request-Id %q", id)
		}
		if seen[id] {
			t.Fatalf("request id %s reused", id)
		}
		seen[id] = true
		if strings.Contains(string(r.body), planted) || strings.Contains(fmt.Sprint(r.header), planted) {
			t.Fatalf("the incoming X-Request-Id was echoed: %v %s", r.header, r.body)
		}
		return id
	}
	for _, r := range []req{
		{method: "GET", path: "/healthz"},
		{method: "GET", path: "/nowhere"},
		{method: "GET", path: pathAcmeIQ},
		{method: "GET", path: pathAcmeIQ, token: t1},
		{method: "POST", path: pathOrder, token: t1, body: getOrder},
		{method: "POST", path: pathOrder, token: t1, body: `{"params":{}}`},
	} {
		r.headers = append(r.headers, "X-Request-Id: "+planted)
		res := h.do(t, r)
		id := check(res)
		switch {
		case res.status >= 400:
			if p := wantProblem(t, res, res.status, problemCode(t, res)); p.RequestID != id {
				t.Fatalf("problem request_id %s, header %s", p.RequestID, id)
			}
		case r.path == pathOrder:
			var a struct {
				RequestID string `json:"request_id"`
			}
			decode(t, res, &a)
			if a.RequestID != id {
				t.Fatalf("answer request_id %s, header %s", a.RequestID, id)
			}
		}
	}
	if strings.Contains(h.logs.String(), planted) {
		t.Fatal("the incoming X-Request-Id reached the log")
	}
	// The audit record carries the same id as the answer.
	res := h.do(t, req{method: "POST", path: pathOrder, token: t1, body: getOrder})
	id := check(res)
	found := false
	for _, rec := range auditRecords(t, h) {
		if rec["request_id"] == id {
			found = true
		}
	}
	if !found {
		t.Fatalf("no audit record for request %s", id)
	}
}

func problemCode(t *testing.T, r result) string {
	t.Helper()
	var p problem
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("%s: %v", r.body, err)
	}
	return p.Code
}

// TestHealthAndReadiness: /healthz answers while serving; /readyz is ready
// with scopes loaded and every check passing, and 503 naming the check
// that fails otherwise.
func TestHealthAndReadiness(t *testing.T) {
	h := start(t, dev.Options{})
	var health map[string]any
	decode(t, h.do(t, req{method: "GET", path: "/healthz"}), &health)
	if health["status"] != "ok" {
		t.Fatalf("healthz %v", health)
	}
	var ready struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	decode(t, h.do(t, req{method: "GET", path: "/readyz"}), &ready)
	if ready.Status != "ready" || ready.Checks["scopes"] != "ok" {
		t.Fatalf("readyz %+v", ready)
	}
	for name, v := range ready.Checks {
		if v != "ok" {
			t.Fatalf("check %s: %s", name, v)
		}
	}

	fails := errors.New("sealed")
	cases := []struct {
		name    string
		checks  []gateway.ReadyCheck
		policy  bool
		failing string
	}{
		{"a check fails", []gateway.ReadyCheck{{Name: "vault", Check: func(context.Context) error { return fails }},
			{Name: "other", Check: func(context.Context) error { return nil }}}, true, "vault"},
		{"no scopes", nil, false, "scopes"},
	}
	// An open breaker of one CRM is reported but keeps the replica ready.
	t.Run("advisory check fails", func(t *testing.T) {
		s := gateway.New(gateway.Options{Logger: discard(), Pipeline: h.env.App.Pipeline, Ready: []gateway.ReadyCheck{
			{Name: "connection acme-shopify", Advisory: true, Check: func(context.Context) error { return errors.New("circuit breaker open") }},
		}}, h.env.App.Server.Policy())
		srv := httptest.NewServer(s)
		defer srv.Close()
		hr, _ := http.NewRequest("GET", srv.URL+"/readyz", nil)
		r := send(t, hr)
		var got struct {
			Status string            `json:"status"`
			Checks map[string]string `json:"checks"`
		}
		if err := json.Unmarshal(r.body, &got); err != nil {
			t.Fatal(err)
		}
		if r.status != http.StatusOK || got.Status != "degraded" || got.Checks["connection acme-shopify"] != "circuit breaker open" {
			t.Fatalf("status %d, %+v", r.status, got)
		}
	})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pol := h.env.App.Server.Policy()
			if !c.policy {
				pol = nil
			}
			s := gateway.New(gateway.Options{Logger: discard(), Ready: c.checks, Pipeline: h.env.App.Pipeline}, pol)
			srv := httptest.NewServer(s)
			defer srv.Close()
			hr, _ := http.NewRequest("GET", srv.URL+"/readyz", nil)
			r := send(t, hr)
			if r.status != http.StatusServiceUnavailable {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			var got struct {
				Status string            `json:"status"`
				Checks map[string]string `json:"checks"`
			}
			if err := json.Unmarshal(r.body, &got); err != nil {
				t.Fatal(err)
			}
			if got.Status == "ready" || got.Checks[c.failing] == "ok" || got.Checks[c.failing] == "" {
				t.Fatalf("readyz %+v, want %s failing", got, c.failing)
			}
		})
	}
}

// TestOperationAnswer: a read answers {"data":{..},"request_id":".."} with
// only the scope's fields; a search answers a list.
func TestOperationAnswer(t *testing.T) {
	h := start(t, dev.Options{})
	var a struct {
		Data      map[string]any `json:"data"`
		RequestID string         `json:"request_id"`
	}
	decode(t, h.run(t, "tier1-basic", "acme-retail", "order_status", "get_order", getOrder), &a)
	if a.Data["name"] != "#1001" || a.RequestID == "" {
		t.Fatalf("answer %+v", a)
	}
	op := operation(t, h, "acme-retail", "order_status", "get_order")
	allowed := map[string]bool{}
	for _, f := range op.Fields {
		allowed[strings.SplitN(strings.ReplaceAll(f.Path.String(), "[]", ""), ".", 2)[0]] = true
	}
	for k := range a.Data {
		if !allowed[k] {
			t.Errorf("answer has %s, which the scope does not list", k)
		}
	}
	var list struct {
		Data []map[string]any `json:"data"`
	}
	decode(t, h.run(t, "tier1-basic", "acme-retail", "order_status", "find_orders_by_email",
		`{"params":{"email":"`+h.env.ExchangeToken+`"}}`), &list)
	if len(list.Data) == 0 {
		t.Fatal("the exchange token found no orders")
	}
}

func operation(t *testing.T, h *harness, client, inquiry, op string) *scopes.Operation {
	t.Helper()
	c, ok := h.env.App.Server.Policy().Set.Client(client)
	if !ok {
		t.Fatalf("no client %s", client)
	}
	q, ok := c.Inquiry(inquiry)
	if !ok {
		t.Fatalf("no inquiry %s", inquiry)
	}
	o, ok := q.Operation(op)
	if !ok {
		t.Fatalf("no operation %s", op)
	}
	return o
}

// TestSignedBySomeoneElse: an assertion from another key is refused even
// with perfect claims.
func TestSignedBySomeoneElse(t *testing.T) {
	h := start(t, dev.Options{})
	keys, err := authn.GenerateDevKeys(authn.AlgEdDSA)
	if err != nil {
		t.Fatal(err)
	}
	other, err := keys.Signer("https://experts.example.com", "cxgate", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := other.Sign(authn.Principal{Subject: "expert-x", Tier: 3, MFA: true, Country: "GB", Clients: []string{"acme-retail"}})
	if err != nil {
		t.Fatal(err)
	}
	wantProblem(t, h.do(t, req{method: "GET", path: pathAcmeIQ, token: tok}), 401, gateway.CodeUnauthenticated)
}

// TestUnauthenticatedFloodIsBounded: refusals of requests without a valid
// assertion are audited up to a per-address burst; past it the flood is
// answered 429 and counted, so it cannot grow the audit log without bound.
func TestUnauthenticatedFloodIsBounded(t *testing.T) {
	h := start(t, dev.Options{})
	before := auditLines(t, h)
	var unauth, limited int
	for i := 0; i < 120; i++ {
		r := h.do(t, req{method: "GET", path: "/v1/clients/acme-retail/inquiries", token: "not-a-jwt"})
		switch r.status {
		case http.StatusUnauthorized:
			unauth++
		case http.StatusTooManyRequests:
			limited++
			if r.header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
		default:
			t.Fatalf("status %d: %s", r.status, r.body)
		}
	}
	if unauth == 0 || limited == 0 || unauth > 60 {
		t.Fatalf("%d refused as unauthenticated, %d rate limited", unauth, limited)
	}
	if got := auditLines(t, h) - before; got != unauth {
		t.Fatalf("%d audit records for %d audited refusals", got, unauth)
	}
	m := h.do(t, req{method: "GET", path: "/metrics"})
	if !strings.Contains(string(m.body), "cxgate_unauthenticated_dropped_total "+strconv.Itoa(limited)) {
		t.Fatalf("dropped counter missing or wrong (want %d)", limited)
	}
	// A valid expert from the same address is not affected.
	if r := h.do(t, req{method: "GET", path: "/v1/clients/acme-retail/inquiries", token: h.expert(t, "tier1-basic").Token}); r.status != http.StatusOK {
		t.Fatalf("valid expert after the flood: %d", r.status)
	}
}

func auditLines(t *testing.T, h *harness) int {
	t.Helper()
	b, err := os.ReadFile(h.env.AuditPath)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(b, []byte("\n"))
}
