package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/connectors/sandbox"
	"github.com/cxgate/cxgate/gateway/audit"
	"github.com/cxgate/cxgate/gateway/authn"
	"github.com/cxgate/cxgate/gateway/config"
	"github.com/cxgate/cxgate/gateway/dev"
	"github.com/cxgate/cxgate/internal/logging"
	"github.com/cxgate/cxgate/pii"
	"github.com/cxgate/cxgate/scopes"
	"github.com/cxgate/cxgate/vaultclient"
	"github.com/cxgate/cxgate/vaultclient/vaulttest"
)

func TestMain(m *testing.M) { vaulttest.Main(m) }

var clients = []string{"acme-retail", "globex-saas", "initech-service"}

// suite is one gateway (dev wiring, real Vault behind a counting proxy,
// debug JSON logs into a buffer) shared by the subtests of TestEndToEnd,
// which end by checking that nothing leaked sideways over the whole run.
type suite struct {
	env     *dev.Env
	srv     *httptest.Server
	vault   *vaultProxy
	vc      *vaultclient.Client
	wire    *wireRecorder
	logs    *syncBuffer
	seeds   seeds
	seedPII []string
	secrets []string // credentials and the Vault token

	mu      sync.Mutex
	answers []string // every body the gateway answered
	minted  []string // tokens the suite minted itself (their plaintexts are in vault.plain)
}

func setup(t *testing.T) *suite {
	t.Helper()
	ctx := context.Background()
	srv := vaulttest.Shared(t)
	if err := srv.EnableTransit(ctx, "transit"); err != nil {
		t.Fatal(err)
	}
	s := &suite{logs: &syncBuffer{}, wire: &wireRecorder{tokens: map[string]bool{}}, seeds: loadSeeds(t)}
	s.seedPII = s.seeds.seedPII()
	s.vault = newVaultProxy(t, srv.Addr)
	log, err := logging.New(s.logs, logging.Options{Level: "debug", Format: "json"})
	if err != nil {
		t.Fatal(err)
	}
	root := srv.RootToken
	s.vc, err = vaultclient.New(ctx, vaultclient.Config{
		Address: s.vault.srv.URL, Timeout: 10 * time.Second, Logger: log,
		Auth: vaultclient.AuthConfig{Method: "token", TokenEnv: "E2E_VAULT_TOKEN"},
		Getenv: func(k string) string {
			if k == "E2E_VAULT_TOKEN" {
				return root
			}
			return ""
		},
	})
	if err != nil {
		t.Fatalf("vault client: %v", err)
	}
	t.Cleanup(func() { _ = s.vc.Close() })
	if _, err := s.vc.InitKeys(ctx, clients); err != nil {
		t.Fatalf("InitKeys: %v", err)
	}
	s.env, err = dev.Start(ctx, dev.Options{
		Tokenizer: s.vc, Logger: log, AuditDir: t.TempDir(),
		Limits:            &config.Limits{}, // the suite sends far more than an expert would
		SandboxMiddleware: s.wire.middleware,
	})
	if err != nil {
		t.Fatalf("dev.Start: %v", err)
	}
	s.srv = httptest.NewServer(s.env.Handler)
	t.Cleanup(func() {
		s.srv.Close()
		if err := s.env.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	s.secrets = append(s.secrets, root)
	for _, c := range []connectors.Credentials{s.env.Sandboxes.Shopify.Credentials(), s.env.Sandboxes.Zendesk.Credentials(),
		s.env.Sandboxes.Salesforce.Credentials()} {
		for k, v := range c {
			if k != "client_id" && len(v) >= 8 {
				s.secrets = append(s.secrets, v)
			}
		}
	}
	s.vault.take()
	return s
}

// TestEndToEnd runs the suite's parts in order on one gateway.
func TestEndToEnd(t *testing.T) {
	s := setup(t)
	t.Run("every example operation", s.everyOperation)
	t.Run("every denial reason", s.denials)
	t.Run("tokens are deterministic and bound to client and type", s.tokens)
	t.Run("customer data exchange", s.exchange)
	t.Run("write-backs reach the sandbox with the real value", s.writeBacks)
	t.Run("the guide's curl lines work as printed", s.curls)
	t.Run("the audit chain verifies", s.auditChain)
	// Last: it reads everything the run produced.
	t.Run("nothing leaks sideways", s.noLeaks)
}

type result struct {
	status int
	header http.Header
	body   []byte
}

// call sends one request to the gateway and keeps the answer for the
// final leak check.
func (s *suite) call(t *testing.T, method, path, token, body string, headers ...string) result {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	hr, err := http.NewRequest(method, s.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		hr.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	for _, kv := range headers {
		k, v, _ := strings.Cut(kv, ":")
		hr.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	return s.send(t, hr)
}

func (s *suite) send(t *testing.T, hr *http.Request) result {
	t.Helper()
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatalf("%s %s: %v", hr.Method, hr.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.answers = append(s.answers, string(b))
	s.mu.Unlock()
	return result{status: resp.StatusCode, header: resp.Header, body: b}
}

func opPath(client, inquiry, op string) string {
	return "/v1/clients/" + client + "/inquiries/" + inquiry + "/operations/" + op
}

// as is who sends a request: a bearer token and, through the trusted
// loopback proxy, where the expert is.
type as struct {
	token string
	xff   string
}

func (a as) headers() []string {
	if a.xff == "" {
		return nil
	}
	return []string{"X-Forwarded-For: " + a.xff}
}

func (s *suite) expert(t *testing.T, name string) as {
	t.Helper()
	x, ok := s.env.Expert(name)
	if !ok {
		t.Fatalf("no expert %s", name)
	}
	return as{x.Token, x.ForwardedFor}
}

func (s *suite) mint(t *testing.T, p authn.Principal) string {
	t.Helper()
	tok, err := s.env.Signer.Sign(p)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (s *suite) tokenize(t *testing.T, client string, typ pii.Type, value string) string {
	t.Helper()
	out, err := s.vc.Tokenize(context.Background(), client, []pii.Item{{Type: typ, Value: value}})
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.minted = append(s.minted, out[0])
	s.mu.Unlock()
	return out[0]
}

// principal is how the gateway sees a ready-made expert.
func principal(x dev.Expert) scopes.Principal {
	ip := netip.MustParseAddr("127.0.0.1")
	if x.ForwardedFor != "" {
		ip = netip.MustParseAddr(x.ForwardedFor)
	}
	return scopes.Principal{Subject: "expert-" + x.Name, Tier: x.Tier, MFA: x.MFA, Country: x.Country, Clients: x.Clients, IP: ip}
}

func (s *suite) set() *scopes.Set { return s.env.App.Server.Policy().Set }

func (s *suite) connType(t *testing.T, c *scopes.Client) string {
	t.Helper()
	cc, ok := s.env.App.Config.Connection(c.Connection)
	if !ok {
		t.Fatalf("client %s: no connection %s", c.ID, c.Connection)
	}
	return cc.Type
}

// New values the suite writes through token inputs, by PII type (the
// customer typed them; the expert only ever holds their tokens).
var written = map[pii.Type]string{
	pii.Address:  "221B Baker Street",
	pii.Postcode: "NW1 6XE",
	pii.Email:    "new.address@example.org",
	pii.Phone:    "+44 7700 900461",
	pii.Person:   "Hedda Gabler",
}

// textInput is what the suite writes into text inputs: it carries personal
// data the content filter must take out before the CRM sees it.
const (
	textEmail = "e2e.writer@example.com"
	textPhone = "+1 202-555-0188"
	textInput = "Called the customer back on " + textPhone + "; confirmation goes to " + textEmail + "."
)

// opRequest is an operation's request as the suite builds it from the seeds.
type opRequest struct {
	body     string
	match    []connectors.Criterion // the real lookup values
	tokens   int                    // token params and inputs sent
	realIn   []string               // real values behind token inputs
	textPIIs []string               // personal data put into text inputs
}

func (s *suite) build(t *testing.T, c *scopes.Client, op *scopes.Operation) opRequest {
	t.Helper()
	typ := s.connType(t, c)
	var r opRequest
	params := map[string]any{}
	for _, p := range op.Params {
		v, ok := s.seeds.lookupValue(typ, op.Resource, p.Name)
		if !ok {
			if p.Required {
				t.Fatalf("%s/%s/%s: no seed value for required param %s (%s %s): add one to lookupValue",
					c.ID, op.Inquiry, op.ID, p.Name, typ, op.Resource)
			}
			continue
		}
		text := fmt.Sprint(v)
		r.match = append(r.match, connectors.Criterion{Key: p.Name, Value: text})
		switch p.Type {
		case scopes.ParamToken:
			params[p.Name] = s.tokenize(t, c.ID, p.PII, text)
			r.tokens++
		case scopes.ParamInteger:
			params[p.Name] = json.Number(text)
		default:
			params[p.Name] = text
		}
	}
	body := map[string]any{"params": params}
	if len(op.Inputs) > 0 {
		input := map[string]any{}
		for _, in := range op.Inputs {
			var v any
			switch in.Kind {
			case scopes.InputText:
				// Places get places (Shopify takes a province code);
				// anything else a message with personal data in it.
				switch in.Path.String()[strings.LastIndex(in.Path.String(), ".")+1:] {
				case "city":
					v = "London"
				case "province":
					v = "ENG"
				default:
					v = textInput
					r.textPIIs = append(r.textPIIs, textEmail, textPhone)
				}
			case scopes.InputToken:
				real, ok := written[in.PII]
				if !ok {
					t.Fatalf("no value to write for a %s token input", in.PII)
				}
				v = s.tokenize(t, c.ID, in.PII, real)
				r.tokens++
				r.realIn = append(r.realIn, real)
			case scopes.InputEnum:
				v = in.Enum[0]
			}
			setPath(input, in.Path.String(), v)
		}
		body["input"] = input
	}
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	r.body = string(b)
	return r
}

func setPath(m map[string]any, path string, v any) {
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		sub, ok := m[p].(map[string]any)
		if !ok {
			sub = map[string]any{}
			m[p] = sub
		}
		m = sub
	}
	m[parts[len(parts)-1]] = v
}

// allowedExpert is the first ready-made expert the scopes let run target.
func (s *suite) allowedExpert(target scopes.Target) (dev.Expert, bool) {
	for _, x := range s.env.Experts {
		if s.set().Decide(principal(x), target).Allowed {
			return x, true
		}
	}
	return dev.Expert{}, false
}

func (s *suite) sandboxRequests(typ string) []sandbox.Request {
	switch typ {
	case "shopify":
		return s.env.Sandboxes.Shopify.Requests()
	case "zendesk":
		return s.env.Sandboxes.Zendesk.Requests()
	case "salesforce":
		return s.env.Sandboxes.Salesforce.Requests()
	}
	return nil
}

// everyOperation runs every operation of the loaded example scopes (so a
// new example operation is covered without editing this test) as a
// ready-made expert allowed to run it, with params taken from the seeds,
// and checks the answer field by field against the scope and against what
// the CRM really holds, plus the Vault round trips it took.
func (s *suite) everyOperation(t *testing.T) {
	ran := 0
	for _, c := range s.set().Clients() {
		typ := s.connType(t, c)
		conn, ok := s.env.App.Pipeline.Connections.Connector(c.Connection)
		if !ok {
			t.Fatalf("no connector %s", c.Connection)
		}
		for _, q := range c.Inquiries {
			for _, op := range q.Operations {
				t.Run(c.ID+"/"+q.ID+"/"+op.ID, func(t *testing.T) {
					x, ok := s.allowedExpert(scopes.Target{Client: c.ID, Inquiry: q.ID, Operation: op.ID})
					if !ok {
						t.Fatalf("no ready-made expert may run it: the dev experts do not cover the example access levels")
					}
					r := s.build(t, c, op)
					before := len(s.sandboxRequests(typ))
					s.vault.take()
					res := s.call(t, "POST", opPath(c.ID, q.ID, op.ID), x.Token, r.body, as{x.Token, x.ForwardedFor}.headers()...)
					trips := s.vault.take()
					if res.status != http.StatusOK {
						t.Fatalf("%s answered %d: %s", x.Name, res.status, res.body)
					}
					var answer struct {
						Data      any    `json:"data"`
						RequestID string `json:"request_id"`
					}
					dec := json.NewDecoder(bytes.NewReader(res.body))
					dec.DisallowUnknownFields()
					if err := dec.Decode(&answer); err != nil || answer.RequestID != res.header.Get("X-Request-Id") {
						t.Fatalf("answer %s: %v", res.body, err)
					}
					records := s.checkShape(t, op, answer.Data)
					s.checkRules(t, op, records)
					s.checkTrips(t, op, r, res.body, trips)
					kept := keptValues(op, records)
					s.checkNoSeedPII(t, res.body, kept)
					if op.Action == scopes.Update {
						s.checkWrite(t, typ, before, r)
						return
					}
					s.checkAgainstCRM(t, conn, op, r, res.body, kept)
				})
				ran++
			}
		}
	}
	if ran < 15 {
		t.Fatalf("only %d operations in the example scopes?", ran)
	}
}

// checkShape: reads and updates answer one object, searches a non-empty
// list; every leaf is a field the scope lists.
func (s *suite) checkShape(t *testing.T, op *scopes.Operation, data any) []map[string]any {
	t.Helper()
	var records []map[string]any
	switch d := data.(type) {
	case map[string]any:
		if op.Action == scopes.Search {
			t.Fatalf("a search answered an object")
		}
		records = []map[string]any{d}
	case []any:
		if op.Action != scopes.Search {
			t.Fatalf("a %s answered a list", op.Action)
		}
		if len(d) == 0 {
			t.Fatalf("the search found nothing with seed values")
		}
		for _, r := range d {
			records = append(records, r.(map[string]any))
		}
	default:
		t.Fatalf("data is %T", data)
	}
	paths := map[string]bool{}
	for _, f := range op.Fields {
		paths[f.Path.String()] = true
	}
	for _, rec := range records {
		if len(rec) == 0 {
			t.Fatalf("an empty record")
		}
		leaves(rec, "", func(p string, v any) {
			if paths[p] {
				return
			}
			// A null or empty container on the way to listed fields.
			for q := range paths {
				if v == nil && strings.HasPrefix(q, p) {
					return
				}
			}
			t.Errorf("the answer holds %s, which the scope does not list", p)
		})
	}
	return records
}

// checkRules: tokenize leaves are tokens of the field's type, hash leaves
// hashes of it, redact leaves the redaction mark.
func (s *suite) checkRules(t *testing.T, op *scopes.Operation, records []map[string]any) {
	t.Helper()
	for _, rec := range records {
		leaves(rec, "", func(p string, v any) {
			f, ok := op.Field(p)
			if !ok || v == nil {
				return
			}
			str, _ := v.(string)
			switch f.Rule {
			case scopes.Tokenize, scopes.Hash:
				tok, err := pii.ParseToken(str)
				want := pii.KindToken
				if f.Rule == scopes.Hash {
					want = pii.KindHash
				}
				if err != nil || tok.Kind != want || tok.Type != f.PII {
					t.Errorf("%s (%s %s) holds %q", p, f.Rule, f.PII, str)
				}
			case scopes.Redact:
				if str != scopes.Redacted {
					t.Errorf("%s (redact) holds %q", p, str)
				}
			}
		})
	}
}

// checkTrips: one Vault round trip per kind used, whatever the number of
// fields and records: decrypt when tokens were sent, encrypt when the
// answer holds tokens, hmac when it holds hashes.
func (s *suite) checkTrips(t *testing.T, op *scopes.Operation, r opRequest, body []byte, trips map[string]int) {
	t.Helper()
	want := map[string]int{}
	if r.tokens > 0 {
		want["decrypt"] = 1
	}
	if bytes.Contains(body, []byte(`"cxt_`)) {
		want["encrypt"] = 1
	}
	if bytes.Contains(body, []byte(`"cxh_`)) {
		want["hmac"] = 1
	}
	for _, k := range []string{"encrypt", "decrypt", "hmac"} {
		if trips[k] != want[k] {
			t.Errorf("Vault %s round trips: %d, want %d (%d tokens sent)", k, trips[k], want[k], r.tokens)
		}
	}
}

// keptValues are the string values the scope shows in clear in these records.
func keptValues(op *scopes.Operation, records []map[string]any) map[string]bool {
	kept := map[string]bool{}
	for _, rec := range records {
		leaves(rec, "", func(p string, v any) {
			if f, ok := op.Field(p); ok && f.Rule == scopes.Keep {
				if str, ok := v.(string); ok {
					kept[str] = true
				}
			}
		})
	}
	return kept
}

// checkNoSeedPII: no personal value of the seeds appears in the answer,
// unless a keep field shows that very value.
func (s *suite) checkNoSeedPII(t *testing.T, body []byte, kept map[string]bool) {
	t.Helper()
	for _, v := range s.seedPII {
		if !kept[v] && !keptContains(kept, v) && contains(string(body), v) {
			t.Errorf("the answer holds the seeded value %q: %s", v, body)
		}
	}
}

func keptContains(kept map[string]bool, v string) bool {
	for k := range kept {
		if strings.Contains(k, v) {
			return true
		}
	}
	return false
}

// checkAgainstCRM fetches the same records straight from the connector,
// unprotected, and checks that no value of a field the scope does not
// keep reached the answer: not a masked, tokenized, hashed or redacted
// value, and not the emails, phones and cards inside scrubbed text.
func (s *suite) checkAgainstCRM(t *testing.T, conn connectors.Connector, op *scopes.Operation, r opRequest, body []byte, kept map[string]bool) {
	t.Helper()
	q := connectors.Query{Resource: op.Resource, Match: r.match, Fields: op.Paths(), Limit: op.Limit}
	var raw []connectors.Record
	switch op.Action {
	case scopes.Read:
		rec, err := conn.Read(context.Background(), q)
		if err != nil {
			t.Fatalf("direct read: %v", err)
		}
		raw = []connectors.Record{rec}
	case scopes.Search:
		recs, err := conn.Search(context.Background(), q)
		if err != nil {
			t.Fatalf("direct search: %v", err)
		}
		raw = recs
	}
	checked := 0
	for _, rec := range raw {
		leaves(map[string]any(rec), "", func(p string, v any) {
			f, ok := op.Field(p)
			str, isStr := v.(string)
			if !ok || !isStr || str == "" || kept[str] {
				return
			}
			var secret []string
			switch f.Rule {
			case scopes.Keep:
				return
			case scopes.Scrub:
				secret = freeTextPII(str)
			default:
				if len([]rune(str)) >= 3 {
					secret = []string{str}
				}
			}
			for _, sv := range secret {
				checked++
				if !keptContains(kept, sv) && contains(string(body), sv) {
					t.Errorf("%s (%s): the CRM's value %q is in the answer", p, f.Rule, sv)
				}
			}
		})
	}
	hasProtected := false
	for _, f := range op.Fields {
		hasProtected = hasProtected || (f.Rule != scopes.Keep && f.Rule != scopes.Scrub)
	}
	if hasProtected && checked == 0 && len(raw) > 0 {
		t.Logf("note: the records hold no value in this operation's protected fields")
	}
}

// checkWrite: what reached the sandbox while the update ran holds the real
// values behind the token inputs and none of the personal data written
// into text inputs.
func (s *suite) checkWrite(t *testing.T, typ string, before int, r opRequest) {
	t.Helper()
	reqs := s.sandboxRequests(typ)[before:]
	var sent strings.Builder
	for _, rq := range reqs {
		sent.Write(rq.Body)
		sent.WriteByte('\n')
	}
	if sent.Len() == 0 {
		t.Fatalf("the sandbox received nothing")
	}
	for _, v := range r.realIn {
		if !contains(sent.String(), v) {
			t.Errorf("the real value %q did not reach the sandbox", v)
		}
	}
	for _, v := range r.textPIIs {
		if contains(sent.String(), v) {
			t.Errorf("text input reached the sandbox unscrubbed: %q", v)
		}
	}
	if len(r.textPIIs) > 0 && !strings.Contains(sent.String(), "Called the customer back on") {
		t.Errorf("the text input did not reach the sandbox at all")
	}
}

// denials: every reason code, each audited, and none reaching a CRM.
func (s *suite) denials(t *testing.T) {
	t2noMFA := s.mint(t, authn.Principal{Subject: "expert-nomfa", Tier: 2, Country: "GB", Clients: clients})
	t2FR := s.mint(t, authn.Principal{Subject: "expert-fr", Tier: 2, MFA: true, Country: "FR", Clients: clients})
	t2none := s.mint(t, authn.Principal{Subject: "expert-nowhere", Tier: 2, MFA: true, Clients: clients})
	t3 := s.expert(t, "tier3-partner")
	order := `{"params":{"order_number":"#1001"}}`
	account := `{"params":{"account_number":"CD656092"}}`
	cases := []struct {
		name           string
		who            as
		client, iq, op string
		body           string
		status         int
		code           string
		where          string // the scope file the decision cites
	}{
		{"unauthenticated", as{}, "acme-retail", "order_status", "get_order", order, 401, "unauthenticated", ""},
		{"unauthenticated garbage", as{token: "not.a.jwt"}, "acme-retail", "order_status", "get_order", order, 401, "unauthenticated", ""},
		{"forbidden: not onboarded", s.expert(t, "acme-only"), "globex-saas", "ticket_status", "get_ticket", `{"params":{"id":4101}}`, 403, "forbidden", ""},
		{"forbidden: unknown client", s.expert(t, "tier3-partner"), "umbrella-corp", "ticket_status", "get_ticket", `{"params":{"id":4101}}`, 403, "forbidden", ""},
		{"not_found: inquiry", s.expert(t, "tier1-basic"), "acme-retail", "refunds", "get_order", order, 404, "not_found", ""},
		{"not_found: operation", s.expert(t, "tier1-basic"), "acme-retail", "order_status", "cancel_order", order, 404, "not_found", ""},
		{"tier_too_low", s.expert(t, "tier1-mfa"), "acme-retail", "address_change", "get_shipping_address", order, 403, "tier_too_low", "examples/scopes/acme-retail.yaml:"},
		{"mfa_required", as{token: t2noMFA}, "acme-retail", "address_change", "get_shipping_address", order, 403, "mfa_required", "examples/scopes/acme-retail.yaml:"},
		{"mfa_required (Acme returns)", as{token: t2noMFA}, "acme-retail", "returns", "get_order_for_return", order, 403, "mfa_required", "examples/scopes/acme-retail.yaml:"},
		{"location_denied: country", as{token: t2FR}, "acme-retail", "address_change", "get_shipping_address", order, 403, "location_denied", "examples/scopes/acme-retail.yaml:"},
		{"location_denied: unknown country", as{token: t2none}, "globex-saas", "billing_inquiry", "get_organization", `{"params":{"id":509974001}}`, 403, "location_denied", "examples/scopes/globex-saas.yaml:"},
		{"location_denied: network (the proxy itself)", as{token: t3.token}, "initech-service", "account_lookup", "get_account", account, 403, "location_denied", "examples/scopes/initech-service.yaml:"},
		{"location_denied: network (another address)", as{token: t3.token, xff: "203.0.113.9"}, "initech-service", "account_lookup", "get_account", account, 403, "location_denied", "examples/scopes/initech-service.yaml:"},
		{"location_denied: network (spoofed left of the proxy)", as{token: t3.token, xff: "198.51.100.7, 203.0.113.9"}, "initech-service", "account_lookup", "get_account", account, 403, "location_denied", "examples/scopes/initech-service.yaml:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(s.sandboxRequests("shopify")) + len(s.sandboxRequests("zendesk")) + len(s.sandboxRequests("salesforce"))
			s.vault.take()
			res := s.call(t, "POST", opPath(c.client, c.iq, c.op), c.who.token, c.body, c.who.headers()...)
			var p struct {
				Status    int    `json:"status"`
				Code      string `json:"code"`
				Title     string `json:"title"`
				Detail    string `json:"detail"`
				RequestID string `json:"request_id"`
			}
			if res.status != c.status || !isJSON(res.header) || json.Unmarshal(res.body, &p) != nil ||
				p.Code != c.code || p.Status != c.status || p.Title == "" || p.RequestID != res.header.Get("X-Request-Id") {
				t.Fatalf("got %d %s, want %d %s", res.status, res.body, c.status, c.code)
			}
			after := len(s.sandboxRequests("shopify")) + len(s.sandboxRequests("zendesk")) + len(s.sandboxRequests("salesforce"))
			if after != before {
				t.Errorf("a refused request reached a CRM (%d requests)", after-before)
			}
			if trips := s.vault.take(); len(trips) != 0 {
				t.Errorf("a refused request used Vault: %v", trips)
			}
			rec := s.auditRecord(t, p.RequestID)
			if rec.Outcome != c.code || rec.Status != c.status {
				t.Errorf("audit outcome %s/%d, want %s/%d", rec.Outcome, rec.Status, c.code, c.status)
			}
			if c.where != "" {
				cited := false
				for _, r := range rec.Decision {
					if r.Code == c.code && strings.HasPrefix(r.Where, c.where) {
						cited = true
					}
				}
				if !cited {
					t.Errorf("the audit record does not cite the rule in %s: %+v", c.where, rec.Decision)
				}
			}
		})
	}
	// The same experts are allowed where their access fits.
	x := s.expert(t, "tier3-partner")
	if res := s.call(t, "POST", opPath("initech-service", "account_lookup", "get_account"), x.token, account, x.headers()...); res.status != 200 {
		t.Fatalf("tier3 from the partner network: %d %s", res.status, res.body)
	}
}

// auditRecord finds a request's record in the audit file.
func (s *suite) auditRecord(t *testing.T, requestID string) audit.Record {
	t.Helper()
	b, err := os.ReadFile(s.env.AuditPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		var rec audit.Record
		if json.Unmarshal(line, &rec) == nil && rec.RequestID == requestID {
			return rec
		}
	}
	t.Fatalf("no audit record for request %s", requestID)
	return audit.Record{}
}

// filterTokenize runs the filter endpoint in tokenize mode.
func (s *suite) filterTokenize(t *testing.T, client, text string) (string, []finding) {
	t.Helper()
	x := s.expert(t, "tier1-basic")
	body, _ := json.Marshal(map[string]string{"text": text, "mode": "tokenize"})
	res := s.call(t, "POST", "/v1/clients/"+client+"/filter", x.token, string(body))
	if res.status != 200 {
		t.Fatalf("filter: %d %s", res.status, res.body)
	}
	var out struct {
		Text     string    `json:"text"`
		Findings []finding `json:"findings"`
	}
	if err := json.Unmarshal(res.body, &out); err != nil {
		t.Fatal(err)
	}
	return out.Text, out.Findings
}

type finding struct {
	Type  string `json:"type"`
	Start int    `json:"start"`
	End   int    `json:"end"`
}

// onlyToken is the single token in a filtered text.
func onlyToken(t *testing.T, text string) string {
	t.Helper()
	spans := pii.FindTokens(text)
	if len(spans) != 1 {
		t.Fatalf("%d tokens in %q, want 1", len(spans), text)
	}
	return text[spans[0].Start:spans[0].End]
}

// tokens: deterministic within a client and type, different across
// clients (the same email is a customer of all three) and types; a token
// of another client or type is refused as a param and reaches no CRM.
func (s *suite) tokens(t *testing.T) {
	const email = "maya.okafor@example.com"
	msg := "It's " + email + " here."
	acme1 := onlyToken(t, first(s.filterTokenize(t, "acme-retail", msg)))
	acme2 := onlyToken(t, first(s.filterTokenize(t, "acme-retail", "again: "+email)))
	globex := onlyToken(t, first(s.filterTokenize(t, "globex-saas", msg)))
	initech := onlyToken(t, first(s.filterTokenize(t, "initech-service", msg)))
	if acme1 != acme2 {
		t.Errorf("two tokens for one email and client: %s %s", acme1, acme2)
	}
	if acme1 != s.env.ExchangeToken {
		t.Errorf("the filter's token differs from the one the dev guide prints")
	}
	if acme1 == globex || acme1 == initech || globex == initech {
		t.Errorf("clients share tokens: %s %s %s", acme1, globex, initech)
	}
	// The same email from the CRM (a tokenize field) is the same token.
	x := s.expert(t, "tier1-mfa")
	res := s.call(t, "POST", opPath("acme-retail", "returns", "get_order_for_return"), x.token, `{"params":{"order_number":"#1001"}}`)
	var a struct {
		Data struct {
			Customer struct {
				Email string `json:"email"`
			} `json:"customer"`
		} `json:"data"`
	}
	if res.status != 200 || json.Unmarshal(res.body, &a) != nil || a.Data.Customer.Email != acme1 {
		t.Errorf("the CRM's copy of the email tokenizes to %q, the filter's to %q (%s)", a.Data.Customer.Email, acme1, res.body)
	}
	// Types: the same text as another PII type is another token.
	items := []pii.Item{{Type: pii.Email, Value: email}, {Type: pii.Person, Value: email}}
	toks, err := s.vc.Tokenize(context.Background(), "acme-retail", items)
	if err != nil {
		t.Fatal(err)
	}
	if toks[0] != acme1 || toks[1] == toks[0] || strings.TrimPrefix(toks[1], "cxt_person_") == strings.TrimPrefix(toks[0], "cxt_email_") {
		t.Errorf("tokens by type: %v (filter: %s)", toks, acme1)
	}

	address := s.tokenize(t, "acme-retail", pii.Address, "44 Harbor Lane")
	swapped := "cxt_email_" + strings.TrimPrefix(address, "cxt_address_")
	bad := map[string]string{
		"another client's token": globex,
		"another type's token":   address,
		"a type-swapped token":   swapped,
		"a tampered token":       acme1[:len(acme1)-6] + "AAAAAA",
		"a hash":                 "cxh_email_v1_" + strings.Repeat("A", 43),
		"the plain value":        email,
	}
	t1 := s.expert(t, "tier1-basic")
	for name, tok := range bad {
		t.Run(name, func(t *testing.T) {
			before := len(s.sandboxRequests("shopify"))
			res := s.call(t, "POST", opPath("acme-retail", "order_status", "find_orders_by_email"), t1.token, `{"params":{"email":"`+tok+`"}}`)
			var p struct {
				Code   string `json:"code"`
				Params []struct {
					Name string `json:"name"`
				} `json:"params"`
			}
			if res.status != 400 || json.Unmarshal(res.body, &p) != nil || p.Code != "invalid_params" || len(p.Params) != 1 || p.Params[0].Name != "email" {
				t.Fatalf("got %d %s, want invalid_params on email", res.status, res.body)
			}
			if len(s.sandboxRequests("shopify")) != before {
				t.Fatal("the CRM was asked with an unusable token")
			}
		})
	}
	// And the right one works.
	if res := s.call(t, "POST", opPath("acme-retail", "order_status", "find_orders_by_email"), t1.token, `{"params":{"email":"`+acme1+`"}}`); res.status != 200 {
		t.Fatalf("the client's own token: %d %s", res.status, res.body)
	}
}

func first[A, B any](a A, _ B) A { return a }

// exchange is the README's customer data exchange: the customer's
// message goes through the filter in tokenize mode, and the expert finds
// their orders with the token, never seeing the address.
func (s *suite) exchange(t *testing.T) {
	const email = "maya.okafor@example.com"
	// However much PII a message holds, tokenizing it is one Vault call.
	s.vault.take()
	many, _ := s.filterTokenize(t, "acme-retail", "I'm "+email+", +1 202-555-0143, card 4111 1111 1111 1111, or oliver.bennett@example.org")
	if n := len(pii.FindTokens(many)); n < 3 {
		t.Fatalf("%d tokens in %q", n, many)
	}
	if trips := s.vault.take(); trips["encrypt"] != 1 || len(trips) != 1 {
		t.Fatalf("Vault round trips for one message: %v, want one encrypt", trips)
	}
	msg := "Hi, I am " + email + ", where are my orders? Ürgent 🙏"
	text, findings := s.filterTokenize(t, "acme-retail", msg)
	if strings.Contains(text, email) {
		t.Fatalf("the filter answered the email: %q", text)
	}
	tok := onlyToken(t, text)
	if !strings.HasPrefix(tok, "cxt_email_") || !strings.HasPrefix(text, "Hi, I am "+tok+", where are my orders?") {
		t.Fatalf("filtered text %q", text)
	}
	var emails []finding
	for _, f := range findings {
		if f.Type == "EMAIL" {
			emails = append(emails, f)
		}
	}
	runes := []rune(msg)
	if len(emails) != 1 || string(runes[emails[0].Start:emails[0].End]) != email {
		t.Fatalf("findings %+v do not point at the email by code point", findings)
	}
	x := s.expert(t, "tier1-basic")
	res := s.call(t, "POST", opPath("acme-retail", "order_status", "find_orders_by_email"), x.token, `{"params":{"email":"`+tok+`"}}`)
	var a struct {
		Data []map[string]any `json:"data"`
	}
	if res.status != 200 || json.Unmarshal(res.body, &a) != nil {
		t.Fatalf("find_orders_by_email: %d %s", res.status, res.body)
	}
	var got, want []string
	for _, o := range a.Data {
		got = append(got, fmt.Sprint(o["name"]))
	}
	for _, o := range list(s.seeds.shopify, "orders") {
		if o["email"] == email {
			want = append(want, fmt.Sprint(o["name"]))
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Fatalf("orders found %v, want the seed's %v", got, want)
	}
	if bytes.Contains(res.body, []byte(email)) {
		t.Fatal("the answer holds the email")
	}
}

// writeBacks: the three named write-backs, checked in the sandboxes' stores.
func (s *suite) writeBacks(t *testing.T) {
	t.Run("shopify change_shipping_address", func(t *testing.T) {
		x := s.expert(t, "tier2-gb")
		street, zip := "10 Downing Street", "SW1A 2AA"
		body := fmt.Sprintf(`{"params":{"order_number":"#1002"},"input":{"shipping_address":{"address1":%q,"zip":%q,"city":"London","country":"GB"}}}`,
			s.tokenize(t, "acme-retail", pii.Address, street), s.tokenize(t, "acme-retail", pii.Postcode, zip))
		res := s.call(t, "POST", opPath("acme-retail", "address_change", "change_shipping_address"), x.token, body)
		if res.status != 200 {
			t.Fatalf("%d %s", res.status, res.body)
		}
		if bytes.Contains(res.body, []byte(street)) || bytes.Contains(res.body, []byte(zip)) {
			t.Fatalf("the answer shows the written address: %s", res.body)
		}
		var id string
		for _, o := range list(s.seeds.shopify, "orders") {
			if o["name"] == "#1002" {
				id = fmt.Sprint(o["id"])
			}
		}
		rec, ok := s.env.Sandboxes.Shopify.Lookup("order", id)
		if !ok {
			t.Fatalf("no order %s in the sandbox", id)
		}
		addr, _ := rec["shipping_address"].(map[string]any)
		if addr["address1"] != street || addr["zip"] != zip || addr["city"] != "London" {
			t.Fatalf("the sandbox holds %v, want %s, %s, London", addr, street, zip)
		}
	})
	t.Run("zendesk add_private_comment", func(t *testing.T) {
		x := s.expert(t, "tier1-basic")
		before := len(s.env.Sandboxes.Zendesk.Requests())
		body := fmt.Sprintf(`{"params":{"id":4102},"input":{"comment":{"body":%q,"public":false},"status":"pending"}}`, textInput)
		res := s.call(t, "POST", opPath("globex-saas", "ticket_status", "add_private_comment"), x.token, body)
		if res.status != 200 {
			t.Fatalf("%d %s", res.status, res.body)
		}
		ticket, ok := s.env.Sandboxes.Zendesk.Lookup("ticket", "4102")
		if !ok || ticket["status"] != "pending" {
			t.Fatalf("ticket 4102 in the sandbox: %v", ticket)
		}
		var stored string
		for _, rq := range s.env.Sandboxes.Zendesk.Requests()[before:] {
			if rq.Method == http.MethodPut {
				var u struct {
					Ticket struct {
						Comment struct {
							Body   string `json:"body"`
							Public *bool  `json:"public"`
						} `json:"comment"`
					} `json:"ticket"`
				}
				if json.Unmarshal(rq.Body, &u) == nil && u.Ticket.Comment.Body != "" {
					stored = u.Ticket.Comment.Body
					if u.Ticket.Comment.Public == nil || *u.Ticket.Comment.Public {
						t.Errorf("the comment was not written private")
					}
				}
			}
		}
		if stored == "" || !strings.HasPrefix(stored, "Called the customer back on") {
			t.Fatalf("comment written: %q", stored)
		}
		if strings.Contains(stored, textEmail) || strings.Contains(stored, textPhone) {
			t.Fatalf("the stored comment is not scrubbed: %q", stored)
		}
		// The comment the sandbox stored (found through the ticket's
		// comments) is the scrubbed text.
		res = s.call(t, "POST", opPath("globex-saas", "ticket_status", "list_comments"), x.token, `{"params":{"ticket_id":4102}}`)
		var comments struct {
			Data []struct {
				ID   json.Number `json:"id"`
				Body string      `json:"body"`
			} `json:"data"`
		}
		if res.status != 200 || json.Unmarshal(res.body, &comments) != nil {
			t.Fatalf("list_comments after the write: %d %s", res.status, res.body)
		}
		var id string
		for _, c := range comments.Data {
			if strings.HasPrefix(c.Body, "Called the customer back on") {
				id = c.ID.String()
			}
		}
		saved, ok := s.env.Sandboxes.Zendesk.Lookup("ticket_comment", id)
		if !ok {
			t.Fatalf("the new comment (%q) is not in the sandbox", id)
		}
		if text, _ := saved["body"].(string); text != stored || saved["public"] != false {
			t.Fatalf("stored comment %v, want the scrubbed private text %q", saved, stored)
		}
	})
	t.Run("salesforce update_case", func(t *testing.T) {
		x := s.expert(t, "tier1-basic")
		before := len(s.env.Sandboxes.Salesforce.Requests())
		body := fmt.Sprintf(`{"params":{"case_number":"00001028"},"input":{"Status":"Escalated","Comments":%q}}`, textInput)
		res := s.call(t, "POST", opPath("initech-service", "case_status", "update_case"), x.token, body)
		var a struct {
			Data map[string]any `json:"data"`
		}
		if res.status != 200 || json.Unmarshal(res.body, &a) != nil || a.Data["Status"] != "Escalated" || a.Data["CaseNumber"] != "00001028" {
			t.Fatalf("%d %s", res.status, res.body)
		}
		var id string
		for _, c := range list(s.seeds.salesforce, "Case") {
			if c["CaseNumber"] == "00001028" {
				id = fmt.Sprint(c["Id"])
			}
		}
		rec, ok := s.env.Sandboxes.Salesforce.Lookup("Case", id)
		if !ok || rec["Status"] != "Escalated" {
			t.Fatalf("case in the sandbox: %v", rec)
		}
		var sent strings.Builder
		for _, rq := range s.env.Sandboxes.Salesforce.Requests()[before:] {
			sent.Write(rq.Body)
		}
		if !strings.Contains(sent.String(), "Called the customer back on") {
			t.Fatalf("the comment did not reach Salesforce: %s", sent.String())
		}
		if strings.Contains(sent.String(), textEmail) || strings.Contains(sent.String(), textPhone) {
			t.Fatalf("the comment reached Salesforce unscrubbed: %s", sent.String())
		}
	})
}

// curls runs every command of the dev guide, parsed from its printed
// text, against the running gateway: each gives what its title announces.
func (s *suite) curls(t *testing.T) {
	cmds := s.env.Curls(s.srv.URL)
	if len(cmds) < 8 {
		t.Fatalf("the guide has %d commands", len(cmds))
	}
	var guide bytes.Buffer
	s.env.Guide(&guide, s.srv.URL)
	for _, c := range cmds {
		t.Run(c.Title, func(t *testing.T) {
			if !strings.Contains(guide.String(), "\n"+c.Command+"\n") {
				t.Fatalf("the printed guide does not hold the command on a line of its own")
			}
			cu, err := parseCurl(c.Command)
			if err != nil {
				t.Fatal(err)
			}
			var rd io.Reader
			if cu.body != "" {
				rd = strings.NewReader(cu.body)
			}
			hr, err := http.NewRequest(cu.method, cu.url, rd)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range cu.headers {
				hr.Header.Add(h[0], h[1])
			}
			res := s.send(t, hr)
			wantCode := ""
			for _, code := range []string{"forbidden", "tier_too_low", "mfa_required", "location_denied"} {
				if strings.Contains(c.Title, code) {
					wantCode = code
				}
			}
			if wantCode == "" {
				if res.status != 200 {
					t.Fatalf("%d %s", res.status, res.body)
				}
				var v map[string]any
				if err := json.Unmarshal(res.body, &v); err != nil {
					t.Fatal(err)
				}
				if v["request_id"] == nil && !strings.HasSuffix(cu.url, "/inquiries") {
					t.Errorf("no request_id in %s", res.body)
				}
			} else {
				var p struct {
					Code string `json:"code"`
				}
				if res.status != 403 || json.Unmarshal(res.body, &p) != nil || p.Code != wantCode {
					t.Fatalf("got %d %s, the guide announces 403 %s", res.status, res.body, wantCode)
				}
			}
			// Step 1 of the exchange prints the token step 2 uses.
			if strings.Contains(c.Title, "exchange, step 1") && !bytes.Contains(res.body, []byte(s.env.ExchangeToken)) {
				t.Errorf("step 1 does not give the token step 2 passes: %s", res.body)
			}
		})
	}
}

// auditChain: the audit log verifies and recorded every /v1 request.
func (s *suite) auditChain(t *testing.T) {
	f, err := os.Open(s.env.AuditPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sum, err := audit.Verify(f, nil)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	s.mu.Lock()
	n := len(s.answers)
	s.mu.Unlock()
	if sum.Records < n/2 || sum.Records == 0 {
		t.Fatalf("%d audit records for %d requests", sum.Records, n)
	}
	// Tampering is detected.
	b, err := os.ReadFile(s.env.AuditPath)
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Replace(b, []byte(`"outcome":"forbidden"`), []byte(`"outcome":"ok"`), 1)
	if bytes.Equal(tampered, b) {
		t.Fatal("no forbidden record to tamper with")
	}
	if _, err := audit.Verify(bytes.NewReader(tampered), nil); err == nil {
		t.Fatal("a tampered log verifies")
	}
}

// noLeaks reads everything the run produced (the debug log, /metrics, the
// audit file, every answer and problem) and looks for every seeded
// personal value, every plaintext that crossed Vault, every credential a
// connector used and the Vault token.
func (s *suite) noLeaks(t *testing.T) {
	metrics := s.call(t, "GET", "/metrics", "", "")
	if metrics.status != 200 {
		t.Fatalf("/metrics: %d", metrics.status)
	}
	auditLog, err := os.ReadFile(s.env.AuditPath)
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	var problems []string
	for _, a := range s.answers {
		if strings.Contains(a, `"code":`) && strings.Contains(a, `"title":`) {
			problems = append(problems, a)
		}
	}
	s.mu.Unlock()
	places := map[string]string{
		"the debug log":  s.logs.String(),
		"/metrics":       string(metrics.body),
		"the audit log":  string(auditLog),
		"a problem+json": strings.Join(problems, "\n"),
	}
	if len(s.logs.String()) == 0 || !strings.Contains(s.logs.String(), `"level":"DEBUG"`) {
		t.Fatal("the debug log is empty: the check would prove nothing")
	}
	plain := s.vault.plaintexts()
	if len(plain) < 5 {
		t.Fatalf("only %d plaintexts crossed Vault", len(plain))
	}
	creds := append(append([]string(nil), s.secrets...), s.wire.seen()...)
	if len(s.wire.seen()) == 0 {
		t.Fatal("no connector credential was seen on the wire")
	}
	kinds := []struct {
		name   string
		values []string
	}{
		{"seeded personal value", s.seedPII},
		{"tokenized plaintext", plain},
		{"credential", creds},
	}
	for where, text := range places {
		for _, k := range kinds {
			for _, v := range k.values {
				if len(v) < 4 {
					continue
				}
				if contains(text, v) {
					t.Errorf("%s holds a %s: %q", where, k.name, v)
				}
			}
		}
	}
	// Answers (not only problems) never carry credentials or the plaintext
	// behind the tokens the suite sent.
	s.mu.Lock()
	all := strings.Join(s.answers, "\n")
	s.mu.Unlock()
	for _, v := range creds {
		if contains(all, v) {
			t.Errorf("an answer holds a credential")
		}
	}
	for _, v := range written {
		if contains(all, v) {
			t.Errorf("an answer holds the written value %q", v)
		}
	}
	for _, v := range plain {
		if len(v) >= 4 && contains(all, v) {
			t.Errorf("an answer holds the plaintext of a token or hash: %q", v)
		}
	}
}
