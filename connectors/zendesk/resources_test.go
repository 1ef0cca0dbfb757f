package zendesk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cxgate/cxgate/connectors"
	zdsandbox "github.com/cxgate/cxgate/connectors/sandbox/zendesk"
)

// norm gives records one comparable shape (numbers as float64).
func norm(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestReads(t *testing.T) {
	e := newEnv(t, envOpts{})
	for _, tc := range []struct {
		name     string
		resource string
		match    map[string]string
		fields   []string
		want     string // JSON, or an error kind
		requests int    // API requests the read may cost
	}{
		{"ticket by id", "ticket", map[string]string{"id": "4101"}, []string{"id", "status", "via.channel", "tags[]"},
			`{"id":4101,"status":"open","via":{"channel":"email"},"tags":["damaged","order_issue"]}`, 1},
		{"ticket id with leading zeros", "ticket", map[string]string{"id": "004101"}, []string{"id"}, `{"id":4101}`, 1},
		{"ticket by id and its requester", "ticket", map[string]string{"id": "4101", "requester_email": "MAYA.OKAFOR@example.com"}, []string{"id"}, `{"id":4101}`, 2},
		{"ticket by id, another requester", "ticket", map[string]string{"id": "4101", "requester_email": "jamie.doe@example.com"}, []string{"id"}, "not_found", 2},
		{"ticket only by requester with one ticket", "ticket", map[string]string{"requester_email": "jamie.doe@example.com"}, []string{"id", "subject"}, `{"id":4107,"subject":"Cancel my subscription"}`, 2},
		{"ticket only by requester with two tickets", "ticket", map[string]string{"requester_email": "maya.okafor@example.com"}, []string{"id"}, "invalid", 2},
		{"missing ticket", "ticket", map[string]string{"id": "999999"}, []string{"id"}, "not_found", 1},
		{"ticket id not a number", "ticket", map[string]string{"id": "41O1"}, []string{"id"}, "invalid", 0},
		{"write-only fields read as absent", "ticket", map[string]string{"id": "4101"}, []string{"id", "comment.body"}, `{"id":4101}`, 1},
		{"user by id", "user", map[string]string{"id": "20978392104"}, []string{"name", "phone", "email"},
			`{"name":"山田 花子","phone":null,"email":"hanako.yamada@example.com"}`, 1},
		{"user by email", "user", map[string]string{"email": "Sean.O'Brien@example.com"}, []string{"id", "phone"}, `{"id":20978392108,"phone":"020 7946 0321"}`, 1},
		{"user by email with plus", "user", map[string]string{"email": "ana.silva+orders@example.com"}, []string{"id"}, `{"id":20978392109}`, 1},
		{"user by external id, other case", "user", map[string]string{"external_id": "CRM-1002"}, []string{"id", "external_id"}, `{"id":20978392102,"external_id":"crm-1002"}`, 1},
		{"user by id and email", "user", map[string]string{"id": "20978392101", "email": "maya.okafor@example.com"}, []string{"id"}, `{"id":20978392101}`, 1},
		{"user by id, another email", "user", map[string]string{"id": "20978392101", "email": "jamie.doe@example.com"}, []string{"id"}, "not_found", 1},
		{"user by email prefix", "user", map[string]string{"email": "maya@example.com"}, []string{"id"}, "not_found", 1},
		{"user email not an email", "user", map[string]string{"email": "maya"}, []string{"id"}, "invalid", 0},
		{"organization", "organization", map[string]string{"id": "509974003"}, []string{"name", "domain_names[]", "group_id", "details"},
			`{"name":"Fabrikam Logistics","domain_names":["fabrikam.example.net","fabrikam-shipping.example.net"],"group_id":98738001,"details":"Billing contact: billing@fabrikam.example.net"}`, 1},
		{"organization nulls", "organization", map[string]string{"id": "509974002"}, []string{"details", "notes", "group_id"}, `{"details":null,"notes":null,"group_id":null}`, 1},
		{"unknown resource", "group", map[string]string{"id": "1"}, []string{"id"}, "invalid", 0},
		{"comments are search-only", "ticket_comment", map[string]string{"ticket_id": "4101"}, []string{"id"}, "invalid", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.sb.ClearRequests()
			rec, err := e.read(tc.resource, tc.match, tc.fields...)
			if strings.HasPrefix(tc.want, "{") {
				if err != nil {
					t.Fatalf("Read: %v", err)
				}
				var want any
				if err := json.Unmarshal([]byte(tc.want), &want); err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(want, norm(t, rec)); d != "" {
					t.Errorf("record (-want +got):\n%s", d)
				}
			} else if k := connectors.KindOf(err); string(k) != tc.want {
				t.Fatalf("Read = %v, %v; want kind %s", rec, err, tc.want)
			}
			if got := e.apiRequests(); got != tc.requests {
				t.Errorf("%d API requests, want %d", got, tc.requests)
			}
		})
	}
}

func TestSearchTicketsByRequester(t *testing.T) {
	e := newEnv(t, envOpts{})
	recs, err := e.search("ticket", map[string]string{"requester_email": "maya.okafor@example.com"}, 0, "id", "status")
	if err != nil {
		t.Fatal(err)
	}
	want := []any{map[string]any{"id": 4109.0, "status": "hold"}, map[string]any{"id": 4101.0, "status": "open"}}
	if d := cmp.Diff(want, norm(t, recs)); d != "" {
		t.Errorf("newest first (-want +got):\n%s", d)
	}
	// What went over the wire: a users/search for the email, then a
	// /search pinned to type:ticket and the user's id.
	var got []string
	for _, s := range e.sb.Searches() {
		got = append(got, s.Endpoint+" "+s.Query.String())
	}
	if d := cmp.Diff([]string{`users/search email:"maya.okafor@example.com"`, "search type:ticket requester:20978392101"}, got); d != "" {
		t.Errorf("queries (-want +got):\n%s", d)
	}

	recs, err = e.search("ticket", map[string]string{"requester_email": "maya.okafor@example.com"}, 1, "id")
	if err != nil || len(recs) != 1 {
		t.Fatalf("limit 1: %v, %v", recs, err)
	}
	e.sb.ClearRequests()
	recs, err = e.search("ticket", map[string]string{"requester_email": "nobody@example.com"}, 0, "id")
	if err != nil || len(recs) != 0 {
		t.Fatalf("unknown requester: %v, %v", recs, err)
	}
	if e.apiRequests() != 1 {
		t.Errorf("an unknown requester cost %d requests; the ticket search should not run", e.apiRequests())
	}
	recs, err = e.search("ticket", map[string]string{"id": "4105"}, 0, "id")
	if err != nil || len(recs) != 1 {
		t.Fatalf("search by id: %v, %v", recs, err)
	}
	recs, err = e.search("ticket", map[string]string{"id": "999999"}, 0, "id")
	if err != nil || len(recs) != 0 {
		t.Fatalf("search by a missing id: %v, %v", recs, err)
	}
}

func TestSearchUsers(t *testing.T) {
	e := newEnv(t, envOpts{})
	recs, err := e.search("user", map[string]string{"email": "chris.doe@example.com"}, 0, "name")
	if err != nil || len(recs) != 1 || recs[0]["name"] != "Chris Doe" {
		t.Fatalf("by email: %v, %v", recs, err)
	}
	recs, err = e.search("user", map[string]string{"external_id": "nope"}, 0, "name")
	if err != nil || len(recs) != 0 {
		t.Fatalf("no match: %v, %v", recs, err)
	}
}

func TestSearchComments(t *testing.T) {
	e := newEnv(t, envOpts{config: func(c *connectors.ConnectionConfig) { c.Options = map[string]string{"max_pages": "2"} }})
	recs, err := e.search("ticket_comment", map[string]string{"ticket_id": "4101"}, 0, "id", "public", "via.channel", "body")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range recs {
		ids = append(ids, fmt.Sprint(r["id"]))
	}
	if d := cmp.Diff([]string{"1274004", "1274003", "1274002", "1274001"}, ids); d != "" {
		t.Errorf("newest first (-want +got):\n%s", d)
	}
	if recs[0]["public"] != false || recs[1]["body"] != "Photo attached. Please refund to the card I paid with, 4111 1111 1111 1111, exp 12/29." {
		t.Errorf("records %v", norm(t, recs[:2]))
	}

	// 250 more comments: pages of 100 follow the cursor, and max_pages
	// bounds the walk.
	for i := 0; i < 250; i++ {
		if _, err := e.conn.Update(context.Background(), connectors.Update{Resource: "ticket", Match: crits(map[string]string{"id": "4105"}),
			Set: []connectors.Assignment{{Field: fps("comment.body")[0], Value: fmt.Sprintf("note %d", i)}}}); err != nil {
			t.Fatal(err)
		}
	}
	e.sb.ClearRequests()
	recs, err = e.search("ticket_comment", map[string]string{"ticket_id": "4105"}, 150, "body")
	if err != nil || len(recs) != 150 || recs[0]["body"] != "note 249" || recs[149]["body"] != "note 100" {
		t.Fatalf("150 newest comments: %d, %v", len(recs), err)
	}
	reqs := e.sb.Requests()
	if len(reqs) != 2 || reqs[1].Query.Get("page[after]") == "" || reqs[1].Query.Get("page[size]") != "50" {
		t.Errorf("requests %+v; want two pages, the second by cursor asking for the 50 left", reqs)
	}
	recs, err = e.search("ticket_comment", map[string]string{"ticket_id": "4105"}, 1000, "id")
	if err != nil || len(recs) != 200 {
		t.Fatalf("max_pages 2 gave %d comments, %v; want 200", len(recs), err)
	}
	if !strings.Contains(e.logs.String(), "max_pages") {
		t.Error("stopping at the page bound was not logged")
	}
	recs, err = e.search("ticket_comment", map[string]string{"ticket_id": "999999"}, 0, "id")
	if err != nil || len(recs) != 0 {
		t.Errorf("comments of a missing ticket: %v, %v", recs, err)
	}
}

func TestUpdateTicket(t *testing.T) {
	e := newEnv(t, envOpts{})
	set := func(kv ...any) []connectors.Assignment {
		var out []connectors.Assignment
		for i := 0; i < len(kv); i += 2 {
			out = append(out, connectors.Assignment{Field: fps(kv[i].(string))[0], Value: kv[i+1]})
		}
		return out
	}
	update := func(match map[string]string, s []connectors.Assignment, fields ...string) (connectors.Record, error) {
		return e.conn.Update(context.Background(), connectors.Update{Resource: "ticket", Match: crits(match), Set: s, Fields: fps(fields...)})
	}
	rec, err := update(map[string]string{"id": "4105"}, set("status", "pending", "priority", "high", "comment.body", "Address updated. 👍", "comment.public", true), "id", "status", "priority")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]any{"id": 4105.0, "status": "pending", "priority": "high"}, norm(t, rec)); d != "" {
		t.Errorf("returned record (-want +got):\n%s", d)
	}
	stored, _ := e.sb.Lookup("ticket", "4105")
	if stored["status"] != "pending" {
		t.Errorf("stored status %v", stored["status"])
	}
	var put map[string]any
	for _, r := range e.sb.Requests() {
		if r.Method == http.MethodPut {
			if err := json.Unmarshal(r.Body, &put); err != nil {
				t.Fatal(err)
			}
		}
	}
	wantBody := map[string]any{"ticket": map[string]any{"status": "pending", "priority": "high", "comment": map[string]any{"body": "Address updated. 👍", "public": true}}}
	if d := cmp.Diff(wantBody, put); d != "" {
		t.Errorf("PUT body (-want +got):\n%s", d)
	}

	rec, err = update(map[string]string{"id": "4105"}, set("priority", nil), "priority")
	if err != nil || rec["priority"] != nil {
		t.Fatalf("clearing priority: %v, %v", rec, err)
	}

	for _, tc := range []struct {
		name  string
		match map[string]string
		set   []connectors.Assignment
		kind  connectors.Kind
		sent  bool // whether a PUT may be sent
	}{
		{"unknown status", map[string]string{"id": "4105"}, set("status", "done"), connectors.KindInvalid, false},
		{"unknown priority", map[string]string{"id": "4105"}, set("priority", "asap"), connectors.KindInvalid, false},
		{"public without body", map[string]string{"id": "4105"}, set("comment.public", false), connectors.KindInvalid, false},
		{"blank body", map[string]string{"id": "4105"}, set("comment.body", "  "), connectors.KindInvalid, false},
		{"not writable", map[string]string{"id": "4105"}, set("subject", "x"), connectors.KindInvalid, false},
		{"closed ticket", map[string]string{"id": "4106"}, set("status", "open"), connectors.KindInvalid, true},
		{"missing ticket", map[string]string{"id": "999999"}, set("status", "open"), connectors.KindNotFound, true},
		{"another requester", map[string]string{"id": "4105", "requester_email": "maya.okafor@example.com"}, set("status", "open"), connectors.KindNotFound, false},
		{"no unique key", map[string]string{"requester_email": "samir.haddad@example.com"}, set("status", "open"), connectors.KindInvalid, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.sb.ClearRequests()
			_, err := update(tc.match, tc.set, "id")
			if k := connectors.KindOf(err); k != tc.kind {
				t.Fatalf("Update = %v (kind %s); want %s", err, k, tc.kind)
			}
			puts := 0
			for _, r := range e.sb.Requests() {
				if r.Method == http.MethodPut {
					puts++
				}
			}
			if puts > 0 != tc.sent {
				t.Errorf("%d PUT requests sent", puts)
			}
		})
	}
	_, err = update(map[string]string{"id": "4106"}, set("status", "open"), "id")
	if !strings.Contains(err.Error(), "ClosedTicketUpdateFailed") || strings.Contains(err.Error(), "prevents") {
		t.Errorf("closed-ticket error should name Zendesk's code, not its description: %v", err)
	}
}

// TestMinimalRequests pins data minimisation at the source: each lookup
// uses the exact endpoint and nothing else.
func TestMinimalRequests(t *testing.T) {
	e := newEnv(t, envOpts{})
	for _, tc := range []struct {
		resource string
		match    map[string]string
		want     string
	}{
		{"ticket", map[string]string{"id": "4101"}, "GET /api/v2/tickets/4101.json"},
		{"user", map[string]string{"id": "20978392101"}, "GET /api/v2/users/20978392101.json"},
		{"user", map[string]string{"external_id": "crm-1001"}, "GET /api/v2/users/search.json external_id=crm-1001&per_page=100"},
		{"organization", map[string]string{"id": "509974001"}, "GET /api/v2/organizations/509974001.json"},
	} {
		e.sb.ClearRequests()
		if _, err := e.read(tc.resource, tc.match, "id"); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range e.sb.Requests() {
			if r.Path == "/oauth/tokens" {
				continue
			}
			s := r.Method + " " + r.Path
			if q := r.Query.Encode(); q != "" {
				s += " " + q
			}
			got = append(got, s)
		}
		if d := cmp.Diff([]string{tc.want}, got); d != "" {
			t.Errorf("%s %v (-want +got):\n%s", tc.resource, tc.match, d)
		}
		if len(e.sb.Searches()) != 0 && tc.resource != "user" {
			t.Errorf("%s by id ran a search", tc.resource)
		}
	}
}

func TestRateLimitBudget(t *testing.T) {
	e := newEnv(t, envOpts{sandbox: zdsandbox.Options{RateLimit: 3}})
	for i := 0; i < 3; i++ {
		mustRead(t, e)
	}
	if limit, remaining, ok := e.conn.RateLimitStatus(); !ok || limit != 3 || remaining != 0 {
		t.Fatalf("RateLimitStatus = %d, %d, %v", limit, remaining, ok)
	}
	before := e.apiRequests()
	_, err := e.read("ticket", known, "id")
	d, ok := connectors.RetryAfter(err)
	if !errors.Is(err, connectors.ErrRateLimited) || !ok || d <= 0 || d > 30*1e9 {
		t.Fatalf("read with the allowance spent = %v (retry after %v); want a rate limit within the minute", err, d)
	}
	if e.apiRequests() != before {
		t.Error("the connector spent a request Zendesk would have refused")
	}
	e.clk.Advance(d)
	mustRead(t, e)
}

func TestRateLimitedUpstream(t *testing.T) {
	for _, textPlain := range []bool{false, true} {
		t.Run(fmt.Sprintf("text_plain=%v", textPlain), func(t *testing.T) {
			e := newEnv(t, envOpts{sandbox: zdsandbox.Options{TextPlain429: textPlain}})
			mustRead(t, e)
			e.sb.Faults().SetRetryAfter(42e9)
			e.sb.Faults().Inject("rate_limit", 5)
			_, err := e.read("ticket", known, "id")
			if d, ok := connectors.RetryAfter(err); !ok || d != 42e9 {
				t.Fatalf("Read = %v; want a rate limit carrying Retry-After 42s", err)
			}
			// Calls during the announced wait fail fast.
			n := e.apiRequests()
			if _, err := e.read("ticket", known, "id"); !errors.Is(err, connectors.ErrRateLimited) || e.apiRequests() != n {
				t.Errorf("a call during Retry-After = %v after %d requests", err, e.apiRequests()-n)
			}
			if strings.Contains(err.Error(), "Number of allowed") {
				t.Errorf("error carries the body: %v", err)
			}
		})
	}
}
