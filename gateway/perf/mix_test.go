package perf

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cxgate/cxgate/gateway/dev"
)

func TestNewMix(t *testing.T) {
	profiles := map[string][]Expert{"a": {{Subject: "x1", Token: "t1"}, {Subject: "x2", Token: "t2"}}, "b": {{Subject: "y", Token: "t3", ForwardedFor: "198.51.100.7"}}}
	req := func(name string) Request {
		return Request{Name: name, Method: http.MethodGet, Path: "/" + name, Want: 200}
	}
	t.Run("shares and spread", func(t *testing.T) {
		m, err := NewMix([]Op{{5, "a", req("five")}, {3, "a", req("three")}, {2, "b", req("two")}}, profiles)
		if err != nil {
			t.Fatal(err)
		}
		src := m.Source()
		got := map[string]int64{}
		last, run, longest := "", 0, 0
		for i := range int64(1000) {
			r := src(i)
			got[r.Name]++
			if r.Name == last {
				run++
			} else {
				last, run = r.Name, 1
			}
			longest = max(longest, run)
		}
		want := m.Counts(1000)
		for _, n := range []string{"five", "three", "two"} {
			if got[n] != want[n] {
				t.Errorf("%s: sent %d, Counts says %d", n, got[n], want[n])
			}
		}
		if want["five"] != 500 || want["three"] != 300 || want["two"] != 200 {
			t.Errorf("Counts(1000) = %v", want)
		}
		// Half the requests are "five": at most two in a row when spread.
		if longest > 2 {
			t.Errorf("an op came %d times in a row; smooth round robin spreads them", longest)
		}
		if c := m.Counts(7); c["five"]+c["three"]+c["two"] != 7 {
			t.Errorf("Counts(7) = %v", c)
		}
	})
	t.Run("experts take turns", func(t *testing.T) {
		m, err := NewMix([]Op{{1, "a", req("one")}, {1, "a", req("other")}, {1, "b", req("b")}}, profiles)
		if err != nil {
			t.Fatal(err)
		}
		src := m.Source()
		var auth []string
		for i := range int64(6) {
			r := src(i)
			auth = append(auth, r.Header.Get("Authorization")+"|"+r.Header.Get("X-Forwarded-For"))
		}
		want := []string{"Bearer t1|", "Bearer t2|", "Bearer t3|198.51.100.7", "Bearer t1|", "Bearer t2|", "Bearer t3|198.51.100.7"}
		if strings.Join(auth, ",") != strings.Join(want, ",") {
			t.Errorf("headers %v, want %v", auth, want)
		}
	})
	for _, c := range []struct {
		name string
		ops  []Op
	}{
		{"no ops", nil},
		{"zero weight", []Op{{0, "a", req("x")}}},
		{"unknown profile", []Op{{1, "nobody", req("x")}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := NewMix(c.ops, profiles); err == nil {
				t.Error("NewMix accepted it")
			}
		})
	}
}

// TestDevMix sends every op of the dev mix once and checks it gets the
// status the mix expects, and that no answer carries the looked-up
// customer's email in clear.
func TestDevMix(t *testing.T) {
	ctx := context.Background()
	env, err := dev.Start(ctx, dev.Options{AuditDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Close() })
	srv := httptest.NewServer(env.Handler)
	t.Cleanup(srv.Close)
	m, err := DevMix(ctx, env, MixOptions{Experts: 40})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, o := range m.Ops() {
		if names[o.Request.Name] {
			t.Errorf("two ops are named %s", o.Request.Name)
		}
		names[o.Request.Name] = true
	}
	src := m.Source()
	seen := map[string]bool{}
	for i := int64(0); len(seen) < len(m.Ops()) && i < 1000; i++ {
		r := src(i)
		if seen[r.Name] {
			continue
		}
		seen[r.Name] = true
		t.Run(r.Name, func(t *testing.T) {
			status, body := do(t, srv.URL, r)
			if status != r.Want {
				t.Fatalf("status %d, want %d: %s", status, r.Want, body)
			}
			if strings.Contains(body, mixCustomer) {
				t.Errorf("the answer shows the customer's email: %s", body)
			}
		})
	}
}

func do(t testing.TB, base string, r Request) (int, string) {
	t.Helper()
	req, err := http.NewRequest(r.Method, base+r.Path, strings.NewReader(string(r.Body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = r.Header.Clone()
	if r.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.Idempotent {
		req.Header.Set("Idempotency-Key", newKey())
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}
