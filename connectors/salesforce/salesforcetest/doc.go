// Package salesforcetest connects the Salesforce connector to the
// conformance kit (connectors/connectortest) through the Salesforce
// sandbox. connectors/builtin's meta-test imports it, so the kit runs for
// the registered type; the connector's own tests run it too.
package salesforcetest
