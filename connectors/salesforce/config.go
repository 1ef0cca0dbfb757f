package salesforce

import (
	"fmt"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cxgate/cxgate/connectors"
)

// DefaultAPIVersion is used when a connection names none (Spring '26).
const DefaultAPIVersion = "v66.0"

// DefaultLoginURL is the JWT bearer audience for production orgs.
const DefaultLoginURL = "https://login.salesforce.com"

const (
	defaultSessionTimeout = 2 * time.Hour
	defaultMaxPages       = 5
	defaultSearchLimit    = 50
	maxSearchLimit        = 200
)

// settings are a connection's checked configuration.
type settings struct {
	name           string
	base           *url.URL
	version        string // "v66.0"
	auth           string
	loginURL       string
	sessionTimeout time.Duration
	maxPages       int
	creds          connectors.CredentialRef
}

// Factory is the Salesforce connector type for a Registry.
func Factory() connectors.Factory {
	return connectors.Factory{
		Type:    Type,
		Catalog: Catalog,
		Check:   Check,
		Open:    Open,
		// Salesforce meters a rolling 24 h allowance per org (100,000 +
		// licences), not a rate; 10/s with a burst of 25 (the concurrent
		// long-running request cap) keeps one connection from spending
		// the org's allowance in minutes.
		DefaultRate:  10,
		DefaultBurst: 25,
	}
}

// Check validates a connection's Salesforce settings without I/O.
func Check(cfg connectors.ConnectionConfig) []connectors.Problem {
	_, probs := parseSettings(cfg)
	return probs
}

func parseSettings(cfg connectors.ConnectionConfig) (settings, []connectors.Problem) {
	s := settings{name: cfg.Name, auth: cfg.Auth, loginURL: DefaultLoginURL, sessionTimeout: defaultSessionTimeout,
		maxPages: defaultMaxPages, creds: cfg.Credentials}
	var probs []connectors.Problem
	add := func(key, format string, args ...any) {
		probs = append(probs, connectors.Problem{Key: key, Message: fmt.Sprintf(format, args...)})
	}
	if s.auth == "" {
		s.auth = AuthClientCredentials
	}
	if s.auth != AuthClientCredentials && s.auth != AuthJWTBearer {
		add("auth", "unknown auth mode %q for salesforce (want client_credentials or jwt_bearer; the username-password flow is retired)", s.auth)
	}
	u, err := url.Parse(cfg.BaseURL)
	switch {
	case cfg.BaseURL == "":
		add("base_url", "the org's My Domain URL is required, e.g. https://acme.my.salesforce.com")
	case err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.Trim(u.Path, "/") != "":
		add("base_url", "must be a bare https URL such as https://acme.my.salesforce.com")
	case u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname())):
		add("base_url", "must use https")
	case s.auth == AuthClientCredentials && (strings.EqualFold(u.Hostname(), "login.salesforce.com") || strings.EqualFold(u.Hostname(), "test.salesforce.com")):
		add("base_url", "the client credentials flow needs the org's My Domain host, not %s", u.Hostname())
	default:
		u.Path = ""
		s.base = u
	}
	s.version = DefaultAPIVersion
	if v := cfg.APIVersion; v != "" {
		if !strings.HasPrefix(v, "v") {
			v = "v" + v
		}
		major, minor, ok := strings.Cut(v[1:], ".")
		n, err := strconv.Atoi(major)
		switch {
		case !ok || err != nil || minor != "0":
			add("api_version", "want a version like v66.0")
		case n < 31:
			add("api_version", "API versions below 31.0 are retired (Salesforce answers 410)")
		default:
			s.version = v
		}
	}
	if err := cfg.Credentials.Validate(); err != nil {
		add("credentials", "%v", err)
	}
	keys := make([]string, 0, len(cfg.Options))
	for k := range cfg.Options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := cfg.Options[k]
		switch k {
		case "login_url":
			lu, err := url.Parse(v)
			if err != nil || lu.Host == "" || (lu.Scheme != "https" && !(lu.Scheme == "http" && isLoopback(lu.Hostname()))) {
				add("options.login_url", "must be an https URL such as https://login.salesforce.com")
				continue
			}
			if s.auth != AuthJWTBearer {
				add("options.login_url", "is used only with auth: jwt_bearer")
			}
			s.loginURL = strings.TrimRight(v, "/")
		case "session_timeout":
			d, err := time.ParseDuration(v)
			if err != nil || d < 5*time.Minute || d > 24*time.Hour {
				add("options.session_timeout", "want a duration between 5m and 24h")
				continue
			}
			s.sessionTimeout = d
		case "max_pages":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 100 {
				add("options.max_pages", "want a number from 1 to 100")
				continue
			}
			s.maxPages = n
		default:
			add("options."+k, "unknown option for salesforce (known: login_url, session_timeout, max_pages)")
		}
	}
	return s, probs
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
