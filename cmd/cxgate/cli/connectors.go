package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/cxgate/cxgate/connectors"
	"github.com/cxgate/cxgate/connectors/builtin"
)

// newConnectorsCmd lists and describes connector types from the built-in
// registry (connectors/builtin).
func newConnectorsCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "connectors",
		Short: "List and describe connector types: resources, lookup keys, fields, config keys",
		Long: "Connector types are the CRMs cxgate can talk to. Scope files name a type's resources, lookup keys\n" +
			"(as params) and fields; `describe` shows them with their types, PII hints and whether they are\n" +
			"writable or free text. See docs/connectors.md.\n\n" +
			"Exit codes: 0 ok, 2 usage error (unknown type or format).",
	}
	cmd.AddCommand(newConnectorsListCmd(env), newConnectorsDescribeCmd(env))
	return cmd
}

func connFormatFlag(cmd *cobra.Command, format *string) {
	cmd.Flags().StringVar(format, "format", "text", "output format: text or json")
}

func connCheckFormat(format string) error {
	if format != "text" && format != "json" {
		return usageErr(fmt.Errorf("unknown format %q (want text or json)", format))
	}
	return nil
}

func newConnectorsListCmd(env *Env) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the connector types with their resources and auth modes",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := connCheckFormat(format); err != nil {
				return err
			}
			reg, err := builtin.Registry()
			if err != nil {
				return problems(err)
			}
			var cats []connectors.Catalog
			for _, t := range reg.Types() {
				f, _ := reg.Lookup(t)
				cats = append(cats, f.Catalog())
			}
			if format == "json" {
				out := make([]connTypeSummary, len(cats))
				for i, c := range cats {
					out[i] = connSummary(c)
				}
				return connWriteJSON(env.Stdout, out)
			}
			tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TYPE\tRESOURCES\tAUTH MODES\tDESCRIPTION")
			for _, c := range cats {
				s := connSummary(c)
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Type, strings.Join(s.Resources, ", "), connAuthList(c.AuthModes), c.Description)
			}
			return tw.Flush()
		},
	}
	connFormatFlag(cmd, &format)
	return cmd
}

func newConnectorsDescribeCmd(env *Env) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "describe TYPE",
		Short: "Show a connector type's resources, lookup keys, fields and config keys",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := connCheckFormat(format); err != nil {
				return err
			}
			reg, err := builtin.Registry()
			if err != nil {
				return problems(err)
			}
			f, ok := reg.Lookup(args[0])
			if !ok {
				return usageErr(fmt.Errorf("unknown connector type %q (known types: %s)", args[0], strings.Join(reg.Types(), ", ")))
			}
			cat := f.Catalog()
			if format == "json" {
				return connWriteJSON(env.Stdout, connDescribe(cat))
			}
			return connWriteText(env.Stdout, cat)
		},
	}
	connFormatFlag(cmd, &format)
	return cmd
}

func connAuthList(modes []string) string {
	out := make([]string, len(modes))
	for i, m := range modes {
		out[i] = m
		if i == 0 {
			out[i] += " (default)"
		}
	}
	return strings.Join(out, ", ")
}

func connWriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return usageErr(err)
	}
	return nil
}

// JSON shapes of the commands' output (stable: scripts read them).
type connTypeSummary struct {
	Type        string   `json:"type"`
	Description string   `json:"description"`
	Resources   []string `json:"resources"`
	AuthModes   []string `json:"auth_modes"`
}

type connTypeDescription struct {
	Type        string              `json:"type"`
	Description string              `json:"description"`
	AuthModes   []string            `json:"auth_modes"`
	ConfigKeys  []connConfigKeyJSON `json:"config_keys"`
	Resources   []connResourceJSON  `json:"resources"`
}

type connConfigKeyJSON struct {
	Name        string `json:"name"`
	Required    bool   `json:"required"`
	Description string `json:"description,omitempty"`
}

type connResourceJSON struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Actions     []string        `json:"actions"`
	Keys        []connKeyJSON   `json:"keys"`
	Fields      []connFieldJSON `json:"fields"`
}

type connKeyJSON struct {
	Name        string `json:"name"`
	Unique      bool   `json:"unique"`
	PII         string `json:"pii,omitempty"`
	Description string `json:"description,omitempty"`
}

type connFieldJSON struct {
	Path        string `json:"path"`
	Type        string `json:"type"`
	PII         string `json:"pii,omitempty"`
	FreeText    bool   `json:"free_text"`
	Writable    bool   `json:"writable"`
	Description string `json:"description,omitempty"`
}

func connSummary(c connectors.Catalog) connTypeSummary {
	s := connTypeSummary{Type: c.Type, Description: c.Description, AuthModes: c.AuthModes, Resources: []string{}}
	for _, r := range c.Resources {
		s.Resources = append(s.Resources, r.Name)
	}
	return s
}

func connDescribe(c connectors.Catalog) connTypeDescription {
	d := connTypeDescription{Type: c.Type, Description: c.Description, AuthModes: c.AuthModes, ConfigKeys: []connConfigKeyJSON{}, Resources: []connResourceJSON{}}
	for _, k := range c.ConfigKeys {
		d.ConfigKeys = append(d.ConfigKeys, connConfigKeyJSON{Name: k.Name, Required: k.Required, Description: k.Description})
	}
	for _, r := range c.Resources {
		rj := connResourceJSON{Name: r.Name, Description: r.Description, Actions: r.Actions, Keys: []connKeyJSON{}, Fields: []connFieldJSON{}}
		for _, k := range r.Keys {
			rj.Keys = append(rj.Keys, connKeyJSON{Name: k.Name, Unique: k.Unique, PII: string(k.PII), Description: k.Description})
		}
		for _, f := range r.Fields {
			rj.Fields = append(rj.Fields, connFieldJSON{Path: f.Path, Type: string(f.Type), PII: string(f.PII), FreeText: f.FreeText, Writable: f.Writable, Description: f.Description})
		}
		d.Resources = append(d.Resources, rj)
	}
	return d
}

func connWriteText(w io.Writer, c connectors.Catalog) error {
	fmt.Fprintf(w, "%s: %s\n", c.Type, c.Description)
	fmt.Fprintf(w, "auth modes: %s\n\nconfig keys:\n", connAuthList(c.AuthModes))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, k := range c.ConfigKeys {
		req := ""
		if k.Required {
			req = "required"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", k.Name, req, k.Description)
	}
	tw.Flush()
	for _, r := range c.Resources {
		fmt.Fprintf(w, "\nresource %s: %s\n  actions: %s\n  lookup keys (scope params):\n", r.Name, r.Description, strings.Join(r.Actions, ", "))
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, k := range r.Keys {
			uniq := "not unique"
			if k.Unique {
				uniq = "unique"
			}
			fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\n", k.Name, uniq, orDash(string(k.PII)), k.Description)
		}
		tw.Flush()
		fmt.Fprintln(w, "  fields:")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "    PATH\tTYPE\tPII\tFLAGS\tDESCRIPTION")
		for _, f := range r.Fields {
			var flags []string
			if f.Writable {
				flags = append(flags, "writable")
			}
			if f.FreeText {
				flags = append(flags, "free-text")
			}
			pii := string(f.PII)
			if pii == "" {
				pii = "-"
			}
			fl := strings.Join(flags, ",")
			if fl == "" {
				fl = "-"
			}
			line := fmt.Sprintf("    %s\t%s\t%s\t%s", f.Path, f.Type, pii, fl)
			if f.Description != "" {
				line += "\t" + f.Description
			}
			fmt.Fprintln(tw, line)
		}
		if err := tw.Flush(); err != nil {
			return usageErr(err)
		}
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
