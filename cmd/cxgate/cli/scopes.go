package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newScopesCmd is a placeholder until its issue lands.
func newScopesCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:    "scopes",
		Short:  "Check, lint, explain and diff scope files (not built yet)",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return usageErr(errors.New("scopes is not built yet"))
		},
	}
}
