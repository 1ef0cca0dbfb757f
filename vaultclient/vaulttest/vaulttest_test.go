package vaulttest

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestServerLifecycle(t *testing.T) {
	s := Start(t)
	ctx := context.Background()
	if !strings.HasPrefix(s.Addr, "http://127.0.0.1:") || !strings.HasPrefix(s.RootToken, "root-") {
		t.Fatalf("server: %s %s", s.Addr, s.RootToken)
	}
	c, err := s.Client()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Auth().Token().LookupSelfWithContext(ctx); err != nil {
		t.Fatalf("the root token does not work: %v", err)
	}
	if err := s.EnableTransit(ctx, "transit"); err != nil {
		t.Fatal(err)
	}
	if err := s.EnableTransit(ctx, "transit"); err != nil {
		t.Errorf("enabling a mount twice: %v", err)
	}
	if err := s.EnableKV2(ctx, "secret"); err != nil {
		t.Errorf("the dev server's own secret/ mount: %v", err)
	}
	if err := s.EnableKV2(ctx, "transit"); err == nil {
		t.Error("a transit mount passed for KV")
	}
	roleID, secretID, err := s.AppRole(ctx, "approle", "x", map[string]any{"token_ttl": "1m"})
	if err != nil || roleID == "" || secretID == "" {
		t.Fatalf("AppRole: %q %q %v", roleID, secretID, err)
	}

	// Seal and unseal keep the in-memory data.
	if err := s.Seal(ctx); err != nil {
		t.Fatal(err)
	}
	if st, err := c.Sys().SealStatusWithContext(ctx); err != nil || !st.Sealed {
		t.Fatalf("after Seal: %+v %v", st, err)
	}
	if err := s.Unseal(ctx); err != nil {
		t.Fatal(err)
	}
	if m, err := c.Sys().ListMountsWithContext(ctx); err != nil || m["transit/"] == nil {
		t.Errorf("after Unseal the transit mount is gone: %v", err)
	}

	// Pause: connections hang; Resume: they are answered.
	if err := s.Pause(); err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Timeout: 200 * time.Millisecond}
	if _, err := hc.Get(s.Addr + "/v1/sys/health"); err == nil {
		t.Error("a paused server answered")
	}
	if err := s.Resume(); err != nil {
		t.Fatal(err)
	}
	if !healthy(ctx, &http.Client{Timeout: 5 * time.Second}, s.Addr) {
		t.Error("the resumed server is not healthy")
	}

	// Stop: the whole process group is gone and the port refuses.
	s.mu.Lock()
	pgid := s.cmd.Process.Pid
	s.mu.Unlock()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(-pgid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("processes of the server survived Stop: %v", err)
	}
	if conn, err := net.DialTimeout("tcp", strings.TrimPrefix(s.Addr, "http://"), time.Second); err == nil {
		conn.Close()
		t.Error("the stopped server's port still accepts")
	}
	if s.Running() {
		t.Error("Running after Stop")
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}

	// Restart: same address and root token, empty storage.
	if err := s.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Auth().Token().LookupSelfWithContext(ctx); err != nil {
		t.Errorf("the root token after Restart: %v", err)
	}
	if m, err := c.Sys().ListMountsWithContext(ctx); err != nil || m["transit/"] != nil {
		t.Errorf("after Restart the storage should be empty: %v", err)
	}
}

func TestBinaryPath(t *testing.T) {
	t.Setenv(EnvBinary, "")
	t.Setenv("XDG_CACHE_HOME", "/tmp/xdg-example")
	if p, _ := BinaryPath(); p != "/tmp/xdg-example/cxgate/vault-v1.14.1/vault" {
		t.Errorf("with XDG_CACHE_HOME: %s", p)
	}
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", "/home/example")
	if p, _ := BinaryPath(); p != "/home/example/.cache/cxgate/vault-v1.14.1/vault" {
		t.Errorf("with HOME: %s", p)
	}
	notExec := filepath.Join(t.TempDir(), "vault")
	if err := os.WriteFile(notExec, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvBinary, notExec)
	if p, _ := BinaryPath(); p != notExec {
		t.Errorf("with %s: %s", EnvBinary, p)
	}
	if _, err := Binary(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "not an executable") {
		t.Errorf("a non-executable %s: %v", EnvBinary, err)
	}
}

// Only one holder of the build lock at a time, in this process or another.
func TestBuildLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".build.lock")
	ctx := context.Background()
	var (
		mu      sync.Mutex
		holders int
		maxSeen int
		wg      sync.WaitGroup
	)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock, err := lock(ctx, path, io.Discard)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			holders++
			maxSeen = max(maxSeen, holders)
			mu.Unlock()
			time.Sleep(20 * time.Millisecond)
			mu.Lock()
			holders--
			mu.Unlock()
			unlock()
		}()
	}
	wg.Wait()
	if maxSeen != 1 {
		t.Errorf("%d holders at once", maxSeen)
	}
	unlock, err := lock(ctx, path, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := lock(cctx, path, io.Discard); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting on a held lock should end with the context: %v", err)
	}
}
