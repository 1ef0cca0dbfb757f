package hostile

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/cxgate/cxgate/pii"
)

const maya = "maya.okafor@example.com"

// body builds an operation body from params and input.
func body(t *testing.T, params map[string]any, input map[string]any) string {
	t.Helper()
	m := map[string]any{"params": params}
	if input != nil {
		m["input"] = input
	}
	return string(mustJSON(t, m))
}

// TestTamperedTokens: token params and token inputs carrying tokens of
// another client, another PII type, tampered, truncated, re-versioned or
// re-typed are invalid_params naming the param; the answer never repeats
// the token, and nothing (neither a lookup nor a write) reaches a sandbox.
func TestTamperedTokens(t *testing.T) {
	g := gateway(t)
	t1 := g.expert(t, "tier1-basic")
	t2 := g.expert(t, "tier2-gb")

	good := g.token(t, "acme-retail", pii.Email, maya)
	// The control: the honest token finds Maya's orders.
	g.clearUpstream()
	a := g.send(t, op("acme-retail", "order_status", "find_orders_by_email", body(t, map[string]any{"email": good}, nil)).as(t1))
	if a.status != 200 || g.upstream() == 0 {
		t.Fatalf("control: honest token: %d %s", a.status, a.body)
	}

	// Minted by the gateway itself for another client (the filter route in
	// tokenize mode), as an expert of both clients could.
	fa := g.send(t, req{method: http.MethodPost, path: "/v1/clients/globex-saas/filter", header: http.Header{"Content-Type": {"application/json"}},
		body: []byte(`{"text":"write to ` + maya + `","mode":"tokenize"}`)}.as(t1))
	var fr struct{ Text string }
	if err := json.Unmarshal(fa.body, &fr); err != nil || fa.status != 200 {
		t.Fatalf("filter: %d %s", fa.status, fa.body)
	}
	spans := pii.FindTokens(fr.Text)
	if len(spans) != 1 {
		t.Fatalf("filter minted %d tokens: %q", len(spans), fr.Text)
	}
	globexViaFilter := fr.Text[spans[0].Start:spans[0].End]

	bad := append(mutations(t, g, pii.Email, maya),
		badToken{"another client, minted by the filter route", globexViaFilter},
		badToken{"the plain value", maya})
	street := "1 Example Street"
	badInputs := append(mutations(t, g, pii.Address, street),
		badToken{"a postcode token", g.token(t, "acme-retail", pii.Postcode, street)},
		badToken{"the plain value", street})
	for _, b := range bad {
		t.Run("param/"+b.name, func(t *testing.T) {
			g.noUpstream(t, func() {
				a := g.send(t, op("acme-retail", "order_status", "find_orders_by_email", body(t, map[string]any{"email": b.token}, nil)).as(t1))
				p := g.wantProblem(t, a, 400, "invalid_params", b.token)
				if len(p.Params) != 1 || p.Params[0].Name != "email" {
					t.Errorf("params %+v, want the email param named", p.Params)
				}
			})
		})
		// Beside a valid lookup param: still nothing is fetched.
		t.Run("param beside a valid one/"+b.name, func(t *testing.T) {
			g.noUpstream(t, func() {
				a := g.send(t, op("acme-retail", "order_status", "get_order", body(t, map[string]any{"order_number": "#1001", "email": b.token}, nil)).as(t1))
				g.wantProblem(t, a, 400, "invalid_params", b.token)
			})
		})
	}
	// The control for inputs: the honest token is written (to another
	// order, so the seeded order #1001 stays as it is).
	g.clearUpstream()
	in := map[string]any{"shipping_address": map[string]any{"address1": g.token(t, "acme-retail", pii.Address, street), "city": "Leeds"}}
	a = g.send(t, op("acme-retail", "address_change", "change_shipping_address", body(t, map[string]any{"order_number": "#1003"}, in)).as(t2))
	if a.status != 200 || g.upstream() == 0 {
		t.Fatalf("control: honest address token: %d %s", a.status, a.body)
	}
	for _, b := range badInputs {
		// As a write input: nothing is written.
		t.Run("input/"+b.name, func(t *testing.T) {
			g.noUpstream(t, func() {
				in := map[string]any{"shipping_address": map[string]any{"address1": b.token, "city": "Leeds"}}
				a := g.send(t, op("acme-retail", "address_change", "change_shipping_address", body(t, map[string]any{"order_number": "#1001"}, in)).as(t2))
				g.wantProblem(t, a, 400, "invalid_params", b.token)
			})
		})
	}
	// The other connectors' token params.
	for _, tc := range []struct {
		client, inquiry, operation, param string
	}{
		{"globex-saas", "ticket_status", "find_tickets_by_email", "requester_email"},
		{"initech-service", "case_status", "find_cases_by_email", "email"},
	} {
		t.Run(tc.client+"/acme token", func(t *testing.T) {
			g.noUpstream(t, func() {
				a := g.send(t, op(tc.client, tc.inquiry, tc.operation, body(t, map[string]any{tc.param: good}, nil)).as(t1))
				g.wantProblem(t, a, 400, "invalid_params", good)
			})
		})
	}
}

type badToken struct{ name, token string }

// mutations are the ways a token of typ for value can be wrong for
// acme-retail: minted elsewhere, for another type, or altered.
func mutations(t *testing.T, g *gw, typ pii.Type, value string) []badToken {
	t.Helper()
	good := g.token(t, "acme-retail", typ, value)
	tok, err := pii.ParseToken(good)
	if err != nil {
		t.Fatal(err)
	}
	other := pii.Phone
	if typ == pii.Phone {
		other = pii.Email
	}
	otherTok := g.token(t, "acme-retail", other, value)
	withVersion := func(v int) string { x := tok; x.Version = v; return x.String() }
	prefix := len(good) - len(strings.SplitN(good, "_", 4)[3])
	tamper := func(i int) string {
		b := []byte(good)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	hashes, err := g.env.Tokenizer.HMAC(t.Context(), "acme-retail", []pii.Item{{Type: typ, Value: value}})
	if err != nil {
		t.Fatal(err)
	}
	slug := "_" + typ.Slug() + "_"
	return []badToken{
		{"another client", g.token(t, "globex-saas", typ, value)},
		{"another PII type", otherTok},
		{"type text swapped", strings.Replace(otherTok, "_"+other.Slug()+"_", slug, 1)},
		{"payload byte flipped (start)", tamper(prefix + 2)},
		{"payload byte flipped (middle)", tamper(prefix + (len(good)-prefix)/2)},
		{"truncated by 4", good[:len(good)-4]},
		{"truncated to half", good[:prefix+(len(good)-prefix)/2]},
		{"payload doubled", good + good[prefix:]},
		{"version 2", withVersion(2)},
		{"version 99", withVersion(99)},
		{"version 0", strings.Replace(good, "_v1_", "_v0_", 1)},
		{"a hash, not a token", hashes[0]},
		{"upper-case prefix", strings.ToUpper(good[:prefix]) + good[prefix:]},
		{"trailing newline", good + "\n"},
		{"trailing space", good + " "},
		{"leading space", " " + good},
		{"two tokens", good + " " + good},
		{"padding added", good + "=="},
		{"standard base64 characters", good[:prefix] + strings.NewReplacer("-", "+", "_", "/").Replace(good[prefix:]) + "+/"},
		{"empty", ""},
	}
}
