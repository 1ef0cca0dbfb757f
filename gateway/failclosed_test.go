package gateway_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxgate/cxgate/gateway"
	"github.com/cxgate/cxgate/gateway/audit"
	"github.com/cxgate/cxgate/gateway/config"
	"github.com/cxgate/cxgate/gateway/dev"
	"github.com/cxgate/cxgate/pii"
	"github.com/cxgate/cxgate/vaultclient"
)

// The fail-closed paths of docs/security.md that the other tests leave
// out: a handler that panics, an update written before its answer failed,
// and an idempotent replay whose audit record cannot be written.

// panicValue is what the test doubles panic with: distinctive, so that
// finding it anywhere in an answer is a leak.
const panicValue = "cxgate-test-panic-3f9a1c: internal state the expert must never see"

// An update that writes to the Zendesk sandbox (ticket 4101, tier 1).
const (
	commentPath = "/v1/clients/globex-saas/inquiries/ticket_status/operations/add_private_comment"
	commentBody = `{"params":{"id":4101},"input":{"comment":{"body":"Replacement sent.","public":false},"status":"pending"}}`
)

// postComment sends the Zendesk update as tier1-basic with an Idempotency-Key.
func postComment(t *testing.T, h *harness, key string) result {
	t.Helper()
	return h.do(t, req{method: "POST", path: commentPath, token: h.expert(t, "tier1-basic").Token, body: commentBody,
		headers: []string{"Idempotency-Key: " + key}})
}

// flakyTokenizer is the local tokenizer with switches: Tokenize can fail
// as an unreachable Vault would, and Detokenize can panic.
type flakyTokenizer struct {
	*vaultclient.Local
	mu        sync.Mutex
	failTok   bool
	panicWith any
	tokenized int // Tokenize calls while failing
}

func newFlakyTokenizer(t *testing.T) *flakyTokenizer {
	t.Helper()
	local, err := vaultclient.NewLocalRandom()
	if err != nil {
		t.Fatal(err)
	}
	return &flakyTokenizer{Local: local}
}

func (f *flakyTokenizer) setFailTokenize(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failTok = on
}

func (f *flakyTokenizer) setPanic(v any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.panicWith = v
}

func (f *flakyTokenizer) failedTokenizeCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokenized
}

func (f *flakyTokenizer) Tokenize(ctx context.Context, client string, items []pii.Item) ([]string, error) {
	f.mu.Lock()
	fail := f.failTok
	if fail {
		f.tokenized++
	}
	f.mu.Unlock()
	if fail {
		return nil, errors.Join(pii.ErrUnavailable, errors.New("test: tokenizer switched off"))
	}
	return f.Local.Tokenize(ctx, client, items)
}

func (f *flakyTokenizer) Detokenize(ctx context.Context, client string, tokens []string) ([]pii.Item, error) {
	f.mu.Lock()
	v := f.panicWith
	f.mu.Unlock()
	if v != nil {
		panic(v)
	}
	return f.Local.Detokenize(ctx, client, tokens)
}

// flakyAuditor keeps audit records in memory. A hook, when set, sees each
// record first: an error refuses it (as a full disk would) and a panic
// propagates to the writer's caller.
type flakyAuditor struct {
	mu   sync.Mutex
	hook func(*audit.Record) error
	recs []audit.Record
}

func (a *flakyAuditor) set(hook func(*audit.Record) error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.hook = hook
}

func (a *flakyAuditor) Write(rec *audit.Record) error {
	a.mu.Lock()
	hook := a.hook
	a.mu.Unlock()
	if hook != nil {
		if err := hook(rec); err != nil {
			return err
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.recs = append(a.recs, *rec)
	return nil
}

// find returns the stored record of a request at a stage ("" for the
// outcome record), or nil.
func (a *flakyAuditor) find(requestID, stage string) *audit.Record {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range a.recs {
		if a.recs[i].RequestID == requestID && a.recs[i].Stage == stage {
			r := a.recs[i]
			return &r
		}
	}
	return nil
}

var errDiskFull = errors.New("test: no space left on device")

// wantReplay checks that again is first replayed: same status, media type
// and body (with the first call's request_id), marked Idempotent-Replayed,
// under a request id of its own.
func wantReplay(t *testing.T, again, first result) {
	t.Helper()
	if again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("not a replay (Idempotent-Replayed %q): %d %s", again.header.Get("Idempotent-Replayed"), again.status, again.body)
	}
	if again.status != first.status || string(again.body) != string(first.body) {
		t.Fatalf("replay %d %s, want the first answer %d %s", again.status, again.body, first.status, first.body)
	}
	if again.header.Get("Content-Type") != first.header.Get("Content-Type") {
		t.Fatalf("replay Content-Type %q, first %q", again.header.Get("Content-Type"), first.header.Get("Content-Type"))
	}
	if id := again.header.Get("X-Request-Id"); id == "" || id == first.header.Get("X-Request-Id") {
		t.Fatalf("replay X-Request-Id %q, first %q", id, first.header.Get("X-Request-Id"))
	}
}

// logLine returns the JSON log line with this message and request id, or nil.
func logLine(t *testing.T, h *harness, msg, requestID string) map[string]any {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(h.logs.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		if m["msg"] == msg && m["request_id"] == requestID {
			return m
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return nil
}

// TestHandlerPanic: a panic while a request is handled (here in the
// tokenizer, under Pipeline.Run, through the whole production handler
// chain) answers 500 internal as problem+json. The panic value and the
// stack go to the log only, and the server goes on serving.
func TestHandlerPanic(t *testing.T) {
	tk := newFlakyTokenizer(t)
	h := start(t, dev.Options{Tokenizer: tk})
	body := `{"params":{"email":"` + h.env.ExchangeToken + `"}}`
	find := func() result {
		return h.run(t, "tier1-basic", "acme-retail", "order_status", "find_orders_by_email", body)
	}

	tk.setPanic(panicValue)
	r := find()
	p := wantProblem(t, r, http.StatusInternalServerError, gateway.CodeInternal)
	if p.Detail != "" || len(p.Params) != 0 {
		t.Errorf("the problem says more than internal: %s", r.body)
	}
	for _, leak := range []string{panicValue, "cxgate-test-panic", "goroutine", ".go:", "Detokenize", "panic"} {
		if strings.Contains(string(r.body), leak) {
			t.Errorf("the answer holds %q: %s", leak, r.body)
		}
	}
	if r.header.Get("Idempotent-Replayed") != "" {
		t.Errorf("a replay header without an Idempotency-Key")
	}

	// The log has the panic with its stack, under the request's id.
	line := logLine(t, h, "panic in handler", p.RequestID)
	if line == nil {
		t.Fatalf("no \"panic in handler\" log line for request %s:\n%s", p.RequestID, h.logs.String())
	}
	if line["level"] != "ERROR" || line["panic"] != panicValue {
		t.Errorf("panic log line: level %v, panic %v", line["level"], line["panic"])
	}
	stack, _ := line["stack"].(string)
	if !strings.Contains(stack, "goroutine") || !strings.Contains(stack, "(*flakyTokenizer).Detokenize") {
		t.Errorf("the log line's stack does not show where the panic was:\n%s", stack)
	}
	if access := logLine(t, h, "request", p.RequestID); access == nil || access["status"] != float64(500) {
		t.Errorf("access log line %v, want status 500", access)
	}

	// The next request is served, over the same client.
	tk.setPanic(nil)
	var list struct {
		Data []map[string]any `json:"data"`
	}
	decode(t, find(), &list)
	if len(list.Data) == 0 {
		t.Fatal("after the panic the exchange token finds no orders")
	}
}

// TestHandlerPanicAfterAWriteSettlesItsKey: an update that panics after
// the client's system accepted the write (here the audit sink panics on
// the outcome record) answers 500 internal, and a retry with the same
// Idempotency-Key replays that problem at once without writing again. It
// neither waits for an attempt that will never finish nor runs again.
func TestHandlerPanicAfterAWriteSettlesItsKey(t *testing.T) {
	aud := &flakyAuditor{}
	h := start(t, dev.Options{Auditor: aud})
	aud.set(func(rec *audit.Record) error {
		if rec.Operation == "add_private_comment" && rec.Stage == "" {
			panic(panicValue)
		}
		return nil
	})
	first := postComment(t, h, "panic-1")
	p := wantProblem(t, first, http.StatusInternalServerError, gateway.CodeInternal)
	if strings.Contains(string(first.body), "cxgate-test-panic") {
		t.Fatalf("the answer holds the panic value: %s", first.body)
	}
	if n := zendeskWrites(h, "4101"); n != 1 {
		t.Fatalf("the sandbox saw %d writes, want 1 (the panic comes after the write)", n)
	}
	if aud.find(p.RequestID, "write_intent") == nil {
		t.Fatal("no write_intent record for the write")
	}
	if logLine(t, h, "panic in handler", p.RequestID) == nil {
		t.Fatalf("no panic log line for request %s", p.RequestID)
	}

	aud.set(nil)
	again := postComment(t, h, "panic-1")
	wantReplay(t, again, first)
	if n := zendeskWrites(h, "4101"); n != 1 {
		t.Fatalf("the retry wrote again: %d writes", n)
	}
	if rec := aud.find(again.header.Get("X-Request-Id"), "idempotent_replay"); rec == nil || rec.Outcome != gateway.CodeInternal {
		t.Fatalf("the replay's audit record: %+v", rec)
	}
}

// TestWrittenThenAnswerFailed: when the client's system accepted an update
// but its answer could not be made, the expert gets the problem, and a
// retry with the same Idempotency-Key replays it without writing again,
// even once the failing part works again. A new key writes (the control
// that the writes are counted).
func TestWrittenThenAnswerFailed(t *testing.T) {
	t.Run("tokenizer fails on the record read back", func(t *testing.T) {
		tk := newFlakyTokenizer(t)
		h := start(t, dev.Options{Tokenizer: tk})
		const path = "/v1/clients/acme-retail/inquiries/address_change/operations/change_shipping_address"
		// The answer tokenizes shipping_address.address1 and zip.
		const body = `{"params":{"order_number":"#1003"},"input":{"shipping_address":{"city":"Leeds"}}}`
		post := func(key string) result {
			return h.do(t, req{method: "POST", path: path, token: h.expert(t, "tier2-gb").Token, body: body,
				headers: []string{"Idempotency-Key: " + key}})
		}
		// orderUpdate mutations that reached the Shopify sandbox.
		writes := func() int {
			n := 0
			for _, r := range h.env.Sandboxes.Shopify.Requests() {
				if r.Method == http.MethodPost && strings.Contains(string(r.Body), "orderUpdate(") {
					n++
				}
			}
			return n
		}

		tk.setFailTokenize(true)
		first := post("addr-1")
		wantProblem(t, first, http.StatusServiceUnavailable, gateway.CodeTokenizerUnavailable)
		if tk.failedTokenizeCalls() == 0 {
			t.Fatal("the tokenizer was not asked: the test does not fail where it means to")
		}
		if n := writes(); n != 1 {
			t.Fatalf("the sandbox saw %d writes, want 1", n)
		}

		tk.setFailTokenize(false)
		again := post("addr-1")
		wantReplay(t, again, first)
		if n := writes(); n != 1 {
			t.Fatalf("the retry wrote again: %d writes", n)
		}
		decode(t, post("addr-2"), &map[string]any{})
		if n := writes(); n != 2 {
			t.Fatalf("a new key: %d writes, want 2", n)
		}
	})

	t.Run("outcome record cannot be written", func(t *testing.T) {
		aud := &flakyAuditor{}
		h := start(t, dev.Options{Auditor: aud})
		aud.set(func(rec *audit.Record) error {
			if rec.Operation == "add_private_comment" && rec.Stage == "" {
				return errDiskFull
			}
			return nil
		})
		first := postComment(t, h, "comment-1")
		p := wantProblem(t, first, http.StatusServiceUnavailable, gateway.CodeAuditUnavailable)
		if n := zendeskWrites(h, "4101"); n != 1 {
			t.Fatalf("the sandbox saw %d writes, want 1", n)
		}
		if rec := aud.find(p.RequestID, "write_intent"); rec == nil || rec.Outcome != "pending" {
			t.Fatalf("the write_intent record: %+v", rec)
		}
		if rec := aud.find(p.RequestID, ""); rec != nil {
			t.Fatalf("an outcome record was kept though the sink refused it: %+v", rec)
		}

		aud.set(nil)
		again := postComment(t, h, "comment-1")
		wantReplay(t, again, first)
		if n := zendeskWrites(h, "4101"); n != 1 {
			t.Fatalf("the retry wrote again: %d writes", n)
		}
		if rec := aud.find(again.header.Get("X-Request-Id"), "idempotent_replay"); rec == nil ||
			rec.Outcome != gateway.CodeAuditUnavailable || rec.Status != http.StatusServiceUnavailable {
			t.Fatalf("the replay's audit record: %+v", rec)
		}
		decode(t, postComment(t, h, "comment-2"), &map[string]any{})
		if n := zendeskWrites(h, "4101"); n != 2 {
			t.Fatalf("a new key: %d writes, want 2", n)
		}
	})
}

// TestReplayWithheldWhenItsAuditFails: a replay whose audit record cannot
// be written is withheld (503 audit_unavailable, nothing of the stored
// answer), and the stored answer is kept: once the audit works again, the
// next retry gets it, replayed rather than written again.
func TestReplayWithheldWhenItsAuditFails(t *testing.T) {
	aud := &flakyAuditor{}
	h := start(t, dev.Options{Auditor: aud})
	first := postComment(t, h, "replay-1")
	var a struct {
		Data      map[string]any `json:"data"`
		RequestID string         `json:"request_id"`
	}
	decode(t, first, &a)
	if a.Data["status"] != "pending" || first.header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("first answer: %s", first.body)
	}
	if n := zendeskWrites(h, "4101"); n != 1 {
		t.Fatalf("the sandbox saw %d writes, want 1", n)
	}

	aud.set(func(rec *audit.Record) error {
		if rec.Stage == "idempotent_replay" {
			return errDiskFull
		}
		return nil
	})
	withheld := postComment(t, h, "replay-1")
	p := wantProblem(t, withheld, http.StatusServiceUnavailable, gateway.CodeAuditUnavailable)
	if withheld.header.Get("Idempotent-Replayed") != "" {
		t.Errorf("the withheld replay is marked Idempotent-Replayed")
	}
	if strings.Contains(string(withheld.body), a.RequestID) || strings.Contains(string(withheld.body), `"data"`) {
		t.Fatalf("the withheld replay shows the stored answer: %s", withheld.body)
	}
	if aud.find(p.RequestID, "idempotent_replay") != nil {
		t.Fatal("a replay record was kept though the sink refused it")
	}
	if n := zendeskWrites(h, "4101"); n != 1 {
		t.Fatalf("the withheld replay wrote: %d writes", n)
	}
	wantMetric(t, h, "cxgate_audit_write_failures_total 1")

	aud.set(nil)
	again := postComment(t, h, "replay-1")
	wantReplay(t, again, first)
	if n := zendeskWrites(h, "4101"); n != 1 {
		t.Fatalf("the retry after the audit came back wrote again: %d writes", n)
	}
	if rec := aud.find(again.header.Get("X-Request-Id"), "idempotent_replay"); rec == nil || rec.Outcome != "ok" || rec.Status != http.StatusOK {
		t.Fatalf("the replay's audit record: %+v", rec)
	}
}

// TestRetryOutlivedByTheFirstCall: a retry that waits for the first call
// with its key until its own request time runs out gets 409
// idempotency_conflict ("still in progress"), audited, and writes nothing;
// once the first call ends, the next retry replays its answer.
func TestRetryOutlivedByTheFirstCall(t *testing.T) {
	aud := &flakyAuditor{}
	// WriteTimeout 4s gives each request 3s (app.requestTimeout): ample for
	// the first call's write on a loaded machine, and what the retry waits.
	h := start(t, dev.Options{Auditor: aud, Limits: &config.Limits{WriteTimeout: 4 * time.Second}})
	reached, release := make(chan struct{}), make(chan struct{})
	var once, released sync.Once
	free := func() { released.Do(func() { close(release) }) }
	t.Cleanup(free) // a failing test must not leave the first call (and the server's Close) waiting
	aud.set(func(rec *audit.Record) error {
		// The first call's outcome record waits: the call stays in flight.
		if rec.Operation == "add_private_comment" && rec.Stage == "" && rec.Outcome == "ok" {
			once.Do(func() {
				close(reached)
				<-release
			})
		}
		return nil
	})
	// The first call runs on its own goroutine, which must not call
	// t.Fatal: it sends the request by hand and hands back what it got.
	hr, err := http.NewRequest("POST", h.srv.URL+commentPath, strings.NewReader(commentBody))
	if err != nil {
		t.Fatal(err)
	}
	hr.Header.Set("Authorization", "Bearer "+h.expert(t, "tier1-basic").Token)
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Idempotency-Key", "slow-1")
	firstDone := make(chan result, 1)
	go func() {
		var r result
		if resp, err := http.DefaultClient.Do(hr); err == nil {
			r.status, r.header = resp.StatusCode, resp.Header
			r.body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		firstDone <- r
	}()
	select {
	case <-reached:
	case r := <-firstDone:
		t.Fatalf("the first call ended before its outcome record: %d %s", r.status, r.body)
	}

	retry := postComment(t, h, "slow-1")
	p := wantProblem(t, retry, http.StatusConflict, gateway.CodeIdempotencyConflict)
	if !strings.Contains(p.Detail, "still in progress") {
		t.Errorf("detail %q, want it to say the first call is still in progress", p.Detail)
	}
	if rec := aud.find(p.RequestID, ""); rec == nil || rec.Outcome != gateway.CodeIdempotencyConflict || rec.Status != http.StatusConflict {
		t.Errorf("the retry's audit record: %+v, want idempotency_conflict/409", rec)
	}
	if n := zendeskWrites(h, "4101"); n != 1 {
		t.Fatalf("the sandbox saw %d writes, want 1 (the first call's)", n)
	}

	free()
	first := <-firstDone
	if first.status != http.StatusOK {
		t.Fatalf("first call: %d %s", first.status, first.body)
	}
	wantReplay(t, postComment(t, h, "slow-1"), first)
	if n := zendeskWrites(h, "4101"); n != 1 {
		t.Fatalf("the sandbox saw %d writes after the replay, want 1", n)
	}
}
