package scopes

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/cxgate/cxgate/internal/diag"
	"github.com/cxgate/cxgate/internal/yamlx"
	"github.com/cxgate/cxgate/pii"
)

// Lint codes: security smells in a valid set. docs/scopes.md explains each.
const (
	LintPIIInClear         = "pii-in-clear"
	LintFreeTextUnscrubbed = "free-text-unscrubbed"
	LintPIILowTier         = "pii-low-tier"
	LintPIIWithoutMFA      = "pii-without-mfa"
	LintPIIAnywhere        = "pii-anywhere"
	LintRetentionMissing   = "retention-missing"
	LintRetentionLong      = "retention-long"
	LintRawPIIInput        = "raw-pii-input"
	LintUnboundedSearch    = "unbounded-search"
	LintPIIParamInClear    = "pii-param-in-clear"
	LintPIITypeMismatch    = "pii-type-mismatch"
)

// LintRule documents one lint check.
type LintRule struct {
	Code string
	Doc  string
}

// LintRules lists every lint check, for `scopes lint --list` and the docs.
func LintRules() []LintRule {
	return []LintRule{
		{LintPIIInClear, "a field that holds PII (by the catalog, or by its name without one: email, phone, mobile, ssn, iban, card, address, street, postcode, zip, birth/dob, people's names) is kept in clear"},
		{LintFreeTextUnscrubbed, "a free-text field (by the catalog, or named note, description, body, comment, subject, details, message) is kept without scrub"},
		{LintPIILowTier, "clear or tokenized PII is reachable with min_tier 0"},
		{LintPIIWithoutMFA, "clear or tokenized PII is reachable without mfa"},
		{LintPIIAnywhere, "clear PII is reachable with neither countries nor networks"},
		{LintRetentionMissing, "a client states no retention (tokens would never expire)"},
		{LintRetentionLong, "a client's retention is over 90 days"},
		{LintRawPIIInput, "an update writes raw text into a PII field; accept a token instead"},
		{LintUnboundedSearch, "a search has no required param, so it can list every customer"},
		{LintPIIParamInClear, "a param takes PII in clear; accept a token instead"},
		{LintPIITypeMismatch, "a tokenize or hash rule names another PII type than the catalog gives the field"},
	}
}

// MaxRetention is the longest retention lint accepts without a warning.
const MaxRetention = 90 * yamlx.Day

// Lint reports security smells of a valid set, as warnings sorted like
// diagnostics. A nil set has none.
func Lint(s *Set) diag.List {
	var d diag.List
	for _, c := range s.Clients() {
		switch {
		case c.RetentionPos.IsZero():
			d.Warnf(c.Pos, LintRetentionMissing, "client %s states no retention: tokens minted for it would detokenize forever; add retention: 30d (or what the client's policy says)", c.ID)
		case c.Retention > MaxRetention:
			d.Warnf(c.RetentionPos, LintRetentionLong, "retention %s of client %s is over %d days; keep tokens short-lived unless the client's policy needs more", yamlx.FormatDuration(c.Retention), c.ID, int(MaxRetention/(24*time.Hour)))
		}
		for _, q := range c.Inquiries {
			lintInquiry(&d, q)
		}
	}
	d.Sort()
	return d
}

// fieldPII is a field's PII type for lint: the catalog's word when the
// catalog knows the field, else the rule's type, else a guess by name.
func fieldPII(f *Field) pii.Type {
	if f.PII != "" {
		return f.PII
	}
	if f.Cataloged {
		return ""
	}
	return guessPII(f.Path.String())
}

func looksFreeText(path string) bool {
	n := strings.ToLower(path)
	if i := strings.LastIndexByte(n, '.'); i >= 0 {
		n = n[i+1:]
	}
	n = strings.TrimSuffix(n, "[]")
	for _, w := range []string{"note", "description", "body", "comment", "subject", "details", "message", "content"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

func lintInquiry(d *diag.List, q *Inquiry) {
	var clear, tokenized []string
	for _, o := range q.Operations {
		for _, f := range o.Fields {
			t := fieldPII(f)
			free := f.FreeText || (!f.Cataloged && looksFreeText(f.Path.String()))
			if f.Rule == Keep && free {
				d.Warnf(f.Pos, LintFreeTextUnscrubbed, "field %s holds free text and is kept as is; use scrub so PII typed into it is filtered", f.Path)
			}
			if f.Rule == Keep && t != "" {
				d.Warnf(f.Pos, LintPIIInClear, "field %s looks like %s and is kept in clear; use tokenize, hash or mask unless the expert must read it", f.Path, t)
				clear = append(clear, o.ID+": "+f.Path.String())
			}
			if f.Rule == Tokenize && t != "" {
				tokenized = append(tokenized, o.ID+": "+f.Path.String())
			}
			if (f.Rule == Tokenize || f.Rule == Hash) && f.CatalogPII != "" && f.PII != f.CatalogPII {
				d.Warnf(f.RulePos, LintPIITypeMismatch, "field %s holds %s by the catalog, but the rule %ss it as %s: its tokens will not match %s tokens elsewhere", f.Path, f.CatalogPII, f.Rule, f.PII, f.CatalogPII)
			}
		}
		for _, in := range o.Inputs {
			if in.Kind != InputText {
				continue
			}
			t := in.PII
			if t == "" && !in.Cataloged {
				t = guessPII(in.Path.String())
			}
			if t != "" {
				d.Warnf(in.Pos, LintRawPIIInput, "input %s writes raw text into %s %s field; accept a token instead: {token: %s}", in.Path, article(string(t)), t, t)
			}
		}
		for _, p := range o.Params {
			if p.Type == ParamToken {
				continue
			}
			t := p.PII
			if t == "" {
				t = guessPII(p.Name)
			}
			if t != "" {
				d.Warnf(p.Pos, LintPIIParamInClear, "param %s takes %s in clear, so experts handle the customer's value; accept a token instead: {type: token, pii: %s}", p.Name, t, t)
			}
		}
		if o.Action == Search {
			required := false
			for _, p := range o.Params {
				required = required || p.Required
			}
			if !required {
				d.Warnf(o.Pos, LintUnboundedSearch, "search %s has no required param, so it can list every %s; require a lookup key", o.ID, o.Resource)
			}
		}
	}
	exposed := append(append([]string(nil), clear...), tokenized...)
	sort.Strings(exposed)
	a := q.Access
	if len(exposed) > 0 && a.MinTier == 0 {
		at := a.MinTierPos
		if at.IsZero() {
			at = a.Pos
		}
		d.Warnf(at, LintPIILowTier, "inquiry %s is open to tier 0 experts and reveals PII in clear or as tokens (%s); raise min_tier", q.ID, summarize(exposed))
	}
	if len(exposed) > 0 && !a.MFA {
		at := a.MFAPos
		if at.IsZero() {
			at = a.Pos
		}
		d.Warnf(at, LintPIIWithoutMFA, "inquiry %s reveals PII in clear or as tokens (%s) without mfa; add mfa: true", q.ID, summarize(exposed))
	}
	if len(clear) > 0 && a.Countries == nil && a.Networks == nil {
		sort.Strings(clear)
		d.Warnf(a.Pos, LintPIIAnywhere, "inquiry %s reveals PII in clear (%s) to experts anywhere; limit it with countries or networks", q.ID, summarize(clear))
	}
}

func summarize(items []string) string {
	if len(items) > 3 {
		return fmt.Sprintf("%s and %d more", strings.Join(items[:3], ", "), len(items)-3)
	}
	return strings.Join(items, ", ")
}
