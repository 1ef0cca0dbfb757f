package cli

import (
	"fmt"
	"net"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/cxgate/cxgate/gateway/app"
	"github.com/cxgate/cxgate/gateway/dev"
)

func newDevCmd(env *Env) *cobra.Command {
	var addr, tokensFile string
	cmd := &cobra.Command{
		Use:   "dev [--addr 127.0.0.1:8080] [--tokens-file F]",
		Short: "Run the whole system on embedded defaults (no Vault, no network)",
		Long: "dev runs cxgate with in-process Salesforce, Zendesk and Shopify sandboxes seeded with fictional\n" +
			"customers, the local tokenizer, the example config and scopes, and ready-made experts. It prints\n" +
			"the experts and copy-paste curl lines; --tokens-file writes the experts' tokens as JSON.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return usageErr(fmt.Errorf("listen on %s: %w", addr, err))
			}
			e, err := dev.Start(ctx, dev.Options{Logger: env.Logger, Version: version})
			if err != nil {
				ln.Close()
				return problems(fmt.Errorf("dev: %w", err))
			}
			defer e.Close()
			if tokensFile != "" {
				b, err := e.TokensJSON()
				if err == nil {
					err = writePrivate(tokensFile, append(b, '\n'))
				}
				if err != nil {
					ln.Close()
					return usageErr(fmt.Errorf("tokens file: %w", err))
				}
			}
			srv, err := app.HTTPServer(e.App.Config, e.Handler, env.Logger)
			if err != nil {
				ln.Close()
				return problems(err)
			}
			srv.TLSConfig = nil
			e.Guide(env.Stdout, "http://"+ln.Addr().String())
			if err := app.Serve(ctx, srv, ln, 5*time.Second); err != nil {
				return problems(err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on")
	cmd.Flags().StringVar(&tokensFile, "tokens-file", "", "write the ready-made experts and their tokens to this file (JSON)")
	return cmd
}

// writePrivate writes data readable by the owner only, also when the file
// already exists with wider permissions (os.WriteFile's mode applies only
// to files it creates, and these are bearer tokens).
func writePrivate(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
