package shopify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-resty/resty/v2"

	"github.com/cxgate/cxgate/connectors"
)

// Connector talks to one shop's GraphQL Admin API.
type Connector struct {
	cfg      config
	cat      connectors.Catalog
	http     *resty.Client
	log      *slog.Logger
	now      func() time.Time
	tokens   *connectors.TokenCache
	endpoint string
	budget   costBudget
	closed   atomic.Bool
	warned   atomic.Bool // fell-forward version logged once

	mu       sync.Mutex
	rejected string // static_token: the token Shopify last rejected
}

var _ connectors.Connector = (*Connector)(nil)

// Token lifetime when the token endpoint names none (it always does for
// the client credentials grant: 86399 s).
const assumedTokenLifetime = 23 * time.Hour

// tokenSkew: tokens are re-requested this long before they expire.
const tokenSkew = 5 * time.Minute

func newConnector(cfg config, deps connectors.Deps) *Connector {
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	log = log.With("connector", Type, "connection", cfg.name)
	c := &Connector{cfg: cfg, cat: catalog(), log: log, now: time.Now}
	c.endpoint = "/admin/api/" + url.PathEscape(cfg.version) + "/graphql.json"
	maxWait := cfg.throttleMaxWait
	if maxWait <= 0 {
		maxWait = time.Nanosecond // never sleep on a throttle: report it
	}
	c.http = connectors.NewHTTPClient(cfg.conn, deps, connectors.HTTPOptions{
		UserAgent:    "cxgate-shopify",
		RetryMaxWait: maxWait,
		Throttle:     throttled,
	})
	c.http.SetBaseURL(cfg.baseURL)
	c.tokens = &connectors.TokenCache{Secrets: deps.Secrets, Ref: cfg.creds, Fetch: c.fetchToken, Skew: tokenSkew, Now: c.now}
	if cfg.auth == AuthStaticToken {
		c.log.Info("shopify static token authentication: legacy custom apps cannot be created since 2026-01-01; new apps use auth: "+AuthClientCredentials,
			"auth", AuthStaticToken)
	}
	return c
}

// Catalog describes the connector. No I/O.
func (c *Connector) Catalog() connectors.Catalog { return catalog() }

// Close forgets the token. Idempotent.
func (c *Connector) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	c.tokens.Reset()
	return nil
}

func (c *Connector) open(op string) error {
	if c.closed.Load() {
		return fmt.Errorf("%s: connector closed: %w", op, connectors.ErrUnavailable)
	}
	return nil
}

// ---- tokens ----

type tokenResponse struct {
	AccessToken string       `json:"access_token"`
	Scope       string       `json:"scope"`
	ExpiresIn   *json.Number `json:"expires_in"`
}

// fetchToken gets a token: the client credentials grant, or the static
// token from the secret source.
func (c *Connector) fetchToken(ctx context.Context, creds connectors.Credentials) (connectors.Token, error) {
	if c.cfg.auth == AuthStaticToken {
		tok := creds.Get("access_token")
		if tok == "" {
			return connectors.Token{}, fmt.Errorf("shopify static_token: the credentials at %s need access_token: %w", c.cfg.creds, connectors.ErrUnauthorized)
		}
		c.mu.Lock()
		rejected := tok == c.rejected
		c.rejected = "" // consumed: the next fetch (with fresh credentials) may try it again
		c.mu.Unlock()
		if rejected {
			// Shopify just rejected this very token: report it as bad
			// credentials, so the cache asks the source once for fresh ones
			// (a rotated token).
			return connectors.Token{}, fmt.Errorf("shopify static_token: the token at %s was rejected: %w", c.cfg.creds, connectors.ErrUnauthorized)
		}
		return connectors.Token{Value: tok}, nil
	}
	id, secret := creds.Get("client_id"), creds.Get("client_secret")
	if id == "" || secret == "" {
		return connectors.Token{}, fmt.Errorf("shopify client_credentials: the credentials at %s need client_id and client_secret: %w", c.cfg.creds, connectors.ErrUnauthorized)
	}
	// Repeating a client credentials grant is harmless, so it may retry.
	resp, err := c.http.R().SetContext(connectors.MarkIdempotent(ctx)).
		SetFormData(map[string]string{"grant_type": "client_credentials", "client_id": id, "client_secret": secret}).
		Execute(http.MethodPost, "/admin/oauth/access_token")
	if err != nil {
		return connectors.Token{}, connectors.TransportError("shopify token endpoint", err)
	}
	if resp.StatusCode() != http.StatusOK {
		return connectors.Token{}, tokenError(resp, c.now())
	}
	var tr tokenResponse
	if err := connectors.DecodeJSON("shopify token endpoint", resp.Body(), &tr); err != nil {
		return connectors.Token{}, err
	}
	if tr.AccessToken == "" {
		return connectors.Token{}, fmt.Errorf("shopify token endpoint: no access token in the answer: %w", connectors.ErrUpstream)
	}
	life := assumedTokenLifetime
	if tr.ExpiresIn != nil {
		if secs, err := tr.ExpiresIn.Float64(); err == nil && secs > 0 {
			life = time.Duration(secs * float64(time.Second))
		}
	}
	if missing := missingScopes(tr.Scope); len(missing) > 0 {
		c.log.Warn("shopify app lacks access scopes some resources need", "missing", missing)
	}
	return connectors.Token{Value: tr.AccessToken, Expiry: c.now().Add(life)}, nil
}

// missingScopes names the scopes the catalog's resources need that a
// token response did not grant (write_orders only matters for updates).
func missingScopes(granted string) []string {
	have := map[string]bool{}
	for _, s := range strings.Split(granted, ",") {
		have[strings.TrimSpace(s)] = true
	}
	var out []string
	for _, s := range []string{"read_orders", "read_customers", "write_orders"} {
		w := strings.Replace(s, "read_", "write_", 1)
		if !have[s] && !have[w] {
			out = append(out, s)
		}
	}
	return out
}

// ---- GraphQL ----

// throttled is the HTTP client's throttle hook: Shopify answers a
// throttled query with HTTP 200 and a THROTTLED error, and names the wait
// through the cost bucket's state; some clients report 429 instead.
func throttled(resp *resty.Response) (time.Duration, bool) {
	if resp.StatusCode() == http.StatusTooManyRequests {
		return connectors.RetryAfterOf(resp, time.Now()), true
	}
	if resp.StatusCode() != http.StatusOK || !bytes.Contains(resp.Body(), []byte(`"THROTTLED"`)) {
		return 0, false
	}
	var env envelope
	if json.Unmarshal(resp.Body(), &env) != nil {
		return 0, false
	}
	for _, e := range env.Errors {
		if e.Extensions.Code == "THROTTLED" {
			return throttleWait(env.Extensions.Cost), true
		}
	}
	return 0, false
}

// graphql sends one document and returns its data. op names the call in
// errors and logs; cost is the document's estimated requested cost.
// Queries may be retried by the HTTP client; so may orderUpdate, which
// sets absolute values (the same update applied twice leaves the same
// record).
func (c *Connector) graphql(ctx context.Context, op, doc string, vars map[string]any, cost int) (map[string]any, error) {
	if err := c.budget.wait(ctx, c.now, float64(cost), c.cfg.throttleMaxWait, op); err != nil {
		return nil, err
	}
	body := map[string]any{"query": doc, "variables": vars}
	var data map[string]any
	err := c.tokens.Do(ctx, func(ctx context.Context, tok connectors.Token) error {
		resp, err := c.http.R().SetContext(connectors.MarkIdempotent(ctx)).
			SetHeader("X-Shopify-Access-Token", tok.Value).
			SetHeader("Content-Type", "application/json").
			SetBody(body).
			Execute(http.MethodPost, c.endpoint)
		if err != nil {
			return connectors.TransportError(op, err)
		}
		c.checkVersion(resp)
		if resp.StatusCode() != http.StatusOK {
			if resp.StatusCode() == http.StatusUnauthorized && c.cfg.auth == AuthStaticToken {
				c.mu.Lock()
				c.rejected = tok.Value
				c.mu.Unlock()
			}
			return statusError(op, resp, c.now())
		}
		var env envelope
		if err := connectors.DecodeJSON(op, resp.Body(), &env); err != nil {
			return err
		}
		if env.Extensions.Cost != nil {
			c.budget.observe(env.Extensions.Cost.ThrottleStatus, c.now())
		}
		if len(env.Errors) > 0 {
			return graphQLError(op, env.Errors, env.Extensions.Cost)
		}
		dec := json.NewDecoder(bytes.NewReader(env.Data))
		dec.UseNumber()
		if err := dec.Decode(&data); err != nil || data == nil {
			return fmt.Errorf("%s: no data in the answer: %w", op, connectors.ErrUpstream)
		}
		return nil
	})
	if err != nil {
		c.log.Debug("shopify call failed", "op", op, "kind", string(connectors.KindOf(err)))
		return nil, err
	}
	return data, nil
}

// checkVersion logs, once, when Shopify served another API version than
// the configured one (an unsupported version falls forward).
func (c *Connector) checkVersion(resp *resty.Response) {
	served := resp.Header().Get("X-Shopify-API-Version")
	if served == "" || served == c.cfg.version || c.warned.Load() {
		return
	}
	if !versionRE.MatchString(served) {
		served = "unrecognised"
	}
	if !c.warned.Swap(true) {
		c.log.Warn("shopify served another Admin API version than configured; the configured one is unsupported and fell forward: set api_version",
			"configured", c.cfg.version, "served", served)
	}
}

// costBudget mirrors Shopify's cost bucket from the throttleStatus of the
// last answer, so a call that cannot fit waits for the bucket (up to the
// configured maximum) or reports a rate limit without spending a request.
type costBudget struct {
	mu    sync.Mutex
	known bool
	max   float64
	rate  float64
	avail float64
	at    time.Time
}

func (b *costBudget) observe(st throttleStatus, now time.Time) {
	if st.MaximumAvailable <= 0 || st.RestoreRate <= 0 {
		return
	}
	b.mu.Lock()
	b.known, b.max, b.rate, b.avail, b.at = true, st.MaximumAvailable, st.RestoreRate, st.CurrentlyAvailable, now
	b.mu.Unlock()
}

// reserve takes cost points and returns how long to wait until the bucket
// holds them (0 when it does now).
func (b *costBudget) reserve(cost float64, now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.known {
		return 0
	}
	if dt := now.Sub(b.at).Seconds(); dt > 0 {
		b.avail = math.Min(b.max, b.avail+dt*b.rate)
	}
	b.at = now
	b.avail -= cost
	if b.avail >= 0 {
		return 0
	}
	return time.Duration(math.Ceil(-b.avail/b.rate*1000)) * time.Millisecond
}

// release gives back points reserved for a call that was not sent.
func (b *costBudget) release(cost float64) {
	b.mu.Lock()
	if b.known {
		b.avail = math.Min(b.max, b.avail+cost)
	}
	b.mu.Unlock()
}

func (b *costBudget) wait(ctx context.Context, now func() time.Time, cost float64, max time.Duration, op string) error {
	d := b.reserve(cost, now())
	if d <= 0 {
		return nil
	}
	if d > max {
		b.release(cost)
		return fmt.Errorf("%s: %w", op, &connectors.RateLimitError{RetryAfter: d.Round(time.Second) + time.Second, Detail: "shopify cost bucket empty"})
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		b.release(cost)
		return fmt.Errorf("%s: waiting for the cost bucket: %w", op, ctx.Err())
	case <-t.C:
		return nil
	}
}
