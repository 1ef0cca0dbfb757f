// Package connectors is the contract between cxgate and the systems of its
// clients (Salesforce, Zendesk, Shopify and any type an integration engineer
// adds): the Connector interface, its Catalog, the error kinds connectors map
// their vendors' failures to, connection configuration, the SecretSource that
// supplies credentials, and the Registry of connector types.
//
// It also holds the portable wrapper every connection runs behind (breaker,
// retries, timeouts, rate limiting, projection guard, metrics hooks), so a
// connector only has to speak its vendor's wire format.
package connectors
