package zendesk

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

// A searchable view of one record. Keyword values match whole (or by
// prefix with "*"); text values match as words and phrases.
type doc struct {
	typ      string
	id       int64
	created  time.Time
	updated  time.Time
	due      *time.Time
	status   int // ordinal, -1 when not a ticket
	priority int // ordinal, -1 when none
	keywords map[string][]string
	texts    map[string][]string
	render   func() map[string]any
}

// Fields the parser accepts as "the text of a record" for free-text terms.
var freeTextFields = []string{"subject", "description", "comment", "name", "email", "notes", "details", "phone", "tags", "external_id", "domain"}

func parseStamp(s string) time.Time {
	t, _ := time.Parse(time.RFC3339, s)
	return t
}

func lowerAll(in ...string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		if s != "" {
			out = append(out, strings.ToLower(s))
		}
	}
	return out
}

func idStr(id int64) string { return strconv.FormatInt(id, 10) }

// personKeys are the values requester:/assignee: match: id and email
// exactly; the name as text.
func (st *store) personKeys(id *int64) ([]string, []string) {
	if id == nil {
		return nil, nil
	}
	u := st.users[*id]
	if u == nil {
		return []string{idStr(*id)}, nil
	}
	return lowerAll(idStr(u.ID), u.Email), []string{u.Name}
}

// docs builds the searchable views of every record. The caller holds st.mu.
func (s *Server) docs(base string) []*doc {
	st := s.st
	var out []*doc
	for _, id := range st.ticketIDs() {
		t := st.tickets[id]
		d := &doc{typ: "ticket", id: t.ID, created: parseStamp(t.CreatedAt), updated: parseStamp(t.UpdatedAt),
			status: ordinal(statusOrder, t.Status), priority: -1,
			keywords: map[string][]string{}, texts: map[string][]string{}}
		if t.Priority != nil {
			d.priority = ordinal(priorityOrder, *t.Priority)
			d.keywords["priority"] = lowerAll(*t.Priority)
		}
		if t.DueAt != nil {
			due := parseStamp(*t.DueAt)
			d.due = &due
		}
		d.keywords["status"] = lowerAll(t.Status)
		if t.Type != nil {
			d.keywords["ticket_type"] = lowerAll(*t.Type)
		}
		d.keywords["via"] = lowerAll(t.Via.Channel)
		d.keywords["tags"] = lowerAll(t.Tags...)
		d.keywords["id"] = []string{idStr(t.ID)}
		if t.ExternalID != nil {
			d.keywords["external_id"] = lowerAll(*t.ExternalID)
		}
		d.keywords["requester"], d.texts["requester"] = st.personKeys(&t.RequesterID)
		d.keywords["submitter"], d.texts["submitter"] = st.personKeys(&t.SubmitterID)
		d.keywords["assignee"], d.texts["assignee"] = st.personKeys(t.AssigneeID)
		if t.AssigneeID == nil {
			d.keywords["assignee"] = []string{"none"}
		}
		if t.OrganizationID != nil {
			d.keywords["organization"] = []string{idStr(*t.OrganizationID)}
			if o := st.orgs[*t.OrganizationID]; o != nil {
				d.texts["organization"] = []string{o.Name}
			}
		} else {
			d.keywords["organization"] = []string{"none"}
		}
		if t.GroupID != nil {
			d.keywords["group"] = []string{idStr(*t.GroupID)}
		}
		d.texts["subject"] = []string{t.Subject}
		d.texts["description"] = []string{t.Description}
		for _, c := range st.comments[t.ID] {
			d.texts["comment"] = append(d.texts["comment"], c.Body)
		}
		d.texts["tags"] = t.Tags
		cp := s.renderTicket(t, base)
		d.render = func() map[string]any { return toMap(cp, "ticket") }
		out = append(out, d)
	}
	for _, id := range st.userIDs() {
		u := st.users[id]
		d := &doc{typ: "user", id: u.ID, created: parseStamp(u.CreatedAt), updated: parseStamp(u.UpdatedAt),
			status: -1, priority: -1, keywords: map[string][]string{}, texts: map[string][]string{}}
		d.keywords["id"] = []string{idStr(u.ID)}
		d.keywords["email"] = lowerAll(u.Email)
		d.keywords["role"] = lowerAll(u.Role)
		d.keywords["tags"] = lowerAll(u.Tags...)
		if u.ExternalID != nil {
			d.keywords["external_id"] = lowerAll(*u.ExternalID)
		}
		if u.Phone != nil {
			d.keywords["phone"] = lowerAll(*u.Phone, digitsOnly(*u.Phone))
			d.texts["phone"] = []string{*u.Phone}
		}
		if u.OrganizationID != nil {
			d.keywords["organization"] = []string{idStr(*u.OrganizationID)}
			if o := st.orgs[*u.OrganizationID]; o != nil {
				d.texts["organization"] = []string{o.Name}
			}
		}
		d.texts["name"] = []string{u.Name}
		d.texts["email"] = []string{u.Email}
		d.texts["notes"] = []string{strOr(u.Notes)}
		d.texts["details"] = []string{strOr(u.Details)}
		d.texts["tags"] = u.Tags
		if u.ExternalID != nil {
			d.texts["external_id"] = []string{*u.ExternalID}
		}
		cp := s.renderUser(u, base)
		d.render = func() map[string]any { return toMap(cp, "user") }
		out = append(out, d)
	}
	for _, id := range st.orgIDs() {
		o := st.orgs[id]
		d := &doc{typ: "organization", id: o.ID, created: parseStamp(o.CreatedAt), updated: parseStamp(o.UpdatedAt),
			status: -1, priority: -1, keywords: map[string][]string{}, texts: map[string][]string{}}
		d.keywords["id"] = []string{idStr(o.ID)}
		d.keywords["tags"] = lowerAll(o.Tags...)
		d.keywords["domain"] = lowerAll(o.DomainNames...)
		if o.ExternalID != nil {
			d.keywords["external_id"] = lowerAll(*o.ExternalID)
		}
		d.texts["name"] = []string{o.Name}
		d.texts["notes"] = []string{strOr(o.Notes)}
		d.texts["details"] = []string{strOr(o.Details)}
		d.texts["tags"] = o.Tags
		d.texts["domain"] = o.DomainNames
		cp := s.renderOrg(o, base)
		d.render = func() map[string]any { return toMap(cp, "organization") }
		out = append(out, d)
	}
	return out
}

func digitsOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// match reports whether a document satisfies every term (whitespace is AND).
func (q Query) match(d *doc) bool {
	for _, t := range q.Terms {
		if t.matches(d) == t.Negated {
			return false
		}
	}
	return true
}

func (t Term) matches(d *doc) bool {
	v := strings.ToLower(t.Value)
	switch t.Field {
	case "":
		for _, f := range freeTextFields {
			if textMatch(d.texts[f], v, t.Wildcard) {
				return true
			}
		}
		return false
	case "type":
		if t.Op != ":" {
			return false
		}
		return d.typ == v
	case "created", "updated", "due_date":
		var at *time.Time
		switch t.Field {
		case "created":
			at = &d.created
		case "updated":
			at = &d.updated
		default:
			at = d.due
		}
		return at != nil && compareDate(*at, t.Op, v)
	case "status":
		return d.status >= 0 && compareOrdinal(d.status, t.Op, ordinal(statusOrder, v), t, d.keywords["status"])
	case "priority":
		return d.priority >= 0 && compareOrdinal(d.priority, t.Op, ordinal(priorityOrder, v), t, d.keywords["priority"])
	case "tag":
		t.Field = "tags"
		return t.matches(d)
	}
	if t.Op != ":" {
		return false
	}
	if keywordMatch(d.keywords[t.Field], v, t.Wildcard) {
		return true
	}
	return textMatch(d.texts[t.Field], v, t.Wildcard)
}

func compareOrdinal(have int, op string, want int, t Term, kw []string) bool {
	if op == ":" {
		return keywordMatch(kw, strings.ToLower(t.Value), t.Wildcard)
	}
	if want < 0 {
		return false
	}
	switch op {
	case "<":
		return have < want
	case ">":
		return have > want
	case "<=":
		return have <= want
	case ">=":
		return have >= want
	}
	return false
}

func compareDate(at time.Time, op, v string) bool {
	day, err := time.Parse("2006-01-02", v)
	if err != nil {
		ts, err2 := time.Parse(time.RFC3339, strings.ToUpper(v))
		if err2 != nil {
			return false
		}
		day = ts
	}
	at = at.UTC()
	switch op {
	case ":":
		y1, m1, d1 := at.Date()
		y2, m2, d2 := day.Date()
		return y1 == y2 && m1 == m2 && d1 == d2
	case "<":
		return at.Before(day)
	case ">":
		return at.After(day)
	case "<=":
		return !at.After(day)
	case ">=":
		return !at.Before(day)
	}
	return false
}

// keywordMatch: the whole value, case-insensitively; with a wildcard, a
// prefix ("*" alone matches any present value).
func keywordMatch(have []string, v string, wildcard bool) bool {
	for _, h := range have {
		if wildcard && strings.HasPrefix(h, v) || !wildcard && h == v {
			return true
		}
	}
	return false
}

// textMatch: the value's words appear consecutively in a text; with a
// wildcard the last word may be a prefix.
func textMatch(texts []string, v string, wildcard bool) bool {
	want := words(v)
	if len(want) == 0 {
		if !wildcard {
			return false
		}
		for _, t := range texts {
			if len(words(t)) > 0 {
				return true
			}
		}
		return false
	}
	for _, t := range texts {
		have := words(t)
		for i := 0; i+len(want) <= len(have); i++ {
			ok := true
			for k, w := range want {
				h := have[i+k]
				last := k == len(want)-1
				if !(h == w || last && wildcard && strings.HasPrefix(h, w)) {
					ok = false
					break
				}
			}
			if ok {
				return true
			}
		}
	}
	return false
}

// runSearch evaluates a query over every record (limited to the given
// types when not empty) and sorts the hits.
func (s *Server) runSearch(q Query, onlyType string, sortBy, sortOrder, base string) []*doc {
	s.st.mu.RLock()
	all := s.docs(base)
	s.st.mu.RUnlock()
	var hits []*doc
	for _, d := range all {
		if onlyType != "" && d.typ != onlyType {
			continue
		}
		if q.match(d) {
			hits = append(hits, d)
		}
	}
	if sortBy == "" {
		sortBy = q.OrderBy
	}
	if sortOrder == "" {
		sortOrder = q.Sort
	}
	desc := sortOrder != "asc"
	key := func(d *doc) (int64, bool) {
		switch sortBy {
		case "created_at", "created":
			return d.created.Unix(), true
		case "updated_at", "updated":
			return d.updated.Unix(), true
		case "priority":
			return int64(d.priority), true
		case "status":
			return int64(d.status), true
		}
		return 0, false
	}
	sort.SliceStable(hits, func(i, j int) bool {
		ki, ok := key(hits[i])
		kj, _ := key(hits[j])
		if !ok || ki == kj {
			// Relevance is Zendesk's secret; the sandbox orders by type
			// then id so pages are stable.
			if hits[i].typ != hits[j].typ {
				return hits[i].typ < hits[j].typ
			}
			return hits[i].id < hits[j].id
		}
		if desc {
			return ki > kj
		}
		return ki < kj
	})
	return hits
}
