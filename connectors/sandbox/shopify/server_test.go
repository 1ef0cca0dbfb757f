package shopify

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxgate/cxgate/connectors/sandbox"
	"github.com/google/go-cmp/cmp"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	t     *testing.T
	srv   *Server
	hs    *httptest.Server
	clock *clock
}

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	c := &clock{t: time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)}
	if opts.Now == nil {
		opts.Now = c.Now
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	srv.SetBaseURL(hs.URL)
	return &env{t: t, srv: srv, hs: hs, clock: c}
}

// token gets a client-credentials token with a form body.
func (e *env) token() string {
	e.t.Helper()
	cr := e.srv.Credentials()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {cr.Get("client_id")}, "client_secret": {cr.Get("client_secret")}}
	resp, err := http.PostForm(e.hs.URL+"/admin/oauth/access_token", form)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != 200 {
		e.t.Fatalf("token: status %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		e.t.Fatal(err)
	}
	return out.AccessToken
}

type gqlResp struct {
	status  int
	header  http.Header
	Data    map[string]any         `json:"data"`
	Errors  []gqlError             `json:"errors"`
	Ext     struct{ Cost costExt } `json:"extensions"`
	rawBody string
}

func (e *env) gql(tok, version, query string, vars map[string]any) gqlResp {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest("POST", e.hs.URL+"/admin/api/"+version+"/graphql.json", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if tok != "" {
		req.Header.Set("X-Shopify-Access-Token", tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := gqlResp{status: resp.StatusCode, header: resp.Header, rawBody: string(raw)}
	if resp.StatusCode == 200 {
		if err := json.Unmarshal(raw, &out); err != nil {
			e.t.Fatalf("decode %q: %v", raw, err)
		}
	}
	return out
}

func TestTokenEndpoint(t *testing.T) {
	e := newEnv(t, Options{})
	cr := e.srv.Credentials()
	cases := []struct {
		name       string
		ct, body   string
		wantStatus int
		wantErr    string
	}{
		{"form", "application/x-www-form-urlencoded",
			url.Values{"grant_type": {"client_credentials"}, "client_id": {cr.Get("client_id")}, "client_secret": {cr.Get("client_secret")}}.Encode(), 200, ""},
		{"json", "application/json",
			`{"grant_type":"client_credentials","client_id":"` + cr.Get("client_id") + `","client_secret":"` + cr.Get("client_secret") + `"}`, 200, ""},
		{"wrong secret", "application/json",
			`{"grant_type":"client_credentials","client_id":"` + cr.Get("client_id") + `","client_secret":"shpss_nope"}`, 400, "invalid_client"},
		{"password grant", "application/x-www-form-urlencoded", "grant_type=password&username=a&password=b", 400, "unsupported_grant_type"},
		{"missing secret", "application/x-www-form-urlencoded", "grant_type=client_credentials&client_id=x", 400, "invalid_request"},
		{"bad content type", "text/plain", "grant_type=client_credentials", 415, "invalid_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Post(e.hs.URL+"/admin/oauth/access_token", tc.ct, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var out map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&out)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d (%v)", resp.StatusCode, tc.wantStatus, out)
			}
			if tc.wantErr != "" {
				if out["error"] != tc.wantErr {
					t.Fatalf("error %v, want %s", out["error"], tc.wantErr)
				}
				return
			}
			tok, _ := out["access_token"].(string)
			if !strings.HasPrefix(tok, "shpat_") || out["expires_in"] != float64(86399) || out["scope"] != "read_orders,write_orders,read_customers,write_customers" {
				t.Fatalf("token response %v", out)
			}
		})
	}
	// Token requests carry the client secret: never recorded.
	if n := len(e.srv.Requests()); n != 0 {
		t.Fatalf("recorded %d token requests", n)
	}
}

func TestAppNotInstalled(t *testing.T) {
	e := newEnv(t, Options{AppNotInstalled: true})
	cr := e.srv.Credentials()
	resp, err := http.PostForm(e.hs.URL+"/admin/oauth/access_token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {cr.Get("client_id")}, "client_secret": {cr.Get("client_secret")}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != 400 || out["error"] != "app_not_installed" {
		t.Fatalf("got %d %v", resp.StatusCode, out)
	}
}

const orderQuery = `query($id: ID!) { order(id: $id) { id name email phone note tags displayFulfillmentStatus
  totalPriceSet { shopMoney { amount currencyCode } }
  customer { id firstName email defaultEmailAddress { emailAddress } defaultPhoneNumber { phoneNumber } }
  lineItems(first: 5) { nodes { title sku quantity originalUnitPriceSet { shopMoney { amount } } } }
  fulfillments(first: 5) { status trackingInfo(first: 1) { company number url } } } }`

func TestAuthAndTokens(t *testing.T) {
	e := newEnv(t, Options{TokenTTL: time.Hour})
	vars := map[string]any{"id": "gid://shopify/Order/5501234560001"}
	cases := []struct {
		name string
		tok  func() string
		want int
	}{
		{"no token", func() string { return "" }, 401},
		{"unknown token", func() string { return "shpat_00000000000000000000000000000000" }, 401},
		{"client credentials token", e.token, 200},
		{"static token", func() string { return e.srv.StaticCredentials().Get("access_token") }, 200},
		{"expired token", func() string { tok := e.token(); e.clock.Add(time.Hour); return tok }, 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.gql(tc.tok(), "2026-10", orderQuery, vars)
			if r.status != tc.want {
				t.Fatalf("status %d, want %d: %s", r.status, tc.want, r.rawBody)
			}
			if tc.want == 401 && r.rawBody != `{"errors":"`+invalidTokenMsg+`"}` {
				t.Fatalf("401 body %s", r.rawBody)
			}
		})
	}
}

func TestVersionHeader(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token()
	cases := []struct{ asked, served string }{
		{"2026-10", "2026-10"},
		{"2026-07", "2026-07"},
		{"2024-01", "2025-10"}, // unsupported: falls forward to the oldest supported
		{"2025-01", "2025-10"},
		{"unstable", "unstable"},
	}
	for _, tc := range cases {
		t.Run(tc.asked, func(t *testing.T) {
			r := e.gql(tok, tc.asked, `{ order(id: "gid://shopify/Order/1") { id } }`, nil)
			if got := r.header.Get("X-Shopify-API-Version"); got != tc.served {
				t.Fatalf("served %q, want %q", got, tc.served)
			}
		})
	}
	r := e.gql(tok, "latest", `{ order(id: "gid://shopify/Order/1") { id } }`, nil)
	if r.status != 404 {
		t.Fatalf("malformed version: status %d", r.status)
	}
}

func TestOrderByID(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token()
	r := e.gql(tok, "2026-10", orderQuery, map[string]any{"id": "gid://shopify/Order/5501234560001"})
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	want := map[string]any{"order": map[string]any{
		"id": "gid://shopify/Order/5501234560001", "name": "#1001", "email": "maya.okafor@example.com", "phone": nil,
		"note":                     "Please leave it with the concierge. If nobody answers call my cell 503-555-0142.",
		"tags":                     []any{"vip"},
		"displayFulfillmentStatus": "FULFILLED",
		"totalPriceSet":            map[string]any{"shopMoney": map[string]any{"amount": "39.06", "currencyCode": "USD"}},
		"customer": map[string]any{"id": "gid://shopify/Customer/7301234560001", "firstName": "Maya", "email": "maya.okafor@example.com",
			"defaultEmailAddress": map[string]any{"emailAddress": "maya.okafor@example.com"},
			"defaultPhoneNumber":  map[string]any{"phoneNumber": "+15035550142"}},
		"lineItems": map[string]any{"nodes": []any{map[string]any{"title": "Stoneware Mug", "sku": "MUG-STN-01", "quantity": float64(2),
			"originalUnitPriceSet": map[string]any{"shopMoney": map[string]any{"amount": "18.00"}}}}},
		"fulfillments": []any{map[string]any{"status": "SUCCESS", "trackingInfo": []any{map[string]any{
			"company": "UPS", "number": "1Z999AA10123456784", "url": "https://www.ups.com/track?tracknum=1Z999AA10123456784"}}}},
	}}
	if d := cmp.Diff(want, r.Data); d != "" {
		t.Fatalf("order (-want +got):\n%s", d)
	}
	// The response follows the selection order, as GraphQL requires.
	if !strings.HasPrefix(r.rawBody, `{"data":{"order":{"id":"gid://shopify/Order/5501234560001","name":"#1001","email"`) {
		t.Fatalf("field order: %.120s", r.rawBody)
	}
	c := r.Ext.Cost
	if c.RequestedQueryCost <= 0 || c.ActualQueryCost == nil || *c.ActualQueryCost > c.RequestedQueryCost ||
		c.ThrottleStatus.MaximumAvailable != 2000 || c.ThrottleStatus.RestoreRate != 100 {
		t.Fatalf("cost %+v", c)
	}

	unknown := e.gql(tok, "2026-10", `query($id: ID!) { order(id: $id) { id } }`, map[string]any{"id": "gid://shopify/Order/42"})
	if unknown.status != 200 || len(unknown.Errors) != 0 || unknown.rawBody[:26] != `{"data":{"order":null},"ex` {
		t.Fatalf("unknown id: %s", unknown.rawBody)
	}
}

func TestValidation(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token()
	cases := []struct {
		name, query string
		vars        map[string]any
		code        string
	}{
		{"unknown field", `{ order(id: "gid://shopify/Order/1") { id foo } }`, nil, "undefinedField"},
		{"unknown argument", `{ order(id: "gid://shopify/Order/1", bar: 1) { id } }`, nil, "argumentNotAccepted"},
		{"missing argument", `{ order { id } }`, nil, "missingRequiredArguments"},
		{"syntax", `{ order(id: "x") { id }`, nil, "parseError"},
		{"object needs a selection", `{ order(id: "gid://shopify/Order/1") }`, nil, "selectionMismatch"},
		{"bad variable", `query($n: Int!) { orders(first: $n) { nodes { id } } }`, map[string]any{"n": "ten"}, "INVALID_VARIABLE"},
		{"connection without first", `{ orders { nodes { id } } }`, nil, "BAD_REQUEST"},
		{"page too large", `{ orders(first: 251) { nodes { id } } }`, nil, "BAD_REQUEST"},
		{"not a gid", `{ order(id: "5501234560001") { id } }`, nil, "argumentLiteralsIncompatible"},
		{"too expensive", `{ orders(first: 250) { nodes { lineItems(first: 250) { nodes { title } } } } }`, nil, "MAX_COST_EXCEEDED"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.gql(tok, "2026-10", tc.query, tc.vars)
			if r.status != 200 || len(r.Errors) == 0 {
				t.Fatalf("want errors, got %d %s", r.status, r.rawBody)
			}
			if got := r.Errors[0].Extensions["code"]; got != tc.code {
				t.Fatalf("code %v, want %s (%s)", got, tc.code, r.Errors[0].Message)
			}
		})
	}
}

func TestSearchOrders(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token()
	names := func(q string) []string {
		t.Helper()
		r := e.gql(tok, "2026-10", `query($q: String!) { orders(first: 50, query: $q, sortKey: ORDER_NUMBER) { nodes { name } } }`, map[string]any{"q": q})
		if len(r.Errors) > 0 {
			t.Fatalf("%q: %v", q, r.Errors)
		}
		var out []string
		for _, n := range r.Data["orders"].(map[string]any)["nodes"].([]any) {
			out = append(out, n.(map[string]any)["name"].(string))
		}
		return out
	}
	all := []string{"#1001", "#1002", "#1003", "#1004", "#1005", "#1006", "#1007", "#1008", "#1009", "#1010"}
	cases := []struct {
		q    string
		want []string
	}{
		{`name:1001`, []string{"#1001"}},
		{`name:"#1003"`, []string{"#1003"}},
		{`email:"maya.okafor@example.com"`, []string{"#1001", "#1002", "#1009"}},
		{`email:MAYA@example.com`, []string{"#1007"}},
		{`email:maya*`, []string{"#1001", "#1002", "#1007", "#1009"}},
		{`email:"maya*"`, nil}, // quoted: the star is literal
		{`email:maya@example.com OR status:open`, []string{"#1001", "#1002", "#1003", "#1004", "#1005", "#1007", "#1009"}},
		{`-email:maya.okafor@example.com`, []string{"#1003", "#1004", "#1005", "#1006", "#1007", "#1008", "#1010"}},
		{`NOT status:open`, []string{"#1006", "#1008", "#1010"}},
		{`status:closed AND tag:uk`, []string{"#1010"}},
		{`(name:1001 OR name:1002) email:maya.okafor@example.com`, []string{"#1001", "#1002"}},
		{`name:*`, all},
		{`nonsense_field:1`, all}, // unknown filters are ignored
		{`name:1001)`, []string{"#1001"}},
		{`concierge`, []string{"#1001"}},
		{`fulfillment_status:unfulfilled financial_status:paid`, []string{"#1002"}},
		{`tag_not:vip name:100*`, []string{"#1002", "#1003", "#1004", "#1005", "#1006", "#1007", "#1008", "#1009"}},
	}
	for _, tc := range cases {
		t.Run(tc.q, func(t *testing.T) {
			if d := cmp.Diff(tc.want, names(tc.q)); d != "" {
				t.Fatalf("(-want +got):\n%s", d)
			}
		})
	}
	e.srv.IgnoreSearchFields("email")
	if got := names(`email:"maya@example.com"`); len(got) != len(all) {
		t.Fatalf("ignored field should match everything, got %v", got)
	}
}

func TestPagination(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token()
	q := `query($after: String) { orders(first: 4, after: $after, sortKey: ORDER_NUMBER, reverse: true) {
	  edges { cursor node { name } } pageInfo { hasNextPage hasPreviousPage endCursor } } }`
	var got []string
	var after any
	pages := 0
	for {
		r := e.gql(tok, "2026-10", q, map[string]any{"after": after})
		if len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
		conn := r.Data["orders"].(map[string]any)
		for _, ed := range conn["edges"].([]any) {
			got = append(got, ed.(map[string]any)["node"].(map[string]any)["name"].(string))
		}
		pages++
		pi := conn["pageInfo"].(map[string]any)
		if pages > 1 && pi["hasPreviousPage"] != true {
			t.Fatalf("page %d: hasPreviousPage false", pages)
		}
		if pi["hasNextPage"] != true {
			break
		}
		after = pi["endCursor"]
	}
	want := []string{"#1010", "#1009", "#1008", "#1007", "#1006", "#1005", "#1004", "#1003", "#1002", "#1001"}
	if pages != 3 || !cmp.Equal(want, got) {
		t.Fatalf("pages %d, got %v", pages, got)
	}
}

func TestCustomers(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token()
	r := e.gql(tok, "2026-10", `query($q: String!) { customers(first: 5, query: $q) { nodes { id firstName lastName email phone state
	  numberOfOrders amountSpent { amount currencyCode } tags note defaultAddress { address1 city zip country }
	  defaultEmailAddress { emailAddress } defaultPhoneNumber { phoneNumber } } } }`, map[string]any{"q": `email:"zoe.mueller@example.net"`})
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	nodes := r.Data["customers"].(map[string]any)["nodes"].([]any)
	want := []any{map[string]any{
		"id": "gid://shopify/Customer/7301234560004", "firstName": "Zoë", "lastName": "Müller-Ångström",
		"email": "zoe.mueller@example.net", "phone": nil, "state": "ENABLED", "numberOfOrders": "1",
		"amountSpent": map[string]any{"amount": "95.20", "currencyCode": "USD"}, "tags": []any{},
		"note":                "Spricht Deutsch und Schwedisch — 日本語も少し。",
		"defaultAddress":      map[string]any{"address1": "Schönhauser Allee 7", "city": "Berlin", "zip": "10119", "country": "Germany"},
		"defaultEmailAddress": map[string]any{"emailAddress": "zoe.mueller@example.net"}, "defaultPhoneNumber": nil,
	}}
	if d := cmp.Diff(want, nodes); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
	r = e.gql(tok, "2026-10", `{ customer(id: "gid://shopify/Customer/999") { id } }`, nil)
	if r.Data["customer"] != nil || len(r.Errors) > 0 {
		t.Fatalf("unknown customer: %s", r.rawBody)
	}
}

const updateMutation = `mutation($input: OrderInput!) { orderUpdate(input: $input) {
  order { id note shippingAddress { name address1 address2 city province provinceCode zip country countryCodeV2 phone } }
  userErrors { field message } } }`

func TestOrderUpdate(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token()
	id := "gid://shopify/Order/5501234560002"
	r := e.gql(tok, "2026-10", updateMutation, map[string]any{"input": map[string]any{"id": id, "note": "Leave at door"}})
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	p := r.Data["orderUpdate"].(map[string]any)
	if ue := p["userErrors"].([]any); len(ue) != 0 {
		t.Fatalf("userErrors %v", ue)
	}
	if got := p["order"].(map[string]any)["note"]; got != "Leave at door" {
		t.Fatalf("note %v", got)
	}
	// shippingAddress replaces the whole address.
	r = e.gql(tok, "2026-10", updateMutation, map[string]any{"input": map[string]any{"id": id,
		"shippingAddress": map[string]any{"address1": "1 Main St", "city": "Salem", "provinceCode": "or", "zip": "97301", "countryCode": "US"}}})
	addr := r.Data["orderUpdate"].(map[string]any)["order"].(map[string]any)["shippingAddress"]
	want := map[string]any{"name": nil, "address1": "1 Main St", "address2": nil, "city": "Salem", "province": "Oregon",
		"provinceCode": "OR", "zip": "97301", "country": "United States", "countryCodeV2": "US", "phone": nil}
	if d := cmp.Diff(want, addr); d != "" {
		t.Fatalf("address (-want +got):\n%s", d)
	}
	stored, _ := e.srv.Lookup("order", id)
	if stored["note"] != "Leave at door" {
		t.Fatalf("stored note %v", stored["note"])
	}

	bad := []struct {
		name  string
		input map[string]any
		field []any
	}{
		{"unknown order", map[string]any{"id": "gid://shopify/Order/1", "note": "x"}, []any{"id"}},
		{"bad zip", map[string]any{"id": id, "shippingAddress": map[string]any{"address1": "1 Main St", "zip": "ABC", "countryCode": "US", "provinceCode": "OR"}}, []any{"shippingAddress", "zip"}},
		{"bad province", map[string]any{"id": id, "shippingAddress": map[string]any{"address1": "1 Main St", "zip": "97301", "countryCode": "US", "provinceCode": "ZZ"}}, []any{"shippingAddress", "provinceCode"}},
		{"long note", map[string]any{"id": id, "note": strings.Repeat("n", maxNote+1)}, []any{"note"}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			r := e.gql(tok, "2026-10", updateMutation, map[string]any{"input": tc.input})
			if len(r.Errors) > 0 {
				t.Fatal(r.Errors)
			}
			ue := r.Data["orderUpdate"].(map[string]any)["userErrors"].([]any)
			if len(ue) != 1 || !cmp.Equal(ue[0].(map[string]any)["field"], tc.field) {
				t.Fatalf("userErrors %v", ue)
			}
		})
	}
	// A failed update changes nothing.
	if stored, _ := e.srv.Lookup("order", id); stored["note"] != "Leave at door" {
		t.Fatalf("note changed by a failed update: %v", stored["note"])
	}
}

func TestScopes(t *testing.T) {
	e := newEnv(t, Options{Scopes: []string{"read_orders"}})
	tok := e.token()
	r := e.gql(tok, "2026-10", `{ order(id: "gid://shopify/Order/5501234560001") { name customer { id } } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "ACCESS_DENIED" {
		t.Fatalf("errors %v", r.Errors)
	}
	if r.Data["order"].(map[string]any)["name"] != "#1001" {
		t.Fatalf("data %v", r.Data)
	}
	r = e.gql(tok, "2026-10", updateMutation, map[string]any{"input": map[string]any{"id": "gid://shopify/Order/5501234560001", "note": "x"}})
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "ACCESS_DENIED" {
		t.Fatalf("errors %v", r.Errors)
	}
}

func TestThrottling(t *testing.T) {
	e := newEnv(t, Options{BucketSize: 100, RestoreRate: 10})
	tok := e.token()
	q := `{ orders(first: 10) { nodes { name lineItems(first: 3) { nodes { title } } } } }`
	var throttled gqlResp
	for i := 0; i < 10; i++ {
		r := e.gql(tok, "2026-10", q, nil)
		if len(r.Errors) > 0 {
			throttled = r
			break
		}
	}
	if throttled.status != 200 || throttled.Errors[0].Extensions["code"] != "THROTTLED" || throttled.Ext.Cost.ActualQueryCost != nil {
		t.Fatalf("want THROTTLED with HTTP 200, got %d %s", throttled.status, throttled.rawBody)
	}
	c := throttled.Ext.Cost
	if c.ThrottleStatus.CurrentlyAvailable >= float64(c.RequestedQueryCost) {
		t.Fatalf("throttled with enough points: %+v", c)
	}
	// The bucket refills at the restore rate.
	wait := (float64(c.RequestedQueryCost) - c.ThrottleStatus.CurrentlyAvailable) / c.ThrottleStatus.RestoreRate
	e.clock.Add(time.Duration((wait + 1) * float64(time.Second)))
	if r := e.gql(tok, "2026-10", q, nil); len(r.Errors) > 0 {
		t.Fatalf("after waiting: %v", r.Errors)
	}
}

func TestThrottle429(t *testing.T) {
	e := newEnv(t, Options{BucketSize: 10, RestoreRate: 1, Throttle429: true})
	tok := e.token()
	r := e.gql(tok, "2026-10", `{ orders(first: 10) { nodes { name } } }`, nil)
	if r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Fatalf("got %d %v", r.status, r.header)
	}
}

func TestFaults(t *testing.T) {
	e := newEnv(t, Options{OversizedBytes: 1 << 20})
	tok := e.token()
	q := `{ order(id: "gid://shopify/Order/5501234560001") { id } }`
	cases := []struct {
		fault  sandbox.Fault
		status int
		check  func(t *testing.T, r gqlResp)
	}{
		{sandbox.ServerError, 500, nil},
		{sandbox.RateLimit, 200, func(t *testing.T, r gqlResp) {
			if r.Errors[0].Extensions["code"] != "THROTTLED" {
				t.Fatalf("%s", r.rawBody)
			}
			c := r.Ext.Cost
			if w := (float64(c.RequestedQueryCost) - c.ThrottleStatus.CurrentlyAvailable) / c.ThrottleStatus.RestoreRate; w <= 0 || w > 1 {
				t.Fatalf("announced wait %v, want within the default 1s", w)
			}
		}},
		{sandbox.Unauthorized, 401, nil},
	}
	for _, tc := range cases {
		t.Run(string(tc.fault), func(t *testing.T) {
			e.srv.Faults().Inject(tc.fault, 1)
			r := e.gql(tok, "2026-10", q, nil)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d", r.status, tc.status)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
	// The unauthorized fault expired the token for good.
	if r := e.gql(tok, "2026-10", q, nil); r.status != 401 {
		t.Fatalf("token still valid after the unauthorized fault: %d", r.status)
	}
	tok = e.token()
	// A costly enough request lets the throttle announce the configured wait exactly.
	e.srv.Faults().SetRetryAfter(2 * time.Second)
	e.srv.Faults().Inject(sandbox.RateLimit, 1)
	r := e.gql(tok, "2026-10", `{ orders(first: 200) { nodes { id } } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "THROTTLED" {
		t.Fatalf("%s", r.rawBody)
	}
	c := r.Ext.Cost
	if c.RequestedQueryCost != 202 || (float64(c.RequestedQueryCost)-c.ThrottleStatus.CurrentlyAvailable)/c.ThrottleStatus.RestoreRate != 2 {
		t.Fatalf("cost %+v does not announce a 2s wait", c)
	}
	e.srv.Faults().Reset()
	for _, f := range []sandbox.Fault{sandbox.Malformed, sandbox.Oversized} {
		t.Run(string(f), func(t *testing.T) {
			e.srv.Faults().Inject(f, 1)
			body, _ := json.Marshal(map[string]any{"query": q})
			req, _ := http.NewRequest("POST", e.hs.URL+"/admin/api/2026-10/graphql.json", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Shopify-Access-Token", tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			valid := json.Valid(raw)
			if f == sandbox.Malformed && valid || f == sandbox.Oversized && (!valid || len(raw) < 1<<20) {
				t.Fatalf("%s: %d bytes, valid %v", f, len(raw), valid)
			}
		})
	}
	// The control endpoint drives the same knobs.
	resp, err := http.Post(e.hs.URL+"/_sandbox/faults", "application/json", strings.NewReader(`{"inject":"server_error","count":2}`))
	if err != nil || resp.StatusCode != 204 {
		t.Fatalf("control: %v %v", err, resp)
	}
	resp.Body.Close()
	if e.srv.Faults().Pending() != 2 {
		t.Fatalf("pending %d", e.srv.Faults().Pending())
	}
}

func TestCreateEndpoints(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token()
	post := func(path, body string, auth bool) (int, map[string]any) {
		req, _ := http.NewRequest("POST", e.hs.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if auth {
			req.Header.Set("X-Shopify-Access-Token", tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	st, out := post("/admin/api/2026-10/customers.json", `{"customer":{"first_name":"Ada","last_name":"Quill","email":"ada.quill@example.com","phone":"+15035550111"}}`, true)
	if st != 201 {
		t.Fatalf("customer create %d %v", st, out)
	}
	cust := out["customer"].(map[string]any)
	if cust["admin_graphql_api_id"] == nil || cust["orders_count"] != float64(0) {
		t.Fatalf("customer %v", cust)
	}
	st, out = post("/admin/api/2026-10/customers.json", `{"customer":{"email":"ADA.QUILL@example.com"}}`, true)
	if st != 422 || !cmp.Equal(out, map[string]any{"errors": map[string]any{"email": []any{"has already been taken"}}}) {
		t.Fatalf("duplicate email: %d %v", st, out)
	}
	st, out = post("/_sandbox/orders", `{"order":{"email":"ada.quill@example.com","customer":{"email":"ada.quill@example.com"},
	  "line_items":[{"title":"Tea Towel","sku":"TT-1","quantity":2,"price":"9.50"}],"total_tax":"1.00",
	  "shipping_address":{"first_name":"Ada","last_name":"Quill","address1":"5 Elm St","city":"Salem","province_code":"OR","zip":"97301","country_code":"US"}}}`, false)
	if st != 201 {
		t.Fatalf("order create %d %v", st, out)
	}
	ord := out["order"].(map[string]any)
	if ord["name"] != "#1011" || ord["total_price"] != "20.00" || ord["customer"].(map[string]any)["email"] != "ada.quill@example.com" {
		t.Fatalf("order %v", ord)
	}
	// The new order is visible through GraphQL, address derived as Shopify does.
	r := e.gql(tok, "2026-10", `query($q: String!) { orders(first: 5, query: $q) { nodes { name shippingAddress { name province country } } } }`,
		map[string]any{"q": `name:"#1011"`})
	nodes := r.Data["orders"].(map[string]any)["nodes"].([]any)
	want := []any{map[string]any{"name": "#1011", "shippingAddress": map[string]any{"name": "Ada Quill", "province": "Oregon", "country": "United States"}}}
	if d := cmp.Diff(want, nodes); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
	if st, _ := post("/admin/api/2026-10/orders.json", `{"order":{"line_items":[]}}`, true); st != 422 {
		t.Fatalf("empty order: %d", st)
	}
	if st, _ := post("/admin/api/2026-10/orders.json", `{"order":{"bogus":1}}`, true); st != 400 {
		t.Fatalf("unknown field: %d", st)
	}
	if st, _ := post("/admin/api/2026-10/orders.json", `{"order":{}}`, false); st != 401 {
		t.Fatalf("REST without token: %d", st)
	}
}

func TestLookupShapes(t *testing.T) {
	e := newEnv(t, Options{})
	o, ok := e.srv.Lookup("order", "gid://shopify/Order/5501234560003")
	if !ok || o["name"] != "#1003" || o["total_price"] != "54.00" || o["customer"].(map[string]any)["email"] != "oliver.bennett@example.org" {
		t.Fatalf("order %v", o)
	}
	if _, ok := e.srv.Lookup("order", "1"); ok {
		t.Fatal("unknown order found")
	}
	c, ok := e.srv.Lookup("customer", "7301234560001")
	if !ok || c["orders_count"] != float64(3) {
		t.Fatalf("customer %v", c)
	}
}

func TestRecorder(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token()
	e.gql(tok, "2026-10", `query($id: ID!) { order(id: $id) { name } }`, map[string]any{"id": "gid://shopify/Order/5501234560001"})
	reqs := e.srv.Requests()
	if len(reqs) != 1 || reqs[0].Path != "/admin/api/2026-10/graphql.json" || !strings.Contains(string(reqs[0].Body), "order(id: $id) { name }") {
		t.Fatalf("recorded %+v", reqs)
	}
}

func TestSeedFromReader(t *testing.T) {
	seed := `{"shop":{"currency":"GBP"},"customers":[{"id":1,"first_name":"A","email":"a@example.com"}],
	  "orders":[{"id":2,"customer":{"id":1},"line_items":[{"title":"T","quantity":1,"price":"5"}]}]}`
	e := newEnv(t, Options{Seed: strings.NewReader(seed)})
	o, ok := e.srv.Lookup("order", "2")
	if !ok || o["name"] != "#1001" || o["currency"] != "GBP" || o["total_price"] != "5.00" {
		t.Fatalf("order %v", o)
	}
	for _, bad := range []string{`{"orders":[{"line_items":[]}]}`, `{"customers":[{"unknown":1}]}`, `not json`,
		`{"orders":[{"customer":{"id":9},"line_items":[{"title":"T","quantity":1,"price":"1"}]}]}`} {
		if _, err := New(Options{Seed: strings.NewReader(bad)}); err == nil {
			t.Errorf("seed %s accepted", bad)
		}
	}
}

func TestRESTShowAndCallLimit(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token()
	get := func(path string) (*http.Response, map[string]any) {
		req, _ := http.NewRequest("GET", e.hs.URL+path, nil)
		req.Header.Set("X-Shopify-Access-Token", tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp, out
	}
	resp, out := get("/admin/api/2026-10/orders/5501234560001.json")
	if resp.StatusCode != 200 || out["order"].(map[string]any)["name"] != "#1001" || resp.Header.Get("X-Shopify-Shop-Api-Call-Limit") != "1/40" {
		t.Fatalf("%d %v %v", resp.StatusCode, resp.Header, out)
	}
	if resp, out := get("/admin/api/2026-10/customers/1.json"); resp.StatusCode != 404 || out["errors"] != "Not Found" {
		t.Fatalf("missing customer: %d %v", resp.StatusCode, out)
	}
	// The REST bucket holds 40 calls and leaks 2 per second (the clock stands still here).
	var last *http.Response
	for i := 0; i < 40; i++ {
		last, _ = get("/admin/api/2026-10/customers/7301234560001.json")
	}
	if last.StatusCode != 429 || last.Header.Get("Retry-After") != "2.0" {
		t.Fatalf("over the REST limit: %d %v", last.StatusCode, last.Header)
	}
	e.clock.Add(time.Second)
	if resp, _ := get("/admin/api/2026-10/customers/7301234560001.json"); resp.StatusCode != 200 {
		t.Fatalf("after the bucket leaked: %d", resp.StatusCode)
	}
}

func TestRequestedCost(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token()
	cases := []struct {
		query             string
		requested, actual int
	}{
		{`{ order(id: "gid://shopify/Order/5501234560001") { name } }`, 1, 1},
		{`{ order(id: "gid://shopify/Order/5501234560001") { name customer { email } totalPriceSet { shopMoney { amount } } } }`, 4, 4},
		{`{ orders(first: 10) { nodes { name } pageInfo { hasNextPage } } }`, 13, 13},
		{`{ orders(first: 10, query: "name:1001") { edges { cursor node { name } } } }`, 22, 4},
		{`{ order(id: "gid://shopify/Order/5501234560010") { lineItems(first: 5) { nodes { title } } fulfillments(first: 3) { trackingInfo(first: 1) { number } } } }`, 1 + 7 + 6, 1 + 4 + 4},
		{`mutation { orderUpdate(input: {id: "gid://shopify/Order/5501234560001", note: "n"}) { userErrors { message } } }`, 12, 11},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			r := e.gql(tok, "2026-10", tc.query, nil)
			if len(r.Errors) > 0 {
				t.Fatal(r.Errors)
			}
			c := r.Ext.Cost
			if c.RequestedQueryCost != tc.requested || c.ActualQueryCost == nil || *c.ActualQueryCost != tc.actual {
				t.Fatalf("requested %d actual %v, want %d and %d", c.RequestedQueryCost, *c.ActualQueryCost, tc.requested, tc.actual)
			}
		})
	}
}
