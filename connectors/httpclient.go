package connectors

import (
	"compress/flate"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"
)

// HTTPOptions tune NewHTTPClient. Zero values mean the defaults in brackets.
type HTTPOptions struct {
	// UserAgent is sent on every request ["cxgate"].
	UserAgent string
	// MaxRetries bounds the retries of one idempotent request [2, so at
	// most 3 attempts]; a negative value disables retries.
	MaxRetries int
	// RetryWait is the base of the exponential backoff with jitter [250ms].
	RetryWait time.Duration
	// RetryMaxWait is the longest single wait [5s]. When the vendor asks for
	// a longer wait (Retry-After, a throttle hook) the client does not retry
	// and hands the response to the connector, which reports a rate limit
	// carrying that wait: the gateway, not a goroutine, should wait that long.
	RetryMaxWait time.Duration
	// RetryBudget caps the time from the first attempt to the start of the
	// last retry [15s]. A retry is also never started past ctx's deadline.
	RetryBudget time.Duration
	// MaxBodyBytes refuses response bodies larger than this once
	// uncompressed [8 MiB]; the request fails with an ErrUpstream error
	// (see TransportError) and is not retried.
	MaxBodyBytes int
	// Throttle reads a vendor's own throttling signal from a response that
	// the status alone does not reveal (Shopify answers 200 with a THROTTLED
	// error and a cost-based wait). It returns the wait the vendor asks for
	// (0 = use the backoff) and whether the response is a throttle. nil
	// means: 429 and 5xx statuses are transient, waits come from Retry-After.
	Throttle func(resp *resty.Response) (wait time.Duration, throttled bool)
	// Now is the clock [time.Now].
	Now func() time.Time
}

const (
	defaultMaxRetries   = 2
	defaultRetryWait    = 250 * time.Millisecond
	defaultRetryMaxWait = 5 * time.Second
	defaultRetryBudget  = 15 * time.Second
	// DefaultMaxBodyBytes is the response size limit when HTTPOptions.MaxBodyBytes is 0.
	DefaultMaxBodyBytes = 8 << 20
	// DefaultTimeout is the per-call timeout when ConnectionConfig.Timeout is 0.
	DefaultTimeout = 10 * time.Second
)

type idempotentKey struct{}
type startKey struct{}

// MarkIdempotent marks the requests made with ctx as safe to retry even
// though their method is not GET or HEAD (a GraphQL query sent by POST, a
// SOQL query, a token request). Use it only when repeating the request
// cannot change anything upstream twice.
func MarkIdempotent(ctx context.Context) context.Context {
	return context.WithValue(ctx, idempotentKey{}, true)
}

func isIdempotent(r *resty.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	v, _ := r.Context().Value(idempotentKey{}).(bool)
	return v
}

// NewHTTPClient builds the resty client a connector uses for one
// connection. It gives every connector the same behaviour:
//
//   - the base URL (cfg.BaseURL; the connector may override per request,
//     e.g. Salesforce's instance_url) and a per-attempt timeout (cfg.Timeout);
//   - retries only for idempotent requests (GET/HEAD, or ctx marked with
//     MarkIdempotent), on transport errors, 429 and transient 5xx, with
//     exponential backoff and jitter, honouring Retry-After (seconds, fractional
//     seconds or an HTTP date) and opts.Throttle, within opts.RetryBudget and
//     never past ctx's deadline; waits end early when ctx is cancelled;
//   - a response size limit (opts.MaxBodyBytes, applied after gzip
//     decompression, which the transport handles);
//   - redirects are not followed (a 3xx is returned to the connector, so a
//     bearer token never travels to another host);
//   - resty's own logging is silenced: it would print URLs (which carry
//     lookup values in query strings), bodies and headers. Connectors log
//     through deps.Logger, with operation names and kinds only.
//
// The transport comes from deps.HTTPClient (tests point it at a sandbox);
// it is copied, never modified.
func NewHTTPClient(cfg ConnectionConfig, deps Deps, opts HTTPOptions) *resty.Client {
	var hc http.Client
	if deps.HTTPClient != nil {
		hc = *deps.HTTPClient
	} else {
		hc = http.Client{Transport: defaultTransport()}
	}
	hc.Jar = nil // no cookies: each request carries its own credentials
	p := newRetryPolicy(opts)
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ua := opts.UserAgent
	if ua == "" {
		ua = "cxgate"
	}
	c := resty.NewWithClient(&hc).
		SetLogger(silentLogger{}).
		SetDisableWarn(true).
		SetDebug(false).
		SetBaseURL(strings.TrimRight(cfg.BaseURL, "/")).
		SetTimeout(timeout).
		SetHeader("User-Agent", ua).
		SetHeader("Accept", "application/json").
		SetResponseBodyLimit(p.maxBody).
		SetRedirectPolicy(resty.RedirectPolicyFunc(func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		})).
		SetRetryCount(p.maxRetries).
		SetRetryWaitTime(p.wait).
		SetRetryMaxWaitTime(p.maxWait).
		SetRetryAfter(p.retryAfter).
		AddRetryCondition(p.shouldRetry)
	c.OnBeforeRequest(func(_ *resty.Client, r *resty.Request) error {
		if r.Attempt <= 1 {
			r.SetContext(context.WithValue(r.Context(), startKey{}, p.now()))
		}
		return nil
	})
	return c
}

func defaultTransport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSHandshakeTimeout = 10 * time.Second
	t.MaxIdleConnsPerHost = 16
	t.IdleConnTimeout = 90 * time.Second
	return t
}

type retryPolicy struct {
	maxRetries int
	wait       time.Duration
	maxWait    time.Duration
	budget     time.Duration
	maxBody    int
	throttle   func(*resty.Response) (time.Duration, bool)
	now        func() time.Time
}

func newRetryPolicy(o HTTPOptions) *retryPolicy {
	p := &retryPolicy{
		maxRetries: o.MaxRetries, wait: o.RetryWait, maxWait: o.RetryMaxWait,
		budget: o.RetryBudget, maxBody: o.MaxBodyBytes, throttle: o.Throttle, now: o.Now,
	}
	switch {
	case p.maxRetries == 0:
		p.maxRetries = defaultMaxRetries
	case p.maxRetries < 0:
		p.maxRetries = 0
	}
	if p.wait <= 0 {
		p.wait = defaultRetryWait
	}
	if p.maxWait <= 0 {
		p.maxWait = defaultRetryMaxWait
	}
	if p.maxWait < p.wait {
		p.maxWait = p.wait
	}
	if p.budget <= 0 {
		p.budget = defaultRetryBudget
	}
	if p.maxBody <= 0 {
		p.maxBody = DefaultMaxBodyBytes
	}
	if p.now == nil {
		p.now = time.Now
	}
	return p
}

// classify says whether a response (or transport error) is transient and
// what wait the vendor asked for (0 = none named).
func (p *retryPolicy) classify(resp *resty.Response, err error) (time.Duration, bool) {
	if err != nil {
		if errors.Is(err, resty.ErrResponseBodyTooLarge) || badEncoding(err) || errors.Is(err, context.Canceled) ||
			errors.Is(err, context.DeadlineExceeded) {
			return 0, false
		}
		return 0, true // connection refused or reset, truncated body...
	}
	if resp.RawResponse == nil {
		return 0, false
	}
	if p.throttle != nil {
		if wait, ok := p.throttle(resp); ok {
			return wait, true
		}
	}
	if RetryStatus(resp.StatusCode()) {
		d, _ := ParseRetryAfter(resp.Header().Get("Retry-After"), p.now())
		return d, true
	}
	return 0, false
}

// backoffCeiling is the longest jittered backoff resty may pick for attempt n (1-based).
func (p *retryPolicy) backoffCeiling(attempt int) time.Duration {
	d := float64(p.wait) * math.Exp2(float64(attempt-1))
	if d > float64(p.maxWait) {
		return p.maxWait
	}
	return time.Duration(d)
}

func (p *retryPolicy) shouldRetry(resp *resty.Response, err error) bool {
	if resp == nil || resp.Request == nil {
		return false // failed before sending (a middleware or the URL)
	}
	req := resp.Request
	ctx := req.Context()
	if ctx.Err() != nil || !isIdempotent(req) || req.Attempt > p.maxRetries {
		return false
	}
	wait, transient := p.classify(resp, err)
	if !transient {
		return false
	}
	if wait > p.maxWait {
		return false // the vendor wants a long pause: report it instead of sleeping
	}
	if wait <= 0 {
		wait = p.backoffCeiling(req.Attempt)
	}
	now := p.now()
	if start, ok := ctx.Value(startKey{}).(time.Time); ok && now.Sub(start)+wait > p.budget {
		return false
	}
	if dl, ok := ctx.Deadline(); ok && !now.Add(wait).Before(dl) {
		return false
	}
	return true
}

// retryAfter tells resty how long to wait: the vendor's wait when it named
// one, else 0 (resty's jittered exponential backoff).
func (p *retryPolicy) retryAfter(_ *resty.Client, resp *resty.Response) (time.Duration, error) {
	if resp == nil {
		return 0, nil
	}
	wait, _ := p.classify(resp, nil)
	return wait, nil
}

// ParseRetryAfter reads a Retry-After value: delay seconds (integer or, as
// some vendors send, fractional like "2.0") or an HTTP date. It returns
// false when the value is absent or unreadable; dates in the past give 0.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if math.IsNaN(secs) || math.IsInf(secs, 0) || secs < 0 {
			return 0, false
		}
		if secs > 86400*7 { // a week: anything longer is nonsense, clamp
			secs = 86400 * 7
		}
		return time.Duration(secs * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// RetryAfterOf reads the Retry-After header of a response (0 when absent).
func RetryAfterOf(resp *resty.Response, now time.Time) time.Duration {
	if resp == nil {
		return 0
	}
	d, _ := ParseRetryAfter(resp.Header().Get("Retry-After"), now)
	return d
}

// TransportError turns an error from resty's Execute into a kind for the
// operation op ("salesforce query contact"). It never includes the
// underlying error's text when that could carry a URL (url.Error quotes the
// full URL, whose query string may hold a lookup value) or body bytes:
// only the category of failure.
func TransportError(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("%s: %w", op, context.Canceled)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: timed out: %w", op, context.DeadlineExceeded)
	case errors.Is(err, resty.ErrResponseBodyTooLarge):
		return fmt.Errorf("%s: response body over the size limit: %w", op, ErrUpstream)
	case badEncoding(err):
		return fmt.Errorf("%s: response body does not decode as its Content-Encoding says: %w", op, ErrUpstream)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%s: timed out: %w (%w)", op, ErrUnavailable, context.DeadlineExceeded)
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return fmt.Errorf("%s: network error (%s): %w", op, oe.Op, ErrUnavailable)
	}
	return fmt.Errorf("%s: transport error: %w", op, ErrUnavailable)
}

// badEncoding reports whether err is a compressed body that does not
// decompress (a gzip header or checksum that is wrong, corrupt deflate
// data): the upstream sent an unusable answer, which a retry does not mend
// (ErrUpstream, like a malformed body). A gzip stream that merely ends
// early reads as io.ErrUnexpectedEOF, the same as a transfer cut short,
// and stays a transient transport error.
func badEncoding(err error) bool {
	var corrupt flate.CorruptInputError
	return errors.Is(err, gzip.ErrHeader) || errors.Is(err, gzip.ErrChecksum) || errors.As(err, &corrupt)
}

// DecodeJSON decodes a response body into v. A body that is not the JSON
// expected is an ErrUpstream error naming op; the body text is not quoted.
func DecodeJSON(op string, body []byte, v any) error {
	if len(body) == 0 {
		return fmt.Errorf("%s: empty response body: %w", op, ErrUpstream)
	}
	if err := json.Unmarshal(body, v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return fmt.Errorf("%s: malformed JSON at byte %d: %w", op, se.Offset, ErrUpstream)
		case errors.As(err, &te):
			return fmt.Errorf("%s: unexpected JSON type at byte %d: %w", op, te.Offset, ErrUpstream)
		}
		return fmt.Errorf("%s: malformed JSON: %w", op, ErrUpstream)
	}
	return nil
}

// silentLogger drops resty's log lines; see NewHTTPClient.
type silentLogger struct{}

func (silentLogger) Errorf(string, ...any) {}
func (silentLogger) Warnf(string, ...any)  {}
func (silentLogger) Debugf(string, ...any) {}
