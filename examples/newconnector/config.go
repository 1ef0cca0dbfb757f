package newconnector

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"

	"github.com/cxgate/cxgate/connectors"
)

// Factory registers the type: add `newconnector.Factory()` to
// connectors/builtin (and its harness to builtin's meta-test).
func Factory() connectors.Factory {
	return connectors.Factory{
		Type: Type, Catalog: Catalog, Check: Check, Open: Open,
		DefaultRate: 5, DefaultBurst: 10, // Hearth documents 300 requests per minute per client
	}
}

// Check validates a connection's settings: pure and fast, every problem
// named by its config key.
func Check(cfg connectors.ConnectionConfig) []connectors.Problem {
	var probs []connectors.Problem
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && strings.HasPrefix(u.Host, "127.0.0.1:"))) {
		probs = append(probs, connectors.Problem{Key: "base_url", Message: "want https://<account>.hearth.example.com"})
	}
	if cfg.Auth != "" && cfg.Auth != "client_credentials" {
		probs = append(probs, connectors.Problem{Key: "auth", Message: "hearth supports client_credentials only"})
	}
	if err := cfg.Credentials.Validate(); err != nil {
		probs = append(probs, connectors.Problem{Key: "credentials", Message: err.Error()})
	}
	for k := range cfg.Options {
		probs = append(probs, connectors.Problem{Key: "options." + k, Message: "hearth takes no options"})
	}
	return probs
}

// Open builds the connector without I/O (the token comes on first use).
func Open(_ context.Context, cfg connectors.ConnectionConfig, deps connectors.Deps) (connectors.Connector, error) {
	if probs := Check(cfg); len(probs) > 0 {
		return nil, fmt.Errorf("hearth connection %q: %s: %s: %w", cfg.Name, probs[0].Key, probs[0].Message, connectors.ErrInvalid)
	}
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	c := &Connector{
		cat:  Catalog(),
		http: connectors.NewHTTPClient(cfg, deps, connectors.HTTPOptions{UserAgent: "cxgate-hearth"}),
		log:  log.With("connector", Type, "connection", cfg.Name),
	}
	c.tokens = &connectors.TokenCache{Secrets: deps.Secrets, Ref: cfg.Credentials, Fetch: c.fetchToken}
	return c, nil
}
