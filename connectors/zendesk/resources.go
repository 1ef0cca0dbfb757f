package zendesk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/cxgate/cxgate/connectors"
)

// Bounds.
const (
	defaultSearchLimit = 100
	maxSearchResults   = 1000 // Zendesk's /search stops at 1,000 results
	pageSize           = 100  // Zendesk's largest page
)

var ticketStatuses = map[string]bool{"new": true, "open": true, "pending": true, "hold": true, "solved": true, "closed": true}

var ticketPriorities = map[string]bool{"urgent": true, "high": true, "normal": true, "low": true}

// criteria groups a query's values by key.
type criteria map[string][]string

func group(match []connectors.Criterion) criteria {
	c := criteria{}
	for _, m := range match {
		c[m.Key] = append(c[m.Key], m.Value)
	}
	return c
}

// one returns the single value of key; ok is false when the key is absent.
// Several different values for one key can match nothing: consistent is
// false then.
func (c criteria) one(key string) (v string, ok, consistent bool) {
	vs := c[key]
	if len(vs) == 0 {
		return "", false, true
	}
	for _, o := range vs[1:] {
		if o != vs[0] {
			return vs[0], true, false
		}
	}
	return vs[0], true, true
}

func notFound(op string) error { return fmt.Errorf("zendesk %s: %w", op, connectors.ErrNotFound) }

func invalidKey(op, key, want string) error {
	return fmt.Errorf("zendesk %s: %s must be %s: %w", op, key, want, connectors.ErrInvalid)
}

// idOf returns an id criterion in canonical form.
func (c criteria) idOf(op, key string) (id string, ok bool, err error) {
	v, ok, consistent := c.one(key)
	if !ok {
		return "", false, nil
	}
	id, valid := parseID(v)
	if !valid {
		return "", true, invalidKey(op, key, "a positive integer")
	}
	if !consistent {
		return "", true, notFound(op)
	}
	for _, o := range c[key] {
		if canon, _ := parseID(o); canon != id {
			return "", true, notFound(op)
		}
	}
	return id, true, nil
}

// emailsOf checks every value of an email key.
func (c criteria) emailsOf(op, key string) ([]string, error) {
	for _, v := range c[key] {
		if !validEmail(v) {
			return nil, invalidKey(op, key, "an email address")
		}
	}
	return c[key], nil
}

// textOf renders a JSON scalar for comparison (ids come as json.Number).
func textOf(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return ""
}

// ---- Read ----

// Read returns the one record matching every criterion.
func (c *Connector) Read(ctx context.Context, q connectors.Query) (connectors.Record, error) {
	_, tree, err := connectors.ValidateQuery(c.cat, connectors.ActionRead, q)
	if err != nil {
		return nil, err
	}
	crit := group(q.Match)
	var rec map[string]any
	switch q.Resource {
	case "ticket":
		rec, err = c.readTicket(ctx, crit)
	case "user":
		rec, err = c.readUser(ctx, crit)
	case "organization":
		rec, err = c.readOrganization(ctx, crit)
	default:
		err = fmt.Errorf("zendesk read %s: not supported: %w", q.Resource, connectors.ErrInvalid)
	}
	if err != nil {
		return nil, err
	}
	return connectors.Project(tree, rec), nil
}

func (c *Connector) readTicket(ctx context.Context, crit criteria) (map[string]any, error) {
	const op = "read ticket"
	id, byID, err := crit.idOf(op, "id")
	if err != nil {
		return nil, err
	}
	emails, err := crit.emailsOf(op, "requester_email")
	if err != nil {
		return nil, err
	}
	if !byID {
		// Only the requester's email: the ticket must be the only one.
		ts, err := c.searchTickets(ctx, crit, 2)
		switch {
		case err != nil:
			return nil, err
		case len(ts) == 0:
			return nil, notFound(op)
		case len(ts) > 1:
			return nil, fmt.Errorf("zendesk %s: more than one ticket has this requester; read by id: %w", op, connectors.ErrInvalid)
		}
		return ts[0], nil
	}
	t, err := c.getObject(ctx, op, "/api/v2/tickets/"+id+".json", "ticket")
	if err != nil {
		return nil, err
	}
	if textOf(t["id"]) != id {
		return nil, fmt.Errorf("zendesk %s: the answer is another ticket: %w", op, connectors.ErrUpstream)
	}
	if len(emails) > 0 {
		ok, err := c.requesterIs(ctx, t, emails)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, notFound(op)
		}
	}
	return t, nil
}

// requesterIs reports whether ticket t's requester has every one of the
// given primary emails (Zendesk tickets carry only requester_id).
func (c *Connector) requesterIs(ctx context.Context, t map[string]any, emails []string) (bool, error) {
	rid, ok := parseID(textOf(t["requester_id"]))
	if !ok {
		return false, nil
	}
	u, err := c.getObject(ctx, "read ticket requester", "/api/v2/users/"+rid+".json", "user")
	if errors.Is(err, connectors.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	have := textOf(u["email"])
	for _, e := range emails {
		if !strings.EqualFold(have, e) {
			return false, nil
		}
	}
	return true, nil
}

func (c *Connector) readUser(ctx context.Context, crit criteria) (map[string]any, error) {
	const op = "read user"
	id, byID, err := crit.idOf(op, "id")
	if err != nil {
		return nil, err
	}
	emails, err := crit.emailsOf(op, "email")
	if err != nil {
		return nil, err
	}
	ext, byExt, consistent := crit.one("external_id")
	if !consistent {
		return nil, notFound(op)
	}
	var u map[string]any
	switch {
	case byID:
		u, err = c.getObject(ctx, op, "/api/v2/users/"+id+".json", "user")
	case byExt:
		// The exact parameter: it does not take the search syntax.
		u, err = c.oneUser(ctx, op, url.Values{"external_id": {ext}}, func(u map[string]any) bool {
			return strings.EqualFold(textOf(u["external_id"]), ext)
		})
	default:
		email := emails[0]
		u, err = c.oneUser(ctx, op, url.Values{"query": {userEmailQuery(email)}}, func(u map[string]any) bool {
			return strings.EqualFold(textOf(u["email"]), email)
		})
	}
	if err != nil {
		return nil, err
	}
	// Every criterion must hold, whichever one found the record.
	if byID && textOf(u["id"]) != id {
		return nil, notFound(op)
	}
	for _, e := range emails {
		if !strings.EqualFold(textOf(u["email"]), e) {
			return nil, notFound(op)
		}
	}
	if byExt && !strings.EqualFold(textOf(u["external_id"]), ext) {
		return nil, notFound(op)
	}
	return u, nil
}

// oneUser runs /users/search and keeps the users keep accepts: exactly one
// is the answer; none is not found; several is an upstream inconsistency
// (emails and external ids are unique in Zendesk).
func (c *Connector) oneUser(ctx context.Context, op string, query url.Values, keep func(map[string]any) bool) (map[string]any, error) {
	users, err := c.searchUsers(ctx, op, query, keep)
	if err != nil {
		return nil, err
	}
	switch len(users) {
	case 0:
		return nil, notFound(op)
	case 1:
		return users[0], nil
	}
	return nil, fmt.Errorf("zendesk %s: several users share a unique key: %w", op, connectors.ErrUpstream)
}

func (c *Connector) searchUsers(ctx context.Context, op string, query url.Values, keep func(map[string]any) bool) ([]map[string]any, error) {
	query.Set("per_page", strconv.Itoa(pageSize))
	body, err := c.send(ctx, op, http.MethodGet, "/api/v2/users/search.json", query, nil)
	if err != nil {
		return nil, err
	}
	var page struct {
		Users []json.RawMessage `json:"users"`
	}
	if err := connectors.DecodeJSON("zendesk "+op, body, &page); err != nil {
		return nil, err
	}
	var out []map[string]any
	dropped := 0
	for _, raw := range page.Users {
		u, err := decodeObject(op, raw)
		if err != nil {
			return nil, err
		}
		if keep(u) {
			out = append(out, u)
		} else {
			dropped++
		}
	}
	if dropped > 0 {
		c.log.Debug("zendesk user search: dropped results that do not match the key exactly", "op", op, "dropped", dropped)
	}
	return out, nil
}

func (c *Connector) readOrganization(ctx context.Context, crit criteria) (map[string]any, error) {
	const op = "read organization"
	id, ok, err := crit.idOf(op, "id")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("zendesk %s: needs id: %w", op, connectors.ErrInvalid)
	}
	o, err := c.getObject(ctx, op, "/api/v2/organizations/"+id+".json", "organization")
	if err != nil {
		return nil, err
	}
	if textOf(o["id"]) != id {
		return nil, fmt.Errorf("zendesk %s: the answer is another organization: %w", op, connectors.ErrUpstream)
	}
	return o, nil
}

// ---- Search ----

// Search returns the records matching every criterion, at most q.Limit
// (100 when 0; Zendesk's search stops at 1,000).
func (c *Connector) Search(ctx context.Context, q connectors.Query) ([]connectors.Record, error) {
	_, tree, err := connectors.ValidateQuery(c.cat, connectors.ActionSearch, q)
	if err != nil {
		return nil, err
	}
	limit := q.Limit
	if limit == 0 {
		limit = defaultSearchLimit
	}
	crit := group(q.Match)
	var recs []map[string]any
	switch q.Resource {
	case "ticket":
		recs, err = c.searchTickets(ctx, crit, min(limit, maxSearchResults))
	case "user":
		var u map[string]any
		u, err = c.readUser(ctx, crit)
		if err == nil {
			recs = []map[string]any{u}
		} else if errors.Is(err, connectors.ErrNotFound) {
			err = nil
		}
	case "ticket_comment":
		recs, err = c.listComments(ctx, crit, limit)
	default:
		err = fmt.Errorf("zendesk search %s: not supported: %w", q.Resource, connectors.ErrInvalid)
	}
	if err != nil {
		return nil, err
	}
	if len(recs) > limit {
		recs = recs[:limit]
	}
	out := make([]connectors.Record, len(recs))
	for i, r := range recs {
		out[i] = connectors.Project(tree, r)
	}
	return out, nil
}

// searchTickets finds tickets by id (exact endpoint) or by requester email:
// the email is resolved to a user exactly (a constructed, post-filtered
// /users/search), then the user's tickets come from /search with
// type:ticket requester:<id>, each result checked for result_type and
// requester_id.
func (c *Connector) searchTickets(ctx context.Context, crit criteria, limit int) ([]map[string]any, error) {
	const op = "search tickets"
	if _, byID := crit["id"]; byID {
		t, err := c.readTicket(ctx, crit)
		if errors.Is(err, connectors.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return []map[string]any{t}, nil
	}
	emails, err := crit.emailsOf(op, "requester_email")
	if err != nil {
		return nil, err
	}
	if len(emails) == 0 {
		return nil, fmt.Errorf("zendesk %s: needs id or requester_email: %w", op, connectors.ErrInvalid)
	}
	for _, e := range emails[1:] {
		if !strings.EqualFold(e, emails[0]) {
			return nil, nil
		}
	}
	email := emails[0]
	users, err := c.searchUsers(ctx, op, url.Values{"query": {userEmailQuery(email)}}, func(u map[string]any) bool {
		return strings.EqualFold(textOf(u["email"]), email)
	})
	if err != nil {
		return nil, err
	}
	switch len(users) {
	case 0:
		return nil, nil
	case 1:
	default:
		return nil, fmt.Errorf("zendesk %s: several users share one email: %w", op, connectors.ErrUpstream)
	}
	uid, ok := parseID(textOf(users[0]["id"]))
	if !ok {
		return nil, fmt.Errorf("zendesk %s: a user without a valid id: %w", op, connectors.ErrUpstream)
	}
	per := min(pageSize, limit)
	var out []map[string]any
	dropped := 0
	for page := 1; len(out) < limit && (page-1)*per < maxSearchResults; page++ {
		query := url.Values{
			"query":      {ticketsByRequesterQuery(uid)},
			"sort_by":    {"created_at"},
			"sort_order": {"desc"},
			"per_page":   {strconv.Itoa(per)},
			"page":       {strconv.Itoa(page)},
		}
		body, err := c.send(ctx, op, http.MethodGet, "/api/v2/search.json", query, nil)
		if err != nil {
			return nil, err
		}
		var res struct {
			Results  []json.RawMessage `json:"results"`
			NextPage *string           `json:"next_page"`
		}
		if err := connectors.DecodeJSON("zendesk "+op, body, &res); err != nil {
			return nil, err
		}
		for _, raw := range res.Results {
			t, err := decodeObject(op, raw)
			if err != nil {
				return nil, err
			}
			if rt := textOf(t["result_type"]); rt != "ticket" {
				// The query pinned type:ticket; anything else means it
				// did not mean what we built. Fail closed.
				return nil, fmt.Errorf("zendesk %s: a result of another type in a ticket search: %w", op, connectors.ErrUpstream)
			}
			if textOf(t["requester_id"]) != uid {
				dropped++
				continue
			}
			delete(t, "result_type")
			out = append(out, t)
			if len(out) == limit {
				break
			}
		}
		if res.NextPage == nil || *res.NextPage == "" || len(res.Results) == 0 {
			break
		}
	}
	if dropped > 0 {
		c.log.Debug("zendesk ticket search: dropped results of another requester", "dropped", dropped)
	}
	return out, nil
}

// listComments pages through a ticket's comments, newest first, with
// cursor pagination: page[after] is re-sent to our own base URL (links.next
// is not followed, so a token never goes to a host the answer names).
func (c *Connector) listComments(ctx context.Context, crit criteria, limit int) ([]map[string]any, error) {
	const op = "search ticket comments"
	id, ok, err := crit.idOf(op, "ticket_id")
	if err != nil {
		if errors.Is(err, connectors.ErrNotFound) {
			return nil, nil
		}
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("zendesk %s: needs ticket_id: %w", op, connectors.ErrInvalid)
	}
	var out []map[string]any
	after := ""
	for page := 0; len(out) < limit; page++ {
		if page == c.cfg.maxPages {
			c.log.Warn("zendesk comment listing stopped at the page bound; raise options.max_pages to see older comments",
				"max_pages", c.cfg.maxPages)
			break
		}
		query := url.Values{"page[size]": {strconv.Itoa(min(pageSize, limit-len(out)))}, "sort": {"-created_at"}}
		if after != "" {
			query.Set("page[after]", after)
		}
		body, err := c.send(ctx, op, http.MethodGet, "/api/v2/tickets/"+id+"/comments.json", query, nil)
		if errors.Is(err, connectors.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		var res struct {
			Comments []json.RawMessage `json:"comments"`
			Meta     struct {
				HasMore     bool    `json:"has_more"`
				AfterCursor *string `json:"after_cursor"`
			} `json:"meta"`
		}
		if err := connectors.DecodeJSON("zendesk "+op, body, &res); err != nil {
			return nil, err
		}
		for _, raw := range res.Comments {
			cm, err := decodeObject(op, raw)
			if err != nil {
				return nil, err
			}
			out = append(out, cm)
		}
		// has_more, not links.next, is Zendesk's documented stop condition.
		if !res.Meta.HasMore || res.Meta.AfterCursor == nil || *res.Meta.AfterCursor == "" || len(res.Comments) == 0 {
			break
		}
		if *res.Meta.AfterCursor == after {
			return nil, fmt.Errorf("zendesk %s: the cursor did not advance: %w", op, connectors.ErrUpstream)
		}
		after = *res.Meta.AfterCursor
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// ---- Update ----

// Update changes a ticket's status or priority and/or adds a comment, then
// returns the ticket Zendesk answered with, projected to u.Fields.
func (c *Connector) Update(ctx context.Context, u connectors.Update) (connectors.Record, error) {
	_, tree, err := connectors.ValidateUpdate(c.cat, u)
	if err != nil {
		return nil, err
	}
	if u.Resource != "ticket" {
		return nil, fmt.Errorf("zendesk update %s: not supported: %w", u.Resource, connectors.ErrInvalid)
	}
	const op = "update ticket"
	crit := group(u.Match)
	id, ok, err := crit.idOf(op, "id")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("zendesk %s: needs the ticket id: %w", op, connectors.ErrInvalid)
	}
	ticket, err := ticketWrite(u.Set)
	if err != nil {
		return nil, err
	}
	if len(crit["requester_email"]) > 0 {
		// The extra criterion must hold before anything is written.
		if _, err := c.readTicket(ctx, crit); err != nil {
			return nil, err
		}
	}
	body, err := c.send(ctx, op, http.MethodPut, "/api/v2/tickets/"+id+".json", nil, map[string]any{"ticket": ticket})
	if err != nil {
		return nil, err
	}
	t, err := objectAt(op, body, "ticket")
	if err != nil {
		return nil, err
	}
	return connectors.Project(tree, t), nil
}

// ticketWrite builds the "ticket" object of a PUT from the assignments.
func ticketWrite(set []connectors.Assignment) (map[string]any, error) {
	const op = "update ticket"
	out := map[string]any{}
	comment := map[string]any{}
	for _, a := range set {
		switch a.Field.String() {
		case "status":
			s, ok := a.Value.(string)
			if !ok || !ticketStatuses[s] {
				return nil, invalidKey(op, "status", "one of new, open, pending, hold, solved, closed")
			}
			out["status"] = s
		case "priority":
			if a.Value == nil {
				out["priority"] = nil
				continue
			}
			s, ok := a.Value.(string)
			if !ok || !ticketPriorities[s] {
				return nil, invalidKey(op, "priority", "one of urgent, high, normal, low or null")
			}
			out["priority"] = s
		case "comment.body":
			s, ok := a.Value.(string)
			if !ok || strings.TrimSpace(s) == "" {
				return nil, invalidKey(op, "comment.body", "non-empty text")
			}
			comment["body"] = s
		case "comment.public":
			b, ok := a.Value.(bool)
			if !ok {
				return nil, invalidKey(op, "comment.public", "true or false")
			}
			comment["public"] = b
		default:
			return nil, fmt.Errorf("zendesk %s: field %q is not writable: %w", op, a.Field.String(), connectors.ErrInvalid)
		}
	}
	if len(comment) > 0 {
		if _, ok := comment["body"]; !ok {
			return nil, invalidKey(op, "comment.public", "set together with comment.body")
		}
		out["comment"] = comment
	}
	return out, nil
}
