package connectors

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"
	"golang.org/x/time/rate"
)

// WrapOptions tune the portable wrapper. Zero values mean the defaults in
// brackets; Open uses the defaults.
type WrapOptions struct {
	// BreakerFailures consecutive breaker failures (unavailable, rate
	// limited, timeout) open the circuit [5].
	BreakerFailures uint32
	// BreakerOpenFor is how long the circuit stays open before letting
	// probes through (half-open) [30s].
	BreakerOpenFor time.Duration
	// BreakerProbes is how many calls may run half-open; that many
	// successes close the circuit, one failure reopens it [1].
	BreakerProbes uint32
}

// Open builds the connector for one connection: the type's factory checks
// and opens it, and the result runs behind the portable wrapper (see Wrap).
// Configuration problems are ErrInvalid errors naming the config keys.
func Open(ctx context.Context, reg *Registry, cfg ConnectionConfig, deps Deps) (Connector, error) {
	return OpenWith(ctx, reg, cfg, deps, WrapOptions{})
}

// OpenWith is Open with wrapper options (tests shorten the breaker's timings).
func OpenWith(ctx context.Context, reg *Registry, cfg ConnectionConfig, deps Deps, opts WrapOptions) (Connector, error) {
	f, ok := reg.Lookup(cfg.Type)
	if !ok {
		return nil, fmt.Errorf("connection %q: unknown connector type %q (known: %s): %w",
			cfg.Name, cfg.Type, strings.Join(reg.Types(), ", "), ErrInvalid)
	}
	if f.Check != nil {
		if probs := f.Check(cfg); len(probs) > 0 {
			msgs := make([]string, len(probs))
			for i, p := range probs {
				msgs[i] = p.Key + ": " + p.Message
			}
			return nil, fmt.Errorf("connection %q: %s: %w", cfg.Name, strings.Join(msgs, "; "), ErrInvalid)
		}
	}
	inner, err := f.Open(ctx, cfg, deps)
	if err != nil {
		return nil, fmt.Errorf("connection %q: %w", cfg.Name, err)
	}
	return Wrap(inner, f, cfg, deps, opts), nil
}

// Wrap puts a connector behind the portable wrapper every connection runs
// behind. For each call, in order:
//
//  1. validation against the catalog (ValidateQuery / ValidateUpdate):
//     unknown resources, keys, fields and non-writable assignments are
//     ErrInvalid before any I/O, and do not touch the breaker or limiter;
//  2. the per-call timeout (cfg.Timeout, default 10s) starts;
//  3. the client-side rate limiter (cfg.RateLimit, else the factory's
//     DefaultRate) waits for a slot, honouring ctx; a wait that cannot end
//     before the deadline is a rate limit carrying the wait;
//  4. the circuit breaker (sony/gobreaker) admits the call or refuses it
//     (ErrUnavailable) while open; unavailability, rate limits and timeouts
//     count as failures, not-found and invalid input do not, caller
//     cancellation is ignored; half-open lets BreakerProbes calls through;
//  5. the connector runs; a panic becomes an error (never a crash);
//  6. the projection guard keeps only the requested field paths, whatever
//     the connector returned; searches are cut to the limit;
//  7. deps.Metrics.ObserveCall(connection, resource, action, kind, seconds).
//
// Errors keep their kind across the wrapper (errors.Is/As still work).
func Wrap(inner Connector, f Factory, cfg ConnectionConfig, deps Deps, opts WrapOptions) Connector {
	w := &wrapped{inner: inner, cfg: cfg, metrics: deps.Metrics, cat: inner.Catalog()}
	w.log = deps.Logger
	if w.log == nil {
		w.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	w.log = w.log.With("connection", cfg.Name, "connector", cfg.Type)
	w.timeout = cfg.Timeout
	if w.timeout <= 0 {
		w.timeout = DefaultTimeout
	}
	r, burst := cfg.RateLimit, 0
	if r <= 0 {
		r, burst = f.DefaultRate, f.DefaultBurst
	}
	if r <= 0 {
		r = 10
	}
	if burst <= 0 {
		burst = max(1, int(2*r))
	}
	w.limiter = rate.NewLimiter(rate.Limit(r), burst)

	if opts.BreakerFailures == 0 {
		opts.BreakerFailures = 5
	}
	if opts.BreakerOpenFor <= 0 {
		opts.BreakerOpenFor = 30 * time.Second
	}
	if opts.BreakerProbes == 0 {
		opts.BreakerProbes = 1
	}
	failures := opts.BreakerFailures
	w.breaker = gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:         cfg.Name,
		MaxRequests:  opts.BreakerProbes,
		Timeout:      opts.BreakerOpenFor,
		ReadyToTrip:  func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= failures },
		IsSuccessful: func(err error) bool { return !KindOf(err).BreakerFailure() },
		IsExcluded:   func(err error) bool { return KindOf(err).BreakerExcluded() },
		OnStateChange: func(_ string, from, to gobreaker.State) {
			w.log.Warn("circuit breaker state changed", "from", from.String(), "to", to.String())
			if w.metrics != nil {
				w.metrics.SetBreakerState(cfg.Name, to.String())
			}
		},
	})
	if w.metrics != nil {
		w.metrics.SetBreakerState(cfg.Name, gobreaker.StateClosed.String())
	}
	return w
}

type wrapped struct {
	inner   Connector
	cfg     ConnectionConfig
	cat     Catalog
	log     *slog.Logger
	metrics Metrics
	timeout time.Duration
	limiter *rate.Limiter
	breaker *gobreaker.TwoStepCircuitBreaker[struct{}]

	closeOnce sync.Once
	closeErr  error
}

var _ Connector = (*wrapped)(nil)

// BreakerState reports the circuit state ("closed", "half-open", "open"),
// for readiness checks.
func (w *wrapped) BreakerState() string { return w.breaker.State().String() }

// Unwrap returns the connector behind the wrapper.
func (w *wrapped) Unwrap() Connector { return w.inner }

func (w *wrapped) Catalog() Catalog { return w.cat }

func (w *wrapped) Read(ctx context.Context, q Query) (rec Record, err error) {
	start := time.Now()
	defer func() { w.observe(q.Resource, ActionRead, err, start) }()
	_, tree, err := ValidateQuery(w.cat, ActionRead, q)
	if err != nil {
		return nil, err
	}
	err = w.guard(ctx, func(ctx context.Context) error {
		var e error
		rec, e = w.inner.Read(ctx, q)
		return e
	})
	if err != nil {
		return nil, err
	}
	return Project(tree, rec), nil
}

func (w *wrapped) Search(ctx context.Context, q Query) (recs []Record, err error) {
	start := time.Now()
	defer func() { w.observe(q.Resource, ActionSearch, err, start) }()
	_, tree, err := ValidateQuery(w.cat, ActionSearch, q)
	if err != nil {
		return nil, err
	}
	var raw []Record
	err = w.guard(ctx, func(ctx context.Context) error {
		var e error
		raw, e = w.inner.Search(ctx, q)
		return e
	})
	if err != nil {
		return nil, err
	}
	if q.Limit > 0 && len(raw) > q.Limit {
		raw = raw[:q.Limit]
	}
	recs = make([]Record, len(raw))
	for i, r := range raw {
		recs[i] = Project(tree, r)
	}
	return recs, nil
}

func (w *wrapped) Update(ctx context.Context, u Update) (rec Record, err error) {
	start := time.Now()
	defer func() { w.observe(u.Resource, ActionUpdate, err, start) }()
	_, tree, err := ValidateUpdate(w.cat, u)
	if err != nil {
		return nil, err
	}
	err = w.guard(ctx, func(ctx context.Context) error {
		var e error
		rec, e = w.inner.Update(ctx, u)
		return e
	})
	if err != nil {
		return nil, err
	}
	return Project(tree, rec), nil
}

func (w *wrapped) Close() error {
	w.closeOnce.Do(func() { w.closeErr = w.inner.Close() })
	return w.closeErr
}

// guard runs call under the timeout, the limiter and the breaker.
func (w *wrapped) guard(ctx context.Context, call func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	if err := w.wait(ctx); err != nil {
		return err
	}
	done, err := w.breaker.Allow()
	if err != nil {
		if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
			return fmt.Errorf("connection %q: circuit breaker %s: %w", w.cfg.Name, w.breaker.State(), ErrUnavailable)
		}
		return fmt.Errorf("connection %q: circuit breaker: %w", w.cfg.Name, ErrUnavailable)
	}
	err = w.protect(ctx, call)
	done(err)
	return err
}

// protect turns a connector panic into an error: one bad upstream answer
// must not take the gateway down. The panic value is not logged (it may
// hold record data).
func (w *wrapped) protect(ctx context.Context, call func(context.Context) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			w.log.Error("connector panicked; call failed")
			err = fmt.Errorf("connection %q: connector failed internally", w.cfg.Name)
		}
	}()
	return call(ctx)
}

// wait takes a limiter slot, or explains why not.
func (w *wrapped) wait(ctx context.Context) error {
	res := w.limiter.Reserve()
	if !res.OK() {
		return &RateLimitError{Detail: "client-side rate limit"}
	}
	d := res.Delay()
	if d == 0 {
		return nil
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		res.Cancel()
		return &RateLimitError{RetryAfter: d, Detail: "client-side rate limit"}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		res.Cancel()
		return fmt.Errorf("connection %q: waiting for the rate limiter: %w", w.cfg.Name, ctx.Err())
	}
}

func (w *wrapped) observe(resource, action string, err error, start time.Time) {
	if w.metrics == nil {
		return
	}
	if _, ok := w.cat.Resource(resource); !ok {
		resource = "_unknown" // bound label cardinality
	}
	w.metrics.ObserveCall(w.cfg.Name, resource, action, string(KindOf(err)), time.Since(start).Seconds())
}
