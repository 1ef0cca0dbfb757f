package cli

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cxgate/cxgate/gateway/app"
	"github.com/cxgate/cxgate/gateway/config"
	"github.com/cxgate/cxgate/internal/diag"
	"github.com/cxgate/cxgate/scopes"
	"github.com/cxgate/cxgate/vaultclient"
)

// newVaultCmd groups the Vault key tools: init, check, rotate.
func newVaultCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vault",
		Short: "Create, check and rotate cxgate's Vault keys",
		Long: "cxgate keeps one transit key per client (cxgate-<client>: aes256-gcm96, derived, convergent) for tokens\n" +
			"and one (cxgate-<client>_hmac) for hashes. These commands read the gateway config (--config) and the\n" +
			"scope files it names (clients and their retention). See docs/vault.md.\n\n" +
			"  init    create missing client keys with the right flags; refuse existing keys with wrong flags\n" +
			"  check   reachability, seal, login, key flags and KV paths: one line each\n" +
			"  rotate  apply retention: rotate keys on their period, shred versions older than the retention\n\n" +
			"Exit codes: 0 ok, 1 problems found, 2 usage or I/O error.",
	}
	cmd.AddCommand(newVaultInitCmd(env), newVaultCheckCmd(env), newVaultRotateCmd(env))
	return cmd
}

// vaultPlan is what the vault commands need from the config and scopes.
type vaultPlan struct {
	vault   vaultclient.Config
	clients []vaultclient.ClientKeyPolicy // sorted by client
	kvPaths []string                      // sorted, unique
}

func (p *vaultPlan) clientIDs() []string {
	ids := make([]string, len(p.clients))
	for i, c := range p.clients {
		ids[i] = c.Client
	}
	return ids
}

// loadVaultPlan reads the gateway config and its scopes, prints their
// diagnostics to stderr, and maps the vault section.
func loadVaultPlan(env *Env, path string) (*vaultPlan, error) {
	if path == "" {
		return nil, usageErr(errors.New("--config is required"))
	}
	cfg, d, err := config.Load(path, nil)
	if err != nil {
		return nil, usageErr(err)
	}
	var all diag.List
	all.Append(d)
	if cfg == nil {
		return nil, printDiags(env.Stderr, all)
	}
	if cfg.Vault == nil {
		return nil, usageErr(fmt.Errorf("%s has no vault: section", path))
	}
	set, d, err := scopes.LoadPaths(cfg.Scopes, scopes.Options{})
	if err != nil {
		return nil, usageErr(err)
	}
	all.Append(d)
	all.Sort()
	if set == nil {
		return nil, printDiags(env.Stderr, all)
	}
	if err := printDiags(env.Stderr, all); err != nil {
		return nil, err
	}
	p := &vaultPlan{vault: app.VaultConfig(cfg, env.Getenv, env.Logger)}
	for _, c := range set.Clients() {
		p.clients = append(p.clients, vaultclient.ClientKeyPolicy{Client: c.ID, Retention: c.Retention})
	}
	slices.SortFunc(p.clients, func(a, b vaultclient.ClientKeyPolicy) int { return strings.Compare(a.Client, b.Client) })
	for _, cc := range cfg.Connections {
		if cc.Credentials.Vault != "" && !slices.Contains(p.kvPaths, cc.Credentials.Vault) {
			p.kvPaths = append(p.kvPaths, cc.Credentials.Vault)
		}
	}
	slices.Sort(p.kvPaths)
	return p, nil
}

// printDiags writes diagnostics; with errors among them it ends the
// command with exit 1.
func printDiags(w io.Writer, d diag.List) error {
	if err := d.WriteText(w); err != nil {
		return usageErr(err)
	}
	if d.HasErrors() {
		return problems(nil)
	}
	return nil
}

func newVaultInitCmd(env *Env) *cobra.Command {
	var cfgPath string
	cmd := &cobra.Command{
		Use:   "init --config FILE",
		Short: "Create missing client keys; refuse existing keys with wrong flags",
		Long: "For every client in the scope files, make sure transit has cxgate-<client> (aes256-gcm96, derived,\n" +
			"convergent, not exportable) and cxgate-<client>_hmac (type hmac). Missing keys are created; keys with\n" +
			"the right flags are left alone, so init can run at every deploy. A key with wrong flags is refused and\n" +
			"never changed (a non-derived key would silently ignore the PII-type context): exit 1.\n" +
			"Needs the key-admin policy (examples/vault/cxgate-admin.hcl).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			plan, err := loadVaultPlan(env, cfgPath)
			if err != nil {
				return err
			}
			c, err := vaultclient.New(cmd.Context(), plan.vault)
			if err != nil {
				return problems(err)
			}
			defer c.Close()
			reports, err := c.InitKeys(cmd.Context(), plan.clientIDs())
			for _, r := range reports {
				line := fmt.Sprintf("%-8s %s (%s): %s", r.Action, r.Key, r.Purpose, r.Info.Flags())
				if len(r.Problems) > 0 {
					line = fmt.Sprintf("%-8s %s (%s): %s", r.Action, r.Key, r.Purpose, strings.Join(r.Problems, "; "))
				}
				fmt.Fprintln(env.Stdout, line)
			}
			switch {
			case errors.Is(err, vaultclient.ErrKeyFlags):
				return problems(errors.New("some keys have wrong flags; cxgate will not use them (see docs/vault.md, \"Keys with wrong flags\")"))
			case err != nil:
				return problems(err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&cfgPath, "config", "", "gateway config file (its vault: section and scopes)")
	return cmd
}

func newVaultCheckCmd(env *Env) *cobra.Command {
	var cfgPath string
	cmd := &cobra.Command{
		Use:   "check --config FILE",
		Short: "Check Vault for cxgate: reachability, seal, login, key flags, KV paths",
		Long: "One line per item, \"ok\" or \"FAIL\": Vault answers, is unsealed, the configured login works, every\n" +
			"client's keys exist with the right flags and the login may use them, and every KV path a connection\n" +
			"references can be read (field names shown, never values). Exit 1 on any problem.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			plan, err := loadVaultPlan(env, cfgPath)
			if err != nil {
				return err
			}
			failed := 0
			for _, l := range vaultclient.Check(cmd.Context(), plan.vault, vaultclient.CheckRequest{Clients: plan.clientIDs(), KVPaths: plan.kvPaths}) {
				fmt.Fprintln(env.Stdout, l)
				if !l.OK {
					failed++
				}
			}
			if failed > 0 {
				return problems(fmt.Errorf("vault check: %d problem(s)", failed))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&cfgPath, "config", "", "gateway config file (its vault: section, connections and scopes)")
	return cmd
}

func newVaultRotateCmd(env *Env) *cobra.Command {
	var (
		cfgPath string
		trim    bool
	)
	cmd := &cobra.Command{
		Use:   "rotate --config FILE",
		Short: "Apply retention: rotate client keys and shred versions older than the retention",
		Long: "Meant for cron (hourly is fine) and idempotent. For each client: rotate its key when the latest version\n" +
			"is one rotation period old (vault.rotation_period, else a quarter of the client's retention), then raise\n" +
			"min_decryption_version past every version created more than the retention ago, so tokens minted under\n" +
			"them stop detokenizing (\"expired by retention\"). A token therefore works for at least retention minus\n" +
			"one rotation period, never longer than the retention. Hashes are never rotated.\n" +
			"With --trim the shredded versions are also deleted from Vault (irreversible).\n" +
			"Needs the key-admin policy (examples/vault/cxgate-admin.hcl).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			plan, err := loadVaultPlan(env, cfgPath)
			if err != nil {
				return err
			}
			c, err := vaultclient.New(cmd.Context(), plan.vault)
			if err != nil {
				return problems(err)
			}
			defer c.Close()
			reports, err := c.Rotate(cmd.Context(), plan.clients, vaultclient.RotateOptions{Trim: trim})
			for _, r := range reports {
				fmt.Fprintln(env.Stdout, rotateLine(r))
			}
			if err != nil {
				return problems(err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&cfgPath, "config", "", "gateway config file (its vault: section and scopes)")
	cmd.Flags().BoolVar(&trim, "trim", false, "also delete shredded key versions from Vault (irreversible)")
	return cmd
}

func rotateLine(r vaultclient.RotateReport) string {
	if len(r.Problems) > 0 {
		return fmt.Sprintf("refused  %s: %s; left alone", r.Key, strings.Join(r.Problems, "; "))
	}
	var did []string
	if r.Rotated {
		did = append(did, fmt.Sprintf("rotated v%d -> v%d", r.FromVersion, r.ToVersion))
	}
	switch {
	case r.MinDecryptionTo == r.MinDecryptionFrom+1:
		did = append(did, fmt.Sprintf("shredded v%d (decrypts from v%d)", r.MinDecryptionFrom, r.MinDecryptionTo))
	case r.MinDecryptionTo > r.MinDecryptionFrom:
		did = append(did, fmt.Sprintf("shredded v%d-v%d (decrypts from v%d)", r.MinDecryptionFrom, r.MinDecryptionTo-1, r.MinDecryptionTo))
	}
	if r.TrimmedTo > 0 {
		did = append(did, fmt.Sprintf("trimmed below v%d", r.TrimmedTo))
	}
	status := "changed"
	if len(did) == 0 {
		status = "ok"
		did = append(did, fmt.Sprintf("latest v%d, decrypts from v%d", r.ToVersion, r.MinDecryptionTo))
	}
	policy := "no retention, no rotation"
	switch {
	case r.Retention > 0:
		policy = fmt.Sprintf("retention %s, rotation every %s", days(r.Retention), days(r.Period))
	case r.Period > 0:
		policy = fmt.Sprintf("no retention, rotation every %s", days(r.Period))
	}
	return fmt.Sprintf("%-8s %s: %s (%s)", status, r.Key, strings.Join(did, "; "), policy)
}

// days writes durations the way the config does: "30d", "7d12h", "90m".
func days(d time.Duration) string {
	const day = 24 * time.Hour
	var out string
	if d >= day {
		out = fmt.Sprintf("%dd", d/day)
		if d %= day; d == 0 {
			return out
		}
	}
	s := d.String()
	switch {
	case strings.HasSuffix(s, "h0m0s"):
		s = strings.TrimSuffix(s, "0m0s")
	case strings.HasSuffix(s, "m0s"):
		s = strings.TrimSuffix(s, "0s")
	}
	return out + s
}
