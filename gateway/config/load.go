package config

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/gateway/authn"
	"github.com/cxgate/cxgate/internal/diag"
	"github.com/cxgate/cxgate/internal/yamlx"
)

// Diagnostic codes of the config's semantic checks (structural codes come
// from yamlx).
const (
	CodeUnknownType    = "unknown-connector-type"
	CodeConnection     = "connection-check"
	CodeUnknownOption  = "unknown-option"
	CodeAuthMode       = "unknown-auth-mode"
	CodeNeedsOne       = "needs-one"
	CodeMissingSetting = "missing-setting"
	CodeVaultNeeded    = "vault-needed"
	CodeDevOnly        = "dev-only"
)

// MaxFileSize bounds the config file.
const MaxFileSize = 4 << 20

// Load reads and checks the config file at path. A file that cannot be
// read is err (naming the path); problems in it are diagnostics, sorted.
// The config is nil whenever the diagnostics hold an error. With a
// registry, connection types must be registered and each type's Check runs.
func Load(path string, reg *connectors.Registry) (*Config, diag.List, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read %s: %w", path, unwrap(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read %s: %w", path, unwrap(err))
	}
	if len(data) > MaxFileSize {
		return nil, nil, fmt.Errorf("cannot read %s: larger than %d bytes", path, MaxFileSize)
	}
	cfg, d := Parse(path, data, reg)
	return cfg, d, nil
}

func unwrap(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Parse checks config bytes; file names the file in diagnostics and is the
// base for relative paths. It never panics.
func Parse(file string, data []byte, reg *connectors.Registry) (cfg *Config, d diag.List) {
	defer func() {
		if r := recover(); r != nil {
			d.Errorf(diag.Position{File: file, Line: 1, Col: 1}, "internal", "internal error while checking this file; please report it")
			cfg = nil
		}
	}()
	p := &parser{file: file, dir: filepath.Dir(file), reg: reg}
	root := yamlx.Parse(file, data, &p.d)
	if root == nil {
		p.d.Sort()
		return nil, p.d
	}
	ch := yamlx.Checker{File: file, Diags: &p.d}
	ch.Check(root, fileSpec(), "the gateway config", nil)
	c := p.build(root)
	p.d.Sort()
	if p.d.HasErrors() {
		return nil, p.d
	}
	return c, p.d
}

type parser struct {
	file string
	dir  string
	reg  *connectors.Registry
	d    diag.List
}

func (p *parser) pos(n *yaml.Node) diag.Position { return yamlx.Pos(p.file, n) }

// path resolves a path against the config file's folder.
func (p *parser) path(s string) string {
	if s == "" || filepath.IsAbs(s) {
		return s
	}
	return filepath.Join(p.dir, s)
}

func text(n *yaml.Node) (string, bool) {
	if !yamlx.IsString(n) || strings.TrimSpace(n.Value) == "" {
		return "", false
	}
	return n.Value, true
}

func get(m *yaml.Node, keys ...string) *yaml.Node {
	n := m
	for _, k := range keys {
		_, n = yamlx.Get(n, k)
		if n == nil {
			return nil
		}
	}
	return n
}

func (p *parser) textAt(m *yaml.Node, keys ...string) string {
	s, _ := text(get(m, keys...))
	return s
}

func (p *parser) durationAt(m *yaml.Node, def time.Duration, keys ...string) time.Duration {
	s, ok := text(get(m, keys...))
	if !ok {
		return def
	}
	d, err := yamlx.ParseDuration(s)
	if err != nil {
		return def
	}
	return d
}

func (p *parser) build(root *yaml.Node) *Config {
	c := &Config{File: p.file, Listen: DefaultListen, ConnectionPos: map[string]diag.Position{}}
	if root.Kind != yaml.MappingNode {
		return c
	}
	if s, ok := text(get(root, "listen")); ok {
		c.Listen = s
	}
	if t := get(root, "tls"); t != nil && t.Kind == yaml.MappingNode {
		c.TLS = &TLS{CertFile: p.path(p.textAt(t, "cert_file")), KeyFile: p.path(p.textAt(t, "key_file")), ClientCAFile: p.path(p.textAt(t, "client_ca_file"))}
	}
	switch s := get(root, "scopes"); {
	case s == nil:
	case s.Kind == yaml.SequenceNode:
		for _, e := range s.Content {
			if v, ok := text(e); ok {
				c.Scopes = append(c.Scopes, p.path(v))
			}
		}
	default:
		if v, ok := text(s); ok {
			c.Scopes = []string{p.path(v)}
		}
	}
	p.identity(root, c)
	p.tokenizer(root, c)
	usesVault := c.Tokenizer.Kind == TokenizerVault
	if cs := get(root, "connections"); cs != nil && cs.Kind == yaml.MappingNode {
		for _, e := range yamlx.Pairs(cs) {
			if e.Value.Kind != yaml.MappingNode {
				continue
			}
			cc := p.connection(e.Key, e.Value)
			c.Connections = append(c.Connections, cc)
			c.ConnectionPos[cc.Name] = p.pos(e.Key)
			usesVault = usesVault || cc.Credentials.Vault != ""
		}
		sort.Slice(c.Connections, func(i, j int) bool { return c.Connections[i].Name < c.Connections[j].Name })
	}
	vk, v := yamlx.Get(root, "vault")
	if v != nil && v.Kind == yaml.MappingNode {
		c.Vault = p.vault(vk, v)
	} else if v == nil && usesVault {
		why := "tokenizer: vault"
		if c.Tokenizer.Kind != TokenizerVault {
			why = "a connection's credentials: {vault: ...}"
		}
		p.d.Errorf(diag.Position{File: p.file, Line: 1, Col: 1}, CodeVaultNeeded, "the config needs a vault: section, because of %s", why)
	}
	c.Audit.Fsync = true
	if a := get(root, "audit"); a != nil {
		c.Audit.File = p.path(p.textAt(a, "file"))
		c.Audit.KeyFile = p.path(p.textAt(a, "key_file"))
		if b, ok := yamlx.Bool(get(a, "fsync")); ok {
			c.Audit.Fsync = b
		}
	}
	if tp := get(root, "trusted_proxies"); tp != nil && tp.Kind == yaml.SequenceNode {
		for _, e := range tp.Content {
			if s, ok := text(e); ok {
				if pr, err := netip.ParsePrefix(s); err == nil && pr.Masked() == pr {
					c.TrustedProxies = append(c.TrustedProxies, pr)
				}
			}
		}
	}
	p.limits(root, c)
	return c
}

func (p *parser) identity(root *yaml.Node, c *Config) {
	k, id := yamlx.Get(root, "identity")
	if id == nil || id.Kind != yaml.MappingNode {
		return
	}
	c.Identity = Identity{
		Issuer:         p.textAt(id, "issuer"),
		Audience:       p.textAt(id, "audience"),
		KeysFile:       p.path(p.textAt(id, "keys_file")),
		JWKSURL:        p.textAt(id, "jwks_url"),
		JWKSRefresh:    p.durationAt(id, authn.DefaultKeysRefresh, "jwks_refresh"),
		HS256SecretEnv: p.textAt(id, "hs256_secret_env"),
		ClockSkew:      p.durationAt(id, DefaultClockSkew, "clock_skew"),
	}
	kf, ju, env := get(id, "keys_file"), get(id, "jwks_url"), get(id, "hs256_secret_env")
	var given []*yaml.Node
	for _, n := range []*yaml.Node{kf, ju, env} {
		if n != nil {
			given = append(given, n)
		}
	}
	switch {
	case len(given) > 1:
		p.d.Errorf(p.pos(given[1]), CodeNeedsOne, "identity takes one of keys_file, jwks_url or hs256_secret_env, not several")
	case len(given) == 0:
		p.d.Errorf(p.pos(k), CodeNeedsOne, "identity needs keys_file (JWKS or PEM public keys), jwks_url (the issuer's JWKS endpoint) or, for development, hs256_secret_env")
	case env != nil:
		p.d.Warnf(p.pos(env), CodeDevOnly, "hs256_secret_env is for development only: a shared secret lets whoever holds it mint expert assertions")
	}
	if ju != nil && c.Identity.JWKSURL != "" {
		if err := authn.CheckKeysURL(c.Identity.JWKSURL); err != nil {
			p.d.Errorf(p.pos(ju), "bad-url", "%v", err)
		}
	}
	if r := get(id, "jwks_refresh"); r != nil {
		if ju == nil {
			p.d.Errorf(p.pos(r), CodeNeedsOne, "jwks_refresh applies to jwks_url only")
		} else if c.Identity.JWKSRefresh < authn.MinKeysRefresh {
			p.d.Errorf(p.pos(r), yamlx.CodeRange, "jwks_refresh must be at least %s: the issuer's endpoint is not ours to hammer", authn.MinKeysRefresh)
		}
	}
	if c.Identity.ClockSkew > 5*time.Minute {
		p.d.Errorf(p.pos(get(id, "clock_skew")), yamlx.CodeRange, "clock_skew must be at most 5m; a larger skew keeps expired assertions alive")
	}
	if iss := c.Identity.Issuer; iss != "" && yamlx.URL.Check(iss) != nil {
		p.d.Errorf(p.pos(get(id, "issuer")), "bad-url", "issuer %q should be the issuer's https URL, as in the assertions' iss claim", iss)
	}
}

func (p *parser) tokenizer(root *yaml.Node, c *Config) {
	c.Tokenizer.Kind = TokenizerVault
	t := get(root, "tokenizer")
	switch {
	case t == nil:
		return
	case yamlx.IsString(t):
		if t.Value == TokenizerLocal || t.Value == TokenizerVault {
			c.Tokenizer.Kind = t.Value
		}
	case t.Kind == yaml.MappingNode:
		if s := p.textAt(t, "type"); s == TokenizerLocal || s == TokenizerVault {
			c.Tokenizer.Kind = s
		}
		if kf := get(t, "key_file"); kf != nil {
			c.Tokenizer.KeyFile = p.path(p.textAt(t, "key_file"))
			if c.Tokenizer.Kind != TokenizerLocal {
				p.d.Errorf(p.pos(kf), "misplaced-key", "key_file applies only to the local tokenizer")
			}
		}
	}
	if c.Tokenizer.Kind == TokenizerLocal {
		p.d.Warnf(p.pos(t), CodeDevOnly, "the local tokenizer is for development only: tokens do not survive a lost key and retention is not enforced by Vault")
	}
}

func (p *parser) vault(k, v *yaml.Node) *Vault {
	vc := &Vault{
		Address:        p.textAt(v, "address"),
		TransitMount:   DefaultTransitMount,
		KVMount:        DefaultKVMount,
		Timeout:        p.durationAt(v, DefaultVaultTimeout, "timeout"),
		RotationPeriod: p.durationAt(v, 0, "rotation_period"),
		CACertFile:     p.path(p.textAt(v, "ca_cert_file")),
	}
	if s := p.textAt(v, "transit_mount"); s != "" {
		vc.TransitMount = s
	}
	if s := p.textAt(v, "kv_mount"); s != "" {
		vc.KVMount = s
	}
	for _, key := range []string{"transit_mount", "kv_mount"} {
		if n := get(v, key); n != nil {
			if s, ok := text(n); ok && (strings.Contains(s, "..") || strings.HasPrefix(s, "/") || strings.ContainsAny(s, " \t")) {
				p.d.Errorf(p.pos(n), "bad-mount", "%s %q must be a plain mount path such as transit or secret", key, s)
			}
		}
	}
	ak, a := yamlx.Get(v, "auth")
	if a == nil || a.Kind != yaml.MappingNode {
		return vc
	}
	au := VaultAuth{
		Method:       p.textAt(a, "method"),
		RoleIDFile:   p.path(p.textAt(a, "role_id_file")),
		SecretIDFile: p.path(p.textAt(a, "secret_id_file")),
		TokenEnv:     p.textAt(a, "token_env"),
		TokenFile:    p.path(p.textAt(a, "token_file")),
		Role:         p.textAt(a, "role"),
		JWTFile:      p.path(p.textAt(a, "jwt_file")),
		Mount:        p.textAt(a, "mount"),
	}
	allowed := map[string][]string{
		AuthAppRole:    {"method", "role_id_file", "secret_id_file", "mount"},
		AuthToken:      {"method", "token_env", "token_file"},
		AuthKubernetes: {"method", "role", "jwt_file", "mount"},
	}
	if keys, ok := allowed[au.Method]; ok {
		for _, e := range yamlx.Pairs(a) {
			if !slices.Contains(keys, e.Key.Value) && isAuthKey(e.Key.Value) {
				p.d.Errorf(p.pos(e.Key), "misplaced-key", "%s does not apply to auth method %s (it takes %s)", e.Key.Value, au.Method, strings.Join(keys[1:], ", "))
			}
		}
	}
	switch au.Method {
	case AuthAppRole:
		for _, key := range []string{"role_id_file", "secret_id_file"} {
			if get(a, key) == nil {
				p.d.Errorf(p.pos(ak), CodeMissingSetting, "auth method approle needs %s", key)
			}
		}
		if au.Mount == "" {
			au.Mount = "approle"
		}
	case AuthToken:
		te, tf := get(a, "token_env"), get(a, "token_file")
		if (te == nil) == (tf == nil) {
			p.d.Errorf(p.pos(ak), CodeNeedsOne, "auth method token needs exactly one of token_env or token_file")
		}
	case AuthKubernetes:
		if get(a, "role") == nil {
			p.d.Errorf(p.pos(ak), CodeMissingSetting, "auth method kubernetes needs role")
		}
		if au.JWTFile == "" {
			au.JWTFile = DefaultJWTFile
		}
		if au.Mount == "" {
			au.Mount = "kubernetes"
		}
	}
	vc.Auth = au
	return vc
}

func isAuthKey(k string) bool {
	switch k {
	case "role_id_file", "secret_id_file", "token_env", "token_file", "role", "jwt_file", "mount":
		return true
	}
	return false
}

func (p *parser) limits(root *yaml.Node, c *Config) {
	c.Limits = Limits{PerExpert: DefaultPerExpert, PerClient: DefaultPerClient, MaxBody: DefaultMaxBody,
		ReadTimeout: DefaultReadTimeout, WriteTimeout: DefaultWriteTimeout, IdleTimeout: DefaultIdleTimeout}
	l := get(root, "limits")
	if l == nil || l.Kind != yaml.MappingNode {
		return
	}
	if f, ok := yamlx.Float(get(l, "per_expert")); ok && f >= 0 {
		c.Limits.PerExpert = f
	}
	if f, ok := yamlx.Float(get(l, "per_client")); ok && f >= 0 {
		c.Limits.PerClient = f
	}
	if n := get(l, "max_body"); n != nil && yamlx.IsScalarText(n) {
		if size, err := yamlx.ParseSize(n.Value); err == nil {
			if size <= 0 {
				p.d.Errorf(p.pos(n), yamlx.CodeRange, "max_body must be more than 0 bytes")
			} else {
				c.Limits.MaxBody = size
			}
		}
	}
	c.Limits.ReadTimeout = p.durationAt(l, DefaultReadTimeout, "read_timeout")
	c.Limits.WriteTimeout = p.durationAt(l, DefaultWriteTimeout, "write_timeout")
	c.Limits.IdleTimeout = p.durationAt(l, DefaultIdleTimeout, "idle_timeout")
}

func (p *parser) connection(k, v *yaml.Node) connectors.ConnectionConfig {
	cc := connectors.ConnectionConfig{
		Name:       k.Value,
		Type:       p.textAt(v, "type"),
		BaseURL:    p.textAt(v, "base_url"),
		Auth:       p.textAt(v, "auth"),
		Timeout:    p.durationAt(v, 0, "timeout"),
		Options:    map[string]string{},
		APIVersion: "",
	}
	if n := get(v, "api_version"); n != nil && yamlx.IsScalarText(n) {
		cc.APIVersion = n.Value
	}
	if f, ok := yamlx.Float(get(v, "rate_limit")); ok && f >= 0 {
		cc.RateLimit = f
	}
	if cr := get(v, "credentials"); cr != nil && cr.Kind == yaml.MappingNode {
		cc.Credentials = connectors.CredentialRef{Vault: p.textAt(cr, "vault"), Env: p.textAt(cr, "env"), File: p.path(p.textAt(cr, "file"))}
		if cc.Credentials.Vault != "" {
			if s := cc.Credentials.Vault; strings.Contains(s, "..") || strings.HasPrefix(s, "/") {
				p.d.Errorf(p.pos(get(cr, "vault")), "bad-path", "credentials path %q must stay inside the KV mount (no leading / and no ..)", s)
			}
		}
	}
	opts := get(v, "options")
	if opts != nil && opts.Kind == yaml.MappingNode {
		for _, e := range yamlx.Pairs(opts) {
			if isSecretKey(e.Key.Value) {
				code, msg, _ := secretHint("connection")(e.Key.Value)
				p.d.Errorf(p.pos(e.Key), code, "%s", msg)
				continue
			}
			if yamlx.IsScalarText(e.Value) {
				cc.Options[e.Key.Value] = e.Value.Value
			}
		}
	}
	if p.reg == nil || cc.Type == "" {
		return cc
	}
	f, ok := p.reg.Lookup(cc.Type)
	tn := get(v, "type")
	if !ok {
		types := p.reg.Types()
		p.d.Errorf(p.pos(tn), CodeUnknownType, "unknown connector type %q%s (registered: %s)", cc.Type, yamlx.DidYouMean(cc.Type, types), strings.Join(types, ", "))
		return cc
	}
	reported := map[string]bool{}
	if f.Catalog != nil {
		cat := f.Catalog()
		if an := get(v, "auth"); an != nil && cc.Auth != "" && len(cat.AuthModes) > 0 && !slices.Contains(cat.AuthModes, cc.Auth) {
			p.d.Errorf(p.pos(an), CodeAuthMode, "connector type %s has no auth mode %q%s (modes: %s)", cc.Type, cc.Auth, yamlx.DidYouMean(cc.Auth, cat.AuthModes), strings.Join(cat.AuthModes, ", "))
			reported["auth"] = true
		}
		if opts != nil && opts.Kind == yaml.MappingNode {
			var names []string
			for _, ck := range cat.ConfigKeys {
				names = append(names, ck.Name)
			}
			for _, e := range yamlx.Pairs(opts) {
				if !slices.Contains(names, e.Key.Value) && !isSecretKey(e.Key.Value) {
					p.d.Errorf(p.pos(e.Key), CodeUnknownOption, "connector type %s has no option %q%s (options: %s)", cc.Type, e.Key.Value, yamlx.DidYouMean(e.Key.Value, names), orNone(names))
					reported["options."+e.Key.Value] = true
				}
			}
		}
	}
	if f.Check != nil {
		for _, pr := range f.Check(cc) {
			if reported[pr.Key] {
				continue
			}
			p.d.Errorf(p.keyPos(k, v, pr.Key), CodeConnection, "connection %s: %s", cc.Name, pr.Message)
		}
	}
	return cc
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// keyPos finds the position of a dotted key ("options.username") inside a
// connection, falling back to the deepest part present, then to the
// connection's name.
func (p *parser) keyPos(name, conn *yaml.Node, key string) diag.Position {
	at := name
	n := conn
	for _, part := range strings.Split(key, ".") {
		kn, vn := yamlx.Get(n, part)
		if kn == nil {
			break
		}
		at, n = kn, vn
	}
	return p.pos(at)
}
