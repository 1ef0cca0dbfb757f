package vaultclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cxgate/cxgate/connectors"
)

// ReadSecret reads the latest version of a KV v2 secret under kv_mount. All
// its fields must be strings. Errors name the path and field names, never
// a value.
func (c *Client) ReadSecret(ctx context.Context, path string) (connectors.Credentials, error) {
	if err := ValidateKVPath(path); err != nil {
		return nil, err
	}
	api := c.cfg.KVMount + "/data/" + path
	resp, err := c.call(ctx, "read secret", http.MethodGet, api, nil)
	if err != nil {
		return nil, err
	}
	var d struct {
		Data map[string]any `json:"data"`
	}
	if len(resp.Data) == 0 || json.Unmarshal(resp.Data, &d) != nil || d.Data == nil {
		// KV v2 answers a deleted or destroyed latest version with no data.
		return nil, &Error{Op: "read secret", Path: api, Status: resp.Status, Kind: ErrNotFound, Detail: "no current version"}
	}
	out := make(connectors.Credentials, len(d.Data))
	var bad []string
	for k, v := range d.Data {
		s, ok := v.(string)
		if !ok {
			bad = append(bad, k)
			continue
		}
		out[k] = s
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return nil, &Error{Op: "read secret", Path: api, Status: resp.Status, Kind: ErrRejected, Detail: "fields are not strings: " + strings.Join(bad, ", ")}
	}
	return out, nil
}

// Secrets supplies connection credentials to connectors
// (connectors.SecretSource): from Vault KV v2 (`vault: path`, cached
// briefly), from environment variables (`env: PREFIX`: PREFIX_CLIENT_ID
// becomes client_id) or from a JSON file of strings (`file: path`). The
// last two are for development. Values are never logged and never appear
// in errors; every error wraps connectors.ErrUnavailable.
type Secrets struct {
	vault   *Client
	ttl     time.Duration
	environ func() []string
	now     func() time.Time

	mu    sync.Mutex
	cache map[string]cachedSecret
}

type cachedSecret struct {
	creds connectors.Credentials
	at    time.Time
}

var _ connectors.SecretSource = (*Secrets)(nil)

// DefaultSecretTTL is how long a KV read is reused.
const DefaultSecretTTL = 30 * time.Second

// SecretsOptions tune NewSecrets. The zero value is fine.
type SecretsOptions struct {
	CacheTTL time.Duration    // default DefaultSecretTTL
	Environ  func() []string  // default os.Environ
	Now      func() time.Time // default time.Now
}

// NewSecrets returns a SecretSource. vault may be nil when no connection
// uses `vault:` credentials (development).
func NewSecrets(vault *Client, o SecretsOptions) *Secrets {
	if o.CacheTTL <= 0 {
		o.CacheTTL = DefaultSecretTTL
	}
	if o.Environ == nil {
		o.Environ = os.Environ
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Secrets{vault: vault, ttl: o.CacheTTL, environ: o.Environ, now: o.Now, cache: map[string]cachedSecret{}}
}

// Credentials returns the fields at ref. A Vault read is reused for the
// cache TTL unless fresh is set (a connector that got 401 asks once for
// fresh credentials); env and file sources are read every time. The
// returned map is the caller's own copy.
func (s *Secrets) Credentials(ctx context.Context, ref connectors.CredentialRef, fresh bool) (connectors.Credentials, error) {
	if err := ref.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", connectors.ErrUnavailable, err)
	}
	var (
		creds connectors.Credentials
		err   error
	)
	switch {
	case ref.Vault != "":
		creds, err = s.fromVault(ctx, ref.Vault, fresh)
	case ref.Env != "":
		creds, err = s.fromEnv(ref.Env)
	default:
		creds, err = fromFile(ref.File)
	}
	if err != nil {
		// The Vault kinds are folded into the message, not the chain: to the
		// connector this is an upstream it cannot use, not a tokenizer failure.
		return nil, fmt.Errorf("credentials %s: %w: %v", ref, connectors.ErrUnavailable, err)
	}
	if len(creds) == 0 {
		return nil, fmt.Errorf("credentials %s: %w: no fields", ref, connectors.ErrUnavailable)
	}
	return maps.Clone(creds), nil
}

func (s *Secrets) fromVault(ctx context.Context, path string, fresh bool) (connectors.Credentials, error) {
	if s.vault == nil {
		return nil, errors.New("no Vault is configured")
	}
	if !fresh {
		s.mu.Lock()
		c, ok := s.cache[path]
		s.mu.Unlock()
		if ok && s.now().Sub(c.at) < s.ttl {
			return c.creds, nil
		}
	}
	creds, err := s.vault.ReadSecret(ctx, path)
	if err != nil {
		s.mu.Lock()
		delete(s.cache, path)
		s.mu.Unlock()
		return nil, err
	}
	s.mu.Lock()
	s.cache[path] = cachedSecret{creds: creds, at: s.now()}
	s.mu.Unlock()
	return creds, nil
}

// fromEnv collects PREFIX_FIELD variables as field (lower case).
func (s *Secrets) fromEnv(prefix string) (connectors.Credentials, error) {
	for _, r := range prefix {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return nil, fmt.Errorf("env prefix %q: use A-Z, 0-9 and _", prefix)
		}
	}
	out := connectors.Credentials{}
	for _, kv := range s.environ() {
		name, value, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		field, ok := strings.CutPrefix(name, prefix+"_")
		if !ok || field == "" {
			continue
		}
		out[strings.ToLower(field)] = value
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no environment variables %s_*", prefix)
	}
	return out, nil
}

// fromFile reads a JSON object of strings. Errors never quote the content.
func fromFile(path string) (connectors.Credentials, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("%s: not valid JSON (syntax error at byte %d)", path, se.Offset)
		}
		return nil, fmt.Errorf("%s: want a JSON object of strings", path)
	}
	out := make(connectors.Credentials, len(raw))
	var bad []string
	for k, v := range raw {
		var s string
		if json.Unmarshal(v, &s) != nil {
			bad = append(bad, k)
			continue
		}
		out[k] = s
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return nil, fmt.Errorf("%s: fields are not strings: %s", path, strings.Join(bad, ", "))
	}
	return out, nil
}
