package zendesk

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/cxgate/cxgate/connectors"
)

// Defaults.
const (
	defaultScope    = "read write"
	defaultMaxPages = 10
	maxMaxPages     = 100 // 10,000 comments
	// DefaultRate is the documented Growth/Professional account limit,
	// 400 requests per minute, per second. Team is 200/min, Enterprise
	// 700/min, Enterprise Plus or the High Volume add-on 2,500/min: set the
	// connection's rate_limit for those plans. The budget is account-wide,
	// so a connection that shares the account with other integrations
	// should set a lower one.
	DefaultRate  = 400.0 / 60.0
	defaultBurst = 10
)

// Factory is the Zendesk connector type, for connectors/builtin.
func Factory() connectors.Factory {
	return connectors.Factory{
		Type:         Type,
		Catalog:      catalog,
		Check:        Check,
		Open:         Open,
		DefaultRate:  DefaultRate,
		DefaultBurst: defaultBurst,
	}
}

// config is a checked connection configuration.
type config struct {
	name     string
	baseURL  string // scheme://host[:port], no trailing slash
	auth     string
	scope    string
	maxPages int
	creds    connectors.CredentialRef
	conn     connectors.ConnectionConfig
}

// Check validates a connection's Zendesk-specific settings. It is pure.
func Check(cfg connectors.ConnectionConfig) []connectors.Problem {
	_, probs := parseConfig(cfg)
	return probs
}

func parseConfig(cfg connectors.ConnectionConfig) (config, []connectors.Problem) {
	var probs []connectors.Problem
	add := func(key, msg string) { probs = append(probs, connectors.Problem{Key: key, Message: msg}) }
	c := config{name: cfg.Name, auth: cfg.Auth, scope: defaultScope, maxPages: defaultMaxPages, creds: cfg.Credentials, conn: cfg}
	if base, msg := connectors.CheckBaseURL(cfg.BaseURL, "https://globex.zendesk.com"); msg != "" {
		add("base_url", msg)
	} else {
		c.baseURL = base
	}
	switch cfg.Auth {
	case "":
		c.auth = AuthOAuth
	case AuthOAuth, AuthAPIToken:
	default:
		add("auth", fmt.Sprintf("unknown auth mode %q for zendesk (use %s, or %s until %s)", cfg.Auth, AuthOAuth, AuthAPIToken, APITokenShutdown))
	}
	if cfg.APIVersion != "" && cfg.APIVersion != "v2" {
		add("api_version", "zendesk's Support API is unversioned v2; leave api_version empty or set it to v2")
	}
	if err := cfg.Credentials.Validate(); err != nil {
		add("credentials", err.Error())
	}
	if cfg.RateLimit < 0 {
		add("rate_limit", "must not be negative")
	}
	for k, v := range cfg.Options {
		switch k {
		case OptScope:
			sc := strings.Join(strings.Fields(v), " ")
			if sc == "" {
				add("options."+k, "must name at least one scope, e.g. \"read write\"")
			} else if c.auth == AuthAPIToken {
				add("options."+k, "applies to auth: oauth only")
			}
			c.scope = sc
		case OptMaxPages:
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > maxMaxPages {
				add("options."+k, fmt.Sprintf("must be a whole number from 1 to %d", maxMaxPages))
			} else {
				c.maxPages = n
			}
		default:
			add("options."+k, fmt.Sprintf("unknown option for zendesk (known: %s, %s)", OptScope, OptMaxPages))
		}
	}
	return c, probs
}

// Open builds a connector for one connection. It does no network I/O:
// tokens are fetched on the first call.
func Open(_ context.Context, cfg connectors.ConnectionConfig, deps connectors.Deps) (connectors.Connector, error) {
	c, probs := parseConfig(cfg)
	if len(probs) > 0 {
		return nil, connectors.ConfigError("zendesk", cfg.Name, probs)
	}
	return newConnector(c, deps), nil
}
