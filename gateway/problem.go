package gateway

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"
)

// Problem codes. The first twelve are the contract's; the rest extend it
// for HTTP-level failures the contract does not name (docs/api.md).
const (
	CodeUnauthenticated      = "unauthenticated"       // 401
	CodeForbidden            = "forbidden"             // 403
	CodeMFARequired          = "mfa_required"          // 403
	CodeTierTooLow           = "tier_too_low"          // 403
	CodeLocationDenied       = "location_denied"       // 403
	CodeNotFound             = "not_found"             // 404
	CodeInvalidParams        = "invalid_params"        // 400
	CodeRateLimited          = "rate_limited"          // 429
	CodeUpstreamUnavailable  = "upstream_unavailable"  // 503
	CodeUpstreamError        = "upstream_error"        // 502
	CodeTokenizerUnavailable = "tokenizer_unavailable" // 503
	CodeInternal             = "internal"              // 500

	CodeAuditUnavailable    = "audit_unavailable"      // 503: the access could not be recorded, so nothing is answered
	CodePayloadTooLarge     = "payload_too_large"      // 413
	CodeMethodNotAllowed    = "method_not_allowed"     // 405
	CodeUnsupportedMedia    = "unsupported_media_type" // 415
	CodeIdempotencyConflict = "idempotency_conflict"   // 409: same Idempotency-Key, different request (or the first one still running past the retry's time)
)

var statusOf = map[string]int{
	CodeUnauthenticated: 401, CodeForbidden: 403, CodeMFARequired: 403, CodeTierTooLow: 403,
	CodeLocationDenied: 403, CodeNotFound: 404, CodeInvalidParams: 400, CodeRateLimited: 429,
	CodeUpstreamUnavailable: 503, CodeUpstreamError: 502, CodeTokenizerUnavailable: 503, CodeInternal: 500,
	CodeAuditUnavailable: 503, CodePayloadTooLarge: 413, CodeMethodNotAllowed: 405,
	CodeUnsupportedMedia: 415, CodeIdempotencyConflict: 409,
}

var titleOf = map[string]string{
	CodeUnauthenticated:      "Expert assertion missing or invalid",
	CodeForbidden:            "Not allowed",
	CodeMFARequired:          "A second factor is required for this inquiry",
	CodeTierTooLow:           "Expert tier too low for this inquiry",
	CodeLocationDenied:       "Not allowed from this location",
	CodeNotFound:             "Not found",
	CodeInvalidParams:        "Invalid parameters",
	CodeRateLimited:          "Too many requests",
	CodeUpstreamUnavailable:  "The client's system is unavailable",
	CodeUpstreamError:        "The client's system returned an error",
	CodeTokenizerUnavailable: "Protection is unavailable, so nothing is returned",
	CodeInternal:             "Internal error",
	CodeAuditUnavailable:     "The access could not be audited, so nothing is returned",
	CodePayloadTooLarge:      "Request body too large",
	CodeMethodNotAllowed:     "Method not allowed",
	CodeUnsupportedMedia:     "Unsupported media type",
	CodeIdempotencyConflict:  "Idempotency-Key conflict",
}

// Problem is an RFC 9457 problem detail with cxgate's code and request id.
// Detail is written for the expert platform: it never holds a customer
// value, a token's plaintext, a credential or upstream body text.
type Problem struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail,omitempty"`
	Code      string       `json:"code"`
	RequestID string       `json:"request_id,omitempty"`
	Params    []ParamError `json:"params,omitempty"` // invalid_params: which params and why

	RetryAfter time.Duration `json:"-"`
	Err        error         `json:"-"` // the cause, for the log line only
}

// ParamError names one bad parameter.
type ParamError struct {
	Name    string `json:"name"`
	Message string `json:"message"`
}

func (p *Problem) Error() string {
	if p.Detail != "" {
		return p.Code + ": " + p.Detail
	}
	return p.Code
}

func (p *Problem) Unwrap() error { return p.Err }

// NewProblem builds a problem for a code (unknown codes become internal).
func NewProblem(code, detail string) *Problem {
	st, ok := statusOf[code]
	if !ok {
		code, st = CodeInternal, 500
	}
	return &Problem{Type: "https://cxgate.dev/problems/" + code, Title: titleOf[code], Status: st, Code: code, Detail: detail}
}

// AsProblem returns err as a problem; anything that is not one is internal
// (its text stays in the log, never in the response).
func AsProblem(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	pr := NewProblem(CodeInternal, "")
	pr.Err = err
	return pr
}

// WriteProblem sends p as application/problem+json.
func WriteProblem(w http.ResponseWriter, p *Problem) {
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	if p.RetryAfter > 0 {
		secs := int(p.RetryAfter.Round(time.Second) / time.Second)
		if secs < 1 {
			secs = 1
		}
		h.Set("Retry-After", strconv.Itoa(secs))
	}
	if p.Code == CodeUnauthenticated {
		h.Set("WWW-Authenticate", `Bearer realm="cxgate"`)
	}
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}
