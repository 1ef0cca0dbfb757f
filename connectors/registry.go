package connectors

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
)

// Factory is one connector type. Registries hold factories; there is no
// global registry and no init(): cmd/ builds the registry from
// connectors/builtin.
type Factory struct {
	Type string
	// Catalog describes the type without opening anything.
	Catalog func() Catalog
	// Check validates a connection's type-specific settings (base URL form,
	// auth mode, options). It is pure and fast.
	Check func(cfg ConnectionConfig) []Problem
	// Open builds a connector for one connection. It may not do network
	// I/O beyond what is needed to start (tokens are fetched lazily).
	Open func(ctx context.Context, cfg ConnectionConfig, deps Deps) (Connector, error)
	// DefaultRate and DefaultBurst size the wrapper's client-side rate
	// limiter for a connection that sets no rate_limit: the vendor's
	// documented per-connection budget, in requests per second. Zero means
	// the wrapper's defaults (10/s, burst 20).
	DefaultRate  float64
	DefaultBurst int
}

// Deps are what a connector may use from its host.
type Deps struct {
	Secrets SecretSource
	Logger  *slog.Logger
	// HTTPClient, when set, is the transport base (tests point it at
	// sandboxes; nil means a default client with sane timeouts).
	HTTPClient *http.Client
	// Metrics receives per-call observations; nil means none.
	Metrics Metrics
}

// Metrics receives observations about upstream calls. Labels are
// connection, resource and action names and error kinds: never values.
type Metrics interface {
	ObserveCall(connection, resource, action, outcome string, seconds float64)
	SetBreakerState(connection string, state string)
}

// Registry maps connector types to factories. The zero value is empty;
// build one with NewRegistry.
type Registry struct {
	byType map[string]Factory
}

// NewRegistry builds a registry; duplicate or incomplete factories are errors.
func NewRegistry(factories ...Factory) (*Registry, error) {
	r := &Registry{byType: make(map[string]Factory, len(factories))}
	for _, f := range factories {
		if f.Type == "" || f.Catalog == nil || f.Open == nil {
			return nil, fmt.Errorf("connector factory %q is incomplete", f.Type)
		}
		if _, dup := r.byType[f.Type]; dup {
			return nil, fmt.Errorf("connector type %q registered twice", f.Type)
		}
		r.byType[f.Type] = f
	}
	return r, nil
}

// Lookup returns the factory for a type.
func (r *Registry) Lookup(typ string) (Factory, bool) {
	if r == nil {
		return Factory{}, false
	}
	f, ok := r.byType[typ]
	return f, ok
}

// Types lists the registered types, sorted.
func (r *Registry) Types() []string {
	if r == nil {
		return nil
	}
	out := make([]string, 0, len(r.byType))
	for t := range r.byType {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}
