// Package authn verifies expert assertions: the JWTs an expert platform signs
// for each expert and the gateway receives on every /v1 request as
// "Authorization: Bearer <jwt>". A verified assertion becomes a Principal
// (subject, tier, MFA, country, onboarded clients), which the scope policy
// then judges. Nothing in this package decides what an expert may see; it only
// decides whether the claims can be believed.
//
// # Trust model
//
// The expert platform is the only party whose word about an expert counts.
// cxgate trusts a claim only when it is signed by a key the operator put in
// the keys file (or, in dev, the HS256 secret). So:
//
//   - Keys come from configuration only. Keys named or carried by the token
//     itself (jwk, jku, x5c, x5u headers) are refused, never fetched.
//   - Each key verifies exactly one algorithm, fixed by its type: RSA keys
//     RS256, P-256 keys ES256, Ed25519 keys EdDSA, the dev secret HS256. A
//     JWKS entry whose `alg` disagrees is refused when the file is loaded.
//     The token's `alg` can therefore never turn a public key into an HMAC
//     secret (the RS256/HS256 confusion attack), and `none` is never accepted.
//     HS256 and public keys are never configured together.
//   - A `kid` selects exactly one key, which must verify the header's alg; an
//     unknown kid is refused rather than tried against every key. Without a
//     kid, only keys of the header's alg are tried.
//   - The keys file holds public keys only: private or symmetric keys in it are
//     a configuration error, as are RSA keys under 2048 bits.
//   - Only the compact serialization with one signature is accepted: no JSON
//     serialization, no encrypted or nested tokens, no `crit` or `b64`.
//   - The token's shape is checked before any parsing library sees it: a size
//     limit, the base64url alphabet, strict decoding, JSON objects without
//     duplicate names (so two parsers cannot read different claims).
//
// After the signature, the claims must hold: `iss` is the configured issuer,
// `aud` names cxgate, `exp` is in the future, `iat` and `nbf` are not in the
// future, all within a small clock skew, and the token does not live longer
// than a maximum lifetime. Then the expert's attributes are read strictly:
// `tier` is a digit 0..9 (no strings, no fractions, no signs), `amr` an array
// of strings (mfa, otp, hwk or sms mean a second factor), `country` an
// assigned ISO 3166-1 alpha-2 code, `clients` an array of client ids. Unknown
// claims are ignored.
//
// Every failure wraps ErrUnauthenticated with a short fixed reason that is
// safe to return to the caller and to log: never the token, never a claim
// value, never library error text (which can quote input).
//
// The client IP used by scope `networks` rules is not a claim: ClientIP takes
// it from the connection, and reads X-Forwarded-For only when the connection
// comes from a configured trusted proxy.
//
// Keys are reloaded with Verifier.Reload (the gateway calls it on SIGHUP); a
// bad file leaves the running keys in place. Signer and GenerateDevKeys mint
// assertions for `cxgate dev` and tests; production never signs.
package authn
