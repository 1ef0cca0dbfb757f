package config

import (
	"net/netip"
	"time"

	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/internal/diag"
	"github.com/cxgate/cxgate/scopes"
)

// Config is the gateway configuration. Paths are resolved against the
// config file's folder. It holds no secret: credentials are references.
type Config struct {
	File string // the config file, as given to Load

	Listen         string
	TLS            *TLS // nil: plain HTTP (behind a TLS-terminating proxy, or dev)
	Scopes         []string
	Identity       Identity
	Tokenizer      Tokenizer
	Vault          *Vault // nil when nothing uses Vault
	Connections    []connectors.ConnectionConfig
	Audit          Audit
	TrustedProxies []netip.Prefix
	Limits         Limits

	// ConnectionPos is where each connection is defined, for messages of
	// later stages (serve, vault check).
	ConnectionPos map[string]diag.Position
}

// TLS is the listener's certificate and the optional client CA (mutual
// TLS with the expert platform).
type TLS struct {
	CertFile     string
	KeyFile      string
	ClientCAFile string // "": no client certificates asked
}

// Identity is who signs expert assertions.
type Identity struct {
	Issuer   string
	Audience string
	// KeysFile holds JWKS or PEM public keys; JWKSURL is the issuer's JWKS
	// endpoint, fetched again every JWKSRefresh; HS256SecretEnv names an
	// environment variable with a shared secret (development only).
	// Exactly one is set.
	KeysFile       string
	JWKSURL        string
	JWKSRefresh    time.Duration
	HS256SecretEnv string
	ClockSkew      time.Duration
}

// Tokenizer kinds.
const (
	TokenizerVault = "vault"
	TokenizerLocal = "local"
)

// Tokenizer says which tokenizer protects PII.
type Tokenizer struct {
	Kind    string // TokenizerVault or TokenizerLocal
	KeyFile string // local only: "" means a key generated per process
}

// Vault is how cxgate reaches Vault.
type Vault struct {
	Address        string
	Auth           VaultAuth
	TransitMount   string
	KVMount        string
	Timeout        time.Duration
	RotationPeriod time.Duration // 0: a quarter of each client's retention (vaultclient.DefaultRotationPeriod)
	CACertFile     string
}

// Vault auth methods.
const (
	AuthAppRole    = "approle"
	AuthToken      = "token"
	AuthKubernetes = "kubernetes"
)

// VaultAuth is how cxgate logs in to Vault. Only the fields of Method are
// set; the secrets themselves stay in the files or variables named here.
type VaultAuth struct {
	Method       string
	RoleIDFile   string // approle
	SecretIDFile string // approle
	TokenEnv     string // token
	TokenFile    string // token
	Role         string // kubernetes
	JWTFile      string // kubernetes
	Mount        string // approle and kubernetes: the auth mount path
}

// Audit is where the audit log goes.
type Audit struct {
	File  string
	Fsync bool
	// KeyFile, when set, holds the chain's HMAC key (verify with
	// `cxgate audit verify --key-file`); PII lookup values in records then
	// show as keyed hashes an investigator can correlate.
	KeyFile string
}

// Limits bound what one expert, one client and one request may use.
type Limits struct {
	PerExpert    float64 // requests per second per expert
	PerClient    float64 // requests per second per client
	MaxBody      int64   // bytes
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	IdleTimeout  time.Duration
}

// Defaults.
const (
	DefaultListen       = "127.0.0.1:8080"
	DefaultClockSkew    = 30 * time.Second
	DefaultTransitMount = "transit"
	DefaultKVMount      = "secret"
	DefaultVaultTimeout = 5 * time.Second
	DefaultJWTFile      = "/var/run/secrets/kubernetes.io/serviceaccount/token"
	DefaultPerExpert    = 10
	DefaultPerClient    = 100
	DefaultMaxBody      = 1 << 20
	DefaultReadTimeout  = 10 * time.Second
	DefaultWriteTimeout = 30 * time.Second
	DefaultIdleTimeout  = 60 * time.Second
)

// Connection returns a connection by name.
func (c *Config) Connection(name string) (connectors.ConnectionConfig, bool) {
	for _, cc := range c.Connections {
		if cc.Name == name {
			return cc, true
		}
	}
	return connectors.ConnectionConfig{}, false
}

// Catalogs is what the scope loader needs from this config: every
// connection name, with the catalog of its type when reg knows the type.
func (c *Config) Catalogs(reg *connectors.Registry) scopes.CatalogMap {
	m := scopes.CatalogMap{}
	for _, cc := range c.Connections {
		m[cc.Name] = nil
		if f, ok := reg.Lookup(cc.Type); ok && f.Catalog != nil {
			cat := f.Catalog()
			m[cc.Name] = &cat
		}
	}
	return m
}
