package scopes

import (
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/internal/diag"
	"github.com/cxgate/cxgate/internal/yamlx"
	"github.com/cxgate/cxgate/pii"
	"github.com/cxgate/cxgate/scopes/fieldpath"
)

// Options tune Load.
type Options struct {
	// Catalogs, when set, checks connection names against the gateway
	// config and resources, params, fields and inputs against the
	// connector catalogs. Nil checks only what the files themselves say.
	Catalogs Catalogs
}

// LoadPaths reads the files under paths (see ReadPaths) and loads them. An
// I/O problem is returned as err (the path is named); problems in the files
// are diagnostics. The set is nil whenever the diagnostics hold an error.
func LoadPaths(paths []string, opts Options) (*Set, diag.List, error) {
	files, err := ReadPaths(paths)
	if err != nil {
		return nil, nil, err
	}
	set, d := Load(files, opts)
	return set, d, nil
}

// Load compiles scope files into a Set. It reports every problem it finds,
// sorted, and keeps checking the parts of a file that are sound after one
// part is not. Loading is all or nothing: when any diagnostic is an error
// the set is nil. Load never panics.
func Load(files []File, opts Options) (*Set, diag.List) {
	l := newLoader(opts)
	for _, f := range files {
		l.loadFile(f)
	}
	l.crossFile()
	d := l.diags
	d.Sort()
	if d.HasErrors() {
		return nil, d
	}
	return l.build(files), d
}

type loader struct {
	opts  Options
	spec  *yamlx.Spec
	diags diag.List
	files []*parsedFile

	clientID, connID, inquiryID, opID, resourceID, paramID *yamlx.Format
}

func newLoader(opts Options) *loader {
	return &loader{
		opts:       opts,
		spec:       fileSpec(),
		clientID:   yamlx.ID("client id", '-'),
		connID:     yamlx.ID("connection name", '-'),
		inquiryID:  yamlx.ID("inquiry id", '_'),
		opID:       yamlx.ID("operation id", '_'),
		resourceID: yamlx.ID("resource name", '_'),
		paramID:    yamlx.ID("param name", '_'),
	}
}

// parsedFile is what one file contributes, with positions.
type parsedFile struct {
	name                      string
	client                    string
	clientPos                 Pos
	connection                string
	connectionPos             Pos
	retention                 time.Duration
	retentionSet              bool
	retentionPos              Pos
	filter                    *Filter
	inquiries                 []*Inquiry
	catalog                   *connectors.Catalog
	clientValid, connectionOK bool
}

func (l *loader) pos(file string, n *yaml.Node) Pos { return yamlx.Pos(file, n) }

func (l *loader) errorf(p Pos, code, format string, args ...any) {
	l.diags.Errorf(p, code, format, args...)
}

func (l *loader) related(p, other Pos, code, format string, args ...any) {
	l.diags.Add(diag.Diagnostic{Position: p, Severity: diag.Error, Code: code, Message: fmt.Sprintf(format, args...), Related: []Pos{other}})
}

// okText reports whether n is a non-empty string that passes f.
func okText(n *yaml.Node, f *yamlx.Format) bool {
	if !yamlx.IsString(n) || strings.TrimSpace(n.Value) == "" {
		return false
	}
	return f == nil || f.Check == nil || f.Check(n.Value) == nil
}

func okEnum(n *yaml.Node, names []string) bool {
	if !yamlx.IsString(n) {
		return false
	}
	for _, s := range names {
		if s == n.Value {
			return true
		}
	}
	return false
}

func okPII(n *yaml.Node) (pii.Type, bool) {
	if !yamlx.IsString(n) {
		return "", false
	}
	t := pii.Type(n.Value)
	return t, t.Valid()
}

func (l *loader) loadFile(f File) {
	defer func() {
		if r := recover(); r != nil {
			l.errorf(Pos{File: f.Name, Line: 1, Col: 1}, "internal", "internal error while checking this file; please report it")
		}
	}()
	root := yamlx.Parse(f.Name, f.Data, &l.diags)
	if root == nil {
		return
	}
	ch := yamlx.Checker{File: f.Name, Diags: &l.diags}
	ch.Check(root, l.spec, "the scope file", nil)
	if root.Kind != yaml.MappingNode {
		return
	}
	pf := &parsedFile{name: f.Name}
	l.files = append(l.files, pf)

	if _, v := yamlx.Get(root, "client"); okText(v, l.clientID) {
		pf.client, pf.clientPos, pf.clientValid = v.Value, l.pos(f.Name, v), true
	}
	if _, v := yamlx.Get(root, "connection"); okText(v, l.connID) {
		pf.connection, pf.connectionPos, pf.connectionOK = v.Value, l.pos(f.Name, v), true
		if cats := l.opts.Catalogs; cats != nil {
			known := cats.Connections()
			found := false
			for _, c := range known {
				if c == v.Value {
					found = true
					break
				}
			}
			if !found {
				l.errorf(pf.connectionPos, CodeUnknownConnection, "unknown connection %q: the gateway config defines %s%s",
					v.Value, listOrNone(known), yamlx.DidYouMean(v.Value, known))
			} else if cat, ok := cats.Catalog(v.Value); ok {
				pf.catalog = cat
			}
		}
	}
	if _, v := yamlx.Get(root, "retention"); okText(v, yamlx.Duration) {
		d, _ := yamlx.ParseDuration(v.Value)
		pf.retentionPos = l.pos(f.Name, v)
		if d <= 0 {
			l.errorf(pf.retentionPos, CodeBadRetention, "retention must be longer than zero")
		} else {
			pf.retention, pf.retentionSet = d, true
		}
	}
	if k, v := yamlx.Get(root, "filter"); v != nil && v.Kind == yaml.MappingNode {
		pf.filter = l.filter(f.Name, k, v)
	}
	if _, v := yamlx.Get(root, "inquiries"); v != nil && v.Kind == yaml.MappingNode {
		for _, p := range yamlx.Pairs(v) {
			if !okText(p.Key, l.inquiryID) || p.Value.Kind != yaml.MappingNode {
				continue
			}
			pf.inquiries = append(pf.inquiries, l.inquiry(pf, p.Key, p.Value))
		}
	}
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "no connections"
	}
	return strings.Join(names, ", ")
}

func (l *loader) filter(file string, k, v *yaml.Node) *Filter {
	f := &Filter{Pos: l.pos(file, k)}
	if kk, list := yamlx.Get(v, "phone_regions"); list != nil && list.Kind == yaml.SequenceNode {
		f.PhoneRegionsPos = l.pos(file, kk)
		seen := map[string]bool{}
		for _, e := range list.Content {
			if okText(e, yamlx.Country) && !seen[e.Value] {
				seen[e.Value] = true
				f.PhoneRegions = append(f.PhoneRegions, e.Value)
			}
		}
	}
	if kk, list := yamlx.Get(v, "allow_patterns"); list != nil && list.Kind == yaml.SequenceNode {
		f.AllowPatternsPos = l.pos(file, kk)
		for _, e := range list.Content {
			if okText(e, yamlx.Regexp) {
				if re, err := regexp.Compile(e.Value); err == nil {
					f.AllowPatterns = append(f.AllowPatterns, re)
				}
			}
		}
	}
	return f
}

func (l *loader) inquiry(pf *parsedFile, k, v *yaml.Node) *Inquiry {
	file := pf.name
	q := &Inquiry{Client: pf.client, ID: k.Value, File: file, Pos: l.pos(file, k)}
	if _, d := yamlx.Get(v, "description"); yamlx.IsString(d) {
		q.Description = d.Value
	}
	q.Access.Pos = q.Pos
	if ak, a := yamlx.Get(v, "access"); a != nil && a.Kind == yaml.MappingNode {
		q.Access.Pos = l.pos(file, ak)
		if tk, t := yamlx.Get(a, "min_tier"); t != nil {
			if n, ok := yamlx.Int(t); ok && n >= 0 && n <= 1000 {
				q.Access.MinTier, q.Access.MinTierPos = int(n), l.pos(file, tk)
			}
		}
		if mk, m := yamlx.Get(a, "mfa"); m != nil {
			if b, ok := yamlx.Bool(m); ok {
				q.Access.MFA, q.Access.MFAPos = b, l.pos(file, mk)
			}
		}
		if ck, c := yamlx.Get(a, "countries"); c != nil && c.Kind == yaml.SequenceNode {
			q.Access.CountriesPos = l.pos(file, ck)
			seen := map[string]bool{}
			for _, e := range c.Content {
				if okText(e, yamlx.Country) && !seen[e.Value] {
					seen[e.Value] = true
					q.Access.Countries = append(q.Access.Countries, e.Value)
				}
			}
			if len(q.Access.Countries) == 0 {
				// Every entry was wrong (reported); deny everyone rather
				// than drop the restriction. The set is not built anyway.
				q.Access.Countries = []string{}
			}
		}
		if nk, nn := yamlx.Get(a, "networks"); nn != nil && nn.Kind == yaml.SequenceNode {
			q.Access.NetworksPos = l.pos(file, nk)
			for _, e := range nn.Content {
				if okText(e, yamlx.CIDR) {
					if p, err := netip.ParsePrefix(e.Value); err == nil {
						q.Access.Networks = append(q.Access.Networks, p)
					}
				}
			}
			if q.Access.Networks == nil {
				q.Access.Networks = []netip.Prefix{}
			}
		}
	}
	if _, ops := yamlx.Get(v, "operations"); ops != nil && ops.Kind == yaml.MappingNode {
		for _, p := range yamlx.Pairs(ops) {
			if !okText(p.Key, l.opID) || p.Value.Kind != yaml.MappingNode {
				continue
			}
			q.Operations = append(q.Operations, l.operation(pf, q, p.Key, p.Value))
		}
	}
	sort.Slice(q.Operations, func(i, j int) bool { return q.Operations[i].ID < q.Operations[j].ID })
	return q
}

func (l *loader) operation(pf *parsedFile, q *Inquiry, k, v *yaml.Node) *Operation {
	file := pf.name
	o := &Operation{Client: pf.client, Inquiry: q.ID, ID: k.Value, Pos: l.pos(file, k)}
	if _, d := yamlx.Get(v, "description"); yamlx.IsString(d) {
		o.Description = d.Value
	}
	actionOK := false
	if ak, a := yamlx.Get(v, "action"); okEnum(a, actionNames) {
		o.Action, o.ActionPos, actionOK = Action(a.Value), l.pos(file, a), true
		_ = ak
	}
	var res *connectors.Resource
	if _, r := yamlx.Get(v, "resource"); okText(r, l.resourceID) {
		o.Resource, o.ResourcePos = r.Value, l.pos(file, r)
		if pf.catalog != nil {
			if rr, ok := pf.catalog.Resource(r.Value); ok {
				res = rr
			} else {
				names := make([]string, len(pf.catalog.Resources))
				for i, x := range pf.catalog.Resources {
					names[i] = x.Name
				}
				l.errorf(o.ResourcePos, CodeUnknownResource, "unknown resource %q for connection %s (type %s offers %s)%s",
					r.Value, pf.connection, pf.catalog.Type, strings.Join(names, ", "), yamlx.DidYouMean(r.Value, names))
			}
		}
	}
	if res != nil && actionOK && !res.Supports(string(o.Action)) {
		l.errorf(o.ActionPos, CodeUnsupportedAction, "resource %s of %s does not support %s (it supports %s)",
			res.Name, pf.catalog.Type, o.Action, strings.Join(res.Actions, ", "))
	}
	if lk, lv := yamlx.Get(v, "limit"); lv != nil {
		if n, ok := yamlx.Int(lv); ok && n >= 1 && n <= 1000 {
			o.Limit = int(n)
		}
		if actionOK && o.Action != Search {
			l.errorf(l.pos(file, lk), "misplaced-key", "limit applies only to search operations, and this one is %s %s", article(string(o.Action)), o.Action)
		}
	}

	paramsSound := true
	if _, ps := yamlx.Get(v, "params"); ps != nil {
		paramsSound = ps.Kind == yaml.MappingNode && len(yamlx.Pairs(ps))*2 == len(ps.Content)
		for _, p := range yamlx.Pairs(ps) {
			if !okText(p.Key, l.paramID) || p.Value.Kind != yaml.MappingNode {
				paramsSound = false
				continue
			}
			if prm := l.param(pf, o, res, p.Key, p.Value); prm != nil {
				o.Params = append(o.Params, prm)
			} else {
				paramsSound = false
			}
		}
	}
	fk, fs := yamlx.Get(v, "fields")
	if fs != nil && fs.Kind == yaml.MappingNode {
		for _, p := range yamlx.Pairs(fs) {
			if f := l.field(pf, res, p.Key, p.Value); f != nil {
				o.Fields = append(o.Fields, f)
			}
		}
	}
	ik, ins := yamlx.Get(v, "input")
	if ins != nil && ins.Kind == yaml.MappingNode {
		for _, p := range yamlx.Pairs(ins) {
			if in := l.input(pf, res, p.Key, p.Value); in != nil {
				o.Inputs = append(o.Inputs, in)
			}
		}
	}

	if actionOK {
		switch o.Action {
		case Read, Search:
			if fk == nil {
				l.errorf(o.Pos, yamlx.CodeMissingKey, "operation %q is missing required key \"fields\" (what a %s returns to the expert)", o.ID, o.Action)
			}
			if ik != nil {
				l.errorf(l.pos(file, ik), "misplaced-key", "input applies only to update operations, and this one is %s %s", article(string(o.Action)), o.Action)
			}
		case Update:
			if ik == nil {
				l.errorf(o.Pos, yamlx.CodeMissingKey, "operation %q is missing required key \"input\" (the fields an update may write)", o.ID)
			}
		}
		if (o.Action == Read || o.Action == Update) && paramsSound {
			// With a broken param already reported, "no required key" may
			// be that param's fault: say nothing rather than mislead.
			l.checkIdentifies(pf, o, res)
		}
	}
	l.overlaps(file, "field", each(o.Fields, func(f *Field) fieldpath.Path { return f.Path }), each(o.Fields, func(f *Field) Pos { return f.Pos }))
	l.overlaps(file, "input", each(o.Inputs, func(in *Input) fieldpath.Path { return in.Path }), each(o.Inputs, func(in *Input) Pos { return in.Pos }))
	l.overlapsDone(o)
	return o
}

// overlapsDone builds the operation's trees. The overlap checks above
// catch every clash NewTree refuses; should one slip through, it is still
// an error here, so a Set never holds an operation without its tree.
func (l *loader) overlapsDone(o *Operation) {
	t, err := fieldpath.NewTree(o.Paths())
	if err != nil {
		if !l.diags.HasErrors() {
			l.errorf(o.Pos, CodeConflictingRules, "the field paths of operation %s conflict", o.ID)
		}
	} else {
		o.tree = t
	}
	ip := make([]fieldpath.Path, len(o.Inputs))
	for i, in := range o.Inputs {
		ip[i] = in.Path
	}
	it, err := fieldpath.NewTree(ip)
	if err != nil {
		if !l.diags.HasErrors() {
			l.errorf(o.Pos, CodeConflictingRules, "the input paths of operation %s conflict", o.ID)
		}
	} else {
		o.inputTree = it
	}
}

// checkIdentifies makes sure a read or update names its one record.
func (l *loader) checkIdentifies(pf *parsedFile, o *Operation, res *connectors.Resource) {
	var required []*Param
	for _, p := range o.Params {
		if p.Required {
			required = append(required, p)
		}
	}
	if len(required) == 0 {
		l.errorf(o.Pos, CodeNeedsKey, "%s %s operation must identify one record: give it at least one required param named after a unique lookup key of %s", article(string(o.Action)), o.Action, o.Resource)
		return
	}
	if res == nil {
		return
	}
	var unique []string
	for _, k := range res.Keys {
		if k.Unique {
			unique = append(unique, k.Name)
		}
	}
	for _, p := range required {
		if k, ok := res.Key(p.Name); ok && k.Unique {
			return
		}
	}
	l.errorf(o.Pos, CodeNeedsKey, "%s %s operation must identify one record, but none of its required params is a unique key of %s (unique keys: %s)",
		article(string(o.Action)), o.Action, res.Name, listOrNone2(unique))
}

func listOrNone2(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func (l *loader) param(pf *parsedFile, o *Operation, res *connectors.Resource, k, v *yaml.Node) *Param {
	file := pf.name
	p := &Param{Name: k.Value, Pos: l.pos(file, k)}
	tk, t := yamlx.Get(v, "type")
	if !okEnum(t, paramTypeNames) {
		return nil
	}
	_ = tk
	p.Type = ParamType(t.Value)
	if _, r := yamlx.Get(v, "required"); r != nil {
		if b, ok := yamlx.Bool(r); ok {
			p.Required = b
		}
	}
	if pk, pv := yamlx.Get(v, "pii"); pv != nil {
		if typ, ok := okPII(pv); ok {
			p.PII = typ
		}
		_ = pk
	}
	if pk, pv := yamlx.Get(v, "pattern"); pv != nil {
		if p.Type != ParamString {
			l.errorf(l.pos(file, pk), CodeParamMismatch, "pattern applies only to string params, and %s is %s %s param", p.Name, article(string(p.Type)), p.Type)
		} else if okText(pv, yamlx.Regexp) {
			if re, err := regexp.Compile(`^(?:` + pv.Value + `)$`); err == nil {
				p.Pattern, p.PatternText = re, pv.Value
			}
		}
	}
	if ek, ev := yamlx.Get(v, "enum"); ev != nil && ev.Kind == yaml.SequenceNode {
		switch p.Type {
		case ParamString, ParamInteger:
			for _, e := range ev.Content {
				if e.Kind != yaml.ScalarNode {
					continue
				}
				if p.Type == ParamInteger {
					if _, ok := yamlx.Int(e); !ok {
						l.errorf(l.pos(file, e), CodeParamMismatch, "enum values of integer param %s must be whole numbers, found %s", p.Name, yamlx.Describe(e))
						continue
					}
				} else if !yamlx.IsString(e) {
					l.errorf(l.pos(file, e), CodeParamMismatch, "enum values of string param %s must be strings, found %s; put it in quotes", p.Name, yamlx.Describe(e))
					continue
				}
				p.Enum = append(p.Enum, e.Value)
			}
		default:
			l.errorf(l.pos(file, ek), CodeParamMismatch, "enum applies only to string and integer params, and %s is %s %s param", p.Name, article(string(p.Type)), p.Type)
		}
	}
	if p.Type == ParamToken && p.PII == "" {
		if _, pv := yamlx.Get(v, "pii"); pv == nil {
			guess := guessPII(p.Name)
			example := "{type: token, pii: EMAIL}"
			if guess != "" {
				example = fmt.Sprintf("{type: token, pii: %s}", guess)
			}
			l.errorf(p.Pos, CodeNeedsPIIType, "token param %s needs pii: the PII type of the tokens it accepts, for example %s", p.Name, example)
		}
	}
	if res != nil {
		key, ok := res.Key(p.Name)
		if !ok {
			names := make([]string, len(res.Keys))
			for i, kk := range res.Keys {
				names[i] = kk.Name
			}
			l.errorf(p.Pos, CodeUnknownParam, "param %s is not a lookup key of %s (its keys are %s)%s",
				p.Name, res.Name, listOrNone2(names), yamlx.DidYouMean(p.Name, names))
		} else if key.PII != "" && p.PII != "" && key.PII != p.PII {
			l.errorf(p.Pos, CodeParamMismatch, "param %s is declared as %s, but key %s of %s holds %s", p.Name, p.PII, key.Name, res.Name, key.PII)
		}
	}
	return p
}

// ruleOf reads a field rule node: a rule name, or a one-key option mapping.
func ruleOf(v *yaml.Node) (name string, opt *yaml.Node, ok bool) {
	switch {
	case v == nil:
		return "", nil, false
	case v.Kind == yaml.ScalarNode && yamlx.IsString(v):
		return v.Value, nil, true
	case v.Kind == yaml.MappingNode && len(v.Content) == 2 && v.Content[0].Kind == yaml.ScalarNode:
		return v.Content[0].Value, v.Content[1], true
	}
	return "", nil, false
}

func writtenOf(name string, opt *yaml.Node) string {
	if opt == nil {
		return name
	}
	if opt.Kind == yaml.SequenceNode {
		vals := make([]string, 0, len(opt.Content))
		for _, e := range opt.Content {
			vals = append(vals, e.Value)
		}
		return fmt.Sprintf("{%s: [%s]}", name, strings.Join(vals, ", "))
	}
	return fmt.Sprintf("{%s: %s}", name, opt.Value)
}

func (l *loader) field(pf *parsedFile, res *connectors.Resource, k, v *yaml.Node) *Field {
	file := pf.name
	path, err := fieldpath.Parse(k.Value)
	if err != nil || k.Kind != yaml.ScalarNode {
		return nil
	}
	name, opt, ok := ruleOf(v)
	if !ok {
		return nil
	}
	f := &Field{Path: path, Pos: l.pos(file, k), RulePos: l.pos(file, v), Written: writtenOf(name, opt)}
	var hint pii.Type
	catalogKnows := false
	if res != nil {
		if cf, found := res.Field(path.String()); found {
			hint, catalogKnows = cf.PII, true
			f.Cataloged, f.FreeText, f.CatalogPII = true, cf.FreeText, cf.PII
		} else {
			l.unknownField(file, k, res, path, "field")
		}
	}
	switch Rule(name) {
	case Keep, Redact, Scrub:
		if opt != nil {
			return nil
		}
		f.Rule, f.PII = Rule(name), hint
	case Mask:
		f.Rule, f.PII = Mask, hint
		if opt != nil {
			if !okEnum(opt, maskNames) {
				return nil
			}
			f.Mask = MaskOption(opt.Value)
		} else {
			f.Mask = DefaultMask(hint)
		}
	case Tokenize, Hash:
		f.Rule = Rule(name)
		if opt != nil {
			t, ok := okPII(opt)
			if !ok {
				return nil
			}
			f.PII = t
		} else if hint != "" {
			f.PII = hint
		} else {
			l.needsType(f.RulePos, name, path, res, catalogKnows)
		}
	default:
		return nil
	}
	return f
}

func (l *loader) needsType(p Pos, rule string, path fieldpath.Path, res *connectors.Resource, catalogKnows bool) {
	example := "TYPE"
	if g := guessPII(path.Last()); g != "" {
		example = string(g)
	}
	why := "without a connector catalog (validate with --config) the field's PII type is unknown"
	if res != nil && catalogKnows {
		why = fmt.Sprintf("the catalog gives field %s of %s no PII type", path, res.Name)
	} else if res != nil {
		why = "the catalog does not know the field"
	}
	l.errorf(p, CodeNeedsPIIType, "%s needs a PII type (the Vault derivation context) and %s: write {%s: %s}%s",
		rule, why, rule, example, typeList(example))
}

func typeList(example string) string {
	if example != "TYPE" {
		return ""
	}
	return " with one of " + pii.Names()
}

func (l *loader) unknownField(file string, k *yaml.Node, res *connectors.Resource, path fieldpath.Path, what string) {
	text := path.String()
	var paths, under []string
	for _, f := range res.Fields {
		paths = append(paths, f.Path)
		if strings.HasPrefix(f.Path, text+".") || strings.HasPrefix(f.Path, text+"[].") {
			under = append(under, f.Path)
		}
		if fp, err := fieldpath.Parse(f.Path); err == nil && fp.Names() == path.Names() {
			l.errorf(l.pos(file, k), CodeUnknownField, "unknown %s %q of %s; did you mean %q?", what, text, res.Name, f.Path)
			return
		}
	}
	if len(under) > 0 {
		if len(under) > 4 {
			under = append(under[:4], "...")
		}
		l.errorf(l.pos(file, k), CodeUnknownField, "%s %q of %s is an object: list the fields you need, such as %s", what, text, res.Name, strings.Join(under, ", "))
		return
	}
	l.errorf(l.pos(file, k), CodeUnknownField, "unknown %s %q of %s%s", what, text, res.Name, yamlx.DidYouMean(text, paths))
}

func (l *loader) input(pf *parsedFile, res *connectors.Resource, k, v *yaml.Node) *Input {
	file := pf.name
	path, err := fieldpath.Parse(k.Value)
	if err != nil || k.Kind != yaml.ScalarNode {
		return nil
	}
	name, opt, ok := ruleOf(v)
	if !ok {
		return nil
	}
	in := &Input{Path: path, Pos: l.pos(file, k), RulePos: l.pos(file, v), Written: writtenOf(name, opt)}
	var hint pii.Type
	catalogKnows := false
	if res != nil {
		if cf, found := res.Field(path.String()); !found {
			l.unknownField(file, k, res, path, "input field")
		} else {
			hint, catalogKnows = cf.PII, true
			in.Cataloged, in.FreeText = true, cf.FreeText
			if !cf.Writable {
				var writable []string
				for _, f := range res.Fields {
					if f.Writable {
						writable = append(writable, f.Path)
					}
				}
				l.errorf(in.Pos, CodeNotWritable, "field %s of %s cannot be written (writable: %s)", path, res.Name, listOrNone2(writable))
			}
		}
	}
	switch InputKind(name) {
	case InputText:
		if opt != nil {
			return nil
		}
		in.Kind, in.PII = InputText, hint
	case InputToken:
		in.Kind = InputToken
		if opt != nil {
			t, ok := okPII(opt)
			if !ok {
				return nil
			}
			in.PII = t
		} else if hint != "" {
			in.PII = hint
		} else {
			example := "TYPE"
			if g := guessPII(path.Last()); g != "" {
				example = string(g)
			}
			why := "without a connector catalog (validate with --config) the field's PII type is unknown"
			if catalogKnows {
				why = fmt.Sprintf("the catalog gives field %s of %s no PII type", path, res.Name)
			}
			l.errorf(in.RulePos, CodeNeedsPIIType, "a token input needs the PII type of the tokens it accepts and %s: write {token: %s}%s",
				why, example, typeList(example))
		}
	case InputEnum:
		if opt == nil || opt.Kind != yaml.SequenceNode {
			return nil
		}
		in.Kind = InputEnum
		for _, e := range opt.Content {
			if e.Kind != yaml.ScalarNode {
				return nil
			}
			if b, ok := yamlx.Bool(e); ok {
				in.Enum = append(in.Enum, b)
			} else if f, ok := yamlx.Float(e); ok {
				in.Enum = append(in.Enum, f)
			} else if yamlx.IsString(e) {
				in.Enum = append(in.Enum, e.Value)
			} else {
				return nil
			}
		}
	default:
		return nil
	}
	return in
}

// each maps xs through f (the paths or positions of fields and inputs).
func each[T, U any](xs []T, f func(T) U) []U {
	out := make([]U, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

// overlaps reports paths that are a prefix of one another (the outer rule
// would decide the inner one's values, so both cannot stand) and names
// used as a list in one path and as a single value in another. It is
// linear in the number of paths: files may be large, reviews are not.
func (l *loader) overlaps(file, what string, paths []fieldpath.Path, pos []Pos) {
	type seen struct {
		i    int  // the earlier path reaching this names-prefix
		each bool // whether that path stepped into it as a list
		leaf bool // whether that path ends here
	}
	prefixes := map[string]seen{}
	for i, p := range paths {
		segs := p.Segments()
		key := ""
		reported := false
		for k, sg := range segs {
			if k > 0 {
				key += "."
			}
			key += sg.Name
			last := k == len(segs)-1
			prev, ok := prefixes[key]
			switch {
			case !ok:
			case prev.leaf || last:
				l.related(pos[i], pos[prev.i], CodeConflictingRules, "conflicting %s rules: %q overlaps %q (at %s); give rules to leaf fields only, once each",
					what, p.String(), paths[prev.i].String(), pos[prev.i])
				reported = true
			case prev.each != sg.Each:
				l.related(pos[i], pos[prev.i], CodeConflictingRules, "conflicting %s rules: %q treats %s as %s, but %q (at %s) as %s",
					what, p.String(), sg.Name, listWord(p, sg.Name), paths[prev.i].String(), pos[prev.i], listWord(paths[prev.i], sg.Name))
				reported = true
			}
			if reported {
				break
			}
		}
		if reported {
			continue
		}
		key = ""
		for k, sg := range segs {
			if k > 0 {
				key += "."
			}
			key += sg.Name
			if _, ok := prefixes[key]; !ok {
				prefixes[key] = seen{i: i, each: sg.Each, leaf: k == len(segs)-1}
			}
		}
	}
}

// crossFile checks what several files of one client must agree on.
func (l *loader) crossFile() {
	type clientInfo struct {
		conn      *parsedFile
		retention *parsedFile
		filter    *parsedFile
		inquiries map[string]*Inquiry
	}
	clients := map[string]*clientInfo{}
	for _, pf := range l.files {
		if !pf.clientValid {
			continue
		}
		ci := clients[pf.client]
		if ci == nil {
			ci = &clientInfo{inquiries: map[string]*Inquiry{}}
			clients[pf.client] = ci
		}
		if pf.connectionOK {
			if ci.conn == nil {
				ci.conn = pf
			} else if ci.conn.connection != pf.connection {
				l.related(pf.connectionPos, ci.conn.connectionPos, CodeClientConflict,
					"client %s is served through connection %s at %s; every file of a client must name the same connection",
					pf.client, ci.conn.connection, ci.conn.connectionPos)
			}
		}
		if pf.retentionSet {
			if ci.retention == nil {
				ci.retention = pf
			} else if ci.retention.retention != pf.retention {
				l.related(pf.retentionPos, ci.retention.retentionPos, CodeClientConflict,
					"client %s has retention %s at %s; every file of a client that states retention must state the same",
					pf.client, yamlx.FormatDuration(ci.retention.retention), ci.retention.retentionPos)
			}
		}
		if pf.filter != nil {
			if ci.filter == nil {
				ci.filter = pf
			} else {
				l.related(pf.filter.Pos, ci.filter.filter.Pos, CodeDuplicateFilter,
					"client %s already has a filter section at %s; give it in one file only", pf.client, ci.filter.filter.Pos)
			}
		}
		for _, q := range pf.inquiries {
			if prev, dup := ci.inquiries[q.ID]; dup {
				l.related(q.Pos, prev.Pos, CodeDuplicateInquiry, "inquiry %s of client %s is already defined at %s", q.ID, pf.client, prev.Pos)
				continue
			}
			ci.inquiries[q.ID] = q
		}
	}
}

func (l *loader) build(files []File) *Set {
	byID := map[string]*Client{}
	for _, pf := range l.files {
		c := byID[pf.client]
		if c == nil {
			c = &Client{ID: pf.client, Connection: pf.connection, Pos: pf.clientPos, ConnectionPos: pf.connectionPos}
			byID[pf.client] = c
		}
		c.Files = append(c.Files, pf.name)
		if pf.retentionSet && c.Retention == 0 {
			c.Retention, c.RetentionPos = pf.retention, pf.retentionPos
		}
		if pf.filter != nil {
			c.Filter = pf.filter
		}
		c.Inquiries = append(c.Inquiries, pf.inquiries...)
	}
	s := &Set{}
	for _, f := range files {
		s.files = append(s.files, f.Name)
	}
	for _, c := range byID {
		sort.Slice(c.Inquiries, func(i, j int) bool { return c.Inquiries[i].ID < c.Inquiries[j].ID })
		s.clients = append(s.clients, c)
	}
	sort.Slice(s.clients, func(i, j int) bool { return s.clients[i].ID < s.clients[j].ID })
	return s
}

func article(word string) string {
	if word != "" && strings.ContainsRune("aeiouAEIOU", rune(word[0])) {
		return "an"
	}
	return "a"
}

func listWord(p fieldpath.Path, name string) string {
	for _, s := range p.Segments() {
		if s.Name == name {
			if s.Each {
				return "a list"
			}
			return "a single value"
		}
	}
	return "a value"
}
