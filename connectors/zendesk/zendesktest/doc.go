// Package zendesktest connects the Zendesk connector to the conformance kit
// (connectors/connectortest) with the Zendesk sandbox behind a real
// loopback HTTP server.
package zendesktest
