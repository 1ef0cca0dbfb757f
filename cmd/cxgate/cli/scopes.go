package cli

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cxgate/cxgate/gateway/config"
	"github.com/cxgate/cxgate/internal/diag"
	"github.com/cxgate/cxgate/scopes"
)

// newScopesCmd groups the scope tools: validate, lint, explain, diff, schema.
func newScopesCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scopes",
		Short: "Check, lint, explain and diff scope files",
		Long: "Scope files say what each expert may see and do, per client and inquiry. These tools check them\n" +
			"(validate), look for security smells (lint), show what experts can see (explain), classify changes\n" +
			"by exposure for review (diff) and print the JSON Schema editors use (schema). See docs/scopes.md.\n\n" +
			"Exit codes: 0 ok, 1 problems found or exposure grows, 2 usage or I/O error.",
	}
	cmd.AddCommand(newScopesValidateCmd(env), newScopesLintCmd(env), newScopesExplainCmd(env), newScopesDiffCmd(env), newScopesSchemaCmd(env))
	return cmd
}

// scopeInput is the flags shared by commands that load scopes.
type scopeInput struct {
	config string
}

func (in *scopeInput) flags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&in.config, "config", "", "gateway config: check connection names and resources, params, fields and inputs against the connector catalogs")
}

// load reads the gateway config (when given) and the scope files, prints
// every diagnostic to out, and returns the set. err is a usage/I/O error
// (exit 2) or problems (exit 1).
func (in *scopeInput) load(env *Env, out io.Writer, format string, paths []string) (*scopes.Set, error) {
	var opts scopes.Options
	var all diag.List
	if in.config != "" {
		reg, err := connectorRegistry()
		if err != nil {
			return nil, usageErr(err)
		}
		cfg, d, err := config.Load(in.config, reg)
		if err != nil {
			return nil, usageErr(err)
		}
		all.Append(d)
		if cfg == nil {
			return nil, writeDiags(out, format, all, true)
		}
		opts.Catalogs = cfg.Catalogs(reg)
		if len(paths) == 0 {
			paths = cfg.Scopes
		}
	}
	if len(paths) == 0 {
		return nil, usageErr(errors.New("name at least one scope file or folder (or --config to use its scopes)"))
	}
	set, d, err := scopes.LoadPaths(paths, opts)
	if err != nil {
		return nil, usageErr(err)
	}
	all.Append(d)
	all.Sort()
	if set == nil {
		return nil, writeDiags(out, format, all, true)
	}
	if len(all) > 0 {
		if err := writeDiags(out, format, all, false); err != nil {
			return nil, err
		}
	}
	return set, nil
}

// writeDiags prints diagnostics; with fail it ends the command with exit 1.
func writeDiags(out io.Writer, format string, d diag.List, fail bool) error {
	var err error
	if format == "json" {
		err = d.WriteJSON(out)
	} else {
		err = d.WriteText(out)
	}
	if err != nil {
		return usageErr(err)
	}
	if fail {
		return problems(nil)
	}
	return nil
}

func checkFormat(format string, allowed ...string) error {
	if !slices.Contains(allowed, format) {
		return usageErr(fmt.Errorf("unknown format %q (want %s)", format, strings.Join(allowed, ", ")))
	}
	return nil
}

func newScopesValidateCmd(env *Env) *cobra.Command {
	var in scopeInput
	var format string
	cmd := &cobra.Command{
		Use:   "validate [PATH...]",
		Short: "Check scope files (files or folders); one line per problem, all of them",
		Long: "Checks scope files strictly and prints every problem as FILE:LINE:COL: error: MESSAGE [code].\n" +
			"With --config, connection names are checked against the gateway config and resources, params,\n" +
			"fields and inputs against the connector catalogs; without PATH the config's scopes are checked.",
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, "text", "json"); err != nil {
				return err
			}
			set, err := in.load(env, env.Stdout, format, args)
			if err != nil {
				return err
			}
			if format == "json" {
				return writeDiags(env.Stdout, format, diag.List{}, false)
			}
			fmt.Fprintf(env.Stderr, "%s\n", summary(set))
			return nil
		},
	}
	in.flags(cmd)
	cmd.Flags().StringVar(&format, "format", "text", "output: text or json")
	return cmd
}

func summary(s *scopes.Set) string {
	nq, no := 0, 0
	for _, c := range s.Clients() {
		nq += len(c.Inquiries)
		for _, q := range c.Inquiries {
			no += len(q.Operations)
		}
	}
	return fmt.Sprintf("ok: %d %s, %d %s, %d %s, %d %s",
		len(s.Files()), plural(len(s.Files()), "file", "files"),
		len(s.Clients()), plural(len(s.Clients()), "client", "clients"),
		nq, plural(nq, "inquiry", "inquiries"), no, plural(no, "operation", "operations"))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func newScopesLintCmd(env *Env) *cobra.Command {
	var in scopeInput
	var format string
	var disable []string
	var list bool
	cmd := &cobra.Command{
		Use:   "lint [PATH...]",
		Short: "Look for security smells in scope files (warnings with codes)",
		Long: "Validates the files, then reports security smells as FILE:LINE:COL: warning: MESSAGE [code].\n" +
			"Exit 1 when anything is reported. --list prints the rules; --disable CODE silences one.",
		RunE: func(cmd *cobra.Command, args []string) error {
			if list {
				for _, r := range scopes.LintRules() {
					fmt.Fprintf(env.Stdout, "%-22s %s\n", r.Code, r.Doc)
				}
				return nil
			}
			if err := checkFormat(format, "text", "json"); err != nil {
				return err
			}
			known := map[string]bool{}
			for _, r := range scopes.LintRules() {
				known[r.Code] = true
			}
			for _, c := range disable {
				if !known[c] {
					return usageErr(fmt.Errorf("--disable: unknown lint code %q (see --list)", c))
				}
			}
			set, err := in.load(env, env.Stdout, format, args)
			if err != nil {
				return err
			}
			var kept diag.List
			for _, d := range scopes.Lint(set) {
				if !slices.Contains(disable, d.Code) {
					kept = append(kept, d)
				}
			}
			if len(kept) == 0 {
				if format == "json" {
					return writeDiags(env.Stdout, format, diag.List{}, false)
				}
				fmt.Fprintf(env.Stderr, "no lint warnings\n")
				return nil
			}
			if err := writeDiags(env.Stdout, format, kept, false); err != nil {
				return err
			}
			if format == "text" {
				fmt.Fprintf(env.Stderr, "%d lint %s\n", len(kept), plural(len(kept), "warning", "warnings"))
			}
			return problems(nil)
		},
	}
	in.flags(cmd)
	cmd.Flags().StringVar(&format, "format", "text", "output: text or json")
	cmd.Flags().StringSliceVar(&disable, "disable", nil, "lint codes to skip (comma separated)")
	cmd.Flags().BoolVar(&list, "list", false, "list the lint rules and exit")
	return cmd
}

func newScopesExplainCmd(env *Env) *cobra.Command {
	var in scopeInput
	var format, client, inquiry string
	cmd := &cobra.Command{
		Use:   "explain [PATH...]",
		Short: "Show what experts can see: per client, inquiry, operation, field and access level",
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, scopes.Formats()...); err != nil {
				return err
			}
			if inquiry != "" && client == "" {
				return usageErr(errors.New("--inquiry needs --client"))
			}
			set, err := in.load(env, env.Stderr, "text", args)
			if err != nil {
				return err
			}
			ex, ok := scopes.Explain(set, client, inquiry)
			if !ok {
				if _, known := set.Client(client); !known {
					var ids []string
					for _, c := range set.Clients() {
						ids = append(ids, c.ID)
					}
					return usageErr(fmt.Errorf("no client %q in these scopes (clients: %s)", client, strings.Join(ids, ", ")))
				}
				return usageErr(fmt.Errorf("client %s has no inquiry %q", client, inquiry))
			}
			if err := scopes.WriteExplain(env.Stdout, ex, format); err != nil {
				return usageErr(err)
			}
			return nil
		},
	}
	in.flags(cmd)
	cmd.Flags().StringVar(&format, "format", "table", "output: table, json, markdown or html")
	cmd.Flags().StringVar(&client, "client", "", "only this client")
	cmd.Flags().StringVar(&inquiry, "inquiry", "", "only this inquiry (with --client)")
	return cmd
}

func newScopesDiffCmd(env *Env) *cobra.Command {
	var in scopeInput
	var format string
	cmd := &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "Classify every change between two scope sets as exposure up or down (exit 1 when it grows)",
		Long: "OLD and NEW are scope files or folders. Every change is classified as exposure up or down, with\n" +
			"both positions. Exit 1 when exposure grows, so CI can require a security review.",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, scopes.Formats()...); err != nil {
				return err
			}
			old, err := in.load(env, env.Stderr, "text", args[:1])
			if err != nil {
				return err
			}
			cur, err := in.load(env, env.Stderr, "text", args[1:])
			if err != nil {
				return err
			}
			changes := scopes.Diff(old, cur)
			if err := scopes.WriteDiff(env.Stdout, changes, format); err != nil {
				return usageErr(err)
			}
			if scopes.Grows(changes) {
				return problems(nil)
			}
			return nil
		},
	}
	in.flags(cmd)
	cmd.Flags().StringVar(&format, "format", "table", "output: table, json, markdown or html")
	return cmd
}

func newScopesSchemaCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema (2020-12) of scope files, for editors",
		Long: "Prints the JSON Schema of scope files, generated from the loader's own spec. For the YAML language\n" +
			"server: cxgate scopes schema > scope.schema.json, then start a scope file with\n" +
			"# yaml-language-server: $schema=./scope.schema.json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := env.Stdout.Write(scopes.Schema()); err != nil {
				return usageErr(err)
			}
			return nil
		},
	}
}
