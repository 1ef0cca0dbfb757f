package pipeline

import (
	"errors"
	"fmt"
	"time"
)

// Problem codes the pipeline answers with (the contract's, plus
// audit_unavailable). The gateway turns an *Error into problem+json.
const (
	CodeForbidden            = "forbidden"
	CodeNotFound             = "not_found"
	CodeInvalidParams        = "invalid_params"
	CodeRateLimited          = "rate_limited"
	CodeUpstreamUnavailable  = "upstream_unavailable"
	CodeUpstreamError        = "upstream_error"
	CodeTokenizerUnavailable = "tokenizer_unavailable"
	CodeInternal             = "internal"
	CodeAuditUnavailable     = "audit_unavailable"
)

// Error is a failed request: a problem code, a detail safe to show the
// expert (never a value, a token's plaintext or upstream text), the
// params at fault, and the cause for the log line.
type Error struct {
	Code       string
	Detail     string
	Params     []ParamError
	RetryAfter time.Duration
	Err        error
	// Written: an update reached the client's system before the request
	// failed, so a retry with the same Idempotency-Key must not write again.
	Written bool
}

// ParamError names one bad param or input and why.
type ParamError struct {
	Name    string
	Message string
}

func (e *Error) Error() string {
	msg := e.Code
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

func fail(code, detail string, cause error) *Error {
	return &Error{Code: code, Detail: detail, Err: cause}
}

func invalid(params []ParamError) *Error {
	detail := "the request's params or input do not fit the operation"
	if len(params) == 1 {
		detail = fmt.Sprintf("%s: %s", params[0].Name, params[0].Message)
	}
	return &Error{Code: CodeInvalidParams, Detail: detail, Params: params}
}

// AsError returns err as an *Error (internal when it is not one).
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: CodeInternal, Err: err}
}
