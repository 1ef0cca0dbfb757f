package gateway_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/gateway"
	"github.com/cxgate/cxgate/gateway/dev"
	"github.com/cxgate/cxgate/pii"
)

// TestRequestTextStaysOutOfMetricsAuditAndLogs sends requests whose
// client, inquiry and operation names look like personal data, then reads
// /metrics: the cxgate_* families are there, none of the planted text is,
// and every label value is a name from the loaded scopes or config or a
// fixed word. Neither the answers, the audit log nor the debug log quote
// the planted names either.
func TestRequestTextStaysOutOfMetricsAuditAndLogs(t *testing.T) {
	h := start(t, dev.Options{})
	t1 := h.expert(t, "tier1-basic").Token
	planted := []string{"maya.okafor@example.com", "oliver-bennett-447700900123", "maya_okafor_example_com",
		"card_4111111111111111", "4111111111111111", "447700900123", "okafor", "bennett", "02079460321"}
	paths := []string{
		"/v1/clients/maya.okafor@example.com/inquiries",
		"/v1/clients/oliver-bennett-447700900123/inquiries/order_status/operations/get_order",
		"/v1/clients/acme-retail/inquiries/maya_okafor_example_com/operations/get_order",
		"/v1/clients/acme-retail/inquiries/order_status/operations/card_4111111111111111",
		"/v1/clients/4111111111111111/filter",
		"/v1/clients/acme-retail/secrets/02079460321",
	}
	var answers []string
	for _, p := range paths {
		for _, tok := range []string{"", t1} {
			method := "POST"
			if strings.HasSuffix(p, "/inquiries") || strings.Contains(p, "/secrets/") {
				method = "GET"
			}
			r := h.do(t, req{method: method, path: p, token: tok, body: getOrder})
			if r.status < 400 {
				t.Fatalf("%s %s answered %d", method, p, r.status)
			}
			answers = append(answers, string(r.body))
		}
	}
	// Some successful traffic, so every family has samples.
	decode(t, h.run(t, "tier1-basic", "acme-retail", "order_status", "get_order", getOrder), &map[string]any{})
	decode(t, h.do(t, req{method: "POST", path: "/v1/clients/acme-retail/filter", token: t1,
		body: `{"text":"I am maya.okafor@example.com, card 4111 1111 1111 1111","mode":"tokenize"}`}), &map[string]any{})
	decode(t, h.run(t, "tier1-basic", "initech-service", "case_status", "get_case", `{"params":{"case_number":"00001027"}}`), &map[string]any{})

	r := h.do(t, req{method: "GET", path: "/metrics"})
	if r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	text := string(r.body)
	audit, err := os.ReadFile(h.env.AuditPath)
	if err != nil {
		t.Fatal(err)
	}
	places := map[string]string{"/metrics": text, "the audit log": string(audit), "the log": h.logs.String(),
		"an answer": strings.Join(answers, "\n")}
	for where, content := range places {
		for _, p := range planted[:3] {
			if strings.Contains(strings.ToLower(content), strings.ToLower(p)) {
				t.Errorf("%s holds %q", where, p)
			}
		}
	}
	for _, p := range planted {
		if strings.Contains(strings.ToLower(text), strings.ToLower(p)) {
			t.Errorf("/metrics holds %q", p)
		}
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(r.body))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	for _, name := range []string{"cxgate_requests_total", "cxgate_request_duration_seconds", "cxgate_connector_call_duration_seconds",
		"cxgate_tokenizer_call_duration_seconds", "cxgate_tokens_minted_total", "cxgate_filter_findings_total"} {
		if fams[name] == nil || len(fams[name].Metric) == 0 {
			t.Errorf("/metrics has no samples of %s", name)
		}
	}

	allowed := map[string]bool{"": true, "unknown": true, "v1": true}
	set := h.env.App.Server.Policy().Set
	for _, c := range set.Clients() {
		allowed[c.ID], allowed[c.Connection] = true, true
		for _, q := range c.Inquiries {
			allowed[q.ID] = true
			for _, o := range q.Operations {
				allowed[o.ID], allowed[o.Resource], allowed[string(o.Action)] = true, true, true
			}
		}
	}
	for _, typ := range pii.All() {
		allowed[string(typ)] = true
	}
	for _, w := range []string{"ok", "error", "unavailable", "tokenize", "detokenize", "hmac",
		string(connectors.KindNotFound), string(connectors.KindInvalid), string(connectors.KindUnauthorized), string(connectors.KindForbidden),
		string(connectors.KindRateLimited), string(connectors.KindUnavailable), string(connectors.KindTimeout),
		string(connectors.KindCanceled), string(connectors.KindUpstream), string(connectors.KindUnknown),
		gateway.CodeUnauthenticated, gateway.CodeForbidden, gateway.CodeMFARequired, gateway.CodeTierTooLow,
		gateway.CodeLocationDenied, gateway.CodeNotFound, gateway.CodeInvalidParams, gateway.CodeRateLimited,
		gateway.CodeUpstreamUnavailable, gateway.CodeUpstreamError, gateway.CodeTokenizerUnavailable, gateway.CodeInternal,
		gateway.CodeAuditUnavailable, gateway.CodePayloadTooLarge, gateway.CodeMethodNotAllowed, gateway.CodeUnsupportedMedia,
		gateway.CodeIdempotencyConflict} {
		allowed[w] = true
	}
	for name, fam := range fams {
		if !strings.HasPrefix(name, "cxgate_") {
			continue
		}
		for _, m := range fam.Metric {
			for _, lp := range m.Label {
				if lp.GetName() == "le" {
					continue
				}
				if !allowed[lp.GetValue()] {
					t.Errorf("%s{%s=%q}: a label value that is neither a scope name nor a fixed word", name, lp.GetName(), lp.GetValue())
				}
			}
		}
	}
	// The refused requests were counted under "unknown", not their names.
	if !strings.Contains(text, `cxgate_requests_total{client="unknown",inquiry="",operation="",outcome="forbidden"}`) {
		t.Errorf("refused requests for unknown clients are not counted under client=\"unknown\"")
	}
}
