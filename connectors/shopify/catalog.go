package shopify

import (
	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/pii"
)

// catalog describes the connector: catalog paths are snake_case (the
// names of Shopify's REST API, which scope authors know), mapped to the
// GraphQL Admin API by graphql.go. A fresh value each call.
func catalog() connectors.Catalog {
	f := func(path string, t connectors.FieldType, p pii.Type, desc string) connectors.Field {
		return connectors.Field{Path: path, Type: t, PII: p, Description: desc}
	}
	free := func(fl connectors.Field) connectors.Field { fl.FreeText = true; return fl }
	w := func(fl connectors.Field) connectors.Field { fl.Writable = true; return fl }
	S, ID, DT, I := connectors.String, connectors.ID, connectors.DateTime, connectors.Integer
	return connectors.Catalog{
		Type:        Type,
		Description: "Shopify GraphQL Admin API (orders and customers of one shop)",
		AuthModes:   []string{AuthClientCredentials, AuthStaticToken},
		ConfigKeys: []connectors.ConfigKey{
			{Name: "base_url", Required: true, Description: "the shop's admin host, https://SHOP.myshopify.com"},
			{Name: "api_version", Description: "Admin API version YYYY-MM (default " + DefaultAPIVersion + "; unsupported versions fall forward)"},
			{Name: "auth", Description: AuthClientCredentials + " (default; Dev Dashboard app: client_id, client_secret; 24 h tokens) or " + AuthStaticToken + " (custom app created before 2026: access_token)"},
			{Name: "options." + OptLineItemsLimit, Description: "line items fetched per order (default 50, at most 250)"},
			{Name: "options." + OptFulfillmentsLimit, Description: "fulfillments fetched per order (default 10, at most 250)"},
			{Name: "options." + OptThrottleMaxWait, Description: "longest wait for Shopify's cost bucket before a call reports a rate limit instead (default 5s, at most 30s)"},
		},
		Resources: []connectors.Resource{
			{
				Name:        "order",
				Description: "an order (Order); money amounts are decimal strings in the shop currency",
				Actions:     []string{connectors.ActionRead, connectors.ActionSearch, connectors.ActionUpdate},
				Keys: []connectors.Key{
					{Name: "id", Unique: true, Description: "numeric order id or gid://shopify/Order/N"},
					{Name: "order_number", Unique: true, Description: "the order name, \"#1001\" or \"1001\""},
					{Name: "email", PII: pii.Email, Description: "the order's contact email (a customer's orders, or an extra check on a read)"},
				},
				Fields: []connectors.Field{
					f("id", ID, "", "gid://shopify/Order/N"),
					f("name", S, "", "order name, e.g. #1001"),
					f("created_at", DT, "", ""),
					f("processed_at", DT, "", ""),
					f("cancelled_at", DT, "", "null unless cancelled"),
					f("closed_at", DT, "", "null unless closed"),
					f("financial_status", S, "", "displayFinancialStatus: PENDING, AUTHORIZED, PAID, PARTIALLY_REFUNDED, REFUNDED, VOIDED, ..."),
					f("fulfillment_status", S, "", "displayFulfillmentStatus: UNFULFILLED, PARTIALLY_FULFILLED, FULFILLED, ON_HOLD, ..."),
					f("currency", S, "", "ISO 4217 code of the shop currency"),
					f("total_price", S, "", "decimal string"),
					f("subtotal_price", S, "", "decimal string"),
					f("total_tax", S, "", "decimal string"),
					f("email", S, pii.Email, "the order's contact email"),
					f("phone", S, pii.Phone, "the order's contact phone"),
					w(free(f("note", S, "", "the order note (may hold anything the customer or staff typed)"))),
					f("tags[]", S, "", ""),
					f("customer.id", ID, "", "gid://shopify/Customer/N"),
					f("customer.first_name", S, pii.Person, ""),
					f("customer.last_name", S, pii.Person, ""),
					f("customer.email", S, pii.Email, "the customer's default email address"),
					f("customer.phone", S, pii.Phone, "the customer's default phone number"),
					f("line_items[].title", S, "", ""),
					f("line_items[].sku", S, "", ""),
					f("line_items[].quantity", I, "", ""),
					f("line_items[].price", S, "", "unit price before discounts, decimal string"),
					f("shipping_address.name", S, pii.Person, ""),
					w(f("shipping_address.address1", S, pii.Address, "")),
					w(f("shipping_address.address2", S, pii.Address, "")),
					w(f("shipping_address.city", S, "", "")),
					w(f("shipping_address.province", S, "", "reads the province name; writes take its code (e.g. OR, ON)")),
					w(f("shipping_address.zip", S, pii.Postcode, "")),
					w(f("shipping_address.country", S, "", "reads the country name; writes take the ISO 3166-1 alpha-2 code (e.g. US)")),
					f("shipping_address.phone", S, pii.Phone, ""),
					f("fulfillments[].status", S, "", "SUCCESS, CANCELLED, ERROR, FAILURE"),
					f("fulfillments[].tracking_company", S, "", "carrier of the first tracking entry"),
					f("fulfillments[].tracking_number", S, "", "tracking number of the first tracking entry"),
					f("fulfillments[].tracking_url", S, "", "tracking URL of the first tracking entry"),
				},
			},
			{
				Name:        "customer",
				Description: "a customer (Customer)",
				Actions:     []string{connectors.ActionRead, connectors.ActionSearch},
				Keys: []connectors.Key{
					{Name: "id", Unique: true, Description: "numeric customer id or gid://shopify/Customer/N"},
					{Name: "email", Unique: true, PII: pii.Email, Description: "the customer's email address"},
				},
				Fields: []connectors.Field{
					f("id", ID, "", "gid://shopify/Customer/N"),
					f("first_name", S, pii.Person, ""),
					f("last_name", S, pii.Person, ""),
					f("email", S, pii.Email, "default email address"),
					f("phone", S, pii.Phone, "default phone number"),
					f("state", S, "", "ENABLED, DISABLED, INVITED, DECLINED"),
					f("created_at", DT, "", ""),
					f("number_of_orders", I, "", ""),
					f("amount_spent", S, "", "decimal string in the shop currency"),
					f("tags[]", S, "", ""),
					free(f("note", S, "", "staff note about the customer")),
					f("default_address.address1", S, pii.Address, ""),
					f("default_address.city", S, "", ""),
					f("default_address.zip", S, pii.Postcode, ""),
					f("default_address.country", S, "", "country name"),
				},
			},
		},
	}
}
