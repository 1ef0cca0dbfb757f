package zendesk

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ---- tickets ----

func (s *Server) showTicket(w http.ResponseWriter, r *http.Request, idText string) {
	id, ok := parseID(idText)
	base := s.base(r)
	s.st.mu.RLock()
	t := s.st.tickets[id]
	var cp Ticket
	if t != nil {
		cp = s.renderTicket(t, base)
	}
	s.st.mu.RUnlock()
	if !ok || t == nil {
		errRecordNotFound(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ticket": cp})
}

func (s *Server) showManyTickets(w http.ResponseWriter, r *http.Request) {
	base := s.base(r)
	var out []Ticket
	parts := strings.Split(r.URL.Query().Get("ids"), ",")
	if len(parts) > maxPageSize {
		errBadRequest(w, "ids accepts at most 100 ids")
		return
	}
	s.st.mu.RLock()
	for _, p := range parts {
		if id, ok := parseID(strings.TrimSpace(p)); ok {
			if t := s.st.tickets[id]; t != nil {
				out = append(out, s.renderTicket(t, base))
			}
		}
	}
	s.st.mu.RUnlock()
	writeJSON(w, http.StatusOK, map[string]any{"tickets": nonNil(out), "next_page": nil, "previous_page": nil, "count": len(out)})
}

func (s *Server) listTickets(w http.ResponseWriter, r *http.Request) {
	base := s.base(r)
	ext := r.URL.Query().Get("external_id")
	s.st.mu.RLock()
	var ids []int64
	for _, id := range s.st.ticketIDs() {
		t := s.st.tickets[id]
		if ext != "" && (t.ExternalID == nil || !strings.EqualFold(*t.ExternalID, ext)) {
			continue
		}
		ids = append(ids, id)
	}
	s.st.mu.RUnlock()
	render := func(page []int64) any {
		s.st.mu.RLock()
		defer s.st.mu.RUnlock()
		out := make([]Ticket, 0, len(page))
		for _, id := range page {
			out = append(out, s.renderTicket(s.st.tickets[id], base))
		}
		return out
	}
	if wantsCursor(r.URL.Query()) {
		cursorPage(w, r, base, "/api/v2/tickets", ids, render, "tickets")
		return
	}
	page, per, ok := offsetWindow(w, r)
	if !ok {
		return
	}
	lo := min((page-1)*per, len(ids))
	hi := min(lo+per, len(ids))
	next, prev := offsetLinks(r, base, "/api/v2/tickets", page, per, len(ids))
	writeJSON(w, http.StatusOK, map[string]any{"tickets": render(ids[lo:hi]), "next_page": next, "previous_page": prev, "count": len(ids)})
}

type commentWrite struct {
	Body     *string `json:"body"`
	HTMLBody *string `json:"html_body"`
	Public   *bool   `json:"public"`
	AuthorID *int64  `json:"author_id"`
}

func (c *commentWrite) text() string {
	if c.Body != nil {
		return *c.Body
	}
	if c.HTMLBody != nil {
		return stripTags(*c.HTMLBody)
	}
	return ""
}

func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}

type ticketWrite struct {
	Subject        *string          `json:"subject"`
	Status         json.RawMessage  `json:"status"`
	Priority       json.RawMessage  `json:"priority"`
	Type           json.RawMessage  `json:"type"`
	Tags           *[]string        `json:"tags"`
	AssigneeID     json.RawMessage  `json:"assignee_id"`
	GroupID        json.RawMessage  `json:"group_id"`
	ExternalID     json.RawMessage  `json:"external_id"`
	DueAt          json.RawMessage  `json:"due_at"`
	Comment        *commentWrite    `json:"comment"`
	SafeUpdate     bool             `json:"safe_update"`
	UpdatedStamp   string           `json:"updated_stamp"`
	RequesterID    *int64           `json:"requester_id"`
	Requester      *requesterWrite  `json:"requester"`
	OrganizationID json.RawMessage  `json:"organization_id"`
	CustomFields   []CustomField    `json:"custom_fields"`
	Via            *json.RawMessage `json:"via"`
}

type requesterWrite struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// rawString reads an optional string-or-null: set reports presence, val is
// nil for null, bad reports a value of another type.
func rawString(raw json.RawMessage) (set bool, val *string, bad bool) {
	if raw == nil {
		return false, nil, false
	}
	if string(raw) == "null" {
		return true, nil, false
	}
	var v string
	if json.Unmarshal(raw, &v) != nil {
		return true, nil, true
	}
	return true, &v, false
}

func rawID(raw json.RawMessage) (set bool, val *int64, bad bool) {
	if raw == nil {
		return false, nil, false
	}
	if string(raw) == "null" {
		return true, nil, false
	}
	var v int64
	if json.Unmarshal(raw, &v) != nil {
		return true, nil, true
	}
	return true, &v, false
}

func invalid(field, msg string) errDetail {
	return errDetail{Description: strings.ToUpper(field[:1]) + strings.ReplaceAll(field[1:], "_", " ") + ": " + msg, Error: "InvalidValue"}
}

// applyTicketWrite validates a ticket body against t (a copy) and applies
// it, returning the change events. details is non-nil when invalid.
func (s *Server) applyTicketWrite(t *Ticket, in *ticketWrite) (events []map[string]any, details map[string][]errDetail) {
	details = map[string][]errDetail{}
	change := func(field string, prev, val any) {
		events = append(events, map[string]any{"type": "Change", "field_name": field, "value": val, "previous_value": prev})
	}
	if set, v, bad := rawString(in.Status); set {
		switch {
		case bad || v == nil || ordinal(statusOrder, *v) < 0:
			details["status"] = append(details["status"], invalid("status", "is not valid"))
		case *v != t.Status:
			change("status", t.Status, *v)
			t.Status = *v
		}
	}
	if set, v, bad := rawString(in.Priority); set {
		switch {
		case bad || v != nil && ordinal(priorityOrder, *v) < 0:
			details["priority"] = append(details["priority"], invalid("priority", "is not valid"))
		default:
			if v != nil && *v == "" {
				v = nil
			}
			change("priority", anyOf(t.Priority), anyOf(v))
			t.Priority = v
		}
	}
	if set, v, bad := rawString(in.Type); set {
		switch {
		case bad || v != nil && ordinal(ticketTypes, *v) < 0:
			details["type"] = append(details["type"], invalid("type", "is not valid"))
		default:
			if v != nil && *v == "" {
				v = nil
			}
			change("type", anyOf(t.Type), anyOf(v))
			t.Type = v
		}
	}
	if in.Subject != nil {
		change("subject", t.Subject, *in.Subject)
		t.Subject, t.RawSubject = *in.Subject, *in.Subject
	}
	if in.Tags != nil {
		change("tags", strings.Join(t.Tags, " "), strings.Join(*in.Tags, " "))
		t.Tags = nonNil(*in.Tags)
	}
	if set, v, bad := rawID(in.AssigneeID); set {
		if bad || v != nil && (s.st.users[*v] == nil || s.st.users[*v].Role == "end-user") {
			details["assignee"] = append(details["assignee"], invalid("assignee", "is not an agent"))
		} else {
			t.AssigneeID = v
		}
	}
	if set, v, bad := rawID(in.GroupID); set {
		if bad {
			details["group"] = append(details["group"], invalid("group", "is invalid"))
		} else {
			t.GroupID = v
		}
	}
	if set, v, bad := rawID(in.OrganizationID); set {
		if bad || v != nil && s.st.orgs[*v] == nil {
			details["organization"] = append(details["organization"], invalid("organization", "is invalid"))
		} else {
			t.OrganizationID = v
		}
	}
	if set, v, bad := rawString(in.ExternalID); set {
		if bad {
			details["external_id"] = append(details["external_id"], invalid("external_id", "is invalid"))
		} else {
			t.ExternalID = v
		}
	}
	if set, v, bad := rawString(in.DueAt); set {
		if bad || v != nil && parseStamp(*v).IsZero() {
			details["due_at"] = append(details["due_at"], invalid("due_at", "is not a valid date"))
		} else {
			t.DueAt = v
		}
	}
	if in.CustomFields != nil {
		t.CustomFields, t.Fields = in.CustomFields, in.CustomFields
	}
	if len(details) == 0 {
		return events, nil
	}
	return events, details
}

func anyOf(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}

func (s *Server) updateTicket(w http.ResponseWriter, r *http.Request, p principal, idText string) {
	var body struct {
		Ticket *ticketWrite `json:"ticket"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	id, ok := parseID(idText)
	base := s.base(r)
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	cur := s.st.tickets[id]
	if !ok || cur == nil {
		errRecordNotFound(w)
		return
	}
	if body.Ticket == nil {
		errBadRequest(w, "The request body needs a ticket object.")
		return
	}
	in := body.Ticket
	if cur.Status == "closed" {
		errRecordInvalid(w, map[string][]errDetail{"status": {{Description: "Status: closed prevents ticket update", Error: "ClosedTicketUpdateFailed"}}})
		return
	}
	if in.SafeUpdate && in.UpdatedStamp != cur.UpdatedAt {
		writeError(w, http.StatusConflict, "UpdateConflict",
			"Safe Update prevented the update due to outdated ticket data. Please fetch the latest ticket data and try again.")
		return
	}
	t := *cur
	t.Tags = slices.Clone(cur.Tags)
	events, details := s.applyTicketWrite(&t, in)
	var comment *Comment
	if in.Comment != nil {
		text := in.Comment.text()
		if strings.TrimSpace(text) == "" {
			if details == nil {
				details = map[string][]errDetail{}
			}
			details["comment"] = append(details["comment"], errDetail{Description: "Comment: cannot be blank", Error: "BlankValue"})
		} else if len(s.st.comments[id]) >= 5000 {
			if details == nil {
				details = map[string][]errDetail{}
			}
			details["comment"] = append(details["comment"], errDetail{Description: "Comment: the ticket has reached its limit of 5000 comments", Error: "TooManyComments"})
		} else {
			public := in.Comment.Public == nil || *in.Comment.Public
			author := p.userID
			if in.Comment.AuthorID != nil {
				if s.st.users[*in.Comment.AuthorID] == nil {
					details = map[string][]errDetail{"comment": {invalid("author", "is invalid")}}
				}
				author = *in.Comment.AuthorID
			}
			comment = &Comment{AuthorID: author, Body: text, Public: public}
		}
	}
	if details != nil {
		errRecordInvalid(w, details)
		return
	}
	now := s.stamp()
	s.st.next.audit++
	audit := Audit{ID: s.st.next.audit, TicketID: id, CreatedAt: now, AuthorID: p.userID,
		Metadata: map[string]any{"system": map[string]any{"client": "cxgate-sandbox", "ip_address": "192.0.2.10"}, "custom": map[string]any{}},
		Via:      emptyVia("api")}
	if comment != nil {
		s.st.next.comment++
		c := newComment(s.st.next.comment, audit.ID, comment.AuthorID, comment.Body, comment.Public, emptyVia("api"), now)
		s.st.comments[id] = append(s.st.comments[id], c)
		audit.Events = append(audit.Events, map[string]any{
			"id": c.ID, "type": "Comment", "author_id": c.AuthorID, "body": c.Body, "html_body": c.HTMLBody,
			"plain_body": c.PlainBody, "public": c.Public, "attachments": []any{}, "audit_id": audit.ID,
		})
	}
	for _, e := range events {
		s.st.next.audit++
		e["id"] = s.st.next.audit
		audit.Events = append(audit.Events, e)
	}
	if audit.Events == nil {
		audit.Events = []map[string]any{}
	}
	t.UpdatedAt = now
	t.GeneratedTimestamp = s.now().Unix()
	s.st.tickets[id] = &t
	writeJSON(w, http.StatusOK, map[string]any{"ticket": s.renderTicket(&t, base), "audit": audit})
}

func (s *Server) createTicket(w http.ResponseWriter, r *http.Request, p principal) {
	var body struct {
		Ticket *ticketWrite `json:"ticket"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	if body.Ticket == nil {
		errBadRequest(w, "The request body needs a ticket object.")
		return
	}
	in := body.Ticket
	base := s.base(r)
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	now := s.stamp()
	t := Ticket{Status: "new", Via: emptyVia("api"), CreatedAt: now, UpdatedAt: now, Tags: []string{}, CustomFields: []CustomField{}, Fields: []CustomField{}}
	_, details := s.applyTicketWrite(&t, in)
	if details == nil {
		details = map[string][]errDetail{}
	}
	requester := p.userID
	var newRequester *User
	switch {
	case in.RequesterID != nil:
		if s.st.users[*in.RequesterID] == nil {
			details["requester"] = append(details["requester"], invalid("requester", "is invalid"))
		}
		requester = *in.RequesterID
	case in.Requester != nil:
		found := false
		for _, u := range s.st.users {
			if in.Requester.Email != "" && strings.EqualFold(u.Email, in.Requester.Email) {
				requester, found = u.ID, true
				break
			}
		}
		if !found {
			name := in.Requester.Name
			if name == "" {
				name, _, _ = strings.Cut(in.Requester.Email, "@")
			}
			if name == "" || !strings.Contains(in.Requester.Email, "@") {
				details["requester"] = append(details["requester"], errDetail{Description: "Requester: Name is too short (minimum is 1 character)", Error: "InvalidValue"})
			} else {
				newRequester = newUser(seedUser{Name: name, Email: in.Requester.Email, Role: "end-user", CreatedAt: now})
			}
		}
	}
	if in.Comment == nil || strings.TrimSpace(in.Comment.text()) == "" {
		details["description"] = append(details["description"], errDetail{Description: "Description: cannot be blank", Error: "BlankValue"})
	}
	if len(details) > 0 {
		errRecordInvalid(w, details)
		return
	}
	if newRequester != nil {
		s.st.next.user++
		newRequester.ID = s.st.next.user
		s.st.users[newRequester.ID] = newRequester
		requester = newRequester.ID
	}
	s.st.next.ticket++
	t.ID = s.st.next.ticket
	t.RequesterID, t.SubmitterID = requester, p.userID
	if t.OrganizationID == nil {
		t.OrganizationID = s.st.users[requester].OrganizationID
	}
	text := in.Comment.text()
	if t.Subject == "" {
		t.Subject = firstLine(text)
	}
	t.RawSubject = t.Subject
	t.Description = text
	if t.Status == "new" && t.AssigneeID != nil {
		t.Status = "open"
	}
	finishTicket(&t)
	t.GeneratedTimestamp = s.now().Unix()
	s.st.next.audit++
	auditID := s.st.next.audit
	s.st.next.comment++
	public := in.Comment.Public == nil || *in.Comment.Public
	c := newComment(s.st.next.comment, auditID, requester, text, public, emptyVia("api"), now)
	s.st.tickets[t.ID] = &t
	s.st.comments[t.ID] = []*Comment{c}
	audit := Audit{ID: auditID, TicketID: t.ID, CreatedAt: now, AuthorID: p.userID, Via: emptyVia("api"),
		Metadata: map[string]any{"system": map[string]any{}, "custom": map[string]any{}},
		Events: []map[string]any{{"id": c.ID, "type": "Comment", "author_id": c.AuthorID, "body": c.Body,
			"html_body": c.HTMLBody, "plain_body": c.PlainBody, "public": c.Public, "attachments": []any{}, "audit_id": auditID}}}
	rendered := s.renderTicket(&t, base)
	w.Header().Set("Location", rendered.URL)
	writeJSON(w, http.StatusCreated, map[string]any{"ticket": rendered, "audit": audit})
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if r := []rune(s); len(r) > 80 {
		s = string(r[:80])
	}
	return s
}

func (s *Server) listComments(w http.ResponseWriter, r *http.Request, idText string) {
	id, ok := parseID(idText)
	base := s.base(r)
	s.st.mu.RLock()
	_, exists := s.st.tickets[id]
	cs := slices.Clone(s.st.comments[id])
	s.st.mu.RUnlock()
	if !ok || !exists {
		errRecordNotFound(w)
		return
	}
	q := r.URL.Query()
	desc := q.Get("sort") == "-created_at" || !wantsCursor(q) && q.Get("sort_order") == "desc"
	if desc {
		slices.Reverse(cs)
	}
	byID := make(map[int64]*Comment, len(cs))
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i], byID[c.ID] = c.ID, c
	}
	render := func(page []int64) any {
		out := make([]Comment, 0, len(page))
		for _, id := range page {
			out = append(out, *byID[id])
		}
		return out
	}
	path := "/api/v2/tickets/" + idStr(id) + "/comments"
	if wantsCursor(q) {
		cursorPage(w, r, base, path, ids, render, "comments")
		return
	}
	page, per, ok := offsetWindow(w, r)
	if !ok {
		return
	}
	lo := min((page-1)*per, len(ids))
	hi := min(lo+per, len(ids))
	next, prev := offsetLinks(r, base, path, page, per, len(ids))
	writeJSON(w, http.StatusOK, map[string]any{"comments": render(ids[lo:hi]), "next_page": next, "previous_page": prev, "count": len(ids)})
}

// ---- users ----

func (s *Server) showUser(w http.ResponseWriter, r *http.Request, idText string) {
	id, ok := parseID(idText)
	base := s.base(r)
	s.st.mu.RLock()
	u := s.st.users[id]
	var cp User
	if u != nil {
		cp = s.renderUser(u, base)
	}
	s.st.mu.RUnlock()
	if !ok || u == nil {
		errRecordNotFound(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": cp})
}

// searchUsers is /users/search: the exact external_id parameter, or a query
// in the search syntax over users only.
func (s *Server) searchUsers(w http.ResponseWriter, r *http.Request) {
	base := s.base(r)
	q := r.URL.Query()
	var users []map[string]any
	switch {
	case q.Has("external_id"):
		ext := q.Get("external_id")
		s.st.mu.RLock()
		for _, id := range s.st.userIDs() {
			u := s.st.users[id]
			if ext != "" && u.ExternalID != nil && strings.EqualFold(*u.ExternalID, ext) {
				users = append(users, toMap(s.renderUser(u, base), ""))
			}
		}
		s.st.mu.RUnlock()
	case q.Has("query"):
		pq := ParseQuery(q.Get("query"))
		s.recordSearch("users/search", pq)
		for _, d := range s.runSearch(pq, "user", "", "", base) {
			users = append(users, d.render())
		}
	default:
		errBadRequest(w, "Either query or external_id is required.")
		return
	}
	page, per, ok := offsetWindow(w, r)
	if !ok {
		return
	}
	lo := min((page-1)*per, len(users))
	hi := min(lo+per, len(users))
	next, prev := offsetLinks(r, base, "/api/v2/users/search", page, per, len(users))
	writeJSON(w, http.StatusOK, map[string]any{"users": nonNil(users[lo:hi]), "next_page": next, "previous_page": prev, "count": len(users)})
}

type userWrite struct {
	Name           string   `json:"name"`
	Email          string   `json:"email"`
	Phone          *string  `json:"phone"`
	Role           string   `json:"role"`
	ExternalID     *string  `json:"external_id"`
	OrganizationID *int64   `json:"organization_id"`
	Tags           []string `json:"tags"`
	Notes          *string  `json:"notes"`
	Details        *string  `json:"details"`
	TimeZone       string   `json:"time_zone"`
	Locale         string   `json:"locale"`
	Verified       bool     `json:"verified"`
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	var body struct {
		User *userWrite `json:"user"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	if body.User == nil {
		errBadRequest(w, "The request body needs a user object.")
		return
	}
	in := body.User
	if in.Role == "" {
		in.Role = "end-user"
	}
	base := s.base(r)
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	details := map[string][]errDetail{}
	if strings.TrimSpace(in.Name) == "" {
		details["name"] = append(details["name"], errDetail{Description: "Name: is too short (minimum is 1 character)", Error: "InvalidValue"})
	}
	if in.Email != "" && !strings.Contains(in.Email, "@") {
		details["email"] = append(details["email"], errDetail{Description: "Email: is not properly formatted", Error: "InvalidFormat"})
	}
	if ordinal(userRoles, in.Role) < 0 {
		details["role"] = append(details["role"], invalid("role", "is not valid"))
	}
	if in.OrganizationID != nil && s.st.orgs[*in.OrganizationID] == nil {
		details["organization_id"] = append(details["organization_id"], invalid("organization", "is invalid"))
	}
	switch s.st.userConflict(in.Email, in.ExternalID) {
	case "email already in use":
		if in.Email != "" {
			details["email"] = append(details["email"], errDetail{Description: "Email: is already being used by another user", Error: "DuplicateValue"})
		}
	case "external_id already in use":
		details["external_id"] = append(details["external_id"], errDetail{Description: "External: has already been taken", Error: "DuplicateValue"})
	}
	if len(details) > 0 {
		errRecordInvalid(w, details)
		return
	}
	s.st.next.user++
	u := newUser(seedUser{ID: s.st.next.user, Name: in.Name, Email: in.Email, Phone: in.Phone, Role: in.Role,
		OrganizationID: in.OrganizationID, ExternalID: in.ExternalID, Tags: in.Tags, Notes: in.Notes, Details: in.Details,
		TimeZone: in.TimeZone, Locale: in.Locale, Verified: in.Verified, CreatedAt: s.stamp()})
	s.st.users[u.ID] = u
	rendered := s.renderUser(u, base)
	w.Header().Set("Location", rendered.URL)
	writeJSON(w, http.StatusCreated, map[string]any{"user": rendered})
}

// ---- organizations ----

func (s *Server) showOrg(w http.ResponseWriter, r *http.Request, idText string) {
	id, ok := parseID(idText)
	base := s.base(r)
	s.st.mu.RLock()
	o := s.st.orgs[id]
	var cp Organization
	if o != nil {
		cp = s.renderOrg(o, base)
	}
	s.st.mu.RUnlock()
	if !ok || o == nil {
		errRecordNotFound(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"organization": cp})
}

type orgWrite struct {
	Name        string   `json:"name"`
	DomainNames []string `json:"domain_names"`
	Details     *string  `json:"details"`
	Notes       *string  `json:"notes"`
	Tags        []string `json:"tags"`
	GroupID     *int64   `json:"group_id"`
	ExternalID  *string  `json:"external_id"`
}

func (s *Server) createOrg(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Organization *orgWrite `json:"organization"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	if body.Organization == nil {
		errBadRequest(w, "The request body needs an organization object.")
		return
	}
	in := body.Organization
	base := s.base(r)
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	switch {
	case strings.TrimSpace(in.Name) == "":
		errRecordInvalid(w, map[string][]errDetail{"name": {{Description: "Name: cannot be blank", Error: "BlankValue"}}})
		return
	case s.st.orgConflict(in.Name, in.ExternalID) != "":
		errRecordInvalid(w, map[string][]errDetail{"name": {{Description: "Name: has already been taken", Error: "DuplicateValue"}}})
		return
	}
	s.st.next.org++
	now := s.stamp()
	o := &Organization{ID: s.st.next.org, Name: in.Name, DomainNames: nonNil(in.DomainNames), Details: in.Details, Notes: in.Notes,
		Tags: nonNil(in.Tags), GroupID: in.GroupID, ExternalID: in.ExternalID, CreatedAt: now, UpdatedAt: now,
		OrganizationFields: map[string]any{}}
	s.st.orgs[o.ID] = o
	rendered := s.renderOrg(o, base)
	w.Header().Set("Location", rendered.URL)
	writeJSON(w, http.StatusCreated, map[string]any{"organization": rendered})
}

// ---- search ----

func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	base := s.base(r)
	q := r.URL.Query()
	raw := q.Get("query")
	if strings.TrimSpace(raw) == "" {
		errSearch(w, http.StatusBadRequest, "invalid", "Invalid search: the query parameter is required")
		return
	}
	page, per, ok := offsetWindow(w, r)
	if !ok {
		return
	}
	if (page-1)*per >= searchResultCap {
		errSearch(w, http.StatusUnprocessableEntity, "invalid", "Invalid search: Requested response size was greater than Search Response Limits")
		return
	}
	pq := ParseQuery(raw)
	s.recordSearch("search", pq)
	hits := s.runSearch(pq, "", q.Get("sort_by"), q.Get("sort_order"), base)
	reachable := min(len(hits), searchResultCap)
	lo := min((page-1)*per, reachable)
	hi := min(lo+per, reachable)
	results := make([]map[string]any, 0, hi-lo)
	for _, d := range hits[lo:hi] {
		results = append(results, d.render())
	}
	next, prev := offsetLinks(r, base, "/api/v2/search", page, per, reachable)
	writeJSON(w, http.StatusOK, map[string]any{"results": results, "facets": nil, "next_page": next, "previous_page": prev, "count": len(hits)})
}

func (s *Server) searchCount(w http.ResponseWriter, r *http.Request) {
	raw := r.URL.Query().Get("query")
	if strings.TrimSpace(raw) == "" {
		errSearch(w, http.StatusBadRequest, "invalid", "Invalid search: the query parameter is required")
		return
	}
	pq := ParseQuery(raw)
	s.recordSearch("search/count", pq)
	hits := s.runSearch(pq, "", "", "", s.base(r))
	writeJSON(w, http.StatusOK, map[string]any{"count": len(hits)})
}

type exportCursor struct {
	Pos    int    `json:"p"`
	Issued int64  `json:"t"`
	Query  string `json:"q"`
}

const exportCursorTTL = time.Hour

func exportHash(query, typ string) string {
	h := sha256.Sum256([]byte(typ + "\x00" + query))
	return base64.RawURLEncoding.EncodeToString(h[:8])
}

func (s *Server) searchExport(w http.ResponseWriter, r *http.Request) {
	if _, ok, wait := s.export.take(); !ok {
		errRateLimited(w, wait, s.textPlain429.Load())
		return
	}
	base := s.base(r)
	q := r.URL.Query()
	raw, typ := q.Get("query"), q.Get("filter[type]")
	switch typ {
	case "ticket", "user", "organization", "group":
	default:
		errSearch(w, http.StatusBadRequest, "invalid", "Invalid search: filter[type] must be one of ticket, user, organization or group")
		return
	}
	pq := ParseQuery(raw)
	if len(pq.Types()) > 0 {
		errSearch(w, http.StatusBadRequest, "invalid", "Invalid search: use filter[type] instead of type in the query")
		return
	}
	size := maxPageSize
	if v := q.Get("page[size]"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			errSearch(w, http.StatusBadRequest, "invalid", "Invalid search: page[size] must be between 1 and 1000")
			return
		}
		size = n
	}
	pos := 0
	if c := q.Get("page[after]"); c != "" {
		var cur exportCursor
		b, err := base64.RawURLEncoding.DecodeString(c)
		if err != nil || json.Unmarshal(b, &cur) != nil || cur.Query != exportHash(raw, typ) {
			errSearch(w, http.StatusBadRequest, "invalid", "Invalid search: the cursor is not valid for this query")
			return
		}
		if s.now().Sub(time.Unix(cur.Issued, 0)) > exportCursorTTL {
			errSearch(w, http.StatusBadRequest, "invalid", "Invalid search: the cursor has expired")
			return
		}
		pos = cur.Pos
	}
	s.recordSearch("search/export", pq)
	hits := s.runSearch(pq, typ, "created_at", "asc", base)
	lo := min(pos, len(hits))
	hi := min(lo+size, len(hits))
	results := make([]map[string]any, 0, hi-lo)
	for _, d := range hits[lo:hi] {
		results = append(results, d.render())
	}
	meta := map[string]any{"has_more": hi < len(hits), "after_cursor": nil, "before_cursor": nil}
	links := map[string]any{"next": nil, "prev": nil}
	if hi < len(hits) {
		b, _ := json.Marshal(exportCursor{Pos: hi, Issued: s.now().Unix(), Query: exportHash(raw, typ)})
		c := base64.RawURLEncoding.EncodeToString(b)
		meta["after_cursor"] = c
		v := url.Values{}
		v.Set("query", raw)
		v.Set("filter[type]", typ)
		v.Set("page[size]", strconv.Itoa(size))
		v.Set("page[after]", c)
		links["next"] = base + "/api/v2/search/export.json?" + v.Encode()
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": results, "facets": nil, "meta": meta, "links": links})
}
