package vaulttest

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"
)

// buildBudget bounds a first build inside a test binary (go test's default
// timeout is 10 minutes; CI builds the server before the tests start).
const buildBudget = 9 * time.Minute

// Start runs a dev server for one test and stops it in cleanup. Use it for
// tests that stop, pause or seal the server; others share one through Main.
func Start(tb testing.TB) *Server {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), buildBudget)
	defer cancel()
	s, err := NewServer(ctx, Options{Progress: os.Stderr})
	if err != nil {
		tb.Fatalf("vaulttest: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Stop(); err != nil {
			tb.Errorf("vaulttest: %v", err)
		}
	})
	return s
}

// shared is the package's server started by Main. A test binary is one
// process, so this is the one place where process-wide state is the point.
var shared atomic.Pointer[Server]

// Main runs a test binary's tests with one shared dev server (see Shared)
// and stops it afterwards. Call it from TestMain.
func Main(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), buildBudget)
	s, err := NewServer(ctx, Options{Progress: os.Stderr})
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "vaulttest: %v\n", err)
		os.Exit(1)
	}
	shared.Store(s)
	code := m.Run()
	if err := s.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "vaulttest: %v\n", err)
	}
	os.Exit(code)
}

// Shared returns the server Main started. Tests must not stop, pause or
// seal it; they should use names of their own (mounts, keys, roles) so they
// can run in any order.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	s := shared.Load()
	if s == nil {
		tb.Fatal("vaulttest.Shared needs `func TestMain(m *testing.M) { vaulttest.Main(m) }` in the package")
	}
	return s
}
