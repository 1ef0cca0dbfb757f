package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newVaultCmd is a placeholder until its issue lands.
func newVaultCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:    "vault",
		Short:  "Manage and check cxgate's Vault keys (not built yet)",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return usageErr(errors.New("vault is not built yet"))
		},
	}
}
