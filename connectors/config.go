package connectors

import (
	"fmt"
	"time"
)

// ConnectionConfig is one entry under `connections:` in the gateway config.
// The gateway config loader decodes it (with positions) and asks the
// connector type's Factory.Check to validate what is type-specific.
type ConnectionConfig struct {
	Name        string        // the key under connections:, e.g. "acme-shopify"
	Type        string        // a registered connector type
	BaseURL     string        // the vendor host (Salesforce My Domain, Zendesk subdomain, shop domain)
	APIVersion  string        // "" means the connector's default
	Auth        string        // one of the type's AuthModes; "" means its default
	Credentials CredentialRef // where the secret lives; never inline
	Timeout     time.Duration // per call; 0 means the wrapper's default (10s)
	RateLimit   float64       // requests per second; 0 means the vendor's documented default
	Options     map[string]string
}

// CredentialRef says where a connection's credentials live. Exactly one of
// the fields is set: Vault (a KV v2 path under the configured mount; the
// production choice), Env (a prefix: PREFIX_CLIENT_ID, PREFIX_CLIENT_SECRET,
// ...) or File (a JSON object of strings; dev only).
type CredentialRef struct {
	Vault string `json:"vault,omitempty"`
	Env   string `json:"env,omitempty"`
	File  string `json:"file,omitempty"`
}

// String names the source without any secret, for logs and errors.
func (r CredentialRef) String() string {
	switch {
	case r.Vault != "":
		return "vault:" + r.Vault
	case r.Env != "":
		return "env:" + r.Env
	case r.File != "":
		return "file:" + r.File
	}
	return "none"
}

// Validate checks that exactly one source is set.
func (r CredentialRef) Validate() error {
	n := 0
	for _, s := range []string{r.Vault, r.Env, r.File} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		return fmt.Errorf("credentials need exactly one of vault, env or file (found %d)", n)
	}
	return nil
}

// Problem is one thing wrong with a connection's configuration. Key is the
// config key it is about ("base_url", "options.username"), so the config
// loader can point at its position.
type Problem struct {
	Key     string
	Message string
}
