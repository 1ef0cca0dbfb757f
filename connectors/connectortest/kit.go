package connectortest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/connectors/sandbox"
	"github.com/cxgate/cxgate/scopes/fieldpath"
)

// CancelTarget is how fast a cancelled call should return; CancelBound is
// the bound past which the kit fails (generous, so a loaded CI machine
// running -race does not flake; the measured value is always logged).
const (
	CancelTarget = 100 * time.Millisecond
	CancelBound  = time.Second
)

// Run runs every conformance check against h, each in its own subtest with
// a fresh sandbox.
func Run(t *testing.T, h Harness) {
	t.Helper()
	checks := []struct {
		name string
		fn   func(t *testing.T, r *rig)
	}{
		{"Catalog", checkCatalog},
		{"RequestedFieldsOnly", checkKnown},
		{"NestedAndArrayPaths", checkNested},
		{"NullVersusAbsent", checkNull},
		{"Unicode", checkUnicode},
		{"NotFound", checkNotFound},
		{"UnknownResourceInvalid", checkUnknownResource},
		{"Search", checkSearch},
		{"Update", checkUpdate},
		{"UnauthorizedRefreshesOnce", checkRefreshOnce},
		{"UnauthorizedDoesNotLoop", checkNoLoop},
		{"RateLimitedRetryAfter", checkRateLimited},
		{"ServerErrorUnavailable", checkServerError},
		{"MalformedBody", checkFaultIsError(sandbox.Malformed)},
		{"OversizedBody", checkFaultIsError(sandbox.Oversized)},
		{"CancellationPrompt", checkCancel},
		{"NoSecretsOrUpstreamTextLeak", checkNoLeaks},
		{"Concurrent", checkConcurrent},
		{"CloseIdempotent", checkClose},
		{"ThroughWrapper", checkWrapper},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			r := start(t, h)
			c.fn(t, r)
		})
	}
}

// rig is one check's world: a fresh sandbox, a connector opened on it, and
// the kit's eyes on the wire, the secret source and the logs.
type rig struct {
	h       Harness
	env     *Env
	conn    connectors.Connector
	deps    connectors.Deps
	secrets *kitSecrets
	wire    *watcher
	logs    *syncBuffer
}

func start(t *testing.T, h Harness) *rig {
	t.Helper()
	env := h.Start(t)
	if env == nil || env.HTTPClient == nil || env.Faults == nil {
		t.Fatal("harness: Start must return an Env with HTTPClient and Faults")
	}
	base := env.HTTPClient.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	wire := &watcher{base: base, isToken: env.IsTokenRequest, started: make(chan struct{}, 64)}
	hc := *env.HTTPClient
	hc.Transport = wire
	logs := &syncBuffer{}
	r := &rig{
		h: h, env: env, wire: wire, logs: logs,
		secrets: &kitSecrets{creds: env.Credentials},
	}
	r.deps = connectors.Deps{
		Secrets:    r.secrets,
		Logger:     slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		HTTPClient: &hc,
	}
	f := h.Factory()
	if f.Check != nil {
		if probs := f.Check(env.Config); len(probs) > 0 {
			t.Fatalf("harness: Check rejects the sandbox config: %+v", probs)
		}
	}
	conn, err := f.Open(context.Background(), env.Config, r.deps)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	r.conn = conn
	t.Cleanup(func() { conn.Close() })
	return r
}

func paths(t testing.TB, ss []string) []fieldpath.Path {
	t.Helper()
	out := make([]fieldpath.Path, len(ss))
	for i, s := range ss {
		p, err := fieldpath.Parse(s)
		if err != nil {
			t.Fatalf("harness: field %q: %v", s, err)
		}
		out[i] = p
	}
	return out
}

func (c Case) query(t testing.TB) connectors.Query {
	return connectors.Query{Resource: c.Resource, Match: c.Match, Fields: paths(t, c.Fields)}
}

// safely runs fn and turns a panic into a test failure.
func safely(t *testing.T, what string, fn func() error) (err error) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("%s panicked: %v", what, p)
		}
	}()
	return fn()
}

func (r *rig) read(t *testing.T, q connectors.Query) (connectors.Record, error) {
	var rec connectors.Record
	err := safely(t, "Read", func() error {
		var e error
		rec, e = r.conn.Read(context.Background(), q)
		return e
	})
	return rec, err
}

// norm gives records one shape for comparison (numbers as float64).
func norm(t testing.TB, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("record is not JSON-able: %v", err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func (r *rig) expectCase(t *testing.T, name string, c Case) {
	t.Helper()
	r.checkCaseFields(t, name, c.Resource, c.Fields)
	got, err := r.read(t, c.query(t))
	if err != nil {
		t.Fatalf("%s: Read: %v", name, err)
	}
	if d := cmp.Diff(norm(t, c.Want), norm(t, got)); d != "" {
		t.Fatalf("%s: Read returned (-want +got):\n%s", name, d)
	}
}

// checkCaseFields makes sure a harness case uses catalog paths only, so a
// typo cannot turn a check into a test of nothing.
func (r *rig) checkCaseFields(t *testing.T, name, resource string, fields []string) {
	t.Helper()
	cat := r.conn.Catalog()
	res, ok := cat.Resource(resource)
	if !ok {
		t.Fatalf("harness: %s case: resource %q is not in the catalog", name, resource)
	}
	if len(fields) == 0 {
		t.Fatalf("harness: %s case requests no fields", name)
	}
	for _, f := range fields {
		if _, ok := res.Field(f); !ok {
			t.Fatalf("harness: %s case: field %q is not in the %s catalog", name, f, resource)
		}
	}
}

func checkCatalog(t *testing.T, r *rig) {
	f := r.h.Factory()
	cat := r.conn.Catalog()
	if cat.Type != f.Type || f.Type == "" {
		t.Fatalf("catalog type %q, factory type %q", cat.Type, f.Type)
	}
	if d := cmp.Diff(f.Catalog(), cat); d != "" {
		t.Fatalf("factory and connector catalogs differ:\n%s", d)
	}
	if len(cat.Resources) == 0 || len(cat.AuthModes) == 0 {
		t.Fatal("catalog lists no resources or no auth modes")
	}
	for _, res := range cat.Resources {
		if len(res.Keys) == 0 || len(res.Fields) == 0 || len(res.Actions) == 0 {
			t.Errorf("resource %q needs keys, fields and actions", res.Name)
		}
		for _, a := range res.Actions {
			if a != connectors.ActionRead && a != connectors.ActionSearch && a != connectors.ActionUpdate {
				t.Errorf("resource %q: unknown action %q", res.Name, a)
			}
		}
		var ps []fieldpath.Path
		for _, fl := range res.Fields {
			p, err := fieldpath.Parse(fl.Path)
			if err != nil {
				t.Errorf("resource %q: field %q: %v", res.Name, fl.Path, err)
				continue
			}
			if fl.Writable && !res.Supports(connectors.ActionUpdate) {
				t.Errorf("resource %q: field %q is writable but the resource has no update", res.Name, fl.Path)
			}
			ps = append(ps, p)
		}
		if _, err := fieldpath.NewTree(ps); err != nil {
			t.Errorf("resource %q: fields do not form a tree: %v", res.Name, err)
		}
	}
}

func checkKnown(t *testing.T, r *rig) { r.expectCase(t, "Known", r.env.Known) }

func checkNested(t *testing.T, r *rig) {
	c := r.env.Nested
	var dotted, array bool
	for _, f := range c.Fields {
		p, _ := fieldpath.Parse(f)
		segs := p.Segments()
		for i, s := range segs {
			if s.Each {
				array = array || nonEmptyArray(c.Want, segs[:i+1])
			} else if i < len(segs)-1 {
				dotted = true
			}
		}
	}
	if !dotted || !array {
		t.Fatalf("harness: the Nested case must request an \"a.b\" path and an \"x[]\" path whose array is non-empty in Want")
	}
	r.expectCase(t, "Nested", c)
}

// nonEmptyArray reports whether the array at segs (the last one Each) is
// non-empty somewhere in rec.
func nonEmptyArray(rec map[string]any, segs []fieldpath.Segment) bool {
	var walk func(v any, segs []fieldpath.Segment) bool
	walk = func(v any, segs []fieldpath.Segment) bool {
		m, ok := v.(map[string]any)
		if !ok || len(segs) == 0 {
			return false
		}
		next := m[segs[0].Name]
		if !segs[0].Each {
			return walk(next, segs[1:])
		}
		arr, ok := next.([]any)
		if !ok || len(arr) == 0 {
			return false
		}
		if len(segs) == 1 {
			return true
		}
		for _, e := range arr {
			if walk(e, segs[1:]) || len(segs) == 1 {
				return true
			}
		}
		return false
	}
	return walk(rec, segs)
}

func checkNull(t *testing.T, r *rig) {
	if !hasNil(r.env.Null.Want) {
		t.Fatal("harness: the Null case must expect at least one null field")
	}
	r.expectCase(t, "Null", r.env.Null)
}

func hasNil(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case map[string]any:
		for _, e := range v {
			if hasNil(e) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if hasNil(e) {
				return true
			}
		}
	}
	return false
}

func checkUnicode(t *testing.T, r *rig) {
	nonASCII := false
	for _, s := range leafStrings(r.env.Unicode.Want) {
		for _, c := range s {
			nonASCII = nonASCII || c > utf8.RuneSelf
		}
	}
	if !nonASCII {
		t.Fatal("harness: the Unicode case must expect non-ASCII text")
	}
	r.expectCase(t, "Unicode", r.env.Unicode)
}

func checkNotFound(t *testing.T, r *rig) {
	q := r.env.Missing
	if q.Resource == "" || len(q.Match) == 0 || len(q.Fields) == 0 {
		t.Fatal("harness: Missing needs a resource, a match and fields")
	}
	rec, err := r.read(t, q)
	if !errors.Is(err, connectors.ErrNotFound) {
		t.Fatalf("Read of a missing record = %v, %v; want ErrNotFound", rec, err)
	}
}

func checkUnknownResource(t *testing.T, r *rig) {
	q := r.env.Known.query(t)
	q.Resource = "no_such_resource"
	if _, err := r.read(t, q); !errors.Is(err, connectors.ErrInvalid) {
		t.Fatalf("Read of an unknown resource = %v; want ErrInvalid", err)
	}
}

func checkSearch(t *testing.T, r *rig) {
	s := r.env.Search
	if s == nil {
		t.Skip("harness describes no search (the connector offers none?)")
	}
	r.checkCaseFields(t, "Search", s.Resource, s.Fields)
	ps := paths(t, s.Fields)
	tree, err := fieldpath.NewTree(ps)
	if err != nil {
		t.Fatal(err)
	}
	var recs []connectors.Record
	err = safely(t, "Search", func() error {
		var e error
		recs, e = r.conn.Search(context.Background(), connectors.Query{Resource: s.Resource, Match: s.Match, Fields: ps, Limit: s.Limit})
		return e
	})
	if err != nil {
		t.Fatalf("Search: %v", err)
	}
	if len(recs) < s.WantAtLeast || len(recs) == 0 {
		t.Fatalf("Search returned %d records, want at least %d", len(recs), max(1, s.WantAtLeast))
	}
	if s.Limit > 0 && len(recs) > s.Limit {
		t.Fatalf("Search returned %d records, over the limit %d", len(recs), s.Limit)
	}
	for i, rec := range recs {
		if d := cmp.Diff(norm(t, tree.Project(norm(t, rec), nil)), norm(t, rec)); d != "" {
			t.Fatalf("Search record %d carries fields that were not requested (-projected +got):\n%s", i, d)
		}
	}
}

func checkUpdate(t *testing.T, r *rig) {
	u := r.env.Update
	if u == nil {
		t.Skip("harness describes no update (the connector offers none?)")
	}
	r.checkCaseFields(t, "Update", u.Resource, u.Fields)
	var set []connectors.Assignment
	for f, v := range u.Set {
		set = append(set, connectors.Assignment{Field: fieldpath.MustParse(f), Value: v})
	}
	var rec connectors.Record
	err := safely(t, "Update", func() error {
		var e error
		rec, e = r.conn.Update(context.Background(), connectors.Update{Resource: u.Resource, Match: u.Match, Set: set, Fields: paths(t, u.Fields)})
		return e
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if d := cmp.Diff(norm(t, u.Want), norm(t, rec)); d != "" {
		t.Fatalf("Update returned (-want +got):\n%s", d)
	}
}

func (r *rig) needTokens(t *testing.T) {
	if r.env.IsTokenRequest == nil {
		t.Skip("the auth mode under test fetches no token; nothing to refresh")
	}
}

func checkRefreshOnce(t *testing.T, r *rig) {
	r.needTokens(t)
	q := r.env.Known.query(t)
	if _, err := r.read(t, q); err != nil { // warm the token cache
		t.Fatalf("warm-up Read: %v", err)
	}
	tok0, api0 := r.wire.counts()
	r.env.Faults.Inject(sandbox.Unauthorized, 1)
	if _, err := r.read(t, q); err != nil {
		t.Fatalf("Read after one token rejection: %v (want success after one refresh)", err)
	}
	tok1, api1 := r.wire.counts()
	if tok1-tok0 != 1 || api1-api0 != 2 {
		t.Fatalf("after one rejection: %d token requests and %d API requests; want exactly 1 and 2", tok1-tok0, api1-api0)
	}
}

func checkNoLoop(t *testing.T, r *rig) {
	r.needTokens(t)
	q := r.env.Known.query(t)
	if _, err := r.read(t, q); err != nil {
		t.Fatalf("warm-up Read: %v", err)
	}
	tok0, api0 := r.wire.counts()
	r.env.Faults.Inject(sandbox.Unauthorized, 20)
	_, err := r.read(t, q)
	r.env.Faults.Reset()
	if !errors.Is(err, connectors.ErrUnauthorized) {
		t.Fatalf("Read while every token is rejected = %v; want ErrUnauthorized", err)
	}
	tok1, api1 := r.wire.counts()
	if tok1-tok0 > 2 || api1-api0 > 2 {
		t.Fatalf("a rejected token cost %d token requests and %d API requests; want at most 2 each (one refresh, no loop)", tok1-tok0, api1-api0)
	}
	if n := r.secrets.freshCalls(); n > 1 {
		t.Fatalf("asked the secret source for fresh credentials %d times; want at most once", n)
	}
}

func checkRateLimited(t *testing.T, r *rig) {
	const wait = 30 * time.Second // longer than any client retry wait: must be reported, not slept
	r.env.Faults.SetRetryAfter(wait)
	r.env.Faults.Inject(sandbox.RateLimit, 20)
	start := time.Now()
	_, err := r.read(t, r.env.Known.query(t))
	r.env.Faults.Reset()
	if !errors.Is(err, connectors.ErrRateLimited) {
		t.Fatalf("Read while rate limited = %v; want ErrRateLimited", err)
	}
	d, ok := connectors.RetryAfter(err)
	if !ok || d <= 0 {
		t.Fatalf("rate limit error carries no RetryAfter: %v", err)
	}
	if r.env.EchoesRetryAfter && (d < wait-time.Second || d > wait+time.Second) {
		t.Fatalf("RetryAfter = %v; the sandbox announced %v", d, wait)
	}
	if el := time.Since(start); el > wait/2 {
		t.Fatalf("the connector slept %v on a rate limit instead of reporting it", el)
	}
}

func checkServerError(t *testing.T, r *rig) {
	r.env.Faults.Inject(sandbox.ServerError, 20) // more than any retry budget
	_, err := r.read(t, r.env.Known.query(t))
	r.env.Faults.Reset()
	if !errors.Is(err, connectors.ErrUnavailable) {
		t.Fatalf("Read during server errors = %v; want ErrUnavailable", err)
	}
}

func checkFaultIsError(kind sandbox.Fault) func(*testing.T, *rig) {
	return func(t *testing.T, r *rig) {
		q := r.env.Known.query(t)
		if _, err := r.read(t, q); err != nil { // token first, so the fault hits the API call
			t.Fatalf("warm-up Read: %v", err)
		}
		r.env.Faults.Inject(kind, 20)
		rec, err := r.read(t, q)
		r.env.Faults.Reset()
		if err == nil {
			t.Fatalf("Read of a %s body succeeded with %d fields; want an error", kind, len(rec))
		}
		if k := connectors.KindOf(err); k == connectors.KindUnknown || k == connectors.KindNotFound {
			t.Fatalf("Read of a %s body = %v (kind %s); want an error wrapping an upstream kind", kind, err, k)
		}
	}
}

func checkCancel(t *testing.T, r *rig) {
	q := r.env.Known.query(t)
	if _, err := r.read(t, q); err != nil {
		t.Fatalf("warm-up Read: %v", err)
	}
	r.wire.drainStarted()
	r.env.Faults.Inject(sandbox.Hang, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := r.conn.Read(ctx, q)
		done <- err
	}()
	select {
	case <-r.wire.started:
	case err := <-done:
		t.Fatalf("Read returned before the hanging request was sent: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("the connector sent no API request")
	}
	time.Sleep(20 * time.Millisecond) // let the request reach the sandbox and hang
	cancel()
	at := time.Now()
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Read did not return after cancellation")
	}
	took := time.Since(at)
	t.Logf("returned %v after cancellation (target %v)", took.Round(10*time.Microsecond), CancelTarget)
	if took > CancelBound {
		t.Fatalf("returned %v after cancellation; target %v", took, CancelTarget)
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Read = %v; want context.Canceled in the chain", err)
	}
}

func checkNoLeaks(t *testing.T, r *rig) {
	ctx := context.Background()
	known := r.env.Known.query(t)
	var errs []error
	note := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	_, err := r.read(t, known)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	r.env.Faults.SetRetryAfter(30 * time.Second) // reported, not slept through
	_, err = r.read(t, r.env.Missing)
	note(err)
	for _, f := range []sandbox.Fault{sandbox.Unauthorized, sandbox.RateLimit, sandbox.ServerError, sandbox.Malformed, sandbox.Oversized} {
		r.env.Faults.Inject(f, 20)
		_, err = r.read(t, known)
		r.env.Faults.Reset()
		r.env.Faults.SetRetryAfter(30 * time.Second)
		note(err)
	}
	bad := known
	bad.Resource = "no_such_resource"
	_, err = r.read(t, bad)
	note(err)
	if r.env.Search != nil {
		_, err = r.conn.Search(ctx, connectors.Query{Resource: r.env.Search.Resource, Match: r.env.Missing.Match, Fields: paths(t, r.env.Search.Fields)})
		note(err)
	}
	if len(errs) < 6 {
		t.Fatalf("only %d of the failing calls failed: %v", len(errs), errs)
	}

	secrets := r.wire.authSecrets()
	for _, v := range r.env.Credentials {
		secrets = append(secrets, secretPieces(v)...)
	}
	var values []string
	for _, c := range []Case{r.env.Known, r.env.Nested, r.env.Null, r.env.Unicode} {
		for _, s := range leafStrings(c.Want) {
			if len(s) >= 8 || strings.ContainsAny(s, "@") {
				values = append(values, s)
			}
		}
		for _, m := range c.Match {
			values = append(values, m.Value)
		}
	}
	for _, m := range r.env.Missing.Match {
		values = append(values, m.Value)
	}
	upstream := r.wire.errorTexts()
	if len(upstream) == 0 {
		t.Fatal("harness: the sandbox's error responses carry no message text to check against")
	}
	logs := r.logs.String()
	for _, where := range append(errTexts(errs), "logs:\n"+logs) {
		for _, s := range secrets {
			if len(s) >= 6 && strings.Contains(where, s) {
				t.Errorf("a secret or token appears in %q", clip(where))
			}
		}
		for _, v := range values {
			if len(v) >= 4 && strings.Contains(where, v) {
				t.Errorf("a record or lookup value (%d bytes) appears in %q", len(v), clip(where))
			}
		}
		for _, u := range upstream {
			if strings.Contains(where, u) {
				t.Errorf("upstream body text %q appears in %q", u, clip(where))
			}
		}
	}
}

func errTexts(errs []error) []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = "error: " + e.Error() + fmt.Sprintf(" / %+v", e)
	}
	return out
}

func clip(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}

// secretPieces returns a secret and, for multi-line secrets (PEM keys),
// its long lines, so a leaked fragment is caught too.
func secretPieces(v string) []string {
	out := []string{v}
	if strings.Contains(v, "\n") {
		for _, l := range strings.Split(v, "\n") {
			if l = strings.TrimSpace(l); len(l) >= 16 && !strings.HasPrefix(l, "-----") {
				out = append(out, l)
			}
		}
	}
	return out
}

func leafStrings(v any) []string {
	var out []string
	switch v := v.(type) {
	case string:
		out = append(out, v)
	case map[string]any:
		for _, e := range v {
			out = append(out, leafStrings(e)...)
		}
	case []any:
		for _, e := range v {
			out = append(out, leafStrings(e)...)
		}
	}
	return out
}

func checkConcurrent(t *testing.T, r *rig) {
	const n = 50
	q := r.env.Known.query(t)
	want := norm(t, r.env.Known.Want)
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if p := recover(); p != nil {
					errs <- fmt.Sprint("panic: ", p)
				}
			}()
			rec, err := r.conn.Read(context.Background(), q)
			if err != nil {
				errs <- err.Error()
				return
			}
			if d := cmp.Diff(want, norm(t, rec)); d != "" {
				errs <- d
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if tok, _ := r.wire.counts(); r.env.IsTokenRequest != nil && tok > 1 {
		t.Errorf("%d concurrent calls fetched %d tokens; want one shared token", n, tok)
	}
}

func checkClose(t *testing.T, r *rig) {
	for i := 0; i < 3; i++ {
		if err := safely(t, "Close", r.conn.Close); err != nil {
			t.Fatalf("Close #%d: %v", i+1, err)
		}
	}
}

func checkWrapper(t *testing.T, r *rig) {
	w := connectors.Wrap(r.conn, r.h.Factory(), r.env.Config, r.deps, connectors.WrapOptions{})
	defer w.Close()
	for name, c := range map[string]Case{"Known": r.env.Known, "Nested": r.env.Nested, "Null": r.env.Null} {
		rec, err := w.Read(context.Background(), c.query(t))
		if err != nil {
			t.Fatalf("%s through the wrapper: %v", name, err)
		}
		if d := cmp.Diff(norm(t, c.Want), norm(t, rec)); d != "" {
			t.Fatalf("%s through the wrapper (-want +got):\n%s", name, d)
		}
	}
}

// kitSecrets serves the harness's credentials and counts fresh requests.
type kitSecrets struct {
	mu    sync.Mutex
	creds connectors.Credentials
	fresh int
}

func (s *kitSecrets) Credentials(_ context.Context, _ connectors.CredentialRef, fresh bool) (connectors.Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if fresh {
		s.fresh++
	}
	out := make(connectors.Credentials, len(s.creds))
	for k, v := range s.creds {
		out[k] = v
	}
	return out, nil
}

func (s *kitSecrets) freshCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fresh
}

// watcher is a RoundTripper that counts token and API requests, remembers
// the credentials sent in Authorization headers and the message text of
// upstream error bodies, and signals each API request as it starts.
type watcher struct {
	base    http.RoundTripper
	isToken func(*http.Request) bool
	started chan struct{}

	mu      sync.Mutex
	tokens  int
	api     int
	auth    []string
	errText map[string]bool
}

func (w *watcher) RoundTrip(req *http.Request) (*http.Response, error) {
	isTok := w.isToken != nil && w.isToken(req)
	w.mu.Lock()
	if isTok {
		w.tokens++
	} else {
		w.api++
	}
	if a := req.Header.Get("Authorization"); a != "" {
		w.auth = append(w.auth, authPieces(a)...)
	}
	for _, h := range []string{"X-Shopify-Access-Token", "X-Api-Key"} {
		if v := req.Header.Get(h); v != "" {
			w.auth = append(w.auth, v)
		}
	}
	w.mu.Unlock()
	if !isTok {
		select {
		case w.started <- struct{}{}:
		default:
		}
	}
	resp, err := w.base.RoundTrip(req)
	if err != nil || resp.StatusCode < 400 {
		return resp, err
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	rest := resp.Body
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(body), rest), rest}
	if rerr == nil {
		w.mu.Lock()
		if w.errText == nil {
			w.errText = map[string]bool{}
		}
		for _, s := range messageTexts(body) {
			w.errText[s] = true
		}
		w.mu.Unlock()
	}
	return resp, nil
}

func authPieces(h string) []string {
	scheme, cred, ok := strings.Cut(h, " ")
	if !ok {
		return []string{h}
	}
	out := []string{cred}
	if strings.EqualFold(scheme, "basic") {
		if raw, err := base64.StdEncoding.DecodeString(cred); err == nil {
			user, pass, _ := strings.Cut(string(raw), ":")
			out = append(out, pass)
			if strings.HasSuffix(user, "/token") { // Zendesk's legacy email/token:TOKEN
				out = append(out, pass)
			}
		}
	}
	return out
}

// messageTexts extracts the human-readable messages of an error body: JSON
// string values with a space in them (codes like INVALID_SESSION_ID are
// fine to repeat; sentences are not), or the text of a non-JSON body.
func messageTexts(body []byte) []string {
	var v any
	var out []string
	if json.Unmarshal(body, &v) == nil {
		for _, s := range leafStrings(v) {
			if len(s) >= 12 && strings.Contains(strings.TrimSpace(s), " ") {
				out = append(out, s)
			}
		}
		return out
	}
	if s := strings.TrimSpace(string(body)); len(s) >= 12 && strings.Contains(s, " ") {
		if len(s) > 80 {
			s = s[:80]
		}
		out = append(out, s)
	}
	return out
}

func (w *watcher) counts() (tokens, api int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.tokens, w.api
}

func (w *watcher) authSecrets() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.auth...)
}

func (w *watcher) errorTexts() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]string, 0, len(w.errText))
	for s := range w.errText {
		out = append(out, s)
	}
	return out
}

func (w *watcher) drainStarted() {
	for {
		select {
		case <-w.started:
		default:
			return
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
