package perf

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// Histogram counts durations in logarithmic buckets: exact below 64 ns,
// then 32 buckets per power of two, so a quantile is within about 1.6 % of
// the true value. Its memory is fixed (about 15 KiB) however long a run
// lasts, which keeps a long soak from measuring its own growth. Record is
// safe for concurrent use; read it once the writers are done.
type Histogram struct {
	counts [nBuckets]atomic.Uint64
	n      atomic.Uint64
	sum    atomic.Uint64 // nanoseconds
	min    atomic.Uint64 // nanoseconds + 1 (0 = none yet)
	max    atomic.Uint64 // nanoseconds
}

const (
	subBits  = 6
	subCount = 1 << subBits // exact values below this
	half     = subCount / 2
	nBuckets = subCount + (64-subBits)*half
)

// bucketOf maps a value to its bucket.
func bucketOf(v uint64) int {
	if v < subCount {
		return int(v)
	}
	shift := bits.Len64(v) - subBits // >= 1
	m := v >> shift                  // in [half, subCount)
	return subCount + (shift-1)*half + int(m-half)
}

// bounds are the smallest and largest values of bucket i.
func bounds(i int) (lo, hi uint64) {
	if i < subCount {
		return uint64(i), uint64(i)
	}
	shift := (i-subCount)/half + 1
	m := uint64((i-subCount)%half + half)
	lo = m << shift
	return lo, lo + (1 << shift) - 1
}

// Record adds one duration (negative ones count as zero).
func (h *Histogram) Record(d time.Duration) {
	v := uint64(max(d, 0))
	h.counts[bucketOf(v)].Add(1)
	h.n.Add(1)
	h.sum.Add(v)
	for {
		old := h.min.Load()
		if old != 0 && old-1 <= v || h.min.CompareAndSwap(old, v+1) {
			break
		}
	}
	for {
		old := h.max.Load()
		if old >= v || h.max.CompareAndSwap(old, v) {
			break
		}
	}
}

// Merge adds o's counts to h.
func (h *Histogram) Merge(o *Histogram) {
	for i := range o.counts {
		if c := o.counts[i].Load(); c > 0 {
			h.counts[i].Add(c)
		}
	}
	h.n.Add(o.n.Load())
	h.sum.Add(o.sum.Load())
	if m := o.min.Load(); m != 0 {
		for {
			old := h.min.Load()
			if old != 0 && old <= m || h.min.CompareAndSwap(old, m) {
				break
			}
		}
	}
	if m := o.max.Load(); m > 0 {
		for {
			old := h.max.Load()
			if old >= m || h.max.CompareAndSwap(old, m) {
				break
			}
		}
	}
}

// Count is the number of recorded durations.
func (h *Histogram) Count() uint64 { return h.n.Load() }

// Mean is the average duration (0 when empty).
func (h *Histogram) Mean() time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	return time.Duration(h.sum.Load() / n)
}

// Min and Max are exact.
func (h *Histogram) Min() time.Duration {
	if m := h.min.Load(); m > 0 {
		return time.Duration(m - 1)
	}
	return 0
}

// Max is the longest duration recorded.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max.Load()) }

// Quantile returns the duration below which a fraction q (0..1) of the
// recordings fall: the middle of the bucket holding that rank, clamped to
// the exact minimum and maximum.
func (h *Histogram) Quantile(q float64) time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	q = min(max(q, 0), 1)
	rank := uint64(math.Ceil(q * float64(n)))
	rank = max(rank, 1)
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			lo, hi := bounds(i)
			v := time.Duration(lo + (hi-lo)/2)
			return min(max(v, h.Min()), h.Max())
		}
	}
	return h.Max()
}
