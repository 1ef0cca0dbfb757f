package vaultclient

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cxgate/cxgate/pii"
	"github.com/cxgate/cxgate/vaultclient/vaulttest"
)

func TestMain(m *testing.M) { vaulttest.Main(m) }

var seq atomic.Int64

// unique returns a short name no other test uses on the shared server.
func unique(prefix string) string {
	return fmt.Sprintf("%s%d", prefix, seq.Add(1))
}

// fixture is a fresh transit mount on a Vault server and a root-token
// config pointing at it; tests get their own mount so they can run in any
// order on the shared server.
type fixture struct {
	srv *vaulttest.Server
	cfg Config
}

func newFixture(t testing.TB, srv *vaulttest.Server) *fixture {
	t.Helper()
	mount := unique("transit")
	if err := srv.EnableTransit(context.Background(), mount); err != nil {
		t.Fatal(err)
	}
	tok := srv.RootToken
	return &fixture{srv: srv, cfg: Config{
		Address:      srv.Addr,
		Auth:         AuthConfig{Method: AuthToken, TokenEnv: "TEST_VAULT_TOKEN"},
		TransitMount: mount,
		Timeout:      5 * time.Second,
		Getenv: func(k string) string {
			if k == "TEST_VAULT_TOKEN" {
				return tok
			}
			return ""
		},
	}}
}

func sharedFixture(t testing.TB) *fixture { return newFixture(t, vaulttest.Shared(t)) }

// client opens a Client on the fixture's config and closes it after the test.
func (f *fixture) client(t testing.TB) *Client {
	t.Helper()
	return openClient(t, f.cfg)
}

func openClient(t testing.TB, cfg Config) *Client {
	t.Helper()
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// initKeys creates the clients' keys with the root token.
func (f *fixture) initKeys(t testing.TB, clients ...string) {
	t.Helper()
	c := f.client(t)
	if _, err := c.InitKeys(context.Background(), clients); err != nil {
		t.Fatalf("InitKeys: %v", err)
	}
}

// policy reads an example policy and points it at the fixture's mounts.
func (f *fixture) policy(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "examples", "vault", name))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(b), `"transit/`, `"`+f.cfg.TransitMount+`/`)
	kv := f.cfg.KVMount
	if kv == "" {
		kv = DefaultKVMount
	}
	return strings.ReplaceAll(s, `"secret/`, `"`+kv+`/`)
}

// writeFile writes content to a new file in the test's temp dir.
func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// noLeak fails if err's text contains any of the secrets.
func noLeak(t testing.TB, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error text leaks a value: %q", err.Error())
		}
	}
}

// itemErr returns the error of item i from a *pii.BatchError.
func itemErr(t testing.TB, err error, i int) error {
	t.Helper()
	var be *pii.BatchError
	if !errors.As(err, &be) {
		t.Fatalf("want a *pii.BatchError, got %v", err)
	}
	return be.At(i)
}

// waitFor polls cond until it holds or a generous deadline passes. It is a
// wait for an event (a renewal, a re-login), not a timing assertion.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
