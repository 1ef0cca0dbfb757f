// Package dev runs the whole of cxgate in one process on embedded
// defaults, for `cxgate dev`, the end-to-end tests, the benchmarks and the
// soak test: the three CRM sandboxes on loopback ports, the example config
// and scopes, the local tokenizer, an audit file in a temporary folder, an
// ephemeral identity key and ready-made experts covering the access levels.
// Nothing reaches the network beyond loopback and no Vault is needed.
package dev

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/connectors/builtin"
	sfsandbox "github.com/cxgate/cxgate/connectors/sandbox/salesforce"
	shopsandbox "github.com/cxgate/cxgate/connectors/sandbox/shopify"
	zdsandbox "github.com/cxgate/cxgate/connectors/sandbox/zendesk"
	"github.com/cxgate/cxgate/examples"
	"github.com/cxgate/cxgate/gateway/app"
	"github.com/cxgate/cxgate/gateway/audit"
	"github.com/cxgate/cxgate/gateway/authn"
	"github.com/cxgate/cxgate/gateway/config"
	"github.com/cxgate/cxgate/gateway/pipeline"
	"github.com/cxgate/cxgate/pii"
	"github.com/cxgate/cxgate/scopes"
	"github.com/cxgate/cxgate/vaultclient"
)

// Options tune Start. The zero value runs the standard dev setup.
type Options struct {
	Logger *slog.Logger
	// Tokenizer replaces the local tokenizer (the end-to-end tests pass a
	// Vault client here to run the same wiring against a real Vault).
	Tokenizer pipeline.Tokenizer
	// AuditDir holds audit.jsonl; "" means a new temporary folder.
	AuditDir string
	// Auditor replaces the audit file (benchmarks).
	Auditor pipeline.Auditor
	// Limits overrides the example config's limits (the soak test drives
	// many experts at a fixed rate); nil keeps them. The rates are used as
	// given (0 = unlimited); zero sizes and timeouts keep the example's.
	Limits *config.Limits
	// Version is shown in /openapi.json.
	Version string

	// The hooks below let the fault tests (gateway/faults) break things on
	// purpose; `cxgate dev` leaves them unset.

	// Wrap tunes the connections' portable wrapper (short breaker timings).
	Wrap connectors.WrapOptions
	// Configure, when set, may adjust the parsed example config (connection
	// timeouts, say) after the sandboxes' URLs are in and before the system
	// is built.
	Configure func(*config.Config)
	// SandboxMiddleware, when set, wraps each sandbox's handler on its
	// loopback server (by connection name), to misbehave on the wire in
	// ways the sandboxes' fault knobs do not (gzip, truncated bodies).
	SandboxMiddleware func(connection string, h http.Handler) http.Handler
}

// Expert is a ready-made expert with a signed assertion.
type Expert struct {
	Name    string   `json:"name"`
	Tier    int      `json:"tier"`
	MFA     bool     `json:"mfa"`
	Country string   `json:"country"`
	Clients []string `json:"clients"`
	// ForwardedFor is the address the expert appears to come from, sent as
	// X-Forwarded-For (the dev gateway trusts loopback as its proxy); ""
	// means the connection's own address.
	ForwardedFor string `json:"forwarded_for,omitempty"`
	Token        string `json:"token"`
	Note         string `json:"note"`
}

// Sandboxes are the running fake CRMs.
type Sandboxes struct {
	Salesforce *sfsandbox.Server
	Zendesk    *zdsandbox.Server
	Shopify    *shopsandbox.Server
	// URLs by connection name.
	URLs map[string]string
}

// Env is a running dev system. Serve App.Server on a listener of your own,
// or use Handler directly in tests.
type Env struct {
	App       *app.App
	Handler   http.Handler
	Sandboxes Sandboxes
	Experts   []Expert
	Signer    *authn.Signer
	AuditPath string
	Tokenizer pipeline.Tokenizer
	// ExchangeToken is the token of the email the guide's customer types
	// (the same token the filter mints from their message), so the guide's
	// second exchange step works as printed.
	ExchangeToken string
	// IdentityJWKS is the public key set the gateway verifies assertions
	// with (public by nature; the hostile-input tests sign HS256 with it).
	IdentityJWKS []byte

	closers []func() error
}

// The customer of the guide's data-exchange walk-through (sandbox seed).
const exchangeEmail = "maya.okafor@example.com"

// Start builds the dev system.
func Start(ctx context.Context, o Options) (e *Env, err error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	e = &Env{}
	// `return nil, err` sets e to nil before this runs: close through a
	// copy, or a failed start would panic and leave the sandboxes running.
	started := e
	defer func() {
		if err != nil {
			started.Close()
			e = nil
		}
	}()
	reg, err := builtin.Registry()
	if err != nil {
		return nil, err
	}
	data, err := examples.FS.ReadFile("cxgate.yaml")
	if err != nil {
		return nil, err
	}
	cfg, d := config.Parse("examples/cxgate.yaml", data, reg)
	if cfg == nil {
		return nil, fmt.Errorf("embedded example config: %s", d)
	}

	// The sandboxes, each on its own loopback port.
	secrets := memorySecrets{}
	e.Sandboxes.URLs = map[string]string{}
	sf, err := sfsandbox.New(sfsandbox.Options{})
	if err != nil {
		return nil, err
	}
	zd, err := zdsandbox.New(zdsandbox.Options{})
	if err != nil {
		return nil, err
	}
	sh, err := shopsandbox.New(shopsandbox.Options{})
	if err != nil {
		return nil, err
	}
	e.Sandboxes.Salesforce, e.Sandboxes.Zendesk, e.Sandboxes.Shopify = sf, zd, sh
	type sandboxServer interface {
		http.Handler
		SetBaseURL(string)
		Credentials() connectors.Credentials
	}
	byType := map[string]sandboxServer{"salesforce": sf, "zendesk": zd, "shopify": sh}
	for i := range cfg.Connections {
		c := &cfg.Connections[i]
		sb, ok := byType[c.Type]
		if !ok {
			return nil, fmt.Errorf("no sandbox for connection %s of type %s", c.Name, c.Type)
		}
		var h http.Handler = sb
		if o.SandboxMiddleware != nil {
			h = o.SandboxMiddleware(c.Name, sb)
		}
		url, err := e.serve(h)
		if err != nil {
			return nil, err
		}
		sb.SetBaseURL(url)
		c.BaseURL = url
		c.RateLimit = 0 // the vendor defaults apply, as in production (the sandboxes enforce vendor-like limits too)
		secrets[c.Credentials.String()] = sb.Credentials()
		e.Sandboxes.URLs[c.Name] = url
	}

	tok := o.Tokenizer
	if tok == nil {
		local, err := vaultclient.NewLocalRandom()
		if err != nil {
			return nil, err
		}
		tok = local
	}
	e.Tokenizer = tok
	cfg.Tokenizer = config.Tokenizer{Kind: config.TokenizerLocal}

	auditor := o.Auditor
	if auditor == nil {
		dir := o.AuditDir
		if dir == "" {
			dir, err = os.MkdirTemp("", "cxgate-dev-")
			if err != nil {
				return nil, err
			}
		}
		e.AuditPath = filepath.Join(dir, "audit.jsonl")
		sink, err := audit.OpenFile(audit.FileOptions{Path: e.AuditPath, Fsync: audit.FsyncInterval})
		if err != nil {
			return nil, err
		}
		e.closers = append(e.closers, sink.Close)
		auditor = sink
	}
	// The dev gateway trusts loopback as its proxy, so a curl line can say
	// where the expert is with X-Forwarded-For (the approved-network demo).
	cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	if o.Limits != nil {
		// The rates are taken as given (0 = unlimited); a size or timeout
		// left at zero keeps the example's, rather than turning into "no
		// body allowed" or a one-second request deadline.
		l := *o.Limits
		if l.MaxBody <= 0 {
			l.MaxBody = cfg.Limits.MaxBody
		}
		if l.ReadTimeout <= 0 {
			l.ReadTimeout = cfg.Limits.ReadTimeout
		}
		if l.WriteTimeout <= 0 {
			l.WriteTimeout = cfg.Limits.WriteTimeout
		}
		if l.IdleTimeout <= 0 {
			l.IdleTimeout = cfg.Limits.IdleTimeout
		}
		cfg.Limits = l
	}
	if o.Configure != nil {
		o.Configure(cfg)
	}

	keys, err := authn.GenerateDevKeys(authn.AlgEdDSA)
	if err != nil {
		return nil, err
	}
	e.IdentityJWKS = keys.JWKS
	e.Signer, err = keys.Signer(cfg.Identity.Issuer, cfg.Identity.Audience, 12*time.Hour)
	if err != nil {
		return nil, err
	}

	var files []scopes.File
	entries, err := examples.FS.ReadDir("scopes")
	if err != nil {
		return nil, err
	}
	for _, en := range entries {
		b, err := examples.FS.ReadFile("scopes/" + en.Name())
		if err != nil {
			return nil, err
		}
		files = append(files, scopes.File{Name: "examples/scopes/" + en.Name(), Data: b})
	}

	a, err := app.Build(ctx, app.Options{
		Config: cfg, Registry: reg, Logger: o.Logger, Version: o.Version,
		Tokenizer: tok, Secrets: secrets, IdentityKeys: keys.JWKS, ScopeFiles: files, Auditor: auditor, Wrap: o.Wrap,
	})
	if err != nil {
		return nil, err
	}
	e.App, e.Handler = a, a.Server
	e.closers = append(e.closers, a.Close)

	e.Experts, err = mintExperts(e.Signer)
	if err != nil {
		return nil, err
	}
	toks, err := tok.Tokenize(ctx, "acme-retail", []pii.Item{{Type: pii.Email, Value: exchangeEmail}})
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	e.ExchangeToken = toks[0]
	return e, nil
}

// serve runs h on a new loopback listener and returns its base URL.
func (e *Env) serve(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	e.closers = append(e.closers, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); errors.Is(err, context.DeadlineExceeded) {
			// Shutdown waits up to 5s for connections a client opened but
			// never used (http.StateNew); close whatever is left instead
			// of leaving it, and its goroutines, behind.
			return srv.Close()
		} else if err != nil {
			return err
		}
		return nil
	})
	return "http://" + ln.Addr().String(), nil
}

// Close stops everything Start started, newest first.
func (e *Env) Close() error {
	var errs []error
	for i := len(e.closers) - 1; i >= 0; i-- {
		if err := e.closers[i](); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
	}
	e.closers = nil
	return errors.Join(errs...)
}

var allClients = []string{"acme-retail", "globex-saas", "initech-service"}

// The experts cover the access levels the example scopes use.
var experts = []Expert{
	{Name: "tier1-basic", Tier: 1, Country: "US", Clients: allClients,
		Note: "tier 1, no second factor: order status, ticket status, case status"},
	{Name: "tier1-mfa", Tier: 1, MFA: true, Country: "IE", Clients: allClients,
		Note: "tier 1 with MFA: also returns (Acme)"},
	{Name: "tier2-gb", Tier: 2, MFA: true, Country: "GB", Clients: allClients,
		Note: "tier 2 with MFA in GB: also address changes (Acme) and billing (Globex)"},
	{Name: "tier3-partner", Tier: 3, MFA: true, Country: "GB", Clients: allClients, ForwardedFor: "198.51.100.7",
		Note: "tier 3 with MFA from an approved network: also account lookup (Initech)"},
	{Name: "acme-only", Tier: 2, MFA: true, Country: "GB", Clients: []string{"acme-retail"},
		Note: "onboarded for Acme only: other clients answer forbidden"},
}

func mintExperts(s *authn.Signer) ([]Expert, error) {
	out := make([]Expert, len(experts))
	for i, x := range experts {
		amr := []string{"pwd"}
		if x.MFA {
			amr = append(amr, "mfa")
		}
		tok, err := s.Sign(authn.Principal{Subject: "expert-" + x.Name, Tier: x.Tier, MFA: x.MFA, AMR: amr, Country: x.Country, Clients: x.Clients})
		if err != nil {
			return nil, fmt.Errorf("mint %s: %w", x.Name, err)
		}
		x.Token = tok
		out[i] = x
	}
	return out, nil
}

// Expert returns a ready-made expert by name.
func (e *Env) Expert(name string) (Expert, bool) {
	for _, x := range e.Experts {
		if x.Name == name {
			return x, true
		}
	}
	return Expert{}, false
}

// TokensJSON is the --tokens-file content.
func (e *Env) TokensJSON() ([]byte, error) {
	return json.MarshalIndent(map[string]any{"experts": e.Experts}, "", "  ")
}

// memorySecrets hands each connection its sandbox's credentials.
type memorySecrets map[string]connectors.Credentials

func (m memorySecrets) Credentials(_ context.Context, ref connectors.CredentialRef, _ bool) (connectors.Credentials, error) {
	c, ok := m[ref.String()]
	if !ok {
		return nil, fmt.Errorf("%w: no dev credentials for %s", connectors.ErrUnavailable, ref)
	}
	out := connectors.Credentials{}
	for k, v := range c {
		out[k] = v
	}
	return out, nil
}

// Guide writes the start-up guide: the experts and copy-paste curl lines,
// each on one line and working as printed against base (e.g.
// http://127.0.0.1:8080).
func (e *Env) Guide(w io.Writer, base string) {
	fmt.Fprintf(w, "cxgate dev is running at %s (sandboxes: ", base)
	names := make([]string, 0, len(e.Sandboxes.URLs))
	for n := range e.Sandboxes.URLs {
		names = append(names, n)
	}
	sort.Strings(names)
	for i, n := range names {
		if i > 0 {
			fmt.Fprint(w, ", ")
		}
		fmt.Fprintf(w, "%s %s", n, e.Sandboxes.URLs[n])
	}
	fmt.Fprintln(w, ")")
	if e.AuditPath != "" {
		fmt.Fprintf(w, "audit log: %s (check it with: cxgate audit verify %s)\n", e.AuditPath, e.AuditPath)
	}
	fmt.Fprintln(w, "\nExperts (tokens valid 12 hours; write them all with --tokens-file F):")
	for _, x := range e.Experts {
		fmt.Fprintf(w, "  %-14s %s\n", x.Name, x.Note)
	}
	fmt.Fprintln(w, "\nTry these (copy a whole line):")
	for _, c := range e.Curls(base) {
		fmt.Fprintf(w, "\n# %s\n%s\n", c.Title, c.Command)
	}
	fmt.Fprintln(w, "\nStop with Ctrl-C.")
}

// Curl is one ready-made command.
type Curl struct {
	Title   string
	Command string
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// Curls returns the guide's commands.
func (e *Env) Curls(base string) []Curl {
	tok := func(name string) Expert { x, _ := e.Expert(name); return x }
	auth := func(x Expert) string {
		h := "-H " + shellQuote("Authorization: Bearer "+x.Token)
		if x.ForwardedFor != "" {
			h += " -H " + shellQuote("X-Forwarded-For: "+x.ForwardedFor)
		}
		return h
	}
	post := func(x Expert, path, body string) string {
		return "curl -s " + auth(x) + " -H 'Content-Type: application/json' -d " + shellQuote(body) + " " + base + path
	}
	get := func(x Expert, path string) string { return "curl -s " + auth(x) + " " + base + path }
	t1, t2, t3, acme := tok("tier1-basic"), tok("tier2-gb"), tok("tier3-partner"), tok("acme-only")
	return []Curl{
		{"What may a tier 1 expert do for Acme?", get(t1, "/v1/clients/acme-retail/inquiries")},
		{"Order status: personal data masked or left out, the tracking number in clear", post(t1, "/v1/clients/acme-retail/inquiries/order_status/operations/get_order", `{"params":{"order_number":"#1001"}}`)},
		{"Customer data exchange, step 1: what the customer typed becomes tokens", post(t1, "/v1/clients/acme-retail/filter", `{"text":"Hi, I am `+exchangeEmail+`, where are my orders?","mode":"tokenize"}`)},
		{"Step 2: the expert passes the token from step 1 to find the orders, never seeing the address", post(t1, "/v1/clients/acme-retail/inquiries/order_status/operations/find_orders_by_email", `{"params":{"email":"`+e.ExchangeToken+`"}}`)},
		{"Address change needs tier 2 with MFA in GB/IE/US: tier 1 is refused (tier_too_low)", post(t1, "/v1/clients/acme-retail/inquiries/address_change/operations/get_shipping_address", `{"params":{"order_number":"#1001"}}`)},
		{"...and allowed for tier 2 in GB, with street and postcode tokenized", post(t2, "/v1/clients/acme-retail/inquiries/address_change/operations/get_shipping_address", `{"params":{"order_number":"#1001"}}`)},
		{"Zendesk ticket status: the subject goes through the content filter", post(t1, "/v1/clients/globex-saas/inquiries/ticket_status/operations/get_ticket", `{"params":{"id":4101}}`)},
		{"The ticket's comments: what customers typed is scrubbed", post(t1, "/v1/clients/globex-saas/inquiries/ticket_status/operations/list_comments", `{"params":{"ticket_id":4101}}`)},
		{"Write back: a private comment (scrubbed) and a status from the scope's list", post(t1, "/v1/clients/globex-saas/inquiries/ticket_status/operations/add_private_comment", `{"params":{"id":4101},"input":{"comment":{"body":"Replacement sent; customer confirmed by phone.","public":false},"status":"pending"}}`)},
		{"Salesforce case status", post(t1, "/v1/clients/initech-service/inquiries/case_status/operations/get_case", `{"params":{"case_number":"00001027"}}`)},
		{"Account lookup from an approved partner network (tier 3; X-Forwarded-For from the trusted proxy)", post(t3, "/v1/clients/initech-service/inquiries/account_lookup/operations/get_account", `{"params":{"account_number":"CD656092"}}`)},
		{"An expert onboarded for Acme only asks Globex: forbidden", get(acme, "/v1/clients/globex-saas/inquiries")},
		{"Scrub text yourself", post(t1, "/v1/clients/globex-saas/filter", `{"text":"Card 4111 1111 1111 1111, call +1 202-555-0143, order #1001"}`)},
	}
}
