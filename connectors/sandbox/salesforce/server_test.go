package salesforce

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

type env struct {
	s   *Server
	srv *httptest.Server
	tok string
}

func newEnv(t *testing.T, o Options) *env {
	t.Helper()
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	s.SetBaseURL(srv.URL)
	e := &env{s: s, srv: srv}
	status, body := e.form(t, url.Values{"grant_type": {"client_credentials"}, "client_id": {s.opts.ClientID}, "client_secret": {s.opts.ClientSecret}}, "")
	if status != 200 {
		t.Fatalf("token: %d %s", status, body)
	}
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	json.Unmarshal(body, &tr)
	e.tok = tr.AccessToken
	return e
}

func (e *env) form(t *testing.T, v url.Values, basic string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/services/oauth2/token", strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic != "" {
		req.Header.Set("Authorization", "Basic "+basic)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (e *env) do(t *testing.T, method, path, body string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+e.tok)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func (e *env) query(t *testing.T, q string) (*http.Response, []byte) {
	return e.do(t, http.MethodGet, "/services/data/v66.0/query?q="+url.QueryEscape(q), "")
}

func errCode(t *testing.T, b []byte) string {
	t.Helper()
	var errs []struct {
		ErrorCode string `json:"errorCode"`
		Message   string `json:"message"`
	}
	if err := json.Unmarshal(b, &errs); err != nil || len(errs) != 1 {
		t.Fatalf("not an error array: %s", b)
	}
	return errs[0].ErrorCode
}

type queryResult struct {
	TotalSize      int              `json:"totalSize"`
	Done           bool             `json:"done"`
	NextRecordsURL string           `json:"nextRecordsUrl"`
	Records        []map[string]any `json:"records"`
}

func ids(recs []map[string]any, field string) []string {
	var out []string
	for _, r := range recs {
		s, _ := r[field].(string)
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func signJWT(t *testing.T, key *rsa.PrivateKey, alg string, claims map[string]any) string {
	t.Helper()
	h, _ := json.Marshal(map[string]string{"alg": alg})
	c, _ := json.Marshal(claims)
	in := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	d := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestTokenGrants(t *testing.T) {
	e := newEnv(t, Options{})
	creds, err := e.s.JWTCredentials()
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode([]byte(creds["private_key"]))
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	key := k.(*rsa.PrivateKey)
	other, _ := rsa.GenerateKey(rand.Reader, 1024)
	exp := time.Now().Add(2 * time.Minute).Unix()
	good := map[string]any{"iss": e.s.opts.ClientID, "sub": e.s.opts.Username, "aud": "https://login.salesforce.com", "exp": exp}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for a, b := range good {
			m[a] = b
		}
		m[k] = v
		return m
	}
	jwtGrant := "urn:ietf:params:oauth:grant-type:jwt-bearer"
	cc := e.s.Credentials()
	cases := []struct {
		name   string
		form   url.Values
		basic  string
		status int
		code   string
	}{
		{"client credentials in the form", url.Values{"grant_type": {"client_credentials"}, "client_id": {cc["client_id"]}, "client_secret": {cc["client_secret"]}}, "", 200, ""},
		{"client credentials by basic auth", url.Values{"grant_type": {"client_credentials"}}, base64.StdEncoding.EncodeToString([]byte(cc["client_id"] + ":" + cc["client_secret"])), 200, ""},
		{"wrong secret", url.Values{"grant_type": {"client_credentials"}, "client_id": {cc["client_id"]}, "client_secret": {"nope"}}, "", 400, "invalid_client"},
		{"password grant is retired", url.Values{"grant_type": {"password"}, "client_id": {cc["client_id"]}, "username": {"u"}, "password": {"p"}}, "", 400, "unsupported_grant_type"},
		{"no grant type", url.Values{}, "", 400, "invalid_request"},
		{"jwt bearer", url.Values{"grant_type": {jwtGrant}, "assertion": {signJWT(t, key, "RS256", good)}}, "", 200, ""},
		{"jwt with the sandbox as audience", url.Values{"grant_type": {jwtGrant}, "assertion": {signJWT(t, key, "RS256", with("aud", e.srv.URL))}}, "", 200, ""},
		{"jwt signed by another key", url.Values{"grant_type": {jwtGrant}, "assertion": {signJWT(t, other, "RS256", good)}}, "", 400, "invalid_grant"},
		{"jwt with another alg", url.Values{"grant_type": {jwtGrant}, "assertion": {signJWT(t, key, "RS512", good)}}, "", 400, "invalid_grant"},
		{"jwt for another user", url.Values{"grant_type": {jwtGrant}, "assertion": {signJWT(t, key, "RS256", with("sub", "someone@example.com"))}}, "", 400, "invalid_grant"},
		{"jwt for another audience", url.Values{"grant_type": {jwtGrant}, "assertion": {signJWT(t, key, "RS256", with("aud", "https://evil.example.com"))}}, "", 400, "invalid_grant"},
		{"jwt expired", url.Values{"grant_type": {jwtGrant}, "assertion": {signJWT(t, key, "RS256", with("exp", time.Now().Add(-10*time.Minute).Unix()))}}, "", 400, "invalid_grant"},
		{"jwt garbage", url.Values{"grant_type": {jwtGrant}, "assertion": {"a.b.c"}}, "", 400, "invalid_grant"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := e.form(t, c.form, c.basic)
			var m map[string]any
			json.Unmarshal(body, &m)
			if status != c.status || (c.code != "" && m["error"] != c.code) {
				t.Fatalf("%d %s; want %d %s", status, body, c.status, c.code)
			}
			if status == 200 && (m["instance_url"] != e.srv.URL || m["token_type"] != "Bearer" || m["access_token"] == "") {
				t.Fatalf("token response %s", body)
			}
		})
	}
}

func TestVersionsAndRetirement(t *testing.T) {
	e := newEnv(t, Options{})
	resp, body := e.do(t, http.MethodGet, "/services/data/", "")
	var vs []map[string]string
	if err := json.Unmarshal(body, &vs); err != nil || resp.Header.Get("Sforce-Limit-Info") != "" {
		t.Fatalf("versions: %s (limit header %q)", body, resp.Header.Get("Sforce-Limit-Info"))
	}
	labels := map[string]string{}
	for _, v := range vs {
		labels[v["version"]] = v["label"]
	}
	for v, want := range map[string]string{"60.0": "Spring '24", "62.0": "Winter '25", "66.0": "Spring '26", "68.0": "Winter '27", "31.0": "Summer '14"} {
		if labels[v] != want {
			t.Errorf("label of %s = %q, want %q", v, labels[v], want)
		}
	}
	for path, want := range map[string]int{"/services/data/v30.0/limits": 410, "/services/data/v69.0/limits": 404, "/services/data/v31.0/limits": 200, "/services/data/vX/limits": 404} {
		if resp, _ := e.do(t, http.MethodGet, path, ""); resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", path, resp.StatusCode, want)
		}
	}
}

func TestQueries(t *testing.T) {
	e := newEnv(t, Options{})
	cases := []struct {
		name string
		q    string
		want []string // sorted Ids, or
		code string   // an error code
	}{
		{"contact by email, any case", "SELECT Id FROM Contact WHERE Email = 'MAYA.OKAFOR@example.com'", []string{"003RO00000Y1abcYAB"}, ""},
		{"quote in an email", `SELECT Id FROM Contact WHERE Email = 'siobhan.o\'brien@example.net'`, []string{"003RO00000Y1sioYAB"}, ""},
		{"backslash and quote in a key", `SELECT Id FROM Account WHERE AccountNumber = 'OR\'\\7-2026'`, []string{"001RO00000M7orlYAB"}, ""},
		{"the classic injection stays a literal", `SELECT Id FROM Contact WHERE Email = 'x\' OR Name != \''`, nil, ""},
		{"the classic injection unescaped reads everything", `SELECT Id FROM Contact WHERE Email = 'x' OR Name != ''`, []string{"003RO00000Y1abcYAB", "003RO00000Y1abdYAB", "003RO00000Y1pr1YAB", "003RO00000Y1pr2YAB", "003RO00000Y1sioYAB", "003RO00000Y1zoeYAB"}, ""},
		{"case by contact or supplied email", "SELECT Id FROM Case WHERE ContactEmail = 'maya.okafor@example.com' OR SuppliedEmail = 'maya.okafor@example.com'", []string{"500RO00000AbCdEYAV", "500RO00000AbCdFYAV", "500RO00000AbCdKYAV", "500RO00000AbCdLYAV"}, ""},
		{"15-char id", "SELECT Id FROM Case WHERE Id = '500RO00000AbCdE'", []string{"500RO00000AbCdEYAV"}, ""},
		{"18-char id any case", "SELECT Id FROM Case WHERE Id = '500ro00000abcdeyav'", []string{"500RO00000AbCdEYAV"}, ""},
		{"in", "SELECT Id FROM Case WHERE CaseNumber IN ('00001027', '00001030')", []string{"500RO00000AbCdEYAV", "500RO00000AbCdHYAV"}, ""},
		{"like", "SELECT Id FROM Contact WHERE LastName LIKE 'o%'", []string{"003RO00000Y1abcYAB", "003RO00000Y1sioYAB"}, ""},
		{"boolean and date", "SELECT Id FROM Order WHERE EffectiveDate >= 2026-11-19 AND Status = 'Activated'", []string{"801RO00000QwErTYAV"}, ""},
		{"null reference", "SELECT Id FROM Case WHERE AccountId = null AND ContactId != null", []string{"500RO00000AbCdGYAV"}, ""},
		{"relationship filter", "SELECT Id FROM Contact WHERE Account.Name = 'Northwind Outfitters'", []string{"003RO00000Y1abcYAB", "003RO00000Y1pr1YAB"}, ""},
		{"unknown field", "SELECT Id, Emai FROM Contact", nil, "INVALID_FIELD"},
		{"unknown relationship", "SELECT Acount.Name FROM Contact", nil, "INVALID_FIELD"},
		{"unknown object", "SELECT Id FROM Lead", nil, "INVALID_TYPE"},
		{"unknown child relationship", "SELECT Id, (SELECT Id FROM Comments) FROM Case", nil, "INVALID_TYPE"},
		{"long text cannot be filtered", "SELECT Id FROM Case WHERE Description = 'x'", nil, "INVALID_FIELD"},
		{"write-only field cannot be selected", "SELECT Comments FROM Case", nil, "INVALID_FIELD"},
		{"bad id literal", "SELECT Id FROM Case WHERE Id = 'x'' OR Id != ''", nil, "MALFORMED_QUERY"},
		{"invalid id value", "SELECT Id FROM Case WHERE Id = 'abc'", nil, "INVALID_QUERY_FILTER_OPERATOR"},
		{"quoted boolean", "SELECT Id FROM Case WHERE IsClosed = 'true'", nil, "INVALID_QUERY_FILTER_OPERATOR"},
		{"duplicate field", "SELECT Id, id FROM Case", nil, "MALFORMED_QUERY"},
		{"syntax", "SELECT Id FROM Case WHERE", nil, "MALFORMED_QUERY"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := e.query(t, c.q)
			if c.code != "" {
				if resp.StatusCode != 400 || errCode(t, body) != c.code {
					t.Fatalf("%d %s; want 400 %s", resp.StatusCode, body, c.code)
				}
				return
			}
			var qr queryResult
			if err := json.Unmarshal(body, &qr); err != nil || resp.StatusCode != 200 {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			if got := ids(qr.Records, "Id"); strings.Join(got, ",") != strings.Join(c.want, ",") || qr.TotalSize != len(c.want) {
				t.Fatalf("ids %v (total %d); want %v", got, qr.TotalSize, c.want)
			}
		})
	}
}

func TestQueryShapes(t *testing.T) {
	e := newEnv(t, Options{})
	_, body := e.query(t, "SELECT Id, CaseNumber, Account.Name, Contact.Email, IsClosed, (SELECT CommentBody, IsPublished FROM CaseComments ORDER BY CreatedDate) FROM Case WHERE CaseNumber IN ('00001027','00001029') ORDER BY CaseNumber")
	var qr queryResult
	if err := json.Unmarshal(body, &qr); err != nil || len(qr.Records) != 2 {
		t.Fatalf("%s", body)
	}
	first, second := qr.Records[0], qr.Records[1]
	attrs, _ := first["attributes"].(map[string]any)
	if attrs["type"] != "Case" || attrs["url"] != "/services/data/v66.0/sobjects/Case/500RO00000AbCdEYAV" {
		t.Errorf("attributes %v", attrs)
	}
	acct, _ := first["Account"].(map[string]any)
	if acct["Name"] != "Northwind Outfitters" || acct["attributes"] == nil {
		t.Errorf("parent %v", first["Account"])
	}
	kids, _ := first["CaseComments"].(map[string]any)
	recs, _ := kids["records"].([]any)
	if kids["totalSize"] != 2.0 || kids["done"] != true || len(recs) != 2 || recs[0].(map[string]any)["CommentBody"] != "Photos received; replacement approved." {
		t.Errorf("children %v", first["CaseComments"])
	}
	if v, ok := second["Account"]; !ok || v != nil {
		t.Errorf("a null parent must be present and null: %v", second)
	}
	if v, ok := second["CaseComments"]; !ok || v != nil {
		t.Errorf("no children must be present and null: %v", second)
	}
	if first["IsClosed"] != false {
		t.Errorf("IsClosed %v", first["IsClosed"])
	}
	// Keys in SELECT order, attributes first.
	if !strings.HasPrefix(string(body), `{"totalSize":2,"done":true,"records":[{"attributes":{"type":"Case"`) ||
		strings.Index(string(body), `"CaseNumber"`) > strings.Index(string(body), `"Account"`) {
		t.Errorf("key order: %.200s", body)
	}
}

func TestQueryPaging(t *testing.T) {
	e := newEnv(t, Options{PageSize: 3})
	_, body := e.query(t, "SELECT Id FROM Case ORDER BY CaseNumber")
	var all []string
	pages := 0
	for {
		var qr queryResult
		if err := json.Unmarshal(body, &qr); err != nil {
			t.Fatalf("%s", body)
		}
		pages++
		if qr.TotalSize != 8 {
			t.Fatalf("totalSize %d", qr.TotalSize)
		}
		all = append(all, ids(qr.Records, "Id")...)
		if qr.Done {
			if qr.NextRecordsURL != "" {
				t.Fatal("done with a nextRecordsUrl")
			}
			break
		}
		if !strings.HasPrefix(qr.NextRecordsURL, "/services/data/v66.0/query/01g") {
			t.Fatalf("nextRecordsUrl %q", qr.NextRecordsURL)
		}
		_, body = e.do(t, http.MethodGet, qr.NextRecordsURL, "")
	}
	if pages != 3 || len(all) != 8 {
		t.Fatalf("%d pages, %d records", pages, len(all))
	}
	if resp, body := e.do(t, http.MethodGet, "/services/data/v66.0/query/01gRO0000000000000AAA-3", ""); resp.StatusCode != 400 || errCode(t, body) != "INVALID_QUERY_LOCATOR" {
		t.Fatalf("stale locator: %d %s", resp.StatusCode, body)
	}
}

func TestSObjects(t *testing.T) {
	e := newEnv(t, Options{})
	base := "/services/data/v66.0/sobjects/"
	resp, body := e.do(t, http.MethodGet, base+"Contact/003RO00000Y1abcYAB?fields=Email,Name", "")
	var rec map[string]any
	json.Unmarshal(body, &rec)
	if resp.StatusCode != 200 || rec["Name"] != "Maya Okafor" || len(rec) != 3 {
		t.Fatalf("GET fields: %d %s", resp.StatusCode, body)
	}
	resp, body = e.do(t, http.MethodGet, base+"Contact/003RO00000Y1abcYAB", "")
	json.Unmarshal(body, &rec)
	if ma, _ := rec["MailingAddress"].(map[string]any); resp.StatusCode != 200 || ma["city"] != "Portland" || rec["IsDeleted"] != false {
		t.Fatalf("GET full: %s", body)
	}
	errCases := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"malformed id", "GET", base + "Case/500xyz", "", 400, "MALFORMED_ID"},
		{"id of another type", "GET", base + "Case/003RO00000Y1abcYAB", "", 400, "MALFORMED_ID"},
		{"unknown record", "GET", base + "Case/500RO00000ZZZZZYAB", "", 404, "NOT_FOUND"},
		{"unknown type", "GET", base + "Lead/00QRO00000ZZZZZ", "", 404, "NOT_FOUND"},
		{"unknown field in fields", "GET", base + "Case/500RO00000AbCdEYAV?fields=Foo", "", 400, "INVALID_FIELD"},
		{"patch unknown field", "PATCH", base + "Case/500RO00000AbCdEYAV", `{"Foo":"x"}`, 400, "INVALID_FIELD"},
		{"patch read-only field", "PATCH", base + "Case/500RO00000AbCdEYAV", `{"CaseNumber":"1"}`, 400, "INVALID_FIELD_FOR_INSERT_UPDATE"},
		{"patch bad picklist value", "PATCH", base + "Case/500RO00000AbCdEYAV", `{"Priority":"Urgent!"}`, 400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"},
		{"patch bad json", "PATCH", base + "Case/500RO00000AbCdEYAV", `{"Status":`, 400, "JSON_PARSER_ERROR"},
		{"create without required field", "POST", base + "Contact", `{"FirstName":"A"}`, 400, "REQUIRED_FIELD_MISSING"},
		{"delete not served", "DELETE", base + "Case/500RO00000AbCdEYAV", "", 405, "METHOD_NOT_ALLOWED"},
	}
	for _, c := range errCases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := e.do(t, c.method, c.path, c.body)
			if resp.StatusCode != c.status || errCode(t, body) != c.code {
				t.Fatalf("%d %s; want %d %s", resp.StatusCode, body, c.status, c.code)
			}
		})
	}
	resp, body = e.do(t, http.MethodPatch, base+"Case/500RO00000AbCdEYAV", `{"Status":"Closed","Priority":"High","Comments":"Refund issued."}`)
	if resp.StatusCode != 204 || len(body) != 0 {
		t.Fatalf("PATCH: %d %s", resp.StatusCode, body)
	}
	_, body = e.query(t, "SELECT Status, IsClosed, ClosedDate, (SELECT CommentBody, IsPublished FROM CaseComments ORDER BY CreatedDate DESC LIMIT 1) FROM Case WHERE Id = '500RO00000AbCdEYAV'")
	var qr queryResult
	json.Unmarshal(body, &qr)
	r := qr.Records[0]
	kid := r["CaseComments"].(map[string]any)["records"].([]any)[0].(map[string]any)
	if r["Status"] != "Closed" || r["IsClosed"] != true || r["ClosedDate"] == nil || kid["CommentBody"] != "Refund issued." || kid["IsPublished"] != false {
		t.Fatalf("after PATCH: %s", body)
	}
	resp, body = e.do(t, http.MethodPost, base+"Case", `{"Subject":"New one","SuppliedEmail":"new.person@example.com","Origin":"Web"}`)
	var cr struct {
		ID      string `json:"id"`
		Success bool   `json:"success"`
	}
	json.Unmarshal(body, &cr)
	if resp.StatusCode != 201 || !cr.Success || !strings.HasPrefix(cr.ID, "500") {
		t.Fatalf("POST: %d %s", resp.StatusCode, body)
	}
	got, ok := e.s.Lookup("case", cr.ID)
	if !ok || got["CaseNumber"] != "00001035" || got["Status"] != "New" {
		t.Fatalf("Lookup after create: %v", got)
	}
}

func TestLimitsAndSessions(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e := newEnv(t, Options{Now: clock, DailyLimit: 5, TokenTTL: time.Hour})
	resp, _ := e.do(t, http.MethodGet, "/services/data/v66.0/limits", "")
	if got := resp.Header.Get("Sforce-Limit-Info"); got != "api-usage=1/5; api-bursts=1/750" {
		t.Fatalf("Sforce-Limit-Info %q", got)
	}
	e.s.SetUsage(5)
	resp, body := e.do(t, http.MethodGet, "/services/data/v66.0/limits", "")
	if resp.StatusCode != 403 || errCode(t, body) != "REQUEST_LIMIT_EXCEEDED" || resp.Header.Get("Sforce-Limit-Info") != "api-usage=5/5; api-bursts=2/750" {
		t.Fatalf("over the allowance: %d %s %q", resp.StatusCode, body, resp.Header.Get("Sforce-Limit-Info"))
	}
	e.s.SetUsage(0)
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	resp, body = e.do(t, http.MethodGet, "/services/data/v66.0/limits", "")
	if resp.StatusCode != 401 || errCode(t, body) != "INVALID_SESSION_ID" || resp.Header.Get("WWW-Authenticate") != "Token" {
		t.Fatalf("expired session: %d %s", resp.StatusCode, body)
	}
}

func TestFaults(t *testing.T) {
	cases := []struct {
		fault  string
		status int
		code   string
	}{
		{"server_error", 500, "UNKNOWN_EXCEPTION"},
		{"rate_limit", 403, "REQUEST_LIMIT_EXCEEDED"},
		{"unauthorized", 401, "INVALID_SESSION_ID"},
	}
	for _, c := range cases {
		t.Run(c.fault, func(t *testing.T) {
			e := newEnv(t, Options{})
			resp, err := http.Post(e.srv.URL+"/_sandbox/faults", "application/json", strings.NewReader(`{"inject":"`+c.fault+`"}`))
			if err != nil || resp.StatusCode != 204 {
				t.Fatalf("control: %v %v", resp, err)
			}
			r, body := e.do(t, http.MethodGet, "/services/data/v66.0/limits", "")
			if r.StatusCode != c.status || errCode(t, body) != c.code {
				t.Fatalf("%d %s", r.StatusCode, body)
			}
			r, _ = e.do(t, http.MethodGet, "/services/data/v66.0/limits", "")
			want := 200
			if c.fault == "unauthorized" {
				want = 401 // the session was revoked, not just one answer
			}
			if r.StatusCode != want {
				t.Fatalf("after the fault: %d, want %d", r.StatusCode, want)
			}
		})
	}
	t.Run("malformed and oversized", func(t *testing.T) {
		e := newEnv(t, Options{})
		e.s.Faults().Inject("malformed", 1)
		_, body := e.do(t, http.MethodGet, "/services/data/v66.0/limits", "")
		if json.Valid(body) {
			t.Fatal("malformed body is valid JSON")
		}
		e.s.Faults().Inject("oversized", 1)
		_, body = e.do(t, http.MethodGet, "/services/data/v66.0/limits", "")
		if len(body) < 16<<20 {
			t.Fatalf("oversized body is %d bytes", len(body))
		}
	})
	t.Run("hang ends with the client", func(t *testing.T) {
		e := newEnv(t, Options{})
		e.s.Faults().Inject("hang", 1)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.srv.URL+"/services/data/v66.0/limits", nil)
		req.Header.Set("Authorization", "Bearer "+e.tok)
		if _, err := http.DefaultClient.Do(req); err == nil {
			t.Fatal("hang answered")
		}
	})
}

func TestRecorder(t *testing.T) {
	e := newEnv(t, Options{})
	e.query(t, "SELECT Id FROM Contact WHERE Email = 'maya.okafor@example.com'")
	reqs := e.s.Requests()
	if len(reqs) != 1 || reqs[0].Query.Get("q") != "SELECT Id FROM Contact WHERE Email = 'maya.okafor@example.com'" {
		t.Fatalf("recorded %+v", reqs)
	}
}
