package zendesk_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cxgate/cxgate/connectors/sandbox"
	"github.com/cxgate/cxgate/connectors/sandbox/zendesk"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 12, 4, 10, 0, 30, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestSeedLoadsAndLookup(t *testing.T) {
	sb, err := zendesk.New(zendesk.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ resource, id, field, want string }{
		{"ticket", "4101", "subject", "Order #1042 arrived damaged"},
		{"user", "20978392103", "name", "Zoë Ångström"},
		{"organization", "509974001", "name", "Northwind Analytics"},
		{"ticket_comment", "1274003", "body", "Photo attached. Please refund to the card I paid with, 4111 1111 1111 1111, exp 12/29."},
	} {
		rec, ok := sb.Lookup(c.resource, c.id)
		if !ok {
			t.Fatalf("Lookup(%s, %s) found nothing", c.resource, c.id)
		}
		if got, _ := rec[c.field].(string); got != c.want {
			t.Errorf("Lookup(%s, %s).%s = %q, want %q", c.resource, c.id, c.field, got, c.want)
		}
	}
	if _, ok := sb.Lookup("ticket", "999"); ok {
		t.Error("Lookup of a missing ticket found one")
	}
	if _, ok := sb.Lookup("ticket", "abc"); ok {
		t.Error("Lookup of a non-numeric id found one")
	}
}

// TestSeedIsFictional keeps the embedded seed on reserved data: every
// email address is on a reserved example domain.
func TestSeedIsFictional(t *testing.T) {
	r := newRig(t, zendesk.Options{}, nil)
	a := r.get("/api/v2/search.json?query=" + url.QueryEscape("*") + "&per_page=100")
	r.expect(a, 200)
	var texts []string
	for _, res := range a.list("results") {
		b, _ := json.Marshal(res)
		texts = append(texts, string(b))
		if res["result_type"] == "ticket" {
			id := fmt.Sprint(res["id"])
			c := r.get("/api/v2/tickets/" + id + "/comments.json")
			texts = append(texts, string(c.raw))
		}
	}
	emailRE := regexp.MustCompile(`[A-Za-z0-9._%+'-]+@([A-Za-z0-9.-]+)`)
	reserved := regexp.MustCompile(`(^|\.)example\.(com|org|net)$|\.example$`)
	n := 0
	for _, s := range texts {
		for _, m := range emailRE.FindAllStringSubmatch(s, -1) {
			n++
			if domain := strings.TrimRight(m[1], "."); !reserved.MatchString(domain) {
				t.Errorf("seed email domain %q is not a reserved example domain", m[1])
			}
		}
	}
	if n < 20 {
		t.Fatalf("found only %d emails in the seed; the content filter needs realistic PII", n)
	}
}

func TestBadSeeds(t *testing.T) {
	for name, seed := range map[string]string{
		"unknown key":  `{"users":[{"id":1,"name":"A","email":"a@example.com","role":"admin","created_at":"2026-01-01T00:00:00Z","favourite":"x"}]}`,
		"no admin":     `{"users":[{"id":1,"name":"A","email":"a@example.com","role":"end-user","created_at":"2026-01-01T00:00:00Z"}]}`,
		"dangling org": `{"users":[{"id":1,"name":"A","email":"a@example.com","role":"admin","organization_id":7,"created_at":"2026-01-01T00:00:00Z"}]}`,
		"bad time":     `{"users":[{"id":1,"name":"A","email":"a@example.com","role":"admin","created_at":"yesterday"}]}`,
		"dangling requester": `{"users":[{"id":1,"name":"A","email":"a@example.com","role":"admin","created_at":"2026-01-01T00:00:00Z"}],
			"tickets":[{"id":5,"subject":"S","status":"open","requester_id":2,"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z","comments":[{"id":9,"author_id":1,"body":"b","created_at":"2026-01-01T00:00:00Z"}]}]}`,
		"bad status": `{"users":[{"id":1,"name":"A","email":"a@example.com","role":"admin","created_at":"2026-01-01T00:00:00Z"}],
			"tickets":[{"id":5,"subject":"S","status":"done","requester_id":1,"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z","comments":[{"id":9,"author_id":1,"body":"b","created_at":"2026-01-01T00:00:00Z"}]}]}`,
		"duplicate email": `{"users":[{"id":1,"name":"A","email":"a@example.com","role":"admin","created_at":"2026-01-01T00:00:00Z"},{"id":2,"name":"B","email":"A@example.com","role":"agent","created_at":"2026-01-01T00:00:00Z"}]}`,
		"not json":        `{"users":`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := zendesk.New(zendesk.Options{Seed: strings.NewReader(seed)}); err == nil {
				t.Fatal("New accepted a bad seed")
			}
		})
	}
}

func TestTokenEndpoint(t *testing.T) {
	r := newRig(t, zendesk.Options{}, nil)
	c := r.sb.Credentials()
	good := func(extra map[string]any) map[string]any {
		m := map[string]any{"grant_type": "client_credentials", "client_id": c["client_id"], "client_secret": c["client_secret"], "scope": "read write"}
		for k, v := range extra {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return m
	}
	for _, tc := range []struct {
		name   string
		body   any
		status int
		error  string
	}{
		{"client credentials", good(nil), 200, ""},
		{"resource scopes", good(map[string]any{"scope": "tickets:read users:read"}), 200, ""},
		{"wrong secret", good(map[string]any{"client_secret": "nope"}), 401, "invalid_client"},
		{"unknown client", good(map[string]any{"client_id": "other"}), 401, "invalid_client"},
		{"no scope", good(map[string]any{"scope": nil}), 400, "invalid_scope"},
		{"unknown scope", good(map[string]any{"scope": "read admin"}), 400, "invalid_scope"},
		{"password grant (removed 2025)", good(map[string]any{"grant_type": "password"}), 400, "unsupported_grant_type"},
		{"expires_in too short", good(map[string]any{"expires_in": 300}), 400, "invalid_request"},
		{"expires_in too long", good(map[string]any{"expires_in": 172800}), 400, "invalid_request"},
		{"not json", "grant_type=client_credentials", 400, "invalid_request"},
		{"unknown refresh token", good(map[string]any{"grant_type": "refresh_token", "refresh_token": "nope"}), 400, "invalid_grant"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := r.send(http.MethodPost, "/oauth/tokens", tc.body, "-")
			if a.status != tc.status || a.str("error") != tc.error {
				t.Fatalf("got %d %s; want %d error %q", a.status, a.raw, tc.status, tc.error)
			}
			if tc.status == 200 {
				if a.str("token_type") != "bearer" || a.str("access_token") == "" || a.str("refresh_token") == "" || a.at("expires_in") == nil {
					t.Fatalf("token response lacks fields: %s", a.raw)
				}
			}
		})
	}
	t.Run("expires_in honoured", func(t *testing.T) {
		a := r.send(http.MethodPost, "/oauth/tokens", good(map[string]any{"expires_in": 600}), "-")
		if fmt.Sprint(a.at("expires_in")) != "600" {
			t.Fatalf("expires_in = %v, want 600", a.at("expires_in"))
		}
	})
	t.Run("form body refused", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, r.srv.URL+"/oauth/tokens",
			strings.NewReader(url.Values{"grant_type": {"client_credentials"}, "client_id": {c["client_id"]}, "client_secret": {c["client_secret"]}, "scope": {"read"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := r.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Fatalf("form-encoded token request: %d, want 400 (Zendesk takes JSON)", resp.StatusCode)
		}
	})
}

func TestRefreshRotates(t *testing.T) {
	r := newRig(t, zendesk.Options{}, nil)
	c := r.sb.Credentials()
	first := r.send(http.MethodPost, "/oauth/tokens", map[string]any{"grant_type": "client_credentials", "client_id": c["client_id"], "client_secret": c["client_secret"], "scope": "read"}, "-")
	r.expect(first, 200)
	refresh := func(rt string) answer {
		return r.send(http.MethodPost, "/oauth/tokens", map[string]any{"grant_type": "refresh_token", "refresh_token": rt, "client_id": c["client_id"], "client_secret": c["client_secret"]}, "-")
	}
	second := refresh(first.str("refresh_token"))
	r.expect(second, 200)
	if second.str("access_token") == first.str("access_token") || second.str("refresh_token") == first.str("refresh_token") {
		t.Fatal("refresh did not rotate both tokens")
	}
	if second.str("scope") != "read" {
		t.Errorf("refreshed scope %q, want the original read", second.str("scope"))
	}
	r.expect(r.send(http.MethodGet, "/api/v2/tickets/4101", nil, "Bearer "+first.str("access_token")), 401)
	r.expect(refresh(first.str("refresh_token")), 400) // the old refresh token died with its pair
	r.expect(r.send(http.MethodGet, "/api/v2/tickets/4101", nil, "Bearer "+second.str("access_token")), 200)
	if issued, refreshed := r.sb.TokenStats(); issued != 2 || refreshed != 1 {
		t.Errorf("TokenStats = %d, %d; want 2, 1", issued, refreshed)
	}
}

func TestTokenExpiry(t *testing.T) {
	for _, omit := range []bool{false, true} {
		t.Run(fmt.Sprintf("omit_expires_in=%v", omit), func(t *testing.T) {
			clk := newClock()
			r := newRig(t, zendesk.Options{Now: clk.Now, TokenTTL: 10 * time.Minute, OmitExpiresIn: omit}, nil)
			c := r.sb.Credentials()
			a := r.send(http.MethodPost, "/oauth/tokens", map[string]any{"grant_type": "client_credentials", "client_id": c["client_id"], "client_secret": c["client_secret"], "scope": "read"}, "-")
			if _, has := a.body["expires_in"]; has == omit {
				t.Fatalf("expires_in present = %v with OmitExpiresIn %v", has, omit)
			}
			authz := "Bearer " + a.str("access_token")
			r.expect(r.send(http.MethodGet, "/api/v2/tickets/4101", nil, authz), 200)
			clk.Advance(10*time.Minute + time.Second)
			r.expect(r.send(http.MethodGet, "/api/v2/tickets/4101", nil, authz), 401)
		})
	}
	t.Run("ExpireTokens", func(t *testing.T) {
		r := newRig(t, zendesk.Options{}, nil)
		r.expect(r.get("/api/v2/tickets/4101"), 200)
		r.sb.ExpireTokens()
		r.expect(r.get("/api/v2/tickets/4101"), 401)
	})
}

func TestAuthentication(t *testing.T) {
	r := newRig(t, zendesk.Options{}, nil)
	legacy := r.sb.APITokenCredentials()
	for _, tc := range []struct {
		name   string
		authz  string
		status int
	}{
		{"none", "-", 401},
		{"bearer", "", 200},
		{"unknown bearer", "Bearer abc", 401},
		{"legacy email/token", basic(legacy["email"]+"/token", legacy["api_token"]), 200},
		{"legacy email/token, email case differs", basic(strings.ToUpper(legacy["email"])+"/token", legacy["api_token"]), 200},
		{"email:password is refused", basic(legacy["email"], legacy["api_token"]), 401},
		{"wrong api token", basic(legacy["email"]+"/token", "nope"), 401},
		{"another user's email", basic("priya.raman@globex.example.com/token", legacy["api_token"]), 401},
		{"not base64", "Basic %%%", 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := r.send(http.MethodGet, "/api/v2/tickets/4101.json", nil, tc.authz)
			r.expect(a, tc.status)
			if tc.status == 401 {
				if string(a.raw) != `{"error":"Couldn't authenticate you"}` {
					t.Errorf("401 body %s", a.raw)
				}
				if a.header.Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
			}
		})
	}
}

func TestScopes(t *testing.T) {
	r := newRig(t, zendesk.Options{}, nil)
	c := r.sb.Credentials()
	token := func(scope string) string {
		a := r.send(http.MethodPost, "/oauth/tokens", map[string]any{"grant_type": "client_credentials", "client_id": c["client_id"], "client_secret": c["client_secret"], "scope": scope}, "-")
		r.expect(a, 200)
		return "Bearer " + a.str("access_token")
	}
	read, ticketsRead := token("read"), token("tickets:read")
	put := map[string]any{"ticket": map[string]any{"status": "open"}}
	r.expect(r.send(http.MethodPut, "/api/v2/tickets/4101", put, read), 403)
	r.expect(r.send(http.MethodGet, "/api/v2/tickets/4101", nil, read), 200)
	r.expect(r.send(http.MethodGet, "/api/v2/tickets/4101", nil, ticketsRead), 200)
	a := r.send(http.MethodGet, "/api/v2/users/20978392101", nil, ticketsRead)
	r.expect(a, 403)
	if a.str("error") != "Forbidden" {
		t.Errorf("403 body %s", a.raw)
	}
}

func TestShowEndpoints(t *testing.T) {
	r := newRig(t, zendesk.Options{}, nil)
	for _, tc := range []struct {
		path, key string
		status    int
		error     string
	}{
		{"/api/v2/tickets/4101.json", "ticket", 200, ""},
		{"/api/v2/tickets/4101", "ticket", 200, ""},
		{"/api/v2/users/20978392101.json", "user", 200, ""},
		{"/api/v2/organizations/509974003", "organization", 200, ""},
		{"/api/v2/tickets/999999.json", "", 404, "RecordNotFound"},
		{"/api/v2/tickets/abc", "", 404, "RecordNotFound"},
		{"/api/v2/users/1", "", 404, "RecordNotFound"},
		{"/api/v2/organizations/0", "", 404, "RecordNotFound"},
		{"/api/v2/nothing", "", 404, "InvalidEndpoint"},
		{"/api/v1/tickets/4101", "", 404, "InvalidEndpoint"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			a := r.get(tc.path)
			r.expect(a, tc.status)
			if tc.error != "" && a.str("error") != tc.error {
				t.Fatalf("error %q, want %q", a.str("error"), tc.error)
			}
			if tc.key != "" {
				obj, _ := a.body[tc.key].(map[string]any)
				if obj == nil || !strings.HasPrefix(fmt.Sprint(obj["url"]), r.srv.URL+"/api/v2/") {
					t.Fatalf("no %s object with a url pointing back at the sandbox: %s", tc.key, a.raw)
				}
			}
			if strings.HasPrefix(tc.path, "/api/v2/") && (a.header.Get("X-Rate-Limit") == "" || a.header.Get("X-Rate-Limit-Remaining") == "") {
				t.Error("no X-Rate-Limit headers")
			}
		})
	}
}

func TestUpdateTicket(t *testing.T) {
	r := newRig(t, zendesk.Options{}, nil)
	before := r.get("/api/v2/tickets/4101/comments.json")
	a := r.send(http.MethodPut, "/api/v2/tickets/4101.json", map[string]any{"ticket": map[string]any{
		"status": "pending", "priority": "high", "comment": map[string]any{"body": "We sent a replacement.", "public": false}}}, "")
	r.expect(a, 200)
	if a.str("ticket", "status") != "pending" || a.str("ticket", "priority") != "high" {
		t.Fatalf("ticket not updated: %s", a.raw)
	}
	events, _ := a.at("audit", "events").([]any)
	var kinds []string
	for _, e := range events {
		m := e.(map[string]any)
		kinds = append(kinds, fmt.Sprint(m["type"], ":", m["field_name"], m["body"]))
	}
	want := []string{"Comment:<nil>We sent a replacement.", "Change:status<nil>", "Change:priority<nil>"}
	if d := cmp.Diff(want, kinds); d != "" {
		t.Errorf("audit events (-want +got):\n%s", d)
	}
	after := r.get("/api/v2/tickets/4101/comments.json")
	cs := after.list("comments")
	if len(cs) != len(before.list("comments"))+1 {
		t.Fatalf("comments: %d before, %d after", len(before.list("comments")), len(cs))
	}
	last := cs[len(cs)-1]
	if last["body"] != "We sent a replacement." || last["public"] != false {
		t.Errorf("appended comment %v", last)
	}

	for _, tc := range []struct {
		name   string
		id     string
		body   any
		status int
		detail string
	}{
		{"bad status", "4101", map[string]any{"ticket": map[string]any{"status": "done"}}, 422, "status"},
		{"status not a string", "4101", map[string]any{"ticket": map[string]any{"status": 3}}, 422, "status"},
		{"bad priority", "4101", map[string]any{"ticket": map[string]any{"priority": "asap"}}, 422, "priority"},
		{"blank comment", "4101", map[string]any{"ticket": map[string]any{"comment": map[string]any{"body": "  "}}}, 422, "comment"},
		{"closed ticket", "4106", map[string]any{"ticket": map[string]any{"status": "open"}}, 422, "status"},
		{"stale safe update", "4101", map[string]any{"ticket": map[string]any{"status": "open", "safe_update": true, "updated_stamp": "2020-01-01T00:00:00Z"}}, 409, ""},
		{"missing ticket", "999999", map[string]any{"ticket": map[string]any{"status": "open"}}, 404, ""},
		{"no ticket object", "4101", map[string]any{"status": "open"}, 400, ""},
		{"not json", "4101", "{", 400, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := r.send(http.MethodPut, "/api/v2/tickets/"+tc.id, tc.body, "")
			r.expect(a, tc.status)
			if tc.status == 422 {
				if a.str("error") != "RecordInvalid" || a.at("details", tc.detail) == nil {
					t.Fatalf("422 body %s lacks details.%s", a.raw, tc.detail)
				}
			}
		})
	}
	t.Run("priority null and tags replace", func(t *testing.T) {
		a := r.send(http.MethodPut, "/api/v2/tickets/4101", map[string]any{"ticket": map[string]any{"priority": nil, "tags": []string{"x"}}}, "")
		r.expect(a, 200)
		if a.at("ticket", "priority") != nil || fmt.Sprint(a.at("ticket", "tags")) != "[x]" {
			t.Fatalf("ticket %s", a.raw)
		}
	})
}

func TestCommentPagination(t *testing.T) {
	r := newRig(t, zendesk.Options{}, nil)
	for i := 0; i < 3; i++ {
		r.expect(r.send(http.MethodPut, "/api/v2/tickets/4101", map[string]any{"ticket": map[string]any{"comment": map[string]any{"body": fmt.Sprintf("note %d", i)}}}, ""), 200)
	}
	all := r.get("/api/v2/tickets/4101/comments.json")
	var want []string
	for _, c := range all.list("comments") {
		want = append(want, fmt.Sprint(c["id"]))
	}
	if len(want) != 7 || fmt.Sprint(all.at("count")) != "7" {
		t.Fatalf("offset listing: %d comments, count %v", len(want), all.at("count"))
	}

	walk := func(first string, viaLinks bool) ([]string, []answer) {
		var got []string
		var pages []answer
		path := first
		for i := 0; i < 10; i++ {
			a := r.get(path)
			r.expect(a, 200)
			pages = append(pages, a)
			for _, c := range a.list("comments") {
				got = append(got, fmt.Sprint(c["id"]))
			}
			if a.at("meta", "has_more") != true {
				return got, pages
			}
			if viaLinks {
				path = strings.TrimPrefix(a.str("links", "next"), r.srv.URL)
			} else {
				path = "/api/v2/tickets/4101/comments.json?page[size]=3&page[after]=" + url.QueryEscape(a.str("meta", "after_cursor"))
			}
		}
		t.Fatal("pagination did not end")
		return nil, nil
	}
	for _, viaLinks := range []bool{false, true} {
		got, pages := walk("/api/v2/tickets/4101/comments.json?page[size]=3", viaLinks)
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("cursor walk (links=%v) (-want +got):\n%s", viaLinks, d)
		}
		if len(pages) != 3 {
			t.Errorf("%d pages of 3 for 7 comments, want 3", len(pages))
		}
	}
	// page[before] from the second page gives the first page back.
	_, pages := walk("/api/v2/tickets/4101/comments.json?page[size]=3", false)
	prev := r.get(strings.TrimPrefix(pages[1].str("links", "prev"), r.srv.URL))
	r.expect(prev, 200)
	if d := cmp.Diff(pages[0].list("comments"), prev.list("comments")); d != "" {
		t.Errorf("links.prev of page 2 (-page1 +got):\n%s", d)
	}
	desc := r.get("/api/v2/tickets/4101/comments.json?page[size]=100&sort=-created_at")
	if first := fmt.Sprint(desc.list("comments")[0]["id"]); first != want[len(want)-1] {
		t.Errorf("sort=-created_at starts with %s, want the newest %s", first, want[len(want)-1])
	}
	for name, q := range map[string]string{
		"size over 100": "page[size]=101",
		"size zero":     "page[size]=0",
		"bad cursor":    "page[size]=2&page[after]=zzz",
	} {
		t.Run(name, func(t *testing.T) { r.expect(r.get("/api/v2/tickets/4101/comments.json?"+q), 400) })
	}
	r.expect(r.get("/api/v2/tickets/999999/comments.json"), 404)
	r.expect(r.get("/api/v2/tickets/4101/comments.json?page=101&per_page=100"), 400) // past 10,000 records
}

func TestUsersSearch(t *testing.T) {
	r := newRig(t, zendesk.Options{}, nil)
	for _, tc := range []struct {
		name  string
		query url.Values
		want  []string
	}{
		{"email phrase", url.Values{"query": {`email:"maya.okafor@example.com"`}}, []string{"Maya Okafor"}},
		{"email case", url.Values{"query": {`email:"MAYA.OKAFOR@example.com"`}}, []string{"Maya Okafor"}},
		{"free text", url.Values{"query": {"doe"}}, []string{"Jamie Doe", "Chris Doe"}},
		{"external id exact", url.Values{"external_id": {"crm-1002"}}, []string{"Liam O'Connor"}},
		{"external id case-insensitive", url.Values{"external_id": {"crm-1005"}}, []string{"Samir Haddad"}},
		{"external id takes no syntax", url.Values{"external_id": {"crm-*"}}, nil},
		{"type:ticket finds no users", url.Values{"query": {"type:ticket"}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := r.get("/api/v2/users/search.json?" + tc.query.Encode())
			r.expect(a, 200)
			var got []string
			for _, u := range a.list("users") {
				got = append(got, u["name"].(string))
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
			if fmt.Sprint(a.at("count")) != fmt.Sprint(len(tc.want)) {
				t.Errorf("count %v", a.at("count"))
			}
		})
	}
	r.expect(r.get("/api/v2/users/search.json"), 400)
}

// TestSearchSemantics checks the parser and evaluator end to end: what a
// query string finds, including the broadening an injected operator causes.
func TestSearchSemantics(t *testing.T) {
	r := newRig(t, zendesk.Options{}, nil)
	for _, tc := range []struct {
		query string
		want  string // sorted "type:id" list, or a count as "#N"
	}{
		{"type:ticket status:open", "ticket:4101 ticket:4105 ticket:4108 ticket:4110 ticket:4112"},
		{"type:ticket requester:maya.okafor@example.com", "ticket:4101 ticket:4109"},
		{`type:ticket requester:"maya.okafor@example.com"`, "ticket:4101 ticket:4109"},
		{"type:ticket requester:20978392101", "ticket:4101 ticket:4109"},
		{"type:ticket requester:maya.okafor@example.com -status:hold", "ticket:4101"},
		{"type:ticket status<pending", "ticket:4101 ticket:4105 ticket:4107 ticket:4108 ticket:4110 ticket:4111 ticket:4112"},
		{"type:ticket priority>=high", "ticket:4102 ticket:4103 ticket:4108"},
		{"type:ticket tags:billing", "ticket:4103"},
		{"type:ticket tag:bill*", "ticket:4103"},
		{`type:ticket "arrived damaged"`, "ticket:4101"},
		{`type:ticket "damaged arrived"`, ""},
		{"type:ticket created>2026-12-01", "ticket:4107 ticket:4108 ticket:4109 ticket:4111"},
		{"type:ticket 4111", "ticket:4101"}, // the card number typed in a comment
		{"type:user doe", "user:20978392106 user:20978392107"},
		{"type:user jam*", "user:20978392106"},
		{`type:user email:"jamie.doe@example.com"`, "user:20978392106"},
		{"type:user role:agent", "user:20978392002 user:20978392003"},
		{"type:organization northwind", "organization:509974001"},
		{"type:ticket assignee:none", "ticket:4105 ticket:4107 ticket:4109 ticket:4111"},
		{"type:ticket type:user", ""},
		{"requester:*", "#12"},
		{"*", "#27"},
		{"type:ticket -status:closed", "#11"},
		{"type:ticket foo:bar", ""},
	} {
		t.Run(tc.query, func(t *testing.T) {
			a := r.get("/api/v2/search.json?" + url.Values{"query": {tc.query}}.Encode())
			r.expect(a, 200)
			var got []string
			for _, res := range a.list("results") {
				rt, _ := res["result_type"].(string)
				if rt == "" {
					t.Fatalf("a result without result_type: %v", res)
				}
				got = append(got, rt+":"+fmt.Sprint(res["id"]))
			}
			sort.Strings(got)
			gotText := strings.Join(got, " ")
			if strings.HasPrefix(tc.want, "#") {
				gotText = fmt.Sprintf("#%d", len(got))
			}
			if gotText != tc.want {
				t.Errorf("found %q, want %q", gotText, tc.want)
			}
			if fmt.Sprint(a.at("count")) != fmt.Sprint(len(got)) {
				t.Errorf("count %v, results %d", a.at("count"), len(got))
			}
		})
	}
	r.expect(r.get("/api/v2/search.json"), 400)
}

func TestSearchOffsetAndCap(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 1,050 tickets")
	}
	r := newRig(t, zendesk.Options{RateLimit: -1}, nil)
	for i := 0; i < 1050; i++ {
		a := r.send(http.MethodPost, "/api/v2/tickets.json", map[string]any{"ticket": map[string]any{
			"subject": fmt.Sprintf("Bulk %d", i), "tags": []string{"bulk"}, "requester_id": 20978392106,
			"comment": map[string]any{"body": "generated"}}}, "")
		if a.status != 201 {
			t.Fatalf("create %d: %d %s", i, a.status, a.raw)
		}
	}
	q := url.Values{"query": {"type:ticket tags:bulk"}, "per_page": {"100"}}
	seen := map[string]bool{}
	page := 1
	for ; page <= 12; page++ {
		q.Set("page", fmt.Sprint(page))
		a := r.get("/api/v2/search.json?" + q.Encode())
		if page == 11 {
			r.expect(a, 422) // past the 1,000-result cap
			if a.str("error") != "invalid" {
				t.Errorf("422 body %s", a.raw)
			}
			break
		}
		r.expect(a, 200)
		if fmt.Sprint(a.at("count")) != "1050" {
			t.Fatalf("count %v, want the full 1050", a.at("count"))
		}
		for _, res := range a.list("results") {
			seen[fmt.Sprint(res["id"])] = true
		}
		if next := a.at("next_page"); (page < 10) != (next != nil) {
			t.Fatalf("page %d: next_page %v", page, next)
		}
	}
	if len(seen) != 1000 {
		t.Fatalf("reached %d distinct results, want exactly the 1,000 cap", len(seen))
	}
	// Export has no cap.
	total := 0
	path := "/api/v2/search/export.json?" + url.Values{"query": {"tags:bulk"}, "filter[type]": {"ticket"}, "page[size]": {"1000"}}.Encode()
	for i := 0; i < 5 && path != ""; i++ {
		a := r.get(path)
		r.expect(a, 200)
		total += len(a.list("results"))
		path = ""
		if a.at("meta", "has_more") == true {
			path = strings.TrimPrefix(a.str("links", "next"), r.srv.URL)
		}
	}
	if total != 1050 {
		t.Fatalf("export returned %d results, want 1050", total)
	}
}

func TestSearchExport(t *testing.T) {
	clk := newClock()
	r := newRig(t, zendesk.Options{Now: clk.Now, TokenTTL: 3 * time.Hour}, nil)
	base := url.Values{"query": {"status<solved"}, "filter[type]": {"ticket"}, "page[size]": {"3"}}
	a := r.get("/api/v2/search/export.json?" + base.Encode())
	r.expect(a, 200)
	if a.at("meta", "has_more") != true || a.at("links", "prev") != nil || len(a.list("results")) != 3 {
		t.Fatalf("first export page %s", a.raw)
	}
	cursor := a.str("meta", "after_cursor")
	next := base
	next.Set("page[after]", cursor)
	r.expect(r.get("/api/v2/search/export.json?"+next.Encode()), 200)
	clk.Advance(61 * time.Minute)
	r.expect(r.get("/api/v2/search/export.json?"+next.Encode()), 400) // cursors expire after an hour
	other := url.Values{"query": {"status:open"}, "filter[type]": {"ticket"}, "page[after]": {cursor}}
	r.expect(r.get("/api/v2/search/export.json?"+other.Encode()), 400) // cursor of another query
	r.expect(r.get("/api/v2/search/export.json?"+url.Values{"query": {"status:open"}}.Encode()), 400)
	r.expect(r.get("/api/v2/search/export.json?"+url.Values{"query": {"type:ticket"}, "filter[type]": {"ticket"}}.Encode()), 400)
}

func TestRateLimit(t *testing.T) {
	for _, textPlain := range []bool{false, true} {
		t.Run(fmt.Sprintf("text_plain=%v", textPlain), func(t *testing.T) {
			clk := newClock() // 30 s into a minute
			r := newRig(t, zendesk.Options{Now: clk.Now, RateLimit: 3, TextPlain429: textPlain}, nil)
			r.bearer() // token requests are not counted
			for i := 2; i >= 0; i-- {
				a := r.get("/api/v2/tickets/4101")
				r.expect(a, 200)
				if a.header.Get("X-Rate-Limit") != "3" || a.header.Get("X-Rate-Limit-Remaining") != fmt.Sprint(i) {
					t.Fatalf("headers %v / %v, want 3 / %d", a.header.Get("X-Rate-Limit"), a.header.Get("X-Rate-Limit-Remaining"), i)
				}
			}
			a := r.get("/api/v2/tickets/4101")
			r.expect(a, 429)
			if a.header.Get("Retry-After") != "30" {
				t.Errorf("Retry-After %q, want 30 (the rest of the minute)", a.header.Get("Retry-After"))
			}
			ct := a.header.Get("Content-Type")
			if textPlain != strings.HasPrefix(ct, "text/plain") {
				t.Errorf("Content-Type %q with TextPlain429 %v", ct, textPlain)
			}
			clk.Advance(30 * time.Second)
			r.expect(r.get("/api/v2/tickets/4101"), 200)
		})
	}
}

func TestFaults(t *testing.T) {
	for _, tc := range []struct {
		fault  sandbox.Fault
		status int
		check  func(t *testing.T, r *rig, a answer)
	}{
		{sandbox.ServerError, 503, func(t *testing.T, _ *rig, a answer) {
			if a.str("error") == "" {
				t.Errorf("503 body %s", a.raw)
			}
		}},
		{sandbox.RateLimit, 429, func(t *testing.T, _ *rig, a answer) {
			if a.header.Get("Retry-After") != "2" {
				t.Errorf("Retry-After %q, want 2", a.header.Get("Retry-After"))
			}
		}},
		{sandbox.Unauthorized, 401, func(t *testing.T, r *rig, _ answer) {
			r.expect(r.get("/api/v2/tickets/4101"), 401) // the token stays revoked
		}},
		{sandbox.Malformed, 200, func(t *testing.T, _ *rig, a answer) {
			var v any
			if json.Unmarshal(a.raw, &v) == nil {
				t.Errorf("malformed body parses: %s", a.raw)
			}
		}},
		{sandbox.Oversized, 200, func(t *testing.T, _ *rig, a answer) {
			if len(a.raw) != zendesk.OversizedBytes {
				t.Errorf("oversized body %d bytes, want %d", len(a.raw), zendesk.OversizedBytes)
			}
		}},
	} {
		t.Run(string(tc.fault), func(t *testing.T) {
			r := newRig(t, zendesk.Options{}, nil)
			r.bearer()
			r.sb.Faults().SetRetryAfter(2 * time.Second)
			r.sb.Faults().Inject(tc.fault, 1)
			a := r.get("/api/v2/tickets/4101.json")
			r.expect(a, tc.status)
			if a.header.Get("X-Sandbox-Fault") != string(tc.fault) {
				t.Errorf("X-Sandbox-Fault %q", a.header.Get("X-Sandbox-Fault"))
			}
			tc.check(t, r, a)
		})
	}
	t.Run("control endpoint", func(t *testing.T) {
		r := newRig(t, zendesk.Options{}, nil)
		req, _ := http.NewRequest(http.MethodPost, r.srv.URL+"/_sandbox/faults", strings.NewReader(`{"inject":"server_error","count":2}`))
		resp, err := r.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("control endpoint: %d", resp.StatusCode)
		}
		r.expect(r.get("/api/v2/tickets/4101"), 503)
		r.expect(r.get("/api/v2/tickets/4101"), 503)
		r.expect(r.get("/api/v2/tickets/4101"), 200)
	})
	t.Run("hang ends with the client", func(t *testing.T) {
		r := newRig(t, zendesk.Options{}, nil)
		r.bearer()
		r.sb.Faults().Inject(sandbox.Hang, 1)
		c := *r.srv.Client()
		c.Timeout = 50 * time.Millisecond
		req, _ := http.NewRequest(http.MethodGet, r.srv.URL+"/api/v2/tickets/4101", nil)
		req.Header.Set("Authorization", "Bearer "+r.token)
		if resp, err := c.Do(req); err == nil {
			resp.Body.Close()
			t.Fatalf("a hanging request answered %d", resp.StatusCode)
		}
	})
}

func TestCreateEndpoints(t *testing.T) {
	r := newRig(t, zendesk.Options{}, nil)
	u := r.send(http.MethodPost, "/api/v2/users.json", map[string]any{"user": map[string]any{
		"name": "Robin Example", "email": "robin@example.org", "phone": "+1 202-555-0199", "external_id": "crm-2001"}}, "")
	r.expect(u, 201)
	if u.header.Get("Location") == "" || u.str("user", "role") != "end-user" {
		t.Fatalf("created user %s", u.raw)
	}
	uid := fmt.Sprint(u.at("user", "id"))
	r.expect(r.get("/api/v2/users/"+uid), 200)
	r.expect(r.get("/api/v2/users/search?external_id=CRM-2001"), 200)

	o := r.send(http.MethodPost, "/api/v2/organizations.json", map[string]any{"organization": map[string]any{"name": "Robin Co", "domain_names": []string{"robin.example.org"}}}, "")
	r.expect(o, 201)

	tk := r.send(http.MethodPost, "/api/v2/tickets.json", map[string]any{"ticket": map[string]any{
		"comment": map[string]any{"body": "My card 4111 1111 1111 1111 was declined"}, "requester": map[string]any{"name": "Sky Example", "email": "sky@example.net"}}}, "")
	r.expect(tk, 201)
	if tk.str("ticket", "subject") != "My card 4111 1111 1111 1111 was declined" || tk.str("ticket", "status") != "new" || tk.at("audit") == nil {
		t.Fatalf("created ticket %s", tk.raw)
	}
	s := r.get("/api/v2/search.json?" + url.Values{"query": {`type:ticket requester:"sky@example.net"`}}.Encode())
	if len(s.list("results")) != 1 {
		t.Fatalf("the new ticket is not searchable: %s", s.raw)
	}

	for _, tc := range []struct {
		name, path string
		body       any
		detail     string
	}{
		{"user without name", "/api/v2/users", map[string]any{"user": map[string]any{"email": "x@example.com"}}, "name"},
		{"duplicate email", "/api/v2/users", map[string]any{"user": map[string]any{"name": "X", "email": "MAYA.OKAFOR@example.com"}}, "email"},
		{"duplicate external id", "/api/v2/users", map[string]any{"user": map[string]any{"name": "X", "email": "x@example.com", "external_id": "CRM-1001"}}, "external_id"},
		{"bad role", "/api/v2/users", map[string]any{"user": map[string]any{"name": "X", "role": "owner"}}, "role"},
		{"org without name", "/api/v2/organizations", map[string]any{"organization": map[string]any{}}, "name"},
		{"duplicate org", "/api/v2/organizations", map[string]any{"organization": map[string]any{"name": "northwind analytics"}}, "name"},
		{"ticket without comment", "/api/v2/tickets", map[string]any{"ticket": map[string]any{"subject": "S"}}, "description"},
		{"ticket with unknown requester", "/api/v2/tickets", map[string]any{"ticket": map[string]any{"requester_id": 1, "comment": map[string]any{"body": "b"}}}, "requester"},
		{"ticket with bad status", "/api/v2/tickets", map[string]any{"ticket": map[string]any{"status": "x", "comment": map[string]any{"body": "b"}}}, "status"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := r.send(http.MethodPost, tc.path, tc.body, "")
			r.expect(a, 422)
			if a.at("details", tc.detail) == nil {
				t.Fatalf("422 without details.%s: %s", tc.detail, a.raw)
			}
		})
	}
}

func TestRecorder(t *testing.T) {
	r := newRig(t, zendesk.Options{}, nil)
	r.get("/api/v2/users/search.json?external_id=crm-1001")
	reqs := r.sb.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d recorded requests, want the token request and one API request", len(reqs))
	}
	if reqs[0].Path != "/oauth/tokens" || len(reqs[0].Body) != 0 {
		t.Errorf("token request recorded as %s with %d body bytes; the body holds the client secret", reqs[0].Path, len(reqs[0].Body))
	}
	if reqs[1].Query.Get("external_id") != "crm-1001" {
		t.Errorf("API request query %v", reqs[1].Query)
	}
	r.get("/api/v2/search.json?query=doe")
	if s := r.sb.Searches(); len(s) != 1 || s[0].Endpoint != "search" || s[0].Query.String() != "doe" {
		t.Errorf("Searches() = %+v", s)
	}
	r.sb.ClearRequests()
	if len(r.sb.Requests()) != 0 || len(r.sb.Searches()) != 0 {
		t.Error("ClearRequests left requests behind")
	}
}

func TestLargeCommentBody(t *testing.T) {
	r := newRig(t, zendesk.Options{}, nil)
	body := strings.Repeat("long comment ", 10000) // ~130 KB, over the recorder's cap
	a := r.send(http.MethodPut, "/api/v2/tickets/4101", map[string]any{"ticket": map[string]any{"comment": map[string]any{"body": body}}}, "")
	r.expect(a, 200)
	reqs := r.sb.Requests()
	if got := len(reqs[len(reqs)-1].Body); got != sandbox.MaxRecordedBody {
		t.Errorf("recorded %d body bytes, want the cap %d", got, sandbox.MaxRecordedBody)
	}
}
