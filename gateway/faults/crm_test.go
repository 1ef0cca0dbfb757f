package faults

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/cxgate/cxgate/connectors/sandbox"
	"github.com/cxgate/cxgate/gateway/dev"
)

// crm is one CRM system under test: its connection and the scenario call.
type crm struct {
	conn string
	call string
}

var crms = []crm{
	{shopifyConn, mainCall[shopifyConn]},
	{zendeskConn, mainCall[zendeskConn]},
	{salesforceConn, mainCall[salesforceConn]},
}

// crmSystem starts a system for a CRM scenario: the short breaker, a
// per-call timeout of timeout and the wire middleware.
func crmSystem(t *testing.T, timeout time.Duration) (*fixture, *wire) {
	t.Helper()
	w := newWire()
	f := startSystem(t, dev.Options{Wrap: shortBreaker, Configure: connTimeout(timeout), SandboxMiddleware: w.middleware})
	return f, w
}

// forEachCRM runs a scenario once per CRM, each in a fresh system, the
// three in parallel; the goroutine count is compared before the three start
// and after all three have closed.
func forEachCRM(t *testing.T, timeout time.Duration, scenario func(t *testing.T, f *fixture, w *wire, c crm)) {
	checkGoroutines(t)
	for _, c := range crms {
		t.Run(c.conn, func(t *testing.T) {
			t.Parallel()
			f, w := crmSystem(t, timeout)
			f.want(c.call, "ok") // a healthy start (and a token fetched)
			scenario(t, f, w, c)
		})
	}
}

// TestCRM5xxStorm: every request of the sandbox fails with a 5xx. Each
// expert request is retried by the HTTP client and then counts as one
// breaker failure; after 3 the breaker opens and requests fail fast without
// reaching the sandbox; after the open period one probe goes through (and
// reopens the breaker while the storm lasts); once the sandbox heals the
// next probe closes the breaker by itself.
func TestCRM5xxStorm(t *testing.T) {
	forEachCRM(t, 5*time.Second, func(t *testing.T, f *fixture, w *wire, c crm) {
		fl := f.faults(c.conn)
		fl.SetErrorRate(1)
		var opening time.Time // the start of the request that opened the breaker
		for i := 0; f.breaker(c.conn) == "closed"; i++ {
			if i == 10 {
				t.Fatalf("the breaker is still closed after %d failed requests", i)
			}
			opening = time.Now()
			f.want(c.call, "upstream_unavailable")
		}
		if got := f.breaker(c.conn); got != "open" {
			t.Fatalf("breaker %s, want open", got)
		}
		// One CRM's open breaker degrades the replica but keeps it in
		// the load balancer (every replica shares that CRM).
		if r := f.ready(); r.code != 200 || r.Status != "degraded" || r.Checks["connection "+c.conn] != "circuit breaker open" {
			t.Errorf("/readyz with the breaker open: %d %q %v, want 200 degraded naming the connection", r.code, r.Status, r.Checks)
		}

		// Open: fail fast, nothing reaches the sandbox.
		f.clearCalls(c.conn)
		for i := 0; i < 3; i++ {
			f.want(c.call, "upstream_unavailable")
		}
		switch n := f.apiCalls(c.conn); {
		case time.Since(opening) >= shortBreaker.BreakerOpenFor:
			// The open period may have ended meanwhile (a very slow
			// machine): a probe may have gone through, so the count
			// proves nothing either way.
			t.Logf("the fail-fast check took longer than the open period; %d calls not judged", n)
		case n != 0:
			t.Errorf("%d requests reached the sandbox while the breaker was open", n)
		}

		// Half-open while the storm lasts: the probe reaches the sandbox,
		// fails, and the breaker opens again.
		eventually(t, "the breaker to let a probe through", 10*time.Second, func() bool { return f.breaker(c.conn) == "half-open" })
		f.want(c.call, "upstream_unavailable")
		if n := f.apiCalls(c.conn); n == 0 {
			t.Error("the half-open probe did not reach the sandbox")
		}
		if got := f.breaker(c.conn); got != "open" {
			t.Errorf("after a failed probe the breaker is %s, want open", got)
		}

		// The sandbox heals: the next probe closes the breaker.
		fl.SetErrorRate(0)
		eventually(t, "the breaker to let a probe through", 10*time.Second, func() bool { return f.breaker(c.conn) == "half-open" })
		f.want(c.call, "ok")
		if got := f.breaker(c.conn); got != "closed" {
			t.Errorf("after a good probe the breaker is %s, want closed", got)
		}
		f.wantReady(200, "ready")
		f.want(c.call, "ok")
	})
}

// TestCRMRateLimit: 429 bursts with Retry-After (Salesforce: 403
// REQUEST_LIMIT_EXCEEDED; Shopify GraphQL: 200 THROTTLED).
func TestCRMRateLimit(t *testing.T) {
	t.Run("short wait is retried", func(t *testing.T) {
		forEachCRM(t, 5*time.Second, func(t *testing.T, f *fixture, w *wire, c crm) {
			fl := f.faults(c.conn)
			fl.SetRetryAfter(time.Second)
			fl.Inject(sandbox.RateLimit, 1)
			f.clearCalls(c.conn)
			r := f.run(c.call)
			t.Logf("%s: %v after %d API calls", c.conn, r, f.apiCalls(c.conn))
			if c.conn == salesforceConn {
				// REQUEST_LIMIT_EXCEEDED is the daily allowance: not retried.
				checkRateLimited(t, r, 1)
				return
			}
			if r.code() != "ok" || f.apiCalls(c.conn) != 2 {
				t.Errorf("got %v after %d API calls, want ok after 2 (one retry)", r, f.apiCalls(c.conn))
			}
		})
	})
	t.Run("long wait is handed to the expert", func(t *testing.T) {
		forEachCRM(t, 5*time.Second, func(t *testing.T, f *fixture, w *wire, c crm) {
			fl := f.faults(c.conn)
			fl.SetRetryAfter(6 * time.Second) // past the HTTP client's longest wait (5s)
			fl.Inject(sandbox.RateLimit, 1)
			f.clearCalls(c.conn)
			r := f.run(c.call)
			t.Logf("%s: %v Retry-After %q after %d API calls", c.conn, r, r.header.Get("Retry-After"), f.apiCalls(c.conn))
			if c.conn == shopifyConn {
				// Shopify's GraphQL throttle names no wait of its own: the
				// wait is the cost bucket's time to restore this query's
				// cost (about a second), so it is always retried.
				if r.code() != "ok" || f.apiCalls(c.conn) != 2 {
					t.Errorf("got %v after %d API calls, want ok after 2 (one retry)", r, f.apiCalls(c.conn))
				}
				return
			}
			checkRateLimited(t, r, 6)
			if n := f.apiCalls(c.conn); n != 1 {
				t.Errorf("%d API calls, want 1 (no retry past the client's longest wait)", n)
			}
			if c.conn == zendeskConn {
				// The Zendesk connector waits the announced time out
				// locally: no request reaches Zendesk meanwhile.
				checkRateLimited(t, f.run(c.call), 1)
				if n := f.apiCalls(c.conn); n != 1 {
					t.Errorf("%d API calls during the announced wait, want none after the first", n-1)
				}
			}
			eventually(t, "the rate limit to pass", 15*time.Second, func() bool { return f.run(c.call).code() == "ok" })
		})
	})
	t.Run("burst outlasts the retries", func(t *testing.T) {
		forEachCRM(t, 5*time.Second, func(t *testing.T, f *fixture, w *wire, c crm) {
			fl := f.faults(c.conn)
			fl.SetRetryAfter(time.Second)
			fl.Inject(sandbox.RateLimit, 3)
			f.clearCalls(c.conn)
			r := f.run(c.call)
			t.Logf("%s: %v Retry-After %q after %d API calls", c.conn, r, r.header.Get("Retry-After"), f.apiCalls(c.conn))
			checkRateLimited(t, r, 1)
			want := 3 // the first attempt and two retries, all refused
			if c.conn == salesforceConn {
				want = 1
			}
			if n := f.apiCalls(c.conn); n != want {
				t.Errorf("%d API calls, want %d", n, want)
			}
			fl.Reset()
			eventually(t, "the rate limit to pass", 15*time.Second, func() bool { return f.run(c.call).code() == "ok" })
		})
	})
}

// checkRateLimited wants a 429 rate_limited with a Retry-After of at least min seconds.
func checkRateLimited(t *testing.T, r result, min int) {
	t.Helper()
	if r.code() != "rate_limited" {
		t.Errorf("got %v, want rate_limited", r)
		return
	}
	secs, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || secs < min {
		t.Errorf("Retry-After %q, want at least %d seconds", r.header.Get("Retry-After"), min)
	}
}

// TestCRMHang: the sandbox holds the request. The expert gets
// upstream_unavailable once the connection's timeout passes, the hung
// request is abandoned (no goroutine left), and the next request works.
func TestCRMHang(t *testing.T) {
	forEachCRM(t, time.Second, func(t *testing.T, f *fixture, w *wire, c crm) {
		f.faults(c.conn).Inject(sandbox.Hang, 1)
		f.want(c.call, "upstream_unavailable")
		f.want(c.call, "ok")
	})
}

// TestCRMBadBodies: answers cxgate cannot use fail closed with
// upstream_error and do not open the breaker (the upstream answered).
func TestCRMBadBodies(t *testing.T) {
	cases := []struct {
		name  string
		fault sandbox.Fault
	}{
		{"malformed", sandbox.Malformed},
		{"oversized", sandbox.Oversized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			forEachCRM(t, 5*time.Second, func(t *testing.T, f *fixture, w *wire, c crm) {
				f.faults(c.conn).Inject(tc.fault, 4)
				for i := 0; i < 4; i++ {
					f.want(c.call, "upstream_error")
				}
				if got := f.breaker(c.conn); got != "closed" {
					t.Errorf("breaker %s after unusable answers, want closed", got)
				}
				f.want(c.call, "ok")
			})
		})
	}
}

// TestCRMWire: bodies spoiled on the wire.
func TestCRMWire(t *testing.T) {
	t.Run("gzip", func(t *testing.T) {
		forEachCRM(t, 5*time.Second, func(t *testing.T, f *fixture, w *wire, c crm) {
			plain := f.want(c.call, "ok")
			w.set(c.conn, wireGzip, -1)
			zipped := f.want(c.call, "ok")
			if !sameData(t, plain.body, zipped.body) {
				t.Errorf("a gzip answer gives other data:\n%s\n%s", plain.body, zipped.body)
			}
			t.Logf("%s: the connector offered gzip: %v", c.conn, w.askedGzip(c.conn))
		})
	})
	for _, tc := range []struct {
		name  string
		fault wireFault
	}{
		{"gzip header over plain JSON", wireGzipNotGzip},
		{"gzip with a bad checksum", wireGzipChecksum},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forEachCRM(t, 5*time.Second, func(t *testing.T, f *fixture, w *wire, c crm) {
				w.set(c.conn, tc.fault, -1)
				f.clearCalls(c.conn)
				f.want(c.call, "upstream_error")
				if n := f.apiCalls(c.conn); n != 1 {
					t.Errorf("%d API calls, want 1 (an answer that does not decode is not retried)", n)
				}
				w.set(c.conn, wireNone, 0)
				f.want(c.call, "ok")
			})
		})
	}
	t.Run("gzip stream cut short", func(t *testing.T) {
		// A gzip stream that ends early reads like a body cut short in
		// transit (io.ErrUnexpectedEOF): retried, then upstream_unavailable.
		forEachCRM(t, 5*time.Second, func(t *testing.T, f *fixture, w *wire, c crm) {
			w.set(c.conn, wireGzipCut, -1)
			f.clearCalls(c.conn)
			f.want(c.call, "upstream_unavailable")
			if n := f.apiCalls(c.conn); n != 3 {
				t.Errorf("%d API calls, want 3 (two retries)", n)
			}
			w.set(c.conn, wireNone, 0)
			f.want(c.call, "ok")
		})
	})
	t.Run("truncated once", func(t *testing.T) {
		forEachCRM(t, 5*time.Second, func(t *testing.T, f *fixture, w *wire, c crm) {
			w.set(c.conn, wireTruncated, 1)
			f.clearCalls(c.conn)
			r := f.run(c.call)
			t.Logf("%s: %v after %d API calls", c.conn, r, f.apiCalls(c.conn))
			if r.code() != "ok" || f.apiCalls(c.conn) != 2 {
				t.Errorf("got %v after %d API calls, want ok after a retry", r, f.apiCalls(c.conn))
			}
		})
	})
	t.Run("truncated every time", func(t *testing.T) {
		forEachCRM(t, 5*time.Second, func(t *testing.T, f *fixture, w *wire, c crm) {
			w.set(c.conn, wireTruncated, -1)
			f.clearCalls(c.conn)
			f.want(c.call, "upstream_unavailable")
			if n := f.apiCalls(c.conn); n != 3 {
				t.Errorf("%d API calls, want 3 (two retries)", n)
			}
			w.set(c.conn, wireNone, 0)
			f.want(c.call, "ok")
		})
	})
}

// sameData compares the "data" of two answers.
func sameData(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y struct {
		Data json.RawMessage `json:"data"`
	}
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	var vx, vy any
	_ = json.Unmarshal(x.Data, &vx)
	_ = json.Unmarshal(y.Data, &vy)
	ex, _ := json.Marshal(vx)
	ey, _ := json.Marshal(vy)
	return string(ex) == string(ey) && len(ex) > 4
}

// TestCRMExpiredToken: the sandbox rejects the access token once (it
// expired): the connector fetches a new one and the request succeeds with
// exactly one retry. A sandbox that keeps refusing gets exactly two API
// calls per request (no loop) and the expert upstream_error.
func TestCRMExpiredToken(t *testing.T) {
	t.Run("once", func(t *testing.T) {
		forEachCRM(t, 5*time.Second, func(t *testing.T, f *fixture, w *wire, c crm) {
			f.faults(c.conn).Inject(sandbox.Unauthorized, 1)
			f.clearCalls(c.conn)
			f.want(c.call, "ok")
			if n := f.apiCalls(c.conn); n != 2 {
				t.Errorf("%d API calls, want 2 (the refused one and the retry with a new token)", n)
			}
		})
	})
	t.Run("keeps refusing", func(t *testing.T) {
		forEachCRM(t, 5*time.Second, func(t *testing.T, f *fixture, w *wire, c crm) {
			fl := f.faults(c.conn)
			fl.Inject(sandbox.Unauthorized, 100)
			f.clearCalls(c.conn)
			f.want(c.call, "upstream_error")
			if n := f.apiCalls(c.conn); n != 2 {
				t.Errorf("%d API calls, want 2 (one refresh, no loop)", n)
			}
			f.want(c.call, "upstream_error")
			if got := f.breaker(c.conn); got != "closed" {
				t.Errorf("breaker %s after refused credentials, want closed", got)
			}
			fl.Reset()
			f.want(c.call, "ok")
		})
	})
	t.Run("zendesk tokens expire", func(t *testing.T) {
		checkGoroutines(t)
		f, _ := crmSystem(t, 5*time.Second)
		f.want(mainCall[zendeskConn], "ok")
		_, refreshed := f.env.Sandboxes.Zendesk.TokenStats()
		f.env.Sandboxes.Zendesk.ExpireTokens()
		f.want(mainCall[zendeskConn], "ok")
		if _, n := f.env.Sandboxes.Zendesk.TokenStats(); n != refreshed+1 {
			t.Errorf("refreshes %d -> %d, want one more", refreshed, n)
		}
	})
	t.Run("shopify tokens expire", func(t *testing.T) {
		checkGoroutines(t)
		f, _ := crmSystem(t, 5*time.Second)
		f.want(mainCall[shopifyConn], "ok")
		f.env.Sandboxes.Shopify.ExpireTokens()
		f.clearCalls(shopifyConn)
		f.want(mainCall[shopifyConn], "ok")
		t.Logf("shopify: %d API calls after the tokens expired", f.apiCalls(shopifyConn))
	})
}

// TestZendeskTextPlain429: Zendesk answers some 429s as text/plain.
func TestZendeskTextPlain429(t *testing.T) {
	checkGoroutines(t)
	f, _ := crmSystem(t, 5*time.Second)
	call := mainCall[zendeskConn]
	f.want(call, "ok")
	f.env.Sandboxes.Zendesk.SetTextPlain429(true)
	fl := f.faults(zendeskConn)
	fl.SetRetryAfter(time.Second)
	fl.Inject(sandbox.RateLimit, 1)
	f.want(call, "ok")
	fl.Inject(sandbox.RateLimit, 3)
	checkRateLimited(t, f.run(call), 1)
	fl.Reset()
	eventually(t, "the rate limit to pass", 15*time.Second, func() bool { return f.run(call).code() == "ok" })
}
