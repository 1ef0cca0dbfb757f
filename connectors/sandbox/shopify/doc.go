// Package shopify is an in-process Shopify Admin API for tests and
// `cxgate dev`. It speaks the wire format a connector meets in production:
//
//   - POST /admin/oauth/access_token: the client credentials grant
//     (form-encoded or JSON) issuing shpat_ tokens that last 24 hours
//     (expires_in 86399); static shpat_ tokens of legacy custom apps are
//     accepted too. Bad or expired tokens get Shopify's 401 body.
//   - POST /admin/api/{version}/graphql.json: every document is parsed and
//     validated against the Admin schema (the vendor SDL when given, an
//     embedded subset otherwise) before it runs; order, orders(query:),
//     customer, customers(query:) and the orderUpdate mutation execute
//     against the seed. Responses carry extensions.cost from a leaky
//     bucket; an exhausted bucket answers HTTP 200 with a THROTTLED error.
//     X-Shopify-API-Version echoes the version that served the request
//     (unsupported versions fall forward to the oldest supported one).
//   - The search syntax of query: arguments (ParseSearch), including its
//     dangerous leniency: unknown filter fields are ignored and so match
//     every record.
//   - Legacy REST create and show routes for orders and customers, and
//     token-free create routes under /_sandbox/ for dev users.
//   - Fault knobs rendered in Shopify's formats (/_sandbox/faults) and a
//     recorder of API requests for data-minimisation assertions.
//
// Records are kept in the REST shape (the seed format, see seed.json); the
// data is fictional (example.com addresses, 555-01xx and 07700 900xxx
// phone numbers, published test card numbers).
package shopify
