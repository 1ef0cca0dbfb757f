// Package audit writes cxgate's access log: one JSON line per request, each
// carrying the hash of the previous line, so that editing, inserting or
// deleting a record breaks the chain at that point (`cxgate audit verify`).
//
// A record names who asked (the expert id), for which client, inquiry and
// operation, which record ids were touched (hashed where they are PII),
// each field's path and rule, the decision with the scope file:line of
// every rule that made it, the outcome and the latency. It never holds a
// field value, a token's plaintext or a credential.
//
// The sink fails closed: when a record cannot be written, Write returns an
// error and the gateway withholds the response (503), as Vault stops
// serving when no audit device can record.
//
// Tamper evidence: a plain SHA-256 chain shows accidental damage and edits
// by anyone who cannot recompute the tail; with a key (HMAC-SHA256) an
// attacker without the key cannot forge a consistent chain. Truncation of
// the newest records is only visible against an external anchor (ship the
// last hash elsewhere, e.g. the log pipeline or metrics).
package audit
