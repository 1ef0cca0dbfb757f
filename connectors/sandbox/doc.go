// Package sandbox holds what the in-process CRM sandboxes share: the fault
// knobs resilience tests and `cxgate dev` turn (latency, error bursts, rate
// limit bursts, malformed or oversized bodies, token expiry) and their HTTP
// control endpoint. Each vendor's sandbox lives in its own folder
// (sandbox/salesforce, sandbox/zendesk, sandbox/shopify) and renders each
// fault in its vendor's real wire format.
package sandbox
