package hostile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestHostileBodies: oversized, deeply nested, malformed and mistyped
// bodies on the operation and filter routes. Each is refused with the
// documented problem (413 payload_too_large, 415 unsupported_media_type,
// 400 invalid_params) before anything reaches a sandbox.
func TestHostileBodies(t *testing.T) {
	g := gateway(t)
	t1 := g.expert(t, "tier1-basic")
	max := int(g.env.App.Config.Limits.MaxBody)
	nest := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	getOrder := func(b string) req { return op("acme-retail", "order_status", "get_order", b) }
	comment := func(b string) req { return op("globex-saas", "ticket_status", "add_private_comment", b) }
	filter := func(b string) req {
		return req{method: http.MethodPost, path: "/v1/clients/acme-retail/filter", header: http.Header{"Content-Type": {"application/json"}}, body: []byte(b)}
	}
	withType := func(r req, ct string) req {
		r.header = http.Header{}
		if ct != "" {
			r.header.Set("Content-Type", ct)
		}
		return r
	}
	huge := `{"params":{"order_number":"#1001"},"input":{"note":"` + strings.Repeat("a", max) + `"}}`
	for _, tc := range []struct {
		name   string
		r      req
		status int
		code   string
	}{
		{"body over max_body", getOrder(huge), 413, "payload_too_large"},
		{"filter text over max_body", filter(`{"text":"` + strings.Repeat("a", max) + `"}`), 413, "payload_too_large"},
		{"nested 33 deep in a param", getOrder(`{"params":{"order_number":` + nest(33) + `}}`), 400, "invalid_params"},
		{"nested 100 000 deep", getOrder(`{"params":{"order_number":` + nest(100000) + `}}`), 400, "invalid_params"},
		{"nested objects 10 000 deep in input", comment(`{"params":{"id":4101},"input":` + strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000) + `}`), 400, "invalid_params"},
		{"invalid UTF-8 in a param", getOrder("{\"params\":{\"order_number\":\"#1001\xff\"}}"), 400, "invalid_params"},
		{"invalid UTF-8 in a param name", getOrder("{\"params\":{\"order_number\":\"#1001\",\"\xff\xfe\":\"x\"}}"), 400, "invalid_params"},
		{"invalid UTF-8 in written text", comment("{\"params\":{\"id\":4101},\"input\":{\"comment\":{\"body\":\"ok \xc3\x28 \xed\xa0\x80\",\"public\":false}}}"), 400, "invalid_params"},
		{"invalid UTF-8 in filter text", filter("{\"text\":\"maya\xff@example.com\"}"), 400, "invalid_params"},
		{"overlong UTF-8 slash", getOrder("{\"params\":{\"order_number\":\"\xc0\xaf1001\"}}"), 400, "invalid_params"},
		{"UTF-8 byte order mark", getOrder("\xef\xbb\xbf{\"params\":{\"order_number\":\"#1001\"}}"), 400, "invalid_params"},
		{"huge exponent as an integer param", comment(`{"params":{"id":1e999999},"input":{"status":"pending"}}`), 400, "invalid_params"},
		{"huge exponent in input", comment(`{"params":{"id":4101},"input":{"comment":{"public":1e999999}}}`), 400, "invalid_params"},
		{"100 000 digits", comment(`{"params":{"id":` + strings.Repeat("9", 100000) + `},"input":{"status":"pending"}}`), 400, "invalid_params"},
		{"negative zero id", comment(`{"params":{"id":-0},"input":{"status":"pending"}}`), 400, "invalid_params"},
		{"NaN", comment(`{"params":{"id":NaN},"input":{"status":"pending"}}`), 400, "invalid_params"},
		{"Infinity", comment(`{"params":{"id":Infinity},"input":{"status":"pending"}}`), 400, "invalid_params"},
		{"hex number", comment(`{"params":{"id":0x1005},"input":{"status":"pending"}}`), 400, "invalid_params"},
		{"__proto__ as a param", getOrder(`{"params":{"order_number":"#1001","__proto__":{"admin":true}}}`), 400, "invalid_params"},
		{"constructor.prototype as a param", getOrder(`{"params":{"order_number":"#1001","constructor":{"prototype":{"tier":9}}}}`), 400, "invalid_params"},
		{"__proto__ at the top", getOrder(`{"params":{"order_number":"#1001"},"__proto__":{"tier":9}}`), 400, "invalid_params"},
		{"__proto__ in input", comment(`{"params":{"id":4101},"input":{"__proto__":{"status":"closed"}}}`), 400, "invalid_params"},
		{"unknown top-level member", getOrder(`{"params":{"order_number":"#1001"},"tier":9}`), 400, "invalid_params"},
		{"input on a read", getOrder(`{"params":{"order_number":"#1001"},"input":{"note":"x"}}`), 400, "invalid_params"},
		{"input path and nested object for the same field", comment(`{"params":{"id":4101},"input":{"comment.body":"a","comment":{"body":"b"}}}`), 400, "invalid_params"},
		{"enum value of another type", comment(`{"params":{"id":4101},"input":{"comment":{"public":0}}}`), 400, "invalid_params"},
		{"enum value outside the list", comment(`{"params":{"id":4101},"input":{"status":"closed"}}`), 400, "invalid_params"},
		{"top-level array", getOrder(`[{"params":{"order_number":"#1001"}}]`), 400, "invalid_params"},
		{"top-level string", getOrder(`"#1001"`), 400, "invalid_params"},
		{"two objects", getOrder(`{"params":{"order_number":"#1001"}}{"params":{"order_number":"#1002"}}`), 400, "invalid_params"},
		{"trailing garbage", getOrder(`{"params":{"order_number":"#1001"}} x`), 400, "invalid_params"},
		{"comment in JSON", getOrder(`{"params":{"order_number":"#1001" /* x */}}`), 400, "invalid_params"},
		{"single quotes", getOrder(`{'params':{'order_number':'#1001'}}`), 400, "invalid_params"},
		{"truncated", getOrder(`{"params":{"order_number":"#10`), 400, "invalid_params"},
		{"empty body", getOrder(``), 400, "invalid_params"},
		{"whitespace body", getOrder(" \r\n\t "), 400, "invalid_params"},
		{"null body", getOrder(`null`), 400, "invalid_params"},
		{"params as a list", getOrder(`{"params":["#1001"]}`), 400, "invalid_params"},
		{"text/plain", withType(getOrder(`{"params":{"order_number":"#1001"}}`), "text/plain"), 415, "unsupported_media_type"},
		{"form-encoded", withType(getOrder(`params[order_number]=%231001`), "application/x-www-form-urlencoded"), 415, "unsupported_media_type"},
		{"multipart", withType(getOrder("--x\r\n\r\n{}\r\n--x--"), "multipart/form-data; boundary=x"), 415, "unsupported_media_type"},
		{"malformed media type", withType(getOrder(`{"params":{"order_number":"#1001"}}`), "application/json; ;"), 415, "unsupported_media_type"},
		{"XML", withType(getOrder(`<params><order_number>#1001</order_number></params>`), "application/xml"), 415, "unsupported_media_type"},
		{"JSON declared as UTF-16", withType(getOrder("\xff\xfe{\x00}\x00"), "application/json; charset=utf-16"), 400, "invalid_params"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g.noUpstream(t, func() {
				g.wantProblem(t, g.send(t, tc.r.as(t1)), tc.status, tc.code)
			})
		})
	}
}

// TestChunkedBodyOverLimit: a body sent without a length (chunked) is cut
// at max_body while it is read: 413, nothing upstream.
func TestChunkedBodyOverLimit(t *testing.T) {
	g := gateway(t)
	t1 := g.expert(t, "tier1-basic")
	max := int(g.env.App.Config.Limits.MaxBody)
	payload := []byte(`{"params":{"order_number":"#1001"},"input":{"note":"` + strings.Repeat("a", max) + `"}}`)
	var chunked bytes.Buffer
	for len(payload) > 0 {
		n := min(len(payload), 64<<10)
		fmt.Fprintf(&chunked, "%x\r\n%s\r\n", n, payload[:n])
		payload = payload[n:]
	}
	chunked.WriteString("0\r\n\r\n")
	r := req{method: http.MethodPost, path: "/v1/clients/acme-retail/inquiries/returns/operations/add_return_note",
		header: http.Header{"Content-Type": {"application/json"}, "Transfer-Encoding": {"chunked"}}}
	g.noUpstream(t, func() {
		a := g.sendRaw(t, r.as(t1), chunked.Bytes())
		g.wantProblem(t, a, 413, "payload_too_large")
	})
}

// TestDuplicateKeys: a body may name a param, an input or a member twice.
// The gateway decodes it once with encoding/json, where the last
// occurrence wins, and that decoded value is the one checked and the one
// sent on: the answer, the sandbox's request and the written record all
// show the last value, and an invalid last value is refused whatever came
// before it.
func TestDuplicateKeys(t *testing.T) {
	g := gateway(t)
	t1 := g.expert(t, "tier1-basic")
	name := func(a answer) string {
		var r struct {
			Data struct {
				Name string `json:"name"`
			} `json:"data"`
		}
		_ = json.Unmarshal(a.body, &r)
		return r.Data.Name
	}
	g.clearUpstream()
	a := g.send(t, op("acme-retail", "order_status", "get_order", `{"params":{"order_number":"#1002","order_number":"#1001"}}`).as(t1))
	if a.status != 200 || name(a) != "#1001" {
		t.Errorf("duplicate param: %d %q, want the last value #1001", a.status, name(a))
	}
	for _, r := range g.env.Sandboxes.Shopify.Requests() {
		if bytes.Contains(r.Body, []byte("1002")) {
			t.Errorf("the first value reached Shopify: %s", r.Body)
		}
	}
	a = g.send(t, op("acme-retail", "order_status", "get_order", `{"params":{"order_number":"x' OR name:*"},"params":{"order_number":"#1003"}}`).as(t1))
	if a.status != 200 || name(a) != "#1003" {
		t.Errorf("duplicate params member: %d %q, want #1003", a.status, name(a))
	}
	g.noUpstream(t, func() {
		g.wantProblem(t, g.send(t, op("acme-retail", "order_status", "get_order", `{"params":{"order_number":"#1001","order_number":"#1001 OR name:*"}}`).as(t1)), 400, "invalid_params")
		g.wantProblem(t, g.send(t, op("globex-saas", "ticket_status", "add_private_comment", `{"params":{"id":4102},"input":{"status":"pending","status":"closed"}}`).as(t1)), 400, "invalid_params")
	})
	for _, order := range [][2]string{{"solved", "open"}, {"open", "solved"}} {
		a := g.send(t, op("globex-saas", "ticket_status", "add_private_comment", fmt.Sprintf(`{"params":{"id":4102},"input":{"status":%q,"status":%q}}`, order[0], order[1])).as(t1))
		if a.status != 200 {
			t.Fatalf("duplicate input: %d %s", a.status, a.body)
		}
		rec, ok := g.env.Sandboxes.Zendesk.Lookup("ticket", "4102")
		if !ok || rec["status"] != order[1] {
			t.Errorf("input status given as %v: the ticket holds %v, want the last value", order, rec["status"])
		}
	}
}
