package perf

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Proc is a snapshot of this process.
type Proc struct {
	RSS        int64  // resident set size in bytes (/proc/self/statm)
	Goroutines int    // runtime.NumGoroutine
	HeapInuse  uint64 // bytes in in-use heap spans (runtime.MemStats)
	HeapAlloc  uint64 // bytes of allocated heap objects: after a GC, the live heap
	// CPU is the processor time the process has used (user + system).
	CPU time.Duration
}

// ReadProc takes a snapshot. With gc it first runs two garbage
// collections (the second empties what sync.Pools kept through the
// first), so the heap figures count live data, not garbage or pooled
// buffers. RSS and CPU need Linux's /proc and getrusage; elsewhere they
// are an error.
func ReadProc(gc bool) (Proc, error) {
	if gc {
		runtime.GC()
		runtime.GC()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	p := Proc{Goroutines: runtime.NumGoroutine(), HeapInuse: ms.HeapInuse, HeapAlloc: ms.HeapAlloc}
	p.CPU = cpuTime()
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return p, fmt.Errorf("resident set size: %w", err)
	}
	rss, err := parseStatm(string(b))
	if err != nil {
		return p, err
	}
	p.RSS = rss * int64(os.Getpagesize())
	return p, nil
}

// parseStatm returns the resident page count: statm's second field
// ("size resident shared text lib data dt", in pages).
func parseStatm(s string) (int64, error) {
	f := strings.Fields(s)
	if len(f) < 2 {
		return 0, fmt.Errorf("resident set size: /proc/self/statm has %d fields", len(f))
	}
	n, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("resident set size: /proc/self/statm field %q is not a page count", f[1])
	}
	return n, nil
}

// MiB formats a byte count.
func MiB(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
