// Package newconnector is the copy-me connector: a complete, small
// connector for "Hearth", a fictional REST CRM with one resource
// (customer), OAuth client-credentials tokens and a JSON error format. It
// shows every part a real connector needs, in the files a real one has:
//
//	catalog.go   what scope files may name: resources, lookup keys, fields (no I/O)
//	config.go    Factory, Check (pure config validation) and Open
//	client.go    the Connector: requests built from the requested fields only
//	errors.go    vendor errors mapped to connector kinds, no upstream text kept
//	sandbox/     the in-process fake of the vendor's API (tests and `cxgate dev`)
//	conformance_test.go  the harness and the conformance kit run
//
// docs/connectors.md walks through adding a connector with it.
package newconnector
