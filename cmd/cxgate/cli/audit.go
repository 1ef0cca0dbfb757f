package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/cxgate/cxgate/gateway/audit"
)

func newAuditCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Work with the audit log",
	}
	cmd.AddCommand(newAuditVerifyCmd(env))
	return cmd
}

func newAuditVerifyCmd(env *Env) *cobra.Command {
	var keyFile string
	cmd := &cobra.Command{
		Use:   "verify FILE",
		Short: "Check the audit log's hash chain and name the first broken record",
		Long: "verify reads every record of an audit log (JSONL), checks each record's hash, the link to the\n" +
			"record before it and the sequence numbers, and names the first record where the chain breaks.\n" +
			"Exit 0: intact; 1: broken; 2: unreadable file or bad usage.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var key []byte
			if keyFile != "" {
				k, err := audit.ReadKeyFile(keyFile)
				if err != nil {
					return usageErr(err)
				}
				key = k
			}
			f, err := os.Open(args[0])
			if err != nil {
				return usageErr(fmt.Errorf("audit log: %w", err))
			}
			defer f.Close()
			sum, err := audit.Verify(f, key)
			var broken *audit.BrokenError
			switch {
			case errors.As(err, &broken):
				fmt.Fprintf(env.Stdout, "%s: broken at %v\n", args[0], broken)
				fmt.Fprintf(env.Stdout, "%s: %d records before it verify\n", args[0], sum.Records)
				return problems(nil)
			case err != nil:
				return usageErr(err)
			}
			if sum.Records == 0 {
				fmt.Fprintf(env.Stdout, "%s: ok, empty\n", args[0])
				return nil
			}
			fmt.Fprintf(env.Stdout, "%s: ok, %d records, last seq %d, last hash %s\n", args[0], sum.Records, sum.LastSeq, sum.LastHash)
			return nil
		},
	}
	cmd.Flags().StringVar(&keyFile, "key-file", "", "file holding the chain's HMAC key (when the gateway was configured with audit.key_file)")
	return cmd
}
