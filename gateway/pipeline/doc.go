// Package pipeline is what happens to an expert's request after its
// assertion is verified:
//
//	resolve -> authorise (scopes.Decide) -> validate params and inputs ->
//	detokenize token params and inputs (one batched call, same client and
//	PII type only) -> connector call with the pushed-down field list ->
//	project (scope rules, arrays) -> protect (mask; scrub through the
//	content filter; every tokenize and hash value of the response in one
//	batched call each, run concurrently) -> respond
//
// and, in every outcome, an audit record. If the audit record cannot be
// written the answer is withheld. The HTTP layer (package gateway) only
// decodes requests and encodes answers; every decision is made here.
//
// Nothing fails open: a value whose protection cannot run (tokenizer
// down, filter error, a value of an unexpected shape) is never returned.
package pipeline
