// Package perf measures cxgate under load: an open-loop load driver
// (Run), a latency histogram with fixed memory (Histogram), process
// figures read from /proc (ReadProc) and a mix of expert requests against
// the `cxgate dev` wiring (DevMix).
//
// The driver is open loop: it schedules requests at a fixed rate whatever
// the responses do, and measures each latency from the time the request
// was due, not from when it was sent, so a stalled gateway shows up as
// latency instead of silently lowering the rate (coordinated omission).
//
// The benchmarks (bench_test.go) compare a request through cxgate with the
// same upstream request through a bare httputil.ReverseProxy in one run;
// TestSoak drives the dev wiring at a fixed rate for a minute and checks
// errors, goroutines, memory and the audit chain. docs/performance.md
// holds the numbers and the commands that produce them.
package perf
