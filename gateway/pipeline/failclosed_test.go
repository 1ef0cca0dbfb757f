package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cxgate/cxgate/gateway/filter"
	"github.com/cxgate/cxgate/internal/testutil"
	"github.com/cxgate/cxgate/pii"
	"github.com/cxgate/cxgate/scopes"
)

// Fail-closed paths of docs/security.md that need a misbehaving tokenizer
// or a text the content filter refuses. The fixture, fakeShop and the
// run helper are pipeline_test.go's.

// tier2GB may use address_change (tier 2, MFA, GB).
var tier2GB = scopes.Principal{Subject: "exp-2", Tier: 2, MFA: true, Country: "GB", Clients: []string{"acme-retail"}}

// miscountTok answers one tokenizer operation ("tokenize", "hmac" or
// "detokenize") with one item too few (delta -1) or one too many (delta
// +1); the items it does return are the real tokenizer's. The other
// operations pass through.
type miscountTok struct {
	Tokenizer
	op     string
	delta  int
	served atomic.Int64 // miscounted answers given
}

func miscount[T any](s []T, delta int) []T {
	s = slices.Clone(s)
	if delta < 0 {
		return s[:max(0, len(s)-1)]
	}
	if len(s) == 0 {
		var zero T
		return append(s, zero)
	}
	return append(s, s[len(s)-1])
}

func (m *miscountTok) Tokenize(ctx context.Context, client string, items []pii.Item) ([]string, error) {
	out, err := m.Tokenizer.Tokenize(ctx, client, items)
	if err != nil || m.op != "tokenize" {
		return out, err
	}
	m.served.Add(1)
	return miscount(out, m.delta), nil
}

func (m *miscountTok) HMAC(ctx context.Context, client string, items []pii.Item) ([]string, error) {
	out, err := m.Tokenizer.HMAC(ctx, client, items)
	if err != nil || m.op != "hmac" {
		return out, err
	}
	m.served.Add(1)
	return miscount(out, m.delta), nil
}

func (m *miscountTok) Detokenize(ctx context.Context, client string, toks []string) ([]pii.Item, error) {
	out, err := m.Tokenizer.Detokenize(ctx, client, toks)
	if err != nil || m.op != "detokenize" {
		return out, err
	}
	m.served.Add(1)
	return miscount(out, m.delta), nil
}

var deltas = map[string]int{"one too few": -1, "one too many": +1}

// assertInternalAndNothingReturned checks a request that must fail with
// 500 internal: no data, and neither the answer, the problem nor the audit
// log holds anything of the record or any value derived from it.
func assertInternalAndNothingReturned(t *testing.T, f *fixture, resp Response, perr *Error, secrets ...string) {
	t.Helper()
	if perr == nil || perr.Code != CodeInternal || StatusOf(perr.Code) != 500 {
		t.Fatalf("got %v, want 500 internal", perr)
	}
	if resp.Data != nil {
		t.Fatalf("an answer came back with the error: %v", resp.Data)
	}
	raw, _ := json.Marshal(resp)
	shown := string(raw) + "\n" + perr.Detail + "\n" + perr.Error()
	for _, p := range perr.Params {
		shown += "\n" + p.Name + " " + p.Message
	}
	for _, s := range append(secrets, "cxt_", "cxh_") {
		if strings.Contains(shown, s) {
			t.Errorf("the failed answer holds %q: %s", s, shown)
		}
	}
	recs := f.aud.Records()
	last := recs[len(recs)-1]
	if last.Outcome != CodeInternal || last.Status != 500 {
		t.Errorf("audit outcome %q %d, want internal 500", last.Outcome, last.Status)
	}
	if len(last.Fields) != 0 || len(last.Records) != 0 || last.Tokens != 0 {
		t.Errorf("the audit record says something was returned: fields %v, records %v, tokens %d", last.Fields, last.Records, last.Tokens)
	}
	if b := string(f.aud.Bytes()); strings.Contains(b, "cxt_") || strings.Contains(b, "cxh_") {
		t.Errorf("the audit log holds a token or hash: %s", b)
	} else {
		for _, s := range secrets {
			if strings.Contains(b, s) {
				t.Errorf("the audit log holds %q: %s", s, b)
			}
		}
	}
}

// TestTokenizerMiscountAfterConnector: the tokenize or HMAC batch of an
// answer comes back with a different number of items than asked. Which
// value goes to which field cannot be known, so nothing is returned:
// 500 internal (vaultCalls).
func TestTokenizerMiscountAfterConnector(t *testing.T) {
	for _, op := range []string{"tokenize", "hmac"} {
		for name, delta := range deltas {
			t.Run(op+"/"+name, func(t *testing.T) {
				f := newFixture(t)
				mt := &miscountTok{Tokenizer: f.p.Tokenizer, op: op, delta: delta}
				f.p.Tokenizer = mt
				resp, perr := f.run(t, tier1, "order_status", "get_order", `{"order_number":"1001"}`, nil)
				if n := mt.served.Load(); n != 1 {
					t.Fatalf("the %s call was answered wrongly %d times, want 1 (the path was not reached)", op, n)
				}
				if len(f.shop.queries) != 1 {
					t.Fatalf("connector reads = %d, want 1 (this is the path after the CRM call)", len(f.shop.queries))
				}
				assertInternalAndNothingReturned(t, f, resp, perr,
					"maya.okafor@example.com", "Okafor", "7700", "#1001", "Stoneware", "vip", "Customer says")
			})
		}
	}
}

// TestTokenizerMiscountBeforeConnector: the detokenize batch of the token
// params and inputs comes back with a different number of items than
// asked. 500 internal, and the client's system is never called
// (Pipeline.detokenize).
func TestTokenizerMiscountBeforeConnector(t *testing.T) {
	// change_address with a second token (an EMAIL param) beside the
	// ADDRESS input, so that "one too few" still answers a real value for
	// one of them.
	twoTokens := strings.Replace(testScope,
		"          order_number: {type: string, required: true}\n        input:",
		"          order_number: {type: string, required: true}\n          email: {type: token, pii: EMAIL}\n        input:", 1)
	if twoTokens == testScope {
		t.Fatal("the scope variant did not apply")
	}
	twoTokensPolicy := policyOf(t, twoTokens)

	for name, delta := range deltas {
		t.Run("search/"+name, func(t *testing.T) {
			f := newFixture(t)
			email, err := f.tok.Tokenizer.Tokenize(context.Background(), "acme-retail", []pii.Item{{Type: pii.Email, Value: "maya.okafor@example.com"}})
			if err != nil {
				t.Fatal(err)
			}
			mt := &miscountTok{Tokenizer: f.p.Tokenizer, op: "detokenize", delta: delta}
			f.p.Tokenizer = mt
			resp, perr := f.run(t, tier1, "order_status", "find_orders", `{"email":"`+email[0]+`"}`, nil)
			if n := mt.served.Load(); n != 1 {
				t.Fatalf("detokenize was answered wrongly %d times, want 1 (the path was not reached)", n)
			}
			if len(f.shop.queries)+len(f.shop.updates) != 0 {
				t.Errorf("the connector was called: %d queries, %d updates", len(f.shop.queries), len(f.shop.updates))
			}
			assertInternalAndNothingReturned(t, f, resp, perr, "maya.okafor@example.com", "#1001")
		})
		t.Run("update/"+name, func(t *testing.T) {
			f := newFixture(t)
			f.pol = twoTokensPolicy
			local := f.tok.Tokenizer
			email, err := local.Tokenize(context.Background(), "acme-retail", []pii.Item{{Type: pii.Email, Value: "maya.okafor@example.com"}})
			if err != nil {
				t.Fatal(err)
			}
			addr, err := local.Tokenize(context.Background(), "acme-retail", []pii.Item{{Type: pii.Address, Value: "221B Baker Street"}})
			if err != nil {
				t.Fatal(err)
			}
			mt := &miscountTok{Tokenizer: f.p.Tokenizer, op: "detokenize", delta: delta}
			f.p.Tokenizer = mt
			resp, perr := f.run(t, tier2GB, "address_change", "change_address", `{"order_number":"1001","email":"`+email[0]+`"}`,
				map[string]any{"shipping_address": map[string]any{"address1": addr[0], "country": "GB"}, "note": "moved house"})
			if n := mt.served.Load(); n != 1 {
				t.Fatalf("detokenize was answered wrongly %d times, want 1 (the path was not reached)", n)
			}
			if len(f.shop.queries)+len(f.shop.updates) != 0 {
				t.Errorf("the connector was called: %d queries, %d updates", len(f.shop.queries), len(f.shop.updates))
			}
			for _, r := range f.aud.Records() {
				if r.Stage == "write_intent" {
					t.Errorf("a write intent was recorded for a write that must not be made: %+v", r)
				}
			}
			assertInternalAndNothingReturned(t, f, resp, perr, "maya.okafor@example.com", "221B Baker Street")
			if perr.Written {
				t.Error("the error says the update was written")
			}
		})
	}
}

// oversizedText is free text of exactly n bytes holding a marker, an
// email and a phone number, over and over.
func oversizedText(n int) string {
	const unit = "Customer says: oversized-note-marker, write to maya.okafor@example.com or call +44 7700 900123. "
	s := strings.Repeat(unit, n/len(unit))
	return s + strings.Repeat("x", n-len(s))
}

// TestScrubOverFilterLimitIsNull: a scrub field whose text is over the
// client's content filter limit cannot be filtered, so it is answered as
// null; the other fields of the record are answered under their rules
// (protector.visit). The pipeline's filters are built by NewPolicy with
// filter.Config's MaxInput unset, so the limit is filter.DefaultMaxInput.
func TestScrubOverFilterLimitIsNull(t *testing.T) {
	f := newFixture(t)
	big := oversizedText(filter.DefaultMaxInput + 1)
	if _, err := f.pol.Filter("acme-retail").Mask(big); !errors.Is(err, filter.ErrTooLarge) {
		t.Fatalf("the client's filter takes %d bytes (err %v); the test needs text over its limit", len(big), err)
	}
	f.shop.orders[0]["note"] = big
	var logs testutil.SyncBuffer
	f.p.Logger = slog.New(slog.NewTextHandler(&logs, nil))

	resp, perr := f.run(t, tier1, "order_status", "get_order", `{"order_number":"1001"}`, nil)
	if perr != nil {
		t.Fatalf("the record was not answered: %v", perr)
	}
	if l := logs.String(); !strings.Contains(l, "field values withheld") || !strings.Contains(l, "withheld=1") || strings.Contains(l, "Customer says") {
		t.Errorf("want one warning counting the withheld value, without it; logs:\n%.400s", l)
	}
	data := resp.Data.(map[string]any)
	raw, _ := json.Marshal(data)
	if note, present := data["note"]; !present || note != nil {
		t.Errorf("note = %.80v (present %v), want null", note, present)
	}
	for _, leak := range []string{"oversized-note-marker", "Customer says", "maya.okafor@example.com", "7700 900123", "Okafor", "Maya", "never"} {
		if strings.Contains(string(raw), leak) {
			t.Errorf("answer holds %q: %.400s", leak, raw)
		}
	}

	// The rest of the record, each field under its rule.
	if data["name"] != "#1001" {
		t.Errorf("keep: name = %v", data["name"])
	}
	if tok, err := pii.ParseToken(data["email"].(string)); err != nil || tok.Kind != pii.KindToken || tok.Type != pii.Email {
		t.Errorf("tokenize: email = %v", data["email"])
	}
	if phone, _ := data["phone"].(string); !strings.HasSuffix(phone, "23") || strings.Contains(phone, "7700") {
		t.Errorf("mask last2: phone = %v", data["phone"])
	}
	cust := data["customer"].(map[string]any)
	if cust["last_name"] != scopes.Redacted {
		t.Errorf("redact: customer.last_name = %v", cust["last_name"])
	}
	if h, err := pii.ParseToken(cust["email"].(string)); err != nil || h.Kind != pii.KindHash {
		t.Errorf("hash: customer.email = %v", cust["email"])
	}
	if items := data["line_items"].([]any); len(items) != 1 || items[0].(map[string]any)["title"] != "Stoneware Mug" {
		t.Errorf("keep: line_items = %v", data["line_items"])
	}
	if tags := data["tags"].([]any); len(tags) != 1 || tags[0] != "vip" {
		t.Errorf("keep: tags = %v", tags)
	}

	recs := f.aud.Records()
	if len(recs) != 1 || recs[0].Outcome != "ok" || recs[0].Status != 200 || len(recs[0].Fields) != 8 {
		t.Fatalf("audit record: %+v", recs)
	}
	if b := string(f.aud.Bytes()); strings.Contains(b, "oversized-note-marker") || strings.Contains(b, "maya.okafor") || strings.Contains(b, "7700") {
		t.Fatalf("the audit log holds the oversized text: %.400s", b)
	}

	// Control: at exactly the limit the same text is scrubbed, not withheld.
	f.shop.orders[0]["note"] = oversizedText(filter.DefaultMaxInput)
	resp, perr = f.run(t, tier1, "order_status", "get_order", `{"order_number":"1001"}`, nil)
	if perr != nil {
		t.Fatal(perr)
	}
	note, _ := resp.Data.(map[string]any)["note"].(string)
	if !strings.Contains(note, "oversized-note-marker") || strings.Contains(note, "maya.okafor@example.com") || strings.Contains(note, "7700 900123") {
		t.Fatalf("a note at the filter's limit was not scrubbed: %.200q", note)
	}
}

// TestTextInputThatCannotBeFilteredIsNotWritten: an update's text input
// that the content filter cannot run on is refused, 400 invalid_params
// naming the input, and nothing reaches the client's system.
func TestTextInputThatCannotBeFilteredIsNotWritten(t *testing.T) {
	update := func(t *testing.T, f *fixture, note string) (Response, *Error) {
		t.Helper()
		addr, err := f.tok.Tokenizer.Tokenize(context.Background(), "acme-retail", []pii.Item{{Type: pii.Address, Value: "221B Baker Street"}})
		if err != nil {
			t.Fatal(err)
		}
		return f.run(t, tier2GB, "address_change", "change_address", `{"order_number":"1001"}`,
			map[string]any{"shipping_address": map[string]any{"address1": addr[0], "country": "GB"}, "note": note})
	}
	refused := func(t *testing.T, f *fixture, resp Response, perr *Error) {
		t.Helper()
		if len(f.shop.updates) != 0 {
			t.Errorf("the update reached the connector %d times", len(f.shop.updates))
		}
		recs := f.aud.Records()
		for _, r := range recs {
			if r.Stage == "write_intent" {
				t.Errorf("a write intent was recorded for a write that must not be made (request %s)", r.RequestID)
			}
		}
		if perr == nil || perr.Code != CodeInvalidParams || StatusOf(perr.Code) != 400 {
			t.Fatalf("got %v, want 400 invalid_params", perr)
		}
		if len(perr.Params) != 1 || perr.Params[0].Name != "input.note" {
			t.Errorf("params at fault = %+v, want input.note only", perr.Params)
		}
		if resp.Data != nil || perr.Written {
			t.Errorf("data %v, written %v", resp.Data, perr.Written)
		}
		if last := recs[len(recs)-1]; last.Outcome != CodeInvalidParams || last.Status != 400 {
			t.Errorf("audit outcome %q %d, want invalid_params 400", last.Outcome, last.Status)
		}
		shown := perr.Error() + string(f.aud.Bytes())
		for _, p := range perr.Params {
			shown += p.Message
		}
		for _, s := range []string{"oversized-note-marker", "maya.okafor", "7700", "221B"} {
			if strings.Contains(shown, s) {
				t.Errorf("the refusal or the audit log holds %q", s)
			}
		}
	}

	// Over the filter's limit as the pipeline configures it
	// (filter.DefaultMaxInput). checkInputs' own bound (maxInputLen, below
	// the filter's) refuses it first; Run's filter check stands behind it.
	t.Run("over the filter limit", func(t *testing.T) {
		f := newFixture(t)
		big := oversizedText(filter.DefaultMaxInput + 1)
		if _, err := f.pol.Filter("acme-retail").Mask(big); !errors.Is(err, filter.ErrTooLarge) {
			t.Fatalf("the client's filter takes %d bytes (err %v)", len(big), err)
		}
		resp, perr := update(t, f, big)
		refused(t, f, resp, perr)
	})

	// A text checkInputs accepts but the client's filter refuses: only
	// Run's filter check stands between it and the write.
	t.Run("filter refuses", func(t *testing.T) {
		f := newFixture(t)
		narrow, err := filter.New(filter.Config{MaxInput: 1024})
		if err != nil {
			t.Fatal(err)
		}
		f.pol = &Policy{Set: f.pol.Set, filters: map[string]*filter.Filter{"acme-retail": narrow}, fallback: narrow}
		text := oversizedText(2048)
		if len(text) > maxInputLen {
			t.Fatalf("the text (%d bytes) must fit checkInputs (%d)", len(text), maxInputLen)
		}
		if _, err := narrow.Mask(text); !errors.Is(err, filter.ErrTooLarge) {
			t.Fatalf("the narrowed filter takes the text: %v", err)
		}
		resp, perr := update(t, f, text)
		refused(t, f, resp, perr)

		// Control: with the same filter a short note is filtered and written.
		if _, perr := update(t, f, "moved, new email maya.okafor@example.com"); perr != nil {
			t.Fatal(perr)
		}
		if len(f.shop.updates) != 1 {
			t.Fatalf("updates = %d, want 1", len(f.shop.updates))
		}
		for _, a := range f.shop.updates[0].Set {
			if a.Field.String() == "note" && (strings.Contains(a.Value.(string), "maya.okafor") || !strings.Contains(a.Value.(string), "moved")) {
				t.Fatalf("note written as %q", a.Value)
			}
		}
	})
}

// panicTok panics in one tokenizer operation.
type panicTok struct {
	Tokenizer
	op string
}

func (p *panicTok) Tokenize(ctx context.Context, client string, items []pii.Item) ([]string, error) {
	if p.op == "tokenize" {
		panic("tokenizer exploded")
	}
	return p.Tokenizer.Tokenize(ctx, client, items)
}

func (p *panicTok) HMAC(ctx context.Context, client string, items []pii.Item) ([]string, error) {
	if p.op == "hmac" {
		panic("tokenizer exploded")
	}
	return p.Tokenizer.HMAC(ctx, client, items)
}

// TestPanicIsAuditedAndRaisedOnTheCaller: a panic anywhere under Run, even
// in the goroutines that call the tokenizer (where it would end the
// process), reaches Run's caller (the HTTP layer, which answers 500), and
// the audit record says internal/500, never ok.
func TestPanicIsAuditedAndRaisedOnTheCaller(t *testing.T) {
	for _, op := range []string{"tokenize", "hmac"} {
		t.Run(op, func(t *testing.T) {
			f := newFixture(t)
			f.p.Tokenizer = &panicTok{Tokenizer: f.p.Tokenizer, op: op}
			var got any
			func() {
				defer func() { got = recover() }()
				_, _ = f.run(t, tier1, "order_status", "get_order", `{"order_number":"1001"}`, nil)
			}()
			if s, _ := got.(string); !strings.Contains(s, "tokenizer exploded") || !strings.Contains(s, "[tokenizer goroutine]") {
				t.Fatalf("Run's caller recovered %v; want the tokenizer's panic with its goroutine's stack", got)
			}
			recs := f.aud.Records()
			if len(recs) != 1 || recs[0].Outcome != CodeInternal || recs[0].Status != 500 {
				t.Fatalf("audit records %+v; want one internal/500", recs)
			}
		})
	}
}
