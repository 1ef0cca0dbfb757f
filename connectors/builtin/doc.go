// Package builtin is the one list an integration engineer edits to add a
// CRM type: Registry builds the connectors.Registry that cmd/ hands to the
// gateway, `cxgate scopes validate --config` and `cxgate connectors`.
//
// Adding a type is one line here plus a conformance harness: the meta-test
// in this package fails for any registered type that has no harness (see
// connectors/connectortest), and runs the kit for every one that has.
package builtin
