package scopes

import (
	"net/netip"
	"regexp"
	"sort"
	"time"

	"github.com/cxgate/cxgate/internal/diag"
	"github.com/cxgate/cxgate/pii"
	"github.com/cxgate/cxgate/scopes/fieldpath"
)

// Pos is a position in a scope file (FILE:LINE:COL).
type Pos = diag.Position

// Rule is what an expert gets for a field.
type Rule string

// Exposure ranks a rule from least (1: redact) to most exposing (5: keep);
// mask and scrub share a rank. A field that is not listed ranks 0.
func (r Rule) Exposure() int {
	switch r {
	case Redact:
		return 1
	case Hash:
		return 2
	case Tokenize:
		return 3
	case Mask, Scrub:
		return 4
	case Keep:
		return 5
	}
	return 0
}

// MaskOption is how much a mask reveals.
type MaskOption string

// Action is what an operation does.
type Action string

// ParamType is the type of a lookup param.
type ParamType string

// InputKind is what an update input accepts.
type InputKind string

// Set is a compiled, immutable scope set. Everything reachable from it is
// read-only after Load returns: callers (the gateway, explain, diff, the
// audit log) share it without copying and must not modify it.
type Set struct {
	clients []*Client // sorted by ID
	files   []string
}

// Clients returns the clients, sorted by id.
func (s *Set) Clients() []*Client {
	if s == nil {
		return nil
	}
	return append([]*Client(nil), s.clients...)
}

// Client returns a client by id.
func (s *Set) Client(id string) (*Client, bool) {
	if s == nil {
		return nil, false
	}
	i := sort.Search(len(s.clients), func(i int) bool { return s.clients[i].ID >= id })
	if i < len(s.clients) && s.clients[i].ID == id {
		return s.clients[i], true
	}
	return nil, false
}

// Files lists the files the set was loaded from.
func (s *Set) Files() []string {
	if s == nil {
		return nil
	}
	return append([]string(nil), s.files...)
}

// Filter returns a client's content-filter settings; ok is false when the
// client is unknown or its scopes have no filter: section (the filter then
// uses its defaults).
func (s *Set) Filter(client string) (*Filter, bool) {
	c, ok := s.Client(client)
	if !ok || c.Filter == nil {
		return nil, false
	}
	return c.Filter, true
}

// Client is everything the scope files say about one client.
type Client struct {
	ID         string
	Connection string
	// Retention is how long tokens minted for the client keep
	// detokenizing; 0 when no file states it.
	Retention time.Duration
	Filter    *Filter // nil: the content filter's defaults
	Inquiries []*Inquiry
	Files     []string
	Pos       Pos // the client: key of the first file
	// ConnectionPos and RetentionPos are where the values are stated
	// (RetentionPos is zero when retention is not stated).
	ConnectionPos Pos
	RetentionPos  Pos
}

// Inquiry returns an inquiry by id.
func (c *Client) Inquiry(id string) (*Inquiry, bool) {
	for _, q := range c.Inquiries {
		if q.ID == id {
			return q, true
		}
	}
	return nil, false
}

// Filter is a client's content-filter settings.
type Filter struct {
	PhoneRegions  []string
	AllowPatterns []*regexp.Regexp
	Pos           Pos
	// PhoneRegionsPos and AllowPatternsPos are zero when not stated.
	PhoneRegionsPos  Pos
	AllowPatternsPos Pos
}

// Inquiry is one inquiry type of a client.
type Inquiry struct {
	Client      string
	ID          string
	Description string
	Access      Access
	Operations  []*Operation // sorted by ID
	File        string
	Pos         Pos
}

// Operation returns an operation by id.
func (q *Inquiry) Operation(id string) (*Operation, bool) {
	for _, o := range q.Operations {
		if o.ID == id {
			return o, true
		}
	}
	return nil, false
}

// Access is who may use an inquiry. Zero positions mean "not stated".
type Access struct {
	MinTier      int
	MFA          bool
	Countries    []string
	Networks     []netip.Prefix
	Pos          Pos // the access: key, or the inquiry when absent
	MinTierPos   Pos
	MFAPos       Pos
	CountriesPos Pos
	NetworksPos  Pos
}

// Operation is one call an inquiry may make.
type Operation struct {
	Client      string
	Inquiry     string
	ID          string
	Description string
	Action      Action
	Resource    string
	Limit       int // search only; 0 = the connector's bound
	Params      []*Param
	Fields      []*Field
	Inputs      []*Input
	Pos         Pos
	ActionPos   Pos
	ResourcePos Pos

	tree      *fieldpath.Tree
	inputTree *fieldpath.Tree
}

// Tree is the projection of the operation's fields: leaf index i is
// Fields[i]. Connectors fetch exactly these paths; the gateway projects
// every record through it.
func (o *Operation) Tree() *fieldpath.Tree { return o.tree }

// Paths returns the field paths to fetch, in Fields order.
func (o *Operation) Paths() []fieldpath.Path {
	out := make([]fieldpath.Path, len(o.Fields))
	for i, f := range o.Fields {
		out[i] = f.Path
	}
	return out
}

// Param returns a param by name.
func (o *Operation) Param(name string) (*Param, bool) {
	for _, p := range o.Params {
		if p.Name == name {
			return p, true
		}
	}
	return nil, false
}

// Field returns the field with exactly this path text.
func (o *Operation) Field(path string) (*Field, bool) {
	for _, f := range o.Fields {
		if f.Path.String() == path {
			return f, true
		}
	}
	return nil, false
}

// Input returns the input with exactly this path text.
func (o *Operation) Input(path string) (*Input, bool) {
	for _, in := range o.Inputs {
		if in.Path.String() == path {
			return in, true
		}
	}
	return nil, false
}

// Param is one lookup param: its name is a lookup key of the resource.
type Param struct {
	Name     string
	Type     ParamType
	Required bool
	Pattern  *regexp.Regexp // anchored: the whole value must match
	// PatternText is the pattern as written.
	PatternText string
	PII         pii.Type // the PII type of the value; always set for token params
	Enum        []string // allowed values, as text
	Pos         Pos
}

// Field is one field the operation returns, with its rule.
type Field struct {
	Path fieldpath.Path
	Rule Rule
	// PII is the field's PII type: the rule's option ({tokenize: EMAIL}),
	// else the catalog's hint; "" when unknown. tokenize and hash always
	// have one (it is the Vault derivation context).
	PII pii.Type
	// Mask is the mask option for Rule == Mask (bare mask resolved from
	// the PII type).
	Mask MaskOption
	// Written is the rule as the file wrote it ("mask", "{mask: last4}").
	Written string
	Pos     Pos // the field path
	RulePos Pos // the rule
	// Cataloged is true when a connector catalog vouched for the field
	// (its PII hint and FreeText are then the catalog's).
	Cataloged bool
	FreeText  bool
	// CatalogPII is the catalog's PII hint for the field, even when the
	// rule names a type of its own (lint compares them).
	CatalogPII pii.Type
}

// Input is one field an update may write.
type Input struct {
	Path      fieldpath.Path
	Kind      InputKind
	PII       pii.Type // token inputs: the only PII type of token accepted
	Enum      []any    // enum inputs: string, float64 or bool values
	Written   string
	Pos       Pos
	RulePos   Pos
	Cataloged bool
	FreeText  bool
}

// InputTree is the tree of the operation's input paths: leaf index i is
// Inputs[i]. The gateway checks an update's input against it.
func (o *Operation) InputTree() *fieldpath.Tree { return o.inputTree }
