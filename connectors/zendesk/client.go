package zendesk

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-resty/resty/v2"

	"github.com/cxgate/cxgate/connectors"
)

// Token lifetimes. Zendesk grants at most two days (expires_in < 172,800);
// a response without expires_in is not trusted to last forever.
const (
	assumedTokenLifetime = time.Hour
	maxTokenLifetime     = 48 * time.Hour
)

// Connector talks to one Zendesk account.
type Connector struct {
	cfg     config
	cat     connectors.Catalog // for validation; Catalog() hands out fresh copies
	http    *resty.Client
	log     *slog.Logger
	secrets connectors.SecretSource
	now     func() time.Time
	tokens  *connectors.TokenCache // auth oauth
	basic   *basicAuth             // auth api_token
	budget  budget
	closed  atomic.Bool

	rtMu         sync.Mutex
	refreshToken string // from the last token response; rotated on use
}

var _ connectors.Connector = (*Connector)(nil)

func newConnector(cfg config, deps connectors.Deps) *Connector {
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	log = log.With("connector", Type, "connection", cfg.name)
	c := &Connector{cfg: cfg, cat: catalog(), log: log, secrets: deps.Secrets, now: time.Now}
	c.http = connectors.NewHTTPClient(cfg.conn, deps, connectors.HTTPOptions{UserAgent: "cxgate-zendesk"})
	c.http.SetBaseURL(cfg.baseURL)
	switch cfg.auth {
	case AuthAPIToken:
		c.basic = &basicAuth{secrets: deps.Secrets, ref: cfg.creds}
		shutdown, _ := time.Parse(time.DateOnly, APITokenShutdown)
		if c.now().Before(shutdown) {
			c.log.Warn("zendesk API token authentication is legacy: Zendesk deactivates all API tokens on "+APITokenShutdown+"; switch this connection to auth: oauth (client credentials)",
				"auth", AuthAPIToken, "deactivation", APITokenShutdown)
		} else {
			c.log.Error("zendesk API tokens were deactivated on "+APITokenShutdown+"; this connection cannot authenticate until it uses auth: oauth",
				"auth", AuthAPIToken, "deactivation", APITokenShutdown)
		}
	default:
		c.tokens = &connectors.TokenCache{Secrets: deps.Secrets, Ref: cfg.creds, Fetch: c.fetchToken, Now: func() time.Time { return c.now() }}
	}
	return c
}

// Catalog describes the connector. No I/O.
func (c *Connector) Catalog() connectors.Catalog { return catalog() }

// Close forgets tokens and credentials. Idempotent.
func (c *Connector) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	if c.tokens != nil {
		c.tokens.Reset()
	}
	if c.basic != nil {
		c.basic.reset()
	}
	c.rtMu.Lock()
	c.refreshToken = ""
	c.rtMu.Unlock()
	return nil
}

// RateLimitStatus reports the account's per-minute limit and what was left
// of it at the last response (the X-Rate-Limit headers); ok is false until
// a response carried them.
func (c *Connector) RateLimitStatus() (limit, remaining int, ok bool) { return c.budget.status() }

// ---- OAuth ----

type tokenResponse struct {
	AccessToken  string       `json:"access_token"`
	TokenType    string       `json:"token_type"`
	ExpiresIn    *json.Number `json:"expires_in"`
	RefreshToken string       `json:"refresh_token"`
}

// fetchToken gets an access token: with the refresh token of the previous
// one when there is one (rotation also revokes the old pair), otherwise,
// or when the refresh is refused, with the client credentials grant.
func (c *Connector) fetchToken(ctx context.Context, creds connectors.Credentials) (connectors.Token, error) {
	id, secret := creds.Get("client_id"), creds.Get("client_secret")
	if id == "" || secret == "" {
		return connectors.Token{}, fmt.Errorf("zendesk oauth: the credentials at %s need client_id and client_secret: %w", c.cfg.creds, connectors.ErrUnauthorized)
	}
	c.rtMu.Lock()
	rt := c.refreshToken
	c.refreshToken = ""
	c.rtMu.Unlock()
	if rt != "" {
		tok, err := c.tokenRequest(ctx, map[string]string{
			"grant_type": "refresh_token", "refresh_token": rt, "client_id": id, "client_secret": secret,
		})
		if err == nil {
			return tok, nil
		}
		if ctx.Err() != nil {
			return connectors.Token{}, err
		}
		c.log.Debug("zendesk refresh grant refused; using the client credentials grant", "kind", string(connectors.KindOf(err)))
	}
	// Retrying a client credentials request is harmless; a refresh is not
	// (the first attempt may have rotated the refresh token already).
	return c.tokenRequest(connectors.MarkIdempotent(ctx), map[string]string{
		"grant_type": "client_credentials", "client_id": id, "client_secret": secret, "scope": c.cfg.scope,
	})
}

func (c *Connector) tokenRequest(ctx context.Context, body map[string]string) (connectors.Token, error) {
	resp, err := c.http.R().SetContext(ctx).
		SetHeader("Content-Type", "application/json").
		SetBody(body).
		Execute(http.MethodPost, "/oauth/tokens")
	if err != nil {
		return connectors.Token{}, connectors.TransportError("zendesk token endpoint", err)
	}
	if resp.StatusCode() != http.StatusOK {
		return connectors.Token{}, c.tokenError(resp)
	}
	var tr tokenResponse
	if err := connectors.DecodeJSON("zendesk token endpoint", resp.Body(), &tr); err != nil {
		return connectors.Token{}, err
	}
	if tr.AccessToken == "" || tr.TokenType != "" && !strings.EqualFold(tr.TokenType, "bearer") {
		return connectors.Token{}, fmt.Errorf("zendesk token endpoint: no bearer access token in the answer: %w", connectors.ErrUpstream)
	}
	life := assumedTokenLifetime
	if tr.ExpiresIn != nil {
		if secs, err := tr.ExpiresIn.Float64(); err == nil && secs > 0 {
			life = min(time.Duration(secs*float64(time.Second)), maxTokenLifetime)
		}
	}
	c.rtMu.Lock()
	c.refreshToken = tr.RefreshToken
	c.rtMu.Unlock()
	return connectors.Token{Value: tr.AccessToken, Expiry: c.now().Add(life)}, nil
}

// ---- legacy API token ----

// basicAuth holds the email/token credential. On a 401 it asks the secret
// source once for fresh credentials (the token may have been rotated).
type basicAuth struct {
	secrets connectors.SecretSource
	ref     connectors.CredentialRef
	mu      sync.Mutex
	header  string
}

func (b *basicAuth) reset() {
	b.mu.Lock()
	b.header = ""
	b.mu.Unlock()
}

func (b *basicAuth) get(ctx context.Context, fresh bool) (string, error) {
	b.mu.Lock()
	h := b.header
	b.mu.Unlock()
	if h != "" && !fresh {
		return h, nil
	}
	if b.secrets == nil {
		return "", fmt.Errorf("zendesk api_token: no secret source for %s: %w", b.ref, connectors.ErrUnauthorized)
	}
	creds, err := b.secrets.Credentials(ctx, b.ref, fresh)
	if err != nil {
		if connectors.KindOf(err) == connectors.KindUnknown {
			return "", fmt.Errorf("zendesk api_token: credentials from %s: %w", b.ref, connectors.ErrUnavailable)
		}
		return "", fmt.Errorf("zendesk api_token: credentials from %s: %w", b.ref, err)
	}
	email, token := creds.Get("email"), creds.Get("api_token")
	if email == "" || token == "" {
		return "", fmt.Errorf("zendesk api_token: the credentials at %s need email and api_token: %w", b.ref, connectors.ErrUnauthorized)
	}
	h = "Basic " + base64.StdEncoding.EncodeToString([]byte(email+"/token:"+token))
	b.mu.Lock()
	b.header = h
	b.mu.Unlock()
	return h, nil
}

// ---- requests ----

// call runs one authenticated API exchange. fn gets the Authorization
// header value; a 401 leads to exactly one retry with a new token (or
// fresh legacy credentials).
func (c *Connector) call(ctx context.Context, fn func(ctx context.Context, authz string) error) error {
	if c.closed.Load() {
		return fmt.Errorf("zendesk connection %q is closed: %w", c.cfg.name, connectors.ErrUnavailable)
	}
	if err := c.budget.check(c.now()); err != nil {
		return err
	}
	if c.basic != nil {
		h, err := c.basic.get(ctx, false)
		if err != nil {
			return err
		}
		err = fn(ctx, h)
		if !errors.Is(err, connectors.ErrUnauthorized) {
			return err
		}
		h2, ferr := c.basic.get(ctx, true)
		if ferr != nil {
			return ferr
		}
		if h2 == h {
			return err // the same credential again: no point asking twice
		}
		return fn(ctx, h2)
	}
	return c.tokens.Do(ctx, func(ctx context.Context, tok connectors.Token) error {
		return fn(ctx, "Bearer "+tok.Value)
	})
}

// send makes one API request and returns the response body of a 2xx.
func (c *Connector) send(ctx context.Context, op, method, path string, query url.Values, body any) ([]byte, error) {
	var out []byte
	err := c.call(ctx, func(ctx context.Context, authz string) error {
		req := c.http.R().SetContext(ctx).SetHeader("Authorization", authz)
		if query != nil {
			req.SetQueryParamsFromValues(query)
		}
		if body != nil {
			req.SetHeader("Content-Type", "application/json").SetBody(body)
		}
		resp, err := req.Execute(method, path)
		if err != nil {
			return connectors.TransportError("zendesk "+op, err)
		}
		c.budget.observe(resp, c.now())
		if resp.StatusCode() < 200 || resp.StatusCode() > 299 {
			return c.apiError(op, resp)
		}
		out = resp.Body()
		return nil
	})
	if err != nil {
		c.log.Debug("zendesk call failed", "op", op, "kind", string(connectors.KindOf(err)))
	}
	return out, err
}

// getObject GETs path and returns the object under key ({"ticket":{...}}).
func (c *Connector) getObject(ctx context.Context, op, path, key string) (map[string]any, error) {
	body, err := c.send(ctx, op, http.MethodGet, path, nil, nil)
	if err != nil {
		return nil, err
	}
	return objectAt(op, body, key)
}

// objectAt decodes {"key": {...}} keeping numbers exact (ids are 64-bit).
func objectAt(op string, body []byte, key string) (map[string]any, error) {
	var env map[string]json.RawMessage
	if err := connectors.DecodeJSON("zendesk "+op, body, &env); err != nil {
		return nil, err
	}
	raw, ok := env[key]
	if !ok {
		return nil, fmt.Errorf("zendesk %s: the answer has no %q object: %w", op, key, connectors.ErrUpstream)
	}
	return decodeObject(op, raw)
}

func decodeObject(op string, raw json.RawMessage) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, fmt.Errorf("zendesk %s: an object in the answer is not a JSON object: %w", op, connectors.ErrUpstream)
	}
	return m, nil
}
