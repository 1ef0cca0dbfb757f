// Package zendesk is an in-process Zendesk Support (Ticketing) API v2
// sandbox: the wire format the cxgate Zendesk connector talks to, for tests
// (over httptest) and for `cxgate dev`.
//
// It follows the fidelity checklist of the CRM reference (section 4):
//
//   - auth: OAuth access tokens (`Authorization: Bearer`) from
//     `POST /oauth/tokens` (JSON body; client_credentials and refresh_token
//     grants; expiring access tokens; refresh tokens that rotate and
//     invalidate the old pair) and the legacy `email/token:API_TOKEN` Basic
//     credential; 401 `{"error":"Couldn't authenticate you"}`; 403 when a
//     token's scope does not cover the request;
//   - tickets show/update/create (a PUT with `comment` appends a comment and
//     answers with the `audit`; enum validation; 422 RecordInvalid with
//     `details`; closed tickets refuse updates; `safe_update` conflicts);
//   - ticket comments and the ticket list with cursor pagination
//     (`page[size]`, `meta{has_more,after_cursor,before_cursor}`, `links`) or
//     offset pagination (`page`, `per_page`, 10,000-record ceiling);
//   - users show/create, `/users/search` (`query=` search syntax or the
//     exact `external_id=`), organizations show/create;
//   - `/search` (offset pagination, the 1,000-result cap, `result_type` on
//     every result), `/search/count` and `/search/export` (cursor,
//     `filter[type]` required, cursors expire after an hour);
//   - a real parser for the search syntax (`type:`, `status:`, `priority:`,
//     `requester:`, `email:`, comparisons, `-` negation, quoted phrases, `*`
//     prefix wildcards, whitespace AND, `order_by:`/`sort:`), whose parsed
//     form is kept (Searches) so injection tests can prove what a query
//     meant;
//   - `X-Rate-Limit`/`X-Rate-Limit-Remaining` on every API response and
//     429 + `Retry-After` (JSON or text/plain body) when the per-minute
//     allowance is spent or a fault is injected;
//   - the shared fault knobs (sandbox.Faults, mounted at /_sandbox/faults)
//     rendered in Zendesk's formats, and the request Recorder.
//
// Data is fictional (reserved example domains, fictional phone ranges,
// published test card numbers) and embedded as seed.json; Options.Seed
// loads another file of the same shape. Where Zendesk's exact wording of an
// error is not documented, the shape is Zendesk's and the words are ours;
// such places say so.
package zendesk
