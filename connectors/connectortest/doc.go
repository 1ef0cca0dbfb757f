// Package connectortest is the conformance kit every connector runs against
// its sandbox: the behaviour the gateway relies on, checked the same way for
// Salesforce, Zendesk, Shopify and any type an integration engineer adds.
//
// A connector package provides a harness (a small package beside it,
// connectors/<type>/<type>test, exporting Harness() connectortest.Harness)
// and runs the kit from its own tests:
//
//	func TestConformance(t *testing.T) { connectortest.Run(t, salesforcetest.Harness()) }
//
// The kit checks: only requested fields come back (exactly the expected
// projected record); nested and array paths; null versus absent; unicode;
// not found; unknown resources are invalid; search and update when the
// harness describes them; an expired token costs exactly one refresh and a
// token that keeps being rejected does not loop; rate limits carry a
// RetryAfter; server errors are unavailable; malformed and oversized bodies
// are errors with a kind, never a panic; cancellation returns promptly
// (target 100 ms, failing only past a generous bound so slow CI machines
// do not flake); no secret, token, looked-up value or upstream error text
// in errors or logs; 50 concurrent calls; Close is idempotent; the portable
// wrapper passes the expected record through unchanged.
//
// # Why a type cannot skip the kit
//
// connectors/builtin's test imports every harness package and holds a map
// from connector type to harness. For each type in builtin.Registry() it
// fails when no harness is listed, when the harness's factory is not the one
// registered (type or catalog differ), and otherwise runs the whole kit
// right there. So registering a type without a harness fails CI, and the
// kit is executed for every registered type even if a connector's own test
// forgot to call Run. Inside the kit, a harness cannot make checks vacuous:
// the nested case must use both an "a.b" and a non-empty "x[]" path, the
// null case must expect a null, the unicode case must expect non-ASCII text,
// and every case's fields must exist in the catalog.
//
// # The kit's own tests
//
// examples/newconnector/kit_selftest_test.go breaks the example connector
// in nine ways (an extra field, dropped nulls, a leaked lookup value, a
// hidden rate limit, a refresh loop, ignored cancellation, errors without
// a kind, a panic, a Close that fails twice) and requires the kit to fail
// the matching check each time, and to pass the healthy connector.
//
// # Race detector
//
// The Concurrent check runs 50 calls at once and compares their results;
// it is meaningful without -race, and CI also runs it under the race
// detector:
//
//	go test -race -run 'TestConformance/Concurrent|TestEveryRegisteredTypeRunsTheKit/.*/Concurrent' ./connectors/... ./examples/newconnector/
package connectortest
