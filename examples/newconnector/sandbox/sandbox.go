package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/connectors/sandbox"
)

// Options configure the sandbox.
type Options struct {
	Now      func() time.Time // [time.Now]
	TokenTTL time.Duration    // [1h]
	MaxHang  time.Duration    // bound of the hang fault [30s]
}

// Server is the fake Hearth CRM. Safe for concurrent use.
type Server struct {
	opts   Options
	faults sandbox.Faults
	rec    sandbox.Recorder

	mu     sync.Mutex
	tokens map[string]time.Time
	recs   map[string]map[string]any
	order  []string
	next   int
}

const (
	clientID     = "hearth-sandbox-client"
	clientSecret = "hearth-sandbox-secret-0000000000000001"
)

// New starts with a small fictional customer base.
func New(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = time.Hour
	}
	if opts.MaxHang <= 0 {
		opts.MaxHang = 30 * time.Second
	}
	s := &Server{opts: opts, tokens: map[string]time.Time{}, recs: map[string]map[string]any{}, next: 1000}
	for _, c := range seed() {
		s.put(c)
	}
	return s
}

func seed() []map[string]any {
	return []map[string]any{
		{"id": "cus_1001", "name": "Maya Okafor", "email": "maya.okafor@example.com", "phone": "+1 503 555 0142",
			"tier": "gold", "vip": true, "notes": "Prefers email.", "closed_at": nil,
			"address":        map[string]any{"city": "Portland", "postcode": "97201", "street": "44 Harbor Lane"},
			"tags":           []any{"wholesale", "newsletter"},
			"orders":         []any{map[string]any{"number": "H-5001", "total": 84.5, "status": "shipped"}, map[string]any{"number": "H-5002", "total": 12.0, "status": "open"}},
			"internal_score": 87},
		{"id": "cus_1002", "name": "Zoë Ångström", "email": "zoe.angstrom@example.org", "phone": "+44 20 7946 0958",
			"tier": "silver", "vip": false, "notes": "Spricht Deutsch — 日本語も可 🎉", "closed_at": nil,
			"address": map[string]any{"city": "Göteborg", "postcode": "411 19", "street": "Kungsgatan 7"},
			"tags":    []any{}, "orders": []any{}, "internal_score": 42},
		{"id": "cus_1003", "name": "Lars Eriksen", "email": "lars.eriksen@example.com", "phone": nil,
			"tier": nil, "vip": false, "notes": nil, "closed_at": "2026-10-01T09:00:00Z",
			"address": nil, "tags": []any{"churned"}, "orders": []any{}, "internal_score": 3},
		{"id": "cus_1004", "name": "Maya Okafor", "email": "maya.okafor@example.com", "phone": "+1 503 555 0199",
			"tier": "bronze", "vip": false, "notes": "Second account.", "closed_at": nil,
			"address": map[string]any{"city": "Salem", "postcode": "97301", "street": "1 Court St"},
			"tags":    []any{}, "orders": []any{}, "internal_score": 10},
	}
}

func (s *Server) put(c map[string]any) {
	id := c["id"].(string)
	if _, ok := s.recs[id]; !ok {
		s.order = append(s.order, id)
	}
	s.recs[id] = c
}

// Faults are the fault knobs (also at /_sandbox/faults).
func (s *Server) Faults() *sandbox.Faults { return &s.faults }

// Requests are the API requests received (token requests excluded).
func (s *Server) Requests() []sandbox.Request { return s.rec.Requests() }

// Credentials are valid client credentials.
func (s *Server) Credentials() connectors.Credentials {
	return connectors.Credentials{"client_id": clientID, "client_secret": clientSecret}
}

// Lookup returns a stored customer.
func (s *Server) Lookup(resource, id string) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.recs[id]
	return c, ok && resource == "customer"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func apiError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// ServeHTTP serves Hearth's API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/_sandbox/faults":
		s.faults.ControlHandler().ServeHTTP(w, r)
	case r.URL.Path == "/oauth/token" && r.Method == http.MethodPost:
		s.token(w, r)
	case strings.HasPrefix(r.URL.Path, "/api/v1/customers"):
		s.api(w, r)
	default:
		apiError(w, http.StatusNotFound, "not_found", "No such endpoint.")
	}
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	var req struct {
		GrantType    string `json:"grant_type"`
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	if req.GrantType != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	if req.ClientID != clientID || req.ClientSecret != clientSecret {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	raw := make([]byte, 16)
	rand.Read(raw)
	tok := "hth_" + hex.EncodeToString(raw)
	s.mu.Lock()
	s.tokens[tok] = s.opts.Now().Add(s.opts.TokenTTL)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "bearer", "expires_in": int(s.opts.TokenTTL.Seconds())})
}

func (s *Server) api(w http.ResponseWriter, r *http.Request) {
	body := s.rec.Record(r)
	if f, hit := s.faults.Next(r); hit {
		s.fault(w, r, f)
		return
	}
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	defer s.mu.Unlock()
	if exp, ok := s.tokens[tok]; !ok || !s.opts.Now().Before(exp) {
		apiError(w, http.StatusUnauthorized, "token_expired", "The access token expired; request a new one.")
		return
	}
	id := strings.Trim(strings.TrimPrefix(r.URL.Path, "/api/v1/customers"), "/")
	fields := r.URL.Query().Get("fields")
	switch {
	case id == "" && r.Method == http.MethodGet:
		email := r.URL.Query().Get("email")
		if email == "" {
			apiError(w, http.StatusBadRequest, "invalid_filter", "Filter by email is required.")
			return
		}
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		if limit <= 0 || limit > 100 {
			limit = 100
		}
		var out []any
		for _, k := range s.order {
			if c := s.recs[k]; strings.EqualFold(fmt.Sprint(c["email"]), email) && len(out) < limit {
				out = append(out, pick(c, fields))
			}
		}
		if out == nil {
			out = []any{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"customers": out})
	case id == "" && r.Method == http.MethodPost:
		var req struct {
			Customer map[string]any `json:"customer"`
		}
		if json.Unmarshal(body, &req) != nil || req.Customer == nil {
			apiError(w, http.StatusUnprocessableEntity, "invalid_body", "Body must be {\"customer\":{...}}.")
			return
		}
		s.next++
		req.Customer["id"] = fmt.Sprintf("cus_%d", s.next)
		s.put(req.Customer)
		writeJSON(w, http.StatusCreated, map[string]any{"customer": req.Customer})
	case id != "" && r.Method == http.MethodGet:
		c, ok := s.recs[id]
		if !ok {
			apiError(w, http.StatusNotFound, "not_found", "Customer "+id+" does not exist.")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"customer": pick(c, fields)})
	case id != "" && r.Method == http.MethodPatch:
		c, ok := s.recs[id]
		if !ok {
			apiError(w, http.StatusNotFound, "not_found", "Customer "+id+" does not exist.")
			return
		}
		var req struct {
			Customer map[string]any `json:"customer"`
		}
		if json.Unmarshal(body, &req) != nil || req.Customer == nil {
			apiError(w, http.StatusUnprocessableEntity, "invalid_body", "Body must be {\"customer\":{...}}.")
			return
		}
		for k, v := range req.Customer {
			if k != "notes" && k != "tier" {
				apiError(w, http.StatusUnprocessableEntity, "read_only", "Field "+k+" cannot be changed.")
				return
			}
			c[k] = v
		}
		writeJSON(w, http.StatusOK, map[string]any{"customer": pick(c, fields)})
	default:
		apiError(w, http.StatusMethodNotAllowed, "method_not_allowed", "Method not allowed.")
	}
}

// pick keeps the top-level fields named in list (all when empty): Hearth
// supports sparse fieldsets, so the connector asks only for what it needs.
func pick(c map[string]any, list string) map[string]any {
	if list == "" {
		return c
	}
	out := map[string]any{}
	for _, f := range strings.Split(list, ",") {
		if v, ok := c[f]; ok {
			out[f] = v
		}
	}
	return out
}

func (s *Server) fault(w http.ResponseWriter, r *http.Request, f sandbox.Fault) {
	switch f {
	case sandbox.ServerError:
		apiError(w, http.StatusServiceUnavailable, "unavailable", "Hearth is down for maintenance, please retry later.")
	case sandbox.RateLimit:
		w.Header().Set("Retry-After", strconv.Itoa(int(s.faults.RetryAfter().Seconds())))
		apiError(w, http.StatusTooManyRequests, "rate_limited", "Too many requests for this client, slow down.")
	case sandbox.Unauthorized:
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		delete(s.tokens, tok)
		s.mu.Unlock()
		apiError(w, http.StatusUnauthorized, "token_expired", "The access token expired; request a new one.")
	case sandbox.Malformed:
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"customer":{"id":"cus_1001","name":"Maya Oka`))
	case sandbox.Oversized:
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"customer":{"notes":"`))
		chunk := []byte(strings.Repeat("x", 64<<10))
		for i := 0; i < 256; i++ {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		w.Write([]byte(`"}}`))
	case sandbox.Hang:
		sandbox.HangUntilDone(r, s.opts.MaxHang)
		apiError(w, http.StatusServiceUnavailable, "unavailable", "Timed out.")
	}
}
