package newconnector_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/connectors/connectortest"
	"github.com/cxgate/cxgate/examples/newconnector"
)

// The kit's own proof: each variant below breaks this (good) connector in
// one way, and the kit must fail exactly the check that is about it. The
// variants run in a child test process, because a failing kit must fail
// its test.

// broken wraps a connector; each hook may replace one behaviour.
type broken struct {
	connectors.Connector
	read  func(ctx context.Context, q connectors.Query) (connectors.Record, error)
	close func() error
}

func (b *broken) Read(ctx context.Context, q connectors.Query) (connectors.Record, error) {
	if b.read != nil {
		return b.read(ctx, q)
	}
	return b.Connector.Read(ctx, q)
}

func (b *broken) Close() error {
	if b.close != nil {
		return b.close()
	}
	return b.Connector.Close()
}

var variants = map[string]struct {
	check string // the kit check that must fail
	wrap  func(c connectors.Connector) connectors.Connector
}{
	"extra-field": {"RequestedFieldsOnly", func(c connectors.Connector) connectors.Connector {
		return &broken{Connector: c, read: func(ctx context.Context, q connectors.Query) (connectors.Record, error) {
			rec, err := c.Read(ctx, q)
			if rec != nil {
				rec["internal_score"] = 87.0
			}
			return rec, err
		}}
	}},
	"drops-nulls": {"NullVersusAbsent", func(c connectors.Connector) connectors.Connector {
		return &broken{Connector: c, read: func(ctx context.Context, q connectors.Query) (connectors.Record, error) {
			rec, err := c.Read(ctx, q)
			for k, v := range rec {
				if v == nil {
					delete(rec, k)
				}
			}
			return rec, err
		}}
	}},
	"leaks-lookup-value": {"NoSecretsOrUpstreamTextLeak", func(c connectors.Connector) connectors.Connector {
		return &broken{Connector: c, read: func(ctx context.Context, q connectors.Query) (connectors.Record, error) {
			rec, err := c.Read(ctx, q)
			if err != nil {
				err = fmt.Errorf("lookup %s=%s: %w", q.Match[0].Key, q.Match[0].Value, err)
			}
			return rec, err
		}}
	}},
	"hides-rate-limit": {"RateLimitedRetryAfter", func(c connectors.Connector) connectors.Connector {
		return &broken{Connector: c, read: func(ctx context.Context, q connectors.Query) (connectors.Record, error) {
			rec, err := c.Read(ctx, q)
			if errors.Is(err, connectors.ErrRateLimited) {
				err = fmt.Errorf("busy: %w", connectors.ErrUnavailable)
			}
			return rec, err
		}}
	}},
	"retries-unauthorized": {"UnauthorizedDoesNotLoop", func(c connectors.Connector) connectors.Connector {
		return &broken{Connector: c, read: func(ctx context.Context, q connectors.Query) (connectors.Record, error) {
			for i := 0; ; i++ {
				rec, err := c.Read(ctx, q)
				if i == 4 || !errors.Is(err, connectors.ErrUnauthorized) {
					return rec, err
				}
			}
		}}
	}},
	"ignores-cancellation": {"CancellationPrompt", func(c connectors.Connector) connectors.Connector {
		return &broken{Connector: c, read: func(ctx context.Context, q connectors.Query) (connectors.Record, error) {
			return c.Read(context.WithoutCancel(ctx), q)
		}}
	}},
	"errors-without-kind": {"MalformedBody", func(c connectors.Connector) connectors.Connector {
		return &broken{Connector: c, read: func(ctx context.Context, q connectors.Query) (connectors.Record, error) {
			rec, err := c.Read(ctx, q)
			if err != nil {
				err = errors.New("something went wrong")
			}
			return rec, err
		}}
	}},
	"panics": {"OversizedBody", func(c connectors.Connector) connectors.Connector {
		return &broken{Connector: c, read: func(ctx context.Context, q connectors.Query) (connectors.Record, error) {
			rec, err := c.Read(ctx, q)
			if err != nil {
				panic("unexpected answer")
			}
			return rec, err
		}}
	}},
	"close-twice-fails": {"CloseIdempotent", func(c connectors.Connector) connectors.Connector {
		n := 0
		return &broken{Connector: c, close: func() error {
			if n++; n > 1 {
				return errors.New("already closed")
			}
			return nil
		}}
	}},
	"healthy": {"", func(c connectors.Connector) connectors.Connector { return c }},
}

type brokenHarness struct {
	harness
	wrap func(connectors.Connector) connectors.Connector
}

func (h brokenHarness) Factory() connectors.Factory {
	f := newconnector.Factory()
	open := f.Open
	f.Open = func(ctx context.Context, cfg connectors.ConnectionConfig, deps connectors.Deps) (connectors.Connector, error) {
		c, err := open(ctx, cfg, deps)
		if err != nil {
			return nil, err
		}
		return h.wrap(c), nil
	}
	return f
}

// TestKitVictim runs the kit on one broken variant; it is started by
// TestKitCatchesBrokenConnectors in a child process.
func TestKitVictim(t *testing.T) {
	name := os.Getenv("CXGATE_KIT_VICTIM")
	if name == "" {
		t.Skip("run by TestKitCatchesBrokenConnectors")
	}
	v := variants[name]
	connectortest.Run(t, brokenHarness{harness: harness{maxHang: 3 * time.Second}, wrap: v.wrap})
}

func TestKitCatchesBrokenConnectors(t *testing.T) {
	if os.Getenv("CXGATE_KIT_VICTIM") != "" {
		t.Skip("in a child process")
	}
	for name, v := range variants {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			run := "^TestKitVictim$"
			if v.check != "" {
				run += "/^" + v.check + "$"
			}
			cmd := exec.Command(os.Args[0], "-test.run="+run, "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), "CXGATE_KIT_VICTIM="+name)
			out, err := cmd.CombinedOutput()
			if v.check == "" {
				if err != nil {
					t.Fatalf("the kit fails a healthy connector:\n%s", out)
				}
				return
			}
			if err == nil || !strings.Contains(string(out), "--- FAIL: TestKitVictim/"+v.check) {
				t.Fatalf("the kit did not catch %s in %s (err %v):\n%s", name, v.check, err, out)
			}
		})
	}
}
