package perf

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Request is one request the driver sends.
type Request struct {
	// Name labels the request in results: a fixed word such as an
	// operation id, never request content.
	Name   string
	Method string
	// Path is appended to Config.BaseURL.
	Path   string
	Header http.Header
	Body   []byte
	// Want is the expected status; any other counts as an error.
	Want int
	// Idempotent writes get a fresh Idempotency-Key header.
	Idempotent bool
}

// Source returns the i-th request of a run (i counts from 0). The driver
// calls it from one goroutine, in order.
type Source func(i int64) Request

// Config describes a run.
type Config struct {
	BaseURL  string
	Rate     float64       // requests per second, scheduled whatever the responses do
	Duration time.Duration // how long to schedule requests; Rate×Duration are sent
	Source   Source
	// Client sends the requests; nil means one of Run's own (see
	// NewClient), closed when the run ends. A client passed in keeps its
	// connections: close its idle ones when done.
	Client *http.Client
	// MaxInFlight bounds outstanding requests; a request due while that
	// many are outstanding is not sent and counts as dropped (an overload
	// the open-loop schedule could not absorb). Default 4096.
	MaxInFlight int
	// Timeout bounds each request (default 30s).
	Timeout time.Duration
	// Progress, when set, is called every Every (default 10s) from its
	// own goroutine with what the last interval saw, so a long run shows
	// when something changed instead of only how it ended.
	Progress func(Interval)
	Every    time.Duration
}

// Interval is one progress report of a run.
type Interval struct {
	Since     time.Duration // from the start of the run to the end of the interval
	Sent      int64         // requests sent during the interval
	Completed int64         // responses completed during the interval
	Errors    int64         // unexpected statuses, failures and drops during the interval
	InFlight  int64         // requests outstanding at the end of the interval
	MaxLag    time.Duration // the worst schedule lag during the interval
	// Latency of the responses completed during the interval (one
	// finishing just as the interval closes may count in the next).
	Latency *Histogram
}

// Result is what a run observed.
type Result struct {
	Sent      int64 // requests scheduled and sent
	Completed int64 // responses read whole
	Dropped   int64 // due while MaxInFlight requests were outstanding
	// Elapsed runs from the first request's due time to the last response.
	Elapsed time.Duration
	// MaxLag is the worst delay between a request's due time and the
	// moment the driver sent it (the load generator falling behind).
	MaxLag time.Duration
	// Latency is measured from each request's due time to the end of its
	// response body, for every response whatever its status.
	Latency *Histogram
	// ByName holds the latency of each request name.
	ByName map[string]*Histogram
	// ByStatus counts responses by HTTP status.
	ByStatus map[int]int64
	// Unexpected counts responses whose status was not the expected one,
	// keyed "NAME: got S, want W".
	Unexpected map[string]int64
	// Failed counts requests that got no response, keyed "NAME: timeout"
	// or "NAME: transport".
	Failed map[string]int64
}

// Errors is every request that did not end as expected: unexpected
// statuses, transport failures and drops.
func (r *Result) Errors() int64 {
	n := r.Dropped
	for _, c := range r.Unexpected {
		n += c
	}
	for _, c := range r.Failed {
		n += c
	}
	return n
}

// Throughput is completed responses per second.
func (r *Result) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Completed) / r.Elapsed.Seconds()
}

// String summarises the run on a few lines.
func (r *Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sent %d, completed %d, dropped %d, errors %d in %s (%.1f req/s); max schedule lag %s\n",
		r.Sent, r.Completed, r.Dropped, r.Errors(), r.Elapsed.Round(time.Millisecond), r.Throughput(), r.MaxLag.Round(time.Microsecond))
	fmt.Fprintf(&b, "latency p50 %s p90 %s p99 %s p99.9 %s max %s\n",
		fmtDur(r.Latency.Quantile(0.50)), fmtDur(r.Latency.Quantile(0.90)), fmtDur(r.Latency.Quantile(0.99)),
		fmtDur(r.Latency.Quantile(0.999)), fmtDur(r.Latency.Max()))
	statuses := make([]int, 0, len(r.ByStatus))
	for s := range r.ByStatus {
		statuses = append(statuses, s)
	}
	sort.Ints(statuses)
	b.WriteString("statuses:")
	for _, s := range statuses {
		fmt.Fprintf(&b, " %d×%d", s, r.ByStatus[s])
	}
	b.WriteByte('\n')
	for _, m := range []map[string]int64{r.Unexpected, r.Failed} {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "error: %s (%d)\n", k, m[k])
		}
	}
	return b.String()
}

// Table lists each request name with its count and latency quantiles.
func (r *Result) Table() string {
	names := make([]string, 0, len(r.ByName))
	for n := range r.ByName {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "%-48s %7s %9s %9s %9s\n", "request", "count", "p50", "p90", "p99")
	for _, n := range names {
		h := r.ByName[n]
		fmt.Fprintf(&b, "%-48s %7d %9s %9s %9s\n", n, h.Count(), fmtDur(h.Quantile(0.5)), fmtDur(h.Quantile(0.9)), fmtDur(h.Quantile(0.99)))
	}
	return b.String()
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.0fµs", float64(d)/1e3)
	}
}

// NewClient is an HTTP client for a run of up to conns concurrent
// requests to one host: that many idle connections are kept, so a steady
// rate reuses connections instead of opening one per request.
func NewClient(conns int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = conns
	t.MaxIdleConnsPerHost = conns
	t.IdleConnTimeout = 30 * time.Second
	return &http.Client{Transport: t}
}

// Run drives cfg.Source at cfg.Rate for cfg.Duration and waits for every
// response. It returns early, with what it saw so far, when ctx ends.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	switch {
	case cfg.Rate <= 0:
		return nil, errors.New("perf: rate must be positive")
	case cfg.Duration <= 0:
		return nil, errors.New("perf: duration must be positive")
	case cfg.Source == nil:
		return nil, errors.New("perf: a request source is required")
	case cfg.BaseURL == "":
		return nil, errors.New("perf: a base URL is required")
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 4096
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	client := cfg.Client
	if client == nil {
		client = NewClient(min(cfg.MaxInFlight, 512))
		defer client.CloseIdleConnections()
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	total := int64(cfg.Duration.Seconds() * cfg.Rate)
	step := float64(time.Second) / cfg.Rate

	var (
		sent, errs, failed atomic.Int64
		lag                atomic.Int64 // worst schedule lag of the interval
		interval           atomic.Pointer[Histogram]
		mu                 sync.Mutex
		res                = &Result{Latency: &Histogram{}, ByName: map[string]*Histogram{}, ByStatus: map[int]int64{},
			Unexpected: map[string]int64{}, Failed: map[string]int64{}}
		completed atomic.Int64
		wg        sync.WaitGroup
	)
	byName := func(name string) *Histogram {
		mu.Lock()
		defer mu.Unlock()
		h := res.ByName[name]
		if h == nil {
			h = &Histogram{}
			res.ByName[name] = h
		}
		return h
	}
	count := func(m map[string]int64, key string) {
		errs.Add(1)
		mu.Lock()
		m[key]++
		mu.Unlock()
	}
	interval.Store(&Histogram{})
	slots := make(chan struct{}, cfg.MaxInFlight)
	timer := time.NewTimer(0)
	<-timer.C
	start := time.Now()
	if cfg.Progress != nil {
		every := cfg.Every
		if every <= 0 {
			every = 10 * time.Second
		}
		stop := make(chan struct{})
		reported := make(chan struct{})
		defer func() { close(stop); <-reported }()
		go func() {
			defer close(reported)
			tick := time.NewTicker(every)
			defer tick.Stop()
			var lastSent, lastDone, lastErrs int64
			for {
				select {
				case <-tick.C:
				case <-stop:
					return
				}
				h := interval.Swap(&Histogram{})
				s, c, e := sent.Load(), completed.Load(), errs.Load()
				cfg.Progress(Interval{Since: time.Since(start), Sent: s - lastSent, Completed: c - lastDone,
					Errors: e - lastErrs, InFlight: s - c - failed.Load(), MaxLag: time.Duration(lag.Swap(0)), Latency: h})
				lastSent, lastDone, lastErrs = s, c, e
			}
		}()
	}
	var err error
schedule:
	for i := int64(0); i < total; i++ {
		due := start.Add(time.Duration(float64(i) * step))
		if wait := time.Until(due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
				timer.Stop()
				err = ctx.Err()
				break schedule
			}
		} else if ctx.Err() != nil {
			err = ctx.Err()
			break
		}
		late := time.Since(due)
		res.MaxLag = max(res.MaxLag, late)
		for {
			old := lag.Load()
			if int64(late) <= old || lag.CompareAndSwap(old, int64(late)) {
				break
			}
		}
		req := cfg.Source(i)
		select {
		case slots <- struct{}{}:
		default:
			res.Dropped++
			errs.Add(1)
			continue
		}
		res.Sent++
		sent.Add(1)
		h := byName(req.Name)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			status, ferr := send(ctx, client, base, req, cfg.Timeout)
			switch {
			case ferr != nil:
				kind := "transport"
				if errors.Is(ferr, context.DeadlineExceeded) {
					kind = "timeout"
				}
				failed.Add(1)
				count(res.Failed, req.Name+": "+kind)
				return
			case status != req.Want:
				count(res.Unexpected, fmt.Sprintf("%s: got %d, want %d", req.Name, status, req.Want))
			}
			d := time.Since(due)
			res.Latency.Record(d)
			h.Record(d)
			interval.Load().Record(d)
			completed.Add(1)
			mu.Lock()
			res.ByStatus[status]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.Completed = completed.Load()
	return res, err
}

// send performs one request and reads its response whole.
func send(ctx context.Context, client *http.Client, base string, r Request, timeout time.Duration) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, base+r.Path, body)
	if err != nil {
		return 0, err
	}
	for k, vs := range r.Header {
		req.Header[k] = vs
	}
	if r.Body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.Idempotent {
		req.Header.Set("Idempotency-Key", newKey())
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}

func newKey() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "perf-" + hex.EncodeToString(b[:])
}
