package gateway

import (
	"context"
	"errors"
	"sync"
	"time"
)

// idempotency remembers the outcome of write requests by Idempotency-Key so
// that a retried write (same expert, client, inquiry, operation and key) is
// answered from memory instead of writing to the CRM twice. A retry that
// arrives while the first attempt is still running waits for it. The same
// key with a different request body is a conflict (409).
//
// The store is per process: behind a load balancer, route an expert's
// writes to one replica or accept at-most-once per replica (docs/operations.md).
type idempotency struct {
	mu      sync.Mutex
	ttl     time.Duration
	max     int
	now     func() time.Time
	entries map[string]*idemEntry
}

type idemEntry struct {
	fingerprint string
	done        chan struct{} // closed when the first attempt finished
	status      int
	body        []byte
	header      map[string]string
	expires     time.Time
	failed      bool // the first attempt did not reach a stable outcome: let a retry run
}

func newIdempotency(ttl time.Duration, max int, now func() time.Time) *idempotency {
	return &idempotency{ttl: ttl, max: max, now: now, entries: map[string]*idemEntry{}}
}

// errIdemConflict: the key was used for another request. A plain error,
// not a shared *Problem: the handler stamps each problem with its request
// id, which must not write to a value other requests share.
var errIdemConflict = errors.New("idempotency key reused for a different request")

// begin claims key for a request with this fingerprint. It returns a stored
// entry to replay (replay != nil), or a finish function the caller must call
// with the outcome once it has one.
func (s *idempotency) begin(ctx context.Context, key, fingerprint string) (replay *idemEntry, finish func(status int, body []byte, header map[string]string, stable bool), err error) {
	for {
		s.mu.Lock()
		now := s.now()
		e := s.entries[key]
		if e != nil && e.expires.Before(now) && isClosed(e.done) {
			delete(s.entries, key)
			e = nil
		}
		if e == nil {
			if len(s.entries) >= s.max {
				s.evict(now)
			}
			e = &idemEntry{fingerprint: fingerprint, done: make(chan struct{}), expires: now.Add(s.ttl)}
			s.entries[key] = e
			s.mu.Unlock()
			return nil, func(status int, body []byte, header map[string]string, stable bool) {
				s.mu.Lock()
				e.status, e.body, e.header = status, body, header
				e.failed = !stable
				if !stable {
					delete(s.entries, key)
				}
				s.mu.Unlock()
				close(e.done)
			}, nil
		}
		s.mu.Unlock()
		if e.fingerprint != fingerprint {
			return nil, nil, errIdemConflict
		}
		select {
		case <-e.done:
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
		if !e.failed {
			return e, nil, nil
		}
		// The first attempt ended without a stable outcome; try to claim again.
	}
}

// evict drops expired entries, then the oldest finished ones, until there is room.
func (s *idempotency) evict(now time.Time) {
	for k, e := range s.entries {
		if e.expires.Before(now) && isClosed(e.done) {
			delete(s.entries, k)
		}
	}
	for len(s.entries) >= s.max {
		var oldest string
		var at time.Time
		for k, e := range s.entries {
			if isClosed(e.done) && (oldest == "" || e.expires.Before(at)) {
				oldest, at = k, e.expires
			}
		}
		if oldest == "" {
			return // all in flight; grow past max rather than break a running write
		}
		delete(s.entries, oldest)
	}
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
