package newconnector

import (
	"context"
	"io"
	"log/slog"

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
	if _, msg := connectors.CheckBaseURL(cfg.BaseURL, "https://<account>.hearth.example.com"); msg != "" {
		probs = append(probs, connectors.Problem{Key: "base_url", Message: msg})
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
		return nil, connectors.ConfigError(Type, cfg.Name, probs)
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
