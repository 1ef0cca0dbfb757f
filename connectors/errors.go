package connectors

import (
	"errors"
	"fmt"
	"time"
)

// Error kinds. A connector wraps exactly one of them (fmt.Errorf("...: %w",
// ErrNotFound)) with a message that names the operation and, at most, the
// vendor's error code: never a record value, a credential or upstream body
// text. One place (kinds.go) maps kinds to HTTP problems, to the breaker's
// success test and to retry decisions.
var (
	ErrNotFound     = errors.New("not found")
	ErrUnauthorized = errors.New("unauthorized by the upstream system")
	ErrForbidden    = errors.New("forbidden by the upstream system")
	ErrRateLimited  = errors.New("rate limited by the upstream system")
	ErrUnavailable  = errors.New("upstream system unavailable")
	ErrInvalid      = errors.New("invalid request")
)

// RateLimitError is a rate limit with the wait the vendor asked for.
// errors.Is(err, ErrRateLimited) holds for it.
type RateLimitError struct {
	RetryAfter time.Duration // 0 when the vendor did not say
	Detail     string        // e.g. "403 REQUEST_LIMIT_EXCEEDED"; no values
}

func (e *RateLimitError) Error() string {
	msg := ErrRateLimited.Error()
	if e.Detail != "" {
		msg += " (" + e.Detail + ")"
	}
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf("; retry after %s", e.RetryAfter)
	}
	return msg
}

// Is makes errors.Is(err, ErrRateLimited) true.
func (e *RateLimitError) Is(target error) bool { return target == ErrRateLimited }

// RetryAfter returns the wait carried by a rate-limit error anywhere in err's chain.
func RetryAfter(err error) (time.Duration, bool) {
	var rl *RateLimitError
	if errors.As(err, &rl) {
		return rl.RetryAfter, true
	}
	return 0, false
}
