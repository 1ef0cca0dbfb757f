// Package vaultclient is cxgate's use of HashiCorp Vault: tokenization on
// the transit engine, key management and retention by crypto-shredding, and
// connection credentials from KV v2.
//
//   - Client (New): logs in by token, AppRole or Kubernetes, keeps the login
//     alive (LifetimeWatcher renewal, re-login on expiry or on a refused
//     call), and bounds every call by its context and the configured timeout.
//   - Tokenize, Detokenize, HMAC: one batch_input round trip per call; the
//     token text is pii.Token (cxt_<type>_v<N>_<base64url>, cxh_ for hashes);
//     see transit.go for the key layout and why it is safe.
//   - InitKeys, Rotate, Check: what `cxgate vault init|rotate|check` do.
//   - Secrets: the connectors.SecretSource (KV v2 with a short cache, and
//     env:/file: sources for development).
//   - Local: the same three tokenizer methods without Vault, for `cxgate dev`
//     and tests of callers.
//
// Failing closed: a whole-call failure is an *Error whose kind
// (ErrUnavailable, ErrSealed, ErrDenied, ErrLogin, ErrKeyMissing, ErrKeyFlags,
// ...) matches pii.ErrUnavailable through errors.Is; per-item failures come
// back in a *pii.BatchError. No method ever returns a value in place of its
// token, and no error or log line carries a value, a token's plaintext or a
// secret.
//
// The consumers define the interfaces (the gateway's Tokenizer, the
// connectors' SecretSource); this package exports concrete types.
package vaultclient
