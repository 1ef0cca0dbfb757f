package shopify

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The store keeps records in the shape of Shopify's (legacy) REST Admin API,
// the shape of the seed file, of the create endpoints and of Lookup. The
// GraphQL resolvers read the same records and render GraphQL names.

// Address is a REST mailing address.
type Address struct {
	FirstName    *string `json:"first_name"`
	LastName     *string `json:"last_name"`
	Name         *string `json:"name"`
	Company      *string `json:"company"`
	Address1     *string `json:"address1"`
	Address2     *string `json:"address2"`
	City         *string `json:"city"`
	Province     *string `json:"province"`
	ProvinceCode *string `json:"province_code"`
	Zip          *string `json:"zip"`
	Country      *string `json:"country"`
	CountryCode  *string `json:"country_code"`
	Phone        *string `json:"phone"`
}

// LineItem is a REST order line.
type LineItem struct {
	ID           int64   `json:"id"`
	Title        string  `json:"title"`
	VariantTitle *string `json:"variant_title"`
	SKU          *string `json:"sku"`
	Quantity     int     `json:"quantity"`
	Price        string  `json:"price"`
}

// Fulfillment is a REST fulfillment with its (first) tracking details.
type Fulfillment struct {
	ID              int64   `json:"id"`
	Name            string  `json:"name"`
	Status          string  `json:"status"`
	TrackingCompany *string `json:"tracking_company"`
	TrackingNumber  *string `json:"tracking_number"`
	TrackingURL     *string `json:"tracking_url"`
	CreatedAt       string  `json:"created_at"`
	UpdatedAt       string  `json:"updated_at"`
}

// CustomerRef links an order to a customer.
type CustomerRef struct {
	ID    int64  `json:"id"`
	Email string `json:"email,omitempty"` // create only: link by email
}

// Order is a REST order.
type Order struct {
	ID                 int64         `json:"id"`
	Name               string        `json:"name"`
	OrderNumber        int           `json:"order_number"`
	ConfirmationNumber *string       `json:"confirmation_number"`
	Email              *string       `json:"email"`
	Phone              *string       `json:"phone"`
	CreatedAt          string        `json:"created_at"`
	ProcessedAt        string        `json:"processed_at"`
	UpdatedAt          string        `json:"updated_at"`
	CancelledAt        *string       `json:"cancelled_at"`
	CancelReason       *string       `json:"cancel_reason"`
	ClosedAt           *string       `json:"closed_at"`
	Currency           string        `json:"currency"`
	FinancialStatus    string        `json:"financial_status"`
	FulfillmentStatus  *string       `json:"fulfillment_status"`
	SubtotalPrice      string        `json:"subtotal_price"`
	TotalTax           string        `json:"total_tax"`
	TotalPrice         string        `json:"total_price"`
	Tags               string        `json:"tags"`
	Note               *string       `json:"note"`
	Customer           *CustomerRef  `json:"customer"`
	LineItems          []LineItem    `json:"line_items"`
	ShippingAddress    *Address      `json:"shipping_address"`
	Fulfillments       []Fulfillment `json:"fulfillments"`
}

// Customer is a REST customer.
type Customer struct {
	ID             int64    `json:"id"`
	FirstName      *string  `json:"first_name"`
	LastName       *string  `json:"last_name"`
	Email          *string  `json:"email"`
	Phone          *string  `json:"phone"`
	State          string   `json:"state"`
	VerifiedEmail  bool     `json:"verified_email"`
	Tags           string   `json:"tags"`
	Note           *string  `json:"note"`
	CreatedAt      string   `json:"created_at"`
	UpdatedAt      string   `json:"updated_at"`
	DefaultAddress *Address `json:"default_address"`
}

// seedFile is the fixture format: the embedded seed, Options.Seed and the
// files `cxgate dev` may load.
type seedFile struct {
	Shop struct {
		Name     string `json:"name"`
		Domain   string `json:"domain"`
		Currency string `json:"currency"`
	} `json:"shop"`
	Customers []*Customer `json:"customers"`
	Orders    []*Order    `json:"orders"`
}

type store struct {
	mu        sync.RWMutex
	currency  string
	orders    []*Order // in creation order
	customers []*Customer
	nextOrder int64
	nextCust  int64
	nextLine  int64
	nextFul   int64
	now       func() time.Time
}

func loadStore(r io.Reader, now func() time.Time) (*store, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var seed seedFile
	if err := dec.Decode(&seed); err != nil {
		return nil, fmt.Errorf("sandbox seed: %w", err)
	}
	s := &store{currency: seed.Shop.Currency, now: now,
		nextOrder: 5501234569000, nextCust: 7301234569000, nextLine: 14001234569000, nextFul: 4801234569000}
	if s.currency == "" {
		s.currency = "USD"
	}
	for _, c := range seed.Customers {
		if err := s.addCustomer(c, false); err != nil {
			return nil, fmt.Errorf("sandbox seed: customer %d: %w", c.ID, err)
		}
	}
	for _, o := range seed.Orders {
		if err := s.addOrder(o, false); err != nil {
			return nil, fmt.Errorf("sandbox seed: order %d: %w", o.ID, err)
		}
	}
	return s, nil
}

// errInvalidRecord is a create request the store rejects (422).
type errInvalidRecord struct {
	field string
	msg   string
}

func (e *errInvalidRecord) Error() string { return e.field + " " + e.msg }

func (s *store) stamp() string { return s.now().UTC().Format(time.RFC3339) }

// addCustomer validates c and stores it; created assigns ids and times.
func (s *store) addCustomer(c *Customer, created bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.Email != nil {
		*c.Email = strings.TrimSpace(*c.Email)
		if *c.Email == "" {
			c.Email = nil
		} else if !strings.Contains(*c.Email, "@") {
			return &errInvalidRecord{"email", "is invalid"}
		}
	}
	if c.Email == nil && c.Phone == nil && c.FirstName == nil && c.LastName == nil {
		return &errInvalidRecord{"customer", "must have a name, phone number or email address"}
	}
	for _, o := range s.customers {
		if c.Email != nil && o.Email != nil && strings.EqualFold(*o.Email, *c.Email) {
			return &errInvalidRecord{"email", "has already been taken"}
		}
		if c.ID != 0 && o.ID == c.ID {
			return &errInvalidRecord{"id", "has already been taken"}
		}
	}
	if created || c.ID == 0 {
		s.nextCust++
		c.ID = s.nextCust
	}
	if c.State == "" {
		c.State = "enabled"
	}
	if created || c.CreatedAt == "" {
		c.CreatedAt = s.stamp()
	}
	if created || c.UpdatedAt == "" {
		c.UpdatedAt = c.CreatedAt
	}
	fillAddress(c.DefaultAddress)
	s.customers = append(s.customers, c)
	return nil
}

// addOrder validates o, links its customer, computes missing totals and
// stores it; created assigns ids, the next order number and times.
func (s *store) addOrder(o *Order, created bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(o.LineItems) == 0 {
		return &errInvalidRecord{"line_items", "must contain at least one item"}
	}
	for _, x := range s.orders {
		if o.ID != 0 && x.ID == o.ID {
			return &errInvalidRecord{"id", "has already been taken"}
		}
	}
	if o.Customer != nil {
		switch {
		case o.Customer.ID != 0:
			if s.customerLocked(o.Customer.ID) == nil {
				return &errInvalidRecord{"customer", "does not exist"}
			}
		case o.Customer.Email != "":
			c := s.customerByEmailLocked(o.Customer.Email)
			if c == nil {
				return &errInvalidRecord{"customer", "does not exist"}
			}
			o.Customer.ID = c.ID
		default:
			o.Customer = nil
		}
		if o.Customer != nil {
			o.Customer.Email = ""
		}
	}
	if created || o.ID == 0 {
		s.nextOrder++
		o.ID = s.nextOrder
	}
	if created || o.OrderNumber == 0 {
		max := 1000
		for _, x := range s.orders {
			max = maxInt(max, x.OrderNumber)
		}
		o.OrderNumber = max + 1
	}
	if created || o.Name == "" {
		o.Name = "#" + strconv.Itoa(o.OrderNumber)
	}
	now := s.stamp()
	if created || o.CreatedAt == "" {
		o.CreatedAt = now
	}
	if o.ProcessedAt == "" {
		o.ProcessedAt = o.CreatedAt
	}
	if created || o.UpdatedAt == "" {
		o.UpdatedAt = o.CreatedAt
	}
	if o.Currency == "" {
		o.Currency = s.currency
	}
	if o.FinancialStatus == "" {
		o.FinancialStatus = "pending"
	}
	sub := new(big.Rat)
	for i := range o.LineItems {
		li := &o.LineItems[i]
		if created || li.ID == 0 {
			s.nextLine++
			li.ID = s.nextLine
		}
		if li.Quantity <= 0 {
			return &errInvalidRecord{"line_items", "quantity must be greater than 0"}
		}
		p, ok := new(big.Rat).SetString(orZero(li.Price))
		if !ok || p.Sign() < 0 {
			return &errInvalidRecord{"line_items", "price is invalid"}
		}
		li.Price = p.FloatString(2)
		sub.Add(sub, new(big.Rat).Mul(p, big.NewRat(int64(li.Quantity), 1)))
	}
	tax, ok := new(big.Rat).SetString(orZero(o.TotalTax))
	if !ok || tax.Sign() < 0 {
		return &errInvalidRecord{"total_tax", "is invalid"}
	}
	o.SubtotalPrice = sub.FloatString(2)
	o.TotalTax = tax.FloatString(2)
	o.TotalPrice = new(big.Rat).Add(sub, tax).FloatString(2)
	for i := range o.Fulfillments {
		f := &o.Fulfillments[i]
		if created || f.ID == 0 {
			s.nextFul++
			f.ID = s.nextFul
		}
		if f.Name == "" {
			f.Name = fmt.Sprintf("%s.%d", o.Name, i+1)
		}
		if f.Status == "" {
			f.Status = "success"
		}
		if f.CreatedAt == "" {
			f.CreatedAt = o.CreatedAt
		}
		if f.UpdatedAt == "" {
			f.UpdatedAt = f.CreatedAt
		}
	}
	fillAddress(o.ShippingAddress)
	s.orders = append(s.orders, o)
	return nil
}

func orZero(s string) string {
	if strings.TrimSpace(s) == "" {
		return "0"
	}
	return s
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// fillAddress derives name, province and country names from the parts, as
// Shopify does when an address is saved.
func fillAddress(a *Address) {
	if a == nil {
		return
	}
	if a.Name == nil {
		parts := []string{}
		for _, p := range []*string{a.FirstName, a.LastName} {
			if p != nil && *p != "" {
				parts = append(parts, *p)
			}
		}
		if len(parts) > 0 {
			a.Name = ptr(strings.Join(parts, " "))
		}
	}
	if a.CountryCode != nil && a.Country == nil {
		if n, ok := countryNames[*a.CountryCode]; ok {
			a.Country = ptr(n)
		}
	}
	if a.ProvinceCode != nil && a.Province == nil {
		if n, ok := provinceName(a.CountryCode, *a.ProvinceCode); ok {
			a.Province = ptr(n)
		} else {
			a.Province = ptr(*a.ProvinceCode)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func (s *store) customerLocked(id int64) *Customer {
	for _, c := range s.customers {
		if c.ID == id {
			return c
		}
	}
	return nil
}

func (s *store) customerByEmailLocked(email string) *Customer {
	for _, c := range s.customers {
		if c.Email != nil && strings.EqualFold(*c.Email, email) {
			return c
		}
	}
	return nil
}

func (s *store) orderLocked(id int64) *Order {
	for _, o := range s.orders {
		if o.ID == id {
			return o
		}
	}
	return nil
}

// customerStats counts a customer's orders and sums what they spent
// (cancelled orders excluded), as numberOfOrders and amountSpent do.
func (s *store) customerStatsLocked(id int64) (n int, spent string) {
	sum := new(big.Rat)
	for _, o := range s.orders {
		if o.Customer == nil || o.Customer.ID != id {
			continue
		}
		n++
		if o.CancelledAt == nil {
			if p, ok := new(big.Rat).SetString(o.TotalPrice); ok {
				sum.Add(sum, p)
			}
		}
	}
	return n, sum.FloatString(2)
}

// snapshot copies a record through JSON so callers never share the store's
// pointers.
func snapshot[T any](v *T) *T {
	b, _ := json.Marshal(v)
	out := new(T)
	_ = json.Unmarshal(b, out)
	return out
}

func splitTags(s string) []string {
	out := []string{}
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out
}

// parseID accepts a numeric id or a GID of the given type.
func parseID(s, typ string) (int64, error) {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "gid://shopify/"); ok {
		t, num, ok := strings.Cut(rest, "/")
		if !ok || t != typ {
			return 0, errors.New("invalid id")
		}
		s = num
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, errors.New("invalid id")
	}
	return n, nil
}

func gid(typ string, id int64) string { return fmt.Sprintf("gid://shopify/%s/%d", typ, id) }

var countryNames = map[string]string{
	"US": "United States", "CA": "Canada", "GB": "United Kingdom", "IE": "Ireland",
	"DE": "Germany", "FR": "France", "NL": "Netherlands", "AU": "Australia",
}

var provinces = map[string]map[string]string{
	"US": {"AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California", "CO": "Colorado",
		"CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia", "FL": "Florida", "GA": "Georgia", "HI": "Hawaii",
		"ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
		"ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi",
		"MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey",
		"NM": "New Mexico", "NY": "New York", "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma",
		"OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
		"TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
		"WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming"},
	"CA": {"AB": "Alberta", "BC": "British Columbia", "MB": "Manitoba", "NB": "New Brunswick", "NL": "Newfoundland and Labrador",
		"NS": "Nova Scotia", "ON": "Ontario", "PE": "Prince Edward Island", "QC": "Quebec", "SK": "Saskatchewan"},
	"AU": {"ACT": "Australian Capital Territory", "NSW": "New South Wales", "NT": "Northern Territory", "QLD": "Queensland",
		"SA": "South Australia", "TAS": "Tasmania", "VIC": "Victoria", "WA": "Western Australia"},
}

// provinceName names a province; for countries without a province list
// any code is accepted as given.
func provinceName(country *string, code string) (string, bool) {
	if country == nil {
		return "", false
	}
	if m, ok := provinces[*country]; ok {
		n, ok := m[strings.ToUpper(code)]
		return n, ok
	}
	return "", false
}

// requiresProvince reports whether addresses in a country must name a
// known province (Shopify rejects unknown ones there).
func requiresProvince(country string) bool { _, ok := provinces[country]; return ok }
