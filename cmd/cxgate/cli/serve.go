package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newServeCmd is a placeholder until its issue lands.
func newServeCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:    "serve",
		Short:  "Run the production gateway (not built yet)",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return usageErr(errors.New("serve is not built yet"))
		},
	}
}
