package connectors

import (
	"context"
	"log/slog"
	"sort"
)

// SecretSource supplies connection credentials: Vault KV v2 in production,
// environment variables or a file in development. It lives here, with its
// consumer; vaultclient implements it.
type SecretSource interface {
	// Credentials returns the fields stored at ref. With fresh set it
	// bypasses any cache: a connector that gets 401 asks once for fresh
	// credentials, then gives up with ErrUnauthorized.
	Credentials(ctx context.Context, ref CredentialRef, fresh bool) (Credentials, error)
}

// Credentials are secret key/value pairs (client_id, client_secret,
// private_key, access_token, ...). They never appear in logs: LogValue and
// String show only the key names.
type Credentials map[string]string

// Get returns a field, or "".
func (c Credentials) Get(key string) string { return c[key] }

// Keys returns the field names, sorted.
func (c Credentials) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// LogValue shows only the field names.
func (c Credentials) LogValue() slog.Value { return slog.AnyValue(c.Keys()) }

// String shows only the field names, so %v cannot leak a secret.
func (c Credentials) String() string { return "credentials" + slog.AnyValue(c.Keys()).String() }

// GoString guards %#v as well.
func (c Credentials) GoString() string { return c.String() }
