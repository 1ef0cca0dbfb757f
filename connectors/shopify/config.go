package shopify

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/cxgate/cxgate/connectors"
)

// Type is the connector type name in the gateway config.
const Type = "shopify"

// Auth modes.
const (
	// AuthClientCredentials: an app from the Dev Dashboard, installed on
	// the store; tokens from the client credentials grant last 24 hours
	// and are re-requested before they expire. Credentials: client_id,
	// client_secret.
	AuthClientCredentials = "client_credentials"
	// AuthStaticToken: a legacy custom app created in the store admin
	// before 2026-01-01, with a static shpat_ token. Credentials:
	// access_token.
	AuthStaticToken = "static_token"
)

// DefaultAPIVersion is the Admin API version asked for when the connection
// sets none. Shopify supports each quarterly version for at least 12
// months; an unsupported version falls forward to the oldest supported
// one (the connector logs it when that happens).
const DefaultAPIVersion = "2026-10"

// defaultEmailVersion is the first API version with
// Customer.defaultEmailAddress / defaultPhoneNumber; older versions read
// Customer.email / phone.
const defaultEmailVersion = "2025-04"

// Options under `options:`.
const (
	OptLineItemsLimit    = "line_items_limit"
	OptFulfillmentsLimit = "fulfillments_limit"
	OptThrottleMaxWait   = "throttle_max_wait"
)

const (
	defaultLineItems    = 50
	defaultFulfillments = 10
	maxPage             = 250 // Shopify's connection page limit
	defaultThrottleWait = 5 * time.Second
	maxThrottleWait     = 30 * time.Second
)

// Client-side rate limit. Shopify meters the GraphQL Admin API in query
// cost points per app and store: a bucket of 2,000 points refilled at 100
// points per second on the standard plans (Advanced 200/s, Plus 1,000/s,
// Enterprise 2,000/s). The connector's reads cost about 10 to 30 points,
// so the sustained budget is about 4 requests per second with bursts of
// about 40 (the full bucket). Larger plans should set the connection's
// rate_limit. Cost-based throttling (below the limiter) still waits for
// the bucket when Shopify reports it empty.
const (
	DefaultRate  = 4.0
	DefaultBurst = 40
)

// Factory is the Shopify connector type, for connectors/builtin.
func Factory() connectors.Factory {
	return connectors.Factory{
		Type:         Type,
		Catalog:      catalog,
		Check:        Check,
		Open:         Open,
		DefaultRate:  DefaultRate,
		DefaultBurst: DefaultBurst,
	}
}

// config is a checked connection configuration.
type config struct {
	name            string
	baseURL         string // scheme://host[:port]
	version         string
	auth            string
	lineItems       int
	fulfillments    int
	throttleMaxWait time.Duration
	creds           connectors.CredentialRef
	conn            connectors.ConnectionConfig
}

// newerCustomerFields reports whether the configured version serves
// Customer.defaultEmailAddress and defaultPhoneNumber.
func (c config) newerCustomerFields() bool {
	return c.version == "unstable" || c.version >= defaultEmailVersion
}

var versionRE = regexp.MustCompile(`^(20[0-9]{2}-(01|04|07|10)|unstable)$`)

// Check validates a connection's Shopify settings. It is pure.
func Check(cfg connectors.ConnectionConfig) []connectors.Problem {
	_, probs := parseConfig(cfg)
	return probs
}

func parseConfig(cfg connectors.ConnectionConfig) (config, []connectors.Problem) {
	var probs []connectors.Problem
	add := func(key, msg string) { probs = append(probs, connectors.Problem{Key: key, Message: msg}) }
	c := config{
		name: cfg.Name, auth: cfg.Auth, version: cfg.APIVersion, creds: cfg.Credentials, conn: cfg,
		lineItems: defaultLineItems, fulfillments: defaultFulfillments, throttleMaxWait: defaultThrottleWait,
	}
	if base, msg := connectors.CheckBaseURL(cfg.BaseURL, "https://acme.myshopify.com"); msg != "" {
		add("base_url", msg)
	} else {
		c.baseURL = base
	}
	if c.version == "" {
		c.version = DefaultAPIVersion
	} else if !versionRE.MatchString(c.version) {
		add("api_version", fmt.Sprintf("must be a quarterly Admin API version YYYY-01, -04, -07 or -10 (e.g. %s) or unstable", DefaultAPIVersion))
	}
	switch cfg.Auth {
	case "":
		c.auth = AuthClientCredentials
	case AuthClientCredentials, AuthStaticToken:
	default:
		add("auth", fmt.Sprintf("unknown auth mode %q for shopify (use %s, or %s for a custom app created before 2026)", cfg.Auth, AuthClientCredentials, AuthStaticToken))
	}
	if err := cfg.Credentials.Validate(); err != nil {
		add("credentials", err.Error())
	}
	if cfg.RateLimit < 0 {
		add("rate_limit", "must not be negative")
	}
	for k, v := range cfg.Options {
		switch k {
		case OptLineItemsLimit, OptFulfillmentsLimit:
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < 1 || n > maxPage {
				add("options."+k, fmt.Sprintf("must be a whole number from 1 to %d", maxPage))
				continue
			}
			if k == OptLineItemsLimit {
				c.lineItems = n
			} else {
				c.fulfillments = n
			}
		case OptThrottleMaxWait:
			d, err := time.ParseDuration(strings.TrimSpace(v))
			if err != nil || d < 0 || d > maxThrottleWait {
				add("options."+k, fmt.Sprintf("must be a duration from 0s to %s, e.g. 5s", maxThrottleWait))
				continue
			}
			c.throttleMaxWait = d
		default:
			add("options."+k, fmt.Sprintf("unknown option for shopify (known: %s, %s, %s)", OptLineItemsLimit, OptFulfillmentsLimit, OptThrottleMaxWait))
		}
	}
	return c, probs
}

// Open builds a connector for one connection. It does no network I/O:
// tokens are fetched on the first call.
func Open(_ context.Context, cfg connectors.ConnectionConfig, deps connectors.Deps) (connectors.Connector, error) {
	c, probs := parseConfig(cfg)
	if len(probs) > 0 {
		return nil, connectors.ConfigError("shopify", cfg.Name, probs)
	}
	return newConnector(c, deps), nil
}
