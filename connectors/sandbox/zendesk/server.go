package zendesk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/connectors/sandbox"
)

// Options configure a sandbox. The zero value is a working sandbox on the
// embedded seed.
type Options struct {
	// Seed is a seed file (the shape of seed.json); nil means the embedded
	// default.
	Seed io.Reader
	// Now is the sandbox clock (token expiry, rate-limit windows,
	// timestamps of new records); nil means time.Now.
	Now func() time.Time
	// TokenTTL is the lifetime of OAuth access tokens when the token
	// request does not ask for one; 0 means one hour.
	TokenTTL time.Duration
	// RefreshTokenTTL is the lifetime of refresh tokens; 0 means 30 days.
	RefreshTokenTTL time.Duration
	// OmitExpiresIn leaves expires_in out of token responses (the
	// documented minimum response); tokens still expire after TokenTTL.
	OmitExpiresIn bool
	// RateLimit is the per-minute request allowance of the account; 0
	// means 700 (Enterprise); negative means unlimited.
	RateLimit int
	// TextPlain429 makes rate-limit answers text/plain, as some Zendesk
	// endpoints send them.
	TextPlain429 bool
	// ClientID and ClientSecret of the OAuth client; "" means generated.
	ClientID, ClientSecret string
	// APIToken is the legacy API token of the first admin; "" means
	// generated.
	APIToken string
}

// Search is one search query the sandbox received, as it parsed it.
type Search struct {
	Endpoint string // "search", "search/count", "search/export" or "users/search"
	Query    Query
}

// Server is the sandbox. Use it as an http.Handler.
type Server struct {
	now           func() time.Time
	tokenTTL      time.Duration
	refreshTTL    time.Duration
	omitExpiresIn bool
	clientID      string
	clientSecret  string
	apiToken      string
	adminID       int64
	adminEmail    string

	st      *store
	auth    *authState
	faults  sandbox.Faults
	rec     sandbox.Recorder
	limiter *minuteLimiter
	export  *minuteLimiter

	textPlain429 atomic.Bool

	mu       sync.Mutex
	baseURL  string
	searches []Search
}

// New builds a sandbox from opts.
func New(opts Options) (*Server, error) {
	st, err := loadSeed(opts.Seed)
	if err != nil {
		return nil, err
	}
	s := &Server{
		now: opts.Now, tokenTTL: opts.TokenTTL, refreshTTL: opts.RefreshTokenTTL, omitExpiresIn: opts.OmitExpiresIn,
		clientID: opts.ClientID, clientSecret: opts.ClientSecret, apiToken: opts.APIToken,
		st: st, auth: newAuthState(),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.tokenTTL <= 0 {
		s.tokenTTL = time.Hour
	}
	if s.refreshTTL <= 0 {
		s.refreshTTL = defaultRefreshTTL
	}
	if s.clientID == "" {
		s.clientID = "cxgate_sandbox_" + randomToken(6)
	}
	if s.clientSecret == "" {
		s.clientSecret = randomToken(32)
	}
	if s.apiToken == "" {
		s.apiToken = randomToken(30)
	}
	for _, id := range st.userIDs() {
		if st.users[id].Role == "admin" {
			s.adminID, s.adminEmail = id, st.users[id].Email
			break
		}
	}
	if s.adminID == 0 {
		return nil, errors.New("seed has no admin user (the OAuth client and API token act as the first admin)")
	}
	limit := opts.RateLimit
	if limit == 0 {
		limit = 700
	}
	s.limiter = newMinuteLimiter(limit, s.now)
	s.export = newMinuteLimiter(100, s.now)
	s.textPlain429.Store(opts.TextPlain429)
	return s, nil
}

// SetBaseURL sets the URL that record urls and pagination links point at.
// Until it is set, the sandbox uses the host each request came to.
func (s *Server) SetBaseURL(u string) {
	s.mu.Lock()
	s.baseURL = strings.TrimRight(u, "/")
	s.mu.Unlock()
}

// Faults returns the fault knobs (also served at /_sandbox/faults).
func (s *Server) Faults() *sandbox.Faults { return &s.faults }

// Requests returns the API and token requests received, oldest first.
// Token requests are kept without their body (it holds the client secret).
func (s *Server) Requests() []sandbox.Request { return s.rec.Requests() }

// ClearRequests forgets the recorded requests and searches.
func (s *Server) ClearRequests() {
	s.rec.Clear()
	s.mu.Lock()
	s.searches = nil
	s.mu.Unlock()
}

// Searches returns the search queries received, as parsed, oldest first.
func (s *Server) Searches() []Search {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Search(nil), s.searches...)
}

// Credentials returns a valid credential set for the default auth mode
// (OAuth client credentials).
func (s *Server) Credentials() connectors.Credentials {
	return connectors.Credentials{"client_id": s.clientID, "client_secret": s.clientSecret}
}

// APITokenCredentials returns a valid credential set for the legacy
// api_token mode.
func (s *Server) APITokenCredentials() connectors.Credentials {
	return connectors.Credentials{"email": s.adminEmail, "api_token": s.apiToken}
}

// SetTextPlain429 switches rate-limit bodies between JSON and text/plain.
func (s *Server) SetTextPlain429(on bool) { s.textPlain429.Store(on) }

// ExpireTokens makes every issued access token expired (refresh tokens
// stay valid), as if their lifetime had passed.
func (s *Server) ExpireTokens() {
	a := s.auth
	a.mu.Lock()
	for _, t := range a.access {
		t.expires = time.Time{}
	}
	a.mu.Unlock()
}

// TokenStats reports how many access tokens the token endpoint issued in
// total and how many of those came from a refresh grant.
func (s *Server) TokenStats() (issued, refreshed int) {
	a := s.auth
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.issued, a.refreshd
}

// Lookup returns the stored record in vendor shape: resource "ticket",
// "ticket_comment", "user" or "organization"; id in decimal.
func (s *Server) Lookup(resource, id string) (map[string]any, bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil, false
	}
	base := s.base(nil)
	s.st.mu.RLock()
	defer s.st.mu.RUnlock()
	switch resource {
	case "ticket":
		if t := s.st.tickets[n]; t != nil {
			return toMap(s.renderTicket(t, base), ""), true
		}
	case "user":
		if u := s.st.users[n]; u != nil {
			return toMap(s.renderUser(u, base), ""), true
		}
	case "organization":
		if o := s.st.orgs[n]; o != nil {
			return toMap(s.renderOrg(o, base), ""), true
		}
	case "ticket_comment":
		for _, cs := range s.st.comments {
			for _, c := range cs {
				if c.ID == n {
					return toMap(*c, ""), true
				}
			}
		}
	}
	return nil, false
}

func (s *Server) base(r *http.Request) string {
	s.mu.Lock()
	b := s.baseURL
	s.mu.Unlock()
	if b != "" || r == nil {
		if b == "" {
			return "https://globex.zendesk.example"
		}
		return b
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) renderTicket(t *Ticket, base string) Ticket {
	cp := *t
	cp.URL = base + "/api/v2/tickets/" + idStr(t.ID) + ".json"
	return cp
}

func (s *Server) renderUser(u *User, base string) User {
	cp := *u
	cp.URL = base + "/api/v2/users/" + idStr(u.ID) + ".json"
	return cp
}

func (s *Server) renderOrg(o *Organization, base string) Organization {
	cp := *o
	cp.URL = base + "/api/v2/organizations/" + idStr(o.ID) + ".json"
	return cp
}

// toMap turns a vendor struct into its JSON tree, adding result_type when
// given (search results carry it).
func toMap(v any, resultType string) map[string]any {
	b, _ := json.Marshal(v)
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	_ = dec.Decode(&m)
	if resultType != "" {
		m["result_type"] = resultType
	}
	return m
}

// ServeHTTP serves Zendesk's wire format, the OAuth token endpoint and the
// fault control endpoint.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case path == "/_sandbox/faults":
		s.faults.ControlHandler().ServeHTTP(w, r)
		return
	case path == "/oauth/tokens" || path == "/oauth/tokens.json":
		rr := r.Clone(r.Context())
		rr.Body = http.NoBody
		s.rec.Record(rr)
		s.handleToken(w, r)
		return
	case !strings.HasPrefix(path, "/api/v2/"):
		errInvalidEndpoint(w)
		return
	}
	// Read the whole body for the handler; the recorder keeps at most
	// sandbox.MaxRecordedBody of it.
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	r.Body.Close()
	if err != nil {
		errBadRequest(w, "The request body could not be read.")
		return
	}
	rr := r.Clone(r.Context())
	rr.Body = io.NopCloser(bytes.NewReader(body))
	s.rec.Record(rr)
	r.Body = io.NopCloser(bytes.NewReader(body))
	segs := strings.Split(strings.Trim(strings.TrimPrefix(path, "/api/v2/"), "/"), "/")
	if n := len(segs); n > 0 {
		segs[n-1] = strings.TrimSuffix(segs[n-1], ".json")
	}
	isSearch := segs[0] == "search" || len(segs) > 1 && segs[0] == "users" && segs[1] == "search"

	fault, faulted := s.faults.Next(r)
	p, authed := s.authenticate(r)
	if faulted {
		// Marks deliberate misbehaviour, so spec validation can tell it
		// from a sandbox bug.
		w.Header().Set("X-Sandbox-Fault", string(fault))
		switch fault {
		case sandbox.Hang:
			sandbox.HangUntilDone(r, 2*time.Minute)
			errUnavailable(w, isSearch)
			return
		case sandbox.ServerError:
			errUnavailable(w, isSearch)
			return
		case sandbox.RateLimit:
			s.setLimitHeaders(w, 0)
			errRateLimited(w, s.faults.RetryAfter(), s.textPlain429.Load())
			return
		case sandbox.Unauthorized:
			if p.token != "" {
				s.auth.revoke(p.token)
			}
			errUnauthenticated(w)
			return
		}
	}
	if !authed {
		errUnauthenticated(w)
		return
	}
	remaining, ok, wait := s.limiter.take()
	if !ok {
		s.setLimitHeaders(w, 0)
		errRateLimited(w, wait, s.textPlain429.Load())
		return
	}
	s.setLimitHeaders(w, remaining)
	switch fault {
	case sandbox.Malformed:
		buf := &bufferedWriter{header: http.Header{}}
		s.route(buf, r, p, segs)
		b := buf.body.Bytes()
		if buf.status != http.StatusOK || len(b) < 4 {
			b = []byte(`{"ticket":{"id":1,"subject":"trunc`)
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(b[:len(b)/2])
		return
	case sandbox.Oversized:
		writeOversized(w)
		return
	}
	s.route(w, r, p, segs)
}

// maxRequestBody bounds what the sandbox reads of a request body.
const maxRequestBody = 8 << 20

// OversizedBytes is the size of the body the Oversized fault sends.
const OversizedBytes = 16 << 20

func writeOversized(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(OversizedBytes))
	w.WriteHeader(http.StatusOK)
	head := []byte(`{"ticket":{"id":1,"description":"`)
	tail := []byte(`"}}`)
	_, _ = w.Write(head)
	chunk := bytes.Repeat([]byte("a"), 64<<10)
	left := OversizedBytes - len(head) - len(tail)
	for left > 0 {
		n := min(left, len(chunk))
		if _, err := w.Write(chunk[:n]); err != nil {
			return
		}
		left -= n
	}
	_, _ = w.Write(tail)
}

type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header { return b.header }
func (b *bufferedWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}
func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

func (s *Server) setLimitHeaders(w http.ResponseWriter, remaining int) {
	limit := s.limiter.limit
	if limit < 0 {
		return
	}
	h := w.Header()
	h.Set("X-Rate-Limit", strconv.Itoa(limit))
	h.Set("X-Rate-Limit-Remaining", strconv.Itoa(remaining))
	h.Set("ratelimit-limit", strconv.Itoa(limit))
	h.Set("ratelimit-remaining", strconv.Itoa(remaining))
	h.Set("ratelimit-reset", strconv.Itoa(int(s.limiter.resetIn()/time.Second)))
}

// route dispatches an authenticated API request.
func (s *Server) route(w http.ResponseWriter, r *http.Request, p principal, segs []string) {
	get, put, post := r.Method == http.MethodGet, r.Method == http.MethodPut, r.Method == http.MethodPost
	n := len(segs)
	resource := segs[0]
	if resource == "search" {
		resource = ""
	}
	if !p.allowed(resource, !get) {
		errForbidden(w)
		return
	}
	switch {
	case segs[0] == "tickets" && n == 1 && get:
		s.listTickets(w, r)
	case segs[0] == "tickets" && n == 1 && post:
		s.createTicket(w, r, p)
	case segs[0] == "tickets" && n == 2 && segs[1] == "show_many" && get:
		s.showManyTickets(w, r)
	case segs[0] == "tickets" && n == 2 && get:
		s.showTicket(w, r, segs[1])
	case segs[0] == "tickets" && n == 2 && put:
		s.updateTicket(w, r, p, segs[1])
	case segs[0] == "tickets" && n == 3 && segs[2] == "comments" && get:
		s.listComments(w, r, segs[1])
	case segs[0] == "users" && n == 1 && post:
		s.createUser(w, r)
	case segs[0] == "users" && n == 2 && segs[1] == "search" && get:
		s.searchUsers(w, r)
	case segs[0] == "users" && n == 2 && get:
		s.showUser(w, r, segs[1])
	case segs[0] == "organizations" && n == 1 && post:
		s.createOrg(w, r)
	case segs[0] == "organizations" && n == 2 && get:
		s.showOrg(w, r, segs[1])
	case segs[0] == "search" && n == 1 && get:
		s.search(w, r)
	case segs[0] == "search" && n == 2 && segs[1] == "count" && get:
		s.searchCount(w, r)
	case segs[0] == "search" && n == 2 && segs[1] == "export" && get:
		s.searchExport(w, r)
	default:
		errInvalidEndpoint(w)
	}
}

// parseID reads a path id; Zendesk answers a non-numeric id with 404.
func parseID(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}

func (s *Server) recordSearch(endpoint string, q Query) {
	s.mu.Lock()
	s.searches = append(s.searches, Search{Endpoint: endpoint, Query: q})
	if len(s.searches) > 1000 {
		s.searches = s.searches[1:]
	}
	s.mu.Unlock()
}

func (s *Server) stamp() string { return s.now().UTC().Format(time.RFC3339) }

// decodeBody reads a JSON request body into v; the sandbox answers bad
// JSON with 400.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		errBadRequest(w, fmt.Sprintf("The request body is not valid JSON (%s).", jsonErrKind(err)))
		return false
	}
	return true
}

func jsonErrKind(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "syntax error at byte " + strconv.FormatInt(se.Offset, 10)
	case errors.As(err, &te):
		return "wrong type for " + te.Field
	case errors.Is(err, io.EOF):
		return "empty body"
	}
	return "unreadable"
}
