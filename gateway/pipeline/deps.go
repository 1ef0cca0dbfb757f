package pipeline

import (
	"context"

	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/gateway/audit"
	"github.com/cxgate/cxgate/pii"
)

// Tokenizer protects values: Vault transit in production
// (vaultclient.Client), the local tokenizer in `cxgate dev`. Every method
// handles a whole batch in one round trip; per-item failures come back as
// *pii.BatchError, whole-call failures wrap pii.ErrUnavailable when
// protection cannot run.
type Tokenizer interface {
	Tokenize(ctx context.Context, client string, items []pii.Item) ([]string, error)
	Detokenize(ctx context.Context, client string, tokens []string) ([]pii.Item, error)
	HMAC(ctx context.Context, client string, items []pii.Item) ([]string, error)
}

// Connections finds the connector serving a connection name.
type Connections interface {
	Connector(name string) (connectors.Connector, bool)
}

// Auditor stores audit records. Write must not depend on the request's
// context: the record is written even when the expert has gone away.
type Auditor interface {
	Write(rec *audit.Record) error
}

// Observer receives counts and timings; label values are names from the
// scopes and fixed words, never request content. Nil-safe via noopObserver.
type Observer interface {
	ObserveTokenizer(op, outcome string, seconds float64)
	AddTokens(client, typ string, n int)
	AddFindings(client, typ string, n int)
}

type noopObserver struct{}

func (noopObserver) ObserveTokenizer(string, string, float64) {}
func (noopObserver) AddTokens(string, string, int)            {}
func (noopObserver) AddFindings(string, string, int)          {}

// ConnectionMap is a Connections backed by a map.
type ConnectionMap map[string]connectors.Connector

// Connector implements Connections.
func (m ConnectionMap) Connector(name string) (connectors.Connector, bool) {
	c, ok := m[name]
	return c, ok
}
