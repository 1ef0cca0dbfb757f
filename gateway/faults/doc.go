// Package faults is cxgate's fault suite: it breaks the gateway's
// dependencies on purpose, in-process and over loopback, and proves what the
// gateway answers while they are broken and after they come back.
//
// The package holds tests only. Each scenario starts the whole system with
// gateway/dev (the three CRM sandboxes, the example scopes and config), with
// the real Vault dev server (vaultclient/vaulttest) where Vault is involved,
// and breaks one thing: Vault (killed under load, sealed, paused past its
// timeout, refusing for lack of a policy), a CRM sandbox (5xx storms, 429
// bursts, hangs, malformed, truncated, oversized and gzip bodies, expired
// tokens) or the audit log (an auditor that fails, a full device, a file
// size limit). Every scenario asserts that
//
//   - no response body carries a protected raw value (every seed value the
//     scope does not keep, every value behind a token), nor does any log line;
//   - errors are problem+json with the documented code and status;
//   - circuit breakers open and close by themselves;
//   - the gateway recovers without a restart when the dependency returns;
//   - no goroutine is left behind once the system is closed.
//
// README.md lists every scenario, its test and the observed behaviour.
package faults
