package vaultclient

import (
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/cxgate/cxgate/connectors"
)

// Auth methods.
const (
	AuthToken      = "token"
	AuthAppRole    = "approle"
	AuthKubernetes = "kubernetes"
)

// Defaults applied by Config.WithDefaults.
const (
	DefaultTransitMount = "transit"
	DefaultKVMount      = "secret"
	DefaultTimeout      = 5 * time.Second
	DefaultTokenEnv     = "VAULT_TOKEN"
	DefaultJWTFile      = "/var/run/secrets/kubernetes.io/serviceaccount/token"
)

// Config is the `vault:` section of the gateway configuration. The gateway
// config loader decodes its own struct (with positions) and maps it here.
type Config struct {
	Address      string        `yaml:"address"`
	Auth         AuthConfig    `yaml:"auth"`
	TransitMount string        `yaml:"transit_mount"` // default transit
	KVMount      string        `yaml:"kv_mount"`      // default secret
	Timeout      time.Duration `yaml:"timeout"`       // per Vault call; default 5s
	// RotationPeriod overrides the default rotation period of client keys
	// (a quarter of the client's retention); it never exceeds the retention.
	RotationPeriod time.Duration `yaml:"rotation_period"`
	// CACertFile is a PEM bundle that signs Vault's TLS certificate; ""
	// means the system roots (or VAULT_CACERT).
	CACertFile string `yaml:"ca_cert_file"`

	// Getenv reads environment variables (token_env); nil means os.Getenv.
	Getenv func(string) string `yaml:"-"`
	// Logger receives renewal and re-login events; nil discards them. No
	// value, token or secret is ever logged.
	Logger *slog.Logger `yaml:"-"`
}

// AuthConfig says how cxgate logs in to Vault.
type AuthConfig struct {
	// Method is token, approle or kubernetes.
	Method string `yaml:"method"`

	// token: the token comes from the environment variable TokenEnv
	// (default VAULT_TOKEN) or, when TokenFile is set, from that file (a
	// Vault Agent sink, for example; re-read on every re-login).
	TokenEnv  string `yaml:"token_env"`
	TokenFile string `yaml:"token_file"`

	// approle: both files are read at every login, so an orchestrator can
	// rotate the secret_id underneath.
	RoleIDFile   string `yaml:"role_id_file"`
	SecretIDFile string `yaml:"secret_id_file"`

	// kubernetes: Role is the Vault role; JWTFile the service-account token
	// (default the pod's projected token), re-read at every login.
	Role    string `yaml:"role"`
	JWTFile string `yaml:"jwt_file"`

	// Mount is the auth mount path; default approle or kubernetes.
	Mount string `yaml:"mount"`
}

// WithDefaults returns c with empty settings filled in.
func (c Config) WithDefaults() Config {
	c.TransitMount = strings.Trim(c.TransitMount, "/")
	c.KVMount = strings.Trim(c.KVMount, "/")
	c.Auth.Mount = strings.Trim(c.Auth.Mount, "/")
	if c.TransitMount == "" {
		c.TransitMount = DefaultTransitMount
	}
	if c.KVMount == "" {
		c.KVMount = DefaultKVMount
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	a := &c.Auth
	switch a.Method {
	case AuthToken:
		if a.TokenEnv == "" && a.TokenFile == "" {
			a.TokenEnv = DefaultTokenEnv
		}
	case AuthAppRole:
		if a.Mount == "" {
			a.Mount = "approle"
		}
	case AuthKubernetes:
		if a.Mount == "" {
			a.Mount = "kubernetes"
		}
		if a.JWTFile == "" {
			a.JWTFile = DefaultJWTFile
		}
	}
	return c
}

// Validate checks c (after WithDefaults) without any I/O. Each problem
// names its config key relative to the vault section ("auth.role_id_file").
func (c Config) Validate() []connectors.Problem {
	var ps []connectors.Problem
	add := func(key, format string, args ...any) {
		ps = append(ps, connectors.Problem{Key: key, Message: fmt.Sprintf(format, args...)})
	}
	if c.Address == "" {
		add("address", "address is required (https://vault.example.com:8200)")
	} else if u, err := url.Parse(c.Address); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		add("address", "address must be an http(s) URL such as https://vault.example.com:8200")
	}
	if err := ValidateMount(c.TransitMount); err != nil {
		add("transit_mount", "%v", err)
	}
	if err := ValidateMount(c.KVMount); err != nil {
		add("kv_mount", "%v", err)
	}
	if c.Timeout < 0 {
		add("timeout", "timeout must be positive")
	}
	if c.RotationPeriod < 0 {
		add("rotation_period", "rotation_period must be positive")
	}
	a := c.Auth
	// unused takes key, value pairs in a fixed order so problems sort stably.
	unused := func(method string, kv ...string) {
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] != "" {
				add("auth."+kv[i], "%s does not apply to auth method %s", kv[i], method)
			}
		}
	}
	switch a.Method {
	case AuthToken:
		if a.TokenEnv != "" && a.TokenFile != "" {
			add("auth.token_file", "set token_env or token_file, not both")
		}
		unused(a.Method, "role_id_file", a.RoleIDFile, "secret_id_file", a.SecretIDFile, "role", a.Role, "jwt_file", a.JWTFile, "mount", a.Mount)
	case AuthAppRole:
		if a.RoleIDFile == "" {
			add("auth.role_id_file", "approle auth needs role_id_file")
		}
		if a.SecretIDFile == "" {
			add("auth.secret_id_file", "approle auth needs secret_id_file")
		}
		if err := ValidateMount(a.Mount); err != nil {
			add("auth.mount", "%v", err)
		}
		unused(a.Method, "token_env", a.TokenEnv, "token_file", a.TokenFile, "role", a.Role, "jwt_file", a.JWTFile)
	case AuthKubernetes:
		if a.Role == "" {
			add("auth.role", "kubernetes auth needs role")
		}
		if err := ValidateMount(a.Mount); err != nil {
			add("auth.mount", "%v", err)
		}
		unused(a.Method, "token_env", a.TokenEnv, "token_file", a.TokenFile, "role_id_file", a.RoleIDFile, "secret_id_file", a.SecretIDFile)
	case "":
		add("auth.method", "auth.method is required: token, approle or kubernetes")
	default:
		add("auth.method", "unknown auth method %q (want token, approle or kubernetes)", a.Method)
	}
	return ps
}
