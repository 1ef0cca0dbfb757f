package zendesk

import (
	"html"
	"strings"
)

// The vendor shapes, field for field as Zendesk renders them (reference
// §2.6; nullable values are pointers so they render as null, not absent).

// Via says how a ticket or comment came in.
type Via struct {
	Channel string    `json:"channel"`
	Source  ViaSource `json:"source"`
}

// ViaSource is the from/to detail of a Via.
type ViaSource struct {
	From map[string]any `json:"from"`
	To   map[string]any `json:"to"`
	Rel  *string        `json:"rel"`
}

// CustomField is one custom field value of a ticket.
type CustomField struct {
	ID    int64 `json:"id"`
	Value any   `json:"value"`
}

// Ticket is a Zendesk ticket.
type Ticket struct {
	URL                  string        `json:"url"`
	ID                   int64         `json:"id"`
	ExternalID           *string       `json:"external_id"`
	Via                  Via           `json:"via"`
	CreatedAt            string        `json:"created_at"`
	UpdatedAt            string        `json:"updated_at"`
	GeneratedTimestamp   int64         `json:"generated_timestamp"`
	Type                 *string       `json:"type"`
	Subject              string        `json:"subject"`
	RawSubject           string        `json:"raw_subject"`
	Description          string        `json:"description"`
	Priority             *string       `json:"priority"`
	Status               string        `json:"status"`
	CustomStatusID       *int64        `json:"custom_status_id"`
	Recipient            *string       `json:"recipient"`
	RequesterID          int64         `json:"requester_id"`
	SubmitterID          int64         `json:"submitter_id"`
	AssigneeID           *int64        `json:"assignee_id"`
	OrganizationID       *int64        `json:"organization_id"`
	GroupID              *int64        `json:"group_id"`
	CollaboratorIDs      []int64       `json:"collaborator_ids"`
	FollowerIDs          []int64       `json:"follower_ids"`
	EmailCCIDs           []int64       `json:"email_cc_ids"`
	ForumTopicID         *int64        `json:"forum_topic_id"`
	ProblemID            *int64        `json:"problem_id"`
	HasIncidents         bool          `json:"has_incidents"`
	IsPublic             bool          `json:"is_public"`
	DueAt                *string       `json:"due_at"`
	Tags                 []string      `json:"tags"`
	CustomFields         []CustomField `json:"custom_fields"`
	Fields               []CustomField `json:"fields"`
	SatisfactionRating   any           `json:"satisfaction_rating"`
	SharingAgreementIDs  []int64       `json:"sharing_agreement_ids"`
	FollowupIDs          []int64       `json:"followup_ids"`
	TicketFormID         *int64        `json:"ticket_form_id"`
	BrandID              *int64        `json:"brand_id"`
	AllowChannelback     bool          `json:"allow_channelback"`
	AllowAttachments     bool          `json:"allow_attachments"`
	FromMessagingChannel bool          `json:"from_messaging_channel"`
}

// Comment is one ticket comment.
type Comment struct {
	ID          int64          `json:"id"`
	Type        string         `json:"type"`
	AuthorID    int64          `json:"author_id"`
	Body        string         `json:"body"`
	HTMLBody    string         `json:"html_body"`
	PlainBody   string         `json:"plain_body"`
	Public      bool           `json:"public"`
	Attachments []any          `json:"attachments"`
	AuditID     int64          `json:"audit_id"`
	Via         Via            `json:"via"`
	Metadata    map[string]any `json:"metadata"`
	CreatedAt   string         `json:"created_at"`
}

// User is a Zendesk user (end user, agent or admin).
type User struct {
	ID                   int64          `json:"id"`
	URL                  string         `json:"url"`
	Name                 string         `json:"name"`
	Email                string         `json:"email"`
	CreatedAt            string         `json:"created_at"`
	UpdatedAt            string         `json:"updated_at"`
	TimeZone             string         `json:"time_zone"`
	IANATimeZone         string         `json:"iana_time_zone"`
	Phone                *string        `json:"phone"`
	SharedPhoneNumber    *bool          `json:"shared_phone_number"`
	Photo                any            `json:"photo"`
	LocaleID             int64          `json:"locale_id"`
	Locale               string         `json:"locale"`
	OrganizationID       *int64         `json:"organization_id"`
	Role                 string         `json:"role"`
	Verified             bool           `json:"verified"`
	ExternalID           *string        `json:"external_id"`
	Tags                 []string       `json:"tags"`
	Alias                *string        `json:"alias"`
	Active               bool           `json:"active"`
	Shared               bool           `json:"shared"`
	SharedAgent          bool           `json:"shared_agent"`
	LastLoginAt          *string        `json:"last_login_at"`
	TwoFactorAuthEnabled bool           `json:"two_factor_auth_enabled"`
	Signature            *string        `json:"signature"`
	Details              *string        `json:"details"`
	Notes                *string        `json:"notes"`
	RoleType             *int64         `json:"role_type"`
	CustomRoleID         *int64         `json:"custom_role_id"`
	Moderator            bool           `json:"moderator"`
	TicketRestriction    *string        `json:"ticket_restriction"`
	OnlyPrivateComments  bool           `json:"only_private_comments"`
	RestrictedAgent      bool           `json:"restricted_agent"`
	Suspended            bool           `json:"suspended"`
	ChatOnly             bool           `json:"chat_only"`
	DefaultGroupID       *int64         `json:"default_group_id"`
	ReportCSV            bool           `json:"report_csv"`
	UserFields           map[string]any `json:"user_fields"`
}

// Organization is a Zendesk organization.
type Organization struct {
	URL                string         `json:"url"`
	ID                 int64          `json:"id"`
	Name               string         `json:"name"`
	SharedTickets      bool           `json:"shared_tickets"`
	SharedComments     bool           `json:"shared_comments"`
	ExternalID         *string        `json:"external_id"`
	CreatedAt          string         `json:"created_at"`
	UpdatedAt          string         `json:"updated_at"`
	DomainNames        []string       `json:"domain_names"`
	Details            *string        `json:"details"`
	Notes              *string        `json:"notes"`
	GroupID            *int64         `json:"group_id"`
	Tags               []string       `json:"tags"`
	OrganizationFields map[string]any `json:"organization_fields"`
}

// Audit is the change record a ticket update answers with.
type Audit struct {
	ID        int64            `json:"id"`
	TicketID  int64            `json:"ticket_id"`
	CreatedAt string           `json:"created_at"`
	AuthorID  int64            `json:"author_id"`
	Metadata  map[string]any   `json:"metadata"`
	Via       Via              `json:"via"`
	Events    []map[string]any `json:"events"`
}

// Status values, in Zendesk's order (comparisons such as status<solved use it).
var statusOrder = []string{"new", "open", "pending", "hold", "solved", "closed"}

// Priority values, lowest first.
var priorityOrder = []string{"low", "normal", "high", "urgent"}

var ticketTypes = []string{"problem", "incident", "question", "task"}

var userRoles = []string{"end-user", "agent", "admin"}

func ordinal(list []string, v string) int {
	for i, s := range list {
		if s == v {
			return i
		}
	}
	return -1
}

func ptr[T any](v T) *T { return &v }

func strOr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// htmlBody renders a plain comment body the way Zendesk's html_body looks.
func htmlBody(body string) string {
	var b strings.Builder
	b.WriteString(`<div class="zd-comment" dir="auto">`)
	for _, para := range strings.Split(body, "\n\n") {
		b.WriteString(`<p dir="auto">`)
		b.WriteString(strings.ReplaceAll(html.EscapeString(para), "\n", "<br>"))
		b.WriteString(`</p>`)
	}
	b.WriteString(`</div>`)
	return b.String()
}

func emptyVia(channel string) Via {
	return Via{Channel: channel, Source: ViaSource{From: map[string]any{}, To: map[string]any{}}}
}

func (v *Via) normalise() {
	if v.Channel == "" {
		v.Channel = "web"
	}
	if v.Source.From == nil {
		v.Source.From = map[string]any{}
	}
	if v.Source.To == nil {
		v.Source.To = map[string]any{}
	}
}
