package zendesk_test

import (
	"net/http"
	"net/url"
	"sort"
	"testing"

	"github.com/cxgate/cxgate/connectors/sandbox/zendesk"
	"github.com/cxgate/cxgate/connectors/sandbox/zendesk/spectest"
)

// TestAgainstZendeskSpec drives every endpoint the connector uses (and the
// create endpoints) through a server that validates each 2xx response
// against Zendesk's OpenAPI file, then compares shapes with the recorded
// go-zendesk fixtures.
func TestAgainstZendeskSpec(t *testing.T) {
	v := spectest.Load(t)
	r := newRig(t, zendesk.Options{}, func(h http.Handler) http.Handler { return v.Wrap(t, h) })

	ticket := r.get("/api/v2/tickets/4101.json")
	r.expect(ticket, 200)
	r.expect(r.get("/api/v2/tickets/4109"), 200) // nulls: priority, type, assignee_id
	tickets := r.get("/api/v2/tickets.json?page[size]=3")
	r.expect(tickets, 200)
	r.expect(r.get("/api/v2/tickets.json?per_page=5&page=2"), 200)
	showMany := r.get("/api/v2/tickets/show_many.json?ids=4101,4102,4103")
	r.expect(showMany, 200)
	comments := r.get("/api/v2/tickets/4101/comments.json?page[size]=2&sort=-created_at")
	r.expect(comments, 200)
	r.expect(r.get("/api/v2/tickets/4101/comments.json"), 200)
	user := r.get("/api/v2/users/20978392101.json")
	r.expect(user, 200)
	r.expect(r.get("/api/v2/users/20978392104"), 200) // unicode, nulls
	users := r.get("/api/v2/users/search.json?" + url.Values{"query": {`email:"maya.okafor@example.com"`}}.Encode())
	r.expect(users, 200)
	r.expect(r.get("/api/v2/users/search.json?external_id=CRM-1001"), 200)
	org := r.get("/api/v2/organizations/509974001.json")
	r.expect(org, 200)
	r.expect(r.get("/api/v2/organizations/509974002.json"), 200)
	searchTickets := r.get("/api/v2/search.json?" + url.Values{"query": {"type:ticket requester:20978392101"}, "sort_by": {"created_at"}}.Encode())
	r.expect(searchTickets, 200)
	searchUsers := r.get("/api/v2/search.json?" + url.Values{"query": {"type:user doe"}}.Encode())
	r.expect(searchUsers, 200)
	r.expect(r.get("/api/v2/search.json?"+url.Values{"query": {"order"}, "per_page": {"2"}}.Encode()), 200)
	r.expect(r.get("/api/v2/search/count.json?"+url.Values{"query": {"type:ticket status:open"}}.Encode()), 200)
	export := r.get("/api/v2/search/export.json?" + url.Values{"query": {"status<solved"}, "filter[type]": {"ticket"}, "page[size]": {"2"}}.Encode())
	r.expect(export, 200)
	put := r.send(http.MethodPut, "/api/v2/tickets/4105.json", map[string]any{"ticket": map[string]any{
		"status": "open", "priority": nil, "comment": map[string]any{"body": "Unlocked; please retry.", "public": false}}}, "")
	r.expect(put, 200)
	r.expect(r.send(http.MethodPost, "/api/v2/tickets.json", map[string]any{"ticket": map[string]any{
		"subject": "New", "comment": map[string]any{"body": "Hello from 202-555-0199"}, "requester": map[string]any{"name": "Pat Example", "email": "pat@example.com"}}}, ""), 201)
	r.expect(r.send(http.MethodPost, "/api/v2/users.json", map[string]any{"user": map[string]any{"name": "Lee Example", "email": "lee@example.org"}}, ""), 201)
	r.expect(r.send(http.MethodPost, "/api/v2/organizations.json", map[string]any{"organization": map[string]any{"name": "Example Org", "domain_names": []string{"example.org"}}}, ""), 201)

	// Every operation the connector relies on was validated at least once.
	seen := v.Seen()
	for _, op := range []string{"ShowTicket", "ListTickets", "TicketsShowMany", "UpdateTicket", "CreateTicket", "ListTicketComments",
		"ShowUser", "SearchUsers", "CreateUser", "ShowOrganization", "CreateOrganization",
		"ListSearchResults", "CountSearchResults", "ExportSearchResults"} {
		if seen[op] == 0 {
			t.Errorf("no response validated for operation %s (seen: %v)", op, keys(seen))
		}
	}

	// Shapes against the recorded go-zendesk responses.
	for _, c := range []struct {
		fixture string
		got     answer
		ignore  []string
	}{
		{"GET/ticket.json", ticket, []string{"ticket.satisfaction_probability"}},
		{"GET/tickets.json", tickets, []string{"tickets[].satisfaction_probability", "next_page", "previous_page", "count"}},
		{"GET/ticket_show_many.json", showMany, []string{"tickets[].satisfaction_probability"}},
		{"GET/ticket_comments.json", comments, nil},
		{"GET/user.json", user, []string{"user.photo"}},
		{"GET/users.json", users, []string{"users[].photo"}},
		{"GET/organization.json", org, nil},
		{"GET/search_ticket.json", searchTickets, []string{"results[].satisfaction_probability"}},
		{"GET/search_user.json", searchUsers, []string{"results[].photo", "results[].user_fields"}},
		{"PUT/ticket.json", put, []string{"ticket.satisfaction_probability"}},
	} {
		for _, d := range spectest.CompareShapes(v.Fixture(t, c.fixture), c.got.body, c.ignore...) {
			t.Errorf("%s: %s", c.fixture, d)
		}
	}
	t.Logf("validated responses per operation: %v", seen)
}

// TestSpecValidatorRejects proves the relaxed spec still has teeth: wrong
// types and wrong result shapes fail.
func TestSpecValidatorRejects(t *testing.T) {
	v := spectest.Load(t)
	hdr := http.Header{"Content-Type": {"application/json"}}
	for name, c := range map[string]struct{ method, path, body string }{
		"ticket id as text":        {"GET", "/api/v2/tickets/1.json", `{"ticket":{"id":"one"}}`},
		"tags not an array":        {"GET", "/api/v2/tickets/1", `{"ticket":{"id":1,"tags":"a b"}}`},
		"comments not an array":    {"GET", "/api/v2/tickets/1/comments.json", `{"comments":{"id":1}}`},
		"comment public as string": {"GET", "/api/v2/tickets/1/comments", `{"comments":[{"id":1,"public":"yes"}]}`},
		"search count as text":     {"GET", "/api/v2/search.json", `{"results":[],"count":"1"}`},
		"user verified as text":    {"GET", "/api/v2/users/1.json", `{"user":{"id":1,"name":"A","verified":"true"}}`},
		"org domain_names object":  {"GET", "/api/v2/organizations/1", `{"organization":{"id":1,"name":"A","domain_names":{"a":1}}}`},
	} {
		if _, err := v.Check(c.method, c.path, "", 200, hdr, []byte(c.body)); err == nil {
			t.Errorf("%s: the validator accepted %s", name, c.body)
		}
	}
	if op, err := v.Check("GET", "/api/v2/tickets/1.json", "", 200, hdr, []byte(`{"ticket":{"id":1,"requester_id":2,"priority":null,"external_id":null,"problem_id":null}}`)); err != nil || op != "ShowTicket" {
		t.Errorf("a null where the spec forgot nullable: op %q, err %v", op, err)
	}
}

func keys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
