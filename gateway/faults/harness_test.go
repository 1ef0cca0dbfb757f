package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/connectors/sandbox"
	"github.com/cxgate/cxgate/gateway/config"
	"github.com/cxgate/cxgate/gateway/dev"
	"github.com/cxgate/cxgate/internal/logging"
	"github.com/cxgate/cxgate/internal/testutil"
)

// Connection names of the example config (examples/cxgate.yaml).
const (
	shopifyConn    = "acme-shopify"
	zendeskConn    = "globex-zendesk"
	salesforceConn = "initech-salesforce"
)

// fixture is one running dev system served over loopback, with a client
// that checks every answer it gets.
type fixture struct {
	t    *testing.T
	env  *dev.Env
	url  string
	hc   *http.Client
	prot *protectedSet
	logs *syncBuffer

	// requester is the email of Zendesk ticket 4101's requester and
	// requesterToken its token; exchangeToken is the token of the Shopify
	// customer's email (env.ExchangeToken). Both are minted by this
	// system's tokenizer (mintTokens mints them again).
	requester      string
	requesterToken string
	exchangeToken  string
}

type syncBuffer = testutil.SyncBuffer

// startSystem runs the dev system with o until the test ends. Rates are
// unlimited unless o says otherwise (scenarios send bursts), logs go to a
// buffer at debug level (scanned for protected values at the end) and the
// audit log to the test's temporary folder.
func startSystem(t *testing.T, o dev.Options) *fixture {
	t.Helper()
	f := &fixture{t: t, logs: &syncBuffer{}}
	if o.Logger == nil {
		log, err := logging.New(f.logs, logging.Options{Level: "debug", Format: "json"})
		if err != nil {
			t.Fatal(err)
		}
		o.Logger = log
	}
	if o.Limits == nil {
		o.Limits = &config.Limits{}
	}
	if o.AuditDir == "" && o.Auditor == nil {
		o.AuditDir = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	env, err := dev.Start(ctx, o)
	if err != nil {
		t.Fatalf("dev.Start: %v", err)
	}
	f.env = env
	srv := httptest.NewServer(env.Handler)
	f.url = srv.URL
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	f.hc = &http.Client{Transport: tr, Timeout: time.Minute}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		srv.Close()
		if err := env.Close(); err != nil {
			t.Errorf("closing the dev system: %v", err)
		}
		f.scanLogs()
	})
	f.prot = protectedValues(t)
	tk, ok := env.Sandboxes.Zendesk.Lookup("ticket", "4101")
	if !ok {
		t.Fatal("zendesk seed has no ticket 4101")
	}
	u, ok := env.Sandboxes.Zendesk.Lookup("user", fmt.Sprint(tk["requester_id"]))
	if !ok {
		t.Fatalf("zendesk seed has no requester for ticket 4101")
	}
	f.requester, _ = u["email"].(string)
	f.exchangeToken = env.ExchangeToken
	toks, err := env.Tokenizer.Tokenize(ctx, "globex-saas", piiEmail(f.requester))
	if err != nil {
		t.Fatalf("tokenize the requester's email: %v", err)
	}
	f.requesterToken = toks[0]
	return f
}

// mintTokens mints the scenario's tokens again (after Vault lost its keys).
func (f *fixture) mintTokens() {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := f.env.Tokenizer.Tokenize(ctx, "acme-retail", piiEmail(exchangeEmail))
	if err != nil {
		f.t.Fatalf("tokenize: %v", err)
	}
	g, err := f.env.Tokenizer.Tokenize(ctx, "globex-saas", piiEmail(f.requester))
	if err != nil {
		f.t.Fatalf("tokenize: %v", err)
	}
	f.exchangeToken, f.requesterToken = a[0], g[0]
}

// exchangeEmail is the Shopify customer behind env.ExchangeToken.
const exchangeEmail = "maya.okafor@example.com"

// scanLogs fails the test if a log line carries a protected value.
func (f *fixture) scanLogs() {
	if label, ok := f.prot.find([]byte(f.logs.String())); ok {
		f.t.Errorf("a log line carries a protected value (%s)", label)
	}
}

// call is one expert request.
type call struct {
	name   string
	expert string
	method string
	path   string
	body   string
	// needs: the Vault transit calls the answer needs ("encrypt" for a
	// tokenize field, "decrypt" for a token param, "hmac" for a hash field);
	// none means the request never reaches the tokenizer.
	needs []string
	conn  string // the connection it reaches ("" none)
}

func (c call) vault() bool { return len(c.needs) > 0 }

func (c call) needsAny(caps ...string) bool {
	for _, n := range c.needs {
		for _, cp := range caps {
			if n == cp {
				return true
			}
		}
	}
	return false
}

// calls returns the requests the scenarios send, by name.
func (f *fixture) calls() map[string]call {
	op := func(client, inquiry, operation string) string {
		return "/v1/clients/" + client + "/inquiries/" + inquiry + "/operations/" + operation
	}
	cs := []call{
		// keep and mask only: needs no Vault.
		{name: "acme.get_order", expert: "tier1-basic", path: op("acme-retail", "order_status", "get_order"),
			body: `{"params":{"order_number":"#1001"}}`, conn: shopifyConn},
		// street and postcode tokenized.
		{name: "acme.get_shipping_address", expert: "tier2-gb", path: op("acme-retail", "address_change", "get_shipping_address"),
			body: `{"params":{"order_number":"#1001"}}`, needs: []string{"encrypt"}, conn: shopifyConn},
		// the customer's email tokenized, the note scrubbed.
		{name: "acme.get_order_for_return", expert: "tier1-mfa", path: op("acme-retail", "returns", "get_order_for_return"),
			body: `{"params":{"order_number":"#1001"}}`, needs: []string{"encrypt"}, conn: shopifyConn},
		// a token param: detokenized before the call.
		{name: "acme.find_orders_by_email", expert: "tier1-basic", path: op("acme-retail", "order_status", "find_orders_by_email"),
			body: `{"params":{"email":"` + f.exchangeToken + `"}}`, needs: []string{"decrypt"}, conn: shopifyConn},
		// keep and scrub only: needs no Vault.
		{name: "globex.get_ticket", expert: "tier1-basic", path: op("globex-saas", "ticket_status", "get_ticket"),
			body: `{"params":{"id":4101}}`, conn: zendeskConn},
		// what customers typed, scrubbed.
		{name: "globex.list_comments", expert: "tier1-basic", path: op("globex-saas", "ticket_status", "list_comments"),
			body: `{"params":{"ticket_id":4101}}`, conn: zendeskConn},
		// a token param in, the email tokenized out.
		{name: "globex.get_requester", expert: "tier2-gb", path: op("globex-saas", "billing_inquiry", "get_requester"),
			body: `{"params":{"email":"` + f.requesterToken + `"}}`, needs: []string{"decrypt", "encrypt"}, conn: zendeskConn},
		// the contact's email hashed (HMAC).
		{name: "initech.get_case", expert: "tier1-basic", path: op("initech-service", "case_status", "get_case"),
			body: `{"params":{"case_number":"00001027"}}`, needs: []string{"hmac"}, conn: salesforceConn},
		{name: "acme.inquiries", expert: "tier1-basic", method: http.MethodGet, path: "/v1/clients/acme-retail/inquiries"},
		{name: "acme.filter.mask", expert: "tier1-basic", path: "/v1/clients/acme-retail/filter",
			body: `{"text":"Hi, I am ` + filterEmail + `, call me on +44 7700 900123","mode":"mask"}`},
		{name: "acme.filter.tokenize", expert: "tier1-basic", path: "/v1/clients/acme-retail/filter",
			body: `{"text":"Hi, I am ` + filterEmail + `, call me on +44 7700 900123","mode":"tokenize"}`, needs: []string{"encrypt"}},
	}
	out := make(map[string]call, len(cs))
	for _, c := range cs {
		if c.method == "" {
			c.method = http.MethodPost
		}
		out[c.name] = c
	}
	return out
}

// filterEmail is what a customer types in the filter scenarios.
const filterEmail = "june.filter@example.org"

// mainCall is the scenario request of each connection: a read that
// exercises tokenize or hash, mask and scrub together.
var mainCall = map[string]string{
	shopifyConn:    "acme.get_shipping_address",
	zendeskConn:    "globex.get_requester",
	salesforceConn: "initech.get_case",
}

// result is one answer, checked.
type result struct {
	status  int
	header  http.Header
	body    []byte
	problem problem
}

type problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	Code      string `json:"code"`
	RequestID string `json:"request_id"`
}

// code is the answer's problem code, or "ok".
func (r result) code() string {
	if r.status == http.StatusOK {
		return "ok"
	}
	return r.problem.Code
}

func (r result) String() string {
	if r.status == http.StatusOK {
		return "200 ok"
	}
	return fmt.Sprintf("%d %s (%s)", r.status, r.problem.Code, r.problem.Detail)
}

// statusOf is the documented status of each problem code (CONTRACT.md,
// plus the gateway's additions in docs/api.md).
var statusOf = map[string]int{
	"unauthenticated": 401, "forbidden": 403, "mfa_required": 403, "tier_too_low": 403,
	"location_denied": 403, "not_found": 404, "invalid_params": 400, "rate_limited": 429,
	"upstream_unavailable": 503, "upstream_error": 502, "tokenizer_unavailable": 503, "internal": 500,
	"audit_unavailable": 503, "payload_too_large": 413, "method_not_allowed": 405,
	"unsupported_media_type": 415, "idempotency_conflict": 409,
}

// do sends c and checks the answer: no protected value in it, and a
// well-formed problem when it is not a success. It is safe to call from
// several goroutines (it reports with Errorf, never Fatal).
func (f *fixture) do(c call) result {
	f.t.Helper()
	x, ok := f.env.Expert(c.expert)
	if !ok {
		f.t.Errorf("no expert %s", c.expert)
		return result{}
	}
	return f.doAs(c, x.Token, x.ForwardedFor)
}

// doAs is do with a given bearer token (and X-Forwarded-For, if any).
func (f *fixture) doAs(c call, token string, forwardedFor ...string) result {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	req, err := http.NewRequestWithContext(ctx, c.method, f.url+c.path, body)
	if err != nil {
		f.t.Error(err)
		return result{}
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if c.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, ff := range forwardedFor {
		if ff != "" {
			req.Header.Set("X-Forwarded-For", ff)
		}
	}
	resp, err := f.hc.Do(req)
	if err != nil {
		f.t.Errorf("%s: %v", c.name, err)
		return result{}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Errorf("%s: reading the answer: %v", c.name, err)
	}
	r := result{status: resp.StatusCode, header: resp.Header, body: b}
	if label, leak := f.prot.find(b); leak {
		f.t.Errorf("%s: the answer (%d) carries a protected value: %s", c.name, r.status, label)
	}
	if r.status == http.StatusOK {
		var ok map[string]json.RawMessage
		if err := json.Unmarshal(b, &ok); err != nil {
			f.t.Errorf("%s: 200 with a body that is not a JSON object: %v", c.name, err)
		}
		return r
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt != "application/problem+json" {
		f.t.Errorf("%s: %d answered as %q, want application/problem+json", c.name, r.status, mt)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		f.t.Errorf("%s: %d with a body that is not JSON: %v", c.name, r.status, err)
		return r
	}
	for _, k := range []string{"data", "text", "inquiries", "findings"} {
		if _, has := raw[k]; has {
			f.t.Errorf("%s: a %d problem carries %q", c.name, r.status, k)
		}
	}
	if err := json.Unmarshal(b, &r.problem); err != nil {
		f.t.Errorf("%s: problem: %v", c.name, err)
	}
	want, known := statusOf[r.problem.Code]
	switch {
	case !known:
		f.t.Errorf("%s: undocumented problem code %q", c.name, r.problem.Code)
	case want != r.status || r.problem.Status != r.status:
		f.t.Errorf("%s: code %s with HTTP %d (body status %d), want %d", c.name, r.problem.Code, r.status, r.problem.Status, want)
	}
	if r.problem.RequestID == "" || r.problem.RequestID != resp.Header.Get("X-Request-Id") {
		f.t.Errorf("%s: problem request_id %q, X-Request-Id %q", c.name, r.problem.RequestID, resp.Header.Get("X-Request-Id"))
	}
	return r
}

// run sends the named call.
func (f *fixture) run(name string) result {
	f.t.Helper()
	c, ok := f.calls()[name]
	if !ok {
		f.t.Fatalf("no call %s", name)
	}
	return f.do(c)
}

// want sends the named call and checks its outcome ("ok" or a problem code).
func (f *fixture) want(name, code string) result {
	f.t.Helper()
	r := f.run(name)
	if r.code() != code {
		f.t.Errorf("%s: got %v, want %s", name, r, code)
	}
	return r
}

// faults returns a connection's sandbox fault knobs.
func (f *fixture) faults(conn string) *sandbox.Faults {
	switch conn {
	case shopifyConn:
		return f.env.Sandboxes.Shopify.Faults()
	case zendeskConn:
		return f.env.Sandboxes.Zendesk.Faults()
	case salesforceConn:
		return f.env.Sandboxes.Salesforce.Faults()
	}
	f.t.Fatalf("no sandbox for %s", conn)
	return nil
}

// apiPrefix is where each sandbox serves its API (token requests aside).
var apiPrefix = map[string]string{
	shopifyConn: "/admin/api/", zendeskConn: "/api/v2/", salesforceConn: "/services/data/",
}

// apiCalls counts the API requests a connection's sandbox received since
// the last clearCalls (the recorder keeps the last 1000).
func (f *fixture) apiCalls(conn string) int {
	var reqs []sandbox.Request
	switch conn {
	case shopifyConn:
		reqs = f.env.Sandboxes.Shopify.Requests()
	case zendeskConn:
		reqs = f.env.Sandboxes.Zendesk.Requests()
	case salesforceConn:
		reqs = f.env.Sandboxes.Salesforce.Requests()
	}
	n := 0
	for _, r := range reqs {
		if strings.HasPrefix(r.Path, apiPrefix[conn]) {
			n++
		}
	}
	return n
}

func (f *fixture) clearCalls(conn string) {
	switch conn {
	case shopifyConn:
		f.env.Sandboxes.Shopify.ClearRequests()
	case zendeskConn:
		f.env.Sandboxes.Zendesk.ClearRequests()
	case salesforceConn:
		f.env.Sandboxes.Salesforce.ClearRequests()
	}
}

// breaker returns a connection's circuit state ("closed", "half-open", "open").
func (f *fixture) breaker(conn string) string {
	f.t.Helper()
	c, ok := f.env.App.Pipeline.Connections.Connector(conn)
	if !ok {
		f.t.Fatalf("no connection %s", conn)
	}
	b, ok := c.(interface{ BreakerState() string })
	if !ok {
		f.t.Fatalf("connection %s has no breaker", conn)
	}
	return b.BreakerState()
}

// readiness is what /readyz answers.
type readiness struct {
	code   int
	Status string            `json:"status"` // ready, degraded, not ready
	Checks map[string]string `json:"checks"`
}

// ready asks /readyz.
func (f *fixture) ready() readiness {
	f.t.Helper()
	resp, err := f.hc.Get(f.url + "/readyz")
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	r := readiness{code: resp.StatusCode}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		f.t.Errorf("/readyz: %v", err)
	}
	return r
}

// wantReady checks /readyz's status code and status word.
func (f *fixture) wantReady(code int, status string) {
	f.t.Helper()
	if r := f.ready(); r.code != code || r.Status != status {
		f.t.Errorf("/readyz: %d %q %v, want %d %q", r.code, r.Status, r.Checks, code, status)
	}
}

// eventually polls cond until it holds or the deadline passes. It waits
// for a state, never asserts a duration.
func eventually(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s after %s", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// goroutineSlack is what the runtime and the test framework may start or
// stop on their own between two counts.
const goroutineSlack = 2

// checkGoroutines records the goroutine count now and, when the test ends
// (after every cleanup registered later: the system, Vault, servers), waits
// until the count is back within goroutineSlack of it; otherwise it fails
// with the stacks of what is left. Call it first in a scenario.
func checkGoroutines(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(15 * time.Second)
		for {
			n := runtime.NumGoroutine()
			if n <= before+goroutineSlack {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("goroutine leak: %d before the scenario, %d after it and its cleanup:\n%s", before, n, buf)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// shortBreaker opens after 3 consecutive failures and probes after 2s.
var shortBreaker = connectors.WrapOptions{BreakerFailures: 3, BreakerOpenFor: 2 * time.Second, BreakerProbes: 1}

// connTimeout sets every connection's per-call timeout.
func connTimeout(d time.Duration) func(*config.Config) {
	return func(c *config.Config) {
		for i := range c.Connections {
			c.Connections[i].Timeout = d
		}
	}
}
