package connectors

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestKindOfAndProblem(t *testing.T) {
	cases := []struct {
		name        string
		err         error
		kind        Kind
		status      int
		code        string
		breakerFail bool
		retryAfter  time.Duration
	}{
		{"nil", nil, KindOK, 502, "upstream_error", false, 0},
		{"not found", fmt.Errorf("read case: %w", ErrNotFound), KindNotFound, 404, "not_found", false, 0},
		{"invalid", fmt.Errorf("x: %w", ErrInvalid), KindInvalid, 400, "invalid_params", false, 0},
		{"unauthorized is cxgate's problem", fmt.Errorf("x: %w", ErrUnauthorized), KindUnauthorized, 502, "upstream_error", false, 0},
		{"forbidden is cxgate's problem", fmt.Errorf("x: %w", ErrForbidden), KindForbidden, 502, "upstream_error", false, 0},
		{"rate limited", fmt.Errorf("x: %w", &RateLimitError{RetryAfter: 3 * time.Second}), KindRateLimited, 429, "rate_limited", true, 3 * time.Second},
		{"bare rate limit sentinel", ErrRateLimited, KindRateLimited, 429, "rate_limited", true, 0},
		{"unavailable", fmt.Errorf("x: %w", ErrUnavailable), KindUnavailable, 503, "upstream_unavailable", true, 0},
		{"timeout beats unavailable", fmt.Errorf("x: %w (%w)", ErrUnavailable, context.DeadlineExceeded), KindTimeout, 503, "upstream_unavailable", true, 0},
		{"canceled", fmt.Errorf("x: %w", context.Canceled), KindCanceled, 503, "upstream_unavailable", false, 0},
		{"upstream garbage", fmt.Errorf("x: %w", ErrUpstream), KindUpstream, 502, "upstream_error", false, 0},
		{"no kind", errors.New("bug"), KindUnknown, 502, "upstream_error", false, 0},
		{"no-refresh keeps kind", NoRefresh(fmt.Errorf("x: %w", ErrUnauthorized)), KindUnauthorized, 502, "upstream_error", false, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := KindOf(c.err)
			if k != c.kind {
				t.Fatalf("KindOf = %q, want %q", k, c.kind)
			}
			if c.err == nil {
				return
			}
			p := ProblemFor(c.err)
			if p.Status != c.status || p.Code != c.code || p.RetryAfter != c.retryAfter {
				t.Errorf("ProblemFor = %+v, want %d %s %s", p, c.status, c.code, c.retryAfter)
			}
			if k.BreakerFailure() != c.breakerFail {
				t.Errorf("BreakerFailure = %v, want %v", k.BreakerFailure(), c.breakerFail)
			}
			if k.Retryable() != c.breakerFail {
				t.Errorf("Retryable = %v, want %v", k.Retryable(), c.breakerFail)
			}
		})
	}
	if !KindCanceled.BreakerExcluded() || KindTimeout.BreakerExcluded() {
		t.Error("only caller cancellation is excluded from the breaker")
	}
}

func TestKindForStatus(t *testing.T) {
	want := map[int]error{
		400: ErrInvalid, 401: ErrUnauthorized, 403: ErrForbidden, 404: ErrNotFound, 408: ErrUnavailable,
		409: ErrUpstream, 410: ErrUpstream, 422: ErrInvalid, 429: ErrRateLimited, 500: ErrUnavailable,
		501: ErrUpstream, 502: ErrUnavailable, 503: ErrUnavailable, 504: ErrUnavailable, 300: ErrUpstream,
	}
	for status, w := range want {
		if got := KindForStatus(status); got != w {
			t.Errorf("KindForStatus(%d) = %v, want %v", status, got, w)
		}
	}
	if !RetryStatus(http.StatusServiceUnavailable) || RetryStatus(http.StatusNotImplemented) || RetryStatus(400) {
		t.Error("RetryStatus")
	}
}
