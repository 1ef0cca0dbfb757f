package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newConnectorsCmd is a placeholder until its issue lands.
func newConnectorsCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:    "connectors",
		Short:  "List and describe connector types (not built yet)",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return usageErr(errors.New("connectors is not built yet"))
		},
	}
}
