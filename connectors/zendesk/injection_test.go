package zendesk

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cxgate/cxgate/connectors"
	zdsandbox "github.com/cxgate/cxgate/connectors/sandbox/zendesk"
)

// Values an expert (or a customer, through a form) could put in a lookup
// parameter to change what a Zendesk search means (reference §2.5): pasted
// into a query naively, each one changes how the parser reads it.
var operatorPayloads = []string{
	`x type:user`,
	`maya.okafor@example.com type:user`,
	`maya.okafor@example.com -status:closed`,
	`*`,
	`requester:*`,
	`order_by:created sort:asc`,
	`maya.okafor@example.com order_by:updated`,
	`maya.okafor@example.com"`,
	`"maya.okafor@example.com`,
	`maya.okafor@example.com" type:user "`,
	`" OR type:user "`,
	`a\"@example.com`,
	`maya.okafor@example.com\" type:user`,
	`maya.okafor@example.com jamie.doe@example.com`,
	`maya.okafor@exa mple.com`,
	"maya.okafor@example.com\u00a0type:user",
	"maya.okafor@example.com\u2028type:user",
}

// Values that are not emails but would not change a naive parse either:
// still refused, since they cannot be an email.
var notEmails = []string{
	`-status:closed`,
	`maya.okafor@example.com\`,
	`maya\@example.com`,
	`(maya)@example.com`,
	`maya.okafor@example.com,jamie.doe@example.com`,
	`maya.okafor@example.com:type`,
	`<maya.okafor@example.com>`,
	`maya..okafor@example.com`,
	`maya.okafor@example`,
	`@example.com`,
	`maya.okafor@`,
}

var hostileEmails = append(append([]string(nil), operatorPayloads...), notEmails...)

// Odd but valid addresses: they are accepted, and must stay one quoted
// phrase in the query.
var oddEmails = []string{
	`*@example.com`,
	`maya*@example.com`,
	`-maya@example.com`,
	`sean.o'brien@example.com`,
	`ana.silva+orders@example.com`,
	`{x}|y@example.com`,
	`a/b=c?d@example.com`,
	`status-closed@example.com`,
	`zoë@example.com`,
	`MAYA.OKAFOR@EXAMPLE.COM`,
}

// TestNaiveQueriesWouldChangeMeaning is the control: pasted into a query
// the naive way, the hostile values do change what the sandbox's parser
// (and Zendesk) reads, so the tests below are not vacuous.
func TestNaiveQueriesWouldChangeMeaning(t *testing.T) {
	for _, v := range operatorPayloads {
		changed := false
		for _, naive := range []string{"email:" + v, `email:"` + v + `"`} {
			q := zdsandbox.ParseQuery(naive)
			intended := []zdsandbox.Term{{Field: "email", Op: ":", Value: v, Phrase: strings.HasPrefix(naive, `email:"`)}}
			if !cmp.Equal(intended, q.Terms) || q.OrderBy != "" || q.Sort != "" {
				changed = true
			}
		}
		if !changed {
			t.Errorf("%q does not change a naive query; it belongs in notEmails", v)
		}
	}
}

// checkSearches asserts every query the sandbox parsed has exactly the
// terms the connector meant: email:"<value>" on /users/search, and
// type:ticket requester:<digits> on /search. Nothing else.
func checkSearches(t *testing.T, e *env, email string) {
	t.Helper()
	digits := regexp.MustCompile(`^[1-9][0-9]*$`)
	for _, s := range e.sb.Searches() {
		q := s.Query
		if q.OrderBy != "" || q.Sort != "" {
			t.Errorf("%s: the query carries ordering directives: %q", s.Endpoint, q.Raw)
		}
		switch s.Endpoint {
		case "users/search":
			want := []zdsandbox.Term{{Field: "email", Op: ":", Value: email, Phrase: true}}
			if d := cmp.Diff(want, q.Terms); d != "" {
				t.Errorf("users/search %q parsed as (-want +got):\n%s", q.Raw, d)
			}
		case "search":
			if len(q.Terms) != 2 || q.Terms[0] != (zdsandbox.Term{Field: "type", Op: ":", Value: "ticket"}) ||
				q.Terms[1].Field != "requester" || q.Terms[1].Op != ":" || q.Terms[1].Negated || q.Terms[1].Wildcard ||
				!digits.MatchString(q.Terms[1].Value) {
				t.Errorf("search %q parsed as %+v; want type:ticket requester:<id>", q.Raw, q.Terms)
			}
		default:
			t.Errorf("unexpected search endpoint %s (%q)", s.Endpoint, q.Raw)
		}
	}
}

func TestInjectionEmailKeys(t *testing.T) {
	e := newEnv(t, envOpts{})
	calls := map[string]func(v string) error{
		"ticket search by requester_email": func(v string) error {
			_, err := e.search("ticket", map[string]string{"requester_email": v}, 0, "id")
			return err
		},
		"ticket read by requester_email": func(v string) error {
			_, err := e.read("ticket", map[string]string{"requester_email": v}, "id")
			return err
		},
		"user read by email": func(v string) error {
			_, err := e.read("user", map[string]string{"email": v}, "id")
			return err
		},
		"user search by email": func(v string) error {
			_, err := e.search("user", map[string]string{"email": v}, 0, "id")
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			for _, v := range hostileEmails {
				e.sb.ClearRequests()
				err := call(v)
				if !errors.Is(err, connectors.ErrInvalid) {
					t.Errorf("%q: %v; want ErrInvalid before any request", v, err)
				}
				if n := e.apiRequests(); n != 0 {
					t.Errorf("%q: %d API requests sent for a value that cannot be an email", v, n)
				}
				if err != nil && strings.Contains(err.Error(), v) {
					t.Errorf("%q: the error repeats the value: %v", v, err)
				}
			}
			for _, v := range oddEmails {
				e.sb.ClearRequests()
				err := call(v)
				// Maya has two tickets, so reading "her" ticket is ambiguous.
				if err != nil && !errors.Is(err, connectors.ErrNotFound) && !(v == "MAYA.OKAFOR@EXAMPLE.COM" && errors.Is(err, connectors.ErrInvalid)) {
					t.Errorf("%q: %v", v, err)
				}
				if len(e.sb.Searches()) == 0 {
					t.Errorf("%q: no search reached the sandbox", v)
				}
				checkSearches(t, e, v)
			}
		})
	}
}

// TestInjectionWildcardEmailFindsNothingBroader: even if Zendesk read a
// "*" inside quotes as a wildcard, the post-filter keeps only exact
// matches (see also TestPostFilters).
func TestInjectionWildcardEmailFindsNothingBroader(t *testing.T) {
	e := newEnv(t, envOpts{})
	for _, v := range []string{"*@example.com", "maya*@example.com", "*.okafor@example.com"} {
		recs, err := e.search("ticket", map[string]string{"requester_email": v}, 0, "id")
		if err != nil || len(recs) != 0 {
			t.Errorf("%q found %d tickets (%v); want none", v, len(recs), err)
		}
	}
}

func TestInjectionExternalID(t *testing.T) {
	e := newEnv(t, envOpts{})
	for _, v := range []string{`crm-1001 type:user`, `*`, `crm-*`, `" OR "`, `crm-1001"`, `\`, `-crm-1001`, `external_id:crm-1001`, `crm-1001&query=*`, `crm-1001#x`, `crm-1001%26query%3D*`} {
		e.sb.ClearRequests()
		_, err := e.read("user", map[string]string{"external_id": v}, "id")
		if !errors.Is(err, connectors.ErrNotFound) {
			t.Errorf("%q: %v; want not found", v, err)
		}
		if len(e.sb.Searches()) != 0 {
			t.Errorf("%q reached the search parser: %+v", v, e.sb.Searches())
		}
		for _, r := range e.sb.Requests() {
			if r.Path == "/oauth/tokens" {
				continue
			}
			if r.Query.Get("external_id") != v || r.Query.Has("query") || len(r.Query) != 2 {
				t.Errorf("%q sent as %v; want the exact external_id parameter and per_page only", v, r.Query)
			}
		}
	}
}

func TestInjectionIDs(t *testing.T) {
	e := newEnv(t, envOpts{})
	for _, v := range []string{"4101 OR 1=1", "4101/../4102", "../users/20978392101", "4101?include=users", "4101#", "-1", "+4101", "0", "4101.json",
		"１２３", "99999999999999999999", "0x10", " 4101", "4101 ", "type:ticket", "*"} {
		e.sb.ClearRequests()
		_, err1 := e.read("ticket", map[string]string{"id": v}, "id")
		_, err2 := e.read("user", map[string]string{"id": v}, "id")
		_, err3 := e.read("organization", map[string]string{"id": v}, "id")
		_, err4 := e.search("ticket_comment", map[string]string{"ticket_id": v}, 0, "id")
		_, err5 := e.conn.Update(context.Background(), connectors.Update{Resource: "ticket", Match: crits(map[string]string{"id": v}),
			Set: []connectors.Assignment{{Field: fps("status")[0], Value: "open"}}})
		for i, err := range []error{err1, err2, err3, err4, err5} {
			if !errors.Is(err, connectors.ErrInvalid) {
				t.Errorf("%q (call %d): %v; want ErrInvalid", v, i+1, err)
			}
		}
		if n := e.apiRequests(); n != 0 {
			t.Errorf("%q: %d API requests for an id that is not one", v, n)
		}
	}
}

func TestQuoted(t *testing.T) {
	for in, want := range map[string]string{
		`a@example.com`:        `"a@example.com"`,
		`a"b`:                  `"ab"`,
		`"`:                    `""`,
		"a\x00b\x1fc\u0085d\n": `"abcd"`,
		`a\b`:                  `"a\b"`,
		"zoë":                  `"zoë"`,
		"bad\xffutf8":          `"badutf8"`,
	} {
		if got := quoted(in); got != want {
			t.Errorf("quoted(%q) = %s, want %s", in, got, want)
		}
		q := zdsandbox.ParseQuery("email:" + quoted(in))
		if len(q.Terms) != 1 || !q.Terms[0].Phrase || q.Terms[0].Field != "email" {
			t.Errorf("email:%s parses as %+v; want one phrase term", quoted(in), q.Terms)
		}
	}
}

func TestValidEmail(t *testing.T) {
	for _, v := range oddEmails {
		if !validEmail(v) {
			t.Errorf("validEmail(%q) = false", v)
		}
	}
	for _, v := range hostileEmails {
		if validEmail(v) {
			t.Errorf("validEmail(%q) = true", v)
		}
	}
	for _, v := range []string{"", strings.Repeat("a", 65) + "@example.com", "a@" + strings.Repeat("b", 64) + ".com", "a@-x.com", "a@x-.com", ".a@example.com", "a.@example.com"} {
		if validEmail(v) {
			t.Errorf("validEmail(%q) = true", v)
		}
	}
}
