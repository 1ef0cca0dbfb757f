// Package diag is the diagnostics vocabulary shared by every file checker
// in cxgate (scope files, the gateway config): a position, a severity, a
// stable code and a human message, printed as
//
//	FILE:LINE:COL: error: MESSAGE [code]
//
// and marshalled to JSON in the OPA style {code, location, message}.
// Checkers collect every problem in a List instead of stopping at the first,
// then sort it so the output is stable for goldens and CI logs.
package diag
