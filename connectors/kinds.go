package connectors

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// ErrUpstream is the kind for an upstream answer cxgate cannot use: a
// malformed or oversized body, an unexpected status, a retired API version.
// The expert's request was fine and retrying it will not help, so it maps
// to upstream_error (502) and does not count against the breaker.
var ErrUpstream = errors.New("unusable answer from the upstream system")

// Kind names an error kind in metrics labels, logs and problem mapping.
// It is derived from an error's chain with KindOf; connectors never set it
// directly (they wrap one of the Err* sentinels).
type Kind string

// Kinds, from most to least specific. OK is the outcome of a call without error.
const (
	KindOK           Kind = "ok"
	KindNotFound     Kind = "not_found"
	KindInvalid      Kind = "invalid"
	KindUnauthorized Kind = "unauthorized"
	KindForbidden    Kind = "forbidden"
	KindRateLimited  Kind = "rate_limited"
	KindUnavailable  Kind = "unavailable"
	KindTimeout      Kind = "timeout"  // a deadline passed (per-call timeout or the caller's)
	KindCanceled     Kind = "canceled" // the caller gave up; not the upstream's fault
	KindUpstream     Kind = "upstream"
	KindUnknown      Kind = "error" // an error that wraps no kind: a bug, treated as upstream_error
)

// KindOf classifies err. The order matters where an error could match
// several kinds: a rate limit or a timeout is reported as such even when a
// connector also wrapped ErrUnavailable.
func KindOf(err error) Kind {
	switch {
	case err == nil:
		return KindOK
	case errors.Is(err, ErrRateLimited):
		return KindRateLimited
	case errors.Is(err, context.Canceled):
		return KindCanceled
	case errors.Is(err, context.DeadlineExceeded):
		return KindTimeout
	case errors.Is(err, ErrNotFound):
		return KindNotFound
	case errors.Is(err, ErrInvalid):
		return KindInvalid
	case errors.Is(err, ErrUnauthorized):
		return KindUnauthorized
	case errors.Is(err, ErrForbidden):
		return KindForbidden
	case errors.Is(err, ErrUnavailable):
		return KindUnavailable
	case errors.Is(err, ErrUpstream):
		return KindUpstream
	}
	return KindUnknown
}

// HTTPProblem is how the gateway answers an expert for an error kind:
// a problem+json code from the external contract and its HTTP status.
type HTTPProblem struct {
	Status int
	Code   string
	// RetryAfter is set for rate limits when the vendor (or the client-side
	// limiter) named a wait; the gateway sends it as Retry-After.
	RetryAfter time.Duration
}

// Problem maps a kind to the gateway's problem code and status.
//
// Unauthorized and forbidden mean cxgate's own credentials or permissions
// failed upstream; the expert can do nothing about it, so both are
// upstream_error (502), never 401/403 (which would suggest the expert's
// assertion was wrong).
func (k Kind) Problem() HTTPProblem {
	switch k {
	case KindNotFound:
		return HTTPProblem{Status: http.StatusNotFound, Code: "not_found"}
	case KindInvalid:
		return HTTPProblem{Status: http.StatusBadRequest, Code: "invalid_params"}
	case KindRateLimited:
		return HTTPProblem{Status: http.StatusTooManyRequests, Code: "rate_limited"}
	case KindUnavailable, KindTimeout, KindCanceled:
		return HTTPProblem{Status: http.StatusServiceUnavailable, Code: "upstream_unavailable"}
	}
	return HTTPProblem{Status: http.StatusBadGateway, Code: "upstream_error"}
}

// ProblemFor maps an error to the gateway's answer, with the wait a rate
// limit carries.
func ProblemFor(err error) HTTPProblem {
	p := KindOf(err).Problem()
	if d, ok := RetryAfter(err); ok && d > 0 {
		p.RetryAfter = d
	}
	return p
}

// BreakerFailure reports whether err counts against a connection's circuit
// breaker: the upstream is down, throttling us, or too slow. Not-found,
// invalid input, auth failures and upstream answers we cannot use are
// "successes" for the breaker (the upstream answered; opening the circuit
// would not help and would hide real records from other experts).
func (k Kind) BreakerFailure() bool {
	switch k {
	case KindUnavailable, KindRateLimited, KindTimeout:
		return true
	}
	return false
}

// BreakerExcluded reports whether the breaker should ignore the outcome
// entirely: the caller cancelled, which says nothing about the upstream.
func (k Kind) BreakerExcluded() bool { return k == KindCanceled }

// Retryable reports whether repeating the same idempotent call later may
// succeed. The HTTP client uses the status-level equivalent (RetryStatus);
// callers above the connector (the gateway, the kit) use this.
func (k Kind) Retryable() bool {
	switch k {
	case KindUnavailable, KindRateLimited, KindTimeout:
		return true
	}
	return false
}

// RetryStatus reports whether an HTTP status is worth retrying for an
// idempotent request: throttling and transient server failures. 501 (not
// implemented) and 505 are not transient.
func RetryStatus(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// KindForStatus is the default kind for an HTTP error status when the
// vendor's body says nothing more specific. Connectors refine it (e.g.
// Salesforce's 403 REQUEST_LIMIT_EXCEEDED is a rate limit).
func KindForStatus(status int) error {
	switch {
	case status == http.StatusNotFound:
		return ErrNotFound
	case status == http.StatusUnauthorized:
		return ErrUnauthorized
	case status == http.StatusForbidden:
		return ErrForbidden
	case status == http.StatusTooManyRequests:
		return ErrRateLimited
	case status == http.StatusBadRequest, status == http.StatusUnprocessableEntity:
		return ErrInvalid
	case status == http.StatusRequestTimeout, status >= 500 && RetryStatus(status):
		return ErrUnavailable
	}
	return ErrUpstream
}
