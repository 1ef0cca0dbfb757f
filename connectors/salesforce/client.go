package salesforce

import (
	"context"
	"fmt"
	"io"
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

// Connector talks to one Salesforce org. Safe for concurrent use.
type Connector struct {
	s      settings
	cat    connectors.Catalog
	http   *resty.Client
	tokens *connectors.TokenCache
	log    *slog.Logger
	now    func() time.Time
	limits atomic.Pointer[LimitInfo]
	warned atomic.Bool
	closed atomic.Bool
}

var _ connectors.Connector = (*Connector)(nil)

// Open builds a connector for one connection. It does no I/O: the first
// call fetches a token.
func Open(_ context.Context, cfg connectors.ConnectionConfig, deps connectors.Deps) (connectors.Connector, error) {
	s, probs := parseSettings(cfg)
	if len(probs) > 0 {
		return nil, fmt.Errorf("salesforce connection %q: %s: %s: %w", cfg.Name, probs[0].Key, probs[0].Message, connectors.ErrInvalid)
	}
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	c := &Connector{s: s, cat: Catalog(), log: log.With("connector", Type, "connection", cfg.Name), now: time.Now}
	c.http = connectors.NewHTTPClient(cfg, deps, connectors.HTTPOptions{UserAgent: "cxgate-salesforce"})
	c.tokens = &connectors.TokenCache{Secrets: deps.Secrets, Ref: cfg.Credentials, Fetch: c.fetchToken}
	return c, nil
}

// Catalog describes the resources; no I/O.
func (c *Connector) Catalog() connectors.Catalog { return c.cat }

// Close forgets the session. Idempotent.
func (c *Connector) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		c.tokens.Reset()
	}
	return nil
}

// LimitInfo is the org's API consumption from the last Sforce-Limit-Info
// header: calls used and allowed in the rolling 24 h window, and the
// api-bursts pair when Salesforce sends it.
type LimitInfo struct {
	Used, Max           int
	BurstUsed, BurstMax int
	At                  time.Time
}

// Limits returns the latest API consumption seen, if any.
func (c *Connector) Limits() (LimitInfo, bool) {
	if l := c.limits.Load(); l != nil {
		return *l, true
	}
	return LimitInfo{}, false
}

// parseLimitInfo reads "api-usage=10018/100000; api-bursts=1/750",
// tolerating unknown keys and spacing.
func parseLimitInfo(h string) (LimitInfo, bool) {
	var li LimitInfo
	found := false
	for _, part := range strings.Split(h, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		used, max, ok := strings.Cut(v, "/")
		u, err1 := strconv.Atoi(strings.TrimSpace(used))
		m, err2 := strconv.Atoi(strings.TrimSpace(strings.SplitN(max, "(", 2)[0]))
		if !ok || err1 != nil || err2 != nil {
			continue
		}
		switch strings.TrimSpace(k) {
		case "api-usage":
			li.Used, li.Max, found = u, m, true
		case "api-bursts":
			li.BurstUsed, li.BurstMax, found = u, m, true
		}
	}
	return li, found
}

func (c *Connector) observeLimits(resp *resty.Response) {
	h := resp.Header().Get("Sforce-Limit-Info")
	if h == "" {
		return
	}
	li, ok := parseLimitInfo(h)
	if !ok {
		return
	}
	li.At = c.now()
	c.limits.Store(&li)
	high := li.Max > 0 && li.Used*10 >= li.Max*9
	if high && c.warned.CompareAndSwap(false, true) {
		c.log.Warn("salesforce org has used 90% of its daily API allowance", "used", li.Used, "max", li.Max)
	} else if !high {
		c.warned.Store(false)
	}
}

// send runs one REST call with the session token, refreshing it once if
// Salesforce rejects it. build gets a request with context and auth set
// and the instance URL to prefix paths with.
func (c *Connector) send(ctx context.Context, op string, build func(r *resty.Request, instance string) (*resty.Response, error)) (*resty.Response, error) {
	if c.closed.Load() {
		return nil, fmt.Errorf("salesforce %s: connector closed: %w", op, connectors.ErrUnavailable)
	}
	var out *resty.Response
	err := c.tokens.Do(ctx, func(ctx context.Context, tok connectors.Token) error {
		r := c.http.R().SetContext(ctx).SetHeader("Authorization", "Bearer "+tok.Value)
		resp, err := build(r, tok.Extra["instance_url"])
		if err != nil {
			return connectors.TransportError("salesforce "+op, err)
		}
		c.observeLimits(resp)
		if resp.StatusCode() >= 300 {
			return apiErr(op, resp, c.now())
		}
		out = resp
		return nil
	})
	return out, err
}

// queryResult is a SOQL answer page.
type queryResult struct {
	TotalSize      int              `json:"totalSize"`
	Done           bool             `json:"done"`
	NextRecordsURL string           `json:"nextRecordsUrl"`
	Records        []map[string]any `json:"records"`
}

// query runs a SOQL statement and follows nextRecordsUrl until want
// records are in, Salesforce says done, or maxPages pages were read.
func (c *Connector) query(ctx context.Context, op, soql string, want int) ([]map[string]any, error) {
	path := "/services/data/" + c.s.version + "/query"
	var out []map[string]any
	for page := 0; page < c.s.maxPages; page++ {
		resp, err := c.send(connectors.MarkIdempotent(ctx), op, func(r *resty.Request, inst string) (*resty.Response, error) {
			if page == 0 {
				return r.SetQueryParam("q", soql).Get(inst + path)
			}
			return r.Get(inst + path)
		})
		if err != nil {
			return nil, err
		}
		var qr queryResult
		if err := connectors.DecodeJSON("salesforce "+op, resp.Body(), &qr); err != nil {
			return nil, err
		}
		out = append(out, qr.Records...)
		if qr.Done || qr.NextRecordsURL == "" || (want > 0 && len(out) >= want) {
			return out, nil
		}
		// nextRecordsUrl is a path on the same instance; refuse anything else.
		next, err := url.Parse(qr.NextRecordsURL)
		if err != nil || next.IsAbs() || next.Host != "" || !strings.HasPrefix(next.Path, "/services/data/") || next.RawQuery != "" {
			return nil, fmt.Errorf("salesforce %s: unexpected nextRecordsUrl: %w", op, connectors.ErrUpstream)
		}
		path = next.Path
	}
	c.log.Info("salesforce query stopped at the page bound", "op", op, "max_pages", c.s.maxPages)
	return out, nil
}

// plan is what a request resolves to.
type plan struct {
	res  *connectors.Resource
	rm   resourceMap
	tree *fieldpath.Tree
}

func (c *Connector) planQuery(action string, q connectors.Query) (plan, error) {
	res, tree, err := connectors.ValidateQuery(c.cat, action, q)
	if err != nil {
		return plan{}, fmt.Errorf("salesforce: %w", err)
	}
	return plan{res: res, rm: resources[res.Name], tree: tree}, nil
}

// Read returns the one record matching every criterion.
func (c *Connector) Read(ctx context.Context, q connectors.Query) (connectors.Record, error) {
	p, err := c.planQuery(connectors.ActionRead, q)
	if err != nil {
		return nil, err
	}
	op := "read " + p.res.Name
	if id, ok := c.onlyID(p, q); ok && plainFields(p.rm, q.Fields) {
		return c.readByID(ctx, op, p, id, q.Fields)
	}
	soql, err := buildQuery(p.res.Name, p.rm, q.Fields, q.Match, "", 2)
	if err != nil {
		return nil, err
	}
	recs, err := c.query(ctx, op, soql, 2)
	if err != nil {
		return nil, err
	}
	switch len(recs) {
	case 0:
		return nil, fmt.Errorf("salesforce %s: %w", op, connectors.ErrNotFound)
	case 1:
		return connectors.Project(p.tree, toRecord(recs[0], p.tree)), nil
	}
	return nil, fmt.Errorf("salesforce %s: the lookup matches more than one record; use a unique key: %w", op, connectors.ErrInvalid)
}

// onlyID returns the id when the only criterion is the id key.
func (c *Connector) onlyID(p plan, q connectors.Query) (string, bool) {
	if len(q.Match) != 1 || q.Match[0].Key != "id" {
		return "", false
	}
	return q.Match[0].Value, true
}

// plainFields: all fields are top-level and readable, so GET
// /sobjects/{type}/{id}?fields= can serve them (the API's preferred way
// to read a record whose id is known).
func plainFields(rm resourceMap, fields []fieldpath.Path) bool {
	for _, f := range fields {
		if len(f.Segments()) != 1 || f.Segments()[0].Each || rm.writeOnly[f.String()] {
			return false
		}
	}
	return true
}

func (c *Connector) readByID(ctx context.Context, op string, p plan, id string, fields []fieldpath.Path) (connectors.Record, error) {
	km := p.rm.keys["id"]
	if !idRe.MatchString(id) {
		return nil, fmt.Errorf("salesforce %s: key \"id\" is not a Salesforce id: %w", op, connectors.ErrInvalid)
	}
	if !validID(id, km.prefix) {
		return nil, fmt.Errorf("salesforce %s: %w", op, errWrongPrefix)
	}
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.String()
	}
	path := "/services/data/" + c.s.version + "/sobjects/" + p.rm.object + "/" + id
	resp, err := c.send(ctx, op, func(r *resty.Request, inst string) (*resty.Response, error) {
		return r.SetQueryParam("fields", strings.Join(names, ",")).Get(inst + path)
	})
	if err != nil {
		return nil, err
	}
	var rec map[string]any
	if err := connectors.DecodeJSON("salesforce "+op, resp.Body(), &rec); err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, fmt.Errorf("salesforce %s: empty record: %w", op, connectors.ErrUpstream)
	}
	return connectors.Project(p.tree, toRecord(rec, p.tree)), nil
}

// Search returns the records matching every criterion, newest first.
func (c *Connector) Search(ctx context.Context, q connectors.Query) ([]connectors.Record, error) {
	p, err := c.planQuery(connectors.ActionSearch, q)
	if err != nil {
		return nil, err
	}
	op := "search " + p.res.Name
	limit := q.Limit
	if limit <= 0 {
		limit = defaultSearchLimit
	}
	limit = min(limit, maxSearchLimit)
	soql, err := buildQuery(p.res.Name, p.rm, q.Fields, q.Match, "CreatedDate DESC, Id DESC", limit)
	if err != nil {
		if kindNotFound(err) {
			return []connectors.Record{}, nil // an id of another object matches nothing
		}
		return nil, err
	}
	recs, err := c.query(ctx, op, soql, limit)
	if err != nil {
		return nil, err
	}
	out := make([]connectors.Record, 0, min(len(recs), limit))
	for _, r := range recs {
		if len(out) == limit {
			break
		}
		out = append(out, connectors.Project(p.tree, toRecord(r, p.tree)))
	}
	return out, nil
}

func kindNotFound(err error) bool { return connectors.KindOf(err) == connectors.KindNotFound }

// Update writes the assignments to the one record u.Match identifies:
// Status and Priority by PATCH on the sObject (204), Comments as a
// private CaseComment insert. It then re-reads the record with u.Fields.
func (c *Connector) Update(ctx context.Context, u connectors.Update) (connectors.Record, error) {
	res, tree, err := connectors.ValidateUpdate(c.cat, u)
	if err != nil {
		return nil, fmt.Errorf("salesforce: %w", err)
	}
	rm := resources[res.Name]
	op := "update " + res.Name
	id, err := c.resolveID(ctx, op, res.Name, rm, u.Match)
	if err != nil {
		return nil, err
	}
	patch := map[string]any{}
	var comment *string
	for _, a := range u.Set {
		name := a.Field.String()
		if rm.writeOnly[name] {
			s, _ := a.Value.(string)
			if strings.TrimSpace(s) == "" {
				return nil, fmt.Errorf("salesforce %s: an empty comment: %w", op, connectors.ErrInvalid)
			}
			comment = &s
			continue
		}
		patch[name] = a.Value
	}
	base := "/services/data/" + c.s.version + "/sobjects/"
	if len(patch) > 0 {
		// PATCH with the same values twice leaves the same record: idempotent.
		_, err := c.send(connectors.MarkIdempotent(ctx), op, func(r *resty.Request, inst string) (*resty.Response, error) {
			return r.SetHeader("Content-Type", "application/json").SetBody(patch).Patch(inst + base + rm.object + "/" + id)
		})
		if err != nil {
			return nil, err
		}
	}
	if comment != nil {
		body := map[string]any{"ParentId": id, "CommentBody": *comment, "IsPublished": false}
		resp, err := c.send(ctx, op+" comment", func(r *resty.Request, inst string) (*resty.Response, error) {
			return r.SetHeader("Content-Type", "application/json").SetBody(body).Post(inst + base + "CaseComment")
		})
		if err != nil {
			return nil, err
		}
		var cr struct {
			Success bool `json:"success"`
		}
		if err := connectors.DecodeJSON("salesforce "+op+" comment", resp.Body(), &cr); err != nil {
			return nil, err
		}
		if !cr.Success {
			return nil, fmt.Errorf("salesforce %s comment: not created: %w", op, connectors.ErrUpstream)
		}
	}
	if len(u.Fields) == 0 {
		return connectors.Record{}, nil
	}
	rec, err := c.Read(ctx, connectors.Query{Resource: res.Name, Match: []connectors.Criterion{{Key: "id", Value: id}}, Fields: u.Fields})
	if err != nil {
		return nil, err
	}
	return connectors.Project(tree, rec), nil
}

// resolveID finds the id of the one record the criteria name, selecting
// nothing but Id.
func (c *Connector) resolveID(ctx context.Context, op, resource string, rm resourceMap, match []connectors.Criterion) (string, error) {
	soql, err := buildQuery(resource, rm, nil, match, "", 2, "Id")
	if err != nil {
		return "", err
	}
	recs, err := c.query(ctx, op, soql, 2)
	if err != nil {
		return "", err
	}
	switch len(recs) {
	case 0:
		return "", fmt.Errorf("salesforce %s: %w", op, connectors.ErrNotFound)
	case 1:
		id, _ := recs[0]["Id"].(string)
		if !idRe.MatchString(id) {
			return "", fmt.Errorf("salesforce %s: the record has no usable Id: %w", op, connectors.ErrUpstream)
		}
		return id, nil
	}
	return "", fmt.Errorf("salesforce %s: the lookup matches more than one record: %w", op, connectors.ErrInvalid)
}

// toRecord turns a Salesforce record into the catalog shape: attributes
// dropped at every level; child query results ({totalSize, done,
// records}) become arrays, and a requested child list Salesforce reports
// as null (no rows) becomes an empty array.
func toRecord(rec map[string]any, tree *fieldpath.Tree) connectors.Record {
	out := clean(rec).(map[string]any)
	if tree != nil {
		for _, n := range tree.Root().Children() {
			if n.Each {
				if v, ok := out[n.Name]; ok && v == nil {
					out[n.Name] = []any{}
				}
			}
		}
	}
	return out
}

func clean(v any) any {
	switch v := v.(type) {
	case map[string]any:
		if recs, ok := v["records"].([]any); ok {
			if _, isResult := v["totalSize"]; isResult {
				out := make([]any, 0, len(recs))
				for _, r := range recs {
					out = append(out, clean(r))
				}
				return out
			}
		}
		out := make(map[string]any, len(v))
		for k, e := range v {
			if k == "attributes" {
				continue
			}
			out[k] = clean(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = clean(e)
		}
		return out
	}
	return v
}
