package shopify

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/scopes/fieldpath"
)

// How catalog paths become GraphQL: every catalog name maps to a short
// chain of GraphQL fields to follow from its parent's value. A chain step
// "[0]" takes the first element of a list (a fulfillment's first tracking
// entry). Arguments in chains are literals built from integers in the
// connection's config, never from request values; request values travel
// only in GraphQL variables.

type mnode struct {
	name  string   // catalog name
	each  bool     // catalog "name[]"
	chain []string // GraphQL steps from the parent value
	// older replaces chain for API versions before 2025-04 (Customer.email
	// and phone before defaultEmailAddress / defaultPhoneNumber).
	older []string
	conv  func(any) (any, bool)
	kids  []*mnode
}

func (m *mnode) kid(name string) *mnode {
	for _, k := range m.kids {
		if k.name == name {
			return k
		}
	}
	return nil
}

func (m *mnode) steps(c *config) []string {
	if m.older != nil && !c.newerCustomerFields() {
		return m.older
	}
	return m.chain
}

func leaf(name string, chain ...string) *mnode { return &mnode{name: name, chain: chain} }

func group(name string, chain []string, kids ...*mnode) *mnode {
	return &mnode{name: name, chain: chain, kids: kids}
}

func list(name string, chain []string, kids ...*mnode) *mnode {
	return &mnode{name: name, each: true, chain: chain, kids: kids}
}

func versioned(name string, newer, older []string) *mnode {
	return &mnode{name: name, chain: newer, older: older}
}

func withConv(m *mnode, conv func(any) (any, bool)) *mnode { m.conv = conv; return m }

// uint64String turns an UnsignedInt64 (a JSON string) into a number.
func uint64String(v any) (any, bool) {
	s, ok := v.(string)
	if !ok {
		return nil, false
	}
	if _, err := strconv.ParseUint(s, 10, 64); err != nil {
		return nil, false
	}
	return json.Number(s), true
}

// Placeholders in chains, replaced by the connection's limits.
const (
	phLineItems    = "$LINE_ITEMS"
	phFulfillments = "$FULFILLMENTS"
)

var customerEmail = versioned("email", []string{"defaultEmailAddress", "emailAddress"}, []string{"email"})
var customerPhone = versioned("phone", []string{"defaultPhoneNumber", "phoneNumber"}, []string{"phone"})

func orderMapping() *mnode {
	money := func(name, field string) *mnode { return leaf(name, field, "shopMoney", "amount") }
	return group("", nil,
		leaf("id", "id"),
		leaf("name", "name"),
		leaf("created_at", "createdAt"),
		leaf("processed_at", "processedAt"),
		leaf("cancelled_at", "cancelledAt"),
		leaf("closed_at", "closedAt"),
		leaf("financial_status", "displayFinancialStatus"),
		leaf("fulfillment_status", "displayFulfillmentStatus"),
		leaf("currency", "currencyCode"),
		money("total_price", "totalPriceSet"),
		money("subtotal_price", "subtotalPriceSet"),
		money("total_tax", "totalTaxSet"),
		leaf("email", "email"),
		leaf("phone", "phone"),
		leaf("note", "note"),
		&mnode{name: "tags", each: true, chain: []string{"tags"}},
		group("customer", []string{"customer"},
			leaf("id", "id"),
			leaf("first_name", "firstName"),
			leaf("last_name", "lastName"),
			customerEmail,
			customerPhone,
		),
		list("line_items", []string{"lineItems(first: " + phLineItems + ")", "nodes"},
			leaf("title", "title"),
			leaf("sku", "sku"),
			leaf("quantity", "quantity"),
			money("price", "originalUnitPriceSet"),
		),
		group("shipping_address", []string{"shippingAddress"},
			leaf("name", "name"),
			leaf("address1", "address1"),
			leaf("address2", "address2"),
			leaf("city", "city"),
			leaf("province", "province"),
			leaf("zip", "zip"),
			leaf("country", "country"),
			leaf("phone", "phone"),
		),
		list("fulfillments", []string{"fulfillments(first: " + phFulfillments + ")"},
			leaf("status", "status"),
			leaf("tracking_company", "trackingInfo(first: 1)", "[0]", "company"),
			leaf("tracking_number", "trackingInfo(first: 1)", "[0]", "number"),
			leaf("tracking_url", "trackingInfo(first: 1)", "[0]", "url"),
		),
	)
}

func customerMapping() *mnode {
	return group("", nil,
		leaf("id", "id"),
		leaf("first_name", "firstName"),
		leaf("last_name", "lastName"),
		customerEmail,
		customerPhone,
		leaf("state", "state"),
		leaf("created_at", "createdAt"),
		withConv(leaf("number_of_orders", "numberOfOrders"), uint64String),
		leaf("amount_spent", "amountSpent", "amount"),
		&mnode{name: "tags", each: true, chain: []string{"tags"}},
		leaf("note", "note"),
		group("default_address", []string{"defaultAddress"},
			leaf("address1", "address1"),
			leaf("city", "city"),
			leaf("zip", "zip"),
			leaf("country", "country"),
		),
	)
}

// resourceDef is what the connector knows about one resource.
type resourceDef struct {
	name     string
	gqlType  string // Order, Customer
	one      string // QueryRoot field for one record by id
	many     string // QueryRoot connection field
	sortArgs string // fixed sort arguments for searches
	mapping  *mnode
	// keyChains are the GraphQL chains a post-filter reads for each key.
	keyChains func(c *config) map[string][]string
}

var resources = map[string]*resourceDef{
	"order": {
		name: "order", gqlType: "Order", one: "order", many: "orders",
		sortArgs: ", sortKey: PROCESSED_AT, reverse: true",
		mapping:  orderMapping(),
		keyChains: func(*config) map[string][]string {
			return map[string][]string{"id": {"id"}, "order_number": {"name"}, "email": {"email"}}
		},
	},
	"customer": {
		name: "customer", gqlType: "Customer", one: "customer", many: "customers",
		mapping: customerMapping(),
		keyChains: func(c *config) map[string][]string {
			return map[string][]string{"id": {"id"}, "email": customerEmail.steps(c)}
		},
	},
}

// selection is a GraphQL selection set under construction; children keep
// the order in which they were first added, so documents are stable.
type selection struct {
	field string // with literal arguments
	kids  []*selection
}

func (s *selection) add(chain []string) *selection {
	n := s
	for _, step := range chain {
		if step == "[0]" {
			continue
		}
		var next *selection
		for _, k := range n.kids {
			if k.field == step {
				next = k
				break
			}
		}
		if next == nil {
			next = &selection{field: step}
			n.kids = append(n.kids, next)
		}
		n = next
	}
	return n
}

func (s *selection) render(b *strings.Builder) {
	b.WriteString("{")
	for i, k := range s.kids {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(k.field)
		if len(k.kids) > 0 {
			b.WriteString(" ")
			k.render(b)
		}
	}
	b.WriteString("}")
}

func (s *selection) String() string {
	var b strings.Builder
	s.render(&b)
	return b.String()
}

// cost estimates Shopify's requested cost of one record selected this way:
// objects 1, connections 2 plus their page size times a node's cost, lists
// with `first` that many times an element's cost, scalars 0. The connector
// sizes search pages with it, so a search stays under the 1,000-point
// single-query limit.
func (s *selection) cost() int {
	total := 0
	for _, k := range s.kids {
		if len(k.kids) == 0 {
			continue
		}
		child := k.cost()
		n := firstArg(k.field)
		switch {
		case n > 0 && k.isConnection():
			total += 2 + n*child
		case n > 0:
			total += n * (1 + child)
		default:
			total += 1 + child
		}
	}
	return total
}

func (s *selection) isConnection() bool {
	for _, k := range s.kids {
		if k.field == "nodes" || k.field == "edges" {
			return true
		}
	}
	return false
}

func firstArg(field string) int {
	_, args, ok := strings.Cut(field, "(first: ")
	if !ok {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSuffix(args, ")"))
	return n
}

// build is the GraphQL selection for the requested catalog paths (and the
// chains post-filters need): exactly those fields, nothing more.
func (d *resourceDef) build(c *config, tree *fieldpath.Tree, extra ...[]string) (*selection, error) {
	root := &selection{}
	var walk func(fn *fieldpath.Node, mn *mnode, at *selection) error
	walk = func(fn *fieldpath.Node, mn *mnode, at *selection) error {
		for _, ch := range fn.Children() {
			m := mn.kid(ch.Name)
			if m == nil || m.each != ch.Each {
				return fmt.Errorf("field %s is not mapped to GraphQL: %w", ch.Name, connectors.ErrInvalid)
			}
			steps := make([]string, len(m.steps(c)))
			for i, s := range m.steps(c) {
				s = strings.ReplaceAll(s, phLineItems, strconv.Itoa(c.lineItems))
				steps[i] = strings.ReplaceAll(s, phFulfillments, strconv.Itoa(c.fulfillments))
			}
			n := at.add(steps)
			if ch.Leaf >= 0 {
				if len(m.kids) > 0 {
					return fmt.Errorf("field %s names an object, not a value: %w", ch.Name, connectors.ErrInvalid)
				}
				continue
			}
			if err := walk(ch, m, n); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(tree.Root(), d.mapping, root); err != nil {
		return nil, err
	}
	for _, ch := range extra {
		root.add(ch)
	}
	if len(root.kids) == 0 {
		root.add([]string{"id"})
	}
	return root, nil
}

// follow walks a chain from v. present is false when a key is missing
// (Shopify left out a field we asked for); a null along the way is a
// present nil.
func follow(v any, chain []string) (out any, present bool, ok bool) {
	for _, step := range chain {
		if v == nil {
			return nil, true, true
		}
		if step == "[0]" {
			l, isList := v.([]any)
			if !isList {
				return nil, false, false
			}
			if len(l) == 0 {
				v = nil
				continue
			}
			v = l[0]
			continue
		}
		m, isMap := v.(map[string]any)
		if !isMap {
			return nil, false, false
		}
		name, _, _ := strings.Cut(step, "(")
		x, has := m[name]
		if !has {
			return nil, false, true
		}
		v = x
	}
	return v, true, true
}

// toRecord maps one GraphQL object back to the catalog shape, keeping
// only the requested paths.
func (d *resourceDef) toRecord(c *config, tree *fieldpath.Tree, v map[string]any) (connectors.Record, error) {
	var walk func(fn *fieldpath.Node, mn *mnode, v map[string]any, path string) (map[string]any, error)
	walk = func(fn *fieldpath.Node, mn *mnode, v map[string]any, path string) (map[string]any, error) {
		out := make(map[string]any, len(fn.Children()))
		for _, ch := range fn.Children() {
			m := mn.kid(ch.Name)
			p := ch.Name
			if path != "" {
				p = path + "." + ch.Name
			}
			x, present, ok := follow(v, m.steps(c))
			if !ok {
				return nil, shapeError(d, p)
			}
			if !present {
				continue
			}
			if x == nil {
				out[ch.Name] = nil
				continue
			}
			conv := func(x any) (any, error) {
				if m.conv == nil {
					switch x.(type) {
					case map[string]any, []any:
						return nil, shapeError(d, p)
					}
					return x, nil
				}
				y, ok := m.conv(x)
				if !ok {
					return nil, shapeError(d, p)
				}
				return y, nil
			}
			switch {
			case ch.Each:
				l, isList := x.([]any)
				if !isList {
					return nil, shapeError(d, p)
				}
				arr := make([]any, 0, len(l))
				for _, e := range l {
					if ch.Leaf >= 0 {
						y, err := conv(e)
						if err != nil {
							return nil, err
						}
						arr = append(arr, y)
						continue
					}
					em, isMap := e.(map[string]any)
					if !isMap {
						return nil, shapeError(d, p+"[]")
					}
					sub, err := walk(ch, m, em, p+"[]")
					if err != nil {
						return nil, err
					}
					arr = append(arr, sub)
				}
				out[ch.Name] = arr
			case ch.Leaf >= 0:
				y, err := conv(x)
				if err != nil {
					return nil, err
				}
				out[ch.Name] = y
			default:
				xm, isMap := x.(map[string]any)
				if !isMap {
					return nil, shapeError(d, p)
				}
				sub, err := walk(ch, m, xm, p)
				if err != nil {
					return nil, err
				}
				out[ch.Name] = sub
			}
		}
		return out, nil
	}
	return walk(tree.Root(), d.mapping, v, "")
}

func shapeError(d *resourceDef, path string) error {
	return fmt.Errorf("shopify %s: unexpected value shape at %s: %w", d.name, path, connectors.ErrUpstream)
}

// Documents. Operation names make the requests easy to find in Shopify's
// logs and in recorded sandbox traffic.

func (d *resourceDef) byIDDoc(sel *selection) string {
	return fmt.Sprintf("query Cxgate%sById($id: ID!) { %s(id: $id) %s }", d.gqlType, d.one, sel)
}

func (d *resourceDef) searchDoc(sel *selection) string {
	return fmt.Sprintf("query Cxgate%sSearch($q: String!, $first: Int!, $after: String) { %s(first: $first, after: $after, query: $q%s) { nodes %s pageInfo {hasNextPage endCursor} } }",
		d.gqlType, d.many, d.sortArgs, sel)
}

func orderUpdateDoc(sel *selection) string {
	return fmt.Sprintf("mutation CxgateOrderUpdate($input: OrderInput!) { orderUpdate(input: $input) { order %s userErrors {field message} } }", sel)
}

// searchTerm builds one search term on a fixed key: the value in double
// quotes with backslashes and double quotes escaped (shopify.dev search
// syntax), so whatever it holds (OR, -, *, parentheses, quotes) it stays
// one literal value. The term travels as a GraphQL variable.
func searchTerm(key, value string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return key + `:"` + r.Replace(value) + `"`
}
