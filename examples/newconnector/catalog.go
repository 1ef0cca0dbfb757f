package newconnector

import (
	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/pii"
)

// Type is the connector type name used in gateway configs.
const Type = "hearth"

// Catalog says what scope files may name. Field paths are the vendor's own
// JSON names in fieldpath syntax ("address.city", "orders[].number").
func Catalog() connectors.Catalog {
	return connectors.Catalog{
		Type:        Type,
		Description: "Hearth CRM REST API (example connector)",
		AuthModes:   []string{"client_credentials"},
		ConfigKeys: []connectors.ConfigKey{
			{Name: "base_url", Required: true, Description: "https://<account>.hearth.example.com"},
		},
		Resources: []connectors.Resource{{
			Name:        "customer",
			Description: "a customer account",
			Actions:     []string{connectors.ActionRead, connectors.ActionSearch, connectors.ActionUpdate},
			Keys: []connectors.Key{
				{Name: "id", Unique: true, Description: "customer id, cus_N"},
				{Name: "email", PII: pii.Email, Description: "several accounts may share one"},
			},
			Fields: []connectors.Field{
				{Path: "id", Type: connectors.ID},
				{Path: "name", Type: connectors.String, PII: pii.Person},
				{Path: "email", Type: connectors.String, PII: pii.Email},
				{Path: "phone", Type: connectors.String, PII: pii.Phone},
				{Path: "tier", Type: connectors.String, Writable: true},
				{Path: "vip", Type: connectors.Boolean},
				{Path: "notes", Type: connectors.String, FreeText: true, Writable: true},
				{Path: "closed_at", Type: connectors.DateTime},
				{Path: "address.city", Type: connectors.String},
				{Path: "address.postcode", Type: connectors.String, PII: pii.Postcode},
				{Path: "tags[]", Type: connectors.String},
				{Path: "orders[].number", Type: connectors.String},
				{Path: "orders[].total", Type: connectors.Number},
				{Path: "orders[].status", Type: connectors.String},
			},
		}},
	}
}
