package newconnector

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-resty/resty/v2"

	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/scopes/fieldpath"
)

// Connector talks to one Hearth account.
type Connector struct {
	cat    connectors.Catalog
	http   *resty.Client
	tokens *connectors.TokenCache
	log    *slog.Logger
	closed atomic.Bool
}

var _ connectors.Connector = (*Connector)(nil)

// Catalog describes the resources; no I/O.
func (c *Connector) Catalog() connectors.Catalog { return c.cat }

// Close is idempotent.
func (c *Connector) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		c.tokens.Reset()
	}
	return nil
}

// fetchToken is the client credentials grant. A rejected secret is
// ErrUnauthorized, so the token cache asks once for fresh credentials.
func (c *Connector) fetchToken(ctx context.Context, creds connectors.Credentials) (connectors.Token, error) {
	resp, err := c.http.R().SetContext(connectors.MarkIdempotent(ctx)).
		SetHeader("Content-Type", "application/json").
		SetBody(map[string]string{"grant_type": "client_credentials", "client_id": creds.Get("client_id"), "client_secret": creds.Get("client_secret")}).
		Post("/oauth/token")
	if err != nil {
		return connectors.Token{}, connectors.TransportError("hearth token", err)
	}
	if resp.StatusCode() != 200 {
		return connectors.Token{}, apiErr("token", resp)
	}
	var tr struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := connectors.DecodeJSON("hearth token", resp.Body(), &tr); err != nil {
		return connectors.Token{}, err
	}
	if tr.AccessToken == "" {
		return connectors.Token{}, fmt.Errorf("hearth token: no access_token: %w", connectors.ErrUpstream)
	}
	tok := connectors.Token{Value: tr.AccessToken}
	if tr.ExpiresIn > 0 {
		tok.Expiry = time.Now().Add(time.Duration(tr.ExpiresIn) * time.Second)
	}
	return tok, nil
}

// get runs one GET with the token, refreshing it once on 401, and decodes
// the JSON answer into out.
func (c *Connector) get(ctx context.Context, op, path string, query url.Values, out any) error {
	return c.do(ctx, op, func(r *resty.Request) (*resty.Response, error) {
		return r.SetQueryParamsFromValues(query).Get(path)
	}, out)
}

func (c *Connector) do(ctx context.Context, op string, send func(*resty.Request) (*resty.Response, error), out any) error {
	if c.closed.Load() {
		return fmt.Errorf("hearth %s: connector closed: %w", op, connectors.ErrUnavailable)
	}
	return c.tokens.Do(ctx, func(ctx context.Context, tok connectors.Token) error {
		resp, err := send(c.http.R().SetContext(ctx).SetAuthToken(tok.Value))
		if err != nil {
			return connectors.TransportError("hearth "+op, err)
		}
		if resp.StatusCode() >= 300 {
			return apiErr(op, resp)
		}
		return connectors.DecodeJSON("hearth "+op, resp.Body(), out)
	})
}

// sparse lists the top-level fields to ask Hearth for (its fields=
// parameter), so only what the scope allows leaves the CRM.
func sparse(fields []fieldpath.Path) string {
	seen := map[string]bool{}
	var names []string
	for _, f := range fields {
		top := f.Segments()[0].Name
		if !seen[top] {
			seen[top] = true
			names = append(names, top)
		}
	}
	return strings.Join(names, ",")
}

// idOf checks an id before it goes into a URL path.
func idOf(v string) (string, error) {
	if !strings.HasPrefix(v, "cus_") || len(v) > 40 || strings.Trim(v[4:], "0123456789") != "" || len(v) == 4 {
		return "", fmt.Errorf("hearth: not a customer id: %w", connectors.ErrNotFound)
	}
	return v, nil
}

// Read returns the one customer matching every criterion.
func (c *Connector) Read(ctx context.Context, q connectors.Query) (connectors.Record, error) {
	_, tree, err := connectors.ValidateQuery(c.cat, connectors.ActionRead, q)
	if err != nil {
		return nil, err
	}
	recs, err := c.find(ctx, "read customer", q.Match, q.Fields, 2)
	if err != nil {
		return nil, err
	}
	switch len(recs) {
	case 0:
		return nil, fmt.Errorf("hearth read customer: %w", connectors.ErrNotFound)
	case 1:
		return connectors.Project(tree, recs[0]), nil
	}
	return nil, fmt.Errorf("hearth read customer: more than one match; use a unique key: %w", connectors.ErrInvalid)
}

// Search returns the customers matching every criterion.
func (c *Connector) Search(ctx context.Context, q connectors.Query) ([]connectors.Record, error) {
	_, tree, err := connectors.ValidateQuery(c.cat, connectors.ActionSearch, q)
	if err != nil {
		return nil, err
	}
	limit := q.Limit
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	recs, err := c.find(ctx, "search customer", q.Match, q.Fields, limit)
	if err != nil {
		return nil, err
	}
	out := make([]connectors.Record, len(recs))
	for i, r := range recs {
		out[i] = connectors.Project(tree, r)
	}
	return out, nil
}

// find fetches by id when given (an exact endpoint), else lists by email,
// then checks every criterion on every record: the vendor's filter is
// never trusted to be exact.
func (c *Connector) find(ctx context.Context, op string, match []connectors.Criterion, fields []fieldpath.Path, limit int) ([]map[string]any, error) {
	want := map[string]string{}
	for _, m := range match {
		want[m.Key] = m.Value
	}
	// id and email are fetched too: the post-filter below needs them.
	check := append(append([]fieldpath.Path(nil), fields...), fieldpath.MustParse("id"), fieldpath.MustParse("email"))
	query := url.Values{"fields": {sparse(check)}}
	var recs []map[string]any
	if id, ok := want["id"]; ok {
		id, err := idOf(id)
		if err != nil {
			return nil, err
		}
		var out struct {
			Customer map[string]any `json:"customer"`
		}
		if err := c.get(ctx, op, "/api/v1/customers/"+url.PathEscape(id), query, &out); err != nil {
			if connectors.KindOf(err) == connectors.KindNotFound {
				return nil, nil
			}
			return nil, err
		}
		recs = []map[string]any{out.Customer}
	} else {
		query.Set("email", want["email"])
		query.Set("limit", strconv.Itoa(limit))
		var out struct {
			Customers []map[string]any `json:"customers"`
		}
		if err := c.get(ctx, op, "/api/v1/customers", query, &out); err != nil {
			return nil, err
		}
		recs = out.Customers
	}
	var hits []map[string]any
	for _, r := range recs {
		if r == nil {
			continue
		}
		if id, ok := want["id"]; ok && r["id"] != id {
			continue
		}
		if email, ok := want["email"]; ok && !strings.EqualFold(fmt.Sprint(r["email"]), email) {
			continue
		}
		hits = append(hits, r)
	}
	return hits, nil
}

// Update writes notes/tier with PATCH and returns the record re-read.
func (c *Connector) Update(ctx context.Context, u connectors.Update) (connectors.Record, error) {
	_, tree, err := connectors.ValidateUpdate(c.cat, u)
	if err != nil {
		return nil, err
	}
	recs, err := c.find(ctx, "update customer", u.Match, nil, 2)
	if err != nil {
		return nil, err
	}
	if len(recs) != 1 {
		return nil, fmt.Errorf("hearth update customer: %w", connectors.ErrNotFound)
	}
	id, _ := recs[0]["id"].(string)
	body := map[string]any{}
	for _, a := range u.Set {
		body[a.Field.String()] = a.Value
	}
	var out struct {
		Customer map[string]any `json:"customer"`
	}
	err = c.do(ctx, "update customer", func(r *resty.Request) (*resty.Response, error) {
		sel := sparse(u.Fields)
		if sel == "" {
			sel = "id"
		}
		return r.SetQueryParam("fields", sel).SetHeader("Content-Type", "application/json").
			SetBody(map[string]any{"customer": body}).Patch("/api/v1/customers/" + url.PathEscape(id))
	}, &out)
	if err != nil {
		return nil, err
	}
	return connectors.Project(tree, out.Customer), nil
}
