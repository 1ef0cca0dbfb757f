// Package pii holds the vocabulary every part of cxgate shares: the PII types
// (filter findings, scope rules, token kinds and audit records all use them),
// the text format of cxgate tokens and hashes, and the error kinds a tokenizer
// reports. It has no dependencies, so the scope loader, the content filter,
// the Vault client and the connectors can all import it.
package pii
