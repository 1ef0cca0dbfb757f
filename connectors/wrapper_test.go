package connectors

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cxgate/cxgate/pii"
	"github.com/cxgate/cxgate/scopes/fieldpath"
	"github.com/google/go-cmp/cmp"
)

// fakeConn is a stand-in connector for unit tests of the wrapper (its caller).
type fakeConn struct {
	calls  atomic.Int32
	closed atomic.Int32
	mu     sync.Mutex
	next   func() (Record, error)
}

func testCatalog() Catalog {
	return Catalog{Type: "fake", Resources: []Resource{{
		Name:    "ticket",
		Actions: []string{ActionRead, ActionSearch, ActionUpdate},
		Keys:    []Key{{Name: "id", Unique: true}, {Name: "email", PII: pii.Email}},
		Fields: []Field{
			{Path: "id", Type: ID}, {Path: "subject", Type: String, FreeText: true},
			{Path: "status", Type: String, Writable: true}, {Path: "urgent", Type: Boolean, Writable: true},
			{Path: "via.channel", Type: String}, {Path: "tags[]", Type: String}, {Path: "email", Type: String},
		},
	}, {Name: "readonly", Actions: []string{ActionRead}, Keys: []Key{{Name: "id", Unique: true}}, Fields: []Field{{Path: "id"}}}}}
}

func (f *fakeConn) Catalog() Catalog { return testCatalog() }
func (f *fakeConn) do() (Record, error) {
	f.calls.Add(1)
	f.mu.Lock()
	next := f.next
	f.mu.Unlock()
	if next == nil {
		return Record{"id": "1", "subject": "hi", "email": "maya@example.com", "secret": "x",
			"via": map[string]any{"channel": "web", "source": "y"}, "tags": []any{"a", "b"}}, nil
	}
	return next()
}
func (f *fakeConn) set(fn func() (Record, error))                     { f.mu.Lock(); f.next = fn; f.mu.Unlock() }
func (f *fakeConn) Read(ctx context.Context, q Query) (Record, error) { return f.do() }
func (f *fakeConn) Search(ctx context.Context, q Query) ([]Record, error) {
	r, err := f.do()
	if err != nil {
		return nil, err
	}
	return []Record{r, r, r}, nil
}
func (f *fakeConn) Update(ctx context.Context, u Update) (Record, error) { return f.do() }
func (f *fakeConn) Close() error                                         { f.closed.Add(1); return nil }

type recMetrics struct {
	mu     sync.Mutex
	calls  []string
	states []string
}

func (m *recMetrics) ObserveCall(conn, res, action, outcome string, _ float64) {
	m.mu.Lock()
	m.calls = append(m.calls, strings.Join([]string{conn, res, action, outcome}, "/"))
	m.mu.Unlock()
}
func (m *recMetrics) SetBreakerState(conn, state string) {
	m.mu.Lock()
	m.states = append(m.states, conn+"="+state)
	m.mu.Unlock()
}

func paths(ss ...string) []fieldpath.Path {
	out := make([]fieldpath.Path, len(ss))
	for i, s := range ss {
		out[i] = fieldpath.MustParse(s)
	}
	return out
}

func newWrapped(t *testing.T, opts WrapOptions) (*fakeConn, Connector, *recMetrics) {
	t.Helper()
	f := &fakeConn{}
	m := &recMetrics{}
	w := Wrap(f, Factory{Type: "fake", DefaultRate: 1000}, ConnectionConfig{Name: "c1", Type: "fake"}, Deps{Metrics: m}, opts)
	return f, w, m
}

func TestWrapperValidatesBeforeIO(t *testing.T) {
	q := func(res string, match []Criterion, fields ...string) Query {
		return Query{Resource: res, Match: match, Fields: paths(fields...)}
	}
	id := []Criterion{{Key: "id", Value: "1"}}
	cases := []struct {
		name string
		call func(Connector) error
	}{
		{"unknown resource", func(c Connector) error { _, err := c.Read(context.Background(), q("order", id, "id")); return err }},
		{"unsupported action", func(c Connector) error { _, err := c.Search(context.Background(), q("readonly", id, "id")); return err }},
		{"no criteria", func(c Connector) error { _, err := c.Read(context.Background(), q("ticket", nil, "id")); return err }},
		{"unknown key", func(c Connector) error {
			_, err := c.Read(context.Background(), q("ticket", []Criterion{{Key: "name", Value: "x"}}, "id"))
			return err
		}},
		{"empty value", func(c Connector) error {
			_, err := c.Read(context.Background(), q("ticket", []Criterion{{Key: "id", Value: ""}}, "id"))
			return err
		}},
		{"control character", func(c Connector) error {
			_, err := c.Read(context.Background(), q("ticket", []Criterion{{Key: "email", Value: "a@example.com\r\nX"}}, "id"))
			return err
		}},
		{"unknown field", func(c Connector) error {
			_, err := c.Read(context.Background(), q("ticket", id, "id", "secret"))
			return err
		}},
		{"no fields", func(c Connector) error { _, err := c.Read(context.Background(), q("ticket", id)); return err }},
		{"overlapping fields", func(c Connector) error {
			_, err := c.Read(context.Background(), Query{Resource: "ticket", Match: id, Fields: paths("id", "id")})
			return err
		}},
		{"update without unique key", func(c Connector) error {
			_, err := c.Update(context.Background(), Update{Resource: "ticket", Match: []Criterion{{Key: "email", Value: "a@example.com"}},
				Set: []Assignment{{Field: fieldpath.MustParse("status"), Value: "open"}}})
			return err
		}},
		{"update of a read-only field", func(c Connector) error {
			_, err := c.Update(context.Background(), Update{Resource: "ticket", Match: id,
				Set: []Assignment{{Field: fieldpath.MustParse("subject"), Value: "x"}}})
			return err
		}},
		{"update with a wrong type", func(c Connector) error {
			_, err := c.Update(context.Background(), Update{Resource: "ticket", Match: id,
				Set: []Assignment{{Field: fieldpath.MustParse("urgent"), Value: "yes"}}})
			return err
		}},
		{"update with nothing to set", func(c Connector) error {
			_, err := c.Update(context.Background(), Update{Resource: "ticket", Match: id})
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, w, m := newWrapped(t, WrapOptions{})
			err := c.call(w)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			if strings.Contains(err.Error(), "a@example.com") {
				t.Fatalf("error quotes a lookup value: %v", err)
			}
			if f.calls.Load() != 0 {
				t.Fatal("connector was called")
			}
			if len(m.calls) != 1 || !strings.HasSuffix(m.calls[0], "/invalid") {
				t.Fatalf("metrics %v", m.calls)
			}
		})
	}
}

func TestWrapperProjectionGuard(t *testing.T) {
	_, w, m := newWrapped(t, WrapOptions{})
	ctx := context.Background()
	q := Query{Resource: "ticket", Match: []Criterion{{Key: "id", Value: "1"}}, Fields: paths("subject", "via.channel", "tags[]")}
	want := Record{"subject": "hi", "via": map[string]any{"channel": "web"}, "tags": []any{"a", "b"}}
	got, err := w.Read(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("Read (-want +got):\n%s", d)
	}
	q.Limit = 2
	recs, err := w.Search(ctx, q)
	if err != nil || len(recs) != 2 {
		t.Fatalf("Search: %d records, %v", len(recs), err)
	}
	for _, r := range recs {
		if d := cmp.Diff(want, r); d != "" {
			t.Fatalf("Search record (-want +got):\n%s", d)
		}
	}
	rec, err := w.Update(ctx, Update{Resource: "ticket", Match: q.Match, Set: []Assignment{{Field: fieldpath.MustParse("status"), Value: "open"}}, Fields: paths("id")})
	if err != nil || len(rec) != 1 || rec["id"] != "1" {
		t.Fatalf("Update = %v, %v", rec, err)
	}
	if d := cmp.Diff([]string{"c1/ticket/read/ok", "c1/ticket/search/ok", "c1/ticket/update/ok"}, m.calls); d != "" {
		t.Fatalf("metrics (-want +got):\n%s", d)
	}
}

func TestWrapperBreaker(t *testing.T) {
	f, w, m := newWrapped(t, WrapOptions{BreakerFailures: 3, BreakerOpenFor: 50 * time.Millisecond})
	ctx := context.Background()
	q := Query{Resource: "ticket", Match: []Criterion{{Key: "id", Value: "1"}}, Fields: paths("id")}

	// Not-found and invalid answers never open the circuit.
	f.set(func() (Record, error) { return nil, fmt.Errorf("x: %w", ErrNotFound) })
	for i := 0; i < 10; i++ {
		if _, err := w.Read(ctx, q); !errors.Is(err, ErrNotFound) {
			t.Fatal(err)
		}
	}
	// Three unavailable answers do.
	f.set(func() (Record, error) { return nil, fmt.Errorf("x: %w", ErrUnavailable) })
	for i := 0; i < 3; i++ {
		w.Read(ctx, q)
	}
	before := f.calls.Load()
	_, err := w.Read(ctx, q)
	if !errors.Is(err, ErrUnavailable) || f.calls.Load() != before {
		t.Fatalf("open circuit: err %v, connector called %d times more", err, f.calls.Load()-before)
	}
	if s := w.(interface{ BreakerState() string }).BreakerState(); s != "open" {
		t.Fatalf("state %s", s)
	}
	// After the open period one probe goes through; its success closes the circuit.
	time.Sleep(60 * time.Millisecond)
	f.set(nil)
	if _, err := w.Read(ctx, q); err != nil {
		t.Fatalf("probe: %v", err)
	}
	if s := w.(interface{ BreakerState() string }).BreakerState(); s != "closed" {
		t.Fatalf("state after probe %s", s)
	}
	want := []string{"c1=closed", "c1=open", "c1=half-open", "c1=closed"}
	if d := cmp.Diff(want, m.states); d != "" {
		t.Fatalf("breaker states (-want +got):\n%s", d)
	}
}

func TestWrapperKeepsKindsAndRecoversPanics(t *testing.T) {
	f, w, _ := newWrapped(t, WrapOptions{})
	ctx := context.Background()
	q := Query{Resource: "ticket", Match: []Criterion{{Key: "id", Value: "1"}}, Fields: paths("id")}
	f.set(func() (Record, error) {
		return nil, fmt.Errorf("x: %w", &RateLimitError{RetryAfter: 7 * time.Second})
	})
	_, err := w.Read(ctx, q)
	if d, ok := RetryAfter(err); !ok || d != 7*time.Second || !errors.Is(err, ErrRateLimited) {
		t.Fatalf("err = %v", err)
	}
	f.set(func() (Record, error) { panic("boom with a value maya@example.com") })
	_, err = w.Read(ctx, q)
	if err == nil || strings.Contains(err.Error(), "maya") {
		t.Fatalf("panic became %v", err)
	}
}

func TestWrapperTimeoutAndRateLimiter(t *testing.T) {
	f := &fakeConn{}
	f.set(func() (Record, error) { return Record{"id": "1"}, nil })
	w := Wrap(f, Factory{}, ConnectionConfig{Name: "slow", RateLimit: 1, Timeout: 50 * time.Millisecond}, Deps{}, WrapOptions{})
	q := Query{Resource: "ticket", Match: []Criterion{{Key: "id", Value: "1"}}, Fields: paths("id")}
	ctx := context.Background()
	if _, err := w.Read(ctx, q); err != nil { // uses the burst slot
		t.Fatal(err)
	}
	if _, err := w.Read(ctx, q); err != nil { // burst is 2
		t.Fatal(err)
	}
	_, err := w.Read(ctx, q) // the next slot is ~1s away, past the 50ms timeout
	d, ok := RetryAfter(err)
	if !ok || d <= 0 || d > time.Second {
		t.Fatalf("err = %v (retry after %v)", err, d)
	}
	if f.calls.Load() != 2 {
		t.Fatalf("connector called %d times", f.calls.Load())
	}
}

func TestWrapperCloseIdempotent(t *testing.T) {
	f, w, _ := newWrapped(t, WrapOptions{})
	for i := 0; i < 3; i++ {
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if f.closed.Load() != 1 {
		t.Fatalf("inner closed %d times", f.closed.Load())
	}
}

func TestOpenUnknownTypeAndProblems(t *testing.T) {
	reg, err := NewRegistry(Factory{Type: "fake", Catalog: testCatalog,
		Check: func(cfg ConnectionConfig) []Problem {
			if cfg.BaseURL == "" {
				return []Problem{{Key: "base_url", Message: "required"}}
			}
			return nil
		},
		Open: func(context.Context, ConnectionConfig, Deps) (Connector, error) { return &fakeConn{}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := Open(ctx, reg, ConnectionConfig{Name: "x", Type: "nope"}, Deps{}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "fake") {
		t.Fatalf("unknown type: %v", err)
	}
	if _, err := Open(ctx, reg, ConnectionConfig{Name: "x", Type: "fake"}, Deps{}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "base_url") {
		t.Fatalf("problems: %v", err)
	}
	c, err := Open(ctx, reg, ConnectionConfig{Name: "x", Type: "fake", BaseURL: "https://x.example.com"}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.(interface{ Unwrap() Connector }); !ok {
		t.Fatal("Open did not wrap")
	}
}

// BenchmarkRead measures the wrapper's cost per call (validation, limiter,
// breaker, projection) against the bare connector as the baseline.
func BenchmarkRead(b *testing.B) {
	ctx := context.Background()
	q := Query{Resource: "ticket", Match: []Criterion{{Key: "id", Value: "1"}}, Fields: paths("subject", "via.channel", "tags[]")}
	b.Run("baseline-bare-connector", func(b *testing.B) {
		f := &fakeConn{}
		b.ReportAllocs()
		for b.Loop() {
			f.Read(ctx, q)
		}
	})
	b.Run("wrapped", func(b *testing.B) {
		w := Wrap(&fakeConn{}, Factory{DefaultRate: 1e9, DefaultBurst: 1 << 30}, ConnectionConfig{Name: "c"}, Deps{}, WrapOptions{})
		b.ReportAllocs()
		for b.Loop() {
			if _, err := w.Read(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
	})
}
