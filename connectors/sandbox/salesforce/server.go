package salesforce

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/connectors/sandbox"
)

// Options configure a sandbox org. Zero values mean the defaults in brackets.
type Options struct {
	// Seed is a JSON object of records per object type ({"Contact":[...]});
	// nil loads the embedded fictional org.
	Seed io.Reader
	// Now is the clock [time.Now].
	Now func() time.Time
	// TokenTTL is the session lifetime; older tokens get 401
	// INVALID_SESSION_ID [2h, Salesforce's default session timeout].
	TokenTTL time.Duration
	// ClientID and ClientSecret are the External Client App's consumer key
	// and secret [fictional values].
	ClientID, ClientSecret string
	// Username is the pre-authorized user of the JWT bearer flow
	// [integration@initech.example.com].
	Username string
	// JWTPublicKey verifies JWT bearer assertions (the certificate uploaded
	// to the app). nil: a key pair is generated on the first call to
	// JWTCredentials.
	JWTPublicKey *rsa.PublicKey
	// Audiences are the accepted "aud" values of assertions
	// [https://login.salesforce.com, https://test.salesforce.com and the
	// sandbox's own base URL].
	Audiences []string
	// DailyLimit is the org's rolling API allowance; past it every call is
	// 403 REQUEST_LIMIT_EXCEEDED [100000].
	DailyLimit int
	// BurstLimit is reported as the api-bursts allowance in
	// Sforce-Limit-Info (requests in the current minute) [750]. The sandbox
	// reports it only; it does not enforce it.
	BurstLimit int
	// PageSize caps query pages (Sforce-Query-Options batchSize can lower
	// it, never below 200 as on Salesforce) [2000]; tests set it small to
	// page through a few records.
	PageSize int
	// MaxHang bounds the hang fault [30s].
	MaxHang time.Duration
}

// Server is an in-process Salesforce org speaking the REST API's wire
// format. Safe for concurrent use.
type Server struct {
	opts   Options
	now    func() time.Time
	faults sandbox.Faults
	rec    sandbox.Recorder

	mu       sync.Mutex
	st       *store
	baseURL  string
	tokens   map[string]session
	cursors  map[string][]*object
	curOrder []string
	usage    int
	window   []time.Time
	jwtKey   *rsa.PrivateKey
	orgID    string
	userID   string
}

type session struct {
	expiry time.Time
	user   string
}

// MinVersion and MaxVersion bound the API versions served: below 31.0 is
// retired (410), above the current release does not exist yet (404).
const (
	MinVersion = 31
	MaxVersion = 68
)

// New builds a sandbox org.
func New(opts Options) (*Server, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = 2 * time.Hour
	}
	if opts.ClientID == "" {
		opts.ClientID = "3MVG9SandboxInitechConsumerKey.example"
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = "SANDBOX0SECRET0INITECH0EXAMPLE0000000001"
	}
	if opts.Username == "" {
		opts.Username = "integration@initech.example.com"
	}
	if opts.DailyLimit <= 0 {
		opts.DailyLimit = 100000
	}
	if opts.BurstLimit <= 0 {
		opts.BurstLimit = 750
	}
	if opts.PageSize <= 0 || opts.PageSize > 2000 {
		opts.PageSize = 2000
	}
	if opts.MaxHang <= 0 {
		opts.MaxHang = 30 * time.Second
	}
	if len(opts.Audiences) == 0 {
		opts.Audiences = []string{"https://login.salesforce.com", "https://test.salesforce.com"}
	}
	st, err := newStore(newSchema(), opts.Seed, opts.Now)
	if err != nil {
		return nil, err
	}
	return &Server{
		opts: opts, now: opts.Now, st: st, baseURL: "https://initech.my.salesforce.com",
		tokens: map[string]session{}, cursors: map[string][]*object{},
		orgID: withChecksum("00DRO0000000Ini"), userID: withChecksum("005RO0000IntUsr"),
	}, nil
}

// SetBaseURL makes instance_url (and the JWT audience list) point at u.
func (s *Server) SetBaseURL(u string) {
	s.mu.Lock()
	s.baseURL = strings.TrimRight(u, "/")
	s.mu.Unlock()
}

// Faults are the fault knobs, also served at /_sandbox/faults.
func (s *Server) Faults() *sandbox.Faults { return &s.faults }

// Requests returns the API requests received (token requests excluded).
func (s *Server) Requests() []sandbox.Request { return s.rec.Requests() }

// ClearRequests forgets the recorded requests.
func (s *Server) ClearRequests() { s.rec.Clear() }

// Credentials are valid client-credentials secrets for the default auth mode.
func (s *Server) Credentials() connectors.Credentials {
	return connectors.Credentials{"client_id": s.opts.ClientID, "client_secret": s.opts.ClientSecret}
}

// JWTCredentials are valid jwt_bearer secrets. Unless Options carried a
// public key, the first call generates the app's key pair.
func (s *Server) JWTCredentials() (connectors.Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.jwtKey == nil {
		if s.opts.JWTPublicKey != nil {
			return nil, fmt.Errorf("the sandbox was given a public key; bring the matching private key")
		}
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, err
		}
		s.jwtKey = k
	}
	der, err := x509.MarshalPKCS8PrivateKey(s.jwtKey)
	if err != nil {
		return nil, err
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	return connectors.Credentials{"client_id": s.opts.ClientID, "username": s.opts.Username, "private_key": string(pemKey)}, nil
}

// Lookup returns a stored record as GET /sobjects/{type}/{id} shows it.
// resource is a catalog resource name ("case") or an object name ("Case").
func (s *Server) Lookup(resource, id string) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	obj, ok := s.st.schema.object(strings.ReplaceAll(resource, "_", ""))
	if !ok {
		return nil, false
	}
	rec, ok := s.st.get(obj, id)
	if !ok {
		return nil, false
	}
	return s.st.full(obj, rec, nil, fmt.Sprintf("v%d.0", MaxVersion-2)).plain(), true
}

// Usage reports the API calls counted against the daily allowance.
func (s *Server) Usage() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.usage
}

// SetUsage sets the calls already counted (tests exhaust the allowance).
func (s *Server) SetUsage(n int) {
	s.mu.Lock()
	s.usage = n
	s.mu.Unlock()
}

// ServeHTTP serves the token endpoint, /services/data and the fault knobs.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case p == "/_sandbox/faults":
		s.faults.ControlHandler().ServeHTTP(w, r)
	case p == "/services/oauth2/token":
		s.token(w, r)
	case p == "/services/data" || p == "/services/data/":
		if r.Method != http.MethodGet {
			sfError(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "HTTP Method '"+r.Method+"' not allowed. Allowed are GET")
			return
		}
		s.versions(w)
	case strings.HasPrefix(p, "/services/data/v"):
		s.api(w, r)
	default:
		sfError(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	w.Write(b)
}

// sfError writes Salesforce's REST error array.
func sfError(w http.ResponseWriter, status int, code, msg string, fields ...string) {
	e := newObject()
	e.set("message", msg)
	e.set("errorCode", code)
	if len(fields) > 0 {
		e.set("fields", fields)
	}
	writeJSON(w, status, []any{e})
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func (s *Server) versions(w http.ResponseWriter) {
	var out []map[string]string
	for v := MinVersion; v <= MaxVersion; v++ {
		out = append(out, map[string]string{"label": releaseLabel(v), "url": fmt.Sprintf("/services/data/v%d.0", v), "version": fmt.Sprintf("%d.0", v)})
	}
	writeJSON(w, http.StatusOK, out)
}

// releaseLabel names the release of an API version: three a year, v60.0
// being Spring '24.
func releaseLabel(v int) string {
	i := v - 60
	year := 24 + int(math.Floor(float64(i)/3))
	season := ((i % 3) + 3) % 3
	names := []string{"Spring", "Summer", "Winter"}
	if season == 2 {
		year++
	}
	return fmt.Sprintf("%s '%02d", names[season], year)
}

// token is POST /services/oauth2/token for the client credentials and JWT
// bearer grants. The username-password flow is retired and rejected.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		oauthError(w, http.StatusBadRequest, "invalid_request", "must use HTTP POST")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "could not parse the request body")
		return
	}
	switch gt := r.PostForm.Get("grant_type"); gt {
	case "":
		oauthError(w, http.StatusBadRequest, "invalid_request", "grant type is missing")
	case "client_credentials":
		id, secret, basic := r.BasicAuth()
		if !basic {
			id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		if id == "" {
			oauthError(w, http.StatusBadRequest, "invalid_client_id", "client identifier invalid")
			return
		}
		if subtle.ConstantTimeCompare([]byte(id), []byte(s.opts.ClientID)) != 1 ||
			subtle.ConstantTimeCompare([]byte(secret), []byte(s.opts.ClientSecret)) != 1 {
			oauthError(w, http.StatusBadRequest, "invalid_client", "invalid client credentials")
			return
		}
		s.issue(w, true)
	case "urn:ietf:params:oauth:grant-type:jwt-bearer":
		if err := s.verifyAssertion(r.PostForm.Get("assertion")); err != "" {
			oauthError(w, http.StatusBadRequest, "invalid_grant", err)
			return
		}
		s.issue(w, false)
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant type not supported")
	}
}

func (s *Server) issue(w http.ResponseWriter, clientCredentials bool) {
	raw := make([]byte, 24)
	rand.Read(raw)
	tok := s.orgID[:15] + "!" + base64.RawURLEncoding.EncodeToString(raw)
	now := s.now()
	s.mu.Lock()
	s.tokens[tok] = session{expiry: now.Add(s.opts.TokenTTL), user: s.userID}
	base := s.baseURL
	s.mu.Unlock()
	idURL := "https://login.salesforce.com/id/" + s.orgID + "/" + s.userID
	resp := newObject()
	resp.set("access_token", tok)
	if clientCredentials {
		issued := strconv.FormatInt(now.UnixMilli(), 10)
		mac := hmac.New(sha256.New, []byte(s.opts.ClientSecret))
		mac.Write([]byte(idURL + issued))
		resp.set("signature", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
		resp.set("token_format", "opaque")
		resp.set("scope", "api")
		resp.set("instance_url", base)
		resp.set("id", idURL)
		resp.set("token_type", "Bearer")
		resp.set("issued_at", issued)
	} else {
		resp.set("scope", "api id")
		resp.set("instance_url", base)
		resp.set("id", idURL)
		resp.set("token_type", "Bearer")
	}
	w.Header().Set("Cache-Control", "no-cache,must-revalidate,max-age=0,no-store,private")
	writeJSON(w, http.StatusOK, resp)
}

// verifyAssertion checks a JWT bearer assertion: RS256 only, signed by
// the app's key, iss = consumer key, sub = the pre-authorized user, aud =
// a login host, exp in the future and no more than a few minutes ahead.
// It returns the OAuth error description, or "".
func (s *Server) verifyAssertion(a string) string {
	parts := strings.Split(a, ".")
	if len(parts) != 3 {
		return "invalid assertion"
	}
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	cb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil {
		return "invalid assertion"
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	var claims struct {
		Iss string          `json:"iss"`
		Sub string          `json:"sub"`
		Aud json.RawMessage `json:"aud"`
		Exp json.Number     `json:"exp"`
	}
	if json.Unmarshal(hb, &hdr) != nil || json.Unmarshal(cb, &claims) != nil {
		return "invalid assertion"
	}
	if hdr.Alg != "RS256" {
		return "invalid assertion" // Salesforce supports RS256 only
	}
	s.mu.Lock()
	pub := s.opts.JWTPublicKey
	if pub == nil && s.jwtKey != nil {
		pub = &s.jwtKey.PublicKey
	}
	base := s.baseURL
	s.mu.Unlock()
	if pub == nil {
		return "invalid assertion"
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig) != nil {
		return "invalid assertion"
	}
	if claims.Iss != s.opts.ClientID {
		return "invalid client credentials"
	}
	if claims.Sub != s.opts.Username {
		return "user hasn't approved this consumer"
	}
	var auds []string
	var one string
	if json.Unmarshal(claims.Aud, &one) == nil {
		auds = []string{one}
	} else if json.Unmarshal(claims.Aud, &auds) != nil {
		return "audience is invalid"
	}
	okAud := false
	for _, a := range auds {
		for _, want := range append(append([]string(nil), s.opts.Audiences...), base) {
			okAud = okAud || strings.TrimRight(a, "/") == want
		}
	}
	if !okAud {
		return "audience is invalid"
	}
	exp, err := claims.Exp.Int64()
	now := s.now()
	if err != nil || time.Unix(exp, 0).Before(now.Add(-3*time.Minute)) {
		return "expired authorization code"
	}
	if time.Unix(exp, 0).After(now.Add(10 * time.Minute)) {
		return "invalid assertion"
	}
	return ""
}

// api serves /services/data/vNN.N/...: version check, faults, session,
// allowance, then the resource.
func (s *Server) api(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/services/data/")
	ver, tail, _ := strings.Cut(rest, "/")
	n, ok := parseVersion(ver)
	if !ok || n > MaxVersion {
		sfError(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	if n < MinVersion {
		sfError(w, http.StatusGone, "GONE", "The requested version of the API has been retired.")
		return
	}
	body := s.rec.Record(r)
	if kind, hit := s.faults.Next(r); hit {
		s.fault(w, r, kind)
		return
	}
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	sess, known := s.tokens[tok]
	if known && !s.now().Before(sess.expiry) {
		delete(s.tokens, tok)
		known = false
	}
	if !known {
		s.mu.Unlock()
		w.Header().Set("WWW-Authenticate", "Token")
		sfError(w, http.StatusUnauthorized, "INVALID_SESSION_ID", "Session expired or invalid")
		return
	}
	s.usage++
	now := s.now()
	s.window = append(s.window, now)
	for len(s.window) > 0 && now.Sub(s.window[0]) > time.Minute {
		s.window = s.window[1:]
	}
	over := s.usage > s.opts.DailyLimit
	w.Header().Set("Sforce-Limit-Info", fmt.Sprintf("api-usage=%d/%d; api-bursts=%d/%d", min(s.usage, s.opts.DailyLimit), s.opts.DailyLimit, len(s.window), s.opts.BurstLimit))
	s.mu.Unlock()
	if over {
		sfError(w, http.StatusForbidden, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
		return
	}
	version := "v" + ver[1:]
	segs := strings.Split(strings.Trim(tail, "/"), "/")
	switch {
	case tail == "" || tail == "/":
		s.resources(w, version)
	case segs[0] == "query" || segs[0] == "queryAll":
		switch {
		case r.Method != http.MethodGet:
			sfError(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "HTTP Method '"+r.Method+"' not allowed. Allowed are GET")
		case len(segs) == 1:
			s.query(w, r, version)
		case len(segs) == 2:
			s.nextPage(w, segs[1], version)
		default:
			sfError(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		}
	case segs[0] == "sobjects" && len(segs) == 2:
		if r.Method != http.MethodPost {
			sfError(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "HTTP Method '"+r.Method+"' not allowed. Allowed are HEAD,GET,POST")
			return
		}
		s.create(w, segs[1], body, version)
	case segs[0] == "sobjects" && len(segs) == 3:
		switch r.Method {
		case http.MethodGet:
			s.get(w, r, segs[1], segs[2], version)
		case http.MethodPatch:
			s.patch(w, segs[1], segs[2], body)
		default:
			sfError(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "HTTP Method '"+r.Method+"' not allowed. Allowed are HEAD,GET,PATCH,DELETE")
		}
	case segs[0] == "limits" && len(segs) == 1:
		s.mu.Lock()
		u := s.usage
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"DailyApiRequests": map[string]int{"Max": s.opts.DailyLimit, "Remaining": max(0, s.opts.DailyLimit-u)}})
	default:
		sfError(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
	}
}

func parseVersion(v string) (int, bool) {
	if !strings.HasPrefix(v, "v") {
		return 0, false
	}
	major, minor, ok := strings.Cut(v[1:], ".")
	n, err := strconv.Atoi(major)
	if !ok || err != nil || minor != "0" {
		return 0, false
	}
	return n, true
}

// fault renders an injected fault the way Salesforce would.
func (s *Server) fault(w http.ResponseWriter, r *http.Request, kind sandbox.Fault) {
	switch kind {
	case sandbox.ServerError:
		sfError(w, http.StatusInternalServerError, "UNKNOWN_EXCEPTION", "An unexpected error occurred. Please include this ErrorId if you contact support: 1853206-4452 (-1364563423)")
	case sandbox.RateLimit:
		sfError(w, http.StatusForbidden, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
	case sandbox.Unauthorized:
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		delete(s.tokens, tok) // the session is gone for good
		s.mu.Unlock()
		w.Header().Set("WWW-Authenticate", "Token")
		sfError(w, http.StatusUnauthorized, "INVALID_SESSION_ID", "Session expired or invalid")
	case sandbox.Malformed:
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.Write([]byte(`{"totalSize":1,"done":true,"records":[{"attributes":{"type":"Contact","url":"/services/data/v66.0/sobjects/Contact/003RO00000Y1abcYAB"},"Id":"003RO00000Y1abcYAB","Name":"Maya Oka`))
	case sandbox.Oversized:
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.Write([]byte(`{"totalSize":1,"done":true,"records":[{"attributes":{"type":"Case"},"Description":"`))
		chunk := []byte(strings.Repeat("x", 64<<10))
		for i := 0; i < 16*16; i++ { // 16 MiB
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		w.Write([]byte(`"}]}`))
	case sandbox.Hang:
		sandbox.HangUntilDone(r, s.opts.MaxHang)
		sfError(w, http.StatusServiceUnavailable, "SERVER_UNAVAILABLE", "Server unavailable")
	}
}

func (s *Server) resources(w http.ResponseWriter, version string) {
	base := "/services/data/" + version
	writeJSON(w, http.StatusOK, map[string]string{
		"limits": base + "/limits", "query": base + "/query", "queryAll": base + "/queryAll", "sobjects": base + "/sobjects",
	})
}

func (s *Server) query(w http.ResponseWriter, r *http.Request, version string) {
	q := r.URL.Query().Get("q")
	if q == "" {
		sfError(w, http.StatusBadRequest, "MALFORMED_QUERY", "A query string has to be specified")
		return
	}
	parsed, err := ParseSOQL(q)
	if err != nil {
		qe := err.(*QueryError)
		sfError(w, http.StatusBadRequest, qe.Code, qe.message(q))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	obj, ok := s.st.schema.object(parsed.From)
	if !ok {
		qe := &QueryError{"INVALID_TYPE", strings.Index(strings.ToLower(q), strings.ToLower(parsed.From)), fmt.Sprintf("sObject type '%s' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.", parsed.From)}
		sfError(w, http.StatusBadRequest, qe.Code, qe.message(q))
		return
	}
	c, qe := s.st.compile(parsed, obj, version)
	if qe != nil {
		sfError(w, http.StatusBadRequest, qe.Code, qe.message(q))
		return
	}
	rows := s.st.run(c, s.st.all(obj))
	size := s.opts.PageSize
	if opt := r.Header.Get("Sforce-Query-Options"); opt != "" {
		for _, kv := range strings.Split(opt, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
			if n, err := strconv.Atoi(v); strings.EqualFold(k, "batchSize") && err == nil {
				size = min(size, max(200, min(n, 2000)))
			}
		}
	}
	s.page(w, rows, 0, size, version, "")
}

// page writes rows[from:from+size] and keeps the rest behind a query locator.
func (s *Server) page(w http.ResponseWriter, rows []*object, from, size int, version, locator string) {
	end := min(len(rows), from+size)
	resp := newObject()
	resp.set("totalSize", len(rows))
	resp.set("done", end >= len(rows))
	if end < len(rows) {
		if locator == "" {
			raw := make([]byte, 6)
			rand.Read(raw)
			locator = "01gRO" + strings.ToUpper(hex.EncodeToString(raw))[:10] + "AAA"
			s.cursors[locator] = rows
			s.curOrder = append(s.curOrder, locator)
			if len(s.curOrder) > 1000 { // locators expire; keep memory bounded
				delete(s.cursors, s.curOrder[0])
				s.curOrder = s.curOrder[1:]
			}
		}
		resp.set("nextRecordsUrl", fmt.Sprintf("/services/data/%s/query/%s-%d", version, locator, end))
	}
	page := rows[from:end]
	if page == nil {
		page = []*object{}
	}
	resp.set("records", page)
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) nextPage(w http.ResponseWriter, seg, version string) {
	i := strings.LastIndexByte(seg, '-')
	s.mu.Lock()
	defer s.mu.Unlock()
	var rows []*object
	from := -1
	if i > 0 {
		rows = s.cursors[seg[:i]]
		from, _ = strconv.Atoi(seg[i+1:])
	}
	if rows == nil || from <= 0 || from >= len(rows) {
		sfError(w, http.StatusBadRequest, "INVALID_QUERY_LOCATOR", "invalid query locator")
		return
	}
	s.page(w, rows, from, s.opts.PageSize, version, seg[:i])
}

func (s *Server) sobject(w http.ResponseWriter, typ string) (*objectDef, bool) {
	obj, ok := s.st.schema.object(typ)
	if !ok {
		sfError(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
	}
	return obj, ok
}

// recordID validates an id in a URL path for obj.
func recordID(w http.ResponseWriter, obj *objectDef, id string) (string, bool) {
	canon, ok := NormalizeID(id)
	if !ok || !strings.HasPrefix(canon, obj.Prefix) {
		sfError(w, http.StatusBadRequest, "MALFORMED_ID", fmt.Sprintf("%s ID: id value of incorrect type: %s", obj.Name, id), "Id")
		return "", false
	}
	return canon, true
}

func (s *Server) get(w http.ResponseWriter, r *http.Request, typ, id, version string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	obj, ok := s.sobject(w, typ)
	if !ok {
		return
	}
	canon, ok := recordID(w, obj, id)
	if !ok {
		return
	}
	var fields []*fieldDef
	if list := r.URL.Query().Get("fields"); list != "" {
		for _, name := range strings.Split(list, ",") {
			f, ok := obj.field(strings.TrimSpace(name))
			if !ok || !f.Query {
				sfError(w, http.StatusBadRequest, "INVALID_FIELD", fmt.Sprintf("No such column '%s' on sobject of type %s", strings.TrimSpace(name), obj.Name))
				return
			}
			fields = append(fields, f)
		}
	}
	rec, ok := s.st.get(obj, canon)
	if !ok {
		sfError(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	writeJSON(w, http.StatusOK, s.st.full(obj, rec, fields, version))
}

func decodeBody(w http.ResponseWriter, body []byte) (map[string]any, bool) {
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		sfError(w, http.StatusBadRequest, "JSON_PARSER_ERROR", "Unexpected character or end of input in the request body")
		return nil, false
	}
	return m, true
}

func (s *Server) patch(w http.ResponseWriter, typ, id string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	obj, ok := s.sobject(w, typ)
	if !ok {
		return
	}
	canon, ok := recordID(w, obj, id)
	if !ok {
		return
	}
	m, ok := decodeBody(w, body)
	if !ok {
		return
	}
	rec, ok := s.st.get(obj, canon)
	if !ok {
		sfError(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	staged := make(map[string]any, len(rec))
	for k, v := range rec {
		staged[k] = v
	}
	comment, werr := s.st.apply(obj, staged, m, false)
	if werr != nil {
		sfError(w, werr.status, werr.code, werr.msg, werr.fields...)
		return
	}
	for k, v := range staged {
		rec[k] = v
	}
	if comment != "" {
		s.addComment(canon, comment)
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) addComment(caseID, body string) {
	cc, _ := s.st.schema.object("CaseComment")
	now := s.now().UTC().Format(sfTimeLayout)
	rec := map[string]any{"Id": s.st.newID(cc), "ParentId": caseID, "IsPublished": false, "CommentBody": body,
		"CreatedDate": now, "LastModifiedDate": now, "OwnerId": defaultOwner}
	s.st.put(cc, rec)
}

func (s *Server) create(w http.ResponseWriter, typ string, body []byte, version string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	obj, ok := s.sobject(w, typ)
	if !ok {
		return
	}
	m, ok := decodeBody(w, body)
	if !ok {
		return
	}
	if _, has := m["Id"]; has {
		sfError(w, http.StatusBadRequest, "INVALID_FIELD_FOR_INSERT_UPDATE", "Unable to create/update fields: Id. Please check the security settings of this field and verify that it is read/write for your profile or permission set.", "Id")
		return
	}
	rec := map[string]any{}
	comment, werr := s.st.apply(obj, rec, m, true)
	if werr != nil {
		sfError(w, werr.status, werr.code, werr.msg, werr.fields...)
		return
	}
	id := s.st.newID(obj)
	rec["Id"] = id
	if obj.auto != "" {
		rec[obj.auto] = s.st.nextAuto(obj)
	}
	if obj.Name == "Order" && rec["TotalAmount"] == nil {
		rec["TotalAmount"] = 0.0
	}
	if obj.Name == "CaseComment" && rec["IsPublished"] == nil {
		rec["IsPublished"] = false
	}
	s.st.put(obj, rec)
	if comment != "" {
		s.addComment(id, comment)
	}
	resp := newObject()
	resp.set("id", id)
	resp.set("success", true)
	resp.set("errors", []any{})
	writeJSON(w, http.StatusCreated, resp)
}

var _ http.Handler = (*Server)(nil)
