package salesforce_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/connectors/connectortest"
	"github.com/cxgate/cxgate/connectors/salesforce"
	"github.com/cxgate/cxgate/connectors/salesforce/salesforcetest"
	sfsandbox "github.com/cxgate/cxgate/connectors/sandbox/salesforce"
)

type secrets struct {
	mu    sync.Mutex
	creds connectors.Credentials
	fresh int
}

func (s *secrets) Credentials(_ context.Context, _ connectors.CredentialRef, fresh bool) (connectors.Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if fresh {
		s.fresh++
	}
	return s.creds, nil
}

type rig struct {
	sb   *sfsandbox.Server
	srv  *httptest.Server
	conn connectors.Connector
	logs *bytes.Buffer
	sec  *secrets
}

func newRig(t *testing.T, opts sfsandbox.Options, tweak func(*connectors.ConnectionConfig)) *rig {
	t.Helper()
	sb, srv := salesforcetest.StartSandbox(t, opts)
	cfg := salesforcetest.Config(srv.URL)
	if tweak != nil {
		tweak(&cfg)
	}
	r := &rig{sb: sb, srv: srv, logs: &bytes.Buffer{}, sec: &secrets{creds: sb.Credentials()}}
	c, err := salesforce.Open(context.Background(), cfg, connectors.Deps{
		Secrets: r.sec, HTTPClient: srv.Client(), Logger: slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	r.conn = c
	return r
}

func q(res, key, val string, fields ...string) connectors.Query {
	return connectors.Query{Resource: res, Match: []connectors.Criterion{{Key: key, Value: val}}, Fields: connectortest.Paths(fields...)}
}

// lastSOQL parses the last query the sandbox received with its own parser.
func lastSOQL(t *testing.T, sb *sfsandbox.Server) *sfsandbox.SOQL {
	t.Helper()
	reqs := sb.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if s := reqs[i].Query.Get("q"); s != "" {
			parsed, err := sfsandbox.ParseSOQL(s)
			if err != nil {
				t.Fatalf("the connector sent unparsable SOQL: %v", err)
			}
			return parsed
		}
	}
	t.Fatal("no query was sent")
	return nil
}

// TestInjectionEndToEnd: hostile lookup values reach Salesforce as one
// literal, so they find nothing instead of every record; values that
// legitimately hold quotes and backslashes still find their record.
func TestInjectionEndToEnd(t *testing.T) {
	r := newRig(t, sfsandbox.Options{}, nil)
	ctx := context.Background()
	for _, v := range []string{"x' OR Name != '", `x\' OR Name != \'`, "' OR Email != null OR Email = '", `\`, "%", "a@example.com' OR Id != null LIMIT 10 OR Email = '"} {
		recs, err := r.conn.Search(ctx, q("contact", "email", v, "Id", "Email"))
		if err != nil || len(recs) != 0 {
			t.Fatalf("search by %q: %d records, %v", v, len(recs), err)
		}
		w, ok := lastSOQL(t, r.sb).Where.(*sfsandbox.Compare)
		if !ok || w.Field[0] != "Email" || w.Value.Value != v {
			t.Fatalf("search by %q sent WHERE %s", v, lastSOQL(t, r.sb).Where)
		}
		if _, err := r.conn.Read(ctx, q("case", "email", v, "CaseNumber")); !errors.Is(err, connectors.ErrNotFound) {
			t.Fatalf("read case by %q: %v", v, err)
		}
	}
	got, err := r.conn.Search(ctx, q("contact", "email", "siobhan.o'brien@example.net", "LastName"))
	if err != nil || len(got) != 1 || got[0]["LastName"] != "O'Brien" {
		t.Fatalf("a quote in a real email: %v, %v", got, err)
	}
	acct, err := r.conn.Read(ctx, q("account", "account_number", `OR'\7-2026`, "Name"))
	if err != nil || acct["Name"] != "O'Reilly's Garden Supply" {
		t.Fatalf("quote and backslash in a key: %v, %v", acct, err)
	}
}

// TestDataMinimisation: the SELECT list is exactly the requested fields.
func TestDataMinimisation(t *testing.T) {
	r := newRig(t, sfsandbox.Options{}, nil)
	ctx := context.Background()
	_, err := r.conn.Read(ctx, q("case", "case_number", "00001027", "Subject", "Account.Name", "CaseComments[].CommentBody"))
	if err != nil {
		t.Fatal(err)
	}
	s := lastSOQL(t, r.sb)
	var items []string
	for _, it := range s.Select {
		if it.Sub != nil {
			var sub []string
			for _, si := range it.Sub.Select {
				sub = append(sub, strings.Join(si.Path, "."))
			}
			items = append(items, it.Sub.From+"("+strings.Join(sub, ",")+")")
			continue
		}
		items = append(items, strings.Join(it.Path, "."))
	}
	if d := cmp.Diff([]string{"Subject", "Account.Name", "CaseComments(CommentBody)"}, items); d != "" {
		t.Fatalf("SELECT list (-want +got):\n%s", d)
	}
	// A read by id of plain fields asks for exactly those fields by GET.
	r.sb.ClearRequests()
	rec, err := r.conn.Read(ctx, q("contact", "id", "003RO00000Y1abcYAB", "Email", "Phone"))
	if err != nil || rec["Email"] != "maya.okafor@example.com" || len(rec) != 2 {
		t.Fatalf("read by id: %v, %v", rec, err)
	}
	reqs := r.sb.Requests()
	if len(reqs) != 1 || reqs[0].Path != "/services/data/v66.0/sobjects/Contact/003RO00000Y1abcYAB" || reqs[0].Query.Get("fields") != "Email,Phone" {
		t.Fatalf("requests %+v", reqs)
	}
}

func TestIDsCheckedBeforeIO(t *testing.T) {
	r := newRig(t, sfsandbox.Options{}, nil)
	ctx := context.Background()
	cases := []struct {
		id   string
		want error
	}{
		{"500RO00000AbCdE' OR Id != '", connectors.ErrInvalid},
		{"../../limits", connectors.ErrInvalid},
		{"003RO00000Y1abcYAB", connectors.ErrNotFound}, // a contact id is no case
	}
	for _, c := range cases {
		r.sb.ClearRequests()
		if _, err := r.conn.Read(ctx, q("case", "id", c.id, "Subject")); !errors.Is(err, c.want) {
			t.Errorf("id %q: %v, want %v", c.id, err, c.want)
		}
		if n := len(r.sb.Requests()); n != 0 {
			t.Errorf("id %q: %d requests sent", c.id, n)
		}
	}
	// 15-character ids work.
	if rec, err := r.conn.Read(ctx, q("case", "id", "500RO00000AbCdE", "CaseNumber")); err != nil || rec["CaseNumber"] != "00001027" {
		t.Fatalf("15-char id: %v, %v", rec, err)
	}
}

func TestPaging(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, sfsandbox.Options{PageSize: 2}, nil)
	recs, err := r.conn.Search(ctx, connectors.Query{Resource: "case", Match: []connectors.Criterion{{Key: "email", Value: "maya.okafor@example.com"}}, Fields: connectortest.Paths("CaseNumber"), Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, rec := range recs {
		got = append(got, rec["CaseNumber"].(string))
	}
	if d := cmp.Diff([]string{"00001027", "00001028", "00001033", "00001032"}, got); d != "" {
		t.Fatalf("cases, newest first (-want +got):\n%s", d)
	}
	if n := len(r.sb.Requests()); n != 2 {
		t.Fatalf("%d requests; want 2 pages", n)
	}
	// The page bound stops early and says so in the log.
	bounded := newRig(t, sfsandbox.Options{PageSize: 2}, func(c *connectors.ConnectionConfig) { c.Options = map[string]string{"max_pages": "1"} })
	recs, err = bounded.conn.Search(ctx, connectors.Query{Resource: "case", Match: []connectors.Criterion{{Key: "email", Value: "maya.okafor@example.com"}}, Fields: connectortest.Paths("CaseNumber"), Limit: 10})
	if err != nil || len(recs) != 2 || !strings.Contains(bounded.logs.String(), "page bound") {
		t.Fatalf("bounded: %d records, %v, log %q", len(recs), err, bounded.logs.String())
	}
}

func TestLimitsAndRequestLimitExceeded(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, sfsandbox.Options{DailyLimit: 10}, nil)
	if _, err := r.conn.Read(ctx, q("case", "case_number", "00001027", "Status")); err != nil {
		t.Fatal(err)
	}
	li, ok := r.conn.(*salesforce.Connector).Limits()
	if !ok || li.Used != 1 || li.Max != 10 || li.BurstMax != 750 {
		t.Fatalf("limits %+v %v", li, ok)
	}
	r.sb.SetUsage(9)
	r.conn.Read(ctx, q("case", "case_number", "00001027", "Status"))
	if strings.Count(r.logs.String(), "90% of its daily API allowance") != 1 {
		t.Fatalf("no single warning at 90%%: %s", r.logs.String())
	}
	_, err := r.conn.Read(ctx, q("case", "case_number", "00001027", "Status"))
	if d, ok := connectors.RetryAfter(err); !ok || d != 30*time.Second || !strings.Contains(err.Error(), "REQUEST_LIMIT_EXCEEDED") {
		t.Fatalf("over the allowance: %v", err)
	}
}

func TestJWTBearer(t *testing.T) {
	ctx := context.Background()
	sb, srv := salesforcetest.StartSandbox(t, sfsandbox.Options{Now: time.Now}) // the assertion's exp is checked against real time
	creds, err := sb.JWTCredentials()
	if err != nil {
		t.Fatal(err)
	}
	cfg := salesforcetest.Config(srv.URL)
	cfg.Auth = salesforce.AuthJWTBearer
	sec := &secrets{creds: creds}
	c, err := salesforce.Open(ctx, cfg, connectors.Deps{Secrets: sec, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if rec, err := c.Read(ctx, q("case", "case_number", "00001027", "Status")); err != nil || rec["Status"] != "New" {
		t.Fatalf("jwt read: %v, %v", rec, err)
	}
	// A key the app does not know: one request for fresh credentials, then unauthorized.
	other, _ := salesforcetest.StartSandbox(t, sfsandbox.Options{})
	otherCreds, _ := other.JWTCredentials()
	bad := &secrets{creds: connectors.Credentials{"client_id": creds["client_id"], "username": creds["username"], "private_key": otherCreds["private_key"]}}
	c2, _ := salesforce.Open(ctx, cfg, connectors.Deps{Secrets: bad, HTTPClient: srv.Client()})
	_, err = c2.Read(ctx, q("case", "case_number", "00001027", "Status"))
	if !errors.Is(err, connectors.ErrUnauthorized) || bad.fresh != 1 {
		t.Fatalf("wrong key: %v (fresh credential requests %d)", err, bad.fresh)
	}
	if strings.Contains(err.Error(), "PRIVATE") {
		t.Fatalf("error mentions the key: %v", err)
	}
}

// fakeOrg is a minimal token endpoint + API for answers the sandbox does
// not give (the session-policy 401, a foreign instance_url).
func fakeOrg(t *testing.T, instance func(self string) string, api http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	var tokens atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/services/oauth2/token" {
			tokens.Add(1)
			json.NewEncoder(w).Encode(map[string]string{"access_token": "00Dfake!tok", "instance_url": instance(srv.URL), "token_type": "Bearer"})
			return
		}
		api(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &tokens
}

func TestSessionNotValidForRESTDoesNotLoop(t *testing.T) {
	var calls atomic.Int32
	srv, tokens := fakeOrg(t, func(self string) string { return self }, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(401)
		w.Write([]byte(`[{"message":"This session is not valid for use with the REST API","errorCode":"INVALID_SESSION_ID"}]`))
	})
	c, _ := salesforce.Open(context.Background(), salesforcetest.Config(srv.URL), connectors.Deps{Secrets: &secrets{creds: connectors.Credentials{"client_id": "a", "client_secret": "b"}}})
	_, err := c.Read(context.Background(), q("case", "case_number", "00001027", "Status"))
	if !errors.Is(err, connectors.ErrUnauthorized) || tokens.Load() != 1 || calls.Load() != 1 {
		t.Fatalf("err %v after %d token and %d API requests; want unauthorized after 1 and 1", err, tokens.Load(), calls.Load())
	}
}

func TestForeignInstanceURLRefused(t *testing.T) {
	var evil atomic.Int32
	trap := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { evil.Add(1) }))
	defer trap.Close()
	srv, _ := fakeOrg(t, func(string) string { return trap.URL }, func(w http.ResponseWriter, r *http.Request) {})
	c, _ := salesforce.Open(context.Background(), salesforcetest.Config(srv.URL), connectors.Deps{Secrets: &secrets{creds: connectors.Credentials{"client_id": "a", "client_secret": "b"}}})
	_, err := c.Read(context.Background(), q("case", "case_number", "00001027", "Status"))
	if !errors.Is(err, connectors.ErrUpstream) || evil.Load() != 0 {
		t.Fatalf("err %v; the foreign host got %d requests", err, evil.Load())
	}
}

func TestUpdate(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, sfsandbox.Options{}, nil)
	set := func(f string, v any) connectors.Assignment {
		return connectors.Assignment{Field: connectortest.Paths(f)[0], Value: v}
	}
	r.sb.ClearRequests()
	rec, err := r.conn.Update(ctx, connectors.Update{Resource: "case", Match: []connectors.Criterion{{Key: "id", Value: "500RO00000AbCdGYAV"}},
		Set: []connectors.Assignment{set("Status", "Closed")}, Fields: connectortest.Paths("Status", "IsClosed")})
	if err != nil || rec["Status"] != "Closed" || rec["IsClosed"] != true {
		t.Fatalf("update: %v, %v", rec, err)
	}
	var patch *struct{ body map[string]any }
	for _, req := range r.sb.Requests() {
		if req.Method == http.MethodPatch {
			var m map[string]any
			json.Unmarshal(req.Body, &m)
			patch = &struct{ body map[string]any }{m}
		}
	}
	if patch == nil || !cmp.Equal(patch.body, map[string]any{"Status": "Closed"}) {
		t.Fatalf("PATCH body %v", patch)
	}
	cases := []struct {
		name string
		u    connectors.Update
		want error
	}{
		{"missing case", connectors.Update{Resource: "case", Match: []connectors.Criterion{{Key: "case_number", Value: "99999999"}}, Set: []connectors.Assignment{set("Status", "Closed")}}, connectors.ErrNotFound},
		{"empty comment", connectors.Update{Resource: "case", Match: []connectors.Criterion{{Key: "case_number", Value: "00001027"}}, Set: []connectors.Assignment{set("Comments", "  ")}}, connectors.ErrInvalid},
		{"picklist value Salesforce refuses", connectors.Update{Resource: "case", Match: []connectors.Criterion{{Key: "case_number", Value: "00001027"}}, Set: []connectors.Assignment{set("Priority", "Whenever")}}, connectors.ErrInvalid},
		{"read-only resource", connectors.Update{Resource: "account", Match: []connectors.Criterion{{Key: "id", Value: "001RO00000K9xyzYAB"}}, Set: []connectors.Assignment{set("Status", "x")}}, connectors.ErrInvalid},
		{"not writable", connectors.Update{Resource: "case", Match: []connectors.Criterion{{Key: "case_number", Value: "00001027"}}, Set: []connectors.Assignment{set("Subject", "x")}}, connectors.ErrInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := r.conn.Update(ctx, c.u); !errors.Is(err, c.want) {
				t.Fatalf("%v, want %v", err, c.want)
			}
		})
	}
}

func TestSessionExpiryRefreshes(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	r := newRig(t, sfsandbox.Options{Now: clock, TokenTTL: 10 * time.Minute}, nil)
	ctx := context.Background()
	if _, err := r.conn.Read(ctx, q("case", "case_number", "00001027", "Status")); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(11 * time.Minute) // the org ended the session before our estimate
	mu.Unlock()
	if _, err := r.conn.Read(ctx, q("case", "case_number", "00001027", "Status")); err != nil {
		t.Fatalf("after the session expired: %v", err)
	}
}

// BenchmarkReadCase: a connector read over loopback against the sandbox,
// with the same query sent by a bare HTTP client as the baseline (the
// connector's own cost is the difference).
func BenchmarkReadCase(b *testing.B) {
	ctx := context.Background()
	sb, srv := salesforcetest.StartSandbox(b, sfsandbox.Options{})
	c, err := salesforce.Open(ctx, salesforcetest.Config(srv.URL), connectors.Deps{Secrets: &secrets{creds: sb.Credentials()}, HTTPClient: srv.Client()})
	if err != nil {
		b.Fatal(err)
	}
	query := q("case", "case_number", "00001027", "Subject", "Status", "Account.Name", "CaseComments[].CommentBody")
	if _, err := c.Read(ctx, query); err != nil {
		b.Fatal(err)
	}
	b.Run("baseline-bare-http", func(b *testing.B) {
		form := strings.NewReader("grant_type=client_credentials&client_id=" + sb.Credentials()["client_id"] + "&client_secret=" + sb.Credentials()["client_secret"])
		resp, err := srv.Client().Post(srv.URL+"/services/oauth2/token", "application/x-www-form-urlencoded", form)
		if err != nil {
			b.Fatal(err)
		}
		var tr struct {
			AccessToken string `json:"access_token"`
		}
		json.NewDecoder(resp.Body).Decode(&tr)
		resp.Body.Close()
		u := srv.URL + "/services/data/v66.0/query?q=" + strings.ReplaceAll("SELECT Subject, Status, Account.Name, (SELECT CommentBody FROM CaseComments ORDER BY CreatedDate ASC LIMIT 200) FROM Case WHERE CaseNumber = '00001027' LIMIT 2", " ", "+")
		for b.Loop() {
			req, _ := http.NewRequest(http.MethodGet, u, nil)
			req.Header.Set("Authorization", "Bearer "+tr.AccessToken)
			resp, err := srv.Client().Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var out map[string]any
			json.NewDecoder(resp.Body).Decode(&out)
			io.Copy(io.Discard, resp.Body) // drain, so the connection is reused as resty does
			resp.Body.Close()
		}
	})
	b.Run("connector", func(b *testing.B) {
		for b.Loop() {
			if _, err := c.Read(ctx, query); err != nil {
				b.Fatal(err)
			}
		}
	})
}
