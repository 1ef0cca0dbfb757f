package shopify

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/scopes/fieldpath"
)

// Search bounds.
const (
	defaultSearchLimit = 50
	maxSearchPages     = 5
	maxQueryCost       = 1000 // Shopify's single-query limit
)

// lookup is a normalised criterion.
type lookup struct {
	key   string
	value string // id: a GID; order_number: the order name; email: as given
}

var (
	numericID = regexp.MustCompile(`^[1-9][0-9]{0,19}$`)
	orderNum  = regexp.MustCompile(`^#?([0-9]{1,19})$`)
)

// normalise checks and canonicalises the criteria. Errors name keys, never values.
func normalise(d *resourceDef, match []connectors.Criterion) ([]lookup, error) {
	out := make([]lookup, 0, len(match))
	for _, m := range match {
		v := strings.TrimSpace(m.Value)
		switch m.Key {
		case "id":
			prefix := "gid://shopify/" + d.gqlType + "/"
			num := strings.TrimPrefix(v, prefix)
			if !numericID.MatchString(num) {
				return nil, fmt.Errorf("shopify %s: id must be a numeric id or %sN: %w", d.name, prefix, connectors.ErrInvalid)
			}
			v = prefix + num
		case "order_number":
			if mm := orderNum.FindStringSubmatch(v); mm != nil {
				v = "#" + mm[1]
			}
		case "email":
			if !strings.Contains(v, "@") {
				return nil, fmt.Errorf("shopify %s: email must be an email address: %w", d.name, connectors.ErrInvalid)
			}
		}
		out = append(out, lookup{key: m.Key, value: v})
	}
	return out, nil
}

// driver picks the lookup that drives the request: an id reads the record
// directly; otherwise a search on the most selective key. The others are
// checked on the results.
func driver(ls []lookup) lookup {
	for _, pref := range []string{"id", "order_number", "email"} {
		for _, l := range ls {
			if l.key == pref {
				return l
			}
		}
	}
	return ls[0]
}

// searchKeys are the search-syntax fields each lookup key filters on.
var searchKeys = map[string]string{"order_number": "name", "email": "email"}

// matchesAll is the post-filter: Shopify's search is fuzzy and ignores
// filters it does not know (returning everything), so every node is
// checked against every criterion before it is used.
func (c *Connector) matchesAll(d *resourceDef, node map[string]any, ls []lookup) bool {
	chains := d.keyChains(&c.cfg)
	for _, l := range ls {
		v, present, ok := follow(node, chains[l.key])
		s, isString := v.(string)
		if !present || !ok || !isString {
			return false
		}
		switch l.key {
		case "id":
			if s != l.value {
				return false
			}
		default: // order names and email addresses compare case-insensitively
			if !strings.EqualFold(strings.TrimSpace(s), l.value) {
				return false
			}
		}
	}
	return true
}

// find returns up to limit raw GraphQL nodes matching every lookup,
// selected with sel.
func (c *Connector) find(ctx context.Context, op string, d *resourceDef, ls []lookup, sel *selection, limit int) ([]map[string]any, error) {
	drv := driver(ls)
	if drv.key == "id" {
		data, err := c.graphql(ctx, op, d.byIDDoc(sel), map[string]any{"id": drv.value}, 1+sel.cost())
		if err != nil {
			return nil, err
		}
		node, _ := data[d.one].(map[string]any)
		if data[d.one] != nil && node == nil {
			return nil, shapeError(d, d.one)
		}
		if node == nil || !c.matchesAll(d, node, ls) {
			return nil, nil
		}
		return []map[string]any{node}, nil
	}
	key, ok := searchKeys[drv.key]
	if !ok {
		return nil, fmt.Errorf("%s: key %q cannot drive a search: %w", op, drv.key, connectors.ErrInvalid)
	}
	perNode := 1 + sel.cost()
	// 2 for the connection, 1 for pageInfo, perNode for each node.
	page := max(1, min(maxPage, (maxQueryCost-3)/perNode, limit+5))
	vars := map[string]any{"q": searchTerm(key, drv.value), "first": page, "after": nil}
	var out []map[string]any
	dropped := 0
	for p := 0; p < maxSearchPages && len(out) < limit; p++ {
		data, err := c.graphql(ctx, op, d.searchDoc(sel), vars, 3+page*perNode)
		if err != nil {
			return nil, err
		}
		conn, _ := data[d.many].(map[string]any)
		nodes, okNodes := conn["nodes"].([]any)
		info, okInfo := conn["pageInfo"].(map[string]any)
		if conn == nil || !okNodes || !okInfo {
			return nil, shapeError(d, d.many)
		}
		for _, n := range nodes {
			node, isMap := n.(map[string]any)
			if !isMap {
				return nil, shapeError(d, d.many)
			}
			if !c.matchesAll(d, node, ls) {
				dropped++
				continue
			}
			if len(out) < limit {
				out = append(out, node)
			}
		}
		next, _ := info["hasNextPage"].(bool)
		cursor, _ := info["endCursor"].(string)
		if !next || cursor == "" {
			break
		}
		vars["after"] = cursor
	}
	if dropped > 0 {
		c.log.Debug("shopify search results dropped by the post-filter", "op", op, "dropped", dropped)
	}
	return out, nil
}

func (c *Connector) prepare(action string, q connectors.Query) (*resourceDef, *fieldpath.Tree, []lookup, error) {
	op := "shopify " + action + " " + q.Resource
	if err := c.open(op); err != nil {
		return nil, nil, nil, err
	}
	_, tree, err := connectors.ValidateQuery(c.cat, action, q)
	if err != nil {
		return nil, nil, nil, err
	}
	d := resources[q.Resource]
	ls, err := normalise(d, q.Match)
	if err != nil {
		return nil, nil, nil, err
	}
	return d, tree, ls, nil
}

func (c *Connector) extraChains(d *resourceDef, ls []lookup) [][]string {
	chains := d.keyChains(&c.cfg)
	var out [][]string
	for _, l := range ls {
		out = append(out, chains[l.key])
	}
	return out
}

// Read returns the one record matching every criterion.
func (c *Connector) Read(ctx context.Context, q connectors.Query) (connectors.Record, error) {
	d, tree, ls, err := c.prepare(connectors.ActionRead, q)
	if err != nil {
		return nil, err
	}
	op := "shopify read " + d.name
	sel, err := d.build(&c.cfg, tree, c.extraChains(d, ls)...)
	if err != nil {
		return nil, err
	}
	nodes, err := c.find(ctx, op, d, ls, sel, 2)
	if err != nil {
		return nil, err
	}
	switch len(nodes) {
	case 0:
		return nil, fmt.Errorf("%s: %w", op, connectors.ErrNotFound)
	case 1:
		return d.toRecord(&c.cfg, tree, nodes[0])
	}
	return nil, fmt.Errorf("%s: more than one record matches; read by a unique key or search: %w", op, connectors.ErrInvalid)
}

// Search returns the records matching every criterion, newest first for
// orders, at most q.Limit (50 when 0; Shopify pages hold at most 250).
func (c *Connector) Search(ctx context.Context, q connectors.Query) ([]connectors.Record, error) {
	d, tree, ls, err := c.prepare(connectors.ActionSearch, q)
	if err != nil {
		return nil, err
	}
	op := "shopify search " + d.name
	limit := q.Limit
	if limit <= 0 {
		limit = defaultSearchLimit
	}
	limit = min(limit, maxPage)
	sel, err := d.build(&c.cfg, tree, c.extraChains(d, ls)...)
	if err != nil {
		return nil, err
	}
	nodes, err := c.find(ctx, op, d, ls, sel, limit)
	if err != nil {
		return nil, err
	}
	out := make([]connectors.Record, 0, len(nodes))
	for _, n := range nodes {
		rec, err := d.toRecord(&c.cfg, tree, n)
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}

// addressFields are the parts of a shipping address orderUpdate takes:
// MailingAddress field -> MailingAddressInput field. Shopify's orderUpdate
// replaces the whole address, so the connector reads these, applies the
// assignments and sends them all back (values never leave the connector).
var addressFields = [][2]string{
	{"firstName", "firstName"}, {"lastName", "lastName"}, {"company", "company"},
	{"address1", "address1"}, {"address2", "address2"}, {"city", "city"},
	{"provinceCode", "provinceCode"}, {"zip", "zip"}, {"countryCodeV2", "countryCode"}, {"phone", "phone"},
}

// writable maps writable catalog paths to OrderInput / MailingAddressInput.
var writable = map[string]string{
	"note":                      "note",
	"shipping_address.address1": "address1",
	"shipping_address.address2": "address2",
	"shipping_address.city":     "city",
	"shipping_address.province": "provinceCode",
	"shipping_address.zip":      "zip",
	"shipping_address.country":  "countryCode",
}

var countryCode = regexp.MustCompile(`^[A-Z]{2}$`)
var provinceCode = regexp.MustCompile(`^[A-Z0-9]{1,3}$`)

// Update writes the order note and shipping address through orderUpdate.
func (c *Connector) Update(ctx context.Context, u connectors.Update) (connectors.Record, error) {
	op := "shopify update " + u.Resource
	if err := c.open(op); err != nil {
		return nil, err
	}
	_, tree, err := connectors.ValidateUpdate(c.cat, u)
	if err != nil {
		return nil, err
	}
	d := resources[u.Resource]
	ls, err := normalise(d, u.Match)
	if err != nil {
		return nil, err
	}
	input := map[string]any{}
	addr := map[string]any{}
	touchesAddress := false
	for _, a := range u.Set {
		path := a.Field.String()
		name, ok := writable[path]
		if !ok {
			return nil, fmt.Errorf("%s: field %q is not writable: %w", op, path, connectors.ErrInvalid)
		}
		var v any
		if a.Value != nil {
			s, isString := a.Value.(string)
			if !isString {
				return nil, fmt.Errorf("%s: field %q needs a string: %w", op, path, connectors.ErrInvalid)
			}
			switch name {
			case "countryCode":
				s = strings.ToUpper(strings.TrimSpace(s))
				if !countryCode.MatchString(s) {
					return nil, fmt.Errorf("%s: field %q takes a two-letter ISO 3166-1 country code: %w", op, path, connectors.ErrInvalid)
				}
			case "provinceCode":
				s = strings.ToUpper(strings.TrimSpace(s))
				if !provinceCode.MatchString(s) {
					return nil, fmt.Errorf("%s: field %q takes a province code (e.g. OR, ON): %w", op, path, connectors.ErrInvalid)
				}
			}
			v = s
		}
		if path == "note" {
			input["note"] = v
			continue
		}
		touchesAddress = true
		addr[name] = v
	}

	// Find the order (and its current address when it is being changed).
	empty, _ := fieldpath.NewTree(nil)
	extra := append(c.extraChains(d, ls), []string{"id"})
	if touchesAddress {
		for _, f := range addressFields {
			extra = append(extra, []string{"shippingAddress", f[0]})
		}
	}
	sel, err := d.build(&c.cfg, empty, extra...)
	if err != nil {
		return nil, err
	}
	nodes, err := c.find(ctx, op, d, ls, sel, 2)
	if err != nil {
		return nil, err
	}
	switch {
	case len(nodes) == 0:
		return nil, fmt.Errorf("%s: %w", op, connectors.ErrNotFound)
	case len(nodes) > 1:
		return nil, fmt.Errorf("%s: more than one record matches: %w", op, connectors.ErrInvalid)
	}
	id, _ := nodes[0]["id"].(string)
	if id == "" {
		return nil, shapeError(d, "id")
	}
	input["id"] = id
	if touchesAddress {
		current, _ := nodes[0]["shippingAddress"].(map[string]any)
		full := map[string]any{}
		for _, f := range addressFields {
			if v, ok := current[f[0]]; ok && v != nil {
				full[f[1]] = v
			}
		}
		for k, v := range addr {
			if v == nil {
				delete(full, k)
			} else {
				full[k] = v
			}
		}
		input["shippingAddress"] = full
	}

	ret, err := d.build(&c.cfg, tree)
	if err != nil {
		return nil, err
	}
	data, err := c.graphql(ctx, op, orderUpdateDoc(ret), map[string]any{"input": input}, 10+1+ret.cost())
	if err != nil {
		return nil, err
	}
	payload, _ := data["orderUpdate"].(map[string]any)
	if payload == nil {
		return nil, shapeError(d, "orderUpdate")
	}
	if errs, _ := payload["userErrors"].([]any); len(errs) > 0 {
		return nil, userErrors(op, errs)
	}
	order, _ := payload["order"].(map[string]any)
	if order == nil {
		return nil, fmt.Errorf("%s: %w", op, connectors.ErrNotFound)
	}
	return d.toRecord(&c.cfg, tree, order)
}

// inputNames maps OrderInput paths back to catalog paths for messages.
var inputNames = map[string]string{
	"note": "note", "shippingAddress": "shipping_address",
	"shippingAddress.address1": "shipping_address.address1", "shippingAddress.address2": "shipping_address.address2",
	"shippingAddress.city": "shipping_address.city", "shippingAddress.provinceCode": "shipping_address.province",
	"shippingAddress.zip": "shipping_address.zip", "shippingAddress.countryCode": "shipping_address.country",
}

// userErrors maps orderUpdate's userErrors to ErrInvalid naming the
// catalog fields Shopify objected to; its messages (which may quote the
// values) are left out.
func userErrors(op string, errs []any) error {
	var fields []string
	for _, e := range errs {
		m, _ := e.(map[string]any)
		parts, _ := m["field"].([]any)
		var ps []string
		for _, p := range parts {
			if s, ok := p.(string); ok {
				ps = append(ps, s)
			}
		}
		path := strings.Join(ps, ".")
		if path == "id" {
			return fmt.Errorf("%s: Shopify reports no such order: %w", op, connectors.ErrNotFound)
		}
		name, ok := inputNames[path]
		if !ok {
			name = "another field"
		}
		fields = append(fields, name)
	}
	return fmt.Errorf("%s: Shopify rejected the values of %s: %w", op, strings.Join(fields, ", "), connectors.ErrInvalid)
}
