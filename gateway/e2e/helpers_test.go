package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/cxgate/cxgate/internal/testutil"
)

type syncBuffer = testutil.SyncBuffer

// vaultProxy sits between the gateway and the Vault dev server. It counts
// the transit round trips by kind and keeps every plaintext that crossed
// it (what was tokenized or hashed, and what detokenizing gave back), so
// the suite can look for those values where they must never be.
type vaultProxy struct {
	srv *httptest.Server

	mu     sync.Mutex
	counts map[string]int
	plain  map[string]bool
}

func newVaultProxy(t *testing.T, target string) *vaultProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &vaultProxy{counts: map[string]int{}, plain: map[string]bool{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(resp *http.Response) error {
		if transitOp(resp.Request.URL.Path) != "decrypt" {
			return nil
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		resp.Body = io.NopCloser(bytes.NewReader(b))
		var out struct {
			Data struct {
				Results []struct {
					Plaintext string `json:"plaintext"`
				} `json:"batch_results"`
			} `json:"data"`
		}
		if json.Unmarshal(b, &out) == nil {
			for _, r := range out.Data.Results {
				p.record(r.Plaintext, "")
			}
		}
		return nil
	}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if op := transitOp(r.URL.Path); op != "" {
			b, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(b))
			var in struct {
				Batch []struct {
					Plaintext string `json:"plaintext"`
					Input     string `json:"input"`
				} `json:"batch_input"`
			}
			if json.Unmarshal(b, &in) == nil {
				for _, it := range in.Batch {
					p.record(it.Plaintext, "")
					p.record(it.Input, ":") // "TYPE:value"
				}
			}
			p.mu.Lock()
			p.counts[op]++
			p.mu.Unlock()
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// transitOp names a transit round trip by its path (/v1/transit/encrypt/KEY).
func transitOp(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) == 4 && parts[0] == "v1" && parts[1] == "transit" {
		switch parts[2] {
		case "encrypt", "decrypt", "hmac":
			return parts[2]
		}
	}
	return ""
}

func (p *vaultProxy) record(b64, after string) {
	if b64 == "" {
		return
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return
	}
	s := string(raw)
	if after != "" {
		if _, v, ok := strings.Cut(s, after); ok {
			s = v
		}
	}
	p.mu.Lock()
	p.plain[s] = true
	p.mu.Unlock()
}

// take returns the round trips counted since the last take and resets them.
func (p *vaultProxy) take() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.counts
	p.counts = map[string]int{}
	return out
}

// plaintexts are the values that crossed the proxy in clear.
func (p *vaultProxy) plaintexts() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for v := range p.plain {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// wireRecorder wraps the sandboxes' handlers and keeps the credentials the
// connectors present (bearer and Shopify access tokens): they must never
// show up in logs, answers, metrics or the audit log.
type wireRecorder struct {
	mu     sync.Mutex
	tokens map[string]bool
}

func (w *wireRecorder) middleware(_ string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.mu.Lock()
		if v := r.Header.Get("Authorization"); v != "" {
			if _, tok, ok := strings.Cut(v, " "); ok {
				w.tokens[tok] = true
			}
		}
		if v := r.Header.Get("X-Shopify-Access-Token"); v != "" {
			w.tokens[v] = true
		}
		w.mu.Unlock()
		h.ServeHTTP(rw, r)
	})
}

func (w *wireRecorder) seen() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for v := range w.tokens {
		out = append(out, v)
	}
	return out
}

// seeds are the sandboxes' seed files, read from the repository.
type seeds struct {
	shopify, zendesk, salesforce map[string]any
}

func loadSeeds(t *testing.T) seeds {
	t.Helper()
	read := func(name string) map[string]any {
		b, err := os.ReadFile(filepath.Join("..", "..", "connectors", "sandbox", name, "seed.json"))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber() // ids stay as written (5501234560001, not 5.5e+12)
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("%s seed: %v", name, err)
		}
		return m
	}
	return seeds{shopify: read("shopify"), zendesk: read("zendesk"), salesforce: read("salesforce")}
}

func list(m map[string]any, key string) []map[string]any {
	var out []map[string]any
	for _, v := range m[key].([]any) {
		out = append(out, v.(map[string]any))
	}
	return out
}

func find(recs []map[string]any, key string, want any) map[string]any {
	for _, r := range recs {
		if fmt.Sprint(r[key]) == fmt.Sprint(want) {
			return r
		}
	}
	return nil
}

// lookupValue is a valid real value for a lookup key of a resource,
// taken from the seed of the connector type. A new example operation on
// a key not listed here fails the suite until a value is added.
func (s seeds) lookupValue(connType, resource, key string) (any, bool) {
	sh, zd, sf := s.shopify, s.zendesk, s.salesforce
	order := list(sh, "orders")[0]
	ticket := list(zd, "tickets")[0]
	requester := find(list(zd, "users"), "id", ticket["requester_id"])
	cs := list(sf, "Case")[0]
	values := map[string]any{
		"shopify/order/order_number":        order["name"],
		"shopify/order/id":                  order["id"],
		"shopify/order/email":               order["email"],
		"shopify/customer/id":               list(sh, "customers")[0]["id"],
		"shopify/customer/email":            list(sh, "customers")[0]["email"],
		"zendesk/ticket/id":                 ticket["id"],
		"zendesk/ticket/requester_email":    requester["email"],
		"zendesk/ticket_comment/ticket_id":  ticket["id"],
		"zendesk/user/id":                   requester["id"],
		"zendesk/user/email":                requester["email"],
		"zendesk/organization/id":           list(zd, "organizations")[0]["id"],
		"salesforce/case/case_number":       cs["CaseNumber"],
		"salesforce/case/email":             cs["SuppliedEmail"],
		"salesforce/case/id":                cs["Id"],
		"salesforce/account/account_number": list(sf, "Account")[0]["AccountNumber"],
		"salesforce/account/id":             list(sf, "Account")[0]["Id"],
		"salesforce/contact/id":             list(sf, "Contact")[0]["Id"],
		"salesforce/contact/email":          list(sf, "Contact")[0]["Email"],
		"salesforce/order/order_number":     list(sf, "Order")[0]["OrderNumber"],
		"salesforce/order/id":               list(sf, "Order")[0]["Id"],
	}
	v, ok := values[connType+"/"+resource+"/"+key]
	return v, ok && v != nil
}

var (
	emailRe = regexp.MustCompile(`[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)
	// The seeds use fictional ranges only: US 555-01xx, UK 07700 900xxx
	// and 020 7946 0xxx, and published test cards.
	phoneRe = regexp.MustCompile(`(\+?1[ .-]?)?\(?\d{3}\)?[ .-]?555[ .-]?01\d\d|(\+44 ?|0)7700 ?900 ?\d{3}|(\+44 ?|0)20 ?7946 ?0\d{3}`)
	cardRe  = regexp.MustCompile(`\b(4111[ -]?1111[ -]?1111[ -]?1111|5555[ -]?5555[ -]?5555[ -]?4444|3782[ -]?822463[ -]?10005|4000[ -]?0566[ -]?5566[ -]?5556)\b`)
)

// freeTextPII is what a content filter must find in free text: emails,
// phone numbers and card numbers, as written.
func freeTextPII(s string) []string {
	var out []string
	for _, re := range []*regexp.Regexp{emailRe, phoneRe, cardRe} {
		out = append(out, re.FindAllString(s, -1)...)
	}
	return out
}

// seedPII collects the personal values of the seeds: every email, phone
// and card number anywhere (free text included), and the values of the
// structured fields that name or locate a person. None of the example
// scopes keeps any of these fields in clear.
func (s seeds) seedPII() []string {
	vals := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		case string:
			for _, f := range freeTextPII(x) {
				vals[f] = true
			}
		}
	}
	walk(s.shopify)
	walk(s.zendesk)
	walk(s.salesforce)
	fields := func(recs []map[string]any, keys ...string) {
		for _, r := range recs {
			for _, k := range keys {
				if v, ok := r[k].(string); ok && v != "" {
					vals[v] = true
				}
			}
		}
	}
	customers := list(s.shopify, "customers")
	fields(customers, "email", "phone", "last_name")
	var addrs []map[string]any
	for _, c := range customers {
		if a, ok := c["default_address"].(map[string]any); ok {
			addrs = append(addrs, a)
		}
	}
	for _, o := range list(s.shopify, "orders") {
		for _, k := range []string{"shipping_address", "billing_address"} {
			if a, ok := o[k].(map[string]any); ok {
				addrs = append(addrs, a)
			}
		}
	}
	fields(addrs, "name", "last_name", "address1", "address2", "zip", "phone")
	fields(list(s.zendesk, "users"), "email", "phone")
	for _, u := range list(s.zendesk, "users") {
		if u["role"] == "end-user" {
			fields([]map[string]any{u}, "name")
		}
	}
	fields(list(s.salesforce, "Contact"), "Name", "LastName", "Email", "Phone", "MobilePhone", "MailingStreet", "MailingPostalCode")
	fields(list(s.salesforce, "Account"), "Phone", "BillingStreet", "BillingPostalCode")
	fields(list(s.salesforce, "Case"), "SuppliedName", "SuppliedEmail", "SuppliedPhone")
	fields(list(s.salesforce, "Order"), "ShippingStreet", "ShippingPostalCode")
	for _, c := range list(s.salesforce, "Contact") {
		if fn, ln := c["FirstName"], c["LastName"]; fn != nil && ln != nil {
			vals[fmt.Sprint(fn, " ", ln)] = true
		}
	}
	var out []string
	for v := range vals {
		if len([]rune(v)) >= 4 {
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

// contains reports whether value occurs in text; a value of digits only
// must stand alone (not inside a longer number or id).
func contains(text, value string) bool {
	if value == "" {
		return false
	}
	if !strings.ContainsFunc(value, func(r rune) bool { return !unicode.IsDigit(r) && r != ' ' }) {
		for i := 0; ; {
			j := strings.Index(text[i:], value)
			if j < 0 {
				return false
			}
			start, end := i+j, i+j+len(value)
			if (start == 0 || !isDigit(text[start-1])) && (end == len(text) || !isDigit(text[end])) {
				return true
			}
			i = start + 1
		}
	}
	return strings.Contains(text, value) || strings.Contains(text, jsonEscaped(value))
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func jsonEscaped(s string) string {
	b, _ := json.Marshal(s)
	return strings.Trim(string(b), `"`)
}

// leaves calls fn for every scalar (or null) of v with its path in scope
// syntax ("a.b", "items[].title", "tags[]").
func leaves(v any, path string, fn func(path string, v any)) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			p := k
			if path != "" {
				p = path + "." + k
			}
			leaves(c, p, fn)
		}
	case []any:
		if len(x) == 0 {
			fn(path+"[]", nil)
		}
		for _, c := range x {
			leaves(c, path+"[]", fn)
		}
	default:
		fn(path, v)
	}
}

// curl is one guide command, parsed from its printed text.
type curl struct {
	method  string
	url     string
	headers [][2]string
	body    string
}

// parseCurl reads a printed `curl` line the way a POSIX shell would split
// it (single quotes, '\” escapes, backslashes outside quotes).
func parseCurl(line string) (curl, error) {
	words, err := shellWords(line)
	if err != nil {
		return curl{}, err
	}
	if len(words) == 0 || words[0] != "curl" {
		return curl{}, fmt.Errorf("not a curl command: %q", line)
	}
	c := curl{method: "GET"}
	for i := 1; i < len(words); i++ {
		switch w := words[i]; w {
		case "-s", "--silent":
		case "-H", "--header", "-d", "--data", "-X", "--request":
			if i+1 >= len(words) {
				return curl{}, fmt.Errorf("%s without a value", w)
			}
			i++
			switch w {
			case "-H", "--header":
				k, v, ok := strings.Cut(words[i], ":")
				if !ok {
					return curl{}, fmt.Errorf("header %q", words[i])
				}
				c.headers = append(c.headers, [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
			case "-d", "--data":
				c.body, c.method = words[i], "POST"
			default:
				c.method = words[i]
			}
		default:
			if strings.HasPrefix(w, "-") {
				return curl{}, fmt.Errorf("unexpected curl option %s", w)
			}
			if c.url != "" {
				return curl{}, fmt.Errorf("two URLs: %s and %s", c.url, w)
			}
			c.url = w
		}
	}
	if c.url == "" {
		return curl{}, fmt.Errorf("no URL in %q", line)
	}
	return c, nil
}

func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	in := false // inside a word
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unterminated quote")
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			in = true
		case c == '\\':
			if i+1 < len(s) {
				i++
				cur.WriteByte(s[i])
			}
			in = true
		case c == '"':
			return nil, fmt.Errorf("double quotes are not used by the guide")
		case c == ' ' || c == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		case c == '\n':
			return nil, fmt.Errorf("a command spans lines")
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words, nil
}

// isJSON reports whether a response's media type is JSON or problem+json.
func isJSON(h http.Header) bool {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	return mt == "application/json" || mt == "application/problem+json"
}
