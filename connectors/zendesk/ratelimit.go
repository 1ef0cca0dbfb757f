package zendesk

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-resty/resty/v2"

	"github.com/cxgate/cxgate/connectors"
)

// budget follows the account's rate-limit headers (X-Rate-Limit,
// X-Rate-Limit-Remaining, ratelimit-reset) and Retry-After. Once Zendesk
// says the per-minute allowance is spent, calls fail fast with a rate
// limit carrying the remaining wait instead of spending requests Zendesk
// would answer with 429 (and which count against the whole account).
type budget struct {
	mu        sync.Mutex
	limit     int
	remaining int
	known     bool
	until     time.Time // calls before this fail fast
}

// maxPause bounds how long one header can make the connector refuse calls.
const maxPause = 5 * time.Minute

// observe reads the headers of any API response.
func (b *budget) observe(resp *resty.Response, now time.Time) {
	h := resp.Header()
	limit, err1 := strconv.Atoi(strings.TrimSpace(h.Get("X-Rate-Limit")))
	remaining, err2 := strconv.Atoi(strings.TrimSpace(h.Get("X-Rate-Limit-Remaining")))
	if err1 != nil || err2 != nil {
		return
	}
	b.mu.Lock()
	b.limit, b.remaining, b.known = limit, remaining, true
	b.mu.Unlock()
	if remaining > 0 || resp.StatusCode() == 429 {
		return // a 429 pauses through apiError, with its Retry-After
	}
	wait := time.Duration(0)
	if secs, err := strconv.Atoi(strings.TrimSpace(h.Get("ratelimit-reset"))); err == nil && secs > 0 {
		wait = time.Duration(secs) * time.Second
	} else {
		// The allowance is per clock minute.
		wait = now.Truncate(time.Minute).Add(time.Minute).Sub(now)
	}
	b.pause(now, wait)
}

func (b *budget) pause(now time.Time, wait time.Duration) {
	wait = min(wait, maxPause)
	b.mu.Lock()
	if t := now.Add(wait); t.After(b.until) {
		b.until = t
	}
	b.mu.Unlock()
}

// check returns a rate limit error while the allowance is known spent.
func (b *budget) check(now time.Time) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if now.Before(b.until) {
		return &connectors.RateLimitError{RetryAfter: b.until.Sub(now), Detail: "zendesk allowance spent (X-Rate-Limit-Remaining 0 or Retry-After)"}
	}
	return nil
}

// status reports the last rate-limit headers seen: the account's
// per-minute limit and what was left of it. ok is false before any.
func (b *budget) status() (limit, remaining int, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.limit, b.remaining, b.known
}
