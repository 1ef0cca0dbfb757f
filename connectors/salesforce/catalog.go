package salesforce

import (
	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/pii"
)

// Type is the connector type name in gateway configs and scope files.
const Type = "salesforce"

// Auth modes, the first being the default.
const (
	AuthClientCredentials = "client_credentials"
	AuthJWTBearer         = "jwt_bearer"
)

// keyMap says how a lookup key becomes a SOQL condition: the value must
// equal one of fields (OR), and for id keys it must be a Salesforce id
// with the object's key prefix.
type keyMap struct {
	fields []string
	prefix string // set for id keys: "003", "001", ...
}

// resourceMap ties a catalog resource to its sObject.
type resourceMap struct {
	object string
	keys   map[string]keyMap
	// writeOnly fields can be written but never read back (Case.Comments).
	writeOnly map[string]bool
}

var resources = map[string]resourceMap{
	"contact": {object: "Contact", keys: map[string]keyMap{
		"id": {fields: []string{"Id"}, prefix: "003"}, "email": {fields: []string{"Email"}}}},
	"account": {object: "Account", keys: map[string]keyMap{
		"id": {fields: []string{"Id"}, prefix: "001"}, "account_number": {fields: []string{"AccountNumber"}}}},
	"case": {object: "Case", keys: map[string]keyMap{
		"id": {fields: []string{"Id"}, prefix: "500"}, "case_number": {fields: []string{"CaseNumber"}},
		"email": {fields: []string{"ContactEmail", "SuppliedEmail"}}},
		writeOnly: map[string]bool{"Comments": true}},
	"order": {object: "Order", keys: map[string]keyMap{
		"id": {fields: []string{"Id"}, prefix: "801"}, "order_number": {fields: []string{"OrderNumber"}},
		"account_id": {fields: []string{"AccountId"}, prefix: "001"}}},
}

// childLimit bounds the rows of a child subquery (case comments): the
// newest inquiries rarely need more, and the bound keeps one record small.
const childLimit = 200

func f(path string, t connectors.FieldType, p pii.Type, desc string) connectors.Field {
	return connectors.Field{Path: path, Type: t, PII: p, Description: desc}
}

func text(path string, desc string) connectors.Field {
	return connectors.Field{Path: path, Type: connectors.String, FreeText: true, Description: desc}
}

func writable(fl connectors.Field) connectors.Field { fl.Writable = true; return fl }

func key(name string, unique bool, p pii.Type, desc string) connectors.Key {
	return connectors.Key{Name: name, Unique: unique, PII: p, Description: desc}
}

// Catalog describes the Salesforce connector. Field paths are Salesforce
// API names; parent relationships use "." and child lists "[]".
func Catalog() connectors.Catalog {
	idKey := func(obj string) connectors.Key {
		return key("id", true, "", "the "+obj+" Id (15 or 18 characters)")
	}
	return connectors.Catalog{
		Type:        Type,
		Description: "Salesforce REST API (SOQL queries selecting exactly the allowed fields, sObject updates)",
		AuthModes:   []string{AuthClientCredentials, AuthJWTBearer},
		ConfigKeys: []connectors.ConfigKey{
			{Name: "base_url", Required: true, Description: "the org's My Domain URL, e.g. https://acme.my.salesforce.com (client credentials do not work on login.salesforce.com)"},
			{Name: "api_version", Description: "REST API version, e.g. v66.0 (default v66.0; 31.0 or later)"},
			{Name: "auth", Description: "client_credentials (default; credentials client_id, client_secret) or jwt_bearer (client_id, username, private_key PEM)"},
			{Name: "options.login_url", Description: "jwt_bearer audience: https://login.salesforce.com (default) or https://test.salesforce.com for sandbox orgs"},
			{Name: "options.session_timeout", Description: "the org's session timeout; tokens are renewed before it passes (default 2h)"},
			{Name: "options.max_pages", Description: "most query pages (nextRecordsUrl) followed for one search (default 5)"},
		},
		Resources: []connectors.Resource{
			{
				Name: "contact", Description: "a person (Contact)", Actions: []string{connectors.ActionRead, connectors.ActionSearch},
				Keys: []connectors.Key{idKey("Contact"), key("email", false, pii.Email, "Contact.Email")},
				Fields: []connectors.Field{
					f("Id", connectors.ID, "", ""), f("Name", connectors.String, pii.Person, "full name (read-only)"),
					f("FirstName", connectors.String, pii.Person, ""), f("LastName", connectors.String, pii.Person, ""),
					f("Email", connectors.String, pii.Email, ""), f("Phone", connectors.String, pii.Phone, ""),
					f("MobilePhone", connectors.String, pii.Phone, ""), f("Title", connectors.String, "", ""),
					f("MailingStreet", connectors.String, pii.Address, ""), f("MailingCity", connectors.String, "", ""),
					f("MailingState", connectors.String, "", ""), f("MailingPostalCode", connectors.String, pii.Postcode, ""),
					f("MailingCountry", connectors.String, "", ""), f("AccountId", connectors.ID, "", ""),
					f("Account.Name", connectors.String, "", "the contact's account"), text("Description", ""),
					f("CreatedDate", connectors.DateTime, "", ""), f("LastModifiedDate", connectors.DateTime, "", ""),
				},
			},
			{
				Name: "account", Description: "a customer company (Account)", Actions: []string{connectors.ActionRead},
				Keys: []connectors.Key{idKey("Account"), key("account_number", true, "", "Account.AccountNumber")},
				Fields: []connectors.Field{
					f("Id", connectors.ID, "", ""), f("Name", connectors.String, "", ""), f("Type", connectors.String, "", ""),
					f("AccountNumber", connectors.String, "", ""), f("Phone", connectors.String, pii.Phone, ""),
					f("Website", connectors.String, "", ""), f("Industry", connectors.String, "", ""),
					f("BillingStreet", connectors.String, pii.Address, ""), f("BillingCity", connectors.String, "", ""),
					f("BillingState", connectors.String, "", ""), f("BillingPostalCode", connectors.String, pii.Postcode, ""),
					f("BillingCountry", connectors.String, "", ""), text("Description", ""),
					f("CreatedDate", connectors.DateTime, "", ""),
				},
			},
			{
				Name: "case", Description: "a support case (Case) with its comments",
				Actions: []string{connectors.ActionRead, connectors.ActionSearch, connectors.ActionUpdate},
				Keys: []connectors.Key{idKey("Case"), key("case_number", true, "", "Case.CaseNumber, e.g. 00001027"),
					key("email", false, pii.Email, "matches Case.ContactEmail or Case.SuppliedEmail")},
				Fields: []connectors.Field{
					f("Id", connectors.ID, "", ""), f("CaseNumber", connectors.String, "", ""), text("Subject", ""),
					text("Description", ""), writable(f("Status", connectors.String, "", "New, Working, Escalated, Closed (org picklist)")),
					writable(f("Priority", connectors.String, "", "High, Medium, Low (org picklist)")),
					f("Origin", connectors.String, "", ""), f("Type", connectors.String, "", ""), f("Reason", connectors.String, "", ""),
					f("IsClosed", connectors.Boolean, "", ""), f("ClosedDate", connectors.DateTime, "", ""),
					f("CreatedDate", connectors.DateTime, "", ""), f("LastModifiedDate", connectors.DateTime, "", ""),
					f("ContactId", connectors.ID, "", ""), f("AccountId", connectors.ID, "", ""),
					f("ContactEmail", connectors.String, pii.Email, ""), f("SuppliedEmail", connectors.String, pii.Email, "web-to-case / email-to-case sender"),
					f("SuppliedName", connectors.String, pii.Person, ""), f("SuppliedPhone", connectors.String, pii.Phone, ""),
					f("Contact.Name", connectors.String, pii.Person, ""), f("Contact.Email", connectors.String, pii.Email, ""),
					f("Account.Name", connectors.String, "", ""),
					text("CaseComments[].CommentBody", "case comments, oldest first (at most 200)"),
					f("CaseComments[].IsPublished", connectors.Boolean, "", "visible to the customer"),
					f("CaseComments[].CreatedDate", connectors.DateTime, "", ""),
					{Path: "Comments", Type: connectors.String, FreeText: true, Writable: true,
						Description: "write-only: adds a private case comment (CaseComment, IsPublished false); never read back"},
				},
			},
			{
				Name: "order", Description: "an order (Order)", Actions: []string{connectors.ActionRead, connectors.ActionSearch},
				Keys: []connectors.Key{idKey("Order"), key("order_number", true, "", "Order.OrderNumber, e.g. 00000142"),
					key("account_id", false, "", "the orders of an account (Account Id)")},
				Fields: []connectors.Field{
					f("Id", connectors.ID, "", ""), f("OrderNumber", connectors.String, "", ""), f("Status", connectors.String, "", ""),
					f("EffectiveDate", connectors.Date, "", ""), f("TotalAmount", connectors.Number, "", ""),
					f("AccountId", connectors.ID, "", ""), f("Account.Name", connectors.String, "", ""),
					f("ShippingStreet", connectors.String, pii.Address, ""), f("ShippingCity", connectors.String, "", ""),
					f("ShippingState", connectors.String, "", ""), f("ShippingPostalCode", connectors.String, pii.Postcode, ""),
					f("ShippingCountry", connectors.String, "", ""), text("Description", ""), f("PoNumber", connectors.String, "", ""),
					f("CreatedDate", connectors.DateTime, "", ""),
				},
			},
		},
	}
}
