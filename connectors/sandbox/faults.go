package sandbox

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// Fault is one kind of misbehaviour a sandbox can put on its API responses.
type Fault string

const (
	// ServerError answers with a 5xx in the vendor's format.
	ServerError Fault = "server_error"
	// RateLimit answers as the vendor does when a limit is hit (429 with
	// Retry-After; Salesforce: 403 REQUEST_LIMIT_EXCEEDED; Shopify GraphQL:
	// 200 with a THROTTLED error).
	RateLimit Fault = "rate_limit"
	// Unauthorized rejects the presented access token as expired (the
	// client must fetch a new one).
	Unauthorized Fault = "unauthorized"
	// Malformed answers 200 with a body that is not valid JSON (truncated).
	Malformed Fault = "malformed"
	// Oversized answers 200 with a body far larger than any real record.
	Oversized Fault = "oversized"
	// Hang holds the request until the client gives up (a timeout).
	Hang Fault = "hang"
)

// Faults are the knobs of one sandbox. The zero value is usable and
// injects nothing. Safe for concurrent use.
type Faults struct {
	mu         sync.Mutex
	queued     []Fault
	latency    time.Duration
	errorRate  float64
	retryAfter time.Duration
}

// Inject queues n occurrences of a fault for the next API requests.
func (f *Faults) Inject(kind Fault, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := 0; i < n; i++ {
		f.queued = append(f.queued, kind)
	}
}

// SetLatency delays every API response.
func (f *Faults) SetLatency(d time.Duration) {
	f.mu.Lock()
	f.latency = d
	f.mu.Unlock()
}

// SetErrorRate makes a fraction p (0..1) of API requests fail with ServerError.
func (f *Faults) SetErrorRate(p float64) {
	f.mu.Lock()
	f.errorRate = p
	f.mu.Unlock()
}

// SetRetryAfter sets the wait rate-limit responses announce (default 1s).
func (f *Faults) SetRetryAfter(d time.Duration) {
	f.mu.Lock()
	f.retryAfter = d
	f.mu.Unlock()
}

// RetryAfter is the wait rate-limit responses announce.
func (f *Faults) RetryAfter() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.retryAfter <= 0 {
		return time.Second
	}
	return f.retryAfter
}

// Reset clears every knob.
func (f *Faults) Reset() {
	f.mu.Lock()
	f.queued, f.latency, f.errorRate, f.retryAfter = nil, 0, 0, 0
	f.mu.Unlock()
}

// Next is called by a sandbox at the start of each API request (not token
// requests). It sleeps for the configured latency (returning early if the
// request is cancelled) and returns the fault to apply, if any.
func (f *Faults) Next(r *http.Request) (Fault, bool) {
	f.mu.Lock()
	lat, rate := f.latency, f.errorRate
	var kind Fault
	if len(f.queued) > 0 {
		kind = f.queued[0]
		f.queued = f.queued[1:]
	}
	f.mu.Unlock()
	if lat > 0 {
		t := time.NewTimer(lat)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
	}
	if kind != "" {
		return kind, true
	}
	if rate > 0 && rand.Float64() < rate {
		return ServerError, true
	}
	return "", false
}

// Pending reports how many queued faults have not fired yet.
func (f *Faults) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.queued)
}

// HangUntilDone blocks until the request is cancelled or max passes, for
// the Hang fault.
func HangUntilDone(r *http.Request, max time.Duration) {
	t := time.NewTimer(max)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	}
}

// ControlHandler serves the knobs over HTTP for tests driven from outside
// and for `cxgate dev` (mounted at /_sandbox/faults):
//
//	POST   {"inject":"rate_limit","count":3,"latency":"200ms","error_rate":0.1,"retry_after":"2s"}
//	DELETE resets every knob.
func (f *Faults) ControlHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodDelete:
			f.Reset()
			w.WriteHeader(http.StatusNoContent)
		case http.MethodPost:
			var req struct {
				Inject     Fault   `json:"inject"`
				Count      int     `json:"count"`
				Latency    string  `json:"latency"`
				ErrorRate  float64 `json:"error_rate"`
				RetryAfter string  `json:"retry_after"`
			}
			dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&req); err != nil {
				http.Error(w, "bad fault request: "+err.Error(), http.StatusBadRequest)
				return
			}
			if err := f.apply(req.Inject, req.Count, req.Latency, req.ErrorRate, req.RetryAfter); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		default:
			w.Header().Set("Allow", "POST, DELETE")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		}
	})
}

func (f *Faults) apply(kind Fault, count int, latency string, rate float64, retryAfter string) error {
	switch kind {
	case "", ServerError, RateLimit, Unauthorized, Malformed, Oversized, Hang:
	default:
		return fmt.Errorf("unknown fault %q", kind)
	}
	if kind != "" {
		if count <= 0 {
			count = 1
		}
		f.Inject(kind, count)
	}
	if latency != "" {
		d, err := time.ParseDuration(latency)
		if err != nil || d < 0 {
			return fmt.Errorf("bad latency %q", latency)
		}
		f.SetLatency(d)
	}
	if rate < 0 || rate > 1 {
		return fmt.Errorf("error_rate must be within 0..1")
	}
	if rate > 0 {
		f.SetErrorRate(rate)
	}
	if retryAfter != "" {
		d, err := time.ParseDuration(retryAfter)
		if err != nil || d < 0 {
			return fmt.Errorf("bad retry_after %q", retryAfter)
		}
		f.SetRetryAfter(d)
	}
	return nil
}
