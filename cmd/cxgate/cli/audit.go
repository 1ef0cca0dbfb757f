package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newAuditCmd is a placeholder until its issue lands.
func newAuditCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:    "audit",
		Short:  "Verify the audit log (not built yet)",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return usageErr(errors.New("audit is not built yet"))
		},
	}
}
