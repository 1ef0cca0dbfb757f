package connectors

import (
	"github.com/cxgate/cxgate/pii"
)

// Catalog describes what a connector type offers, for scope validation
// (`cxgate scopes validate --config`), `cxgate connectors describe`, lint
// hints and the gateway. It is static: no I/O.
type Catalog struct {
	Type        string
	Description string
	Resources   []Resource
	// ConfigKeys are the keys a connection of this type accepts under
	// `options:` in the gateway config, plus the auth modes it supports.
	ConfigKeys []ConfigKey
	AuthModes  []string // first is the default, e.g. "client_credentials"
}

// Resource is one kind of record (order, customer, ticket, case...).
type Resource struct {
	Name        string // [a-z0-9_]+, used in scope files: `resource: order`
	Description string
	Keys        []Key
	Fields      []Field
	Actions     []string // of "read", "search", "update"
}

// Key is a lookup key. Scope params are named after keys.
type Key struct {
	Name        string // e.g. "id", "order_number", "email"
	Unique      bool   // identifies at most one record, so it can drive read and update alone
	PII         pii.Type
	Description string
}

// FieldType is a field's JSON type as the connector returns it.
type FieldType string

const (
	String   FieldType = "string"
	Integer  FieldType = "integer"
	Number   FieldType = "number"
	Boolean  FieldType = "boolean"
	DateTime FieldType = "datetime"
	Date     FieldType = "date"
	ID       FieldType = "id"
)

// Field is one selectable value of a resource, named by a field path in
// scope syntax ("customer.last_name", "line_items[].title", "tags[]").
type Field struct {
	Path        string
	Type        FieldType
	PII         pii.Type // a hint for lint and for `token` inputs; "" when none
	FreeText    bool     // may hold anything a person typed (lint: scrub it)
	Writable    bool     // may appear in an update operation's input
	Description string
}

// ConfigKey documents one connection option.
type ConfigKey struct {
	Name        string
	Required    bool
	Description string
}

// Resource returns the named resource.
func (c *Catalog) Resource(name string) (*Resource, bool) {
	for i := range c.Resources {
		if c.Resources[i].Name == name {
			return &c.Resources[i], true
		}
	}
	return nil, false
}

// Field returns the field with exactly this path text.
func (r *Resource) Field(path string) (*Field, bool) {
	for i := range r.Fields {
		if r.Fields[i].Path == path {
			return &r.Fields[i], true
		}
	}
	return nil, false
}

// Key returns the named lookup key.
func (r *Resource) Key(name string) (*Key, bool) {
	for i := range r.Keys {
		if r.Keys[i].Name == name {
			return &r.Keys[i], true
		}
	}
	return nil, false
}

// Supports reports whether the resource offers an action.
func (r *Resource) Supports(action string) bool {
	for _, a := range r.Actions {
		if a == action {
			return true
		}
	}
	return false
}
