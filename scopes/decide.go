package scopes

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Problem codes a Decision may carry: the contract's problem+json codes.
const (
	CodeForbidden      = "forbidden"
	CodeNotFound       = "not_found"
	CodeTierTooLow     = "tier_too_low"
	CodeMFARequired    = "mfa_required"
	CodeLocationDenied = "location_denied"
)

// Principal is the expert asking, as the gateway verified it.
type Principal struct {
	Subject string
	Tier    int
	MFA     bool
	Country string     // ISO 3166-1 alpha-2; "" when unknown
	IP      netip.Addr // the zero Addr when unknown
	Clients []string   // the clients the expert is onboarded for
}

// Target is what the expert asks to run.
type Target struct {
	Client    string
	Inquiry   string
	Operation string
}

// Check names one step of a decision.
type Check string

// The checks of a decision, in the order Decide runs them.
const (
	CheckClient    Check = "client"
	CheckInquiry   Check = "inquiry"
	CheckOperation Check = "operation"
	CheckTier      Check = "tier"
	CheckMFA       Check = "mfa"
	CheckCountry   Check = "country"
	CheckNetwork   Check = "network"
)

// Reason is one check of a decision: what was checked, whether it held,
// and the scope rule (file:line) that made it. Messages never carry the
// expert's address or any customer value.
type Reason struct {
	Check   Check
	Passed  bool
	Code    string // the problem code when the check failed
	Message string
	Pos     Pos // the rule; zero when no rule exists (unknown client, default access)
}

// Decision is the answer of Decide. On success Operation (with its params,
// fields, rules and inputs), Inquiry and Client (connection, retention,
// filter settings) are what the gateway runs; they are shared read-only.
type Decision struct {
	Allowed   bool
	Code      string // "" when allowed, else the first failing check's code
	Reasons   []Reason
	Client    *Client
	Inquiry   *Inquiry
	Operation *Operation
}

// Err returns a short text for a denial ("" when allowed).
func (d Decision) Err() string {
	if d.Allowed {
		return ""
	}
	var msgs []string
	for _, r := range d.Reasons {
		if !r.Passed {
			msgs = append(msgs, r.Message)
		}
	}
	return strings.Join(msgs, "; ")
}

// Decide says whether principal may run target. It is pure: the same set,
// principal and target always give the same decision. Checks run in a
// fixed order: the client exists and the expert is onboarded for it
// (forbidden; an unknown client is not told apart from one the expert may
// not use), the inquiry and operation exist (not_found), then the access
// rules, tier (tier_too_low), MFA (mfa_required), country and network
// (location_denied). Every access rule is evaluated, so a denial lists all
// that failed; Code is the first. An unknown country or address fails a
// rule that restricts it.
func (s *Set) Decide(p Principal, t Target) Decision {
	var d Decision
	c, ok := s.Client(t.Client)
	if !ok || !slices.Contains(p.Clients, t.Client) {
		msg := fmt.Sprintf("expert is not onboarded for client %s", t.Client)
		if !ok {
			msg = fmt.Sprintf("no client %s is served here for this expert", t.Client)
		}
		d.deny(Reason{Check: CheckClient, Code: CodeForbidden, Message: msg})
		return d
	}
	d.Client = c
	d.Reasons = append(d.Reasons, Reason{Check: CheckClient, Passed: true, Message: fmt.Sprintf("expert is onboarded for client %s", c.ID), Pos: c.Pos})
	q, ok := c.Inquiry(t.Inquiry)
	if !ok {
		d.deny(Reason{Check: CheckInquiry, Code: CodeNotFound, Message: fmt.Sprintf("client %s has no inquiry %s", c.ID, t.Inquiry)})
		return d
	}
	d.Inquiry = q
	d.Reasons = append(d.Reasons, Reason{Check: CheckInquiry, Passed: true, Message: "inquiry " + q.ID, Pos: q.Pos})
	o, ok := q.Operation(t.Operation)
	if !ok {
		d.deny(Reason{Check: CheckOperation, Code: CodeNotFound, Message: fmt.Sprintf("inquiry %s has no operation %s", q.ID, t.Operation)})
		return d
	}
	d.Reasons = append(d.Reasons, Reason{Check: CheckOperation, Passed: true, Message: "operation " + o.ID, Pos: o.Pos})

	a := q.Access
	tierPos := a.MinTierPos
	if tierPos.IsZero() {
		tierPos = a.Pos
	}
	if p.Tier >= a.MinTier {
		d.Reasons = append(d.Reasons, Reason{Check: CheckTier, Passed: true, Message: fmt.Sprintf("tier %d meets min_tier %d", p.Tier, a.MinTier), Pos: tierPos})
	} else {
		d.deny(Reason{Check: CheckTier, Code: CodeTierTooLow, Message: fmt.Sprintf("tier %d is below min_tier %d", p.Tier, a.MinTier), Pos: tierPos})
	}
	if a.MFA {
		if p.MFA {
			d.Reasons = append(d.Reasons, Reason{Check: CheckMFA, Passed: true, Message: "second factor present", Pos: a.MFAPos})
		} else {
			d.deny(Reason{Check: CheckMFA, Code: CodeMFARequired, Message: "inquiry requires a second factor (mfa)", Pos: a.MFAPos})
		}
	}
	if a.Countries != nil {
		switch {
		case p.Country == "":
			d.deny(Reason{Check: CheckCountry, Code: CodeLocationDenied, Message: "inquiry is limited to countries " + strings.Join(a.Countries, ", ") + " and the expert's country is unknown", Pos: a.CountriesPos})
		case slices.Contains(a.Countries, p.Country):
			d.Reasons = append(d.Reasons, Reason{Check: CheckCountry, Passed: true, Message: "country " + p.Country + " is allowed", Pos: a.CountriesPos})
		default:
			d.deny(Reason{Check: CheckCountry, Code: CodeLocationDenied, Message: "country " + sanitizeCountry(p.Country) + " is not among " + strings.Join(a.Countries, ", "), Pos: a.CountriesPos})
		}
	}
	if a.Networks != nil {
		ip := p.IP.Unmap()
		switch {
		case !ip.IsValid():
			d.deny(Reason{Check: CheckNetwork, Code: CodeLocationDenied, Message: "inquiry is limited to approved networks and the expert's address is unknown", Pos: a.NetworksPos})
		case inNetworks(ip, a.Networks):
			d.Reasons = append(d.Reasons, Reason{Check: CheckNetwork, Passed: true, Message: "address is in an approved network", Pos: a.NetworksPos})
		default:
			d.deny(Reason{Check: CheckNetwork, Code: CodeLocationDenied, Message: "the expert's address is not in an approved network", Pos: a.NetworksPos})
		}
	}
	if d.Code == "" {
		d.Allowed = true
		d.Inquiry, d.Operation = q, o
	} else {
		d.Operation = nil
	}
	return d
}

func (d *Decision) deny(r Reason) {
	d.Reasons = append(d.Reasons, r)
	if d.Code == "" {
		d.Code = r.Code
	}
}

func inNetworks(ip netip.Addr, nets []netip.Prefix) bool {
	for _, n := range nets {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// sanitizeCountry keeps a claimed country printable and short, since it
// comes from a token and ends up in messages.
func sanitizeCountry(c string) string {
	if len(c) == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z' {
		return c
	}
	return "(not an ISO code)"
}

// Visible is one inquiry an expert may use now, with the operations the
// expert may run.
type Visible struct {
	Inquiry    *Inquiry
	Operations []*Operation
}

// Visible lists what principal may use of client right now, for
// GET /v1/clients/{client}/inquiries. It asks Decide about every operation,
// so it can never disagree with what the gateway then allows.
func (s *Set) Visible(p Principal, client string) []Visible {
	c, ok := s.Client(client)
	if !ok {
		return nil
	}
	var out []Visible
	for _, q := range c.Inquiries {
		var ops []*Operation
		for _, o := range q.Operations {
			if d := s.Decide(p, Target{Client: client, Inquiry: q.ID, Operation: o.ID}); d.Allowed {
				ops = append(ops, d.Operation)
			}
		}
		if len(ops) > 0 {
			out = append(out, Visible{Inquiry: q, Operations: ops})
		}
	}
	return out
}
