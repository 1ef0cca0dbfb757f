package vaultclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// CheckLine is one line of `cxgate vault check`: one thing checked.
type CheckLine struct {
	OK      bool
	Subject string // "vault", "seal", "auth", "key cxgate-acme-retail", "kv secret/cxgate/acme/shopify"
	Detail  string
}

func (l CheckLine) String() string {
	status := "ok  "
	if !l.OK {
		status = "FAIL"
	}
	return fmt.Sprintf("%s  %s: %s", status, l.Subject, l.Detail)
}

// CheckRequest lists what Check looks at beyond the server and the login.
type CheckRequest struct {
	Clients []string // client ids: their encryption and HMAC keys
	KVPaths []string // credential paths under kv_mount that connections reference
}

// Check looks at everything cxgate needs from Vault, in order: the server
// answers, it is unsealed, the configured login works, each client's keys
// exist with the right flags and the login may use them, and each KV path
// can be read. It returns one line per item; a failure of the server, seal
// or login stops there, since nothing after could work. It never prints a
// secret: KV lines name fields, not values.
func Check(ctx context.Context, cfg Config, req CheckRequest) []CheckLine {
	c, err := newClient(cfg)
	if err != nil {
		return []CheckLine{{Subject: "config", Detail: err.Error()}}
	}
	var out []CheckLine
	add := func(ok bool, subject, format string, args ...any) {
		out = append(out, CheckLine{OK: ok, Subject: subject, Detail: fmt.Sprintf(format, args...)})
	}

	hctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	h, err := c.api.Sys().HealthWithContext(hctx)
	cancel()
	if err != nil {
		add(false, "vault", "%s does not answer: %s", c.cfg.Address, transportDetail(hctx, err, c.cfg.Timeout))
		return out
	}
	add(true, "vault", "reachable at %s (Vault %s)", c.cfg.Address, h.Version)
	switch {
	case !h.Initialized:
		add(false, "seal", "Vault is not initialized")
		return out
	case h.Sealed:
		add(false, "seal", "Vault is sealed")
		return out
	}
	add(true, "seal", "unsealed")

	s, err := c.login(ctx)
	if err != nil {
		add(false, "auth", "%s login: %v", c.cfg.Auth.Method, err)
		return out
	}
	c.install(s)
	defer c.revokeLogin()
	a := c.Auth()
	ttl := "no expiry"
	if a.TTL > 0 {
		ttl = "ttl " + a.TTL.String()
		if a.Renewable {
			ttl += ", renewable"
		}
	}
	add(true, "auth", "%s login (policies %s; %s)", a.Method, strings.Join(a.Policies, ", "), ttl)

	for _, client := range req.Clients {
		if err := ValidateClient(client); err != nil {
			add(false, "client "+client, "%v", err)
			continue
		}
		out = append(out, c.checkKey(ctx, KeyName(client), KeyInfo.EncryptionProblems, "encrypt", "decrypt"))
		out = append(out, c.checkKey(ctx, HMACKeyName(client), KeyInfo.HMACProblems, "hmac"))
	}
	for _, p := range req.KVPaths {
		subject := "kv " + c.cfg.KVMount + "/" + p
		creds, err := c.ReadSecret(ctx, p)
		if err != nil {
			add(false, subject, "%v", err)
			continue
		}
		add(true, subject, "readable (fields: %s)", strings.Join(creds.Keys(), ", "))
	}
	return out
}

// checkKey reads a key, checks its flags and whether the login may use it
// for each operation (transit/<op>/<key> needs update).
func (c *Client) checkKey(ctx context.Context, name string, problems func(KeyInfo) []string, ops ...string) CheckLine {
	line := CheckLine{Subject: "key " + name}
	info, err := c.ReadKey(ctx, name)
	switch {
	case errors.Is(err, ErrKeyMissing):
		line.Detail = "missing (run cxgate vault init)"
		return line
	case err != nil:
		line.Detail = err.Error()
		return line
	}
	if ps := problems(info); len(ps) > 0 {
		line.Detail = info.Flags() + ": " + strings.Join(ps, "; ")
		return line
	}
	paths := make([]string, len(ops))
	for i, op := range ops {
		paths[i] = c.cfg.TransitMount + "/" + op + "/" + name
	}
	missing, err := c.notUpdatable(ctx, paths)
	if err != nil {
		line.Detail = info.Flags() + "; cannot check the login's capabilities: " + err.Error()
		return line
	}
	if len(missing) > 0 {
		line.Detail = info.Flags() + "; the login may not update " + strings.Join(missing, ", ")
		return line
	}
	line.OK = true
	line.Detail = info.Flags() + "; usable by this login"
	if info.Type == HMACKeyType && info.LatestVersion > 1 {
		line.Detail += fmt.Sprintf(" (note: rotated to v%d; hashes minted under older versions differ)", info.LatestVersion)
	}
	return line
}

// notUpdatable returns the paths the current token may not update (every
// transit operation cxgate uses needs update), in order, with one call.
func (c *Client) notUpdatable(ctx context.Context, paths []string) ([]string, error) {
	caps, err := c.capabilities(ctx, paths)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range paths {
		if !slices.Contains(caps[p], "update") && !slices.Contains(caps[p], "root") {
			out = append(out, p)
		}
	}
	return out, nil
}

// capabilities asks Vault what the current token may do on paths.
func (c *Client) capabilities(ctx context.Context, paths []string) (map[string][]string, error) {
	resp, err := c.call(ctx, "capabilities", http.MethodPut, "sys/capabilities-self", map[string]any{"paths": paths})
	if err != nil {
		return nil, err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(resp.Data, &raw); err != nil {
		return nil, fmt.Errorf("unexpected capabilities answer from Vault")
	}
	out := map[string][]string{}
	for _, p := range paths {
		var caps []string
		if b, ok := raw[p]; ok && json.Unmarshal(b, &caps) == nil {
			out[p] = caps
		}
	}
	return out, nil
}
