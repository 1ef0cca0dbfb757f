package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/gateway/audit"
	"github.com/cxgate/cxgate/pii"
	"github.com/cxgate/cxgate/scopes"
	"github.com/cxgate/cxgate/vaultclient"
)

const testScope = `version: 1
client: acme-retail
connection: acme-shop
retention: 30d
inquiries:
  order_status:
    description: Where is my order?
    access: {min_tier: 1}
    operations:
      get_order:
        action: read
        resource: order
        params:
          order_number: {type: string, required: true, pattern: '^#?[0-9]{3,12}$'}
          email: {type: token, pii: EMAIL}
        fields:
          name: keep
          email: {tokenize: EMAIL}
          phone: {mask: last2}
          customer.last_name: redact
          customer.email: {hash: EMAIL}
          note: scrub
          line_items[].title: keep
          tags[]: keep
      find_orders:
        action: search
        resource: order
        params:
          email: {type: token, pii: EMAIL, required: true}
        fields:
          name: keep
          email: {tokenize: EMAIL}
  address_change:
    description: New address
    access: {min_tier: 2, mfa: true, countries: [GB]}
    operations:
      change_address:
        action: update
        resource: order
        params:
          order_number: {type: string, required: true}
        input:
          shipping_address.address1: {token: ADDRESS}
          note: text
          shipping_address.country: {enum: [GB, IE]}
        fields:
          name: keep
          shipping_address.address1: {tokenize: ADDRESS}
`

// fakeShop is an in-memory connector (unit tests of the pipeline only; the
// end-to-end tests use the real sandboxes). It returns whole records, more
// than asked, so projection is what keeps fields out.
type fakeShop struct {
	mu      sync.Mutex
	orders  []connectors.Record
	queries []connectors.Query
	updates []connectors.Update
	err     error
}

func (f *fakeShop) Catalog() connectors.Catalog { return connectors.Catalog{Type: "fake"} }
func (f *fakeShop) Close() error                { return nil }

func (f *fakeShop) match(q []connectors.Criterion) []connectors.Record {
	var out []connectors.Record
	for _, o := range f.orders {
		ok := true
		for _, c := range q {
			key := map[string]string{"order_number": "name", "email": "email"}[c.Key]
			if strings.TrimPrefix(o[key].(string), "#") != strings.TrimPrefix(c.Value, "#") {
				ok = false
			}
		}
		if ok {
			out = append(out, o)
		}
	}
	return out
}

func (f *fakeShop) Read(_ context.Context, q connectors.Query) (connectors.Record, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries = append(f.queries, q)
	if f.err != nil {
		return nil, f.err
	}
	m := f.match(q.Match)
	if len(m) != 1 {
		return nil, connectors.ErrNotFound
	}
	return m[0], nil
}

func (f *fakeShop) Search(_ context.Context, q connectors.Query) ([]connectors.Record, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries = append(f.queries, q)
	if f.err != nil {
		return nil, f.err
	}
	return f.match(q.Match), nil
}

func (f *fakeShop) Update(_ context.Context, u connectors.Update) (connectors.Record, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.updates = append(f.updates, u)
	if f.err != nil {
		return nil, f.err
	}
	addr := map[string]any{}
	for _, a := range u.Set {
		if a.Field.String() == "shipping_address.address1" {
			addr["address1"] = a.Value
		}
	}
	return connectors.Record{"name": "#1001", "shipping_address": addr}, nil
}

func order(name, email string) connectors.Record {
	return connectors.Record{
		"name": name, "email": email, "phone": "+44 7700 900123", "secret_field": "never",
		"customer":   map[string]any{"last_name": "Okafor", "email": email, "first_name": "Maya"},
		"note":       "Customer says: call me on +44 7700 900123 or write to " + email,
		"line_items": []any{map[string]any{"title": "Stoneware Mug", "price": "18.00"}},
		"tags":       []any{"vip", map[string]any{"nested": "dropped"}},
	}
}

// countingTok counts round trips of a real tokenizer.
type countingTok struct {
	Tokenizer
	calls atomic.Int64
	fail  error
}

func (c *countingTok) Tokenize(ctx context.Context, client string, items []pii.Item) ([]string, error) {
	c.calls.Add(1)
	if c.fail != nil {
		return nil, c.fail
	}
	return c.Tokenizer.Tokenize(ctx, client, items)
}

func (c *countingTok) HMAC(ctx context.Context, client string, items []pii.Item) ([]string, error) {
	c.calls.Add(1)
	if c.fail != nil {
		return nil, c.fail
	}
	return c.Tokenizer.HMAC(ctx, client, items)
}

func (c *countingTok) Detokenize(ctx context.Context, client string, toks []string) ([]pii.Item, error) {
	c.calls.Add(1)
	if c.fail != nil {
		return nil, c.fail
	}
	return c.Tokenizer.Detokenize(ctx, client, toks)
}

type fixture struct {
	p    *Pipeline
	pol  *Policy
	shop *fakeShop
	tok  *countingTok
	aud  *audit.Memory
}

// policyOf compiles one scope file (named acme.yaml) into a Policy.
func policyOf(t *testing.T, scope string) *Policy {
	t.Helper()
	set, diags := scopes.Load([]scopes.File{{Name: "acme.yaml", Data: []byte(scope)}}, scopes.Options{})
	if set == nil {
		t.Fatalf("scope does not load:\n%s", diags)
	}
	pol, err := NewPolicy(set)
	if err != nil {
		t.Fatal(err)
	}
	return pol
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	pol := policyOf(t, testScope)
	local, err := vaultclient.NewLocalRandom()
	if err != nil {
		t.Fatal(err)
	}
	shop := &fakeShop{orders: []connectors.Record{order("#1001", "maya.okafor@example.com"), order("#1002", "lars@example.org")}}
	tok := &countingTok{Tokenizer: local}
	aud := &audit.Memory{}
	p := &Pipeline{Tokenizer: tok, Connections: ConnectionMap{"acme-shop": shop}, Audit: aud, AuditKey: []byte("0123456789abcdef")}
	return &fixture{p: p, pol: pol, shop: shop, tok: tok, aud: aud}
}

var tier1 = scopes.Principal{Subject: "exp-1", Tier: 1, Clients: []string{"acme-retail"}}

func (f *fixture) run(t *testing.T, who scopes.Principal, inquiry, op, params string, input map[string]any) (Response, *Error) {
	t.Helper()
	var ps map[string]json.RawMessage
	if err := json.Unmarshal([]byte(params), &ps); err != nil {
		t.Fatal(err)
	}
	resp, err := f.p.Run(context.Background(), Request{RequestID: "r1", Policy: f.pol, Principal: who,
		Target: scopes.Target{Client: "acme-retail", Inquiry: inquiry, Operation: op}, Params: ps, Input: input})
	if err != nil {
		return resp, AsError(err)
	}
	return resp, nil
}

func TestReadAppliesEveryRule(t *testing.T) {
	f := newFixture(t)
	resp, perr := f.run(t, tier1, "order_status", "get_order", `{"order_number":"1001"}`, nil)
	if perr != nil {
		t.Fatal(perr)
	}
	data := resp.Data.(map[string]any)
	raw, _ := json.Marshal(data)
	for _, leak := range []string{"maya.okafor@example.com", "Okafor", "7700 900123", "never", "Maya", "nested"} {
		if strings.Contains(string(raw), leak) {
			t.Errorf("answer leaks %q: %s", leak, raw)
		}
	}
	if data["name"] != "#1001" || data["phone"] != "****23" && !strings.HasSuffix(data["phone"].(string), "23") {
		t.Errorf("keep/mask wrong: %s", raw)
	}
	if data["customer"].(map[string]any)["last_name"] != scopes.Redacted {
		t.Errorf("redact wrong: %s", raw)
	}
	tok, err := pii.ParseToken(data["email"].(string))
	if err != nil || tok.Type != pii.Email || tok.Kind != pii.KindToken {
		t.Fatalf("email is not an EMAIL token: %v", data["email"])
	}
	items, err := f.tok.Tokenizer.Detokenize(context.Background(), "acme-retail", []string{data["email"].(string)})
	if err != nil || items[0].Value != "maya.okafor@example.com" {
		t.Fatalf("token does not round-trip: %v", err)
	}
	if h, err := pii.ParseToken(data["customer"].(map[string]any)["email"].(string)); err != nil || h.Kind != pii.KindHash {
		t.Errorf("hash rule did not give a cxh_ hash: %s", raw)
	}
	if note := data["note"].(string); !strings.Contains(note, "Customer says") {
		t.Errorf("scrub lost the text: %q", note)
	}
	if got := data["tags"].([]any); len(got) != 1 || got[0] != "vip" {
		t.Errorf("tags[] = %v, want only the scalar", got)
	}
	// One tokenize and one hmac round trip, whatever the number of fields.
	if n := f.tok.calls.Load(); n != 2 {
		t.Errorf("tokenizer round trips = %d, want 2 (tokenize + hmac)", n)
	}
	// The connector was asked for exactly the scope's fields.
	q := f.shop.queries[0]
	if len(q.Fields) != 8 || q.Resource != "order" {
		t.Errorf("pushed-down fields = %v", q.Fields)
	}
	recs := f.aud.Records()
	if len(recs) != 1 || recs[0].Outcome != "ok" || len(recs[0].Fields) != 8 || recs[0].Decision[0].Where == "" {
		t.Fatalf("audit record: %+v", recs)
	}
	if b := f.aud.Bytes(); strings.Contains(string(b), "maya.okafor") || strings.Contains(string(b), "Okafor") {
		t.Fatalf("audit holds PII: %s", b)
	}
}

func TestSearchBatchesTokensAcrossRecords(t *testing.T) {
	f := newFixture(t)
	f.shop.orders = append(f.shop.orders, order("#1003", "maya.okafor@example.com"))
	tokens, err := f.tok.Tokenizer.Tokenize(context.Background(), "acme-retail", []pii.Item{{Type: pii.Email, Value: "maya.okafor@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	f.tok.calls.Store(0)
	resp, perr := f.run(t, tier1, "order_status", "find_orders", `{"email":"`+tokens[0]+`"}`, nil)
	if perr != nil {
		t.Fatal(perr)
	}
	list := resp.Data.([]any)
	if len(list) != 2 {
		t.Fatalf("search found %d orders, want 2", len(list))
	}
	// The connector got the real value; the expert got the same token back.
	if got := f.shop.queries[0].Match[0].Value; got != "maya.okafor@example.com" {
		t.Fatalf("connector criterion = %q", got)
	}
	for _, r := range list {
		if r.(map[string]any)["email"] != tokens[0] {
			t.Fatalf("tokens are not deterministic: %v", r)
		}
	}
	if n := f.tok.calls.Load(); n != 2 {
		t.Errorf("round trips = %d, want 2 (detokenize + one tokenize for all records)", n)
	}
}

func TestTokenParamsAreBoundToClientAndType(t *testing.T) {
	f := newFixture(t)
	local := f.tok.Tokenizer
	other, _ := local.Tokenize(context.Background(), "globex-saas", []pii.Item{{Type: pii.Email, Value: "maya.okafor@example.com"}})
	phone, _ := local.Tokenize(context.Background(), "acme-retail", []pii.Item{{Type: pii.Phone, Value: "+447700900123"}})
	good, _ := local.Tokenize(context.Background(), "acme-retail", []pii.Item{{Type: pii.Email, Value: "maya.okafor@example.com"}})
	tampered := good[0][:len(good[0])-3] + "AAA"
	swapped := strings.Replace(phone[0], "cxt_phone_", "cxt_email_", 1)
	cases := map[string]string{
		"other client":   other[0],
		"other type":     phone[0],
		"type swapped":   swapped,
		"tampered":       tampered,
		"truncated":      good[0][:30],
		"not a token":    "maya.okafor@example.com",
		"hash not token": "cxh_email_v1_" + strings.Repeat("A", 43),
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			before := len(f.shop.queries)
			_, perr := f.run(t, tier1, "order_status", "find_orders", `{"email":"`+tok+`"}`, nil)
			if perr == nil || perr.Code != CodeInvalidParams || perr.Params[0].Name != "email" {
				t.Fatalf("got %v, want invalid_params on email", perr)
			}
			if len(f.shop.queries) != before {
				t.Fatal("the connector was called with an unusable token")
			}
		})
	}
}

func TestDenials(t *testing.T) {
	f := newFixture(t)
	gb2 := scopes.Principal{Subject: "e", Tier: 2, MFA: true, Country: "GB", Clients: []string{"acme-retail"}}
	cases := []struct {
		name              string
		who               scopes.Principal
		inquiry, op, code string
	}{
		{"not onboarded", scopes.Principal{Subject: "e", Tier: 3, Clients: []string{"globex-saas"}}, "order_status", "get_order", "forbidden"},
		{"unknown inquiry", tier1, "refunds", "x", "not_found"},
		{"tier too low", tier1, "address_change", "change_address", "tier_too_low"},
		{"no mfa", scopes.Principal{Subject: "e", Tier: 2, Country: "GB", Clients: []string{"acme-retail"}}, "address_change", "change_address", "mfa_required"},
		{"wrong country", scopes.Principal{Subject: "e", Tier: 2, MFA: true, Country: "FR", Clients: []string{"acme-retail"}}, "address_change", "change_address", "location_denied"},
		{"unknown country", scopes.Principal{Subject: "e", Tier: 2, MFA: true, Clients: []string{"acme-retail"}}, "address_change", "change_address", "location_denied"},
		{"allowed reaches params", gb2, "address_change", "change_address", "invalid_params"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, perr := f.run(t, c.who, c.inquiry, c.op, `{}`, nil)
			if perr == nil || perr.Code != c.code {
				t.Fatalf("got %v, want %s", perr, c.code)
			}
			recs := f.aud.Records()
			if last := recs[len(recs)-1]; last.Outcome != c.code {
				t.Fatalf("audit outcome %q, want %q", last.Outcome, c.code)
			}
		})
	}
	if len(f.shop.queries)+len(f.shop.updates) != 0 {
		t.Fatal("a denied request reached the connector")
	}
}

func TestParamValidation(t *testing.T) {
	f := newFixture(t)
	cases := map[string]string{
		"missing required": `{}`,
		"pattern":          `{"order_number":"1001' OR 1=1"}`,
		"wrong type":       `{"order_number":1001}`,
		"unknown param":    `{"order_number":"1001","status":"open"}`,
		"control chars":    `{"order_number":"10\u000001"}`,
	}
	for name, params := range cases {
		t.Run(name, func(t *testing.T) {
			if _, perr := f.run(t, tier1, "order_status", "get_order", params, nil); perr == nil || perr.Code != CodeInvalidParams {
				t.Fatalf("got %v, want invalid_params", perr)
			}
		})
	}
	if _, perr := f.run(t, tier1, "order_status", "get_order", `{"order_number":"1001"}`, map[string]any{"note": "x"}); perr == nil || perr.Code != CodeInvalidParams {
		t.Fatalf("input on a read: %v", perr)
	}
}

func TestUpdateSwapsTokensAndScrubsText(t *testing.T) {
	f := newFixture(t)
	gb2 := scopes.Principal{Subject: "e", Tier: 2, MFA: true, Country: "GB", Clients: []string{"acme-retail"}}
	addr, _ := f.tok.Tokenizer.Tokenize(context.Background(), "acme-retail", []pii.Item{{Type: pii.Address, Value: "221B Baker Street"}})
	resp, perr := f.run(t, gb2, "address_change", "change_address", `{"order_number":"#1001"}`, map[string]any{
		"shipping_address": map[string]any{"address1": addr[0], "country": "GB"},
		"note":             "new address confirmed, customer email maya.okafor@example.com",
	})
	if perr != nil {
		t.Fatal(perr)
	}
	u := f.shop.updates[0]
	got := map[string]any{}
	for _, a := range u.Set {
		got[a.Field.String()] = a.Value
	}
	if got["shipping_address.address1"] != "221B Baker Street" || got["shipping_address.country"] != "GB" {
		t.Fatalf("write-back did not carry the real value: %v", got)
	}
	if strings.Contains(got["note"].(string), "maya.okafor@example.com") {
		t.Fatalf("text input was not scrubbed: %q", got["note"])
	}
	if resp.Data.(map[string]any)["shipping_address"].(map[string]any)["address1"] != addr[0] {
		t.Fatalf("answer did not tokenize the written address: %v", resp.Data)
	}
	bad := []map[string]any{
		{"shipping_address.country": "FR"},
		{"shipping_address.address2": "x"},
		{"shipping_address.address1": "221B Baker Street"},
		{},
	}
	for _, in := range bad {
		if _, perr := f.run(t, gb2, "address_change", "change_address", `{"order_number":"1001"}`, in); perr == nil || perr.Code != CodeInvalidParams {
			t.Errorf("input %v: got %v, want invalid_params", in, perr)
		}
	}
	if len(f.shop.updates) != 1 {
		t.Fatal("an invalid input reached the connector")
	}
}

func TestFailClosed(t *testing.T) {
	t.Run("tokenizer down", func(t *testing.T) {
		f := newFixture(t)
		f.tok.fail = errors.Join(pii.ErrUnavailable, errors.New("connection refused"))
		resp, perr := f.run(t, tier1, "order_status", "get_order", `{"order_number":"1001"}`, nil)
		if perr == nil || perr.Code != CodeTokenizerUnavailable || resp.Data != nil {
			t.Fatalf("got %v / %v, want tokenizer_unavailable and no data", resp.Data, perr)
		}
	})
	t.Run("audit unwritable", func(t *testing.T) {
		f := newFixture(t)
		f.aud.Fail = errors.New("disk full")
		resp, perr := f.run(t, tier1, "order_status", "get_order", `{"order_number":"1001"}`, nil)
		if perr == nil || perr.Code != CodeAuditUnavailable || resp.Data != nil {
			t.Fatalf("got %v / %v, want audit_unavailable and no data", resp.Data, perr)
		}
	})
	t.Run("connector kinds", func(t *testing.T) {
		f := newFixture(t)
		for err, code := range map[error]string{
			connectors.ErrNotFound:                                  CodeNotFound,
			&connectors.RateLimitError{RetryAfter: 2 * time.Second}: CodeRateLimited,
			connectors.ErrUnavailable:                               CodeUpstreamUnavailable,
			errors.New("surprise"):                                  CodeUpstreamError,
		} {
			f.shop.err = err
			_, perr := f.run(t, tier1, "order_status", "get_order", `{"order_number":"1001"}`, nil)
			if perr == nil || perr.Code != code {
				t.Errorf("%v: got %v, want %s", err, perr, code)
			}
			if code == CodeRateLimited && perr.RetryAfter != 2*time.Second {
				t.Errorf("retry after %v", perr.RetryAfter)
			}
		}
	})
}

func TestInquiriesShowOnlyWhatIsAllowed(t *testing.T) {
	f := newFixture(t)
	list, err := f.p.Inquiries(context.Background(), "r", f.pol, tier1, "acme-retail")
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Inquiries) != 1 || list.Inquiries[0].ID != "order_status" || len(list.Inquiries[0].Operations) != 2 {
		t.Fatalf("tier 1 sees %+v", list)
	}
	if _, err := f.p.Inquiries(context.Background(), "r", f.pol, tier1, "globex-saas"); AsError(err).Code != CodeForbidden {
		t.Fatalf("other client: %v", err)
	}
}

func TestFilterTokenizeExchange(t *testing.T) {
	f := newFixture(t)
	res, err := f.p.Filter(context.Background(), FilterRequest{RequestID: "r", Policy: f.pol, Principal: tier1, Client: "acme-retail",
		Text: "hi, it's maya.okafor@example.com, order #1001", Mode: "tokenize"})
	if err != nil {
		t.Fatal(err)
	}
	spans := pii.FindTokens(res.Text)
	if len(spans) != 1 || strings.Contains(res.Text, "maya.okafor") || !strings.Contains(res.Text, "#1001") {
		t.Fatalf("filtered text %q", res.Text)
	}
	token := res.Text[spans[0].Start:spans[0].End]
	resp, perr := f.run(t, tier1, "order_status", "find_orders", `{"email":"`+token+`"}`, nil)
	if perr != nil || len(resp.Data.([]any)) != 1 {
		t.Fatalf("exchange: %v %v", resp.Data, perr)
	}
}

// TestWriteNotMadeWhenItCannotBeAudited: an update first records its
// intent; when that record cannot be written, the write never reaches the
// client's system.
func TestWriteNotMadeWhenItCannotBeAudited(t *testing.T) {
	f := newFixture(t)
	gb2 := scopes.Principal{Subject: "e", Tier: 2, MFA: true, Country: "GB", Clients: []string{"acme-retail"}}
	addr, _ := f.tok.Tokenizer.Tokenize(context.Background(), "acme-retail", []pii.Item{{Type: pii.Address, Value: "221B Baker Street"}})
	input := map[string]any{"shipping_address.address1": addr[0]}
	f.aud.Fail = errors.New("disk full")
	_, perr := f.run(t, gb2, "address_change", "change_address", `{"order_number":"1001"}`, input)
	if perr == nil || perr.Code != CodeAuditUnavailable || perr.Written {
		t.Fatalf("got %+v, want audit_unavailable and nothing written", perr)
	}
	if len(f.shop.updates) != 0 {
		t.Fatal("the write reached the connector although it could not be audited")
	}
	f.aud.Fail = nil
	if _, perr := f.run(t, gb2, "address_change", "change_address", `{"order_number":"1001"}`, input); perr != nil {
		t.Fatal(perr)
	}
	recs := f.aud.Records()
	if n := len(recs); n < 2 || recs[n-2].Stage != "write_intent" || recs[n-2].Outcome != "pending" || recs[n-1].Outcome != "ok" || recs[n-1].RequestID != recs[n-2].RequestID {
		t.Fatalf("a write leaves an intent record then its outcome: %+v", recs[max(0, n-2):])
	}
}

// TestAuditRecordIDsFollowTheScope: a record id reaches the audit log only
// when the scope returns it in clear.
func TestAuditRecordIDsFollowTheScope(t *testing.T) {
	for _, c := range []struct {
		rule string
		want []string
	}{{"keep", []string{"ord-1"}}, {"{hash: ACCOUNT}", nil}, {"redact", nil}} {
		scope := strings.Replace(testScope, "          name: keep\n          email: {tokenize: EMAIL}\n          phone:",
			"          name: keep\n          id: "+c.rule+"\n          email: {tokenize: EMAIL}\n          phone:", 1)
		f := newFixture(t)
		f.pol = policyOf(t, scope)
		f.shop.orders[0]["id"] = "ord-1"
		if _, perr := f.run(t, tier1, "order_status", "get_order", `{"order_number":"1001"}`, nil); perr != nil {
			t.Fatal(perr)
		}
		recs := f.aud.Records()
		if got := recs[len(recs)-1].Records; !slices.Equal(got, c.want) {
			t.Errorf("id %s: audit records %v, want %v", c.rule, got, c.want)
		}
	}
}
