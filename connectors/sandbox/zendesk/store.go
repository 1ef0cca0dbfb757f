package zendesk

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
)

//go:embed seed.json
var defaultSeed []byte

// The seed file: the fields a person would set; the sandbox derives the
// rest (urls, raw_subject, html_body, plain_body, audits, timestamps).
type seedFile struct {
	Organizations []seedOrg    `json:"organizations"`
	Users         []seedUser   `json:"users"`
	Tickets       []seedTicket `json:"tickets"`
}

type seedOrg struct {
	ID          int64    `json:"id"`
	Name        string   `json:"name"`
	DomainNames []string `json:"domain_names"`
	Details     *string  `json:"details"`
	Notes       *string  `json:"notes"`
	Tags        []string `json:"tags"`
	GroupID     *int64   `json:"group_id"`
	ExternalID  *string  `json:"external_id"`
	CreatedAt   string   `json:"created_at"`
}

type seedUser struct {
	ID             int64    `json:"id"`
	Name           string   `json:"name"`
	Email          string   `json:"email"`
	Phone          *string  `json:"phone"`
	Role           string   `json:"role"`
	OrganizationID *int64   `json:"organization_id"`
	ExternalID     *string  `json:"external_id"`
	Tags           []string `json:"tags"`
	Notes          *string  `json:"notes"`
	Details        *string  `json:"details"`
	TimeZone       string   `json:"time_zone"`
	IANATimeZone   string   `json:"iana_time_zone"`
	Locale         string   `json:"locale"`
	Verified       bool     `json:"verified"`
	CreatedAt      string   `json:"created_at"`
}

type seedTicket struct {
	ID             int64         `json:"id"`
	Subject        string        `json:"subject"`
	Status         string        `json:"status"`
	Priority       *string       `json:"priority"`
	Type           *string       `json:"type"`
	RequesterID    int64         `json:"requester_id"`
	AssigneeID     *int64        `json:"assignee_id"`
	GroupID        *int64        `json:"group_id"`
	Tags           []string      `json:"tags"`
	Channel        string        `json:"channel"`
	ExternalID     *string       `json:"external_id"`
	DueAt          *string       `json:"due_at"`
	CreatedAt      string        `json:"created_at"`
	UpdatedAt      string        `json:"updated_at"`
	Comments       []seedComment `json:"comments"`
	CustomFields   []CustomField `json:"custom_fields"`
	OrganizationID *int64        `json:"organization_id"`
}

type seedComment struct {
	ID        int64  `json:"id"`
	AuthorID  int64  `json:"author_id"`
	Body      string `json:"body"`
	Public    *bool  `json:"public"`
	Channel   string `json:"channel"`
	CreatedAt string `json:"created_at"`
}

// store holds the records. One lock: the sandbox is for tests and dev, not
// for throughput.
type store struct {
	mu       sync.RWMutex
	tickets  map[int64]*Ticket
	comments map[int64][]*Comment // by ticket id, oldest first
	users    map[int64]*User
	orgs     map[int64]*Organization
	next     struct{ ticket, user, org, comment, audit int64 }
}

func newStore() *store {
	return &store{
		tickets:  map[int64]*Ticket{},
		comments: map[int64][]*Comment{},
		users:    map[int64]*User{},
		orgs:     map[int64]*Organization{},
	}
}

// loadSeed reads a seed file strictly (unknown keys are errors) and checks
// its references, so a typo in a fixture fails loudly.
func loadSeed(r io.Reader) (*store, error) {
	var raw []byte
	if r == nil {
		raw = defaultSeed
	} else {
		b, err := io.ReadAll(io.LimitReader(r, 64<<20))
		if err != nil {
			return nil, fmt.Errorf("read seed: %w", err)
		}
		raw = b
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var sf seedFile
	if err := dec.Decode(&sf); err != nil {
		return nil, fmt.Errorf("decode seed: %w", err)
	}
	st := newStore()
	for _, o := range sf.Organizations {
		if err := st.seedOrg(o); err != nil {
			return nil, err
		}
	}
	for _, u := range sf.Users {
		if err := st.seedUser(u); err != nil {
			return nil, err
		}
	}
	for _, t := range sf.Tickets {
		if err := st.seedTicket(t); err != nil {
			return nil, err
		}
	}
	st.next.ticket++
	st.next.user++
	st.next.org++
	st.next.comment++
	st.next.audit++
	return st, nil
}

func checkTime(what string, id int64, s string) error {
	if _, err := time.Parse(time.RFC3339, s); err != nil {
		return fmt.Errorf("seed %s %d: created_at/updated_at must be RFC 3339 UTC, like 2026-11-30T17:04:12Z", what, id)
	}
	return nil
}

func (st *store) seedOrg(o seedOrg) error {
	if o.ID <= 0 || o.Name == "" {
		return fmt.Errorf("seed organization %d: id and name are required", o.ID)
	}
	if _, dup := st.orgs[o.ID]; dup {
		return fmt.Errorf("seed organization %d: duplicate id", o.ID)
	}
	if err := checkTime("organization", o.ID, o.CreatedAt); err != nil {
		return err
	}
	if msg := st.orgConflict(o.Name, o.ExternalID); msg != "" {
		return fmt.Errorf("seed organization %d: %s", o.ID, msg)
	}
	st.orgs[o.ID] = &Organization{
		ID: o.ID, Name: o.Name, DomainNames: nonNil(o.DomainNames), Details: o.Details, Notes: o.Notes,
		Tags: nonNil(o.Tags), GroupID: o.GroupID, ExternalID: o.ExternalID,
		CreatedAt: o.CreatedAt, UpdatedAt: o.CreatedAt, OrganizationFields: map[string]any{},
	}
	st.next.org = max(st.next.org, o.ID)
	return nil
}

func (st *store) seedUser(u seedUser) error {
	if u.ID <= 0 || u.Name == "" || u.Email == "" {
		return fmt.Errorf("seed user %d: id, name and email are required", u.ID)
	}
	if _, dup := st.users[u.ID]; dup {
		return fmt.Errorf("seed user %d: duplicate id", u.ID)
	}
	if ordinal(userRoles, u.Role) < 0 {
		return fmt.Errorf("seed user %d: role must be one of %s", u.ID, strings.Join(userRoles, ", "))
	}
	if err := checkTime("user", u.ID, u.CreatedAt); err != nil {
		return err
	}
	if u.OrganizationID != nil && st.orgs[*u.OrganizationID] == nil {
		return fmt.Errorf("seed user %d: unknown organization_id %d", u.ID, *u.OrganizationID)
	}
	if msg := st.userConflict(u.Email, u.ExternalID); msg != "" {
		return fmt.Errorf("seed user %d: %s", u.ID, msg)
	}
	st.users[u.ID] = newUser(u)
	st.next.user = max(st.next.user, u.ID)
	return nil
}

func newUser(u seedUser) *User {
	tz, iana, loc := u.TimeZone, u.IANATimeZone, u.Locale
	if tz == "" {
		tz, iana = "Eastern Time (US & Canada)", "America/New_York"
	}
	if iana == "" {
		iana = "Etc/UTC"
	}
	if loc == "" {
		loc = "en-US"
	}
	restriction := ptr("requested")
	if u.Role != "end-user" {
		restriction = nil
	}
	return &User{
		ID: u.ID, Name: u.Name, Email: u.Email, CreatedAt: u.CreatedAt, UpdatedAt: u.CreatedAt,
		TimeZone: tz, IANATimeZone: iana, Phone: u.Phone, SharedPhoneNumber: sharedPhone(u.Phone),
		LocaleID: 1, Locale: loc, OrganizationID: u.OrganizationID, Role: u.Role, Verified: u.Verified,
		ExternalID: u.ExternalID, Tags: nonNil(u.Tags), Active: true, Details: u.Details, Notes: u.Notes,
		TicketRestriction: restriction, RestrictedAgent: u.Role == "end-user", UserFields: map[string]any{},
		Moderator: u.Role == "admin",
	}
}

func sharedPhone(p *string) *bool {
	if p == nil {
		return nil
	}
	return ptr(false)
}

func (st *store) seedTicket(t seedTicket) error {
	if t.ID <= 0 || t.Subject == "" {
		return fmt.Errorf("seed ticket %d: id and subject are required", t.ID)
	}
	if _, dup := st.tickets[t.ID]; dup {
		return fmt.Errorf("seed ticket %d: duplicate id", t.ID)
	}
	if len(t.Comments) == 0 {
		return fmt.Errorf("seed ticket %d: needs at least one comment (the first is the description)", t.ID)
	}
	for _, ts := range []string{t.CreatedAt, t.UpdatedAt} {
		if err := checkTime("ticket", t.ID, ts); err != nil {
			return err
		}
	}
	req := st.users[t.RequesterID]
	if req == nil {
		return fmt.Errorf("seed ticket %d: unknown requester_id %d", t.ID, t.RequesterID)
	}
	if t.AssigneeID != nil && st.users[*t.AssigneeID] == nil {
		return fmt.Errorf("seed ticket %d: unknown assignee_id %d", t.ID, *t.AssigneeID)
	}
	if d := validateTicketEnums(ptr(t.Status), t.Priority, t.Type); len(d) > 0 {
		return fmt.Errorf("seed ticket %d: invalid status, priority or type", t.ID)
	}
	org := t.OrganizationID
	if org == nil {
		org = req.OrganizationID
	}
	channel := t.Channel
	if channel == "" {
		channel = "email"
	}
	tk := &Ticket{
		ID: t.ID, ExternalID: t.ExternalID, Via: ticketVia(channel, req), CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt,
		Type: t.Type, Subject: t.Subject, RawSubject: t.Subject, Description: t.Comments[0].Body,
		Priority: t.Priority, Status: t.Status, RequesterID: t.RequesterID, SubmitterID: t.RequesterID,
		AssigneeID: t.AssigneeID, OrganizationID: org, GroupID: t.GroupID, DueAt: t.DueAt, Tags: nonNil(t.Tags),
		CustomFields: nonNil(t.CustomFields), Fields: nonNil(t.CustomFields),
	}
	if channel == "email" {
		tk.Recipient = ptr("support@globex.zendesk.example")
	}
	finishTicket(tk)
	tk.GeneratedTimestamp = unixOf(t.UpdatedAt)
	st.tickets[t.ID] = tk
	for i, c := range t.Comments {
		if c.ID <= 0 {
			return fmt.Errorf("seed ticket %d comment %d: id is required", t.ID, i)
		}
		if st.users[c.AuthorID] == nil {
			return fmt.Errorf("seed ticket %d comment %d: unknown author_id %d", t.ID, c.ID, c.AuthorID)
		}
		if err := checkTime("comment", c.ID, c.CreatedAt); err != nil {
			return err
		}
		public := c.Public == nil || *c.Public
		ch := c.Channel
		if ch == "" {
			ch = channel
		}
		st.next.audit++
		st.comments[t.ID] = append(st.comments[t.ID], newComment(c.ID, st.next.audit, c.AuthorID, c.Body, public, emptyVia(ch), c.CreatedAt))
		st.next.comment = max(st.next.comment, c.ID)
	}
	st.next.ticket = max(st.next.ticket, t.ID)
	return nil
}

func ticketVia(channel string, requester *User) Via {
	v := emptyVia(channel)
	if channel == "email" && requester != nil {
		v.Source.From = map[string]any{"address": requester.Email, "name": requester.Name}
		v.Source.To = map[string]any{"address": "support@globex.zendesk.example", "name": "Globex Support"}
	}
	return v
}

// finishTicket fills the fields every ticket renders with.
func finishTicket(t *Ticket) {
	t.Via.normalise()
	for _, p := range []*[]int64{&t.CollaboratorIDs, &t.FollowerIDs, &t.EmailCCIDs, &t.SharingAgreementIDs, &t.FollowupIDs} {
		if *p == nil {
			*p = []int64{}
		}
	}
	t.IsPublic = true
	t.AllowAttachments = true
	t.TicketFormID = ptr(int64(360000389592))
	t.BrandID = ptr(int64(360002256672))
}

func newComment(id, auditID, author int64, body string, public bool, via Via, created string) *Comment {
	via.normalise()
	return &Comment{
		ID: id, Type: "Comment", AuthorID: author, Body: body, HTMLBody: htmlBody(body), PlainBody: body,
		Public: public, Attachments: []any{}, AuditID: auditID, Via: via, CreatedAt: created,
		Metadata: map[string]any{
			"system": map[string]any{"client": "cxgate-sandbox", "ip_address": "192.0.2.10", "location": "Example City"},
			"custom": map[string]any{},
		},
	}
}

func unixOf(ts string) int64 {
	t, err := time.Parse(time.RFC3339, ts)
	if err != nil {
		return 0
	}
	return t.Unix()
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// userConflict reports a clash with an existing user's email or
// external_id (both unique in Zendesk, external_id case-insensitively).
func (st *store) userConflict(email string, external *string) string {
	for _, u := range st.users {
		if strings.EqualFold(u.Email, email) {
			return "email already in use"
		}
		if external != nil && u.ExternalID != nil && strings.EqualFold(*u.ExternalID, *external) {
			return "external_id already in use"
		}
	}
	return ""
}

func (st *store) orgConflict(name string, external *string) string {
	for _, o := range st.orgs {
		if strings.EqualFold(o.Name, name) {
			return "name already in use"
		}
		if external != nil && o.ExternalID != nil && strings.EqualFold(*o.ExternalID, *external) {
			return "external_id already in use"
		}
	}
	return ""
}

func (st *store) ticketIDs() []int64 {
	ids := make([]int64, 0, len(st.tickets))
	for id := range st.tickets {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

func (st *store) userIDs() []int64 {
	ids := make([]int64, 0, len(st.users))
	for id := range st.users {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

func (st *store) orgIDs() []int64 {
	ids := make([]int64, 0, len(st.orgs))
	for id := range st.orgs {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// validateTicketEnums returns RecordInvalid details for values outside
// Zendesk's enums. nil pointers are "not given".
func validateTicketEnums(status, priority, typ *string) map[string][]errDetail {
	d := map[string][]errDetail{}
	if status != nil && ordinal(statusOrder, *status) < 0 {
		d["status"] = append(d["status"], errDetail{Description: "Status: is not valid", Error: "InvalidValue"})
	}
	if priority != nil && *priority != "" && ordinal(priorityOrder, *priority) < 0 {
		d["priority"] = append(d["priority"], errDetail{Description: "Priority: is not valid", Error: "InvalidValue"})
	}
	if typ != nil && *typ != "" && ordinal(ticketTypes, *typ) < 0 {
		d["type"] = append(d["type"], errDetail{Description: "Type: is not valid", Error: "InvalidValue"})
	}
	if len(d) == 0 {
		return nil
	}
	return d
}
