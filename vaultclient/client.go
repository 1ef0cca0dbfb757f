package vaultclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/vault/api"
	"github.com/hashicorp/vault/api/auth/approle"
	"github.com/hashicorp/vault/api/auth/kubernetes"
)

// Client talks to Vault for cxgate: transit tokenization (Tokenize,
// Detokenize, HMAC), key management (InitKeys, Rotate), KV v2 credentials
// (ReadSecret, and Secrets on top). It keeps its login alive: the token is
// renewed with the api's LifetimeWatcher, and when it can no longer be
// renewed (max TTL, revoked, Vault restarted) the client logs in again.
// It is safe for concurrent use. Close stops the renewal.
type Client struct {
	cfg  Config
	api  *api.Client
	log  *slog.Logger
	auth authenticator

	loginMu   sync.Mutex // serialises logins
	lastLogin time.Time
	authInfo  atomic.Pointer[api.SecretAuth]
	newAuth   chan *api.Secret // on-demand re-logins, for the renewal loop

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once

	keysMu sync.Mutex
	keys   map[string]cachedKey

	logins   atomic.Int64
	renewals atomic.Int64
}

// reloginGap keeps a misconfigured policy (every call 403) from turning into
// a login per call.
const reloginGap = time.Second

// New logs in to Vault and starts keeping the login alive. It fails when
// the configuration is invalid or the first login fails (the error says
// which, and matches pii.ErrUnavailable when Vault could not be used).
func New(ctx context.Context, cfg Config) (*Client, error) {
	c, err := newClient(cfg)
	if err != nil {
		return nil, err
	}
	s, err := c.login(ctx)
	if err != nil {
		return nil, err
	}
	c.install(s)
	go c.maintain(s)
	return c, nil
}

// newClient builds an unauthenticated client (no background work).
func newClient(cfg Config) (*Client, error) {
	cfg = cfg.WithDefaults()
	if ps := cfg.Validate(); len(ps) > 0 {
		msgs := make([]string, len(ps))
		for i, p := range ps {
			msgs[i] = "vault." + p.Key + ": " + p.Message
		}
		return nil, fmt.Errorf("%w: %s", ErrInvalidConfig, strings.Join(msgs, "; "))
	}
	if cfg.Getenv == nil {
		cfg.Getenv = os.Getenv
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	conf := api.DefaultConfig()
	if conf.Error != nil {
		return nil, fmt.Errorf("%w: reading VAULT_* TLS settings: %w", ErrInvalidConfig, conf.Error)
	}
	conf.Address = cfg.Address
	if cfg.CACertFile != "" {
		if err := conf.ConfigureTLS(&api.TLSConfig{CACert: cfg.CACertFile}); err != nil {
			return nil, fmt.Errorf("%w: ca_cert_file: %w", ErrInvalidConfig, err)
		}
	}
	// cxgate fails fast and lets its caller decide: no hidden retries that
	// multiply the time an expert waits for a tokenizer_unavailable.
	conf.MaxRetries = 0
	// Our own contexts bound each call; the http.Client timeout also bounds
	// the background renewals, which take no context.
	conf.Timeout = 0
	conf.HttpClient.Timeout = cfg.Timeout
	a, err := api.NewClient(conf)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	a.ClearToken() // never pick up VAULT_TOKEN behind the configured method
	c := &Client{
		cfg:     cfg,
		api:     a,
		log:     log,
		newAuth: make(chan *api.Secret, 1),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
		keys:    map[string]cachedKey{},
	}
	switch cfg.Auth.Method {
	case AuthToken:
		c.auth = &tokenAuth{env: cfg.Auth.TokenEnv, file: cfg.Auth.TokenFile, getenv: cfg.Getenv}
	case AuthAppRole:
		c.auth = &appRoleAuth{roleIDFile: cfg.Auth.RoleIDFile, secretIDFile: cfg.Auth.SecretIDFile, mount: cfg.Auth.Mount}
	case AuthKubernetes:
		c.auth = &kubernetesAuth{role: cfg.Auth.Role, jwtFile: cfg.Auth.JWTFile, mount: cfg.Auth.Mount}
	}
	return c, nil
}

// ErrInvalidConfig: the vault configuration cannot work (see Config.Validate).
var ErrInvalidConfig = errors.New("invalid vault configuration")

// Close stops token renewal and, for AppRole and Kubernetes logins,
// revokes the token it obtained (a token given by the token method belongs
// to whoever issued it and is left alone). Calls after Close fail with
// ErrClosed.
func (c *Client) Close() error {
	first := false
	c.closeOnce.Do(func() {
		first = true
		close(c.stop)
	})
	select {
	case <-c.done:
	case <-time.After(c.cfg.Timeout + time.Second):
	}
	if first {
		c.revokeLogin()
		// A closed client keeps no keep-alive connections (and their
		// goroutines) to Vault. The clone shares the client's transport.
		if hc := c.api.CloneConfig().HttpClient; hc != nil {
			hc.CloseIdleConnections()
		}
	}
	return nil
}

// revokeLogin revokes a token this client obtained by logging in, best
// effort: Vault would expire it anyway, this only keeps the lease count low
// for short-lived uses such as `cxgate vault check` run from cron.
func (c *Client) revokeLogin() {
	if c.cfg.Auth.Method == AuthToken || c.api.Token() == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.Timeout)
	defer cancel()
	if _, err := c.api.Logical().WriteRawWithContext(ctx, "auth/token/revoke-self", []byte("{}")); err != nil {
		c.log.Debug("vault token not revoked at close", "error", err.Error())
	}
}

func (c *Client) closed() bool {
	select {
	case <-c.stop:
		return true
	default:
		return false
	}
}

// Address is the Vault address in use.
func (c *Client) Address() string { return c.cfg.Address }

// Config returns the configuration in use, defaults applied.
func (c *Client) Config() Config { return c.cfg }

// AuthInfo describes the current login, for `vault check` and logs. It
// never includes the token.
type AuthInfo struct {
	Method    string
	Accessor  string
	Policies  []string
	TTL       time.Duration // as granted at login or last renewal
	Renewable bool
	Logins    int64 // logins since New (1 + re-logins)
	Renewals  int64 // successful renewals since New
}

// Auth returns the current login's description.
func (c *Client) Auth() AuthInfo {
	ai := AuthInfo{Method: c.cfg.Auth.Method, Logins: c.logins.Load(), Renewals: c.renewals.Load()}
	if a := c.authInfo.Load(); a != nil {
		ai.Accessor = a.Accessor
		ai.Policies = append([]string(nil), a.Policies...)
		ai.TTL = time.Duration(a.LeaseDuration) * time.Second
		ai.Renewable = a.Renewable
	}
	return ai
}

// authenticator logs in once. lc is a token-less client for the login call.
type authenticator interface {
	login(ctx context.Context, c *Client, lc *api.Client) (*api.Secret, error)
}

// login runs the configured method and returns the new login.
func (c *Client) login(ctx context.Context) (*api.Secret, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	lc, err := c.api.Clone()
	if err != nil {
		return nil, err
	}
	lc.ClearToken()
	s, err := c.auth.login(ctx, c, lc)
	if err != nil {
		return nil, c.loginError(ctx, err)
	}
	if s == nil || s.Auth == nil || s.Auth.ClientToken == "" {
		return nil, &Error{Op: "login", Path: c.loginPath(), Kind: ErrLogin, Detail: "Vault returned no token"}
	}
	return s, nil
}

func (c *Client) loginPath() string {
	switch c.cfg.Auth.Method {
	case AuthToken:
		return "auth/token/lookup-self"
	default:
		return "auth/" + c.cfg.Auth.Mount + "/login"
	}
}

// loginError classifies a login failure: Vault not answering stays
// ErrUnavailable (or ErrSealed); Vault answering no is ErrLogin.
func (c *Client) loginError(ctx context.Context, err error) error {
	var ve *Error
	if errors.As(err, &ve) {
		return err
	}
	e := &Error{Op: "login", Path: c.loginPath(), Kind: ErrLogin, Err: err}
	var re *api.ResponseError
	switch {
	case errors.As(err, &re):
		e.Status = re.StatusCode
		e.Detail = detail(re.Errors)
		switch {
		case re.StatusCode == http.StatusServiceUnavailable && c.sealed(ctx):
			e.Kind = ErrSealed
		case re.StatusCode >= 500 || re.StatusCode == http.StatusTooManyRequests:
			e.Kind = ErrUnavailable
		}
	case errors.Is(err, errCredentialFile):
		e.Detail = err.Error()
	default:
		e.Kind = ErrUnavailable
		e.Detail = transportDetail(ctx, err, c.cfg.Timeout)
	}
	return e
}

var errCredentialFile = errors.New("reading login credentials")

// install makes s the current login.
func (c *Client) install(s *api.Secret) {
	c.api.SetToken(s.Auth.ClientToken)
	a := *s.Auth
	a.ClientToken = ""
	c.authInfo.Store(&a)
	c.lastLogin = time.Now()
	c.logins.Add(1)
}

// maintain renews the login with a LifetimeWatcher and logs in again when
// the watcher gives up (max TTL reached, token revoked, renewal failing
// until expiry). It runs until Close.
func (c *Client) maintain(s *api.Secret) {
	defer close(c.done)
	for {
		var w *api.LifetimeWatcher
		var doneCh <-chan error
		var renewCh <-chan *api.RenewOutput
		if s.Auth.LeaseDuration > 0 {
			var err error
			w, err = c.api.NewLifetimeWatcher(&api.LifetimeWatcherInput{Secret: s, RenewBehavior: api.RenewBehaviorIgnoreErrors})
			if err == nil {
				go w.Start()
				doneCh, renewCh = w.DoneCh(), w.RenewCh()
			}
		}
	watch:
		for {
			select {
			case <-c.stop:
				if w != nil {
					w.Stop()
				}
				return
			case ns := <-c.newAuth:
				if w != nil {
					w.Stop()
				}
				s = ns
				break watch
			case r := <-renewCh:
				c.renewals.Add(1)
				if r != nil && r.Secret != nil && r.Secret.Auth != nil {
					a := *r.Secret.Auth
					a.ClientToken = ""
					c.authInfo.Store(&a)
					c.log.Debug("vault token renewed", "ttl", time.Duration(a.LeaseDuration)*time.Second)
				}
			case err := <-doneCh:
				w.Stop()
				if err != nil {
					c.log.Warn("vault token renewal stopped; logging in again", "error", err.Error())
				} else {
					c.log.Info("vault token reached the end of its lifetime; logging in again")
				}
				ns := c.reloginUntilStopped()
				if ns == nil {
					return
				}
				s = ns
				break watch
			}
		}
	}
}

// reloginUntilStopped logs in with backoff until it works or Close.
func (c *Client) reloginUntilStopped() *api.Secret {
	wait := 250 * time.Millisecond
	for {
		c.loginMu.Lock()
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			select {
			case <-c.stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		s, err := c.login(ctx)
		cancel()
		if err == nil {
			c.install(s)
		}
		c.loginMu.Unlock()
		if err == nil {
			// An on-demand login may have raced ours; ours is newer.
			select {
			case <-c.newAuth:
			default:
			}
			c.log.Info("vault login renewed", "method", c.cfg.Auth.Method)
			return s
		}
		c.log.Warn("vault login failed; retrying", "error", err.Error(), "retry_in", wait)
		select {
		case <-c.stop:
			return nil
		case <-time.After(wait):
		}
		if wait *= 2; wait > 30*time.Second {
			wait = 30 * time.Second
		}
	}
}

// reauth logs in again after a call was refused with the token it used,
// unless someone already did or the last login is too recent. It reports
// whether a retry may help.
func (c *Client) reauth(ctx context.Context, usedToken string) bool {
	c.loginMu.Lock()
	defer c.loginMu.Unlock()
	if c.api.Token() != usedToken {
		return true
	}
	if time.Since(c.lastLogin) < reloginGap {
		return false
	}
	s, err := c.login(ctx)
	if err != nil {
		c.log.Warn("vault re-login after a refused call failed", "error", err.Error())
		c.lastLogin = time.Now() // rate-limit the next attempt too
		return false
	}
	c.install(s)
	select { // replace any login the renewal loop has not picked up yet
	case <-c.newAuth:
	default:
	}
	c.newAuth <- s
	c.log.Info("vault login renewed after a refused call", "method", c.cfg.Auth.Method)
	return true
}

// response is Vault's answer to a call.
type response struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []string        `json:"errors"`
}

const maxBody = 64 << 20

// call performs one Vault API call with the client's token and timeout. A
// 403 triggers one re-login and one retry. When Vault answered, the response
// is returned even with an error, so batch callers can read per-item results.
func (c *Client) call(ctx context.Context, op, method, path string, body any) (*response, error) {
	if c.closed() {
		return nil, &Error{Op: op, Path: path, Kind: ErrClosed}
	}
	for attempt := 0; ; attempt++ {
		tok := c.api.Token()
		resp, err := c.once(ctx, op, method, path, body)
		var ve *Error
		if attempt == 0 && errors.As(err, &ve) && ve.Status == http.StatusForbidden && c.reauth(ctx, tok) {
			continue
		}
		return resp, err
	}
}

func (c *Client) once(ctx context.Context, op, method, path string, body any) (*response, error) {
	cctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var (
		r   *api.Response
		err error
	)
	switch method {
	case http.MethodGet:
		r, err = c.api.Logical().ReadRawWithContext(cctx, path)
	case http.MethodDelete:
		r, err = c.api.Logical().DeleteRawWithContext(cctx, path)
	default:
		var b []byte
		if b, err = json.Marshal(body); err != nil {
			return nil, fmt.Errorf("%s %s: encoding the request: %w", op, path, err)
		}
		r, err = c.api.Logical().WriteRawWithContext(cctx, path, b)
	}
	if r == nil {
		if err == nil {
			err = errors.New("no response")
		}
		e := &Error{Op: op, Path: path, Kind: ErrUnavailable, Err: err, Detail: transportDetail(cctx, err, c.cfg.Timeout)}
		if ctx.Err() != nil {
			e.Err = errors.Join(err, ctx.Err())
		}
		return nil, e
	}
	defer r.Body.Close()
	raw, rerr := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if rerr != nil {
		return nil, &Error{Op: op, Path: path, Status: r.StatusCode, Kind: ErrUnavailable, Err: rerr, Detail: "reading the answer: " + transportDetail(cctx, rerr, c.cfg.Timeout)}
	}
	resp := &response{Status: r.StatusCode}
	if len(raw) > 0 {
		if jerr := json.Unmarshal(raw, resp); jerr != nil && r.StatusCode < 300 {
			return nil, &Error{Op: op, Path: path, Status: r.StatusCode, Kind: ErrUnavailable, Detail: "the answer is not JSON"}
		}
	}
	if r.StatusCode < 300 {
		return resp, nil
	}
	e := &Error{Op: op, Path: path, Status: r.StatusCode, Detail: detail(resp.Errors)}
	switch {
	case r.StatusCode == http.StatusBadRequest:
		e.Kind = ErrRejected
	case r.StatusCode == http.StatusForbidden:
		e.Kind = ErrDenied
	case r.StatusCode == http.StatusNotFound:
		e.Kind = ErrNotFound
	case r.StatusCode == http.StatusServiceUnavailable && c.sealed(ctx):
		e.Kind = ErrSealed
	default:
		e.Kind = ErrUnavailable
	}
	return resp, e
}

// sealed asks the unauthenticated seal-status endpoint.
func (c *Client) sealed(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	st, err := c.api.Sys().SealStatusWithContext(ctx)
	return err == nil && st != nil && st.Sealed
}

// transportDetail says why Vault did not answer, without the noise.
func transportDetail(ctx context.Context, err error, timeout time.Duration) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("no answer within %s", timeout)
	}
	if errors.Is(err, context.Canceled) {
		return "canceled by the caller"
	}
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Sprintf("no answer within %s", timeout)
	}
	msg := err.Error()
	// url.Error reads `Put "http://host/v1/path": dial tcp ...: connection refused`;
	// the operation and path are already in the message.
	if i := strings.LastIndex(msg, "\": "); i >= 0 {
		msg = msg[i+3:]
	}
	return msg
}

// tokenAuth uses a token from the environment or a file. "Logging in"
// re-reads the source and looks the token up, which learns its TTL and
// proves it valid.
type tokenAuth struct {
	env, file string
	getenv    func(string) string
}

func (a *tokenAuth) login(ctx context.Context, c *Client, lc *api.Client) (*api.Secret, error) {
	var tok string
	if a.file != "" {
		b, err := os.ReadFile(a.file)
		if err != nil {
			return nil, fmt.Errorf("%w: token_file: %w", errCredentialFile, err)
		}
		tok = strings.TrimSpace(string(b))
	} else {
		tok = strings.TrimSpace(a.getenv(a.env))
	}
	if tok == "" {
		src := "environment variable " + a.env
		if a.file != "" {
			src = "token_file " + a.file
		}
		return nil, fmt.Errorf("%w: %s is empty", errCredentialFile, src)
	}
	lc.SetToken(tok)
	s, err := lc.Auth().Token().LookupSelfWithContext(ctx)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return nil, errors.New("token lookup returned nothing")
	}
	ttl, _ := s.TokenTTL()
	renewable, _ := s.TokenIsRenewable()
	policies, _ := s.TokenPolicies()
	accessor, _ := s.TokenAccessor()
	return &api.Secret{Auth: &api.SecretAuth{
		ClientToken:   tok,
		Accessor:      accessor,
		Policies:      policies,
		LeaseDuration: int(ttl / time.Second),
		Renewable:     renewable,
	}}, nil
}

// appRoleAuth logs in with a role_id and secret_id read from files at every
// login, so they can be rotated underneath a running gateway.
type appRoleAuth struct {
	roleIDFile, secretIDFile, mount string
}

func (a *appRoleAuth) login(ctx context.Context, c *Client, lc *api.Client) (*api.Secret, error) {
	b, err := os.ReadFile(a.roleIDFile)
	if err != nil {
		return nil, fmt.Errorf("%w: role_id_file: %w", errCredentialFile, err)
	}
	roleID := strings.TrimSpace(string(b))
	if roleID == "" {
		return nil, fmt.Errorf("%w: role_id_file %s is empty", errCredentialFile, a.roleIDFile)
	}
	if _, err := os.Stat(a.secretIDFile); err != nil {
		return nil, fmt.Errorf("%w: secret_id_file: %w", errCredentialFile, err)
	}
	m, err := approle.NewAppRoleAuth(roleID, &approle.SecretID{FromFile: a.secretIDFile}, approle.WithMountPath(a.mount))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errCredentialFile, err)
	}
	return m.Login(ctx, lc)
}

// kubernetesAuth logs in with the pod's service-account JWT, re-read at
// every login because projected tokens rotate.
type kubernetesAuth struct {
	role, jwtFile, mount string
}

func (a *kubernetesAuth) login(ctx context.Context, c *Client, lc *api.Client) (*api.Secret, error) {
	b, err := os.ReadFile(a.jwtFile)
	if err != nil {
		return nil, fmt.Errorf("%w: jwt_file: %w", errCredentialFile, err)
	}
	jwt := strings.TrimSpace(string(b))
	if jwt == "" {
		return nil, fmt.Errorf("%w: jwt_file %s is empty", errCredentialFile, a.jwtFile)
	}
	m, err := kubernetes.NewKubernetesAuth(a.role, kubernetes.WithServiceAccountToken(jwt), kubernetes.WithMountPath(a.mount))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errCredentialFile, err)
	}
	return m.Login(ctx, lc)
}

// Health reports whether Vault can serve cxgate now: it answers, it is
// unsealed, and the current login is valid (a token Vault no longer knows
// triggers one re-login). It costs one token lookup; the gateway's
// readiness check calls it. The error has the same kinds as other calls.
func (c *Client) Health(ctx context.Context) error {
	_, err := c.call(ctx, "health", http.MethodGet, "auth/token/lookup-self", nil)
	return err
}
