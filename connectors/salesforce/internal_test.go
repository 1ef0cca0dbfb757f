package salesforce

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-resty/resty/v2"
	"github.com/google/go-cmp/cmp"

	"github.com/cxgate/cxgate/connectors"
	sfsandbox "github.com/cxgate/cxgate/connectors/sandbox/salesforce"
	"github.com/cxgate/cxgate/scopes/fieldpath"
)

// hostile lookup values: quotes, backslashes, SOQL keywords, escapes,
// wildcards and unicode.
var hostile = []string{
	"x' OR Name != '", `x\' OR Name != \'`, `\`, `\\`, `\'`, "'", "''", "' OR '1'='1",
	"x' OR Id != null OR Id = '", "a@example.com' LIMIT 1000 --", "%", "_", "%' OR Email LIKE '%",
	`\u0027 OR Name != \u0027`, "maya.okafor@example.com' AND IsDeleted = false AND Email = '",
	"日本語' OR Name != '😀", `\n' OR Name != '`, "O'Brien\\", "x\" OR Name != \"",
}

// TestWhereClauseThroughTheSandboxParser proves, with the sandbox's real
// SOQL parser, that no value changes a query's meaning: every condition
// parses back to exactly "field = <the value>".
func TestWhereClauseThroughTheSandboxParser(t *testing.T) {
	for _, v := range hostile {
		for _, c := range []struct {
			resource, key string
			fields        []string
		}{{"contact", "email", []string{"Email"}}, {"case", "email", []string{"ContactEmail", "SuppliedEmail"}}, {"account", "account_number", []string{"AccountNumber"}}} {
			w, err := whereClause(c.resource, resources[c.resource], []connectors.Criterion{{Key: c.key, Value: v}})
			if err != nil {
				t.Fatal(err)
			}
			q, err := sfsandbox.ParseSOQL("SELECT Id FROM " + resources[c.resource].object + " WHERE " + w)
			if err != nil {
				t.Fatalf("%q: the escaped query does not parse: %v", v, err)
			}
			var cmps []*sfsandbox.Compare
			switch e := q.Where.(type) {
			case *sfsandbox.Compare:
				cmps = []*sfsandbox.Compare{e}
			case *sfsandbox.Or:
				l, lok := e.L.(*sfsandbox.Compare)
				r, rok := e.R.(*sfsandbox.Compare)
				if !lok || !rok {
					t.Fatalf("%q: parsed as %s", v, q.Where)
				}
				cmps = []*sfsandbox.Compare{l, r}
			default:
				t.Fatalf("%q: parsed as %s", v, q.Where)
			}
			if len(cmps) != len(c.fields) {
				t.Fatalf("%q: %d conditions, want %d", v, len(cmps), len(c.fields))
			}
			for i, cm := range cmps {
				if cm.Field[0] != c.fields[i] || cm.Op != "=" || cm.Value.Kind != sfsandbox.LitString || cm.Value.Value != v {
					t.Fatalf("%q: condition %s", v, cm)
				}
			}
		}
	}
}

func TestIDValidation(t *testing.T) {
	cases := []struct {
		resource, key, value string
		want                 error
	}{
		{"case", "id", "500RO00000AbCdEYAV", nil},
		{"case", "id", "500RO00000AbCdE", nil},
		{"case", "id", "500RO00000AbCdEYA", connectors.ErrInvalid},
		{"case", "id", "500RO00000AbCdE'Y", connectors.ErrInvalid},
		{"case", "id", "003RO00000Y1abcYAB", connectors.ErrNotFound},
		{"order", "account_id", "001RO00000K9xyzYAB", nil},
		{"order", "account_id", "x' OR Id != '", connectors.ErrInvalid},
	}
	for _, c := range cases {
		_, err := whereClause(c.resource, resources[c.resource], []connectors.Criterion{{Key: c.key, Value: c.value}})
		if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s %s=%q: %v, want %v", c.resource, c.key, c.value, err, c.want)
		}
	}
}

func TestSelectList(t *testing.T) {
	ps := func(ss ...string) []fieldpath.Path {
		out := make([]fieldpath.Path, len(ss))
		for i, s := range ss {
			out[i] = fieldpath.MustParse(s)
		}
		return out
	}
	got, _ := selectList(resources["case"], ps("CaseNumber", "Account.Name", "CaseComments[].CommentBody", "Comments", "CaseComments[].IsPublished"), "Id")
	want := "Id, CaseNumber, Account.Name, (SELECT CommentBody, IsPublished FROM CaseComments ORDER BY CreatedDate ASC LIMIT 200)"
	if got != want {
		t.Fatalf("selectList = %q\nwant          %q", got, want)
	}
	if got, _ := selectList(resources["case"], ps("Id", "CaseNumber"), "Id"); got != "Id, CaseNumber" {
		t.Fatalf("duplicates not merged: %q", got)
	}
}

func TestCheck(t *testing.T) {
	ref := connectors.CredentialRef{Env: "SF"}
	cases := []struct {
		name string
		cfg  connectors.ConnectionConfig
		keys []string
	}{
		{"ok", connectors.ConnectionConfig{BaseURL: "https://initech.my.salesforce.com", Credentials: ref}, nil},
		{"ok jwt on login host", connectors.ConnectionConfig{BaseURL: "https://login.salesforce.com", Auth: "jwt_bearer", Credentials: ref, Options: map[string]string{"login_url": "https://test.salesforce.com"}}, nil},
		{"loopback http for tests", connectors.ConnectionConfig{BaseURL: "http://127.0.0.1:8080", Credentials: ref}, nil},
		{"missing base url", connectors.ConnectionConfig{Credentials: ref}, []string{"base_url"}},
		{"plain http", connectors.ConnectionConfig{BaseURL: "http://initech.my.salesforce.com", Credentials: ref}, []string{"base_url"}},
		{"path in base url", connectors.ConnectionConfig{BaseURL: "https://initech.my.salesforce.com/services", Credentials: ref}, []string{"base_url"}},
		{"client credentials on the login host", connectors.ConnectionConfig{BaseURL: "https://login.salesforce.com", Credentials: ref}, []string{"base_url"}},
		{"password flow", connectors.ConnectionConfig{BaseURL: "https://a.my.salesforce.com", Auth: "password", Credentials: ref}, []string{"auth"}},
		{"retired version", connectors.ConnectionConfig{BaseURL: "https://a.my.salesforce.com", APIVersion: "v30.0", Credentials: ref}, []string{"api_version"}},
		{"bad version", connectors.ConnectionConfig{BaseURL: "https://a.my.salesforce.com", APIVersion: "66", Credentials: ref}, []string{"api_version"}},
		{"no credentials", connectors.ConnectionConfig{BaseURL: "https://a.my.salesforce.com"}, []string{"credentials"}},
		{"options", connectors.ConnectionConfig{BaseURL: "https://a.my.salesforce.com", Credentials: ref, Options: map[string]string{
			"login_url": "https://login.salesforce.com", "max_pages": "0", "session_timeout": "1s", "colour": "blue"}},
			[]string{"options.colour", "options.login_url", "options.max_pages", "options.session_timeout"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var keys []string
			for _, p := range Check(c.cfg) {
				keys = append(keys, p.Key)
			}
			if d := cmp.Diff(c.keys, keys); d != "" {
				t.Fatalf("problem keys (-want +got):\n%s", d)
			}
		})
	}
}

func TestParseLimitInfo(t *testing.T) {
	cases := map[string]LimitInfo{
		"api-usage=10018/100000":                                   {Used: 10018, Max: 100000},
		"api-usage=10018/100000; api-bursts=1/750":                 {Used: 10018, Max: 100000, BurstUsed: 1, BurstMax: 750},
		"per-app-api-usage=17/250(appName=x);api-usage=5/15000":    {Used: 5, Max: 15000},
		" api-bursts = 3/750 ; junk ; api-usage=oops/1":            {BurstUsed: 3, BurstMax: 750},
		"api-usage=99999/100000;future-thing=1/2;api-bursts=7/750": {Used: 99999, Max: 100000, BurstUsed: 7, BurstMax: 750},
	}
	for h, want := range cases {
		got, ok := parseLimitInfo(h)
		if !ok || got != want {
			t.Errorf("parseLimitInfo(%q) = %+v, %v; want %+v", h, got, ok, want)
		}
	}
	if _, ok := parseLimitInfo("nothing here"); ok {
		t.Error("parsed garbage")
	}
}

// respond builds a resty response for the error mapper from a real
// loopback exchange.
func respond(t *testing.T, status int, header http.Header, body string) *resty.Response {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	defer srv.Close()
	resp, err := resty.New().R().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestAPIErrorMapping(t *testing.T) {
	msg := `"message":"SELECT Id FROM Contact WHERE Email = 'maya.okafor@example.com' is wrong"`
	cases := []struct {
		name      string
		status    int
		body      string
		kind      connectors.Kind
		noRefresh bool
		wait      time.Duration
	}{
		{"expired session", 401, `[{` + msg + `,"errorCode":"INVALID_SESSION_ID"}]`, connectors.KindUnauthorized, false, 0},
		{"session not valid for REST", 401, `[{"message":"This session is not valid for use with the REST API","errorCode":"INVALID_SESSION_ID"}]`, connectors.KindUnauthorized, true, 0},
		{"daily limit", 403, `[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]`, connectors.KindRateLimited, false, defaultLimitWait},
		{"insufficient access", 403, `[{` + msg + `,"errorCode":"INSUFFICIENT_ACCESS"}]`, connectors.KindForbidden, false, 0},
		{"not found", 404, `[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]`, connectors.KindNotFound, false, 0},
		{"malformed id", 400, `[{` + msg + `,"errorCode":"MALFORMED_ID","fields":["Id"]}]`, connectors.KindNotFound, false, 0},
		{"bad query", 400, `[{` + msg + `,"errorCode":"MALFORMED_QUERY"}]`, connectors.KindInvalid, false, 0},
		{"validation rule", 400, `[{` + msg + `,"errorCode":"FIELD_CUSTOM_VALIDATION_EXCEPTION","fields":["Status"]}]`, connectors.KindInvalid, false, 0},
		{"stale locator", 400, `[{` + msg + `,"errorCode":"INVALID_QUERY_LOCATOR"}]`, connectors.KindUnavailable, false, 0},
		{"retired version", 410, `[{"message":"gone","errorCode":"GONE"}]`, connectors.KindUpstream, false, 0},
		{"server error", 500, `[{` + msg + `,"errorCode":"UNKNOWN_EXCEPTION"}]`, connectors.KindUnavailable, false, 0},
		{"html error page", 503, `<html>maintenance for maya.okafor@example.com</html>`, connectors.KindUnavailable, false, 0},
		{"code with injected text", 400, `[{"message":"x","errorCode":"BAD code maya.okafor@example.com"}]`, connectors.KindInvalid, false, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := apiErr("read case", respond(t, c.status, nil, c.body), time.Now())
			if k := connectors.KindOf(err); k != c.kind {
				t.Fatalf("kind %s (%v), want %s", k, err, c.kind)
			}
			if wantRefresh := c.kind == connectors.KindUnauthorized && !c.noRefresh; refreshes(err) != wantRefresh {
				t.Fatalf("refreshes after %v = %v, want %v", err, !wantRefresh, wantRefresh)
			}
			if d, _ := connectors.RetryAfter(err); d != c.wait {
				t.Fatalf("RetryAfter %v, want %v", d, c.wait)
			}
			if strings.Contains(err.Error(), "maya") || strings.Contains(err.Error(), "SELECT") {
				t.Fatalf("error quotes upstream text: %v", err)
			}
		})
	}
}

// refreshes reports whether TokenCache.Do refreshes the token after err:
// the no-refresh mark is observable only through that behaviour.
func refreshes(err error) bool {
	calls := 0
	c := &connectors.TokenCache{Secrets: staticSecrets{}, Fetch: func(context.Context, connectors.Credentials) (connectors.Token, error) {
		return connectors.Token{Value: "t"}, nil
	}}
	c.Do(context.Background(), func(context.Context, connectors.Token) error { calls++; return err })
	return calls > 1
}

type staticSecrets struct{ c connectors.Credentials }

func (s staticSecrets) Credentials(context.Context, connectors.CredentialRef, bool) (connectors.Credentials, error) {
	return s.c, nil
}
