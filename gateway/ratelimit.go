package gateway

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiterSet is one token bucket per key (an expert id or a client id),
// created on first use and forgotten after an idle period, so memory stays
// bounded by the number of active keys.
type limiterSet struct {
	mu      sync.Mutex
	perSec  rate.Limit
	burst   int
	idle    time.Duration
	now     func() time.Time
	buckets map[string]*bucket
	sweep   time.Time
}

type bucket struct {
	l    *rate.Limiter
	seen time.Time
}

func newLimiterSet(perSec float64, burst int, now func() time.Time) *limiterSet {
	if perSec <= 0 {
		return nil
	}
	if burst <= 0 {
		burst = max(1, int(perSec*2))
	}
	return &limiterSet{perSec: rate.Limit(perSec), burst: burst, idle: 10 * time.Minute, now: now, buckets: map[string]*bucket{}}
}

// allow takes one token for key; when none is left it returns how long to
// wait before retrying.
func (s *limiterSet) allow(key string) (bool, time.Duration) {
	if s == nil {
		return true, 0
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Sub(s.sweep) > s.idle {
		for k, b := range s.buckets {
			if now.Sub(b.seen) > s.idle {
				delete(s.buckets, k)
			}
		}
		s.sweep = now
	}
	b := s.buckets[key]
	if b == nil {
		b = &bucket{l: rate.NewLimiter(s.perSec, s.burst)}
		s.buckets[key] = b
	}
	b.seen = now
	r := b.l.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Second
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}
