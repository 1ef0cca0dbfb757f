package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/gateway"
	"github.com/cxgate/cxgate/gateway/audit"
	"github.com/cxgate/cxgate/gateway/authn"
	"github.com/cxgate/cxgate/gateway/config"
	"github.com/cxgate/cxgate/gateway/pipeline"
	"github.com/cxgate/cxgate/internal/diag"
	"github.com/cxgate/cxgate/scopes"
	"github.com/cxgate/cxgate/vaultclient"
)

// Options are what Build needs beyond the config. The hooks let `cxgate dev`
// and tests supply parts that production builds from the config.
type Options struct {
	Config   *config.Config
	Registry *connectors.Registry
	Logger   *slog.Logger
	Metrics  *gateway.Metrics // nil: a fresh registry
	Getenv   func(string) string
	Version  string

	// Tokenizer replaces the one the config names (dev: the local tokenizer).
	Tokenizer pipeline.Tokenizer
	// Secrets replaces the secret source built from the config.
	Secrets connectors.SecretSource
	// HTTPClient is the transport base for connectors (nil: default).
	HTTPClient *http.Client
	// IdentityKeys replaces identity.keys_file with keys in memory (a JWKS).
	IdentityKeys []byte
	// ScopeFiles replaces the config's scope paths (dev: embedded examples).
	ScopeFiles []scopes.File
	// Auditor replaces the audit file.
	Auditor pipeline.Auditor
	// Wrap tunes every connection's portable wrapper (the fault tests
	// shorten the circuit breaker's timings); the zero value is the default.
	Wrap connectors.WrapOptions
}

// App is an assembled gateway.
type App struct {
	Server   *gateway.Server
	Config   *config.Config
	Metrics  *gateway.Metrics
	Pipeline *pipeline.Pipeline

	opts     Options
	log      *slog.Logger
	verifier *authn.Verifier
	catalogs scopes.CatalogMap
	conns    pipeline.ConnectionMap
	vault    *vaultclient.Client
	reloadMu sync.Mutex
	clients  atomic.Pointer[[]string] // client ids of the running scope set

	closers []func() error
}

// ScopeError is a scope set that does not load: every diagnostic.
type ScopeError struct{ Diags diag.List }

func (e *ScopeError) Error() string {
	n := 0
	for _, d := range e.Diags {
		if d.Severity == diag.Error {
			n++
		}
	}
	return fmt.Sprintf("scopes: %d problems", n)
}

// Build assembles the gateway. On any error everything opened so far is
// closed again.
func Build(ctx context.Context, o Options) (a *App, err error) {
	cfg := o.Config
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Metrics == nil {
		o.Metrics = gateway.NewMetrics()
	}
	a = &App{Config: cfg, Metrics: o.Metrics, opts: o, log: o.Logger, catalogs: scopes.CatalogMap{}, conns: pipeline.ConnectionMap{}}
	// `return nil, err` sets a to nil before this runs: close through a
	// copy, or every failed Build would panic instead of reporting.
	built := a
	defer func() {
		if err != nil {
			built.Close()
			a = nil
		}
	}()

	tok, err := a.tokenizer(ctx)
	if err != nil {
		return nil, err
	}
	secrets := o.Secrets
	if secrets == nil {
		secrets = vaultclient.NewSecrets(a.vault, vaultclient.SecretsOptions{})
	}

	var ready []gateway.ReadyCheck
	for _, cc := range cfg.Connections {
		f, ok := o.Registry.Lookup(cc.Type)
		if !ok {
			return nil, fmt.Errorf("connection %s: unknown connector type %q", cc.Name, cc.Type)
		}
		cat := f.Catalog()
		a.catalogs[cc.Name] = &cat
		conn, err := connectors.OpenWith(ctx, o.Registry, cc, connectors.Deps{
			Secrets: secrets, Logger: o.Logger.With("connection", cc.Name), HTTPClient: o.HTTPClient, Metrics: o.Metrics,
		}, o.Wrap)
		if err != nil {
			return nil, fmt.Errorf("connection %s: %w", cc.Name, err)
		}
		a.conns[cc.Name] = conn
		a.closers = append(a.closers, conn.Close)
		if b, ok := conn.(interface{ BreakerState() string }); ok {
			name := cc.Name
			ready = append(ready, gateway.ReadyCheck{Name: "connection " + name, Advisory: true, Check: func(context.Context) error {
				if s := b.BreakerState(); s == "open" {
					return errors.New("circuit breaker open")
				}
				return nil
			}})
		}
	}

	set, err := a.loadScopes()
	if err != nil {
		return nil, err
	}
	pol, err := pipeline.NewPolicy(set)
	if err != nil {
		return nil, err
	}
	a.setClients(set)

	var auditKey []byte
	if cfg.Audit.KeyFile != "" {
		if auditKey, err = audit.ReadKeyFile(cfg.Audit.KeyFile); err != nil {
			return nil, err
		}
	}
	auditor := o.Auditor
	if auditor == nil {
		mode := audit.FsyncInterval
		if cfg.Audit.Fsync {
			mode = audit.FsyncAlways
		}
		sink, err := audit.OpenFile(audit.FileOptions{Path: cfg.Audit.File, Fsync: mode, Key: auditKey})
		if err != nil {
			return nil, err
		}
		a.closers = append(a.closers, sink.Close)
		auditor = sink
	}

	ac := authn.Config{Issuer: cfg.Identity.Issuer, Audience: cfg.Identity.Audience, ClockSkew: cfg.Identity.ClockSkew}
	switch {
	case o.IdentityKeys != nil:
		ac.KeysData = o.IdentityKeys
	case cfg.Identity.KeysFile != "":
		ac.KeysFile = cfg.Identity.KeysFile
	case cfg.Identity.JWKSURL != "":
		ac.KeysURL, ac.KeysRefresh, ac.Logger = cfg.Identity.JWKSURL, cfg.Identity.JWKSRefresh, o.Logger
	case cfg.Identity.HS256SecretEnv != "":
		secret := o.Getenv(cfg.Identity.HS256SecretEnv)
		if secret == "" {
			return nil, fmt.Errorf("identity: environment variable %s (hs256_secret_env) is empty", cfg.Identity.HS256SecretEnv)
		}
		ac.HS256Secret = []byte(secret)
		o.Logger.Warn("expert assertions are verified with an HS256 shared secret: for development only")
	}
	a.verifier, err = authn.NewVerifier(ac)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	a.closers = append(a.closers, a.verifier.Close)

	// The tokenizer must be able to run: Vault reachable, unsealed, logged in.
	if h, ok := tok.(interface{ Health(context.Context) error }); ok {
		ready = append(ready, gateway.ReadyCheck{Name: "vault", Check: h.Health})
	}
	// Every client's keys exist with the right flags. Advisory: a missing
	// key stops only its client, and every replica shares the same Vault.
	if k, ok := tok.(interface {
		KeysReady(context.Context, []string) error
	}); ok {
		ready = append(ready, gateway.ReadyCheck{Name: "vault keys", Advisory: true, Check: func(ctx context.Context) error {
			return k.KeysReady(ctx, *a.clients.Load())
		}})
	}

	a.Pipeline = &pipeline.Pipeline{
		Tokenizer: tok, Connections: a.conns, Audit: auditor, Observer: o.Metrics,
		Logger: o.Logger, TokenizerTimeout: vaultTimeout(cfg), AuditKey: auditKey,
	}
	a.Server = gateway.New(gateway.Options{
		Logger: o.Logger, Metrics: o.Metrics, Verifier: a.verifier, Pipeline: a.Pipeline,
		TrustedProxies: cfg.TrustedProxies, MaxBody: cfg.Limits.MaxBody,
		PerExpert: cfg.Limits.PerExpert, PerClient: cfg.Limits.PerClient,
		RequestTimeout: requestTimeout(cfg.Limits),
		Ready:          ready, Version: o.Version,
	}, pol)
	return a, nil
}

// requestTimeout ends a request's work before the server's write timeout
// cuts the connection, so the expert gets a problem rather than a reset.
// Without a write timeout the gateway's default deadline applies (0).
func requestTimeout(l config.Limits) time.Duration {
	switch {
	case l.WriteTimeout <= 0:
		return 0
	case l.WriteTimeout > 2*time.Second:
		return l.WriteTimeout - time.Second
	}
	return l.WriteTimeout / 2
}

func vaultTimeout(cfg *config.Config) time.Duration {
	if cfg.Vault != nil && cfg.Vault.Timeout > 0 {
		return cfg.Vault.Timeout
	}
	return 5 * time.Second
}

// tokenizer builds the configured tokenizer (or takes the hook's).
func (a *App) tokenizer(ctx context.Context) (pipeline.Tokenizer, error) {
	o, cfg := a.opts, a.opts.Config
	if o.Tokenizer != nil {
		return o.Tokenizer, nil
	}
	if cfg.Vault != nil && (cfg.Tokenizer.Kind == config.TokenizerVault || needsVaultSecrets(cfg)) {
		vc, err := vaultclient.New(ctx, VaultConfig(cfg, o.Getenv, o.Logger))
		if err != nil {
			return nil, fmt.Errorf("vault: %w", err)
		}
		a.vault = vc
		a.closers = append(a.closers, vc.Close)
	}
	switch cfg.Tokenizer.Kind {
	case config.TokenizerLocal:
		// Refused unless the config says so explicitly; warned on every start.
		a.log.Warn("tokenizer: local — tokens are made with a key outside Vault; retention by key rotation does not apply; for development only")
		if cfg.Tokenizer.KeyFile == "" {
			return vaultclient.NewLocalRandom()
		}
		key, err := vaultclient.ReadLocalKey(cfg.Tokenizer.KeyFile)
		if err != nil {
			return nil, err
		}
		return vaultclient.NewLocal(key)
	default:
		if a.vault == nil {
			return nil, errors.New("tokenizer: vault needs a vault: section")
		}
		return a.vault, nil
	}
}

func needsVaultSecrets(cfg *config.Config) bool {
	for _, c := range cfg.Connections {
		if c.Credentials.Vault != "" {
			return true
		}
	}
	return false
}

// VaultConfig maps the gateway config's vault section to vaultclient's.
func VaultConfig(cfg *config.Config, getenv func(string) string, log *slog.Logger) vaultclient.Config {
	v := cfg.Vault
	return vaultclient.Config{
		Address: v.Address, TransitMount: v.TransitMount, KVMount: v.KVMount, Timeout: v.Timeout,
		RotationPeriod: v.RotationPeriod, CACertFile: v.CACertFile, Getenv: getenv, Logger: log,
		Auth: vaultclient.AuthConfig{
			Method: v.Auth.Method, TokenEnv: v.Auth.TokenEnv, TokenFile: v.Auth.TokenFile,
			RoleIDFile: v.Auth.RoleIDFile, SecretIDFile: v.Auth.SecretIDFile,
			Role: v.Auth.Role, JWTFile: v.Auth.JWTFile, Mount: v.Auth.Mount,
		},
	}
}

// loadScopes reads and compiles the scope files against the catalogs.
func (a *App) loadScopes() (*scopes.Set, error) {
	files := a.opts.ScopeFiles
	if files == nil {
		var err error
		files, err = scopes.ReadPaths(a.Config.Scopes)
		if err != nil {
			return nil, fmt.Errorf("scopes: %w", err)
		}
	}
	set, d := scopes.Load(files, scopes.Options{Catalogs: a.catalogs})
	if set == nil {
		return nil, &ScopeError{Diags: d}
	}
	for _, w := range d {
		a.log.Warn("scope file", "diagnostic", w.String())
	}
	return set, nil
}

func (a *App) setClients(set *scopes.Set) {
	var ids []string
	for _, c := range set.Clients() {
		ids = append(ids, c.ID)
	}
	a.clients.Store(&ids)
}

// Reload re-reads the scope files and the identity keys (SIGHUP). A scope
// set that does not load leaves the running one in place; the error says why.
func (a *App) Reload() error {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	var errs []error
	if set, err := a.loadScopes(); err != nil {
		errs = append(errs, err)
	} else if pol, err := pipeline.NewPolicy(set); err != nil {
		errs = append(errs, err)
	} else {
		a.Server.SetPolicy(pol)
		a.setClients(set)
	}
	if err := a.verifier.Reload(); err != nil {
		errs = append(errs, fmt.Errorf("identity keys: %w", err))
	}
	a.Metrics.Reloaded(len(errs) == 0)
	return errors.Join(errs...)
}

// Close releases everything Build opened, newest first. Safe to call twice.
func (a *App) Close() error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		if err := a.closers[i](); err != nil {
			errs = append(errs, err)
		}
	}
	a.closers = nil
	return errors.Join(errs...)
}

// DiagLines renders a ScopeError's diagnostics one per line.
func DiagLines(err error) string {
	var se *ScopeError
	if !errors.As(err, &se) {
		return ""
	}
	var b strings.Builder
	for _, d := range se.Diags {
		b.WriteString(d.String())
		b.WriteByte('\n')
	}
	return b.String()
}
