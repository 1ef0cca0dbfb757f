// Package shopify is the Shopify connector: the GraphQL Admin API only
// (Shopify's REST Admin API is legacy since 2024-10).
//
// Authentication is the client credentials grant of a Dev Dashboard app
// (tokens last 24 hours and are re-requested five minutes before they
// expire, or at once when Shopify rejects one) or, for custom apps created
// in a store admin before 2026-01-01, a static shpat_ token.
//
// Catalog paths are snake_case (order.fulfillment_status,
// line_items[].title, customer.email) and are mapped to GraphQL selections
// that ask for exactly the requested fields (graphql.go). Lookups by id
// read the record directly; lookups by order number or email use the
// search syntax with the value quoted and escaped, passed as a GraphQL
// variable, and every result is checked against every criterion, because
// Shopify's search is fuzzy and ignores filters it does not know.
//
// Shopify meters the API by query cost: the connector follows the cost
// bucket reported in extensions.cost, waits when a call does not fit (up
// to options.throttle_max_wait) and otherwise reports a rate limit with
// the wait Shopify's numbers imply. See docs/connectors/shopify.md.
package shopify
