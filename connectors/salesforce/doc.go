// Package salesforce is the connector for the Salesforce REST API.
//
// Authentication is server-to-server only: the OAuth 2.0 client
// credentials flow against the org's My Domain host (the default), or the
// JWT bearer flow with an RS256 assertion signed by the private key from
// the secret source. The retired username-password flow is not offered.
// Sessions are cached until shortly before the configured session timeout,
// renewed once when Salesforce answers 401 INVALID_SESSION_ID, and never
// renewed in a loop (the "session not valid for use with the REST API"
// variant is reported at once: a new token would get the same answer).
//
// Reads and searches are SOQL queries whose SELECT list is exactly the
// requested catalog fields (relationship paths as "Account.Name", child
// lists as one subquery), so the org never sends what a scope does not
// allow. Lookup values are escaped into string literals per the SOQL
// reference and ids are validated before they reach a query or a URL. A
// read by id of plain fields uses GET /sobjects/{type}/{id}?fields=.
// Updates PATCH the sObject; Case.Comments inserts a private CaseComment.
// Responses are mapped to the catalog shape (attributes dropped, child
// query results turned into arrays); errors become connector kinds (403
// REQUEST_LIMIT_EXCEEDED is a rate limit) and carry only Salesforce's
// error code, never its message (which quotes queries and values).
package salesforce
