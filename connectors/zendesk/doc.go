// Package zendesk is the cxgate connector for Zendesk Support (the
// Ticketing API v2): tickets (read, search by requester email, update
// status/priority and add public or private comments), ticket comments
// (cursor-paginated, bounded), users (by id, email or external_id) and
// organizations.
//
// Authentication is OAuth client credentials against POST /oauth/tokens
// (tokens cached, refreshed with the rotating refresh token before they
// expire, refetched once when Zendesk rejects them). The legacy
// email/token Basic credential is supported only as a fallback and warns:
// Zendesk deactivates every API token on 2027-04-30.
//
// Zendesk's search syntax has no escape character, so the connector never
// interpolates a lookup value into a query the way a string template would:
// it prefers exact endpoints (/tickets/{id}, /users/{id},
// /users/search?external_id=), validates email values (anything that
// cannot occur in an email is refused before any request), places them in
// double quotes after removing quotes and control characters, sets `type:`
// itself, checks `result_type` on every search result and post-filters
// every result against the requested key. Zendesk returns whole objects;
// the connector keeps only the requested catalog paths.
//
// See docs/connectors/zendesk.md for setup and limits.
package zendesk
