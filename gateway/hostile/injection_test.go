package hostile

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/cxgate/cxgate/connectors/sandbox"
	sfsandbox "github.com/cxgate/cxgate/connectors/sandbox/salesforce"
	shopsandbox "github.com/cxgate/cxgate/connectors/sandbox/shopify"
	zdsandbox "github.com/cxgate/cxgate/connectors/sandbox/zendesk"
	"github.com/cxgate/cxgate/pii"
	"github.com/cxgate/cxgate/scopes"
)

// injections are values that change what a query means when pasted into
// one naively: SOQL, Zendesk and Shopify search syntax, quotes and
// backslashes, look-alike characters, NUL and control characters, and
// values far longer than any lookup key.
var injections = []string{
	`'`, `"`, `\`, `\'`, `\\'`, `''`,
	`x' OR Name != '`,
	`maya.okafor@example.com' OR ContactEmail != '`,
	`' OR '1'='1`,
	`\' OR Id != null OR Id = \'`,
	`x') OR (Name LIKE '%`,
	`%`, `_`,
	`x type:user`,
	`maya.okafor@example.com type:user`,
	`-status:closed`,
	`maya.okafor@example.com -status:closed`,
	`*`,
	`requester:*`,
	`order_by:created sort:asc`,
	`maya@example.com OR status:open`,
	`maya.okafor@example.com OR email:*`,
	`x@example.com" OR email:*`,
	`x@example.com\" OR email:*`,
	`)`, `(`, `(maya@example.com OR name:1001)`,
	`*@example.com`, `maya*@example.com`, `maya.okafor@example.com*`, `-maya.okafor@example.com`,
	`#1001 OR 1=1`, `1001; DROP TABLE orders`, `#1001)`, `1001*`, `#100*`, `4101 OR 1=1`, `00001027' OR '1'='1`,
	"maya.okafor@ex\u0430mple.com",    // Cyrillic a
	"\uff4daya.okafor@example.com",    // fullwidth m
	"maya.okafor@example.com\u200b",   // zero-width space
	"\uff0a",                          // fullwidth asterisk
	"\uff07 OR \uff071\uff07=\uff071", // fullwidth apostrophes
	"\u0661\u0660\u0660\u0661",        // Arabic-Indic 1001
	"#\uff11\uff10\uff10\uff11",       // fullwidth 1001
	"CD656092\u200d",
	"maya.okafor@example.com\x00' OR '1'='1",
	"\x00",
	"maya.okafor@example.com\r\nX-Injected: 1",
	"maya\tokafor@example.com",
	"\x1b[31m",
	"maya.okafor@example.com\u2028type:user",
	"maya.okafor@example.com\u0085",
	strings.Repeat("a", 10000) + "@example.com",
	strings.Repeat("'", 600),
	strings.Repeat(`\`, 513),
}

// jsonInjections are params of the wrong JSON kind: a list (two lookups
// at once?), objects in the style of query operators, huge numbers.
var jsonInjections = []string{
	`["#1001","#1002"]`, `[4101,4102]`, `{"$ne":null}`, `{"op":"OR","value":"*"}`, `true`, `1e400`, `-1`, `-0.5`, `4101.5`, `""`, `{}`, `[]`,
}

// honest are valid values for the example operations' lookup params.
var honest = map[string]any{
	"acme-retail/order_number":                  "#1001",
	"globex-saas/id":                            4101,
	"globex-saas/ticket_id":                     4101,
	"globex-saas/get_organization/id":           509974001,
	"initech-service/case_number":               "00001027",
	"initech-service/account_number":            "CD656092",
	"initech-service/get_contact/id":            "003RO00000Y1abcYAB",
	"acme-retail/add_return_note/input":         map[string]any{"note": "Return label sent."},
	"acme-retail/change_shipping_address/input": map[string]any{"shipping_address": map[string]any{"city": "Leeds"}},
	"globex-saas/add_private_comment/input":     map[string]any{"status": "pending"},
	"initech-service/update_case/input":         map[string]any{"Status": "Working"},
}

func honestValue(t *testing.T, g *gw, client string, o *scopes.Operation, p *scopes.Param) any {
	t.Helper()
	if p.Type == scopes.ParamToken {
		return g.token(t, client, p.PII, maya)
	}
	for _, k := range []string{client + "/" + o.ID + "/" + p.Name, client + "/" + p.Name} {
		if v, ok := honest[k]; ok {
			return v
		}
	}
	t.Fatalf("no honest value for %s/%s param %s", client, o.ID, p.Name)
	return nil
}

// operations lists every operation of the example scopes.
func operations(g *gw) []target {
	var out []target
	set := g.env.App.Server.Policy().Set
	for _, c := range set.Clients() {
		for _, q := range c.Inquiries {
			for _, o := range q.Operations {
				out = append(out, target{client: c.ID, inquiry: q.ID, op: o})
			}
		}
	}
	return out
}

type target struct {
	client, inquiry string
	op              *scopes.Operation
}

func (tg target) name() string { return tg.client + "/" + tg.inquiry + "/" + tg.op.ID }

// TestInjectionThroughEveryParam sends every injection, and every value of
// the wrong JSON kind, as the value of every param of every example
// operation (the other params honest), as the expert who may run them
// all. Each is refused as invalid_params naming the param (the scope's
// pattern, the param's type, or a token that is not one), the answer does
// not repeat the value, and nothing is sent to a sandbox. A control shows
// the honest value of the same param is answered by the client's system.
func TestInjectionThroughEveryParam(t *testing.T) {
	g := gateway(t)
	x := g.expert(t, "tier3-partner")
	for _, tg := range operations(g) {
		for _, p := range tg.op.Params {
			t.Run(tg.name()+"/"+p.Name, func(t *testing.T) {
				params := map[string]any{}
				for _, q := range tg.op.Params {
					if q.Required || q.Type == scopes.ParamToken && q != p {
						params[q.Name] = honestValue(t, g, tg.client, tg.op, q)
					}
				}
				input, _ := honest[tg.client+"/"+tg.op.ID+"/input"].(map[string]any)
				send := func(v any) answer {
					params[p.Name] = v
					return g.send(t, op(tg.client, tg.inquiry, tg.op.ID, body(t, params, input)).as(x))
				}
				// The control: the honest value gets an answer from the
				// client's system (not_found for the optional email check
				// is still an answer from it). Updates are not repeated
				// here: the honest write is the tokens test's control.
				if tg.op.Action != scopes.Update {
					before := g.upstream()
					a := send(honestValue(t, g, tg.client, tg.op, p))
					if a.status != 200 || g.upstream() == before {
						t.Fatalf("control: honest %s: %d %.200s", p.Name, a.status, a.body)
					}
				}
				for _, v := range injections {
					g.noUpstream(t, func() {
						pr := g.wantProblem(t, send(v), 400, "invalid_params", v)
						if len(pr.Params) == 0 || pr.Params[0].Name != p.Name {
							t.Errorf("%.40q: params %+v, want %s named", v, pr.Params, p.Name)
						}
					})
				}
				for _, raw := range jsonInjections {
					g.noUpstream(t, func() {
						a := send(json.RawMessage(raw))
						g.wantProblem(t, a, 400, "invalid_params")
					})
				}
			})
		}
	}
}

// TestInjectionInsideTokens sends every injection inside a valid token of
// the right client and type (as if the customer had typed it and the
// filter had tokenized it) through every token param. The connector
// receives it as one literal, which the sandbox's own parsers confirm
// (checkQueries), and it matches nothing: a search answers no records and
// a read answers not_found, never more than the honest lookup; or the
// connector refuses it as invalid_params. No answer repeats the value.
//
// The connectors' client-side rate limits pace these calls (Shopify 4/s,
// Zendesk 400/min), so the three clients run in parallel; each inspects
// only its own sandbox.
func TestInjectionInsideTokens(t *testing.T) {
	g := gateway(t)
	x := g.expert(t, "tier3-partner")
	byClient := map[string][]target{}
	for _, tg := range operations(g) {
		byClient[tg.client] = append(byClient[tg.client], tg)
	}
	for client, targets := range byClient {
		t.Run(client, func(t *testing.T) {
			t.Parallel()
			sb := g.sandboxOf(t, client)
			for _, tg := range targets {
				for _, p := range tg.op.Params {
					if p.Type != scopes.ParamToken {
						continue
					}
					params := map[string]any{}
					for _, q := range tg.op.Params {
						if q.Required || q.Type == scopes.ParamToken {
							params[q.Name] = honestValue(t, g, tg.client, tg.op, q)
						}
					}
					send := func(v any) answer {
						params[p.Name] = v
						return g.send(t, op(tg.client, tg.inquiry, tg.op.ID, body(t, params, nil)).as(x))
					}
					// The control: the honest token finds records.
					sb.ClearRequests()
					if a := send(honestValue(t, g, tg.client, tg.op, p)); a.status != 200 || len(sb.Requests()) == 0 {
						t.Fatalf("%s/%s: control: %d %.200s", tg.name(), p.Name, a.status, a.body)
					}
					for _, v := range injections {
						tok, err := g.env.Tokenizer.Tokenize(t.Context(), tg.client, []pii.Item{{Type: p.PII, Value: v}})
						if err != nil {
							continue // the tokenizer refuses it (too long): nothing to send
						}
						sb.ClearRequests()
						a := send(tok[0])
						checkQueries(t, sb, v)
						switch a.status {
						case 200:
							var res struct {
								Data json.RawMessage `json:"data"`
							}
							if err := json.Unmarshal(a.body, &res); err != nil {
								t.Fatal(err)
							}
							if string(res.Data) != "[]" {
								t.Errorf("%s/%s: %.60q inside a token matched records: %.300s", tg.name(), p.Name, v, a.body)
							}
						case 404:
							g.wantProblem(t, a, 404, "not_found", v)
						case 400:
							g.wantProblem(t, a, 400, "invalid_params", v, tok[0])
						default:
							t.Errorf("%s/%s: %.60q inside a token: status %d: %.300s", tg.name(), p.Name, v, a.status, a.body)
						}
						g.noLeak(t, a.body, v)
					}
				}
			}
		})
	}
}

// recorded is what the tests read from a sandbox.
type recorded interface {
	Requests() []sandbox.Request
	ClearRequests()
}

// sandboxOf is the sandbox serving a client's connection.
func (g *gw) sandboxOf(t *testing.T, client string) recorded {
	t.Helper()
	c, ok := g.env.App.Server.Policy().Set.Client(client)
	if !ok {
		t.Fatalf("no client %s", client)
	}
	switch c.Connection {
	case "initech-salesforce":
		return g.env.Sandboxes.Salesforce
	case "globex-zendesk":
		return g.env.Sandboxes.Zendesk
	case "acme-shopify":
		return g.env.Sandboxes.Shopify
	}
	t.Fatalf("no sandbox for connection %s", c.Connection)
	return nil
}

var digits = regexp.MustCompile(`^[1-9][0-9]*$`)

// checkQueries reads back, with the sandbox's own parsers, every query a
// connector sent to sb since it was cleared, and fails unless each
// compares the lookup key with exactly value, as one literal, and nothing
// else: no OR beyond the connector's own, no negation, wildcard, prefix,
// ordering directive or second term.
func checkQueries(t *testing.T, sb recorded, value string) {
	t.Helper()
	var problems []string
	if zd, ok := sb.(*zdsandbox.Server); ok {
		for _, s := range zd.Searches() {
			problems = append(problems, zendeskProblems(s.Endpoint, s.Query, value)...)
		}
	}
	for _, r := range sb.Requests() {
		if q := r.Query.Get("q"); q != "" {
			problems = append(problems, soqlProblems(q, value)...)
		}
		if len(r.Body) > 0 && strings.HasSuffix(r.Path, "/graphql.json") {
			problems = append(problems, shopifyProblems(r.Body, value)...)
		}
	}
	for _, p := range problems {
		t.Errorf("%.40q: %s", value, p)
	}
}

func soqlProblems(q, value string) []string {
	s, err := sfsandbox.ParseSOQL(q)
	if err != nil {
		return []string{fmt.Sprintf("the connector sent SOQL that does not parse (%v): %.300s", err, q)}
	}
	if err := soqlLiteralOnly(s.Where, value); err != nil {
		return []string{fmt.Sprintf("SOQL WHERE %s: %v", s.Where, err)}
	}
	return nil
}

func zendeskProblems(endpoint string, q zdsandbox.Query, value string) []string {
	var out []string
	if q.OrderBy != "" || q.Sort != "" {
		out = append(out, fmt.Sprintf("Zendesk query %q carries ordering directives", q.Raw))
	}
	switch endpoint {
	case "users/search":
		if len(q.Terms) != 1 || q.Terms[0].Field != "email" || !q.Terms[0].Phrase || q.Terms[0].Negated || q.Terms[0].Value != value {
			out = append(out, fmt.Sprintf("Zendesk users/search %q parsed as %+v", q.Raw, q.Terms))
		}
	case "search":
		if len(q.Terms) != 2 || q.Terms[0].Field != "type" || q.Terms[0].Value != "ticket" || q.Terms[1].Field != "requester" ||
			q.Terms[1].Negated || q.Terms[1].Wildcard || !digits.MatchString(q.Terms[1].Value) {
			out = append(out, fmt.Sprintf("Zendesk search %q parsed as %+v", q.Raw, q.Terms))
		}
	default:
		out = append(out, "unexpected Zendesk search endpoint "+endpoint)
	}
	return out
}

// shopifyProblems reads a GraphQL request: the value travels only in the
// variables, and the search variable parses, without repairs, as a
// conjunction of quoted terms on fixed keys.
func shopifyProblems(body []byte, value string) []string {
	var gql struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	if err := json.Unmarshal(body, &gql); err != nil || gql.Query == "" {
		return nil
	}
	var out []string
	if len(value) >= 6 && strings.Contains(gql.Query, value) {
		out = append(out, "the value is in the GraphQL document, not only in its variables")
	}
	q, ok := gql.Variables["q"].(string)
	if !ok {
		return out
	}
	sq := shopsandbox.ParseSearch(q)
	if len(sq.Repairs) > 0 {
		out = append(out, fmt.Sprintf("Shopify query %q needed repairs: %v", q, sq.Repairs))
	}
	if _, isTerm := sq.Root.(*shopsandbox.Term); !isTerm && !isAndOfTerms(sq.Root) {
		out = append(out, fmt.Sprintf("Shopify query %q is not a conjunction of terms", q))
	}
	for _, tm := range sq.Terms() {
		if tm.Field == "" || !tm.Quoted || tm.Prefix || tm.Exists || tm.Field == "email" && tm.Value != value {
			out = append(out, fmt.Sprintf("Shopify query %q holds the term %+v", q, *tm))
		}
	}
	return out
}

// TestQueryChecksCatchNaiveQueries is the control for checkQueries: the
// injections pasted into queries the naive way (no quoting, or quotes
// without escaping) are caught by the same checks.
func TestQueryChecksCatchNaiveQueries(t *testing.T) {
	for _, tc := range []struct{ value, soql string }{
		{`x' OR Name != '`, `SELECT Id FROM Case WHERE ContactEmail = 'x' OR Name != ''`},
		{`maya.okafor@example.com' OR ContactEmail != '`, `SELECT Id FROM Case WHERE ContactEmail = 'maya.okafor@example.com' OR ContactEmail != ''`},
		{`%`, `SELECT Id FROM Case WHERE ContactEmail LIKE '%'`},
	} {
		if len(soqlProblems(tc.soql, tc.value)) == 0 {
			t.Errorf("SOQL %q passes the check", tc.soql)
		}
	}
	for _, v := range []string{`x type:user`, `-status:closed`, `*`, `maya.okafor@example.com type:user`, `order_by:created sort:asc`} {
		for _, naive := range []string{"email:" + v, "email:" + v + " x"} {
			if len(zendeskProblems("users/search", zdsandbox.ParseQuery(naive), v)) == 0 {
				t.Errorf("Zendesk %q passes the check", naive)
			}
		}
	}
	for _, v := range []string{`maya@example.com OR status:open`, `*`, `)`, `x@example.com" OR email:*`, `maya*@example.com`} {
		for _, naive := range []string{"email:" + v, `email:"` + v + `"`} {
			body := mustJSONAny(map[string]any{"query": "query Q($q: String!) { orders(query: $q) { nodes { id } } }", "variables": map[string]any{"q": naive}})
			if naive == `email:"`+v+`"` && !strings.ContainsAny(v, `"\`) {
				continue // quoting alone keeps these literal: not a naive query
			}
			if len(shopifyProblems(body, v)) == 0 {
				t.Errorf("Shopify %q passes the check", naive)
			}
		}
	}
}

func mustJSONAny(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func isAndOfTerms(n shopsandbox.SearchNode) bool {
	a, ok := n.(*shopsandbox.And)
	if !ok {
		return false
	}
	for _, x := range a.Xs {
		if _, ok := x.(*shopsandbox.Term); !ok {
			return false
		}
	}
	return true
}

// soqlLiteralOnly accepts a WHERE that is one equality, or an OR of
// equalities (a key matched on several fields), each against the string
// literal value.
func soqlLiteralOnly(e sfsandbox.Expr, value string) error {
	switch x := e.(type) {
	case *sfsandbox.Compare:
		if x.Op != "=" || x.Value.Kind != sfsandbox.LitString || x.Value.Value != value {
			return fmt.Errorf("compares %s %s %s", strings.Join(x.Field, "."), x.Op, x.Value)
		}
		return nil
	case *sfsandbox.Or:
		if err := soqlLiteralOnly(x.L, value); err != nil {
			return err
		}
		return soqlLiteralOnly(x.R, value)
	case nil:
		return fmt.Errorf("no WHERE clause")
	}
	return fmt.Errorf("unexpected condition %T", e)
}

// inputInjections are texts written through text inputs that would break
// out of a JSON body, a GraphQL document or a SOQL statement built by
// string concatenation. Each carries the marker INJECTED.
var inputInjections = []string{
	`x", "status": "INJECTED", "y": "`,
	`x\", \"Status\": \"INJECTED`,
	`'); DELETE FROM Case WHERE Subject LIKE '%INJECTED`,
	`") { id } } mutation INJECTED { orderUpdate(input: {id: "x"}) { order { id } } } #`,
	`{{INJECTED}} ${INJECTED} <script>INJECTED</script> %s %n`,
	"line one\r\nStatus: INJECTED\u2028\u0000",
	`\\\"INJECTED\\`,
}

// TestInjectionThroughInputs writes each injection through every text
// input of every example update. The write reaches the sandbox with the
// text as one JSON string (in the GraphQL variables, for Shopify), and
// the marker appears in no other member of the request. The answer is the
// written record, or invalid_params when the connector refuses the value
// (Shopify's province input takes a province code).
func TestInjectionThroughInputs(t *testing.T) {
	g := gateway(t)
	x := g.expert(t, "tier3-partner")
	for _, tg := range operations(g) {
		if tg.op.Action != scopes.Update {
			continue
		}
		sb := g.sandboxOf(t, tg.client)
		params := map[string]any{}
		for _, p := range tg.op.Params {
			params[p.Name] = honestValue(t, g, tg.client, tg.op, p)
		}
		if tg.op.ID == "change_shipping_address" {
			params["order_number"] = "#1003" // leave the seeded order #1001 as it is
		}
		for _, in := range tg.op.Inputs {
			if in.Kind != scopes.InputText {
				continue
			}
			t.Run(tg.name()+"/"+in.Path.String(), func(t *testing.T) {
				for _, text := range inputInjections {
					input := map[string]any{in.Path.String(): text}
					if tg.op.ID == "add_private_comment" {
						input["comment.public"] = false
					}
					sb.ClearRequests()
					a := g.send(t, op(tg.client, tg.inquiry, tg.op.ID, body(t, params, input)).as(x))
					refused := false
					switch a.status {
					case 200:
					case 400: // the connector refuses the value (Shopify takes province codes only)
						g.wantProblem(t, a, 400, "invalid_params", text)
						refused = true
					default:
						t.Fatalf("%.40q: %d %.300s", text, a.status, a.body)
					}
					literal := 0
					for _, r := range sb.Requests() {
						if r.Method == "GET" || isTokenRequest(r) || len(r.Body) == 0 {
							continue
						}
						var v any
						if err := json.Unmarshal(r.Body, &v); err != nil {
							t.Fatalf("%.40q: the write body is not JSON: %v", text, err)
						}
						if m, ok := v.(map[string]any); ok {
							if doc, ok := m["query"].(string); ok && strings.Contains(doc, "INJECTED") {
								t.Errorf("%.40q: the text is in the GraphQL document: %s", text, doc)
							}
						}
						walkStrings(v, func(s string) {
							switch {
							case s == text:
								literal++
							case strings.Contains(s, "INJECTED"):
								t.Errorf("%.40q: the marker escaped into another member: %q", text, s)
							}
						})
					}
					if literal == 0 && !refused {
						t.Errorf("%.40q: no write request carries the text as one value", text)
					}
				}
			})
		}
	}
}

func walkStrings(v any, f func(string)) {
	switch x := v.(type) {
	case string:
		f(x)
	case map[string]any:
		for k, e := range x {
			f(k)
			walkStrings(e, f)
		}
	case []any:
		for _, e := range x {
			walkStrings(e, f)
		}
	}
}
