// Package salesforce is an in-process Salesforce org for tests and
// `cxgate dev`: the OAuth token endpoint (client credentials at the My
// Domain host and the JWT bearer flow; the retired username-password flow
// is refused), /services/data with API versions (410 below 31.0), SOQL
// queries through a small real parser (field lists with relationship
// paths and one child subquery, WHERE with = != < > <= >= IN LIKE AND OR
// NOT and parentheses, ORDER BY, LIMIT, OFFSET, the reference's string
// escapes) with nextRecordsUrl paging, sObject GET/PATCH/POST,
// Salesforce's error arrays (MALFORMED_QUERY, INVALID_FIELD, MALFORMED_ID,
// NOT_FOUND, INVALID_SESSION_ID, REQUEST_LIMIT_EXCEEDED...), `attributes`
// on every record, Sforce-Limit-Info on every API response, and the
// shared fault knobs rendered in Salesforce's formats.
//
// The seed is a fictional service org (initech): example.com/.org/.net
// addresses, 555-01xx and Ofcom drama phone numbers, with names, quotes,
// backslashes and non-Latin text that exercise escaping and unicode.
package salesforce
