package zendesk

import (
	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/pii"
)

// Type is the connector type name used in gateway configs.
const Type = "zendesk"

// Auth modes.
const (
	// AuthOAuth is the OAuth client credentials grant (the default).
	AuthOAuth = "oauth"
	// AuthAPIToken is the legacy email/token Basic credential. Zendesk
	// deactivates every API token on APITokenShutdown.
	AuthAPIToken = "api_token"
)

// APITokenShutdown is the day Zendesk permanently deactivates all API
// tokens (reference §0).
const APITokenShutdown = "2027-04-30"

// Option names under `options:`.
const (
	OptScope    = "scope"
	OptMaxPages = "max_pages"
)

func field(path string, t connectors.FieldType, desc string) connectors.Field {
	return connectors.Field{Path: path, Type: t, Description: desc}
}

func piiField(path string, t connectors.FieldType, kind pii.Type, desc string) connectors.Field {
	return connectors.Field{Path: path, Type: t, PII: kind, Description: desc}
}

func freeText(path, desc string) connectors.Field {
	return connectors.Field{Path: path, Type: connectors.String, FreeText: true, Description: desc}
}

func writable(f connectors.Field) connectors.Field {
	f.Writable = true
	return f
}

// catalog is the connector's static description (VOCABULARY.md, zendesk).
func catalog() connectors.Catalog {
	return connectors.Catalog{
		Type:        Type,
		Description: "Zendesk Support (Ticketing API v2): tickets, ticket comments, users and organizations.",
		AuthModes:   []string{AuthOAuth, AuthAPIToken},
		ConfigKeys: []connectors.ConfigKey{
			{Name: OptScope, Description: `OAuth scope requested with the client credentials grant (default "read write"); e.g. "tickets:read tickets:write users:read organizations:read" to narrow it.`},
			{Name: OptMaxPages, Description: "Most pages of 100 ticket comments one search follows (default 10)."},
		},
		Resources: []connectors.Resource{
			{
				Name:        "ticket",
				Description: "A support ticket. Reads use GET /api/v2/tickets/{id}; searches by requester email resolve the user exactly, then search type:ticket by requester id.",
				Actions:     []string{connectors.ActionRead, connectors.ActionSearch, connectors.ActionUpdate},
				Keys: []connectors.Key{
					{Name: "id", Unique: true, Description: "Ticket id (a positive integer)."},
					{Name: "requester_email", PII: pii.Email, Description: "Primary email of the ticket's requester (not unique: a customer's tickets)."},
				},
				Fields: []connectors.Field{
					field("id", connectors.Integer, "Ticket id."),
					freeText("subject", "Subject line as the requester or agent typed it."),
					freeText("description", "The first comment (read-only)."),
					writable(field("status", connectors.String, "new, open, pending, hold, solved or closed.")),
					writable(field("priority", connectors.String, "urgent, high, normal, low or null.")),
					field("type", connectors.String, "problem, incident, question, task or null."),
					field("tags[]", connectors.String, "Tags."),
					field("created_at", connectors.DateTime, "When the ticket was created."),
					field("updated_at", connectors.DateTime, "When the ticket last changed."),
					field("requester_id", connectors.Integer, "The requester's user id."),
					field("assignee_id", connectors.Integer, "The assigned agent's user id, or null."),
					field("organization_id", connectors.Integer, "The requester's organization id, or null."),
					field("via.channel", connectors.String, "How the ticket came in (email, web, api...)."),
					field("due_at", connectors.DateTime, "Due date of a task ticket, or null."),
					writable(connectors.Field{Path: "comment.body", Type: connectors.String, FreeText: true,
						Description: "Write-only: adds a comment with this text. Never returned by reads."}),
					writable(field("comment.public", connectors.Boolean, "Write-only: whether the added comment is public (default true) or an internal note.")),
				},
			},
			{
				Name:        "ticket_comment",
				Description: "Comments of one ticket, newest first (cursor pagination, bounded by max_pages).",
				Actions:     []string{connectors.ActionSearch},
				Keys: []connectors.Key{
					{Name: "ticket_id", Description: "The ticket whose comments to list."},
				},
				Fields: []connectors.Field{
					field("id", connectors.Integer, "Comment id."),
					freeText("body", "The comment text."),
					field("public", connectors.Boolean, "false for an internal note."),
					field("author_id", connectors.Integer, "The author's user id."),
					field("created_at", connectors.DateTime, "When the comment was added."),
					field("via.channel", connectors.String, "How the comment came in."),
				},
			},
			{
				Name:        "user",
				Description: "A Zendesk user (end user or agent). By id: GET /api/v2/users/{id}; by external_id: the exact external_id parameter; by email: a constructed, post-filtered search.",
				Actions:     []string{connectors.ActionRead, connectors.ActionSearch},
				Keys: []connectors.Key{
					{Name: "id", Unique: true, Description: "User id (a positive integer)."},
					{Name: "email", Unique: true, PII: pii.Email, Description: "Primary email address."},
					{Name: "external_id", Unique: true, Description: "Id from another system (case-insensitive)."},
				},
				Fields: []connectors.Field{
					field("id", connectors.Integer, "User id."),
					piiField("name", connectors.String, pii.Person, "Full name."),
					piiField("email", connectors.String, pii.Email, "Primary email address."),
					piiField("phone", connectors.String, pii.Phone, "Primary phone number, or null."),
					field("role", connectors.String, "end-user, agent or admin."),
					field("locale", connectors.String, "BCP-47 locale."),
					field("time_zone", connectors.String, "Time zone name."),
					field("organization_id", connectors.Integer, "Default organization id, or null."),
					field("created_at", connectors.DateTime, "When the user was created."),
					field("verified", connectors.Boolean, "Whether any identity is verified."),
					field("tags[]", connectors.String, "Tags."),
					freeText("notes", "Agent notes about the user."),
					freeText("details", "Details such as an address."),
					field("external_id", connectors.String, "Id from another system, or null."),
				},
			},
			{
				Name:        "organization",
				Description: "An organization (a customer company).",
				Actions:     []string{connectors.ActionRead},
				Keys: []connectors.Key{
					{Name: "id", Unique: true, Description: "Organization id (a positive integer)."},
				},
				Fields: []connectors.Field{
					field("id", connectors.Integer, "Organization id."),
					field("name", connectors.String, "Name."),
					field("domain_names[]", connectors.String, "Email domains of the organization."),
					freeText("details", "Details such as an address."),
					freeText("notes", "Notes about the organization."),
					field("created_at", connectors.DateTime, "When the organization was created."),
					field("tags[]", connectors.String, "Tags."),
					field("group_id", connectors.Integer, "Group new tickets go to, or null."),
				},
			},
		},
	}
}
