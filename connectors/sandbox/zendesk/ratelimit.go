package zendesk

import (
	"sync"
	"time"
)

// minuteLimiter is Zendesk's account-wide allowance: limit requests per
// clock minute, then 429 until the minute turns.
type minuteLimiter struct {
	limit  int // negative: unlimited
	now    func() time.Time
	mu     sync.Mutex
	window time.Time
	used   int
}

func newMinuteLimiter(limit int, now func() time.Time) *minuteLimiter {
	return &minuteLimiter{limit: limit, now: now}
}

// take spends one request. It returns the requests left, whether this one
// may proceed, and, when not, how long until the window resets.
func (l *minuteLimiter) take() (remaining int, ok bool, wait time.Duration) {
	if l.limit < 0 {
		return 0, true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if w := now.Truncate(time.Minute); !w.Equal(l.window) {
		l.window, l.used = w, 0
	}
	if l.used >= l.limit {
		return 0, false, l.window.Add(time.Minute).Sub(now)
	}
	l.used++
	return l.limit - l.used, true, 0
}

func (l *minuteLimiter) resetIn() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	d := l.window.Add(time.Minute).Sub(l.now())
	if d < 0 {
		return time.Minute
	}
	return d
}
