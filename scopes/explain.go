package scopes

import (
	"fmt"
	"strings"

	"github.com/cxgate/cxgate/internal/yamlx"
)

// Explanation is what experts can see, per client, inquiry, operation and
// field, with the file:line of every rule: the model behind
// `cxgate scopes explain` in every format.
type Explanation struct {
	Clients []ExplainClient `json:"clients"`
}

// ExplainClient explains one client.
type ExplainClient struct {
	ID          string           `json:"id"`
	Connection  string           `json:"connection"`
	Retention   string           `json:"retention,omitempty"`
	RetentionAt string           `json:"retention_at,omitempty"`
	Files       []string         `json:"files"`
	Filter      *ExplainFilter   `json:"filter,omitempty"`
	Levels      []string         `json:"levels"` // column names of each inquiry's Levels
	Inquiries   []ExplainInquiry `json:"inquiries"`
}

// ExplainFilter is a client's content-filter section.
type ExplainFilter struct {
	PhoneRegions  []string `json:"phone_regions,omitempty"`
	AllowPatterns []string `json:"allow_patterns,omitempty"`
	At            string   `json:"at"`
}

// ExplainInquiry explains one inquiry.
type ExplainInquiry struct {
	ID          string             `json:"id"`
	Description string             `json:"description,omitempty"`
	At          string             `json:"at"`
	Access      ExplainAccess      `json:"access"`
	Levels      []ExplainLevel     `json:"levels"`
	Operations  []ExplainOperation `json:"operations"`
}

// ExplainAccess is an inquiry's access rules.
type ExplainAccess struct {
	Summary     string   `json:"summary"`
	MinTier     int      `json:"min_tier"`
	MinTierAt   string   `json:"min_tier_at,omitempty"`
	MFA         bool     `json:"mfa"`
	MFAAt       string   `json:"mfa_at,omitempty"`
	Countries   []string `json:"countries,omitempty"`
	CountriesAt string   `json:"countries_at,omitempty"`
	Networks    []string `json:"networks,omitempty"`
	NetworksAt  string   `json:"networks_at,omitempty"`
}

// ExplainLevel says whether experts at one access level may use an
// inquiry (from an approved place when the inquiry restricts places), as
// Decide answers it.
type ExplainLevel struct {
	Level   string `json:"level"` // "tier 1", "tier 1 + MFA"
	Tier    int    `json:"tier"`
	MFA     bool   `json:"mfa"`
	Allowed bool   `json:"allowed"`
	Code    string `json:"code,omitempty"`
}

// ExplainOperation explains one operation.
type ExplainOperation struct {
	ID          string         `json:"id"`
	Description string         `json:"description,omitempty"`
	Action      string         `json:"action"`
	Resource    string         `json:"resource"`
	Limit       int            `json:"limit,omitempty"`
	At          string         `json:"at"`
	Params      []ExplainParam `json:"params"`
	Fields      []ExplainField `json:"fields"`
	Inputs      []ExplainInput `json:"inputs,omitempty"`
}

// ExplainParam explains one param.
type ExplainParam struct {
	Name     string   `json:"name"`
	Type     string   `json:"type"`
	Required bool     `json:"required"`
	PII      string   `json:"pii,omitempty"`
	Pattern  string   `json:"pattern,omitempty"`
	Enum     []string `json:"enum,omitempty"`
	At       string   `json:"at"`
}

// ExplainField explains one field: its rule and what the expert sees.
type ExplainField struct {
	Path     string `json:"path"`
	Rule     string `json:"rule"`
	Option   string `json:"option,omitempty"`
	PII      string `json:"pii,omitempty"`
	Exposure int    `json:"exposure"` // Rule.Exposure: 1 redact ... 5 keep
	Shows    string `json:"shows"`
	At       string `json:"at"`
}

// ExplainInput explains one update input.
type ExplainInput struct {
	Path    string `json:"path"`
	Kind    string `json:"kind"`
	PII     string `json:"pii,omitempty"`
	Enum    []any  `json:"enum,omitempty"`
	Accepts string `json:"accepts"`
	At      string `json:"at"`
}

// Explain builds the explanation of a set, optionally narrowed to one
// client and one inquiry ("" means all). ok is false when a named client
// or inquiry does not exist.
func Explain(s *Set, client, inquiry string) (Explanation, bool) {
	ex := Explanation{Clients: []ExplainClient{}}
	found, foundQ := client == "", inquiry == ""
	for _, c := range s.Clients() {
		if client != "" && c.ID != client {
			continue
		}
		found = true
		ec := ExplainClient{ID: c.ID, Connection: c.Connection, Files: append([]string{}, c.Files...), Inquiries: []ExplainInquiry{}}
		if !c.RetentionPos.IsZero() {
			ec.Retention, ec.RetentionAt = yamlx.FormatDuration(c.Retention), c.RetentionPos.FileLine()
		}
		if f := c.Filter; f != nil {
			ef := &ExplainFilter{PhoneRegions: f.PhoneRegions, At: f.Pos.FileLine()}
			for _, re := range f.AllowPatterns {
				ef.AllowPatterns = append(ef.AllowPatterns, re.String())
			}
			ec.Filter = ef
		}
		levels := accessLevels(c)
		for _, l := range levels {
			ec.Levels = append(ec.Levels, l.name)
		}
		for _, q := range c.Inquiries {
			if inquiry != "" && q.ID != inquiry {
				continue
			}
			foundQ = true
			ec.Inquiries = append(ec.Inquiries, explainInquiry(s, c, q, levels))
		}
		ex.Clients = append(ex.Clients, ec)
	}
	return ex, found && foundQ
}

type level struct {
	name string
	tier int
	mfa  bool
}

// accessLevels are the tiers a client's inquiries distinguish, each with
// and without a second factor.
func accessLevels(c *Client) []level {
	tiers := map[int]bool{0: true}
	maxTier := 0
	for _, q := range c.Inquiries {
		tiers[q.Access.MinTier] = true
		maxTier = max(maxTier, q.Access.MinTier)
	}
	var out []level
	for t := 0; t <= maxTier; t++ {
		if !tiers[t] {
			continue
		}
		out = append(out, level{fmt.Sprintf("tier %d", t), t, false}, level{fmt.Sprintf("tier %d + MFA", t), t, true})
	}
	return out
}

func explainInquiry(s *Set, c *Client, q *Inquiry, levels []level) ExplainInquiry {
	a := q.Access
	ea := ExplainAccess{MinTier: a.MinTier, MFA: a.MFA, Countries: a.Countries, Summary: accessSummary(a)}
	if !a.MinTierPos.IsZero() {
		ea.MinTierAt = a.MinTierPos.FileLine()
	}
	if !a.MFAPos.IsZero() {
		ea.MFAAt = a.MFAPos.FileLine()
	}
	if !a.CountriesPos.IsZero() {
		ea.CountriesAt = a.CountriesPos.FileLine()
	}
	if !a.NetworksPos.IsZero() {
		ea.NetworksAt = a.NetworksPos.FileLine()
	}
	for _, n := range a.Networks {
		ea.Networks = append(ea.Networks, n.String())
	}
	eq := ExplainInquiry{ID: q.ID, Description: q.Description, At: q.Pos.FileLine(), Access: ea, Operations: []ExplainOperation{}}
	if len(q.Operations) > 0 {
		for _, l := range levels {
			p := Principal{Tier: l.tier, MFA: l.mfa, Clients: []string{c.ID}}
			if len(a.Countries) > 0 {
				p.Country = a.Countries[0]
			}
			if len(a.Networks) > 0 {
				p.IP = a.Networks[0].Addr()
			}
			d := s.Decide(p, Target{Client: c.ID, Inquiry: q.ID, Operation: q.Operations[0].ID})
			eq.Levels = append(eq.Levels, ExplainLevel{Level: l.name, Tier: l.tier, MFA: l.mfa, Allowed: d.Allowed, Code: d.Code})
		}
	}
	for _, o := range q.Operations {
		eo := ExplainOperation{ID: o.ID, Description: o.Description, Action: string(o.Action), Resource: o.Resource, Limit: o.Limit, At: o.Pos.FileLine(),
			Params: []ExplainParam{}, Fields: []ExplainField{}}
		for _, p := range o.Params {
			eo.Params = append(eo.Params, ExplainParam{Name: p.Name, Type: string(p.Type), Required: p.Required, PII: string(p.PII), Pattern: p.PatternText, Enum: p.Enum, At: p.Pos.FileLine()})
		}
		for _, f := range o.Fields {
			ef := ExplainField{Path: f.Path.String(), Rule: string(f.Rule), PII: string(f.PII), Exposure: f.Rule.Exposure(), Shows: Shows(f), At: f.Pos.FileLine()}
			if f.Rule == Mask {
				ef.Option = string(f.Mask)
			}
			eo.Fields = append(eo.Fields, ef)
		}
		for _, in := range o.Inputs {
			eo.Inputs = append(eo.Inputs, ExplainInput{Path: in.Path.String(), Kind: string(in.Kind), PII: string(in.PII), Enum: in.Enum, Accepts: accepts(in), At: in.Pos.FileLine()})
		}
		eq.Operations = append(eq.Operations, eo)
	}
	return eq
}

func accessSummary(a Access) string {
	parts := []string{fmt.Sprintf("tier %d or higher", a.MinTier)}
	if a.MinTier == 0 {
		parts[0] = "any tier"
	}
	if a.MFA {
		parts = append(parts, "with MFA")
	} else {
		parts = append(parts, "MFA not required")
	}
	if a.Countries != nil {
		parts = append(parts, "in "+strings.Join(a.Countries, ", "))
	} else {
		parts = append(parts, "any country")
	}
	if a.Networks != nil {
		nets := make([]string, len(a.Networks))
		for i, n := range a.Networks {
			nets[i] = n.String()
		}
		parts = append(parts, "from "+strings.Join(nets, ", "))
	} else {
		parts = append(parts, "any network")
	}
	return strings.Join(parts, ", ")
}

// Shows says in words what an expert sees of a field.
func Shows(f *Field) string {
	switch f.Rule {
	case Keep:
		return "the value, in clear"
	case Mask:
		switch f.Mask {
		case MaskLast4:
			return "the last 4 characters"
		case MaskLast2:
			return "the last 2 characters"
		case MaskFirst1:
			return "the first character"
		case MaskEmail:
			return "the first character and the domain"
		}
		return "nothing but a mask"
	case Tokenize:
		return fmt.Sprintf("a token (%s), usable as a param or input, not readable", f.PII)
	case Hash:
		return fmt.Sprintf("a one-way pseudonym (%s)", f.PII)
	case Redact:
		return "the marker " + Redacted
	case Scrub:
		return "the text, with PII found in it masked"
	}
	return "nothing"
}

func accepts(in *Input) string {
	switch in.Kind {
	case InputText:
		return "any text, scrubbed before it is written"
	case InputToken:
		return fmt.Sprintf("only %s %s token minted for this client, detokenized before the write", article(string(in.PII)), in.PII)
	case InputEnum:
		vals := make([]string, len(in.Enum))
		for i, v := range in.Enum {
			vals[i] = fmt.Sprint(v)
		}
		return "one of " + strings.Join(vals, ", ")
	}
	return ""
}
