package config

import (
	"strings"

	"github.com/cxgate/cxgate/internal/yamlx"
)

// secretKeys are names that would put a secret in the config file.
func isSecretKey(k string) bool {
	switch strings.ToLower(k) {
	case "client_secret", "client_id", "secret", "password", "passwd", "token", "api_token", "access_token",
		"refresh_token", "private_key", "api_key", "apikey", "secret_id", "role_id", "hs256_secret", "jwt", "key":
		return true
	}
	return false
}

func secretHint(where string) func(string) (string, string, bool) {
	return func(k string) (string, string, bool) {
		if !isSecretKey(k) {
			return "", "", false
		}
		switch where {
		case "vault":
			return CodeInlineSecret, "secrets never go in the config: name the file or environment variable that holds " + k + " (role_id_file, secret_id_file, token_env, token_file, jwt_file)", true
		case "identity":
			return CodeInlineSecret, "secrets never go in the config: put the shared secret in an environment variable and name it with hs256_secret_env (development only), or use keys_file or jwks_url", true
		}
		return CodeInlineSecret, "secrets never go in the config: store " + k + " where the connection's credentials point (credentials: {vault: PATH} in production, {env: PREFIX} or {file: PATH} for development)", true
	}
}

// CodeInlineSecret marks a secret written into the config.
const CodeInlineSecret = "inline-secret"

func str(doc string) *yamlx.Spec {
	return &yamlx.Spec{Kind: yamlx.KindString, Doc: doc, NonEmpty: true}
}

func duration(doc string) *yamlx.Spec {
	return &yamlx.Spec{Kind: yamlx.KindString, Doc: doc, Format: yamlx.Duration}
}

func fileSpec() *yamlx.Spec {
	tls := &yamlx.Spec{Kind: yamlx.KindMap, Def: "tls", Keys: []yamlx.Key{
		{Name: "cert_file", Required: true, Spec: str("PEM certificate chain")},
		{Name: "key_file", Required: true, Spec: str("PEM private key")},
		{Name: "client_ca_file", Spec: str("PEM CA bundle: expert platforms must present a client certificate it signed")},
	}}
	identity := &yamlx.Spec{Kind: yamlx.KindMap, Def: "identity", UnknownKey: secretHint("identity"), Keys: []yamlx.Key{
		{Name: "issuer", Required: true, Spec: str("the iss claim of expert assertions")},
		{Name: "audience", Required: true, Spec: str("the aud claim of expert assertions")},
		{Name: "keys_file", Spec: str("JWKS or PEM public keys (RS256, ES256, EdDSA)")},
		{Name: "jwks_url", Spec: str("the issuer's JWKS endpoint (https), fetched at start, every jwks_refresh and on unknown key ids")},
		{Name: "jwks_refresh", Spec: duration("how often jwks_url is fetched again (default 10m, at least 1m)")},
		{Name: "hs256_secret_env", Spec: str("environment variable holding an HS256 secret (development only)")},
		{Name: "clock_skew", Spec: duration("tolerance for exp, nbf and iat (default 30s)")},
	}}
	tokenizer := &yamlx.Spec{Kind: yamlx.KindOneOf, Def: "tokenizer", Expect: "vault, local, or a mapping such as {type: local, key_file: ./dev.key}", Alts: []*yamlx.Spec{
		{Kind: yamlx.KindString, Enum: []string{TokenizerVault, TokenizerLocal}, EnumNoun: "tokenizer"},
		{Kind: yamlx.KindMap, Keys: []yamlx.Key{
			{Name: "type", Required: true, Spec: &yamlx.Spec{Kind: yamlx.KindString, Enum: []string{TokenizerVault, TokenizerLocal}, EnumNoun: "tokenizer"}},
			{Name: "key_file", Spec: str("local only: the key file (default: a key generated per process)")},
		}},
	}}
	auth := &yamlx.Spec{Kind: yamlx.KindMap, Def: "vault_auth", UnknownKey: secretHint("vault"), Keys: []yamlx.Key{
		{Name: "method", Required: true, Spec: &yamlx.Spec{Kind: yamlx.KindString, Enum: []string{AuthAppRole, AuthToken, AuthKubernetes}, EnumNoun: "auth method"}},
		{Name: "role_id_file", Spec: str("approle: file holding the role id")},
		{Name: "secret_id_file", Spec: str("approle: file holding the secret id")},
		{Name: "token_env", Spec: str("token: environment variable holding the token")},
		{Name: "token_file", Spec: str("token: file holding the token")},
		{Name: "role", Spec: str("kubernetes: the Vault role")},
		{Name: "jwt_file", Spec: str("kubernetes: the service-account token file")},
		{Name: "mount", Spec: str("approle and kubernetes: the auth mount path")},
	}}
	vault := &yamlx.Spec{Kind: yamlx.KindMap, Def: "vault", UnknownKey: secretHint("vault"), Keys: []yamlx.Key{
		{Name: "address", Required: true, Spec: &yamlx.Spec{Kind: yamlx.KindString, Format: yamlx.URL}},
		{Name: "auth", Required: true, Spec: auth},
		{Name: "transit_mount", Spec: str("transit engine mount (default transit)")},
		{Name: "kv_mount", Spec: str("KV v2 mount for connection credentials (default secret)")},
		{Name: "timeout", Spec: duration("per call (default 5s)")},
		{Name: "rotation_period", Spec: duration("how often `cxgate vault rotate` rotates client keys")},
		{Name: "ca_cert_file", Spec: str("PEM CA bundle for Vault's TLS certificate")},
	}}
	creds := &yamlx.Spec{Kind: yamlx.KindMap, Def: "credentials", ExactlyOne: true, KeyNoun: "credentials source", UnknownKey: secretHint("connection"), Keys: []yamlx.Key{
		{Name: "vault", Spec: str("a KV v2 path under kv_mount (production)")},
		{Name: "env", Spec: str("an environment variable prefix: PREFIX_CLIENT_ID, PREFIX_CLIENT_SECRET, ... (development)")},
		{Name: "file", Spec: str("a JSON file of strings (development)")},
	}}
	conn := &yamlx.Spec{Kind: yamlx.KindMap, Def: "connection", UnknownKey: secretHint("connection"), Keys: []yamlx.Key{
		{Name: "type", Required: true, Spec: &yamlx.Spec{Kind: yamlx.KindString, Format: yamlx.ID("connector type", '_')}},
		{Name: "base_url", Required: true, Spec: &yamlx.Spec{Kind: yamlx.KindString, Format: yamlx.URL}},
		{Name: "api_version", Spec: &yamlx.Spec{Kind: yamlx.KindString, Loose: true, NonEmpty: true}},
		{Name: "auth", Spec: str("an auth mode of the connector type (default: its first)")},
		{Name: "credentials", Required: true, Spec: creds},
		{Name: "timeout", Spec: duration("per call (default 10s)")},
		{Name: "rate_limit", Spec: &yamlx.Spec{Kind: yamlx.KindNumber, Min: yamlx.Num(0), Doc: "requests per second (default: the vendor's documented limit)"}},
		{Name: "options", Spec: &yamlx.Spec{Kind: yamlx.KindDict, KeyFormat: yamlx.ID("option name", '_'), Elem: &yamlx.Spec{Kind: yamlx.KindString, Loose: true}}},
	}}
	audit := &yamlx.Spec{Kind: yamlx.KindMap, Def: "audit", Keys: []yamlx.Key{
		{Name: "file", Required: true, Spec: str("append-only JSONL audit log")},
		{Name: "fsync", Spec: &yamlx.Spec{Kind: yamlx.KindBool, Doc: "fsync after every record (default true)"}},
		{Name: "key_file", Spec: str("file holding a secret key (at least 16 bytes): the chain becomes HMAC-SHA256, and PII lookup values are shown as keyed hashes")},
	}}
	limits := &yamlx.Spec{Kind: yamlx.KindMap, Def: "limits", Keys: []yamlx.Key{
		{Name: "per_expert", Spec: &yamlx.Spec{Kind: yamlx.KindNumber, Min: yamlx.Num(0), Doc: "requests per second per expert (default 10)"}},
		{Name: "per_client", Spec: &yamlx.Spec{Kind: yamlx.KindNumber, Min: yamlx.Num(0), Doc: "requests per second per client (default 100)"}},
		{Name: "max_body", Spec: &yamlx.Spec{Kind: yamlx.KindString, Loose: true, Format: yamlx.Size, Doc: "largest request body (default 1MiB)"}},
		{Name: "read_timeout", Spec: duration("default 10s")},
		{Name: "write_timeout", Spec: duration("default 30s")},
		{Name: "idle_timeout", Spec: duration("default 60s")},
	}}
	scopesSpec := &yamlx.Spec{Kind: yamlx.KindOneOf, Expect: "a folder or file path, or a list of them", Alts: []*yamlx.Spec{
		str("a folder or file"),
		{Kind: yamlx.KindList, MinItems: 1, Unique: true, Elem: str("a folder or file")},
	}}
	return &yamlx.Spec{Kind: yamlx.KindMap, Doc: "cxgate gateway configuration", Keys: []yamlx.Key{
		{Name: "listen", Spec: &yamlx.Spec{Kind: yamlx.KindString, Format: yamlx.HostPort}},
		{Name: "tls", Spec: tls},
		{Name: "scopes", Required: true, Spec: scopesSpec},
		{Name: "identity", Required: true, Spec: identity},
		{Name: "tokenizer", Spec: tokenizer},
		{Name: "vault", Spec: vault},
		{Name: "connections", Required: true, Spec: &yamlx.Spec{Kind: yamlx.KindDict, KeyFormat: yamlx.ID("connection name", '-'), MinItems: 1, Elem: conn}},
		{Name: "audit", Required: true, Spec: audit},
		{Name: "trusted_proxies", Spec: &yamlx.Spec{Kind: yamlx.KindList, Unique: true, Elem: &yamlx.Spec{Kind: yamlx.KindString, Format: yamlx.CIDR}}},
		{Name: "limits", Spec: limits},
	}}
}
