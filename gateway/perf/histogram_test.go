package perf

import (
	"math/rand/v2"
	"sort"
	"sync"
	"testing"
	"time"
)

func TestBuckets(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	prev := -1
	for _, v := range []uint64{0, 1, 63, 64, 65, 127, 128, 1000, 1 << 40, 1<<63 + 12345, ^uint64(0)} {
		i := bucketOf(v)
		lo, hi := bounds(i)
		if v < lo || v > hi {
			t.Errorf("value %d in bucket %d [%d, %d]", v, i, lo, hi)
		}
		if i < prev {
			t.Errorf("bucket of %d (%d) comes before the previous value's (%d)", v, i, prev)
		}
		prev = i
		if i >= nBuckets {
			t.Errorf("bucket %d of %d out of range", i, v)
		}
	}
	for range 100000 {
		v := rng.Uint64() >> rng.IntN(64)
		lo, hi := bounds(bucketOf(v))
		if v < lo || v > hi {
			t.Fatalf("value %d in bucket [%d, %d]", v, lo, hi)
		}
		if v >= subCount && float64(hi-lo) > float64(lo)/float64(half) {
			t.Fatalf("bucket [%d, %d] is wider than 1/%d of its start", lo, hi, half)
		}
	}
}

func TestHistogramQuantiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	cases := []struct {
		name string
		gen  func() time.Duration
	}{
		{"uniform 1µs-100ms", func() time.Duration { return time.Microsecond + time.Duration(rng.Int64N(int64(100*time.Millisecond))) }},
		{"exponential mean 2ms", func() time.Duration { return time.Duration(rng.ExpFloat64() * float64(2*time.Millisecond)) }},
		{"bimodal 1ms and 1s", func() time.Duration {
			if rng.IntN(100) < 97 {
				return time.Millisecond + time.Duration(rng.IntN(1000))
			}
			return time.Second + time.Duration(rng.IntN(1000))
		}},
		{"tiny exact values", func() time.Duration { return time.Duration(rng.IntN(64)) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var h Histogram
			vals := make([]time.Duration, 50000)
			var sum time.Duration
			for i := range vals {
				vals[i] = c.gen()
				sum += vals[i]
				h.Record(vals[i])
			}
			sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
			if h.Count() != uint64(len(vals)) {
				t.Errorf("count %d", h.Count())
			}
			if h.Min() != vals[0] || h.Max() != vals[len(vals)-1] {
				t.Errorf("min %s max %s, want %s and %s", h.Min(), h.Max(), vals[0], vals[len(vals)-1])
			}
			if want := sum / time.Duration(len(vals)); h.Mean() != want {
				t.Errorf("mean %s, want %s", h.Mean(), want)
			}
			for _, q := range []float64{0, 0.01, 0.5, 0.9, 0.99, 0.999, 1} {
				idx := max(0, int(q*float64(len(vals))+0.999999)-1)
				exact := vals[idx]
				got := h.Quantile(q)
				if diff := float64(got - exact); diff > float64(exact)/float64(half)+1 || -diff > float64(exact)/float64(half)+1 {
					t.Errorf("q%.3f = %s, exact %s", q, got, exact)
				}
			}
		})
	}
}

func TestHistogramMergeAndConcurrency(t *testing.T) {
	var a, b, all Histogram
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				d := time.Duration(g*1000+i) * time.Microsecond
				if g%2 == 0 {
					a.Record(d)
				} else {
					b.Record(d)
				}
				all.Record(d)
			}
		})
	}
	wg.Wait()
	var m Histogram
	m.Merge(&a)
	m.Merge(&b)
	if m.Count() != 8000 || all.Count() != 8000 {
		t.Fatalf("counts %d and %d, want 8000", m.Count(), all.Count())
	}
	for _, q := range []float64{0.1, 0.5, 0.99} {
		if m.Quantile(q) != all.Quantile(q) {
			t.Errorf("q%.2f: merged %s, direct %s", q, m.Quantile(q), all.Quantile(q))
		}
	}
	if m.Min() != 0 || m.Max() != 7999*time.Microsecond || m.Mean() != all.Mean() {
		t.Errorf("merged min %s max %s mean %s", m.Min(), m.Max(), m.Mean())
	}
	var empty Histogram
	if empty.Quantile(0.5) != 0 || empty.Mean() != 0 || empty.Min() != 0 || empty.Max() != 0 {
		t.Error("an empty histogram reports values")
	}
	empty.Record(-time.Second)
	if empty.Max() != 0 || empty.Count() != 1 {
		t.Errorf("a negative duration counts as zero: max %s", empty.Max())
	}
}
