package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newFilterCmd is a placeholder until its issue lands.
func newFilterCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:    "filter",
		Short:  "Find and protect PII in text on stdin (not built yet)",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return usageErr(errors.New("filter is not built yet"))
		},
	}
}
