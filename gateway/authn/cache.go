package authn

import (
	"crypto/sha256"
	"slices"
	"sync"
	"time"
)

// DefaultCacheSize is how many verified assertions a Verifier remembers.
const DefaultCacheSize = 10_000

// verifiedCache remembers assertions that verified, keyed by the SHA-256
// of the exact token bytes, so an expert's next request with the same
// assertion skips the signature check and the claim parsing. An entry is
// used only while the key set that verified it is still the one in use
// (any reload or JWKS fetch empties the cache in effect) and only until the
// assertion's exp (plus the clock skew); past that the full check runs and
// refuses it. Failures are never cached.
//
// It holds at most max entries in two generations: when the current one is
// full it becomes the previous one and the one before is dropped, so
// recently used assertions stay and memory is bounded without bookkeeping.
type verifiedCache struct {
	max int

	mu       sync.Mutex
	cur, old map[[sha256.Size]byte]cachedPrincipal
}

type cachedPrincipal struct {
	p    Principal
	keys *keySet
}

func newVerifiedCache(size int) *verifiedCache {
	if size < 0 {
		return nil
	}
	if size == 0 {
		size = DefaultCacheSize
	}
	half := max(size/2, 1)
	return &verifiedCache{max: half, cur: make(map[[sha256.Size]byte]cachedPrincipal, half)}
}

// get returns the principal remembered for the token hash, when it was
// verified by keys and has not expired at now (with skew).
func (c *verifiedCache) get(h [sha256.Size]byte, keys *keySet, now time.Time, skew time.Duration) (Principal, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.cur[h]
	if !ok {
		if e, ok = c.old[h]; ok {
			delete(c.old, h)
			c.putLocked(h, e)
		}
	}
	if !ok {
		return Principal{}, false
	}
	if e.keys != keys || !now.Before(e.p.Expiry.Add(skew)) {
		delete(c.cur, h)
		return Principal{}, false
	}
	return clonePrincipal(e.p), true
}

func (c *verifiedCache) put(h [sha256.Size]byte, p Principal, keys *keySet) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(h, cachedPrincipal{p: clonePrincipal(p), keys: keys})
}

func (c *verifiedCache) putLocked(h [sha256.Size]byte, e cachedPrincipal) {
	if len(c.cur) >= c.max {
		c.old, c.cur = c.cur, make(map[[sha256.Size]byte]cachedPrincipal, c.max)
	}
	c.cur[h] = e
}

func (c *verifiedCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.cur) + len(c.old)
}

// clonePrincipal copies the slices, so no caller can change what the cache
// hands to the next one.
func clonePrincipal(p Principal) Principal {
	p.AMR = slices.Clone(p.AMR)
	p.Clients = slices.Clone(p.Clients)
	return p
}
