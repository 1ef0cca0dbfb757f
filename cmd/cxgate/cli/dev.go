package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newDevCmd is a placeholder until its issue lands.
func newDevCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:    "dev",
		Short:  "Run the whole system on embedded defaults (not built yet)",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return usageErr(errors.New("dev is not built yet"))
		},
	}
}
