// Package scopes is cxgate's policy language: the scope files security
// teams review, their loader, the compiled immutable Set the gateway runs,
// and the tools built on that one Set (lint, explain, diff, JSON Schema).
//
// A scope file says, for one client, which inquiries an expert may work
// on, who may use each (tier, MFA, countries, networks), which operations
// each inquiry runs against the client's system, which params they take,
// which fields come back and under which rule (keep, mask, tokenize, hash,
// redact, scrub), and which inputs an update may write. Anything not listed
// never reaches an expert.
//
// Load reads files strictly and reports every problem with its position;
// a Set with errors is never returned. Decide is the one pure function the
// gateway calls per request; explain, diff and the audit log read the same
// compiled data, so what reviewers approve is exactly what runs.
//
// The format reference is docs/scopes.md.
package scopes
