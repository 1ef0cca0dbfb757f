// Package e2e holds cxgate's end-to-end tests: the whole gateway as
// `cxgate dev` wires it (the three CRM sandboxes over loopback, the example
// config and scopes, real HTTP) with the real Vault dev server as its
// tokenizer, behind a reverse proxy that counts and records every Vault
// round trip. The package has no code of its own; its tests prove, over
// the wire, that every example operation works for an expert allowed to
// run it, that every denial reason answers as the contract says, that
// tokens are deterministic and bound to their client and type, that
// write-backs reach the CRM with the real value, and that no seeded
// personal value, tokenized plaintext, credential or Vault token appears
// anywhere it should not: answers, problems, logs, metrics or the audit log.
package e2e
