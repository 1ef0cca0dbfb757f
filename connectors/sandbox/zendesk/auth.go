package zendesk

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Token lifetimes Zendesk allows a client to ask for (reference §2.2).
const (
	minExpiresIn        = 300
	maxExpiresIn        = 172800
	minRefreshExpiresIn = 604800
	maxRefreshExpiresIn = 7776000
	defaultRefreshTTL   = 30 * 24 * time.Hour
)

type accessToken struct {
	expires time.Time
	scopes  []string
	refresh string // the refresh token issued with it; both die together
}

type refreshToken struct {
	expires time.Time
	scopes  []string
	access  string
}

// authState holds issued OAuth tokens. Tokens are random, so a test can
// search logs for them.
type authState struct {
	mu       sync.Mutex
	access   map[string]*accessToken
	refresh  map[string]*refreshToken
	issued   int
	refreshd int
}

func newAuthState() *authState {
	return &authState{access: map[string]*accessToken{}, refresh: map[string]*refreshToken{}}
}

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func equalSecret(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// principal is who a request acts as.
type principal struct {
	userID int64
	scopes []string // nil: a Basic credential, which can do what its user can
	token  string   // the bearer token presented, if any
}

type tokenRequest struct {
	GrantType             string `json:"grant_type"`
	ClientID              string `json:"client_id"`
	ClientSecret          string `json:"client_secret"`
	Scope                 string `json:"scope"`
	RefreshToken          string `json:"refresh_token"`
	ExpiresIn             *int64 `json:"expires_in"`
	RefreshTokenExpiresIn *int64 `json:"refresh_token_expires_in"`
	Code                  string `json:"code"`
	RedirectURI           string `json:"redirect_uri"`
	CodeVerifier          string `json:"code_verifier"`
}

var knownScopes = map[string]bool{"read": true, "write": true, "impersonate": true}

var scopeResources = map[string]bool{
	"tickets": true, "users": true, "auditlogs": true, "organizations": true, "hc": true, "apps": true,
	"triggers": true, "automations": true, "targets": true, "webhooks": true,
}

func validScope(s string) bool {
	if knownScopes[s] {
		return true
	}
	res, act, ok := strings.Cut(s, ":")
	return ok && scopeResources[res] && (act == "read" || act == "write")
}

// handleToken is POST /oauth/tokens. The body must be JSON (the OAS says
// so); a form-encoded body is rejected as an invalid request.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		errInvalidEndpoint(w)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		errOAuth(w, http.StatusBadRequest, "invalid_request", "The request body could not be read.")
		return
	}
	var req tokenRequest
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || json.Unmarshal(body, &req) != nil {
		errOAuth(w, http.StatusBadRequest, "invalid_request",
			"The request is missing a required parameter, includes an unsupported parameter value, or is otherwise malformed.")
		return
	}
	clientOK := equalSecret(req.ClientID, s.clientID) && equalSecret(req.ClientSecret, s.clientSecret)
	switch req.GrantType {
	case "client_credentials":
		if !clientOK {
			errOAuth(w, http.StatusUnauthorized, "invalid_client",
				"Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.")
			return
		}
		scopes := strings.Fields(req.Scope)
		if len(scopes) == 0 {
			errOAuth(w, http.StatusBadRequest, "invalid_scope", "The requested scope is invalid, unknown, or malformed.")
			return
		}
		for _, sc := range scopes {
			if !validScope(sc) {
				errOAuth(w, http.StatusBadRequest, "invalid_scope", "The requested scope is invalid, unknown, or malformed.")
				return
			}
		}
		s.issueToken(w, scopes, req.ExpiresIn, req.RefreshTokenExpiresIn)
	case "refresh_token":
		if !clientOK {
			errOAuth(w, http.StatusUnauthorized, "invalid_client",
				"Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.")
			return
		}
		a := s.auth
		a.mu.Lock()
		rt, ok := a.refresh[req.RefreshToken]
		if ok {
			// Rotation: the old pair dies whether or not the new one arrives.
			delete(a.refresh, req.RefreshToken)
			delete(a.access, rt.access)
		}
		a.mu.Unlock()
		if !ok || !s.now().Before(rt.expires) {
			errOAuth(w, http.StatusBadRequest, "invalid_grant",
				"The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.")
			return
		}
		a.mu.Lock()
		a.refreshd++
		a.mu.Unlock()
		s.issueToken(w, rt.scopes, req.ExpiresIn, req.RefreshTokenExpiresIn)
	case "authorization_code", "password", "implicit":
		// Authorization code needs a browser; password and implicit were
		// removed in 2025. None of them has a place in a server integration.
		errOAuth(w, http.StatusBadRequest, "unsupported_grant_type",
			"The authorization grant type is not supported by the authorization server.")
	default:
		errOAuth(w, http.StatusBadRequest, "invalid_request",
			"The request is missing a required parameter, includes an unsupported parameter value, or is otherwise malformed.")
	}
}

func (s *Server) issueToken(w http.ResponseWriter, scopes []string, expiresIn, refreshExpiresIn *int64) {
	ttl := s.tokenTTL
	if expiresIn != nil {
		if *expiresIn <= minExpiresIn || *expiresIn >= maxExpiresIn {
			errOAuth(w, http.StatusBadRequest, "invalid_request", "expires_in must be between 300 and 172800 seconds.")
			return
		}
		ttl = time.Duration(*expiresIn) * time.Second
	}
	rttl := s.refreshTTL
	if refreshExpiresIn != nil {
		if *refreshExpiresIn < minRefreshExpiresIn || *refreshExpiresIn > maxRefreshExpiresIn {
			errOAuth(w, http.StatusBadRequest, "invalid_request", "refresh_token_expires_in must be between 604800 and 7776000 seconds.")
			return
		}
		rttl = time.Duration(*refreshExpiresIn) * time.Second
	}
	now := s.now()
	at, rt := randomToken(24), randomToken(24)
	a := s.auth
	a.mu.Lock()
	a.access[at] = &accessToken{expires: now.Add(ttl), scopes: scopes, refresh: rt}
	a.refresh[rt] = &refreshToken{expires: now.Add(rttl), scopes: scopes, access: at}
	a.issued++
	a.mu.Unlock()
	resp := map[string]any{
		"access_token":             at,
		"token_type":               "bearer",
		"scope":                    strings.Join(scopes, " "),
		"refresh_token":            rt,
		"refresh_token_expires_in": int64(rttl / time.Second),
	}
	if !s.omitExpiresIn {
		resp["expires_in"] = int64(ttl / time.Second)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, resp)
}

// authenticate resolves the Authorization header. Credentials in the URL
// or body are ignored, as Zendesk does.
func (s *Server) authenticate(r *http.Request) (principal, bool) {
	h := r.Header.Get("Authorization")
	scheme, cred, ok := strings.Cut(h, " ")
	if !ok {
		return principal{}, false
	}
	switch strings.ToLower(scheme) {
	case "bearer":
		a := s.auth
		a.mu.Lock()
		defer a.mu.Unlock()
		t, ok := a.access[cred]
		if !ok {
			return principal{}, false
		}
		if !s.now().Before(t.expires) {
			delete(a.access, cred)
			return principal{}, false
		}
		// Client-credentials tokens act as the admin who made the client.
		return principal{userID: s.adminID, scopes: t.scopes, token: cred}, true
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(cred)
		if err != nil {
			return principal{}, false
		}
		user, secret, ok := strings.Cut(string(raw), ":")
		email, isToken := strings.CutSuffix(user, "/token")
		// email:password Basic auth is deprecated; the sandbox refuses it.
		if !ok || !isToken || !equalSecret(secret, s.apiToken) || !strings.EqualFold(email, s.adminEmail) {
			return principal{}, false
		}
		return principal{userID: s.adminID}, true
	}
	return principal{}, false
}

// allowed reports whether a principal's scopes cover a request on a
// resource ("tickets", "users", "organizations", "" for search).
func (p principal) allowed(resource string, write bool) bool {
	if p.scopes == nil {
		return true
	}
	need := "read"
	if write {
		need = "write"
	}
	for _, sc := range p.scopes {
		if sc == need {
			return true
		}
		res, act, _ := strings.Cut(sc, ":")
		if act == need && (res == resource || resource == "") {
			return true
		}
	}
	return false
}

// revoke drops an access token (the Unauthorized fault: the client must
// fetch a new one).
func (a *authState) revoke(token string) {
	a.mu.Lock()
	delete(a.access, token)
	a.mu.Unlock()
}
