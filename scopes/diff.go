package scopes

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/cxgate/cxgate/internal/yamlx"
)

// Direction says whether a change lets experts see or do more (Up) or less
// (Down). A change that is neither clearly more nor clearly less (mask
// swapped for scrub, a pattern rewritten) is Up: a reviewer must look.
type Direction string

const (
	Up   Direction = "up"
	Down Direction = "down"
)

// Change is one difference between two sets that matters for exposure.
type Change struct {
	Direction Direction `json:"direction"`
	Code      string    `json:"code"`
	Client    string    `json:"client"`
	Inquiry   string    `json:"inquiry,omitempty"`
	Operation string    `json:"operation,omitempty"`
	Message   string    `json:"message"`
	Old       *Pos      `json:"old,omitempty"`
	New       *Pos      `json:"new,omitempty"`
}

// Where names the changed place: client/inquiry/operation.
func (c Change) Where() string {
	parts := []string{c.Client}
	if c.Inquiry != "" {
		parts = append(parts, c.Inquiry)
	}
	if c.Operation != "" {
		parts = append(parts, c.Operation)
	}
	return strings.Join(parts, "/")
}

// Grows reports whether any change raises exposure.
func Grows(changes []Change) bool {
	for _, c := range changes {
		if c.Direction == Up {
			return true
		}
	}
	return false
}

// DiffClass documents one kind of change.
type DiffClass struct {
	Code      string
	Direction Direction
	Doc       string
}

// DiffClasses lists every kind of change Diff reports, for the docs.
func DiffClasses() []DiffClass {
	return []DiffClass{
		{"client-added", Up, "a new client"}, {"client-removed", Down, "a client is gone"},
		{"connection-changed", Up, "a client is served from another connection"},
		{"retention-longer", Up, "tokens live longer"}, {"retention-removed", Up, "retention no longer stated"},
		{"retention-shorter", Down, "tokens live shorter"}, {"retention-added", Down, "retention newly stated"},
		{"filter-regions-removed", Up, "the content filter stops detecting some national phone formats"},
		{"filter-regions-added", Down, "the content filter detects more national phone formats"},
		{"filter-allow-added", Up, "a new allow pattern lets matching text through unfiltered"},
		{"filter-allow-removed", Down, "an allow pattern is gone"},
		{"inquiry-added", Up, "a new inquiry"}, {"inquiry-removed", Down, "an inquiry is gone"},
		{"tier-lowered", Up, "min_tier lowered"}, {"tier-raised", Down, "min_tier raised"},
		{"mfa-dropped", Up, "mfa no longer required"}, {"mfa-added", Down, "mfa now required"},
		{"countries-removed", Up, "the countries restriction is gone"}, {"countries-widened", Up, "more countries allowed"},
		{"countries-added", Down, "a countries restriction is added"}, {"countries-narrowed", Down, "fewer countries allowed"},
		{"networks-removed", Up, "the networks restriction is gone"}, {"networks-widened", Up, "addresses outside the old networks allowed"},
		{"networks-added", Down, "a networks restriction is added"}, {"networks-narrowed", Down, "addresses inside the old networks no longer allowed"},
		{"operation-added", Up, "a new operation"}, {"operation-removed", Down, "an operation is gone"},
		{"action-changed", Up, "read < search < update; Down when the new action ranks lower"},
		{"resource-changed", Up, "an operation reads another resource"},
		{"limit-raised", Up, "a search returns more records (or its limit is removed)"},
		{"limit-lowered", Down, "a search returns fewer records"},
		{"field-added", Up, "a new field"}, {"field-removed", Down, "a field is gone"},
		{"field-weakened", Up, "a more exposing rule (redact < hash < tokenize < mask = scrub < keep), a mask revealing more, or a lateral rule change"},
		{"field-strengthened", Down, "a less exposing rule"},
		{"input-added", Up, "a new write input"}, {"input-removed", Down, "a write input is gone"},
		{"input-widened", Up, "an input accepts more (enum < token < text, new enum values, another token type)"},
		{"input-narrowed", Down, "an input accepts less"},
		{"param-added", Up, "a new lookup param"}, {"param-removed", Down, "a lookup param is gone"},
		{"param-loosened", Up, "a param is no longer required, takes clear text instead of a token, or lost or changed its pattern or enum"},
		{"param-tightened", Down, "a param is now required, or gained a pattern or enum"},
	}
}

type differ struct {
	out []Change
}

func posPtr(p Pos) *Pos {
	if p.IsZero() {
		return nil
	}
	return &p
}

func (d *differ) add(dir Direction, code string, where [3]string, oldPos, newPos Pos, format string, args ...any) {
	d.out = append(d.out, Change{Direction: dir, Code: code, Client: where[0], Inquiry: where[1], Operation: where[2],
		Message: fmt.Sprintf(format, args...), Old: posPtr(oldPos), New: posPtr(newPos)})
}

// Diff compares two sets and returns every change that matters for
// exposure, ordered by client, inquiry and operation.
func Diff(old, new *Set) []Change {
	d := &differ{}
	ids := map[string]bool{}
	for _, c := range old.Clients() {
		ids[c.ID] = true
	}
	for _, c := range new.Clients() {
		ids[c.ID] = true
	}
	for _, id := range sortedKeys(ids) {
		oc, inOld := old.Client(id)
		nc, inNew := new.Client(id)
		w := [3]string{id}
		switch {
		case !inOld:
			d.add(Up, "client-added", w, Pos{}, nc.Pos, "new client %s with %d %s", id, len(nc.Inquiries), plural(len(nc.Inquiries), "inquiry", "inquiries"))
		case !inNew:
			d.add(Down, "client-removed", w, oc.Pos, Pos{}, "client %s removed", id)
		default:
			d.client(oc, nc)
		}
	}
	out := d.out
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Client != b.Client {
			return a.Client < b.Client
		}
		if a.Inquiry != b.Inquiry {
			return a.Inquiry < b.Inquiry
		}
		return a.Operation < b.Operation
	})
	if out == nil {
		out = []Change{}
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// defaultPhoneRegions mirrors the content filter's default regions, so a
// filter section that is added or removed compares like for like.
func defaultPhoneRegions() []string { return []string{"US", "GB", "DE", "FR", "IN", "BR"} }

func (d *differ) client(o, n *Client) {
	w := [3]string{o.ID}
	if o.Connection != n.Connection {
		d.add(Up, "connection-changed", w, o.ConnectionPos, n.ConnectionPos, "connection %s -> %s", o.Connection, n.Connection)
	}
	oStated, nStated := !o.RetentionPos.IsZero(), !n.RetentionPos.IsZero()
	switch {
	case oStated && !nStated:
		d.add(Up, "retention-removed", w, o.RetentionPos, n.Pos, "retention %s no longer stated", yamlx.FormatDuration(o.Retention))
	case !oStated && nStated:
		d.add(Down, "retention-added", w, o.Pos, n.RetentionPos, "retention %s now stated", yamlx.FormatDuration(n.Retention))
	case oStated && n.Retention > o.Retention:
		d.add(Up, "retention-longer", w, o.RetentionPos, n.RetentionPos, "retention %s -> %s", yamlx.FormatDuration(o.Retention), yamlx.FormatDuration(n.Retention))
	case oStated && n.Retention < o.Retention:
		d.add(Down, "retention-shorter", w, o.RetentionPos, n.RetentionPos, "retention %s -> %s", yamlx.FormatDuration(o.Retention), yamlx.FormatDuration(n.Retention))
	}
	d.filter(w, o, n)
	ids := map[string]bool{}
	for _, q := range o.Inquiries {
		ids[q.ID] = true
	}
	for _, q := range n.Inquiries {
		ids[q.ID] = true
	}
	for _, id := range sortedKeys(ids) {
		oq, inOld := o.Inquiry(id)
		nq, inNew := n.Inquiry(id)
		wq := [3]string{o.ID, id}
		switch {
		case !inOld:
			d.add(Up, "inquiry-added", wq, Pos{}, nq.Pos, "new inquiry %s (%s) with %d %s", id, accessSummary(nq.Access), len(nq.Operations), plural(len(nq.Operations), "operation", "operations"))
		case !inNew:
			d.add(Down, "inquiry-removed", wq, oq.Pos, Pos{}, "inquiry %s removed", id)
		default:
			d.inquiry(wq, oq, nq)
		}
	}
}

func (d *differ) filter(w [3]string, o, n *Client) {
	var oRegions, nRegions, oAllow, nAllow []string
	oPos, nPos := o.Pos, n.Pos
	oRegions, nRegions = defaultPhoneRegions(), defaultPhoneRegions()
	if f := o.Filter; f != nil {
		oPos = f.Pos
		if f.PhoneRegions != nil {
			oRegions = f.PhoneRegions
		}
		for _, re := range f.AllowPatterns {
			oAllow = append(oAllow, re.String())
		}
	}
	if f := n.Filter; f != nil {
		nPos = f.Pos
		if f.PhoneRegions != nil {
			nRegions = f.PhoneRegions
		}
		for _, re := range f.AllowPatterns {
			nAllow = append(nAllow, re.String())
		}
	}
	if gone := minus(oRegions, nRegions); len(gone) > 0 {
		d.add(Up, "filter-regions-removed", w, oPos, nPos, "content filter no longer detects national phone numbers of %s", strings.Join(gone, ", "))
	}
	if added := minus(nRegions, oRegions); len(added) > 0 {
		d.add(Down, "filter-regions-added", w, oPos, nPos, "content filter now detects national phone numbers of %s", strings.Join(added, ", "))
	}
	for _, p := range minus(nAllow, oAllow) {
		d.add(Up, "filter-allow-added", w, oPos, nPos, "new allow pattern %s: matching text passes the content filter", p)
	}
	for _, p := range minus(oAllow, nAllow) {
		d.add(Down, "filter-allow-removed", w, oPos, nPos, "allow pattern %s removed", p)
	}
}

// minus returns the elements of a not in b, in a's order.
func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func (d *differ) inquiry(w [3]string, o, n *Inquiry) {
	oa, na := o.Access, n.Access
	at := func(p, fallback Pos) Pos {
		if p.IsZero() {
			return fallback
		}
		return p
	}
	if na.MinTier < oa.MinTier {
		d.add(Up, "tier-lowered", w, at(oa.MinTierPos, oa.Pos), at(na.MinTierPos, na.Pos), "min_tier %d -> %d", oa.MinTier, na.MinTier)
	} else if na.MinTier > oa.MinTier {
		d.add(Down, "tier-raised", w, at(oa.MinTierPos, oa.Pos), at(na.MinTierPos, na.Pos), "min_tier %d -> %d", oa.MinTier, na.MinTier)
	}
	if oa.MFA && !na.MFA {
		d.add(Up, "mfa-dropped", w, at(oa.MFAPos, oa.Pos), at(na.MFAPos, na.Pos), "mfa no longer required")
	} else if !oa.MFA && na.MFA {
		d.add(Down, "mfa-added", w, at(oa.MFAPos, oa.Pos), at(na.MFAPos, na.Pos), "mfa now required")
	}
	op, np := at(oa.CountriesPos, oa.Pos), at(na.CountriesPos, na.Pos)
	switch {
	case oa.Countries != nil && na.Countries == nil:
		d.add(Up, "countries-removed", w, op, np, "countries restriction removed (was %s): experts anywhere", strings.Join(oa.Countries, ", "))
	case oa.Countries == nil && na.Countries != nil:
		d.add(Down, "countries-added", w, op, np, "now limited to countries %s", strings.Join(na.Countries, ", "))
	case oa.Countries != nil:
		if added := minus(na.Countries, oa.Countries); len(added) > 0 {
			d.add(Up, "countries-widened", w, op, np, "countries widened: +%s", strings.Join(added, ", +"))
		}
		if gone := minus(oa.Countries, na.Countries); len(gone) > 0 {
			d.add(Down, "countries-narrowed", w, op, np, "countries narrowed: -%s", strings.Join(gone, ", -"))
		}
	}
	op, np = at(oa.NetworksPos, oa.Pos), at(na.NetworksPos, na.Pos)
	switch {
	case oa.Networks != nil && na.Networks == nil:
		d.add(Up, "networks-removed", w, op, np, "networks restriction removed (was %s): any address", prefixes(oa.Networks))
	case oa.Networks == nil && na.Networks != nil:
		d.add(Down, "networks-added", w, op, np, "now limited to networks %s", prefixes(na.Networks))
	case oa.Networks != nil:
		if wider := uncovered(na.Networks, oa.Networks); len(wider) > 0 {
			d.add(Up, "networks-widened", w, op, np, "networks widened: %s not within the old networks", prefixes(wider))
		}
		if narrower := uncovered(oa.Networks, na.Networks); len(narrower) > 0 {
			d.add(Down, "networks-narrowed", w, op, np, "networks narrowed: %s no longer fully allowed", prefixes(narrower))
		}
	}
	ids := map[string]bool{}
	for _, x := range o.Operations {
		ids[x.ID] = true
	}
	for _, x := range n.Operations {
		ids[x.ID] = true
	}
	for _, id := range sortedKeys(ids) {
		oo, inOld := o.Operation(id)
		no, inNew := n.Operation(id)
		wo := [3]string{w[0], w[1], id}
		switch {
		case !inOld:
			d.add(Up, "operation-added", wo, Pos{}, no.Pos, "new operation %s: %s %s with %d %s and %d %s", id, no.Action, no.Resource,
				len(no.Fields), plural(len(no.Fields), "field", "fields"), len(no.Inputs), plural(len(no.Inputs), "input", "inputs"))
		case !inNew:
			d.add(Down, "operation-removed", wo, oo.Pos, Pos{}, "operation %s removed", id)
		default:
			d.operation(wo, oo, no)
		}
	}
}

func prefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}

// uncovered returns the prefixes of a not contained in any prefix of b.
func uncovered(a, b []netip.Prefix) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range a {
		covered := false
		for _, q := range b {
			if q.Bits() <= p.Bits() && q.Contains(p.Addr()) {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, p)
		}
	}
	return out
}

func actionRank(a Action) int {
	switch a {
	case Read:
		return 1
	case Search:
		return 2
	case Update:
		return 3
	}
	return 0
}

func maskRank(m MaskOption) int {
	switch m {
	case MaskFull:
		return 0
	case MaskLast2, MaskFirst1:
		return 1
	case MaskLast4, MaskEmail:
		return 2
	}
	return 3
}

func inputRank(k InputKind) int {
	switch k {
	case InputEnum:
		return 1
	case InputToken:
		return 2
	case InputText:
		return 3
	}
	return 4
}

func describeRule(f *Field) string {
	switch f.Rule {
	case Mask:
		return "mask " + string(f.Mask)
	case Tokenize, Hash:
		return string(f.Rule) + " " + string(f.PII)
	}
	return string(f.Rule)
}

func describeInput(in *Input) string {
	switch in.Kind {
	case InputToken:
		return "token " + string(in.PII)
	case InputEnum:
		vals := make([]string, len(in.Enum))
		for i, v := range in.Enum {
			vals[i] = fmt.Sprint(v)
		}
		return "enum [" + strings.Join(vals, ", ") + "]"
	}
	return string(in.Kind)
}

func (d *differ) operation(w [3]string, o, n *Operation) {
	if o.Action != n.Action {
		dir := Up
		if actionRank(n.Action) < actionRank(o.Action) {
			dir = Down
		}
		d.add(dir, "action-changed", w, o.ActionPos, n.ActionPos, "action %s -> %s", o.Action, n.Action)
	}
	if o.Resource != n.Resource {
		d.add(Up, "resource-changed", w, o.ResourcePos, n.ResourcePos, "resource %s -> %s", o.Resource, n.Resource)
	}
	if o.Action == Search && n.Action == Search && o.Limit != n.Limit {
		switch {
		case n.Limit == 0:
			d.add(Up, "limit-raised", w, o.Pos, n.Pos, "limit %d removed (the connector's bound applies)", o.Limit)
		case o.Limit == 0 || n.Limit < o.Limit:
			d.add(Down, "limit-lowered", w, o.Pos, n.Pos, "limit %s -> %d", limitText(o.Limit), n.Limit)
		default:
			d.add(Up, "limit-raised", w, o.Pos, n.Pos, "limit %d -> %d", o.Limit, n.Limit)
		}
	}
	d.params(w, o, n)
	d.fields(w, o, n)
	d.inputs(w, o, n)
}

func limitText(n int) string {
	if n == 0 {
		return "(connector's bound)"
	}
	return fmt.Sprint(n)
}

func (d *differ) fields(w [3]string, o, n *Operation) {
	oldF, newF := map[string]*Field{}, map[string]*Field{}
	for _, f := range o.Fields {
		oldF[f.Path.String()] = f
	}
	for _, f := range n.Fields {
		newF[f.Path.String()] = f
	}
	for _, nf := range n.Fields {
		of, ok := oldF[nf.Path.String()]
		if !ok {
			d.add(Up, "field-added", w, Pos{}, nf.Pos, "new field %s: %s", nf.Path, describeRule(nf))
			continue
		}
		or, nr := describeRule(of), describeRule(nf)
		if or == nr {
			continue
		}
		oe, ne := of.Rule.Exposure(), nf.Rule.Exposure()
		switch {
		case ne > oe:
			d.add(Up, "field-weakened", w, of.RulePos, nf.RulePos, "field %s: %s -> %s", nf.Path, or, nr)
		case ne < oe:
			d.add(Down, "field-strengthened", w, of.RulePos, nf.RulePos, "field %s: %s -> %s", nf.Path, or, nr)
		case of.Rule == Mask && nf.Rule == Mask && maskRank(nf.Mask) < maskRank(of.Mask):
			d.add(Down, "field-strengthened", w, of.RulePos, nf.RulePos, "field %s: %s -> %s (reveals less)", nf.Path, or, nr)
		case of.Rule == Mask && nf.Rule == Mask && maskRank(nf.Mask) > maskRank(of.Mask):
			d.add(Up, "field-weakened", w, of.RulePos, nf.RulePos, "field %s: %s -> %s (reveals more)", nf.Path, or, nr)
		default:
			d.add(Up, "field-weakened", w, of.RulePos, nf.RulePos, "field %s: %s -> %s (a different rule of the same exposure: review it)", nf.Path, or, nr)
		}
	}
	for _, of := range o.Fields {
		if _, ok := newF[of.Path.String()]; !ok {
			d.add(Down, "field-removed", w, of.Pos, Pos{}, "field %s (%s) removed", of.Path, describeRule(of))
		}
	}
}

func (d *differ) inputs(w [3]string, o, n *Operation) {
	oldI, newI := map[string]*Input{}, map[string]*Input{}
	for _, in := range o.Inputs {
		oldI[in.Path.String()] = in
	}
	for _, in := range n.Inputs {
		newI[in.Path.String()] = in
	}
	for _, ni := range n.Inputs {
		oi, ok := oldI[ni.Path.String()]
		if !ok {
			d.add(Up, "input-added", w, Pos{}, ni.Pos, "new write input %s: %s", ni.Path, describeInput(ni))
			continue
		}
		od, nd := describeInput(oi), describeInput(ni)
		if od == nd {
			continue
		}
		or, nr := inputRank(oi.Kind), inputRank(ni.Kind)
		switch {
		case nr > or:
			d.add(Up, "input-widened", w, oi.RulePos, ni.RulePos, "input %s: %s -> %s", ni.Path, od, nd)
		case nr < or:
			d.add(Down, "input-narrowed", w, oi.RulePos, ni.RulePos, "input %s: %s -> %s", ni.Path, od, nd)
		case oi.Kind == InputEnum:
			ov, nv := enumTexts(oi.Enum), enumTexts(ni.Enum)
			if added := minus(nv, ov); len(added) > 0 {
				d.add(Up, "input-widened", w, oi.RulePos, ni.RulePos, "input %s accepts new values %s", ni.Path, strings.Join(added, ", "))
			}
			if gone := minus(ov, nv); len(gone) > 0 {
				d.add(Down, "input-narrowed", w, oi.RulePos, ni.RulePos, "input %s no longer accepts %s", ni.Path, strings.Join(gone, ", "))
			}
		default:
			d.add(Up, "input-widened", w, oi.RulePos, ni.RulePos, "input %s: %s -> %s", ni.Path, od, nd)
		}
	}
	for _, oi := range o.Inputs {
		if _, ok := newI[oi.Path.String()]; !ok {
			d.add(Down, "input-removed", w, oi.Pos, Pos{}, "write input %s (%s) removed", oi.Path, describeInput(oi))
		}
	}
}

func enumTexts(vals []any) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = fmt.Sprint(v)
	}
	return out
}

func (d *differ) params(w [3]string, o, n *Operation) {
	oldP, newP := map[string]*Param{}, map[string]*Param{}
	for _, p := range o.Params {
		oldP[p.Name] = p
	}
	for _, p := range n.Params {
		newP[p.Name] = p
	}
	for _, np := range n.Params {
		op, ok := oldP[np.Name]
		if !ok {
			d.add(Up, "param-added", w, Pos{}, np.Pos, "new param %s (%s)", np.Name, describeParam(np))
			continue
		}
		var up, down []string
		if op.Required && !np.Required {
			up = append(up, "no longer required")
		} else if !op.Required && np.Required {
			down = append(down, "now required")
		}
		if op.Type != np.Type || op.PII != np.PII {
			if op.Type == ParamToken || np.Type != ParamToken {
				up = append(up, fmt.Sprintf("type %s -> %s", describeParam(op), describeParam(np)))
			} else {
				down = append(down, fmt.Sprintf("type %s -> %s", describeParam(op), describeParam(np)))
			}
		}
		switch {
		case op.PatternText != "" && np.PatternText == "":
			up = append(up, "pattern removed")
		case op.PatternText == "" && np.PatternText != "":
			down = append(down, "pattern added")
		case op.PatternText != np.PatternText:
			up = append(up, fmt.Sprintf("pattern %s -> %s", op.PatternText, np.PatternText))
		}
		switch {
		case len(op.Enum) > 0 && len(np.Enum) == 0:
			up = append(up, "enum removed")
		case len(op.Enum) == 0 && len(np.Enum) > 0:
			down = append(down, "enum added")
		default:
			if added := minus(np.Enum, op.Enum); len(added) > 0 {
				up = append(up, "enum values added: "+strings.Join(added, ", "))
			}
			if gone := minus(op.Enum, np.Enum); len(gone) > 0 {
				down = append(down, "enum values removed: "+strings.Join(gone, ", "))
			}
		}
		if len(up) > 0 {
			d.add(Up, "param-loosened", w, op.Pos, np.Pos, "param %s: %s", np.Name, strings.Join(up, "; "))
		}
		if len(down) > 0 {
			d.add(Down, "param-tightened", w, op.Pos, np.Pos, "param %s: %s", np.Name, strings.Join(down, "; "))
		}
	}
	for _, op := range o.Params {
		if _, ok := newP[op.Name]; !ok {
			d.add(Down, "param-removed", w, op.Pos, Pos{}, "param %s removed", op.Name)
		}
	}
}

func describeParam(p *Param) string {
	s := string(p.Type)
	if p.PII != "" {
		s += " " + string(p.PII)
	}
	if p.Required {
		s += ", required"
	}
	return s
}

// WriteDiff renders changes in a format.
func WriteDiff(w io.Writer, changes []Change, format string) error {
	switch format {
	case FormatTable, "":
		return diffTable(w, changes)
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		up, down := countDirections(changes)
		return enc.Encode(struct {
			Grows   bool     `json:"exposure_grows"`
			Up      int      `json:"up"`
			Down    int      `json:"down"`
			Changes []Change `json:"changes"`
		}{up > 0, up, down, changes})
	case FormatMarkdown:
		return diffMarkdown(w, changes)
	case FormatHTML:
		return diffHTML(w, changes)
	}
	return fmt.Errorf("unknown format %q (want %s)", format, strings.Join(Formats(), ", "))
}

func countDirections(changes []Change) (up, down int) {
	for _, c := range changes {
		if c.Direction == Up {
			up++
		} else {
			down++
		}
	}
	return up, down
}

func posText(p *Pos) string {
	if p == nil {
		return "-"
	}
	return p.String()
}

func diffSummary(changes []Change) string {
	up, down := countDirections(changes)
	if len(changes) == 0 {
		return "no exposure changes"
	}
	s := fmt.Sprintf("%d %s: %d exposure up, %d down", len(changes), plural(len(changes), "change", "changes"), up, down)
	if up > 0 {
		s += "; exposure grows: security review required"
	}
	return s
}

func diffTable(w io.Writer, changes []Change) error {
	ew := &errWriter{w: w}
	if len(changes) > 0 {
		tw := tabwriter.NewWriter(ew, 2, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "EXPOSURE\tCHANGE\tWHERE\tDETAIL\tOLD\tNEW\n")
		for _, c := range changes {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.Direction, c.Code, c.Where(), c.Message, posText(c.Old), posText(c.New))
		}
		if err := tw.Flush(); err != nil && ew.err == nil {
			ew.err = err
		}
	}
	ew.printf("%s\n", diffSummary(changes))
	return ew.err
}

func diffMarkdown(w io.Writer, changes []Change) error {
	ew := &errWriter{w: w}
	ew.printf("# Scope exposure diff\n\n%s.\n", diffSummary(changes))
	if len(changes) > 0 {
		ew.printf("\n| exposure | change | where | detail | old | new |\n|---|---|---|---|---|---|\n")
		for _, c := range changes {
			dir := "down"
			if c.Direction == Up {
				dir = "**up**"
			}
			ew.printf("| %s | %s | %s | %s | %s | %s |\n", dir, mdCode(c.Code), mdCode(c.Where()), mdEscape(c.Message), mdCode(posText(c.Old)), mdCode(posText(c.New)))
		}
	}
	return ew.err
}

const diffPage = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>cxgate scopes: exposure diff</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:80rem;padding:0 1rem;color:#1b1f24}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #d0d7de;padding:.3rem .55rem;text-align:left;vertical-align:top;font-size:.92rem}
th{background:#f6f8fa}code,.at{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85rem}.at{color:#57606a;white-space:nowrap}
.up{background:#ffd7d5;color:#82071e;font-weight:600}.down{background:#dafbe1;color:#116329}
</style>
</head>
<body>
<h1>Scope exposure diff</h1>
<p>{{.Summary}}.</p>
{{if .Changes}}<table><tr><th>exposure</th><th>change</th><th>where</th><th>detail</th><th>old</th><th>new</th></tr>
{{range .Changes}}<tr><td class="{{.Direction}}">{{.Direction}}</td><td><code>{{.Code}}</code></td><td><code>{{.Where}}</code></td><td>{{.Message}}</td><td class="at">{{pos .Old}}</td><td class="at">{{pos .New}}</td></tr>
{{end}}</table>{{end}}
</body>
</html>
`

func diffHTML(w io.Writer, changes []Change) error {
	t, err := template.New("diff").Funcs(template.FuncMap{"pos": posText}).Parse(diffPage)
	if err != nil {
		return err
	}
	return t.Execute(w, struct {
		Summary string
		Changes []Change
	}{diffSummary(changes), changes})
}
