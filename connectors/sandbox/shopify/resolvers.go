package shopify

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Resolvers render the store's REST-shaped records under GraphQL names.
// They run with the store lock held (read for queries, write for
// mutations).

type queryRoot struct{}

func (queryRoot) typeName() string { return "QueryRoot" }

func (queryRoot) field(x *execCtx, name string, args map[string]any) (any, error) {
	s := x.srv
	switch name {
	case "order", "orders":
		if !s.hasScope("read_orders") {
			return nil, accessDenied(name, "read_orders")
		}
	case "customer", "customers":
		if !s.hasScope("read_customers") {
			return nil, accessDenied(name, "read_customers")
		}
	}
	switch name {
	case "order":
		id, err := parseGID(args, "Order")
		if err != nil {
			return nil, err
		}
		if o := s.store.orderLocked(id); o != nil {
			return &orderObj{o}, nil
		}
		return nil, nil
	case "customer":
		id, err := parseGID(args, "Customer")
		if err != nil {
			return nil, err
		}
		if c := s.store.customerLocked(id); c != nil {
			return &customerObj{c}, nil
		}
		return nil, nil
	case "orders":
		q, _ := argString(args, "query")
		parsed := ParseSearch(q)
		ignored := s.ignoredFields()
		var items []sortable
		for _, o := range s.store.orders {
			if matches(parsed.Root, orderDoc{o, x.srv.store, ignored}) {
				items = append(items, sortable{obj: &orderObj{o}, id: o.ID, key: orderSortKey(o, args)})
			}
		}
		return paginate("Order", items, args)
	case "customers":
		q, _ := argString(args, "query")
		parsed := ParseSearch(q)
		ignored := s.ignoredFields()
		var items []sortable
		for _, c := range s.store.customers {
			if matches(parsed.Root, customerDoc{c, ignored}) {
				items = append(items, sortable{obj: &customerObj{c}, id: c.ID, key: customerSortKey(c, args)})
			}
		}
		return paginate("Customer", items, args)
	}
	return nil, unsupported("QueryRoot", name)
}

// parseGID reads the id argument, which must be a GID of typ.
func parseGID(args map[string]any, typ string) (int64, error) {
	s, _ := argString(args, "id")
	if !strings.HasPrefix(s, "gid://shopify/") {
		return 0, &fieldError{msg: "Invalid global id", code: "argumentLiteralsIncompatible"}
	}
	n, err := parseID(s, typ)
	if err != nil {
		return 0, &fieldError{msg: "Invalid global id", code: "argumentLiteralsIncompatible"}
	}
	return n, nil
}

func orderSortKey(o *Order, args map[string]any) string {
	k, _ := argString(args, "sortKey")
	switch k {
	case "CREATED_AT":
		return ts(o.CreatedAt)
	case "UPDATED_AT":
		return ts(o.UpdatedAt)
	case "ORDER_NUMBER":
		return fmt.Sprintf("%012d", o.OrderNumber)
	case "ID", "RELEVANCE":
		return fmt.Sprintf("%020d", o.ID)
	}
	return ts(o.ProcessedAt)
}

func customerSortKey(c *Customer, args map[string]any) string {
	k, _ := argString(args, "sortKey")
	switch k {
	case "CREATED_AT":
		return ts(c.CreatedAt)
	case "UPDATED_AT":
		return ts(c.UpdatedAt)
	case "NAME":
		return strings.ToLower(deref(c.LastName) + " " + deref(c.FirstName))
	}
	return fmt.Sprintf("%020d", c.ID)
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// ts renders a stored timestamp as GraphQL's DateTime (UTC, seconds).
func ts(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return t.UTC().Format(time.RFC3339)
}

func tsPtr(p *string) any {
	if p == nil {
		return nil
	}
	return ts(*p)
}

func str(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}

// sortable is one connection item.
type sortable struct {
	obj object
	id  int64
	key string
}

type cursorData struct {
	LastID    int64  `json:"last_id"`
	LastValue string `json:"last_value"`
}

func encodeCursor(it sortable) string {
	b, _ := json.Marshal(cursorData{it.id, it.key})
	return base64.StdEncoding.EncodeToString(b)
}

// maxPageSize is Shopify's connection page limit.
const maxPageSize = 250

// paginate sorts items and cuts the page the first/after/last/before
// arguments ask for.
func paginate(typ string, items []sortable, args map[string]any) (any, error) {
	first, hasFirst := asInt(args["first"])
	last, hasLast := asInt(args["last"])
	if args["first"] == nil {
		hasFirst = false
	}
	if args["last"] == nil {
		hasLast = false
	}
	if !hasFirst && !hasLast {
		return nil, &fieldError{msg: "you must provide one of first or last", code: "BAD_REQUEST"}
	}
	if (hasFirst && (first < 0 || first > maxPageSize)) || (hasLast && (last < 0 || last > maxPageSize)) {
		return nil, &fieldError{msg: fmt.Sprintf("The page size must be between 0 and %d", maxPageSize), code: "BAD_REQUEST"}
	}
	sort.SliceStable(items, func(i, j int) bool {
		if items[i].key != items[j].key {
			return items[i].key < items[j].key
		}
		return items[i].id < items[j].id
	})
	if argBool(args, "reverse") {
		for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
			items[i], items[j] = items[j], items[i]
		}
	}
	lo, hi := 0, len(items)
	find := func(c string) (int, error) {
		b, err := base64.StdEncoding.DecodeString(c)
		var cd cursorData
		if err == nil {
			err = json.Unmarshal(b, &cd)
		}
		if err == nil {
			for i, it := range items {
				if it.id == cd.LastID {
					return i, nil
				}
			}
		}
		return 0, &fieldError{msg: "Invalid cursor", code: "BAD_REQUEST"}
	}
	if c, ok := argString(args, "after"); ok {
		i, err := find(c)
		if err != nil {
			return nil, err
		}
		lo = i + 1
	}
	if c, ok := argString(args, "before"); ok {
		i, err := find(c)
		if err != nil {
			return nil, err
		}
		hi = min(hi, i)
	}
	if lo > hi {
		lo = hi
	}
	window := items[lo:hi]
	hasNext, hasPrev := hi < len(items), lo > 0
	if hasFirst && len(window) > first {
		window, hasNext = window[:first], true
	}
	if hasLast && len(window) > last {
		window, hasPrev = window[len(window)-last:], true
	}
	return &connection{typ: typ, items: window, hasNext: hasNext, hasPrev: hasPrev}, nil
}

type connection struct {
	typ              string
	items            []sortable
	hasNext, hasPrev bool
}

func (c *connection) typeName() string { return c.typ + "Connection" }

func (c *connection) field(_ *execCtx, name string, _ map[string]any) (any, error) {
	switch name {
	case "nodes":
		out := make([]any, len(c.items))
		for i, it := range c.items {
			out[i] = it.obj
		}
		return out, nil
	case "edges":
		out := make([]any, len(c.items))
		for i, it := range c.items {
			out[i] = &edge{typ: c.typ, it: it}
		}
		return out, nil
	case "pageInfo":
		p := &pageInfo{hasNext: c.hasNext, hasPrev: c.hasPrev}
		if len(c.items) > 0 {
			p.start, p.end = encodeCursor(c.items[0]), encodeCursor(c.items[len(c.items)-1])
		}
		return p, nil
	}
	return nil, unsupported(c.typeName(), name)
}

type edge struct {
	typ string
	it  sortable
}

func (e *edge) typeName() string { return e.typ + "Edge" }

func (e *edge) field(_ *execCtx, name string, _ map[string]any) (any, error) {
	switch name {
	case "cursor":
		return encodeCursor(e.it), nil
	case "node":
		return e.it.obj, nil
	}
	return nil, unsupported(e.typeName(), name)
}

type pageInfo struct {
	hasNext, hasPrev bool
	start, end       string
}

func (*pageInfo) typeName() string { return "PageInfo" }

func (p *pageInfo) field(_ *execCtx, name string, _ map[string]any) (any, error) {
	opt := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	switch name {
	case "hasNextPage":
		return p.hasNext, nil
	case "hasPreviousPage":
		return p.hasPrev, nil
	case "startCursor":
		return opt(p.start), nil
	case "endCursor":
		return opt(p.end), nil
	}
	return nil, unsupported("PageInfo", name)
}

type orderObj struct{ o *Order }

func (*orderObj) typeName() string { return "Order" }

var fulfillmentStatusGQL = map[string]string{
	"fulfilled": "FULFILLED", "partial": "PARTIALLY_FULFILLED", "restocked": "RESTOCKED",
	"unfulfilled": "UNFULFILLED", "on_hold": "ON_HOLD", "scheduled": "SCHEDULED",
	"in_progress": "IN_PROGRESS", "open": "OPEN", "pending_fulfillment": "PENDING_FULFILLMENT",
	"request_declined": "REQUEST_DECLINED",
}

func (ob *orderObj) field(x *execCtx, name string, args map[string]any) (any, error) {
	o := ob.o
	switch name {
	case "id":
		return gid("Order", o.ID), nil
	case "legacyResourceId":
		return strconv.FormatInt(o.ID, 10), nil
	case "name":
		return o.Name, nil
	case "email":
		return str(o.Email), nil
	case "phone":
		return str(o.Phone), nil
	case "createdAt":
		return ts(o.CreatedAt), nil
	case "processedAt":
		return ts(o.ProcessedAt), nil
	case "updatedAt":
		return ts(o.UpdatedAt), nil
	case "cancelledAt":
		return tsPtr(o.CancelledAt), nil
	case "cancelReason":
		if o.CancelReason == nil {
			return nil, nil
		}
		return strings.ToUpper(*o.CancelReason), nil
	case "closed":
		return o.ClosedAt != nil, nil
	case "closedAt":
		return tsPtr(o.ClosedAt), nil
	case "confirmationNumber":
		return str(o.ConfirmationNumber), nil
	case "displayFinancialStatus":
		if o.FinancialStatus == "" {
			return nil, nil
		}
		return strings.ToUpper(o.FinancialStatus), nil
	case "displayFulfillmentStatus":
		if o.FulfillmentStatus == nil {
			return "UNFULFILLED", nil
		}
		if v, ok := fulfillmentStatusGQL[*o.FulfillmentStatus]; ok {
			return v, nil
		}
		return strings.ToUpper(*o.FulfillmentStatus), nil
	case "currencyCode":
		return o.Currency, nil
	case "tags":
		return strSlice(splitTags(o.Tags)), nil
	case "note":
		return str(o.Note), nil
	case "totalPriceSet":
		return &moneyBag{o.TotalPrice, o.Currency}, nil
	case "subtotalPriceSet":
		return &moneyBag{o.SubtotalPrice, o.Currency}, nil
	case "totalTaxSet":
		return &moneyBag{o.TotalTax, o.Currency}, nil
	case "customer":
		if o.Customer == nil {
			return nil, nil
		}
		if !x.srv.hasScope("read_customers") {
			return nil, accessDenied("customer", "read_customers")
		}
		if c := x.srv.store.customerLocked(o.Customer.ID); c != nil {
			return &customerObj{c}, nil
		}
		return nil, nil
	case "shippingAddress":
		if o.ShippingAddress == nil {
			return nil, nil
		}
		return &addressObj{a: o.ShippingAddress, owner: o.ID}, nil
	case "lineItems":
		items := make([]sortable, len(o.LineItems))
		for i := range o.LineItems {
			li := &o.LineItems[i]
			items[i] = sortable{obj: &lineItemObj{li, o.Currency}, id: li.ID, key: fmt.Sprintf("%06d", i)}
		}
		return paginate("LineItem", items, args)
	case "fulfillments":
		n := len(o.Fulfillments)
		if f, ok := asInt(args["first"]); ok && args["first"] != nil {
			if f < 0 || f > maxPageSize {
				return nil, &fieldError{msg: fmt.Sprintf("The page size must be between 0 and %d", maxPageSize), code: "BAD_REQUEST"}
			}
			n = min(n, f)
		}
		out := make([]any, n)
		for i := 0; i < n; i++ {
			out[i] = &fulfillmentObj{&o.Fulfillments[i]}
		}
		return out, nil
	}
	return nil, unsupported("Order", name)
}

func strSlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

type moneyBag struct{ amount, currency string }

func (*moneyBag) typeName() string { return "MoneyBag" }

func (m *moneyBag) field(_ *execCtx, name string, _ map[string]any) (any, error) {
	switch name {
	case "shopMoney", "presentmentMoney":
		return &money{m.amount, m.currency}, nil
	}
	return nil, unsupported("MoneyBag", name)
}

type money struct{ amount, currency string }

func (*money) typeName() string { return "MoneyV2" }

func (m *money) field(_ *execCtx, name string, _ map[string]any) (any, error) {
	switch name {
	case "amount":
		return m.amount, nil
	case "currencyCode":
		return m.currency, nil
	}
	return nil, unsupported("MoneyV2", name)
}

type lineItemObj struct {
	li       *LineItem
	currency string
}

func (*lineItemObj) typeName() string { return "LineItem" }

func (l *lineItemObj) field(_ *execCtx, name string, _ map[string]any) (any, error) {
	switch name {
	case "id":
		return gid("LineItem", l.li.ID), nil
	case "title":
		return l.li.Title, nil
	case "sku":
		return str(l.li.SKU), nil
	case "quantity", "currentQuantity":
		return l.li.Quantity, nil
	case "variantTitle":
		return str(l.li.VariantTitle), nil
	case "originalUnitPriceSet":
		return &moneyBag{l.li.Price, l.currency}, nil
	}
	return nil, unsupported("LineItem", name)
}

type fulfillmentObj struct{ f *Fulfillment }

func (*fulfillmentObj) typeName() string { return "Fulfillment" }

func (fo *fulfillmentObj) field(_ *execCtx, name string, args map[string]any) (any, error) {
	f := fo.f
	switch name {
	case "id":
		return gid("Fulfillment", f.ID), nil
	case "name":
		return f.Name, nil
	case "status":
		return strings.ToUpper(f.Status), nil
	case "createdAt":
		return ts(f.CreatedAt), nil
	case "updatedAt":
		return ts(f.UpdatedAt), nil
	case "trackingInfo":
		if f.TrackingNumber == nil && f.TrackingCompany == nil {
			return []any{}, nil
		}
		if n, ok := asInt(args["first"]); ok && args["first"] != nil && n == 0 {
			return []any{}, nil
		}
		return []any{&trackingObj{f}}, nil
	}
	return nil, unsupported("Fulfillment", name)
}

type trackingObj struct{ f *Fulfillment }

func (*trackingObj) typeName() string { return "FulfillmentTrackingInfo" }

func (t *trackingObj) field(_ *execCtx, name string, _ map[string]any) (any, error) {
	switch name {
	case "company":
		return str(t.f.TrackingCompany), nil
	case "number":
		return str(t.f.TrackingNumber), nil
	case "url":
		return str(t.f.TrackingURL), nil
	}
	return nil, unsupported("FulfillmentTrackingInfo", name)
}

type addressObj struct {
	a     *Address
	owner int64
}

func (*addressObj) typeName() string { return "MailingAddress" }

func (ao *addressObj) field(_ *execCtx, name string, _ map[string]any) (any, error) {
	a := ao.a
	switch name {
	case "id":
		return gid("MailingAddress", ao.owner) + "?model_name=Address", nil
	case "name":
		return str(a.Name), nil
	case "firstName":
		return str(a.FirstName), nil
	case "lastName":
		return str(a.LastName), nil
	case "company":
		return str(a.Company), nil
	case "address1":
		return str(a.Address1), nil
	case "address2":
		return str(a.Address2), nil
	case "city":
		return str(a.City), nil
	case "province":
		return str(a.Province), nil
	case "provinceCode":
		return str(a.ProvinceCode), nil
	case "zip":
		return str(a.Zip), nil
	case "country":
		return str(a.Country), nil
	case "countryCodeV2":
		return str(a.CountryCode), nil
	case "phone":
		return str(a.Phone), nil
	}
	return nil, unsupported("MailingAddress", name)
}

type customerObj struct{ c *Customer }

func (*customerObj) typeName() string { return "Customer" }

func (co *customerObj) field(x *execCtx, name string, _ map[string]any) (any, error) {
	c := co.c
	switch name {
	case "id":
		return gid("Customer", c.ID), nil
	case "legacyResourceId":
		return strconv.FormatInt(c.ID, 10), nil
	case "firstName":
		return str(c.FirstName), nil
	case "lastName":
		return str(c.LastName), nil
	case "displayName":
		return strings.TrimSpace(deref(c.FirstName) + " " + deref(c.LastName)), nil
	case "email":
		return str(c.Email), nil
	case "phone":
		return str(c.Phone), nil
	case "defaultEmailAddress":
		if c.Email == nil {
			return nil, nil
		}
		return &emailObj{*c.Email}, nil
	case "defaultPhoneNumber":
		if c.Phone == nil {
			return nil, nil
		}
		return &phoneObj{*c.Phone}, nil
	case "state":
		return strings.ToUpper(c.State), nil
	case "note":
		return str(c.Note), nil
	case "tags":
		return strSlice(splitTags(c.Tags)), nil
	case "createdAt":
		return ts(c.CreatedAt), nil
	case "updatedAt":
		return ts(c.UpdatedAt), nil
	case "numberOfOrders":
		n, _ := x.srv.store.customerStatsLocked(c.ID)
		return strconv.Itoa(n), nil
	case "amountSpent":
		_, spent := x.srv.store.customerStatsLocked(c.ID)
		return &money{spent, x.srv.store.currency}, nil
	case "verifiedEmail":
		return c.VerifiedEmail, nil
	case "defaultAddress":
		if c.DefaultAddress == nil {
			return nil, nil
		}
		return &addressObj{a: c.DefaultAddress, owner: c.ID}, nil
	}
	return nil, unsupported("Customer", name)
}

type emailObj struct{ v string }

func (*emailObj) typeName() string { return "CustomerEmailAddress" }

func (e *emailObj) field(_ *execCtx, name string, _ map[string]any) (any, error) {
	if name == "emailAddress" {
		return e.v, nil
	}
	return nil, unsupported("CustomerEmailAddress", name)
}

type phoneObj struct{ v string }

func (*phoneObj) typeName() string { return "CustomerPhoneNumber" }

func (p *phoneObj) field(_ *execCtx, name string, _ map[string]any) (any, error) {
	if name == "phoneNumber" {
		return p.v, nil
	}
	return nil, unsupported("CustomerPhoneNumber", name)
}

// Mutations.

type mutationRoot struct{}

func (mutationRoot) typeName() string { return "Mutation" }

func (mutationRoot) field(x *execCtx, name string, args map[string]any) (any, error) {
	if name != "orderUpdate" {
		return nil, unsupported("Mutation", name)
	}
	if !x.srv.hasScope("write_orders") {
		return nil, accessDenied("orderUpdate", "write_orders")
	}
	in, _ := args["input"].(map[string]any)
	return x.srv.orderUpdateLocked(in), nil
}

type userError struct {
	field []string
	msg   string
}

type updatePayload struct {
	order  *Order
	errors []userError
}

func (*updatePayload) typeName() string { return "OrderUpdatePayload" }

func (p *updatePayload) field(_ *execCtx, name string, _ map[string]any) (any, error) {
	switch name {
	case "order":
		if p.order == nil {
			return nil, nil
		}
		return &orderObj{p.order}, nil
	case "userErrors":
		out := make([]any, len(p.errors))
		for i := range p.errors {
			out[i] = &userErrorObj{p.errors[i]}
		}
		return out, nil
	}
	return nil, unsupported("OrderUpdatePayload", name)
}

type userErrorObj struct{ e userError }

func (*userErrorObj) typeName() string { return "UserError" }

func (u *userErrorObj) field(_ *execCtx, name string, _ map[string]any) (any, error) {
	switch name {
	case "field":
		if u.e.field == nil {
			return nil, nil
		}
		return strSlice(u.e.field), nil
	case "message":
		return u.e.msg, nil
	}
	return nil, unsupported("UserError", name)
}

var usZip = regexp.MustCompile(`^[0-9]{5}(-[0-9]{4})?$`)

// maxNote bounds an order note (sandbox limit; Shopify's is not published).
const maxNote = 5000

// orderUpdateLocked applies OrderInput. Absent keys leave fields alone;
// shippingAddress replaces the whole address, as Shopify documents
// ("Overwrites the existing shipping address").
func (s *Server) orderUpdateLocked(in map[string]any) *updatePayload {
	idStr, _ := in["id"].(string)
	id, err := parseID(idStr, "Order")
	var o *Order
	if err == nil {
		o = s.store.orderLocked(id)
	}
	if o == nil {
		return &updatePayload{errors: []userError{{[]string{"id"}, "Order does not exist"}}}
	}
	var errs []userError
	if v, ok := in["email"]; ok && v != nil {
		if e, _ := v.(string); !strings.Contains(e, "@") {
			errs = append(errs, userError{[]string{"email"}, "Email is invalid"})
		}
	}
	if v, ok := in["note"].(string); ok && utf8.RuneCountInString(v) > maxNote {
		errs = append(errs, userError{[]string{"note"}, fmt.Sprintf("Note is too long (maximum is %d characters)", maxNote)})
	}
	var addr *Address
	if raw, ok := in["shippingAddress"]; ok && raw != nil {
		m, _ := raw.(map[string]any)
		addr = &Address{}
		set := func(key string, dst **string) {
			if v, ok := m[key].(string); ok {
				*dst = ptr(v)
			}
		}
		set("firstName", &addr.FirstName)
		set("lastName", &addr.LastName)
		set("company", &addr.Company)
		set("address1", &addr.Address1)
		set("address2", &addr.Address2)
		set("city", &addr.City)
		set("provinceCode", &addr.ProvinceCode)
		set("zip", &addr.Zip)
		set("countryCode", &addr.CountryCode)
		set("phone", &addr.Phone)
		country := deref(addr.CountryCode)
		if requiresProvince(country) {
			if addr.ProvinceCode == nil {
				errs = append(errs, userError{[]string{"shippingAddress", "provinceCode"}, "Province can't be blank"})
			} else if _, ok := provinceName(addr.CountryCode, *addr.ProvinceCode); !ok {
				errs = append(errs, userError{[]string{"shippingAddress", "provinceCode"}, "Province is not valid for the country"})
			}
		}
		if country == "US" && addr.Zip != nil && !usZip.MatchString(*addr.Zip) {
			errs = append(errs, userError{[]string{"shippingAddress", "zip"}, "Enter a valid ZIP code for the United States"})
		}
		if addr.Address1 == nil || strings.TrimSpace(*addr.Address1) == "" {
			errs = append(errs, userError{[]string{"shippingAddress", "address1"}, "Address1 can't be blank"})
		}
	}
	if len(errs) > 0 {
		return &updatePayload{order: o, errors: errs}
	}
	if v, ok := in["email"]; ok {
		o.Email = optString(v)
	}
	if v, ok := in["note"]; ok {
		o.Note = optString(v)
	}
	if v, ok := in["tags"]; ok {
		list, _ := v.([]any)
		tags := make([]string, 0, len(list))
		for _, t := range list {
			if s, ok := t.(string); ok {
				tags = append(tags, s)
			}
		}
		o.Tags = strings.Join(tags, ", ")
	}
	if addr != nil {
		if addr.ProvinceCode != nil {
			*addr.ProvinceCode = strings.ToUpper(*addr.ProvinceCode)
		}
		fillAddress(addr)
		o.ShippingAddress = addr
	}
	o.UpdatedAt = s.store.stamp()
	return &updatePayload{order: o, errors: nil}
}

func optString(v any) *string {
	if s, ok := v.(string); ok {
		return &s
	}
	return nil
}

// Search documents: what each filter field of orders(query:) and
// customers(query:) looks at.

type orderDoc struct {
	o       *Order
	s       *store
	ignored map[string]bool
}

func (d orderDoc) values(field string) ([]string, bool) {
	if d.ignored[field] {
		return nil, false
	}
	o := d.o
	switch field {
	case "name":
		return []string{o.Name, strings.TrimPrefix(o.Name, "#")}, true
	case "email":
		return []string{deref(o.Email)}, true
	case "id":
		return []string{strconv.FormatInt(o.ID, 10)}, true
	case "customer_id":
		if o.Customer == nil {
			return nil, true
		}
		return []string{strconv.FormatInt(o.Customer.ID, 10)}, true
	case "financial_status":
		return []string{o.FinancialStatus}, true
	case "fulfillment_status":
		if o.FulfillmentStatus == nil {
			return []string{"unfulfilled"}, true
		}
		return []string{*o.FulfillmentStatus}, true
	case "status":
		switch {
		case o.CancelledAt != nil:
			return []string{"cancelled", "closed"}, true
		case o.ClosedAt != nil:
			return []string{"closed"}, true
		}
		return []string{"open", "not_closed"}, true
	case "tag":
		return splitTags(o.Tags), true
	case "sku":
		var out []string
		for _, li := range o.LineItems {
			out = append(out, deref(li.SKU))
		}
		return out, true
	case "confirmation_number":
		return []string{deref(o.ConfirmationNumber)}, true
	case "created_at":
		return []string{ts(o.CreatedAt)}, true
	case "processed_at":
		return []string{ts(o.ProcessedAt)}, true
	case "updated_at":
		return []string{ts(o.UpdatedAt)}, true
	}
	return nil, false
}

func (d orderDoc) text() []string {
	o := d.o
	out := []string{o.Name, deref(o.Email), deref(o.Phone), deref(o.Note), o.Tags, deref(o.ConfirmationNumber)}
	if a := o.ShippingAddress; a != nil {
		out = append(out, deref(a.Name), deref(a.Address1), deref(a.City), deref(a.Zip))
	}
	for _, li := range o.LineItems {
		out = append(out, li.Title, deref(li.SKU))
	}
	return out
}

type customerDoc struct {
	c       *Customer
	ignored map[string]bool
}

func (d customerDoc) values(field string) ([]string, bool) {
	if d.ignored[field] {
		return nil, false
	}
	c := d.c
	switch field {
	case "email":
		return []string{deref(c.Email)}, true
	case "phone":
		return []string{deref(c.Phone)}, true
	case "first_name":
		return []string{deref(c.FirstName)}, true
	case "last_name":
		return []string{deref(c.LastName)}, true
	case "id":
		return []string{strconv.FormatInt(c.ID, 10)}, true
	case "state":
		return []string{c.State}, true
	case "tag":
		return splitTags(c.Tags), true
	case "country":
		if c.DefaultAddress == nil {
			return nil, true
		}
		return []string{deref(c.DefaultAddress.Country), deref(c.DefaultAddress.CountryCode)}, true
	case "created_at":
		return []string{ts(c.CreatedAt)}, true
	case "updated_at":
		return []string{ts(c.UpdatedAt)}, true
	}
	return nil, false
}

func (d customerDoc) text() []string {
	c := d.c
	return []string{deref(c.FirstName), deref(c.LastName), deref(c.Email), deref(c.Phone), c.Tags}
}
