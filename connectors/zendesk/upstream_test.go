package zendesk

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxgate/cxgate/connectors"
)

// These tests put a misbehaving Zendesk in front of the connector (answers
// the sandbox would never give) to check the connector's own defences:
// post-filters, result_type checks and error mapping.

type canned struct {
	status int
	ctype  string
	body   string
	header map[string]string
}

type fakeZendesk struct {
	mu     sync.Mutex
	routes map[string]canned // "METHOD /path" (without query)
	calls  map[string]int
	token  canned
}

func (f *fakeZendesk) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	key := r.Method + " " + r.URL.Path
	f.calls[key]++
	c, ok := f.routes[key]
	if r.URL.Path == "/oauth/tokens" {
		c, ok = f.token, true
		if c.status == 0 {
			c = canned{status: 200, body: `{"access_token":"fake-token","token_type":"bearer","expires_in":7200}`}
		}
	}
	f.mu.Unlock()
	if !ok {
		c = canned{status: 404, body: `{"error":"InvalidEndpoint","description":"Not found"}`}
	}
	for k, v := range c.header {
		w.Header().Set(k, v)
	}
	ct := c.ctype
	if ct == "" {
		ct = "application/json; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(c.status)
	_, _ = w.Write([]byte(c.body))
}

func newFake(t *testing.T, routes map[string]canned) (*Connector, *fakeZendesk) {
	t.Helper()
	f := &fakeZendesk{routes: routes, calls: map[string]int{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := Open(context.Background(), connectors.ConnectionConfig{Name: "fake", Type: Type, BaseURL: srv.URL, Credentials: connectors.CredentialRef{Env: "X"}},
		connectors.Deps{Secrets: &testSecrets{current: connectors.Credentials{"client_id": "id", "client_secret": "secret-value"}}, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	zc := c.(*Connector)
	t.Cleanup(func() { zc.Close() })
	return zc, f
}

func ok(body string) canned { return canned{status: 200, body: body} }

const (
	usersSearch = "GET /api/v2/users/search.json"
	search      = "GET /api/v2/search.json"
)

func TestPostFilters(t *testing.T) {
	maya := `{"id":7,"email":"maya.okafor@example.com","external_id":"crm-1001","name":"Maya"}`
	other := `{"id":8,"email":"maya.okafor@example.com.evil.example","external_id":"crm-10011","name":"Not Maya"}`
	for _, tc := range []struct {
		name   string
		routes map[string]canned
		run    func(c *Connector) (any, error)
		want   string // "n=<count>" or an error kind
	}{
		{"user search answers a near miss", map[string]canned{usersSearch: ok(`{"users":[` + other + `]}`)},
			func(c *Connector) (any, error) {
				return c.Read(context.Background(), q("user", "email", "maya.okafor@example.com"))
			}, "not_found"},
		{"user search answers two exact matches", map[string]canned{usersSearch: ok(`{"users":[` + maya + `,` + maya + `]}`)},
			func(c *Connector) (any, error) {
				return c.Read(context.Background(), q("user", "email", "maya.okafor@example.com"))
			}, "upstream"},
		{"external_id answers another id", map[string]canned{usersSearch: ok(`{"users":[` + other + `]}`)},
			func(c *Connector) (any, error) {
				return c.Read(context.Background(), q("user", "external_id", "crm-1001"))
			}, "not_found"},
		{"user by id answers another user", map[string]canned{"GET /api/v2/users/9.json": ok(`{"user":` + maya + `}`)},
			func(c *Connector) (any, error) { return c.Read(context.Background(), q("user", "id", "9")) }, "not_found"},
		{"ticket search answers a user result", map[string]canned{
			usersSearch: ok(`{"users":[` + maya + `]}`),
			search:      ok(`{"results":[{"id":1,"requester_id":7,"result_type":"ticket"},{"id":7,"result_type":"user"}],"next_page":null}`)},
			func(c *Connector) (any, error) {
				return c.Search(context.Background(), q("ticket", "requester_email", "maya.okafor@example.com"))
			}, "upstream"},
		{"ticket search answers other requesters' tickets", map[string]canned{
			usersSearch: ok(`{"users":[` + maya + `]}`),
			search:      ok(`{"results":[{"id":1,"requester_id":7,"result_type":"ticket"},{"id":2,"requester_id":8,"result_type":"ticket"},{"id":3,"result_type":"ticket"}],"next_page":null}`)},
			func(c *Connector) (any, error) {
				return c.Search(context.Background(), q("ticket", "requester_email", "maya.okafor@example.com"))
			}, "n=1"},
		{"ticket by id answers another ticket", map[string]canned{"GET /api/v2/tickets/5.json": ok(`{"ticket":{"id":6}}`)},
			func(c *Connector) (any, error) { return c.Read(context.Background(), q("ticket", "id", "5")) }, "upstream"},
		{"comment cursor does not advance", map[string]canned{"GET /api/v2/tickets/5/comments.json": ok(`{"comments":[{"id":1}],"meta":{"has_more":true,"after_cursor":"same"}}`)},
			func(c *Connector) (any, error) {
				return c.Search(context.Background(), q("ticket_comment", "ticket_id", "5"))
			}, "upstream"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newFake(t, tc.routes)
			got, err := tc.run(c)
			if strings.HasPrefix(tc.want, "n=") {
				recs, _ := got.([]connectors.Record)
				if err != nil || "n="+strconv.Itoa(len(recs)) != tc.want {
					t.Fatalf("got %d records, %v; want %s", len(recs), err, tc.want)
				}
				return
			}
			if k := connectors.KindOf(err); string(k) != tc.want {
				t.Fatalf("got %v, %v; want kind %s", got, err, tc.want)
			}
		})
	}
}

func q(resource, key, value string) connectors.Query {
	return connectors.Query{Resource: resource, Match: []connectors.Criterion{{Key: key, Value: value}}, Fields: fps("id")}
}

func TestErrorMapping(t *testing.T) {
	const desc = "Sorry, maya.okafor@example.com cannot be found right now"
	ticket := "GET /api/v2/tickets/5.json"
	for _, tc := range []struct {
		name  string
		c     canned
		kind  connectors.Kind
		label string // must appear in the error
		wait  time.Duration
	}{
		{"record not found", canned{status: 404, body: `{"error":"RecordNotFound","description":"` + desc + `"}`}, connectors.KindNotFound, "404 RecordNotFound", 0},
		{"wrong endpoint", canned{status: 404, body: `{"error":"InvalidEndpoint","description":"` + desc + `"}`}, connectors.KindUpstream, "base_url", 0},
		{"forbidden", canned{status: 403, body: `{"error":"Forbidden","description":"` + desc + `"}`}, connectors.KindForbidden, "403 Forbidden", 0},
		{"unauthorized sentence", canned{status: 401, body: `{"error":"Couldn't authenticate you"}`}, connectors.KindUnauthorized, "401", 0},
		{"record invalid", canned{status: 422, body: `{"error":"RecordInvalid","description":"` + desc + `","details":{"status":[{"description":"` + desc + `","error":"InvalidValue"}],"bad key":[{"error":"X"}]}}`},
			connectors.KindInvalid, "422 RecordInvalid (status: InvalidValue)", 0},
		{"errors array", canned{status: 400, body: `{"errors":[{"code":"InvalidPaginationParameter","title":"` + desc + `"}]}`}, connectors.KindInvalid, "400 InvalidPaginationParameter", 0},
		{"text/plain 400", canned{status: 400, ctype: "text/plain", body: desc}, connectors.KindInvalid, "400", 0},
		{"429 text/plain", canned{status: 429, ctype: "text/plain", body: "Number of allowed API requests per minute exceeded", header: map[string]string{"Retry-After": "37"}}, connectors.KindRateLimited, "429", 37 * time.Second},
		{"429 without Retry-After", canned{status: 429, body: `{"error":"APIRateLimitExceeded"}`}, connectors.KindRateLimited, "429", time.Minute},
		{"conflict", canned{status: 409, body: `{"error":"UpdateConflict","description":"` + desc + `"}`}, connectors.KindUnavailable, "409 UpdateConflict", 0},
		{"not implemented", canned{status: 501, body: `{"error":"NotImplemented"}`}, connectors.KindUpstream, "501", 0},
		{"malformed", ok(`{"ticket":{"id":5,"subject":"` + desc), connectors.KindUpstream, "malformed", 0},
		{"no ticket key", ok(`{"tickets":[]}`), connectors.KindUpstream, `"ticket"`, 0},
		{"ticket not an object", ok(`{"ticket":[1]}`), connectors.KindUpstream, "not a JSON object", 0},
		{"html body", canned{status: 502, ctype: "text/html", body: "<html>" + desc + "</html>"}, connectors.KindUnavailable, "502", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newFake(t, map[string]canned{ticket: tc.c})
			_, err := c.Read(context.Background(), q("ticket", "id", "5"))
			if k := connectors.KindOf(err); k != tc.kind {
				t.Fatalf("error %v has kind %s, want %s", err, k, tc.kind)
			}
			if !strings.Contains(err.Error(), tc.label) {
				t.Errorf("error %q does not name %q", err, tc.label)
			}
			for _, leak := range []string{"maya", "Sorry", "Number of allowed", "Couldn't", "secret-value", "fake-token"} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("error %q carries body text or a secret (%q)", err, leak)
				}
			}
			if tc.wait > 0 {
				if d, _ := connectors.RetryAfter(err); d != tc.wait {
					t.Errorf("RetryAfter %v, want %v", d, tc.wait)
				}
			}
		})
	}
}

func TestTokenEndpointAnswers(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    canned
		kind connectors.Kind
	}{
		{"invalid client", canned{status: 401, body: `{"error":"invalid_client","error_description":"Client authentication failed"}`}, connectors.KindUnauthorized},
		{"invalid grant", canned{status: 400, body: `{"error":"invalid_grant"}`}, connectors.KindUnauthorized},
		{"invalid scope", canned{status: 400, body: `{"error":"invalid_scope"}`}, connectors.KindForbidden},
		{"grant type not allowed", canned{status: 400, body: `{"error":"unsupported_grant_type"}`}, connectors.KindForbidden},
		{"down", canned{status: 503, body: `oops`}, connectors.KindUnavailable},
		{"throttled", canned{status: 429, body: `{}`, header: map[string]string{"Retry-After": "20"}}, connectors.KindRateLimited},
		{"not bearer", ok(`{"access_token":"x","token_type":"mac"}`), connectors.KindUpstream},
		{"no token", ok(`{"token_type":"bearer"}`), connectors.KindUpstream},
		{"not json", ok(`<html>`), connectors.KindUpstream},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, f := newFake(t, map[string]canned{"GET /api/v2/tickets/5.json": ok(`{"ticket":{"id":5}}`)})
			f.token = tc.c
			_, err := c.Read(context.Background(), q("ticket", "id", "5"))
			if k := connectors.KindOf(err); k != tc.kind {
				t.Fatalf("error %v has kind %s, want %s", err, k, tc.kind)
			}
			if f.calls["GET /api/v2/tickets/5.json"] != 0 {
				t.Error("an API call was made without a token")
			}
			if strings.Contains(err.Error(), "Client authentication failed") || strings.Contains(err.Error(), "secret-value") {
				t.Errorf("error leaks: %v", err)
			}
		})
	}
	t.Run("token kept only as long as it lives", func(t *testing.T) {
		c, f := newFake(t, map[string]canned{"GET /api/v2/tickets/5.json": ok(`{"ticket":{"id":5}}`)})
		f.token = ok(`{"access_token":"x","token_type":"Bearer","expires_in":999999999}`)
		if _, err := c.Read(context.Background(), q("ticket", "id", "5")); err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		c.now = func() time.Time { return now.Add(maxTokenLifetime) }
		if _, err := c.Read(context.Background(), q("ticket", "id", "5")); err != nil {
			t.Fatal(err)
		}
		if f.calls["POST /oauth/tokens"] != 2 {
			t.Errorf("%d token requests; an absurd expires_in must be capped at %v", f.calls["POST /oauth/tokens"], maxTokenLifetime)
		}
	})
}

func TestRateLimitHeadersWithoutReset(t *testing.T) {
	c, f := newFake(t, map[string]canned{"GET /api/v2/tickets/5.json": {status: 200, body: `{"ticket":{"id":5}}`,
		header: map[string]string{"X-Rate-Limit": "400", "X-Rate-Limit-Remaining": "0"}}})
	now := time.Date(2026, 12, 4, 10, 0, 45, 0, time.UTC)
	c.now = func() time.Time { return now }
	if _, err := c.Read(context.Background(), q("ticket", "id", "5")); err != nil {
		t.Fatal(err)
	}
	_, err := c.Read(context.Background(), q("ticket", "id", "5"))
	if d, ok := connectors.RetryAfter(err); !ok || d != 15*time.Second {
		t.Fatalf("with the minute's allowance spent: %v; want a 15s wait (to the next minute)", err)
	}
	if f.calls["GET /api/v2/tickets/5.json"] != 1 {
		t.Error("the second call reached the upstream")
	}
	if errors.Is(err, connectors.ErrUnavailable) {
		t.Error("a spent allowance is a rate limit, not unavailability")
	}
}
