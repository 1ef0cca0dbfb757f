package shopify

import (
	"bytes"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/connectors/sandbox"
)

//go:embed seed.json
var defaultSeed []byte

// Options configure a sandbox. The zero value is a working sandbox on the
// embedded seed, the embedded schema subset and the real clock.
type Options struct {
	// Seed is a fixture file in the seed format (REST-shaped customers and
	// orders); nil means the embedded default seed.
	Seed io.Reader
	// Now is the clock for token expiry, timestamps and the cost bucket.
	Now func() time.Time
	// TokenTTL is the lifetime of client-credentials tokens (default
	// 86399s, as Shopify issues them).
	TokenTTL time.Duration
	// ClientID and ClientSecret are the app's credentials for the client
	// credentials grant; empty means random ones (see Credentials).
	ClientID, ClientSecret string
	// StaticTokens are accepted forever, like a legacy custom app's shpat_
	// token. nil means one random token (see StaticCredentials); an empty
	// non-nil slice accepts none.
	StaticTokens []string
	// Scopes are the access scopes granted to every token (default
	// read_orders, write_orders, read_customers, write_customers).
	Scopes []string
	// Schema is the Admin schema to validate documents against, usually
	// the vendor's SDL loaded with LoadSchema; nil means the embedded
	// subset.
	Schema *Schema
	// SupportedVersions are the API versions served as asked; any other
	// well-formed version falls forward to the oldest of them (default
	// 2025-10 ... 2026-10, the window in December 2026).
	SupportedVersions []string
	// BucketSize and RestoreRate shape the GraphQL cost bucket (default
	// 2000 points, 100 points/s: Shopify's standard plan).
	BucketSize, RestoreRate float64
	// Throttle429 makes throttled GraphQL requests answer HTTP 429 with
	// Retry-After instead of Shopify's usual 200 + THROTTLED error (some
	// clients report seeing that; connectors must handle both).
	Throttle429 bool
	// AppNotInstalled makes the token endpoint answer 400
	// app_not_installed, as Shopify does before the app is installed.
	AppNotInstalled bool
	// OversizedBytes is the body size of the oversized fault (default 16 MiB).
	OversizedBytes int
}

// Server is an in-process Shopify Admin API: the client credentials token
// endpoint, the GraphQL Admin API (validated against the Admin schema,
// costed with a leaky bucket) and the legacy REST create routes.
type Server struct {
	opts      Options
	schema    *Schema
	store     *store
	faults    sandbox.Faults
	rec       sandbox.Recorder
	bucket    *bucket
	restLimit *bucket

	mu       sync.Mutex
	tokens   map[string]time.Time // client-credentials token -> expiry
	static   map[string]bool
	baseURL  string
	ignored  map[string]bool // search fields treated as unknown
	clientID string
	secret   string
	staticTk []string
}

var _ http.Handler = (*Server)(nil)

// New builds a sandbox.
func New(opts Options) (*Server, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = 86399 * time.Second
	}
	if opts.Scopes == nil {
		opts.Scopes = []string{"read_orders", "write_orders", "read_customers", "write_customers"}
	}
	if len(opts.SupportedVersions) == 0 {
		opts.SupportedVersions = []string{"2025-10", "2026-01", "2026-04", "2026-07", "2026-10"}
	}
	for _, v := range opts.SupportedVersions {
		if !versionRE.MatchString(v) || v == "unstable" {
			return nil, fmt.Errorf("sandbox: bad supported version %q (want YYYY-MM)", v)
		}
	}
	opts.SupportedVersions = slices.Sorted(slices.Values(opts.SupportedVersions))
	if opts.BucketSize <= 0 {
		opts.BucketSize = 2000
	}
	if opts.RestoreRate <= 0 {
		opts.RestoreRate = 100
	}
	if opts.OversizedBytes <= 0 {
		opts.OversizedBytes = 16 << 20
	}
	schema := opts.Schema
	if schema == nil {
		var err error
		if schema, err = loadSubset(); err != nil {
			return nil, err
		}
	}
	seed := opts.Seed
	if seed == nil {
		seed = bytes.NewReader(defaultSeed)
	}
	st, err := loadStore(seed, opts.Now)
	if err != nil {
		return nil, err
	}
	s := &Server{
		opts:      opts,
		schema:    schema,
		store:     st,
		bucket:    newBucket(opts.BucketSize, opts.RestoreRate, opts.Now()),
		restLimit: newBucket(40, 2, opts.Now()),
		tokens:    map[string]time.Time{},
		static:    map[string]bool{},
		ignored:   map[string]bool{},
		baseURL:   "https://acme-retail.myshopify.com",
		clientID:  opts.ClientID,
		secret:    opts.ClientSecret,
	}
	if s.clientID == "" {
		s.clientID = randomHex(16)
	}
	if s.secret == "" {
		s.secret = "shpss_" + randomHex(16)
	}
	s.staticTk = opts.StaticTokens
	if s.staticTk == nil {
		s.staticTk = []string{"shpat_" + randomHex(16)}
	}
	for _, t := range s.staticTk {
		s.static[t] = true
	}
	return s, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// SetBaseURL tells the sandbox where it is served (for links it renders).
func (s *Server) SetBaseURL(u string) {
	s.mu.Lock()
	s.baseURL = strings.TrimRight(u, "/")
	s.mu.Unlock()
}

// BaseURL is the address set with SetBaseURL.
func (s *Server) BaseURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.baseURL
}

// Faults are the fault knobs (also served at /_sandbox/faults).
func (s *Server) Faults() *sandbox.Faults { return &s.faults }

// Requests returns the recorded API requests (token requests, which carry
// the client secret, are not recorded).
func (s *Server) Requests() []sandbox.Request { return s.rec.Requests() }

// ClearRequests forgets the recorded requests.
func (s *Server) ClearRequests() { s.rec.Clear() }

// Credentials are valid client-credentials grant credentials.
func (s *Server) Credentials() connectors.Credentials {
	return connectors.Credentials{"client_id": s.clientID, "client_secret": s.secret}
}

// StaticCredentials are valid static_token credentials (the first static
// token), or nil when static tokens are disabled.
func (s *Server) StaticCredentials() connectors.Credentials {
	if len(s.staticTk) == 0 {
		return nil
	}
	return connectors.Credentials{"access_token": s.staticTk[0]}
}

// Schema is the schema the sandbox validates against.
func (s *Server) Schema() *Schema { return s.schema }

// IgnoreSearchFields makes the search parser treat these filter fields as
// unknown, the way Shopify ignores a filter it does not support (for
// instance one a newer API version dropped): the term then matches every
// record. Tests use it to prove that connectors post-filter.
func (s *Server) IgnoreSearchFields(fields ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ignored = map[string]bool{}
	for _, f := range fields {
		s.ignored[strings.ToLower(f)] = true
	}
}

func (s *Server) ignoredFields() map[string]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ignored
}

// ExpireTokens expires every client-credentials token now.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	clear(s.tokens)
	s.mu.Unlock()
}

// Lookup returns the stored record in Shopify's REST shape ("order" or
// "customer"; id numeric or a GID).
func (s *Server) Lookup(resource, id string) (map[string]any, bool) {
	var v any
	s.store.mu.RLock()
	switch resource {
	case "order":
		if n, err := parseID(id, "Order"); err == nil {
			if o := s.store.orderLocked(n); o != nil {
				v = s.restOrderLocked(o)
			}
		}
	case "customer":
		if n, err := parseID(id, "Customer"); err == nil {
			if c := s.store.customerLocked(n); c != nil {
				v = s.restCustomerLocked(c)
			}
		}
	}
	s.store.mu.RUnlock()
	if v == nil {
		return nil, false
	}
	b, _ := json.Marshal(v)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m, true
}

// AddOrder stores an order given in the REST shape (the create endpoint's
// Go form) and returns its id.
func (s *Server) AddOrder(o Order) (int64, error) {
	if err := s.store.addOrder(&o, true); err != nil {
		return 0, err
	}
	return o.ID, nil
}

// AddCustomer stores a customer given in the REST shape and returns its id.
func (s *Server) AddCustomer(c Customer) (int64, error) {
	if err := s.store.addCustomer(&c, true); err != nil {
		return 0, err
	}
	return c.ID, nil
}

var (
	versionRE = regexp.MustCompile(`^(\d{4}-(0[1-9]|1[0-2])|unstable)$`)
	restRE    = regexp.MustCompile(`^/admin/api/([^/]+)/(orders|customers)(?:/([0-9]+))?\.json$`)
)

// servedVersion is the version that answers a request for v: v itself
// when supported (or "unstable"), else the oldest supported one.
func (s *Server) servedVersion(v string) string {
	if v == "unstable" || slices.Contains(s.opts.SupportedVersions, v) {
		return v
	}
	return s.opts.SupportedVersions[0]
}

// ServeHTTP speaks Shopify's wire format.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case p == "/_sandbox/faults":
		s.faults.ControlHandler().ServeHTTP(w, r)
		return
	case p == "/_sandbox/orders" || p == "/_sandbox/customers":
		if r.Method != http.MethodPost {
			writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"errors": "Method Not Allowed"})
			return
		}
		s.handleCreate(w, r, strings.TrimPrefix(p, "/_sandbox/"))
		return
	case p == "/admin/oauth/access_token":
		if r.Method != http.MethodPost {
			writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"errors": "Method Not Allowed"})
			return
		}
		s.handleToken(w, r)
		return
	}
	rest := strings.TrimPrefix(p, "/admin/api/")
	if rest == p {
		writeJSON(w, http.StatusNotFound, map[string]any{"errors": "Not Found"})
		return
	}
	version, endpoint, _ := strings.Cut(rest, "/")
	if !versionRE.MatchString(version) {
		writeJSON(w, http.StatusNotFound, map[string]any{"errors": "Not Found"})
		return
	}
	w.Header().Set("X-Shopify-API-Version", s.servedVersion(version))
	w.Header().Set("X-Request-Id", randomHex(8))
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	isGraphQL := endpoint == "graphql.json"
	m := restRE.FindStringSubmatch(p)
	if !isGraphQL && m == nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"errors": "Not Found"})
		return
	}
	fault, faulty := s.faults.Next(r)
	// A GraphQL throttle is decided after the document is costed (below),
	// so its numbers are the request's own.
	throttle := faulty && fault == sandbox.RateLimit && isGraphQL && !s.opts.Throttle429
	if faulty && !throttle {
		s.renderFault(w, r, fault, isGraphQL)
		return
	}
	if !s.authorized(r) {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"errors": invalidTokenMsg})
		return
	}
	if isGraphQL {
		if r.Method != http.MethodPost {
			writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"errors": "Method Not Allowed"})
			return
		}
		s.handleGraphQL(w, r, body, throttle)
		return
	}
	s.handleREST(w, r, m[2], m[3], body)
}

const invalidTokenMsg = "[API] Invalid API key or access token (unrecognized login or wrong password)"

// maxBody bounds request bodies (GraphQL documents and create payloads).
const maxBody = 1 << 20

// readBody reads the body whole, records the request and answers 413 for
// bodies over maxBody.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	var body []byte
	if r.Body != nil {
		var err error
		body, err = io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		r.Body.Close()
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"errors": "Bad Request"})
			return nil, false
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	s.rec.Record(r)
	if len(body) > maxBody {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]any{"errors": "Request Entity Too Large"})
		return nil, false
	}
	return body, true
}

// authorized checks X-Shopify-Access-Token (Shopify does not use Bearer).
func (s *Server) authorized(r *http.Request) bool {
	tok := r.Header.Get("X-Shopify-Access-Token")
	if tok == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.static[tok] {
		return true
	}
	exp, ok := s.tokens[tok]
	if !ok {
		return false
	}
	if !s.opts.Now().Before(exp) {
		delete(s.tokens, tok)
		return false
	}
	return true
}

func (s *Server) hasScope(scope string) bool { return slices.Contains(s.opts.Scopes, scope) }

// handleToken is the client credentials grant, form-encoded or JSON.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, oauthError("invalid_request", "The request body could not be read."))
		return
	}
	var grant, id, secret string
	ct := r.Header.Get("Content-Type")
	switch {
	case strings.HasPrefix(ct, "application/json"):
		var req struct {
			GrantType    string `json:"grant_type"`
			ClientID     string `json:"client_id"`
			ClientSecret string `json:"client_secret"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			writeJSON(w, http.StatusBadRequest, oauthError("invalid_request", "The request body is not valid JSON."))
			return
		}
		grant, id, secret = req.GrantType, req.ClientID, req.ClientSecret
	case strings.HasPrefix(ct, "application/x-www-form-urlencoded"):
		r.Body = io.NopCloser(bytes.NewReader(body))
		if err := r.ParseForm(); err != nil {
			writeJSON(w, http.StatusBadRequest, oauthError("invalid_request", "The request body could not be parsed."))
			return
		}
		grant, id, secret = r.PostForm.Get("grant_type"), r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	default:
		writeJSON(w, http.StatusUnsupportedMediaType, oauthError("invalid_request", "Content-Type must be application/x-www-form-urlencoded or application/json."))
		return
	}
	switch {
	case grant != "client_credentials":
		writeJSON(w, http.StatusBadRequest, oauthError("unsupported_grant_type", "The sandbox supports the client_credentials grant only."))
		return
	case id == "" || secret == "":
		writeJSON(w, http.StatusBadRequest, oauthError("invalid_request", "client_id and client_secret are required."))
		return
	case id != s.clientID || secret != s.secret:
		writeJSON(w, http.StatusBadRequest, oauthError("invalid_client", "Client authentication failed."))
		return
	case s.opts.AppNotInstalled:
		writeJSON(w, http.StatusBadRequest, oauthError("app_not_installed", "Oauth error app_not_installed: The application is not installed on this shop."))
		return
	}
	tok := "shpat_" + randomHex(16)
	s.mu.Lock()
	s.tokens[tok] = s.opts.Now().Add(s.opts.TokenTTL)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": tok,
		"scope":        strings.Join(s.opts.Scopes, ","),
		"expires_in":   int(s.opts.TokenTTL / time.Second),
	})
}

func oauthError(code, desc string) map[string]any {
	return map[string]any{"error": code, "error_description": desc}
}

// renderFault answers with an injected fault in Shopify's formats (the
// GraphQL throttle is rendered by handleGraphQL).
func (s *Server) renderFault(w http.ResponseWriter, r *http.Request, f sandbox.Fault, graphql bool) {
	switch f {
	case sandbox.ServerError:
		writeJSON(w, http.StatusInternalServerError, map[string]any{"errors": "Internal Server Error"})
	case sandbox.RateLimit:
		wait := s.faults.RetryAfter()
		w.Header().Set("Retry-After", strconv.FormatFloat(wait.Seconds(), 'f', 1, 64))
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."})
	case sandbox.Unauthorized:
		tok := r.Header.Get("X-Shopify-Access-Token")
		s.mu.Lock()
		delete(s.tokens, tok)
		s.mu.Unlock()
		writeJSON(w, http.StatusUnauthorized, map[string]any{"errors": invalidTokenMsg})
	case sandbox.Malformed:
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `{"data":{"order":{"id":"gid://shopify/Order/55012`)
	case sandbox.Oversized:
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `{"data":{"order":{"note":"`)
		chunk := bytes.Repeat([]byte("x"), 64<<10)
		for n := 0; n < s.opts.OversizedBytes; n += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		_, _ = io.WriteString(w, `"}}}`)
	case sandbox.Hang:
		sandbox.HangUntilDone(r, 2*time.Minute)
		writeJSON(w, http.StatusGatewayTimeout, map[string]any{"errors": "Gateway Timeout"})
	default:
		writeJSON(w, http.StatusInternalServerError, map[string]any{"errors": "Internal Server Error"})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"errors":"Internal Server Error"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// handleCreate serves the sandbox's own create routes (no token needed),
// for `cxgate dev` users and tests.
func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request, kind string) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"errors": "Bad Request"})
		return
	}
	s.create(w, kind, body)
}

func (s *Server) create(w http.ResponseWriter, kind string, body []byte) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var err error
	var out any
	switch kind {
	case "orders":
		var req struct {
			Order *Order `json:"order"`
		}
		if err = dec.Decode(&req); err == nil && req.Order == nil {
			err = errors.New("missing order")
		}
		if err == nil {
			if err = s.store.addOrder(req.Order, true); err == nil {
				s.store.mu.RLock()
				out = map[string]any{"order": s.restOrderLocked(req.Order)}
				s.store.mu.RUnlock()
			}
		}
	case "customers":
		var req struct {
			Customer *Customer `json:"customer"`
		}
		if err = dec.Decode(&req); err == nil && req.Customer == nil {
			err = errors.New("missing customer")
		}
		if err == nil {
			if err = s.store.addCustomer(req.Customer, true); err == nil {
				s.store.mu.RLock()
				out = map[string]any{"customer": s.restCustomerLocked(req.Customer)}
				s.store.mu.RUnlock()
			}
		}
	}
	var inv *errInvalidRecord
	switch {
	case errors.As(err, &inv):
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"errors": map[string][]string{inv.field: {inv.msg}}})
	case err != nil:
		writeJSON(w, http.StatusBadRequest, map[string]any{"errors": map[string][]string{strings.TrimSuffix(kind, "s"): {"Required parameter missing or invalid"}}})
	default:
		writeJSON(w, http.StatusCreated, out)
	}
}

// handleREST serves the legacy REST routes the sandbox keeps: create
// (POST orders.json, customers.json) and show (GET orders/{id}.json,
// customers/{id}.json), with the REST call-limit header.
func (s *Server) handleREST(w http.ResponseWriter, r *http.Request, kind, id string, body []byte) {
	now := s.opts.Now()
	ok, st := s.restLimit.take(now, 1)
	w.Header().Set("X-Shopify-Shop-Api-Call-Limit", fmt.Sprintf("%d/%d", int(st.MaximumAvailable-st.CurrentlyAvailable+0.5), int(st.MaximumAvailable)))
	if !ok {
		w.Header().Set("Retry-After", "2.0")
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."})
		return
	}
	scope := "read_orders"
	if kind == "customers" {
		scope = "read_customers"
	}
	switch {
	case r.Method == http.MethodPost && id == "":
		if kind == "orders" {
			scope = "write_orders"
		} else {
			scope = "write_customers"
		}
		if !s.hasScope(scope) {
			writeJSON(w, http.StatusForbidden, map[string]any{"errors": "[API] This action requires merchant approval for " + scope + " scope."})
			return
		}
		s.create(w, kind, body)
	case r.Method == http.MethodGet && id != "":
		if !s.hasScope(scope) {
			writeJSON(w, http.StatusForbidden, map[string]any{"errors": "[API] This action requires merchant approval for " + scope + " scope."})
			return
		}
		rec, found := s.Lookup(strings.TrimSuffix(kind, "s"), id)
		if !found {
			writeJSON(w, http.StatusNotFound, map[string]any{"errors": "Not Found"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{strings.TrimSuffix(kind, "s"): rec})
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"errors": "Not Found"})
	}
}

// restOrderLocked renders an order as REST does (customer embedded).
func (s *Server) restOrderLocked(o *Order) map[string]any {
	cp := snapshot(o)
	b, _ := json.Marshal(cp)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	m["admin_graphql_api_id"] = gid("Order", o.ID)
	m["number"] = o.OrderNumber - 1000
	if o.Customer != nil {
		if c := s.store.customerLocked(o.Customer.ID); c != nil {
			m["customer"] = s.restCustomerLocked(c)
		}
	}
	return m
}

// restCustomerLocked renders a customer as REST does (with counters).
func (s *Server) restCustomerLocked(c *Customer) map[string]any {
	b, _ := json.Marshal(c)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	n, spent := s.store.customerStatsLocked(c.ID)
	m["orders_count"] = n
	m["total_spent"] = spent
	m["currency"] = s.store.currency
	m["admin_graphql_api_id"] = gid("Customer", c.ID)
	if c.DefaultAddress != nil {
		m["addresses"] = []any{m["default_address"]}
	} else {
		m["addresses"] = []any{}
	}
	return m
}
